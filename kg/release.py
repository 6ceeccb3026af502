"""The release: the graph written in every format, byte-identical on every rebuild, and put in
place atomically so that an interrupted or failed build leaves the previous release intact.

Formats: Turtle and JSON-LD (compacted with the published ``context.jsonld``) for people and
most tools; sorted N-Triples (one line a triple, diff-friendly); sorted N-Quads with one named
graph per source, one for the catalogue, one for the ontology and one for the description.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pyoxigraph
from curies import Converter
from rdflib import Dataset, Graph

from kg.converter import namespaces, prefix_map
from kg.turtle import PLAIN_LOCAL_NAME, write_turtle
from kg.validation import union_graph

__all__ = ["RELEASE_FILES", "jsonld_context", "serialize_release"]

RELEASE_FILES = (
    "context.jsonld",
    "graph.jsonld",
    "graph.nq",
    "graph.nt",
    "graph.ttl",
    "mappings.sssom.tsv",
)


def jsonld_context(namespaces: Mapping[str, str]) -> dict[str, Any]:
    """A JSON-LD 1.1 context of the release's prefixes.

    A prefix whose namespace does not end in ``/`` or ``#`` (``MONDO`` ->
    ``http://purl.obolibrary.org/obo/MONDO_``) is marked ``@prefix: true``, so that JSON-LD 1.1
    processors use it to compact and expand CURIEs.

    >>> context = jsonld_context({"GO": "http://purl.obolibrary.org/obo/GO_",
    ...                           "oa": "http://www.w3.org/ns/oa#"})["@context"]
    >>> context["GO"], context["oa"]
    ({'@id': 'http://purl.obolibrary.org/obo/GO_', '@prefix': True}, 'http://www.w3.org/ns/oa#')
    """
    context: dict[str, Any] = {"@version": 1.1}
    for name, namespace in sorted(namespaces.items()):
        context[name] = (
            namespace if namespace.endswith(("/", "#")) else {"@id": namespace, "@prefix": True}
        )
    return {"@context": context}


def serialize_release(dataset: Dataset, converter: Converter) -> dict[str, bytes]:
    """Serialise the dataset in every release format; returns file name -> bytes.

    The files are written with the converter's preferred prefixes; the published JSON-LD
    context also defines their synonyms (Bioregistry's lower-case ``mondo`` beside ``MONDO``),
    so that both forms of a CURIE expand.
    """
    union = union_graph(dataset)
    context = jsonld_context(prefix_map(converter))
    ntriples = _sorted_lines(
        union.serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES
    )
    return {
        "context.jsonld": _json_bytes(context),
        "graph.jsonld": _jsonld(union, context, converter),
        "graph.nq": _sorted_lines(
            dataset.serialize(format="nquads", encoding="utf-8"), pyoxigraph.RdfFormat.N_QUADS
        ),
        "graph.nt": ntriples,
        "graph.ttl": _turtle(ntriples, namespaces(converter)),
    }


def _turtle(ntriples: bytes, namespaces: Mapping[str, str]) -> bytes:
    """Turtle written by Oxigraph from the sorted N-Triples: rdflib's writer turns an
    xsd:decimal "100" into the different literal 100.0."""
    quads = pyoxigraph.parse(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return write_turtle(
        (pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads), namespaces
    )


def _sorted_lines(data: bytes, rdf_format: pyoxigraph.RdfFormat) -> bytes:
    """Re-parse with the strict parser and write one canonical line a statement, sorted."""
    quads = pyoxigraph.parse(data, format=rdf_format)
    lines = sorted({_line(quad) for quad in quads})
    return "".join(f"{line} .\n" for line in lines).encode("utf-8")


def _line(quad: pyoxigraph.Quad) -> str:
    terms = [quad.subject, quad.predicate, quad.object]
    if not isinstance(quad.graph_name, pyoxigraph.DefaultGraph):
        terms.append(quad.graph_name)
    return " ".join(str(term) for term in terms)


def _jsonld(graph: Graph, context: dict[str, Any], converter: Converter) -> bytes:
    """Compacted JSON-LD with the context inline, nodes sorted by @id and values sorted.

    rdflib leaves node IRIs whole; they are shortened here to CURIEs of the context's prefixes
    (which expand back: those prefixes are marked ``@prefix``), so the file reads as plain JSON.
    """
    data = json.loads(
        graph.serialize(format="json-ld", context=context["@context"], auto_compact=True)
    )
    nodes = [_compact_ids(node, converter) for node in data.get("@graph", [data])]
    for node in nodes:
        for key, value in node.items():
            if isinstance(value, list):
                node[key] = sorted(value, key=lambda v: json.dumps(v, sort_keys=True))
    nodes = sorted(nodes, key=lambda node: str(node.get("@id", "")))
    return _json_bytes({"@context": context["@context"], "@graph": nodes})


def _compact_ids(value: Any, converter: Converter) -> Any:
    """Replace every ``@id`` IRI under a prefix (with a plain local name) by its CURIE."""
    if isinstance(value, list):
        return [_compact_ids(item, converter) for item in value]
    if not isinstance(value, dict):
        return value
    result = {key: _compact_ids(item, converter) for key, item in value.items()}
    iri = result.get("@id")
    curie = converter.compress(iri) if isinstance(iri, str) else None
    if curie is not None and PLAIN_LOCAL_NAME.match(curie.split(":", 1)[1]):
        result["@id"] = curie
    return result


def _json_bytes(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
