"""Cross-references as an SSSOM mapping set: read from the graph's mapping records, written as
SSSOM TSV (with its YAML metadata block) or RDF, and looked up one entity at a time.

Everything here reads the graph through SPARQL on the embedded engine: ``kg mappings`` and
``kg xrefs`` need only the release, and ``kg build`` writes the SSSOM file from the graph it has
just validated, so the TSV and the triples cannot disagree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox
import yaml

from kg.curation.converter import declared_converter, expand_resource, namespaces
from kg.errors import QueryError
from kg.formats.turtle import write_turtle
from kg.rdf.lines import terms_of
from kg.sparql.query import run_query

__all__ = [
    "SSSOM_COLUMNS",
    "MappingSet",
    "load_mapping_set",
    "mapping_lines",
    "mappings_rdf",
    "render",
    "sssom_tsv",
    "xrefs",
]

#: The SSSOM columns written, in order (a column is left out when no row has a value).
SSSOM_COLUMNS = (
    "subject_id",
    "subject_label",
    "subject_category",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "confidence",
    "comment",
)

_PREFIXES = """
PREFIX biolink: <https://w3id.org/biolink/vocab/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX idot: <http://identifiers.org/idot/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX pav: <http://purl.org/pav/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sh: <http://www.w3.org/ns/shacl#>
PREFIX sssom: <https://w3id.org/sssom/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
"""
_RECORDS = (
    _PREFIXES
    + """
SELECT ?subject ?subject_label (MIN(?category) AS ?subject_category) ?predicate ?object
       ?object_label ?justification ?confidence ?comment
WHERE {
  ?record a owl:Axiom ;
          owl:annotatedSource ?subject ;
          owl:annotatedProperty ?predicate ;
          owl:annotatedTarget ?object ;
          sssom:mapping_justification ?justification ;
          sssom:subject_label ?subject_label .
  OPTIONAL { ?subject biolink:category ?category }
  OPTIONAL { ?record sssom:object_label ?object_label }
  OPTIONAL { ?record sssom:confidence ?confidence }
  OPTIONAL { ?record rdfs:comment ?comment }
}
GROUP BY ?subject ?subject_label ?predicate ?object ?object_label ?justification ?confidence
         ?comment
"""
)
_DATASET = (
    _PREFIXES
    + """
SELECT ?dataset ?title ?version ?license ?publisher WHERE {
  ?dataset a dcat:Dataset ; dcterms:title ?title ; pav:version ?version ;
           dcterms:license ?license ; dcterms:publisher ?publisher .
}
"""
)


@dataclass(frozen=True)
class MappingSet:
    """The mapping set of a release: its metadata, its prefixes and its rows (CURIEs)."""

    metadata: dict[str, object]
    curie_map: dict[str, str]
    rows: tuple[dict[str, str], ...]


_ANNOTATED_SOURCE = "<http://www.w3.org/2002/07/owl#annotatedSource>"
_CATEGORY = "<https://w3id.org/biolink/vocab/category>"


def mapping_lines(lines: Sequence[str]) -> list[str]:
    """Of a graph's canonical lines, those :func:`load_mapping_set` reads its records from: the
    lines of its mapping records (the subjects of an ``owl:annotatedSource``) and the
    ``biolink:category`` lines (a record's subject's category). An article's abstract, title
    and keywords are not among them."""
    records = {terms_of(line)[0] for line in lines if terms_of(line)[1] == _ANNOTATED_SOURCE}
    return [
        line for line in lines if terms_of(line)[1] == _CATEGORY or terms_of(line)[0] in records
    ]


def load_mapping_set(store: ox.Store) -> MappingSet:
    """Read the mapping records of a release (loaded in ``store``) as an SSSOM mapping set.

    :raises QueryError: the store holds no release (no dataset description)
    """
    converter = declared_converter(store)
    used: set[str] = set()

    def curie(term: object) -> str:
        iri = str(getattr(term, "value", term))
        text = converter.compress(iri)
        if text is None:
            return iri
        used.add(text.split(":", 1)[0])
        return text

    rows = []
    for solution in _select(store, _RECORDS):
        row = {
            "subject_id": curie(solution["subject"]),
            "subject_label": _value(solution["subject_label"]),
            "subject_category": curie(solution["subject_category"])
            if solution["subject_category"]
            else "",
            "predicate_id": curie(solution["predicate"]),
            "object_id": curie(solution["object"]),
            "object_label": _value(solution["object_label"]),
            "mapping_justification": curie(solution["justification"]),
            "confidence": _value(solution["confidence"]),
            "comment": _value(solution["comment"]),
        }
        rows.append(row)
    rows.sort(key=lambda r: (r["subject_id"], r["predicate_id"], r["object_id"]))
    metadata = _metadata(store, curie)
    curie_map = {name: namespaces(converter)[name] for name in sorted(used)}
    return MappingSet(metadata, curie_map, tuple(rows))


def _metadata(store: ox.Store, curie: object) -> dict[str, object]:
    solutions = list(_select(store, _DATASET))
    if len(solutions) != 1:
        raise QueryError(
            "the data holds no release description (a dcat:Dataset with title, "
            "version, licence and publisher): is it a kg release?"
        )
    (solution,) = solutions
    release = _value(solution["dataset"])
    assert callable(curie)
    return {
        "mapping_set_id": f"{release}/mappings.sssom.tsv",
        "mapping_set_version": _value(solution["version"]),
        "mapping_set_title": f"{_value(solution['title'])}: cross-references",
        "license": _value(solution["license"]),
        "creator_id": [curie(solution["publisher"])],
    }


def sssom_tsv(mapping_set: MappingSet) -> bytes:
    """The mapping set as SSSOM TSV: a ``#``-commented YAML metadata block, then the table."""
    header = {**mapping_set.metadata, "curie_map": mapping_set.curie_map}
    block = yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000)
    lines = [f"#{line}" for line in block.splitlines()]
    columns = [c for c in SSSOM_COLUMNS if any(row[c] for row in mapping_set.rows)]
    table = io.StringIO()
    writer = csv.writer(table, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in mapping_set.rows:
        writer.writerow([row[c] for c in columns])
    return ("\n".join(lines) + "\n" + table.getvalue()).encode("utf-8")


def mappings_rdf(store: ox.Store) -> bytes:
    """The mapping records and the plain SKOS matches of a release, as Turtle."""
    construct = (
        _PREFIXES
        + """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT { ?record ?p ?o . ?s ?match ?target . }
WHERE {
  { ?record a owl:Axiom ; ?p ?o . }
  UNION
  { ?record a owl:Axiom ; owl:annotatedSource ?s ; owl:annotatedProperty ?match ;
            owl:annotatedTarget ?target .
    ?s ?match ?target . }
}
"""
    )
    result = run_query(store, construct)
    assert isinstance(result, ox.QueryTriples)
    return write_turtle(result, namespaces(declared_converter(store)))


def render(store: ox.Store, fmt: str) -> bytes:
    """The mapping set of a release in one format: ``sssom-tsv`` or ``rdf`` (Turtle)."""
    writers = {
        "sssom-tsv": lambda: sssom_tsv(load_mapping_set(store)),
        "rdf": lambda: mappings_rdf(store),
    }
    if fmt not in writers:
        raise QueryError(f"unknown mapping format {fmt!r} (expected: {', '.join(writers)})")
    return writers[fmt]()


def xrefs(store: ox.Store, resource: str) -> list[dict[str, str]]:
    """An entity's identifiers in other datasets, with mapping predicate and confidence.

    ``resource`` is a CURIE or IRI of one of our entities, or of one of its cross-references
    (then the rows are those of the entity it maps to).

    :raises QueryError: an unknown prefix, or no entity with that identifier
    """
    mapping_set = load_mapping_set(store)
    converter = declared_converter(store)
    iri = expand_resource(converter, resource)
    wanted = converter.compress(iri, passthrough=True)
    subjects = {
        r["subject_id"] for r in mapping_set.rows if wanted in (r["subject_id"], r["object_id"])
    }
    if not subjects:
        raise QueryError(f"no entity of the graph is or maps to {resource}")
    return [dict(r) for r in mapping_set.rows if r["subject_id"] in subjects]


def _select(store: ox.Store, query: str) -> list[ox.QuerySolution]:
    result = run_query(store, query)
    assert isinstance(result, ox.QuerySolutions)
    return list(result)


def _value(term: object) -> str:
    return "" if term is None else str(getattr(term, "value", term))
