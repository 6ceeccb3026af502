"""The release: the graph written in every format, byte-identical on every rebuild, and put in
place atomically so that an interrupted or failed build leaves the previous release intact.

Formats: Turtle and JSON-LD (compacted with the published ``context.jsonld``) for people and
most tools; sorted N-Triples (one line a triple, diff-friendly); sorted N-Quads with one named
graph per source, one for the catalogue, one for the ontology and one for the description.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any

import pyoxigraph as ox
from curies import Converter
from rdflib import BNode, Graph
from rdflib.plugins.serializers.jsonld import from_rdf
from rdflib.plugins.shared.jsonld.context import UNDEF, Context
from rdflib.plugins.shared.jsonld.keys import ID, VOCAB
from rdflib.term import Node

from kg.curation.converter import namespaces
from kg.formats.turtle import PLAIN_LOCAL_NAME, write_ntriples_file_as_turtle
from kg.rdf.lines import nt_bytes
from kg.runtime.spool import WorkFolder

__all__ = [
    "JsonNodes",
    "Quad",
    "json_bytes",
    "jsonld_context",
    "jsonld_nodes",
    "jsonld_nodes_direct",
    "jsonld_nodes_of_lines",
    "jsonld_nodes_of_part",
    "line_parts",
    "write_graphs",
    "write_jsonld",
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

#: A statement of the release: its canonical line, the rank of its graph (which decides where
#: a triple two graphs share is kept: the lowest) and the graph's IRI.
Quad = tuple[str, Any, str]


def write_graphs(
    work: WorkFolder,
    quads: Iterable[Quad],
    converter: Converter,
    *,
    each: Callable[[str], object] | None = None,
    shard: Callable[[str], str | None] | None = None,
    turtle: bool = True,
) -> None:
    """Write graph.nt, graph.nq and graph.ttl into ``work`` from the release's statements,
    sorted by line and rank (:class:`~kg.runtime.spool.Sorter`); ``each`` is called with
    every line written (to count statistics on the way). With ``shard`` (a graph's IRI -> the
    name of the shard file that holds it), graph.nq's lines are also written into the shards:
    each holds its graphs' lines of graph.nq, in its order, and together they are graph.nq.

    Each triple is in one graph only, the first of the ranks that hold it: a store's union of
    graphs would otherwise answer it twice (Oxigraph's does), and every query over the union
    would count it double. Quads sort as their lines do (a line that is the start of another
    ends a literal the other goes on with "@" or "^^", after the space that starts a quad's
    graph), so both files are written in one pass. Oxigraph writes the Turtle from graph.nt
    (unless ``turtle`` is false: the caller makes it, as :mod:`kg.build.beside` does).
    """
    with work.open("graph.nt") as nt, work.open("graph.nq") as nq, ExitStack() as files:
        previous = None
        lines: list[str] = []
        graphs: list[str] = []
        shards: dict[str, tuple[Any, list[str]]] = {}
        for line, _, graph in quads:
            if line == previous:
                continue
            previous = line
            lines.append(line)
            graphs.append(f" <{graph}> .\n")
            if each is not None:
                each(line)
            name = shard(graph) if shard is not None else None
            if name is not None:
                if name not in shards:
                    shards[name] = (files.enter_context(work.open(name)), [])
                held = shards[name][1]
                held.append(f"{line} <{graph}> .\n")
                if len(held) >= 8192:
                    _write_shard(*shards[name])
            if len(lines) >= 8192:
                _write_lines(nt, nq, lines, graphs)
                lines, graphs = [], []
        _write_lines(nt, nq, lines, graphs)
        for found in shards.values():
            _write_shard(*found)
    if turtle:
        with work.open("graph.ttl") as ttl:
            write_ntriples_file_as_turtle(work.path("graph.nt"), ttl, namespaces(converter))


def _write_shard(out: Any, held: list[str]) -> None:
    out.write("".join(held).encode("utf-8"))
    held.clear()


def _write_lines(nt: Any, nq: Any, lines: list[str], graphs: list[str]) -> None:
    if lines:  # joined in C, not line by line
        nt.write((" .\n".join(lines) + " .\n").encode("utf-8"))
        nq.write("".join(map(str.__add__, lines, graphs)).encode("utf-8"))


def write_jsonld(
    work: WorkFolder, context: Mapping[str, Any], nodes: Iterable[tuple[str, str]]
) -> None:
    """graph.jsonld: compacted JSON-LD with the context inline and the nodes (@id, text of
    :func:`jsonld_nodes`), sorted by @id, those several graphs describe (such as an entity a
    claim asserts something of) merged: as ``json.dumps(..., indent=2, sort_keys=True)``
    writes the whole document, but from the texts of the nodes, so that only merged nodes
    are written again."""
    marker = "@@nodes@@"
    document = json.dumps(
        {"@context": context["@context"], "@graph": [marker]},
        ensure_ascii=False,
        indent=2,
        sort_keys=True,
    )
    head, tail = document.split(f'    "{marker}"', 1)
    with work.open("graph.jsonld") as out:
        out.write(head.encode("utf-8"))
        first = True
        for _, group in groupby(nodes, key=itemgetter(0)):
            described = [text for _, text in group]
            text = described[0] if len(described) == 1 else _node_text(_merge(described))
            out.write(((",\n" if not first else "") + text).encode("utf-8"))
            first = False
        out.write((tail + "\n").encode("utf-8"))


def jsonld_nodes(graph: Graph, context: Mapping[str, Any], converter: Converter) -> JsonNodes:
    """The nodes of one graph in compacted JSON-LD (the release's context), with node IRIs
    shortened to CURIEs of the context's prefixes (which expand back: those prefixes are
    marked ``@prefix``), so the file reads as plain JSON; each value list sorted.

    The nodes are rdflib's JSON-LD serializer's (``graph.serialize(format="json-ld",
    context=..., auto_compact=True)``), made by its own conversion (:func:`from_rdf`) from an
    index of the graph's statements (:class:`_Indexed`), with no JSON written and read back:
    about two thirds of the time (the tests compare both)."""
    if graph.context_aware:  # a dataset: its named graphs are the serializer's to write
        text = graph.serialize(format="json-ld", context=context["@context"], auto_compact=True)
        data = json.loads(text)
    else:  # the serializer's own call (its use_native_types, a tuple, is true as False is
        # with a context: the context makes the conversion use native types either way)
        data = from_rdf(  # type: ignore[no-untyped-call]
            _Indexed(graph), context["@context"], None, False, False, auto_compact=True
        )
    if isinstance(data, list):
        data = {"@graph": data}
    found: JsonNodes = {}
    for node in data.get("@graph", [data]):
        node.pop("@context", None)  # a graph of one node is written as that node
        node = _sorted_values(_compact_ids(node, converter))
        found[str(node.get("@id", ""))] = _node_text(node)
    return found


_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_TYPE, _RDF_FIRST, _RDF_NIL = _RDF + "type", _RDF + "first", _RDF + "nil"
_STRINGS = (_XSD + "string", _RDF + "langString")
_INTEGER = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class _Unknown(Exception):
    """What the direct conversion does not know: rdflib's own makes the nodes."""


def jsonld_nodes_direct(
    lines: Sequence[str], context: Mapping[str, Any], converter: Converter
) -> JsonNodes | None:
    """The nodes :func:`jsonld_nodes` gives for the graph of ``lines`` (canonical lines, each
    subject's lines all among them), made from the lines by the rules of rdflib's conversion
    (its ``Converter``, with the release's context: prefixes and no other term) without
    building an rdflib graph: about half the time of a source's JSON-LD. None where the
    lines hold what these rules do not cover, and rdflib's conversion is then the one to
    use: a blank node, an RDF list, an ``xsd:double``, an integer or boolean rdflib would
    read in its own way, a term of the context that names a predicate, a typed literal as
    an ``rdf:type``, two nodes of one name, and a key whose first value (``""``, ``0``,
    ``false``) rdflib's conversion drops when another follows (it depends on the order of
    the graph's statements). A language tag is written as the lines have it (in lower case,
    as Oxigraph writes every one in the release's other files).
    """
    try:
        return _direct_nodes(lines, context, converter)
    except _Unknown:
        return None


def _direct_nodes(
    lines: Sequence[str], context: Mapping[str, Any], converter: Converter
) -> JsonNodes:
    ctx = _context(json.dumps(context["@context"], sort_keys=True))
    if ctx.language is not None or ctx.vocab is not None or ctx.base:
        raise _Unknown
    id_key, type_key = ctx.id_key, ctx.type_key
    value_key, lang_key = ctx.value_key, ctx.lang_key
    names: dict[str, str] = {}  # each IRI's name in a node, as _compact_ids leaves it
    keys: dict[tuple[str, str | None, str | None], str] = {}  # each predicate's key

    def name(iri: str) -> str:
        found = names.get(iri)
        if found is None:
            found = names[iri] = _compact_id(ctx.shrink_iri(iri), converter)
        return found

    def key_of(predicate: str, datatype: str | None, language: str | None) -> str:
        """The key of a predicate with a literal of this datatype and language, or with an
        IRI (both None): rdflib's conversion's, where the context has no term for it."""
        found = keys.get((predicate, datatype, language))
        if found is None:
            if datatype is None and language is None:
                term = any(  # rdflib's own call, with no container
                    ctx.find_term(predicate, coercion, None)  # type: ignore[arg-type]
                    for coercion in (ID, VOCAB, UNDEF)
                )
            else:
                plain = None if datatype in _STRINGS else datatype
                term = ctx.find_term(predicate, plain, language=language)
            if term:
                raise _Unknown
            found = keys[(predicate, datatype, language)] = _key_of(ctx, predicate)
        return found

    data = nt_bytes(lines)  # sorted: a subject's lines together
    nodes: dict[str, dict[str, Any]] = {}
    node: dict[str, Any] = {}
    subject = None
    for triple in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
        s, p, o = triple.subject, triple.predicate.value, triple.object
        if not isinstance(s, ox.NamedNode):
            raise _Unknown
        if s != subject:
            subject = s
            node_id = name(s.value)
            if node_id in nodes:
                raise _Unknown
            node = nodes[node_id] = {id_key: node_id}
        if p == _RDF_FIRST:
            raise _Unknown
        value: Any
        if isinstance(o, ox.Literal):
            datatype, language = o.datatype.value, o.language
            key = key_of(p, datatype, language)
            if p == _RDF_TYPE:
                raise _Unknown
            value = _literal(o.value, datatype, language, ctx, type_key, value_key, lang_key)
        elif isinstance(o, ox.NamedNode):
            if o.value == _RDF_NIL:
                raise _Unknown
            key = key_of(p, None, None)
            if p == _RDF_TYPE:
                key, value = type_key, _symbol(ctx, o.value)
            else:
                value = {id_key: name(o.value)}
        else:
            raise _Unknown
        held = node.get(key)
        if held is None:
            node[key] = value
        elif not held:  # rdflib's conversion would drop it (see above)
            raise _Unknown
        elif isinstance(held, list):
            held.append(value)
        else:
            node[key] = [held, value]
    found: JsonNodes = {}
    for made in nodes.values():
        made = _sorted_values(made)
        node_name = str(made.get(id_key, ""))
        if node_name in found:
            raise _Unknown
        found[node_name] = _node_text(made)
    return found


def _key_of(ctx: Context, predicate: str) -> str:
    """A predicate's key in a node, as rdflib's conversion makes it (the context's terms with
    a type or a container are not known here)."""
    key = _symbol(ctx, predicate)
    term = ctx.terms.get(key)
    if term is not None and (term.type or term.container):
        raise _Unknown
    return key


def _symbol(ctx: Context, iri: str) -> str:
    symbol = ctx.to_symbol(iri)
    if symbol is None:
        raise _Unknown
    return symbol


def _literal(
    lexical: str,
    datatype: str,
    language: str | None,
    ctx: Context,
    type_key: str,
    value_key: str,
    lang_key: str,
) -> Any:
    """A literal's value in a node, as rdflib's conversion makes it with a context: a string,
    an integer or a boolean as JSON's own; a language string or another type as an object."""
    if language:
        return {lang_key: language, value_key: lexical}
    if datatype in _STRINGS:
        return lexical
    if datatype == _XSD + "integer":
        if not _INTEGER.match(lexical):
            raise _Unknown
        return int(lexical)
    if datatype == _XSD + "boolean":
        if lexical not in _BOOLEANS:
            raise _Unknown
        return _BOOLEANS[lexical]
    if datatype == _XSD + "double":
        raise _Unknown
    return {type_key: _symbol(ctx, datatype), value_key: lexical}


@lru_cache(maxsize=8)
def _context(data: str) -> Context:
    """rdflib's JSON-LD context of ``data`` (a context as JSON), made once a process."""
    return Context(json.loads(data))


class _Indexed:
    """A graph's statements by subject (and, for a blank node, the subjects that name it),
    with what rdflib's JSON-LD conversion asks of a graph: a few lookups in a dict, not in
    rdflib's store."""

    context_aware = False

    def __init__(self, graph: Graph) -> None:
        self.identifier = graph.identifier
        self._of: dict[Node, list[tuple[Node, Node]]] = {}
        self._naming: dict[Node, list[Node]] = {}
        for subject in graph.subjects(unique=True):
            # in the store's order of each subject's statements, which the conversion's
            # output depends on (it drops a value "" that comes before another of its key)
            statements = self._of[subject] = list(graph.predicate_objects(subject))
            for _, obj in statements:
                if isinstance(obj, BNode):
                    self._naming.setdefault(obj, []).append(subject)

    def subjects(self, predicate: Node | None = None, obj: Node | None = None) -> Iterator[Node]:
        if predicate is not None:
            raise NotImplementedError("subjects of a predicate")
        return iter(self._of if obj is None else self._naming.get(obj, ()))

    def predicate_objects(self, subject: Node) -> Iterator[tuple[Node, Node]]:
        return iter(self._of.get(subject, ()))

    def value(self, subject: Node, predicate: Node) -> Node | None:
        return next((o for p, o in self._of.get(subject, ()) if p == predicate), None)


def jsonld_nodes_of_lines(
    lines: Sequence[str], context: Mapping[str, Any], converter: Converter, *, size: int = 4096
) -> JsonNodes:
    """The nodes :func:`jsonld_nodes` gives for the graph of ``lines`` (sorted canonical lines
    with no blank node), made a part at a time (:func:`line_parts`): a node's JSON-LD depends on
    its own statements alone, and rdflib holds a small graph at a time, not one that grows with
    the corpus (the description lists every input)."""
    found: JsonNodes = {}
    for part in line_parts(lines, size):
        found.update(jsonld_nodes_of_part(part, context, converter))
    return found


def line_parts(lines: Sequence[str], size: int = 4096) -> Iterator[Sequence[str]]:
    """Sorted canonical ``lines`` in parts of about ``size`` lines, each subject's lines in one
    part (all of them in one when a blank node is among them: its label is the graph's own)."""
    if any(line.startswith("_:") or " _:" in line for line in lines):
        size = max(1, len(lines))
    start = 0
    while start < len(lines):
        end = min(start + size, len(lines))
        subject = lines[end - 1].split(" ", 1)[0] + " "
        while end < len(lines) and lines[end].startswith(subject):
            end += 1
        yield lines[start:end]
        start = end


def jsonld_nodes_of_part(
    lines: Sequence[str], context: Mapping[str, Any], converter: Converter
) -> JsonNodes:
    """The nodes of the graph of ``lines``, each subject's lines all among them: made from
    the lines (:func:`jsonld_nodes_direct`), or by rdflib's conversion where that does not
    know their terms."""
    nodes = jsonld_nodes_direct(lines, context, converter)
    if nodes is not None:
        return nodes
    graph = Graph()
    graph.parse(data=nt_bytes(lines), format="nt")
    return jsonld_nodes(graph, context, converter)


def _node_text(node: Any) -> str:
    """A node as it is written in the release's @graph, two levels deep: what
    ``json.dumps(node, ensure_ascii=False, indent=2, sort_keys=True)`` writes, each line
    indented by four spaces more (written here: with an indent, json writes every value in
    Python, a third of a node's time)."""
    return "    " + _indented(node, "    ")


_scalar = json.JSONEncoder(ensure_ascii=False).encode


def _indented(value: Any, indent: str) -> str:
    """``value`` as json writes it with an indent of two spaces and keys sorted, its
    following lines starting with ``indent``."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = indent + "  "
        items = [f"{inner}{_scalar(k)}: {_indented(v, inner)}" for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = indent + "  "
        items = [inner + _indented(item, inner) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return _scalar(value)


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
    if isinstance(iri, str):
        result["@id"] = _compact_id(iri, converter)
    return result


def _compact_id(iri: str, converter: Converter) -> str:
    """An ``@id``'s IRI as its CURIE, when it is under a prefix with a plain local name."""
    curie = converter.compress(iri)
    if curie is not None and PLAIN_LOCAL_NAME.match(curie.split(":", 1)[1]):
        return curie
    return iri


def json_bytes(data: object) -> bytes:
    """JSON as the release writes it: indented, keys sorted, UTF-8, a final newline."""
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
