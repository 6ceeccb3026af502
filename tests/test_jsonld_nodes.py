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
from hypothesis import event, given, settings
from hypothesis import strategies as st
from rdflib import RDF, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.curation.converter import release_converter
from kg.formats import release as written
from kg.formats.release import jsonld_context, jsonld_nodes, jsonld_nodes_direct
from kg.rdf.lines import nt_bytes, nt_lines

ROOT = Path(__file__).resolve().parents[1]
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


# The direct conversion (jsonld_nodes_direct): from a graph's canonical lines, without rdflib's
# graph, the nodes rdflib's conversion makes, or None where it does not know the terms.


def test_the_projects_sources_are_made_directly(release: Path) -> None:
    """Every source of the project: its nodes made from its lines (the way the build takes),
    the same as rdflib's from the graph the source's unit builds."""
    from kg.build import pipeline
    from kg.build.units import source_graph_of
    from kg.curation.project import Project
    from kg.curation.sources import Folder

    prepared = pipeline.prepare(Project(ROOT))
    context = prepared.context
    for folder in prepared.shared.folders:
        _, _, graph = source_graph_of(context, Folder.of(folder, root=ROOT).read())
        direct = jsonld_nodes_direct(nt_lines(graph), context.jsonld_context, context.converter)
        assert direct is not None, folder  # the direct way is the one the build takes
        assert direct == jsonld_nodes(graph, context.jsonld_context, context.converter)


_plain_predicates = st.sampled_from(
    [
        URIRef("https://example.org/ns#p"),
        URIRef("https://schema.org/name"),
        URIRef("https://other.example/q"),
        URIRef("http://purl.obolibrary.org/obo/GO_0002"),
    ]
)
_plain_literals = st.one_of(
    st.text(min_size=1, max_size=12).map(Literal),
    st.tuples(_text, st.sampled_from(["en", "en-gb", "fr"])).map(
        lambda t: Literal(t[0], lang=t[1])
    ),
    st.integers(-(10**20), 10**20)
    .filter(bool)
    .map(lambda n: Literal(str(n), datatype=XSD.integer)),
    st.just(Literal("true", datatype=XSD.boolean)),
    st.tuples(_text, st.sampled_from([XSD.decimal, XSD.date, XSD.anyURI, XSD.gYearMonth])).map(
        lambda t: Literal(t[0], datatype=t[1])
    ),
)
#: what rdflib's conversion drops when another value of its key follows it
_falsy = st.sampled_from(
    [Literal(""), Literal("0", datatype=XSD.integer), Literal("false", datatype=XSD.boolean)]
)


@st.composite
def plain_graphs(draw: st.DrawFn, falsy: bool = False) -> Graph:
    """Graphs of the terms a source's graph holds: IRIs (as types too), strings, language
    strings, integers, booleans and other typed literals; no blank node, no list, no
    double; with ``falsy``, values rdflib's conversion may drop."""
    graph = Graph()
    objects = st.one_of(_iris, _plain_literals, *([_falsy] if falsy else []))
    for _ in range(draw(st.integers(0, 20))):
        if draw(st.integers(0, 4)) == 0:
            graph.add((draw(_iris), RDF.type, draw(_iris)))
        else:
            graph.add((draw(_iris), draw(_plain_predicates), draw(objects)))
    return graph


@pytest.mark.filterwarnings("ignore:Parsing weird boolean")
@pytest.mark.filterwarnings("ignore:Failed to convert Literal")
@settings(max_examples=300, deadline=None)
@given(graph=st.one_of(graphs(), plain_graphs(), plain_graphs(falsy=True)))
def test_generated_graphs_are_made_directly_as_rdflib_makes_them(graph: Graph) -> None:
    """The graph of the lines (as the shared graphs' nodes are made), blank nodes, lists,
    doubles and all: the direct conversion's nodes, where it makes them, are rdflib's."""
    lines = nt_lines(graph)
    read = Graph().parse(data=nt_bytes(lines), format="nt")
    direct = jsonld_nodes_direct(lines, CONTEXT, CONVERTER)
    event("direct" if direct is not None else "left to rdflib")
    if direct is not None:
        assert same(direct, jsonld_nodes(read, CONTEXT, CONVERTER))


@settings(max_examples=200, deadline=None)
@given(graph=plain_graphs(falsy=True))
def test_a_plain_graph_is_made_directly_unless_rdflib_drops_a_value(graph: Graph) -> None:
    """Where the direct conversion leaves a graph of plain terms to rdflib, rdflib's own
    conversion drops a value (a first value "", 0 or false of a key that has another)."""
    lines = nt_lines(graph)
    if jsonld_nodes_direct(lines, CONTEXT, CONVERTER) is None:
        read = Graph().parse(data=nt_bytes(lines), format="nt")
        kept = sum(
            _count(json.loads(text)) for text in jsonld_nodes(read, CONTEXT, CONVERTER).values()
        )
        assert kept < len(lines)


def _count(node: dict[str, Any]) -> int:
    """The statements a node's JSON holds (each value of each key but @id)."""
    return sum(len(v) if isinstance(v, list) else 1 for k, v in node.items() if k != "@id")


@pytest.mark.parametrize(
    "objects",
    [
        [Literal(0), Literal(5)],  # rdflib's conversion drops a first value 0, "" or false
        [Literal(""), Literal("b")],
        [Literal(1.5)],  # a double: rdflib writes its own form of it
        [BNode("b")],
        [RDF.nil],  # rdflib writes it as an empty list
    ],
)
def test_what_the_direct_conversion_does_not_know_is_left_to_rdflib(objects: list[Node]) -> None:
    graph = Graph()
    for obj in objects:
        graph.add((URIRef("https://example.org/ns#a"), URIRef("https://example.org/ns#p"), obj))
    assert jsonld_nodes_direct(nt_lines(graph), CONTEXT, CONVERTER) is None


@pytest.mark.parametrize(
    "obj",
    [
        f'"007 "^^<{XSD.integer}>',  # ill-formed: rdflib reads them its own way
        f'"yes"^^<{XSD.boolean}>',
        f'"1"^^<{XSD.integer}>',
    ],
)
def test_an_ill_formed_number_or_boolean_is_left_to_rdflib(obj: str) -> None:
    line = f"<https://example.org/ns#a> <https://example.org/ns#p> {obj}"
    found = jsonld_nodes_direct([line], CONTEXT, CONVERTER)
    assert (found is None) == (obj != f'"1"^^<{XSD.integer}>')


@pytest.mark.parametrize(
    ("subject", "predicate", "obj"),
    [
        ("https://example.org/ns#a", "https://example.org/ns#", "https://example.org/ns#b"),
        ("https://example.org/ns#a", str(RDF.type), None),  # a literal as a type
    ],
)
def test_a_term_of_the_context_as_a_predicate_is_left_to_rdflib(
    subject: str, predicate: str, obj: str | None
) -> None:
    graph = Graph()
    value = URIRef(obj) if obj is not None else Literal("x")
    graph.add((URIRef(subject), URIRef(predicate), value))
    assert jsonld_nodes_direct(nt_lines(graph), CONTEXT, CONVERTER) is None


def test_a_language_tag_is_written_as_the_lines_have_it() -> None:
    """Oxigraph writes a language tag in lower case in graph.nt (and every other file made
    from the lines): the direct conversion writes it so too."""
    graph = Graph()
    graph.add(
        (
            URIRef("https://example.org/ns#a"),
            URIRef("https://schema.org/name"),
            Literal("colour", lang="en-GB"),
        )
    )
    (text,) = jsonld_nodes_direct(nt_lines(graph), CONTEXT, CONVERTER).values()
    assert json.loads(text)["schema:name"] == {"@language": "en-gb", "@value": "colour"}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(value=_json)
def test_a_node_is_written_as_json_writes_it(value: Any) -> None:
    """A node's text is json.dumps's, indented, keys sorted, not ASCII-escaped (NaN and the
    infinities as json writes them), each line four spaces further in."""
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
    assert written._node_text(value) == "\n".join("    " + line for line in text.split("\n"))
