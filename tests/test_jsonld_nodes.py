"""The release's JSON-LD nodes (kg.formats.release.jsonld_nodes) are made by rdflib's own
JSON-LD conversion from an index of the graph, not by serializing the graph to JSON and reading
it back: the nodes are the same as the serializer's, for the project's graph and for generated
graphs of every kind of term (typed literals rdflib turns into numbers and booleans, ill-formed
ones, languages, blank nodes, lists, several values and types, IRIs under and outside the
context's prefixes).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from curies import Converter
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import RDF, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.curation.converter import release_converter
from kg.formats import release as written
from kg.formats.release import jsonld_context, jsonld_nodes

PREFIXES = {
    "ex": "https://example.org/ns#",
    "obo": "http://purl.obolibrary.org/obo/GO_",
    "schema": "https://schema.org/",
}
CONTEXT = jsonld_context(PREFIXES)
CONVERTER = Converter.from_prefix_map(PREFIXES)


def serializers_nodes(graph: Graph, context: dict[str, Any], converter: Converter) -> dict:
    """The nodes as the release made them before: the serializer's JSON, read back."""
    data = json.loads(
        graph.serialize(format="json-ld", context=context["@context"], auto_compact=True)
    )
    found = {}
    for node in data.get("@graph", [data]):
        node.pop("@context", None)
        node = written._sorted_values(written._compact_ids(node, converter))
        found[str(node.get("@id", ""))] = written._node_text(node)
    return found


def test_the_projects_graph_has_the_serializers_nodes(release: Path) -> None:
    context = json.loads((release / "context.jsonld").read_text(encoding="utf-8"))
    converter = release_converter(release / "graph.nq")
    graph = Graph().parse(release / "graph.nt", format="nt")
    found = jsonld_nodes(graph, context, converter)
    assert len(found) > 100
    assert found == serializers_nodes(graph, context, converter)


_iris = st.sampled_from(
    [
        URIRef("https://example.org/ns#a"),
        URIRef("https://example.org/ns#b"),
        URIRef("http://purl.obolibrary.org/obo/GO_0001"),
        URIRef("https://schema.org/name"),
        URIRef("https://example.org/ns#"),  # the namespace itself
        URIRef("https://other.example/x/y"),
        URIRef("urn:isbn:123"),
    ]
)
_predicates = st.sampled_from(
    [
        URIRef("https://example.org/ns#p"),
        URIRef("https://schema.org/name"),
        URIRef("https://other.example/q"),
        URIRef("https://example.org/ns#"),
        RDF.type,
    ]
)
_datatypes = st.sampled_from(
    [XSD.integer, XSD.double, XSD.boolean, XSD.string, XSD.decimal, XSD.date, XSD.anyURI]
)
_text = st.text(max_size=12)
_lexical = st.one_of(
    _text,
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=False).map(repr),
    st.sampled_from(["true", "false", "1", "0", "NaN", "INF", "-0", "007", "1e3", "2024-02-30"]),
)
_literals = st.one_of(
    _text.map(Literal),
    st.tuples(_text, st.sampled_from(["en", "en-GB", "fr", "EN"])).map(
        lambda t: Literal(t[0], lang=t[1])
    ),
    st.tuples(_lexical, _datatypes).map(lambda t: Literal(t[0], datatype=t[1])),
)


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    graph = Graph()
    blanks = [BNode(f"b{i}") for i in range(3)]
    subjects = st.one_of(_iris, st.sampled_from(blanks))
    objects = st.one_of(_iris, _literals, st.sampled_from(blanks))
    for _ in range(draw(st.integers(0, 25))):
        graph.add((draw(subjects), draw(_predicates), draw(objects)))
    if draw(st.booleans()):  # an RDF list as a value
        head = BNode("list")
        Collection(graph, head, draw(st.lists(st.one_of(_iris, _literals), max_size=4)))
        graph.add((draw(_iris), URIRef("https://example.org/ns#items"), head))
    return graph


@pytest.mark.filterwarnings("ignore:Parsing weird boolean")  # rdflib on an ill-formed one
@settings(max_examples=300, deadline=None)
@given(graph=graphs())
def test_generated_graphs_have_the_serializers_nodes(graph: Graph) -> None:
    expected = serializers_nodes(graph, CONTEXT, CONVERTER)
    assert same(jsonld_nodes(graph, CONTEXT, CONVERTER), expected)


def same(found: dict[str, str], expected: dict[str, str]) -> bool:
    """Equal, a NaN equal to itself (JSON has no NaN: both write it as Python's json does)."""
    if found == expected:
        return True
    return found.keys() == expected.keys() and all(
        _same(json.loads(found[k]), json.loads(expected[k])) for k in found
    )


def _same(a: Node | Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def test_a_dataset_has_the_serializers_nodes_with_its_named_graphs() -> None:
    """Found by review: the index holds one graph's statements; a dataset's named graphs are
    the serializer's to write."""
    dataset = Dataset()
    named = dataset.graph(URIRef("https://example.org/ns#g"))
    named.add((URIRef("https://example.org/ns#a"), RDF.type, URIRef("https://schema.org/Thing")))
    dataset.add((URIRef("https://example.org/ns#b"), RDF.type, URIRef("https://schema.org/Thing")))
    found = jsonld_nodes(dataset, CONTEXT, CONVERTER)
    assert found == serializers_nodes(dataset, CONTEXT, CONVERTER)
    assert any("ex:g" in text for text in found.values())
