"""The release as Biolink KGX: nodes and edges, in TSV and JSON Lines, as the graphs of the
Biolink world (RTX-KG2, ROBOKOP, SPOKE) load one another's edges.

One edge a claim, whatever its status: a negated claim is an edge with ``negated: true``, a
hypothesis keeps ``knowledge_level: prediction``, and the epistemic status itself is carried
(``epistemic_status``), so nothing a reader of the release knows is lost. Node IDs are CURIEs in
the prefixes Biolink prefers (``catalogue/biolink-prefixes.yaml``: ``PUBCHEM.COMPOUND:``,
``UniProtKB:``, ``PMID:``). The edge's Biolink qualifiers are columns of their own; what Biolink
has no slot for (the dose, the study set, the quantifier, the outcome domain...) is carried in
columns named after the kgo: property (``kgo_dose``...), documented in the README.

TSV cells with several values are joined by ``|`` (KGX's convention); JSON Lines keep lists.
Rows are sorted, so the files are byte-identical on rebuild.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox
from curies import Converter

from kg.errors import InputError
from kg.lines import nt_bytes
from kg.lines import term_value as _v
from kg.query import run_query
from kg.records import load_yaml

__all__ = ["INFORES", "Ids", "kgx_files", "load_biolink_prefixes", "source_edges"]

#: The information resource this project publishes as (Biolink's infores registry style).
INFORES = "infores:drugclaims"

_BIOLINK = "https://w3id.org/biolink/vocab/"
_KGO = "https://w3id.org/drugclaims/ontology#"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
#: Claim properties that are the edge's own columns (not qualifiers nor extras).
_CORE = {
    _RDF_TYPE,
    _RDFS_LABEL,
    _BIOLINK + "subject",
    _BIOLINK + "predicate",
    _BIOLINK + "object",
    _BIOLINK + "negated",
    _BIOLINK + "knowledge_level",
    _BIOLINK + "agent_type",
    _BIOLINK + "publications",
    _BIOLINK + "supporting_text",
    _BIOLINK + "has_evidence",
    _KGO + "epistemicStatus",
    _KGO + "evidence",
}
EDGE_COLUMNS = (
    "id",
    "subject",
    "predicate",
    "object",
    "negated",
    "knowledge_level",
    "agent_type",
    "primary_knowledge_source",
    "publications",
    "supporting_text",
    "has_evidence",
    "epistemic_status",
)
NODE_COLUMNS = ("id", "category", "name", "xref", "iri")


def load_biolink_prefixes(path: Path, display: str) -> dict[str, str]:
    """Our prefix -> the prefix Biolink prefers, from ``catalogue/biolink-prefixes.yaml``.

    :raises InputError: the file is malformed
    """
    record = load_yaml(path, display=display, top_level=["biolink"])
    mapping = record.get("biolink") or {}
    if not isinstance(mapping, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise InputError(display, None, "biolink", "expected a mapping of prefix: Biolink prefix")
    return dict(mapping)


class Ids:
    """IRIs as the CURIEs KGX files use (picklable: it travels to the workers)."""

    def __init__(self, converter: Converter, biolink: Mapping[str, str]) -> None:
        self.converter = converter
        self.biolink = {
            (converter.standardize_prefix(ours) or ours): theirs for ours, theirs in biolink.items()
        }

    def __call__(self, iri: str) -> str:
        if iri.startswith(_BIOLINK):
            return "biolink:" + iri[len(_BIOLINK) :]
        curie = self.converter.compress(iri)
        if curie is None:
            return iri
        prefix, local = curie.split(":", 1)
        return f"{self.biolink.get(prefix, prefix)}:{local}"


def source_edges(lines: Iterable[str], ids: Ids) -> tuple[list[dict[str, object]], list[str]]:
    """The KGX edges of one source's claims (its graph's canonical lines), sorted by id, and
    the IRIs of the nodes they name."""
    store = ox.Store()
    store.load(nt_bytes(lines), format=ox.RdfFormat.N_TRIPLES)
    claims: dict[str, dict[str, list[ox.NamedNode | ox.Literal]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for row in run_query(store, f"SELECT ?c ?p ?o WHERE {{ ?c a <{_KGO}Claim> ; ?p ?o }}"):  # type: ignore[attr-defined]
        claims[row["c"].value][row["p"].value].append(row["o"])
    labels = _labels(store)
    pmids = _pmids(store, ids)
    used: set[str] = set()
    edges = [_edge(c, props, ids, labels, used, pmids) for c, props in sorted(claims.items())]
    return edges, sorted(used)


def kgx_files(
    edges: Iterable[dict[str, object]], used: Iterable[str], store: ox.Store, ids: Ids
) -> dict[str, bytes]:
    """The KGX nodes and edges files: the edges of every source, sorted by id, and a node for
    each IRI they name, described from ``store`` (the ontology and the catalogue)."""
    rows = sorted(edges, key=lambda edge: str(edge["id"]))
    labelled = _labels(store)
    nodes = _nodes(store, sorted({iri for iri in used if iri in labelled}), ids)
    edge_columns = list(EDGE_COLUMNS) + sorted({k for e in rows for k in e} - set(EDGE_COLUMNS))
    return {
        "kgx_edges.jsonl": _jsonl(rows),
        "kgx_edges.tsv": _tsv(rows, edge_columns),
        "kgx_nodes.jsonl": _jsonl(nodes),
        "kgx_nodes.tsv": _tsv(nodes, list(NODE_COLUMNS)),
    }


def _pmids(store: ox.Store, ids: Ids) -> dict[str, list[str]]:
    """The PubMed IDs of each article (its checked skos:exactMatch): Biolink cites by PMID."""
    found: dict[str, list[str]] = defaultdict(list)
    for quad in store.quads_for_pattern(None, ox.NamedNode(_SKOS_EXACT), None):
        curie = ids(_v(quad.object))
        if curie.startswith("PMID:"):
            found[_v(quad.subject)].append(curie)
    return found


def _labels(store: ox.Store) -> dict[str, str]:
    found: dict[str, str] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(_RDFS_LABEL), None):
        if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
            found.setdefault(quad.subject.value, quad.object.value)
    return found


def _edge(
    claim: str,
    props: Mapping[str, list[ox.NamedNode | ox.Literal]],
    ids: Ids,
    labels: Mapping[str, str],
    used: set[str],
    pmids: Mapping[str, list[str]],
) -> dict[str, object]:
    def one(prop: str) -> ox.NamedNode | ox.Literal:
        return props[prop][0]

    def value(term: ox.NamedNode | ox.Literal) -> object:
        if isinstance(term, ox.Literal):
            if term.datatype.value.endswith("#boolean"):
                return term.value == "true"
            return term.value
        iri = term.value
        if iri.startswith(claim + "/"):  # a node minted for this claim: a dose, a study set
            return labels.get(iri, iri)
        if iri.startswith(_KGO):
            return "kgo:" + iri[len(_KGO) :]
        return ids(iri)

    subject, obj = one(_BIOLINK + "subject").value, one(_BIOLINK + "object").value
    used.update((subject, obj))
    edge: dict[str, object] = {
        "id": claim,
        "subject": ids(subject),
        "predicate": ids(one(_BIOLINK + "predicate").value),
        "object": ids(obj),
        "negated": value(one(_BIOLINK + "negated")),
        "knowledge_level": value(one(_BIOLINK + "knowledge_level")),
        "agent_type": value(one(_BIOLINK + "agent_type")),
        "primary_knowledge_source": INFORES,
        "publications": sorted(
            pmid
            for t in props[_BIOLINK + "publications"]
            for pmid in (pmids.get(t.value) or [ids(t.value)])
        ),
        "supporting_text": [value(t) for t in props[_BIOLINK + "supporting_text"]],
        "has_evidence": sorted(ids(t.value) for t in props.get(_BIOLINK + "has_evidence", [])),
        "epistemic_status": one(_KGO + "epistemicStatus").value[len(_KGO) :].lower(),
    }
    for prop, terms in sorted(props.items()):
        if prop in _CORE:
            continue
        if prop.startswith(_BIOLINK):
            name = prop[len(_BIOLINK) :]
        elif prop.startswith(_KGO):
            name = "kgo_" + _snake(prop[len(_KGO) :])
        elif prop == _RDFS_COMMENT:
            name = "kgo_note"
        else:
            name = ids(prop)
        values = sorted((value(t) for t in terms), key=str)
        for term in terms:  # an entity a qualifier names is a node too
            if isinstance(term, ox.NamedNode) and not term.value.startswith((claim, _KGO)):
                used.add(term.value)  # a node if the catalogue describes it (kgx_files)
        edge[name] = values[0] if len(values) == 1 and prop.startswith(_BIOLINK) else values
    return edge


def _nodes(store: ox.Store, iris: Iterable[str], ids: Ids) -> list[dict[str, object]]:
    nodes: list[dict[str, object]] = []
    for iri in iris:
        node = ox.NamedNode(iri)
        categories = sorted(
            ids(q.object.value)
            for q in store.quads_for_pattern(node, ox.NamedNode(_BIOLINK + "category"), None)
            if isinstance(q.object, ox.NamedNode)
        )
        name = next(
            (_v(q.object) for q in store.quads_for_pattern(node, ox.NamedNode(_RDFS_LABEL), None)),
            "",
        )
        xrefs = sorted(
            ids(q.object.value)
            for q in store.quads_for_pattern(node, ox.NamedNode(_SKOS_EXACT), None)
            if isinstance(q.object, ox.NamedNode)
        )
        nodes.append(
            {"id": ids(iri), "category": categories, "name": name, "xref": xrefs, "iri": iri}
        )
    return sorted(nodes, key=lambda n: str(n["id"]))


def _snake(name: str) -> str:
    """``maximumDuration`` -> ``maximum_duration``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _jsonl(rows: Iterable[Mapping[str, object]]) -> bytes:
    return "".join(
        json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows
    ).encode("utf-8")


def _tsv(rows: Iterable[Mapping[str, object]], columns: list[str]) -> bytes:
    lines = ["\t".join(columns)]
    for row in rows:
        lines.append("\t".join(_cell(row.get(column, "")) for column in columns))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(_cell(v) for v in value)
    # a tab, a newline or a | would break the row or the list: escaped with a backslash
    text = str(value).replace("\\", "\\\\")
    for char, escaped in (("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"), ("|", "\\|")):
        text = text.replace(char, escaped)
    return text
