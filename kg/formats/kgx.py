"""The release as Biolink KGX: nodes and edges, in TSV and JSON Lines, as the graphs of the
Biolink world (RTX-KG2, ROBOKOP, SPOKE) load one another's edges.

One edge a claim, whatever its status, made from the claim's view (:mod:`kg.views`): the
edge's subject, predicate, object, ``negated`` and ``knowledge_level`` are the view's Biolink
edge, which stays true when every column Biolink does not define is ignored (a negated claim is
its edge with ``negated: true``, a hypothesis its edge at the level ``prediction``, an assessed
claim the edge ``in_clinical_trials_for``, never an efficacy edge); the claim itself travels
beside it (``epistemic_status``, ``kgo_claim_predicate``, ``kgo_reading``, the quote's span), so
nothing a reader of the release knows is lost. Node IDs are CURIEs in
the prefixes Biolink prefers (``catalogue/biolink-prefixes.yaml``: ``PUBCHEM.COMPOUND:``,
``UniProtKB:``, ``PMID:``). The edge's Biolink qualifiers are columns of their own; what Biolink
has no slot for (the dose, the study set, the quantifier, the outcome domain...) is carried in
columns named after the kgo: property (``kgo_dose``...), documented in the README.

TSV cells with several values are joined by ``|`` (KGX's convention); JSON Lines keep lists.
Rows are sorted, so the files are byte-identical on rebuild. For the ``kgx`` library, ``negated``
is left empty in TSV when false: its TSV reader reads the column with ``bool()``, so the text
"false" would be read as true; an empty cell is read as absent, Biolink's false. (kgx's graph
mode keys its edges by subject-predicate-object and merges the claims that share a triple,
attribute by attribute; a ``key`` column, which its graph store would honour, makes it fail.
Read the files with ``--stream``, or as they are: see the README.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping

import pyoxigraph as ox
from curies import Converter
from rdflib.term import URIRef

from kg.model import QualifierValue
from kg.namespaces import BIOLINK, KGO, RDFS, SKOS
from kg.rdf.lines import term_value as _v
from kg.runtime.spool import WorkFolder
from kg.views import AGENT_TYPE, ASSOCIATION_SLOTS, ClaimView, local_name

__all__ = [
    "INFORES",
    "Ids",
    "claim_edge",
    "source_edges",
    "write_kgx",
]

#: The information resource this project publishes as (Biolink's infores registry style).
INFORES = "infores:drugclaims"

_BIOLINK = str(BIOLINK)
_KGO = str(KGO)
_RDFS_LABEL = str(RDFS.label)
_SKOS_EXACT = str(SKOS.exactMatch)
EDGE_COLUMNS = (
    "id",
    *ASSOCIATION_SLOTS,
    "primary_knowledge_source",
    "epistemic_status",
    "kgo_claim_predicate",
    "kgo_claim_negated",
    "kgo_label",
    "kgo_reading",
    "kgo_span_start",
    "kgo_span_end",
)
NODE_COLUMNS = ("id", "category", "name", "xref", "iri")


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


def source_edges(views: Iterable[ClaimView], ids: Ids) -> tuple[list[dict[str, object]], list[str]]:
    """The KGX edges of one source's claims (their views, see :mod:`kg.views`), sorted by id,
    and the IRIs of the nodes they name."""
    used: set[str] = set()
    edges = [claim_edge(view, ids, used) for view in views]
    return sorted(edges, key=lambda edge: str(edge["id"])), sorted(used)


def claim_edge(view: ClaimView, ids: Ids, used: set[str]) -> dict[str, object]:
    """A claim as a KGX edge: the Biolink edge of its view (true with every ``kgo_`` column
    ignored), and the claim itself (predicate, status, reading, span, qualifiers) beside it.
    The IRIs of the nodes it names are added to ``used``."""
    edge = view.edge
    used.update((str(view.subject), str(view.object)))
    row: dict[str, object] = {
        "id": str(view.iri),
        "subject": ids(str(view.subject)),
        "predicate": ids(str(edge.predicate)),
        "object": ids(str(view.object)),
        "negated": edge.negated,
        "knowledge_level": edge.knowledge_level,
        "agent_type": AGENT_TYPE,
        "primary_knowledge_source": INFORES,
        "publications": [f"PMID:{view.pmid}"] if view.pmid else [ids(str(view.article))],
        "supporting_text": [view.span.exact],
        "has_evidence": [ids(str(view.evidence_type))] if view.evidence_type else [],
        "epistemic_status": view.status_word,
        "kgo_claim_predicate": ids(str(view.predicate)),
        "kgo_claim_negated": view.negated,
        "kgo_label": view.label,
        "kgo_reading": view.reading,
        "kgo_span_start": view.span.start,
        "kgo_span_end": view.span.end,
    }
    if view.note:
        row["kgo_note"] = view.note
    own = edge.predicate == view.predicate  # the qualifiers qualify the edge's own predicate
    for qualifier in view.qualifiers:
        prop = str(qualifier.property)
        if prop.startswith(_BIOLINK) and own:
            name = prop[len(_BIOLINK) :]
        elif prop.startswith(_BIOLINK):
            name = "kgo_claim_" + prop[len(_BIOLINK) :]
        else:
            name = "kgo_" + _snake(local_name(qualifier.property))
        values = [
            _value(value, label, ids)
            for value, label in zip(qualifier.values, qualifier.labels, strict=True)
        ]
        for value in qualifier.values:  # an entity a qualifier names is a node too
            if isinstance(value, URIRef) and not str(value).startswith(_KGO):
                used.add(str(value))  # a node if the catalogue describes it (kgx_files)
        row[name] = values[0] if len(values) == 1 and name.endswith(_SCALAR) else values
    return row


#: What a TSV cell escapes.
_ESCAPED = re.compile(r"[\\\t\n\r|]")

#: Biolink slots of one value (qualifiers, the approval status), written as a scalar.
_SCALAR = ("_qualifier", "clinical_approval_status")


def _value(value: QualifierValue, label: str, ids: Ids) -> object:
    """A qualifier value in a KGX cell: an entity's or term's CURIE, text, a boolean, or the
    label of a node minted for the claim (a dose, a study set)."""
    if isinstance(value, URIRef):
        iri = str(value)
        return "kgo:" + iri[len(_KGO) :] if iri.startswith(_KGO) else ids(iri)
    if isinstance(value, bool | str):
        return value
    return label


def write_kgx(
    work: WorkFolder,
    edges: Iterable[Mapping[str, object]],
    keys: Iterable[str],
    used: Iterable[str],
    store: ox.Store,
    ids: Ids,
) -> None:
    """The KGX nodes and edges files, into ``work``: the edges of every source, given sorted by
    id with the ``keys`` they use, and a node for each IRI they name, described from ``store``
    (the ontology and the catalogue)."""
    labelled = _labels(store)
    nodes = _nodes(store, sorted({iri for iri in used if iri in labelled}), ids)
    edge_columns = list(EDGE_COLUMNS) + sorted(set(keys) - set(EDGE_COLUMNS))
    with work.open("kgx_edges.jsonl") as jsonl, work.open("kgx_edges.tsv") as tsv:
        tsv.write(_tsv_header(edge_columns))
        for rows in _batches(edges, 4096):
            jsonl.write(_jsonl(rows))
            tsv.write(_tsv_rows(rows, edge_columns))
    work.write("kgx_nodes.jsonl", _jsonl(nodes))
    work.write(
        "kgx_nodes.tsv", _tsv_header(list(NODE_COLUMNS)) + _tsv_rows(nodes, list(NODE_COLUMNS))
    )


def _batches(
    items: Iterable[Mapping[str, object]], size: int
) -> Iterator[list[Mapping[str, object]]]:
    batch: list[Mapping[str, object]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _labels(store: ox.Store) -> dict[str, str]:
    found: dict[str, str] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(_RDFS_LABEL), None):
        if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
            found.setdefault(quad.subject.value, quad.object.value)
    return found


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


def _tsv_header(columns: list[str]) -> bytes:
    return ("\t".join(columns) + "\n").encode("utf-8")


def _tsv_rows(rows: Iterable[Mapping[str, object]], columns: list[str]) -> bytes:
    lines = []
    for row in rows:
        cells = {column: row.get(column, "") for column in columns}
        if cells.get("negated") is False:  # kgx reads "false" as true: see the module's notes
            cells["negated"] = ""
        lines.append("\t".join(_cell(cells[column]) for column in columns) + "\n")
    return "".join(lines).encode("utf-8")


def _cell(value: object) -> str:
    if isinstance(value, str) and not _ESCAPED.search(value):
        return value  # most cells: nothing to escape
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(_cell(v) for v in value)
    # a tab, a newline or a | would break the row or the list: escaped with a backslash
    text = str(value).replace("\\", "\\\\")
    for char, escaped in (("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"), ("|", "\\|")):
        text = text.replace(char, escaped)
    return text
