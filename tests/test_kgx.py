"""The KGX nodes and edges: checked against the Biolink model of the biolink-model package with
bmt, offline (its schema file, and no predicate map to fetch), and read back edge for edge
against the claims of the release, negation and predictions kept."""

from __future__ import annotations

import csv
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import ID_BASE, project_sources, source_meta

from kg.runtime.offline import offline

ROOT = Path(__file__).resolve().parents[1]
KGO = "https://w3id.org/drugclaims/ontology#"
BIOLINK = "https://w3id.org/biolink/vocab/"


@pytest.fixture(scope="module")
def toolkit() -> Any:
    bmt = pytest.importorskip("bmt")
    schema = files("biolink_model").joinpath("schema").joinpath("biolink_model.yaml")
    with offline():  # the default schema and predicate map are URLs: refused here
        return bmt.Toolkit(schema=str(schema), predicate_map={"predicate mappings": []})


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_the_toolkit_can_say_no(toolkit: Any) -> None:
    """The checks below can fail: a reversed edge and made-up names are refused."""
    assert toolkit.validate_edge("biolink:Drug", "biolink:treats", "biolink:Disease")
    assert not toolkit.validate_edge("biolink:Disease", "biolink:treats", "biolink:Drug")
    assert not toolkit.is_category("biolink:Medicine")
    assert not toolkit.is_predicate("biolink:cures")
    assert not toolkit.is_permissible_value_of_enum("KnowledgeLevelEnum", "a guess")


def test_every_term_is_biolinks_and_every_edge_fits(release: Path, toolkit: Any) -> None:
    nodes = {node["id"]: node for node in jsonl(release / "kgx_nodes.jsonl")}
    edges = jsonl(release / "kgx_edges.jsonl")
    assert edges and nodes
    for node in nodes.values():
        assert node["category"], node["id"]
        assert all(toolkit.is_category(c) for c in node["category"]), node
    for edge in edges:
        assert toolkit.is_predicate(edge["predicate"]), edge["id"]
        fits = [
            toolkit.validate_edge(s, edge["predicate"], o)
            for s in nodes[edge["subject"]]["category"]
            for o in nodes[edge["object"]]["category"]
        ]
        assert any(fits), edge["id"]
        assert toolkit.is_permissible_value_of_enum("KnowledgeLevelEnum", edge["knowledge_level"])
        assert toolkit.is_permissible_value_of_enum("AgentTypeEnum", edge["agent_type"])
        for name, value in edge.items():
            if name.endswith("_qualifier"):
                assert toolkit.is_qualifier(name), name
                assert toolkit.validate_qualifier(name, value), (name, value)
            elif name == "clinical_approval_status":
                assert toolkit.is_permissible_value_of_enum("ClinicalApprovalStatusEnum", value)
            elif not name.startswith("kgo_") and name not in ("id", "epistemic_status"):
                assert toolkit.get_element(name) is not None, f"{name} is not a Biolink slot"


def test_the_edges_are_the_claims_of_the_release(release: Path) -> None:
    """Read back, edge for edge: the claim (subject, object, its own predicate, negation, status,
    quote, span) is there whole, and the Biolink columns say only what holds of it."""
    store = ox.Store()
    store.load(path=str(release / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    claims = {
        row["c"].value: (
            row["s"].value,
            row["p"].value,
            row["o"].value,
            row["n"].value == "true",
            row["st"].value[len(KGO) :].lower(),
            row["q"].value,
            int(row["start"].value),
            int(row["end"].value),
        )
        for row in store.query(
            f"SELECT * WHERE {{ ?c a <{KGO}Claim> ; <{BIOLINK}subject> ?s ; "
            f"<{BIOLINK}predicate> ?p ; <{BIOLINK}object> ?o ; <{BIOLINK}negated> ?n ; "
            f"<{KGO}epistemicStatus> ?st ; <{BIOLINK}supporting_text> ?q ; "
            f"<{KGO}evidence>/<http://www.w3.org/ns/oa#hasSelector> ?at . "
            f"?at <http://www.w3.org/ns/oa#start> ?start ; <http://www.w3.org/ns/oa#end> ?end }}"
        )
    }
    iris = {node["id"]: node["iri"] for node in jsonl(release / "kgx_nodes.jsonl")}
    edges = {edge["id"]: edge for edge in jsonl(release / "kgx_edges.jsonl")}
    assert {
        claim: (
            iris[edge["subject"]],
            _expand(edge["kgo_claim_predicate"]),
            iris[edge["object"]],
            edge["kgo_claim_negated"],
            edge["epistemic_status"],
            edge["supporting_text"][0],
            edge["kgo_span_start"],
            edge["kgo_span_end"],
        )
        for claim, edge in edges.items()
    } == claims
    statuses = {edge["epistemic_status"] for edge in edges.values()}
    assert statuses == {"asserted", "negated", "hypothesis", "assessed"}
    for edge in edges.values():
        status, own = edge["epistemic_status"], edge["kgo_claim_predicate"]
        if status == "assessed":  # a method, no result: never an efficacy edge
            assert (edge["predicate"], edge["knowledge_level"]) == (
                "biolink:in_clinical_trials_for",
                "knowledge_assertion",
            ), edge["id"]
            assert edge["negated"] is False
            continue
        # the claim's own predicate, or for one of the project's its Biolink superproperty
        assert edge["predicate"] == (own if own.startswith("biolink:") else "biolink:related_to")
        assert edge["negated"] == edge["kgo_claim_negated"]
        if status == "hypothesis":  # Biolink's "prediction" (alias: hypothesis)
            assert edge["knowledge_level"] == "prediction", edge["id"]
        else:
            assert edge["knowledge_level"] in ("knowledge_assertion", "observation"), edge["id"]
            assert edge["negated"] == (status == "negated"), edge["id"]


def test_tsv_and_jsonl_say_the_same(release: Path) -> None:
    for kind in ("nodes", "edges"):
        rows = jsonl(release / f"kgx_{kind}.jsonl")
        table = tsv(release / f"kgx_{kind}.tsv")
        assert len(rows) == len(table)
        for row, line in zip(rows, table, strict=True):
            for name, value in row.items():
                cell = line[name]
                if name == "negated":  # empty when false: kgx reads "false" as true
                    assert cell == ("true" if value else "")
                elif isinstance(value, bool):
                    assert cell == str(value).lower()
                elif isinstance(value, list):
                    parts = [p.replace("\\|", "|") for p in _split(cell)] if cell else []
                    assert parts == [_text(v) for v in value], (kind, name)
                else:
                    assert cell.replace("\\|", "|") == str(value), (kind, name)


def _expand(curie: str) -> str:
    """A claim predicate's CURIE (biolink: or the project's kgo:) as its IRI."""
    prefix, _, local = curie.partition(":")
    return {"biolink": BIOLINK, "kgo": KGO}[prefix] + local


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _split(cell: str) -> list[str]:
    """A TSV cell's values: split at every | not escaped."""
    parts, current, escaped = [], "", False
    for char in cell:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def test_nodes_use_the_prefixes_biolink_prefers(release: Path) -> None:
    biolink = json.loads(
        files("biolink_model").joinpath("prefixmaps/biolink-model-prefix-map.json").read_text()
    )
    import yaml

    ours = yaml.safe_load((ROOT / "catalogue" / "biolink-prefixes.yaml").read_text())["biolink"]
    assert set(ours.values()) <= set(biolink), set(ours.values()) - set(biolink)
    ids = {node["id"].split(":", 1)[0] for node in jsonl(release / "kgx_nodes.jsonl")}
    assert {"PUBCHEM.COMPOUND", "UniProtKB", "MONDO"} <= ids
    expected = {}  # each claim's article: by its PMID (PMID:, Biolink's prefix), else its DOI
    for meta in map(source_meta, project_sources()):
        article = meta["article"]
        local = (article.get("pmid") or article["id"]).split(":", 1)[1]
        expected[f"{ID_BASE}{meta['key']}/"] = ("PMID:" if "pmid" in article else "doi:") + local
    for edge in jsonl(release / "kgx_edges.jsonl"):
        source = edge["id"][: edge["id"].index("/claim/") + 1]
        assert edge["publications"] == [expected[source]], edge["id"]


FORMATS = {
    "tsv": ["kgx_nodes.tsv", "kgx_edges.tsv"],
    "jsonl": ["kgx_nodes.jsonl", "kgx_edges.jsonl"],
}
#: What the comparisons below look at, with kgx's types made ours (its TSV reader gives text).
COMPARED = (
    "subject",
    "predicate",
    "object",
    "negated",
    "knowledge_level",
    "epistemic_status",
    "kgo_claim_predicate",
    "kgo_span_start",
    "kgo_span_end",
    "supporting_text",
    "publications",
)


def _as_read(edge: dict[str, Any]) -> dict[str, Any]:
    """An edge's compared fields, as plain values (an absent ``negated`` is Biolink's false)."""
    found = {name: edge.get(name) for name in COMPARED}
    found["negated"] = bool(found["negated"])
    for name in ("kgo_span_start", "kgo_span_end"):
        found[name] = int(str(found[name]))
    for name in ("supporting_text", "publications"):
        value = found[name]
        found[name] = sorted(value) if isinstance(value, list) else [value]
    return found


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_kgx_streams_every_claim_as_it_is(release: Path, kind: str) -> None:
    """The kgx library (offline, on the biolink-model package's schema), streaming: every
    claim comes back one edge, with its negation, level, status, quote and span; the nodes
    too."""
    from kgx_offline import read_kgx

    ours = {edge["id"]: edge for edge in jsonl(release / "kgx_edges.jsonl")}
    names = [str(release / name) for name in FORMATS[kind]]
    nodes, edges = read_kgx(names, kind, stream=True)
    read = {edge["id"]: edge for edge in edges}
    assert len(edges) == len(read) == len(ours)
    assert {i: _as_read(e) for i, e in read.items()} == {i: _as_read(e) for i, e in ours.items()}
    assert {n["id"] for n in jsonl(release / "kgx_nodes.jsonl")} == set(nodes)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_kgx_graph_mode_merges_only_claims_that_share_a_triple(release: Path, kind: str) -> None:
    """kgx's default graph mode keys edges by subject-predicate-object (its limit, noted in the
    README: read with --stream to keep every claim): claims that share a triple become one
    edge there. What a Biolink consumer reads of each edge it keeps (predicate, negation,
    level, status) is still one claim's, never a mix; negation is right in both formats; every
    claim with a triple of its own comes back whole."""
    from kgx_offline import read_kgx

    ours = {edge["id"]: edge for edge in jsonl(release / "kgx_edges.jsonl")}
    names = [str(release / name) for name in FORMATS[kind]]
    _, edges = read_kgx(names, kind, stream=False)
    triples: dict[tuple[str, str, str], list[str]] = {}
    for claim, edge in ours.items():
        triples.setdefault((edge["subject"], edge["predicate"], edge["object"]), []).append(claim)
    assert len(edges) == len(triples)
    biolink = ("predicate", "negated", "knowledge_level", "epistemic_status")
    for edge in edges:
        mine = ours[edge["id"]]
        assert {k: _as_read(edge)[k] for k in biolink} == {k: _as_read(mine)[k] for k in biolink}
        shared = triples[(edge["subject"], edge["predicate"], edge["object"])]
        if len(shared) == 1:  # a claim with a triple of its own comes back whole
            assert _as_read(edge) == _as_read(mine)
    negated = {e["id"] for e in edges if e.get("negated")}
    assert negated and negated <= {c for c, e in ours.items() if e["negated"]}
