"""The release: the graph written in every format, byte-identical on every rebuild, and put in
place atomically so that an interrupted or failed build leaves the previous release intact.

Formats: Turtle and JSON-LD (compacted with the published ``context.jsonld``) for people and
most tools; sorted N-Triples (one line a triple, diff-friendly); sorted N-Quads with one named
graph per source, one for the catalogue, one for the ontology and one for the description.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyoxigraph
from rdflib import Dataset, Graph

from kg.validation import union_graph

__all__ = ["RELEASE_FILES", "jsonld_context", "serialize_release", "write_release"]

#: Prefixes left out of Turtle: their local names hold slashes, which Turtle must escape.
MINTED_PREFIXES = frozenset({"kgr"})
RELEASE_FILES = ("context.jsonld", "graph.jsonld", "graph.nq", "graph.nt", "graph.ttl")


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


def serialize_release(dataset: Dataset, namespaces: Mapping[str, str]) -> dict[str, bytes]:
    """Serialise the dataset in every release format; returns file name -> bytes."""
    union = union_graph(dataset)
    context = jsonld_context(namespaces)
    return {
        "context.jsonld": _json_bytes(context),
        "graph.jsonld": _jsonld(union, context),
        "graph.nq": _sorted_lines(
            dataset.serialize(format="nquads", encoding="utf-8"), pyoxigraph.RdfFormat.N_QUADS
        ),
        "graph.nt": _sorted_lines(
            union.serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES
        ),
        "graph.ttl": _turtle(union, namespaces),
    }


def _turtle(graph: Graph, namespaces: Mapping[str, str]) -> bytes:
    """Turtle written by Oxigraph from the sorted triples: subjects grouped, literals exactly as
    built (rdflib's writer turns an xsd:decimal "100" into the different literal 100.0)."""
    lines = _sorted_lines(
        graph.serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES
    )
    triples = pyoxigraph.parse(lines, format=pyoxigraph.RdfFormat.N_TRIPLES)
    prefixes = {name: ns for name, ns in namespaces.items() if name not in MINTED_PREFIXES}
    written = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE, prefixes=prefixes)
    assert written is not None
    text = written.decode("utf-8")
    # Oxigraph writes the prefixes in an order of its own: write them sorted, ourselves.
    body = [line for line in text.split("\n") if not line.startswith("@prefix ")]
    head = [f"@prefix {name}: <{ns}> ." for name, ns in sorted(prefixes.items())]
    return "\n".join([*head, "", *body]).encode("utf-8")


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


def _jsonld(graph: Graph, context: dict[str, Any]) -> bytes:
    """Compacted JSON-LD with the context inline, nodes sorted by @id and values sorted."""
    data = json.loads(
        graph.serialize(format="json-ld", context=context["@context"], auto_compact=True)
    )
    nodes = data.get("@graph", [data])
    for node in nodes:
        for key, value in node.items():
            if isinstance(value, list):
                node[key] = sorted(value, key=lambda v: json.dumps(v, sort_keys=True))
    nodes = sorted(nodes, key=lambda node: str(node.get("@id", "")))
    return _json_bytes({"@context": context["@context"], "@graph": nodes})


def _json_bytes(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_release(files: Mapping[str, bytes], out: Path) -> None:
    """Write the release files into ``out`` so that no reader ever sees a half-written file.

    Every file is first written to a temporary folder beside ``out``; only when all are written
    is each moved into place with an atomic rename. An error or an interruption before that
    leaves ``out`` exactly as it was.
    """
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name, data in files.items():
            with open(staging / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for name in files:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
