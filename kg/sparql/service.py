"""The SPARQL 1.1 Service Description of ``kg serve``'s endpoint (what ``GET /query`` without a
query gives an RDF client): the endpoint, the language, each result format offered, the
features that hold, simple entailment (no inference), and the default dataset: its default
graph (the union of every graph) and each named graph, with its number of triples
(``void:triples``).

See https://www.w3.org/TR/sparql11-service-description/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.sparql.query import run_query
from kg.sparql.worker import RDF_TYPES, RESULT_TYPES

__all__ = ["FORMAT_IRIS", "PREFIXES", "Sizes", "describe_service", "graph_sizes"]

_SD = "http://www.w3.org/ns/sparql-service-description#"
_VOID = "http://rdfs.org/ns/void#"
_FORMATS = "http://www.w3.org/ns/formats/"
_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_TRIPLES = ox.NamedNode(_VOID + "triples")
_INT = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_SIMPLE = ox.NamedNode("http://www.w3.org/ns/entailment/Simple")
#: The prefixes a description is written with.
PREFIXES = {"formats": _FORMATS, "sd": _SD, "void": _VOID}
#: The W3C format IRI of each media type the endpoint answers in.
FORMAT_IRIS = {
    "application/sparql-results+json": _FORMATS + "SPARQL_Results_JSON",
    "application/sparql-results+xml": _FORMATS + "SPARQL_Results_XML",
    "text/csv": _FORMATS + "SPARQL_Results_CSV",
    "text/tab-separated-values": _FORMATS + "SPARQL_Results_TSV",
    "text/turtle": _FORMATS + "Turtle",
    "application/n-triples": _FORMATS + "N-Triples",
    "application/ld+json": _FORMATS + "JSON-LD",
    "application/rdf+xml": _FORMATS + "RDF_XML",
}


@dataclass(frozen=True)
class Sizes:
    """The triples of the endpoint's default graph (the union of every graph), and of each
    named graph by IRI."""

    union: int = 0
    named: Mapping[str, int] = field(default_factory=dict)


def graph_sizes(store: ox.Store) -> Sizes:
    """The sizes of the graphs of ``store`` as the endpoint reads it."""
    rows = run_query(
        store,
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
        union=False,
    )
    assert isinstance(rows, ox.QuerySolutions)
    named = {row["g"].value: int(row["n"].value) for row in rows if row["g"] is not None}
    total = run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert isinstance(total, ox.QuerySolutions)
    return Sizes(int(next(total)["n"].value), named)


def describe_service(
    endpoint: str, graphs: Sizes, *, allow_service: bool = False
) -> list[ox.Triple]:
    """The triples describing the endpoint at IRI ``endpoint`` over ``graphs``.

    >>> triples = describe_service("http://localhost/query", Sizes(3, {"http://a.org/g": 3}))
    >>> ox.Triple(ox.NamedNode("http://localhost/query"), ox.NamedNode(_SD + "endpoint"),
    ...           ox.NamedNode("http://localhost/query")) in triples
    True
    """
    service = ox.NamedNode(endpoint)
    dataset, default = ox.BlankNode("dataset"), ox.BlankNode("default")
    features = ["UnionDefaultGraph", *(["BasicFederatedQuery"] if allow_service else [])]
    found = [
        ox.Triple(service, _TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("defaultEntailmentRegime"), _SIMPLE),  # no inference
        *(ox.Triple(service, _sd("feature"), _sd(name)) for name in features),
        *(
            ox.Triple(service, _sd("resultFormat"), ox.NamedNode(FORMAT_IRIS[media_type]))
            for media_type in dict.fromkeys([*RESULT_TYPES, *RDF_TYPES])
            if media_type in FORMAT_IRIS
        ),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, _TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default),
        ox.Triple(default, _TYPE, _sd("Graph")),
        ox.Triple(default, _TRIPLES, ox.Literal(str(graphs.union), datatype=_INT)),
    ]
    for number, (name, size) in enumerate(sorted(graphs.named.items())):
        named, graph = ox.BlankNode(f"named{number}"), ox.BlankNode(f"graph{number}")
        found += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, _TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(name)),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, _TYPE, _sd("Graph")),
            ox.Triple(graph, _TRIPLES, ox.Literal(str(size), datatype=_INT)),
        ]
    return found


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(_SD + name)
