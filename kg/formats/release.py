"""The release: the graph written in every format, byte-identical on every rebuild, and put in
place atomically so that an interrupted or failed build leaves the previous release intact.

Formats: Turtle and JSON-LD (compacted with the published ``context.jsonld``) for people and
most tools; sorted N-Triples (one line a triple, diff-friendly); sorted N-Quads with one named
graph per source, one for the catalogue, one for the ontology and one for the description.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from curies import Converter
from rdflib import Graph

from kg.curation.converter import namespaces, prefix_map
from kg.formats.turtle import PLAIN_LOCAL_NAME, write_sorted_ntriples_as_turtle

__all__ = [
    "JsonNodes",
    "jsonld_context",
    "jsonld_nodes",
    "serialize_release",
]


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


JsonNodes = dict[str, str]  # @id -> the node as JSON, as the release writes it


def serialize_release(
    graphs: Sequence[tuple[str, Sequence[str]]],
    nodes: Iterable[JsonNodes],
    converter: Converter,
) -> dict[str, bytes]:
    """Write the release's graphs, given as (graph IRI, canonical lines) in the order that
    decides where a triple two graphs share is kept (the first), and the JSON-LD nodes of
    each (:func:`jsonld_nodes`); returns file name -> bytes.

    Each triple is in one graph only: a store's union of graphs would otherwise answer it
    twice (Oxigraph's does), and every query over the union would count it double. The files
    are written with the converter's preferred prefixes; the published JSON-LD context also
    defines their synonyms (Bioregistry's lower-case ``mondo`` beside ``MONDO``), so that both
    forms of a CURIE expand. Cost: sorting the lines, and Oxigraph writing the Turtle.
    """
    owner: dict[str, str] = {}  # line -> the end of its quad: its graph, first come
    for name, lines in graphs:
        end = f" <{name}> .\n"
        for line in lines:
            owner.setdefault(line, end)
    # one sort serves both files: quads sort as their lines do, since a line that is the
    # start of another ends a literal the other goes on with "@" or "^^", after the space
    # that starts a quad's graph; the files are then joined in C, not line by line
    ordered = sorted(owner)
    ntriples = (" .\n".join(ordered) + " .\n" if ordered else "").encode("utf-8")
    nquads = "".join(map(str.__add__, ordered, map(owner.__getitem__, ordered)))
    del owner
    context = jsonld_context(prefix_map(converter))
    return {
        "context.jsonld": _json_bytes(context),
        "graph.jsonld": _jsonld_document(context, nodes),
        "graph.nq": nquads.encode("utf-8"),
        "graph.nt": ntriples,
        "graph.ttl": write_sorted_ntriples_as_turtle(ntriples, namespaces(converter)),
    }


def jsonld_nodes(graph: Graph, context: Mapping[str, Any], converter: Converter) -> JsonNodes:
    """The nodes of one graph in compacted JSON-LD (the release's context), with node IRIs
    shortened to CURIEs of the context's prefixes (which expand back: those prefixes are
    marked ``@prefix``), so the file reads as plain JSON; each value list sorted."""
    data = json.loads(
        graph.serialize(format="json-ld", context=context["@context"], auto_compact=True)
    )
    found: JsonNodes = {}
    for node in data.get("@graph", [data]):
        node.pop("@context", None)  # a graph of one node is written as that node
        node = _sorted_values(_compact_ids(node, converter))
        found[str(node.get("@id", ""))] = _node_text(node)
    return found


def _jsonld_document(context: Mapping[str, Any], parts: Iterable[JsonNodes]) -> bytes:
    """Compacted JSON-LD with the context inline and the nodes of every part, merged by @id
    (a node several graphs describe, such as an entity a claim asserts something of), sorted
    by @id: as ``json.dumps(..., indent=2, sort_keys=True)`` writes the whole document, but
    from the texts of the nodes, so that only merged nodes are written again."""
    found: dict[str, list[str]] = {}
    for nodes in parts:
        for key, text in nodes.items():
            found.setdefault(key, []).append(text)
    texts = {
        key: described[0] if len(described) == 1 else _node_text(_merge(described))
        for key, described in found.items()
    }
    marker = "@@nodes@@"
    document = json.dumps(
        {"@context": context["@context"], "@graph": [marker]},
        ensure_ascii=False,
        indent=2,
        sort_keys=True,
    )
    body = ",\n".join(texts[key] for key in sorted(texts))
    return (document.replace(f'    "{marker}"', body, 1) + "\n").encode("utf-8")


def _node_text(node: Any) -> str:
    """A node as it is written in the release's @graph, two levels deep."""
    text = json.dumps(node, ensure_ascii=False, indent=2, sort_keys=True)
    return "\n".join("    " + line for line in text.split("\n"))


def _merge(described: Sequence[str]) -> dict[str, Any]:
    """One node from several descriptions of it: each key's values together, once each."""
    values: dict[str, dict[str, Any]] = {}
    for node in map(json.loads, described):
        for key, value in node.items():
            into = values.setdefault(key, {})
            for item in _as_list(value):
                into.setdefault(_key(item), item)
    result = {}
    for key, found in values.items():
        ordered = [found[k] for k in sorted(found)]
        result[key] = ordered[0] if len(ordered) == 1 else ordered
    return result


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _sorted_values(node: dict[str, Any]) -> dict[str, Any]:
    for key, value in node.items():
        if isinstance(value, list):
            node[key] = sorted(value, key=_key)
    return node


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
