"""One claim, one meaning: every output of the release says the same of every claim.

For each claim of the graph, its nanopublication, its KGX edge, its row of the claims table and
its page are read as their users read them (pyoxigraph for RDF and TriG, JSON Lines, the
frictionless library for the table, the HTML of the page), and must agree on its status,
negation, qualifiers, quote and span; the direct triple (or the Biolink core edge) appears
exactly when the claim itself is asserted, never because another claim shares its triple.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.formats.kgx import EDGE_COLUMNS
from kg.views import CLAIM_PROPERTIES
from kg.web.site import build_site

BIOLINK = "https://w3id.org/biolink/vocab/"
KGO = "https://w3id.org/drugclaims/ontology#"
OA = "http://www.w3.org/ns/oa#"
NP = "http://www.nanopub.org/nschema#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
#: A claim's properties that are not its qualifiers.
NOT_QUALIFIERS = CLAIM_PROPERTIES


@dataclass(frozen=True)
class Said:
    """What one output says of a claim."""

    status: str
    negated: bool
    qualifiers: frozenset[tuple[str, str]]  # (property IRI, value: IRI, text or label)
    quote: str
    start: int
    end: int
    states_triple: bool  # the direct triple, or the core Biolink edge, as this output has it


def _value(term: Any, labels: dict[str, str], claim: str) -> str:
    """A qualifier value as text: a node minted for the claim by its label, else the IRI or
    the literal's lexical form."""
    if isinstance(term, ox.NamedNode) and term.value.startswith(claim + "/"):
        return labels[term.value]
    return str(term.value)


def _said_in(quads: list[ox.Quad], claim: str, *, triple_in: list[ox.Quad]) -> Said:
    by = defaultdict(list)
    labels = {}
    for q in quads:
        if q.subject.value == claim:
            by[q.predicate.value].append(q.object)
        if q.predicate.value == RDFS_LABEL:
            labels[q.subject.value] = q.object.value
    qualifiers = frozenset(
        (prop, _value(term, labels, claim))
        for prop, terms in by.items()
        if prop not in NOT_QUALIFIERS
        for term in terms
    )
    s, p, o = (by[BIOLINK + n][0] for n in ("subject", "predicate", "object"))
    exact = next(q.object.value for q in quads if q.predicate.value == OA + "exact")
    start = next(int(q.object.value) for q in quads if q.predicate.value == OA + "start")
    end = next(int(q.object.value) for q in quads if q.predicate.value == OA + "end")
    return Said(
        status=by[KGO + "epistemicStatus"][0].value[len(KGO) :].lower(),
        negated=by[BIOLINK + "negated"][0].value == "true",
        qualifiers=qualifiers,
        quote=exact,
        start=start,
        end=end,
        states_triple=any(q.subject == s and q.predicate == p and q.object == o for q in triple_in),
    )


def graph_says(release: Path) -> tuple[dict[str, Said], dict[str, set[str]]]:
    """What the graph says of each claim (its source's named graph), and, for each claim, the
    claims that share its triple. Whether the graph states a claim's triple is asked of all
    the named graphs: a triple two sources state is kept in one of their graphs only."""
    dataset = list(ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    by_graph: dict[str, list[ox.Quad]] = defaultdict(list)
    for quad in dataset:
        by_graph[str(quad.graph_name)].append(quad)
    found: dict[str, Said] = {}
    triples: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for quads in by_graph.values():
        claims = {
            q.subject.value
            for q in quads
            if q.predicate.value.endswith("#type") and q.object.value == KGO + "Claim"
        }
        for claim in claims:
            mine = [q for q in quads if q.subject.value.startswith(claim)]
            found[claim] = _said_in(mine, claim, triple_in=dataset)
            spo = tuple(
                next(q.object.value for q in mine if q.predicate.value == BIOLINK + n)
                for n in ("subject", "predicate", "object")
            )
            triples[spo].add(claim)  # type: ignore[index]
    sharing = {claim: set(group) for group in triples.values() for claim in group}
    return found, sharing


def nanopub_says(release: Path, claim: str) -> Said:
    source, key = claim.split("/id/", 1)[1].split("/claim/")
    quads = list(
        ox.parse(path=str(release / "nanopubs" / source / f"{key}.trig"), format=ox.RdfFormat.TRIG)
    )
    graph_of = {
        q.predicate.value: q.object for q in quads if q.predicate.value.startswith(NP + "has")
    }
    assertion = [q for q in quads if q.graph_name == graph_of[NP + "hasAssertion"]]
    provenance = [q for q in quads if q.graph_name == graph_of[NP + "hasProvenance"]]
    return _said_in(assertion + provenance, claim, triple_in=assertion)


def kgx_says(edge: dict[str, Any], iris: dict[str, str], prefixes: Prefixes) -> Said:
    def value(text: Any) -> str:
        text = str(text)
        if text in iris:
            return iris[text]
        return prefixes.expand(text) or text if text.startswith(("kgo:", "kgr:")) else text

    qualifiers = set()
    for name, values in edge.items():
        if name.endswith("_qualifier") or name == "clinical_approval_status":
            prop = BIOLINK + name
        elif name.startswith("kgo_claim_") and name.endswith("_qualifier"):
            prop = BIOLINK + name[len("kgo_claim_") :]
        elif name.startswith("kgo_") and name not in KGX_OWN:
            prop = KGO + re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name[len("kgo_") :])
        else:
            continue
        for item in values if isinstance(values, list) else [values]:
            qualifiers.add((prop, "true" if item is True else value(item)))
    core = (
        edge["predicate"] == edge["kgo_claim_predicate"]
        and not edge["negated"]
        and edge["knowledge_level"] != "prediction"
    )
    return Said(
        status=edge["epistemic_status"],
        negated=edge["kgo_claim_negated"],
        qualifiers=frozenset(qualifiers),
        quote=edge["supporting_text"][0],
        start=edge["kgo_span_start"],
        end=edge["kgo_span_end"],
        states_triple=core,
    )


#: KGX columns of the project's own that are not qualifiers.
KGX_OWN = {name for name in EDGE_COLUMNS if name.startswith("kgo_")} | {"kgo_note"}


def table_says(row: dict[str, Any], names: dict[str, str], prefixes: Prefixes) -> Said:
    qualifiers = set()
    for name, prop in names.items():
        cell = row.get(name)
        if isinstance(cell, bool):  # a boolean qualifier, typed by the schema
            qualifiers.add((prop, "true" if cell else "false"))
            continue
        if not cell:
            continue
        for item in re.split(r"(?<!\\)\|", cell):
            item = item.replace("\\|", "|").replace("\\\\", "\\")
            if item == "true":
                qualifiers.add((prop, "true"))
            else:
                qualifiers.add((prop, prefixes.expand(item) or item))
    return Said(
        status=row["status"],
        negated=row["negated"],
        qualifiers=frozenset(qualifiers),
        quote=row["quote"],
        start=row["start"],
        end=row["end"],
        states_triple=row["states_triple"],
    )


def page_says(site: Path, claim: str, graph: Said) -> tuple[str, str, int, str]:
    """The page's status word, the quote it highlights, where the highlight starts in the
    source's text, and the page's text."""
    page = (site / "doc" / f"{claim.split('/id/', 1)[1]}.html").read_text(encoding="utf-8")
    word = re.search(r'<span class="status [a-z]+">([^<]+)</span>', page)
    mark = re.search(
        r'<blockquote data-start="(\d+)"><p[^>]*>(.*?)<mark id="quote">(.*?)</mark>',
        page,
        re.DOTALL,
    )
    assert word and mark, claim
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    start = int(mark.group(1)) + len(html.unescape(mark.group(2)))  # the quoted text's start
    return word.group(1), html.unescape(mark.group(3)), start, text


@pytest.fixture(scope="module")
def site(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("one-meaning") / "site"
    build_site(release, out)
    return out


class Prefixes:
    """The CURIE prefixes of the release's JSON-LD context (both the Bioregistry and the
    Biolink spelling of a prefix name the same namespace there)."""

    def __init__(self, release: Path) -> None:
        context = json.loads((release / "context.jsonld").read_text(encoding="utf-8"))
        self.map = {
            k: v if isinstance(v, str) else v["@id"]
            for k, v in context["@context"].items()
            if isinstance(v, str) or (isinstance(v, dict) and v.get("@prefix"))
        }

    def expand(self, curie: str) -> str | None:
        prefix, _, local = curie.partition(":")
        return self.map[prefix] + local if local and prefix in self.map else None


def check_release(release: Path, site: Path | None) -> list[str]:
    """Every disagreement between the outputs of ``release`` (and the pages of ``site``)."""
    from frictionless import Package

    problems: list[str] = []
    graph, sharing = graph_says(release)
    prefixes = Prefixes(release)
    iris = {
        node["id"]: node["iri"]
        for node in map(json.loads, (release / "kgx_nodes.jsonl").read_text().splitlines())
    }
    edges = {
        edge["id"]: edge
        for edge in map(json.loads, (release / "kgx_edges.jsonl").read_text().splitlines())
    }
    schema = json.loads((release / "claims.schema.json").read_text(encoding="utf-8"))
    described = {f["name"]: f["description"] for f in schema["fields"]}
    names = {}
    for name, text in described.items():
        found = re.match(r"The qualifier \S+ \(([^)]+)\)", text)
        if found:
            names[name] = prefixes.expand(found.group(1)) or found.group(1)
    resource = Package(str(release / "datapackage.json")).get_resource("claims")
    with resource:
        rows = {row["claim"]: dict(row) for row in resource.row_stream}
    if set(rows) != set(graph) or set(edges) != set(graph):
        problems.append("the outputs do not have the same claims")
    for claim, said in sorted(graph.items()):
        asserted = said.status == "asserted"
        others = sharing[claim] - {claim}
        if asserted and not said.states_triple:
            problems.append(f"{claim}: the graph lacks the triple of an asserted claim")
        if (
            not asserted
            and said.states_triple
            and not any(graph[o].status == "asserted" for o in others)
        ):
            problems.append(f"{claim}: the graph states the triple of a claim not asserted")
        views = {
            "nanopublication": nanopub_says(release, claim),
            "KGX edge": kgx_says(edges[claim], iris, prefixes),
            "table row": table_says(rows[claim], names, prefixes),
        }
        expected = Said(**{**said.__dict__, "states_triple": asserted})
        for output, other in views.items():
            if other != expected:
                problems.append(f"{claim}: the {output} says {other}, the graph {expected}")
        if site is not None:
            word, quote, start, text = page_says(site, claim, said)
            if not word.startswith(said.status) or quote != said.quote or start != said.start:
                problems.append(f"{claim}: the page says {word!r}, {quote!r} at {start}")
            reading = edges[claim]["kgo_reading"]
            if reading not in " ".join(text.split()):
                problems.append(f"{claim}: the page does not read {reading!r}")
    return problems


def test_every_output_says_the_same_of_every_claim(release: Path, site: Path) -> None:
    assert check_release(release, site) == []


def test_the_check_can_fail(release: Path, tmp_path: Path) -> None:
    """The check catches what the audit found: a nanopublication of a hypothesis that states
    the triple an asserted claim shares, a KGX edge turned into a fact, a table row that
    drops a qualifier."""
    import shutil

    broken = tmp_path / "release"
    shutil.copytree(release, broken)
    hypothesis = broken / "nanopubs/pubmed-22870448/hypothesized-symptom-improvement.trig"
    text = hypothesis.read_text(encoding="utf-8")
    direct = (
        "<http://rdf.ncbi.nlm.nih.gov/pubchem/compound/CID65833> biolink:ameliorates_condition "
        "<http://purl.obolibrary.org/obo/HP_0012531> .\n"
    )
    graph = re.search(r"(<http://purl.org/np/[^>]+#assertion>) \{", text)
    assert graph
    hypothesis.write_text(f"{text}\n{graph.group(1)} {{ {direct} }}\n", encoding="utf-8")
    edges = broken / "kgx_edges.jsonl"
    lines = []
    for line in edges.read_text().splitlines():
        edge = json.loads(line)
        if edge["epistemic_status"] == "assessed":
            edge["predicate"] = edge["kgo_claim_predicate"]
        lines.append(json.dumps(edge))
    edges.write_text("\n".join(lines) + "\n")
    table = broken / "claims.csv"
    table.write_text(table.read_text().replace(",most,", ",,"))
    problems = "\n".join(check_release(broken, None))
    assert "hypothesized-symptom-improvement: the nanopublication" in problems
    assert "symptom-domains-assessed: the KGX edge" in problems
    assert "adverse-events-mild-to-moderate: the table row" in problems


def test_labels_are_unique_within_a_source(release: Path) -> None:
    graph, _ = graph_says(release)
    rows = (release / "claims.csv").read_text(encoding="utf-8")
    import csv
    import io

    table = list(csv.DictReader(io.StringIO(rows)))
    assert len(table) == len(graph)
    by_source: dict[str, list[str]] = defaultdict(list)
    for row in table:
        by_source[row["source"]].append(row["label"])
    for labels in by_source.values():
        assert len(labels) == len(set(labels))


def test_a_claims_page_shows_its_qualifiers_in_its_summary(site: Path) -> None:
    """What the audit found missing from the pages: the qualifiers, in the claim's summary."""
    expected = {
        "adverse-events-mild-to-moderate": ("most of these events", "mild", "moderate"),
        "clinical-studies": ("100 milligram per day", "200 milligram per day", "4 studies"),
        "pain-improvement-reported": ("for up to 15",),
        "preferential-norepinephrine-inhibition": ("preferentially over",),
        "heart-rate-increase": ("in some patients", "as with other serotonin"),
    }
    for key, words in expected.items():
        page = (site / "doc/pubmed-22870448/claim" / f"{key}.html").read_text(encoding="utf-8")
        summary = page.split("<h2>The claim</h2>", 1)[1].split("</table>", 1)[0]
        for word in words:
            assert word in summary, (key, word)
