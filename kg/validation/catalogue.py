"""Checking the catalogue's nodes once, not again in every source's unit.

A source's validation unit holds its own lines, the base (the ontology and the prefix
declarations) and the catalogue's lines about every entity it names (:func:`kg.build.units.
source_unit`). The shapes that target the catalogue's nodes (an entity's label, its identifier's
pattern, its mapping targets and records) checked them again in every unit that names them:
more than half of a unit's validation. This module finds the shapes whose verdict there a
source cannot change, checks them once on the base and the whole catalogue, and gives the first
pass of each unit the shapes without their targets. The verdict stays the one of the whole
unit:

- **The shapes** (:func:`reads_of`): a shape is left out only when everything it checks is
  read along IRIs: its targets are classes and the subjects or objects of predicates; its
  property shapes' paths are IRIs; its constraints are SHACL Core ones that look at a value
  alone or count values (``sh:class``, ``sh:pattern``, ``sh:minCount`` …, nested shapes); its
  SPARQL constraints are triple patterns (no property path, ``UNION``, ``MINUS``, subquery,
  ``GRAPH``, ``SERVICE`` or aggregate). Each group of a query is read on its own (from the
  algebra rdflib translated): its patterns that every solution of it matches, then each
  ``EXISTS`` and ``OPTIONAL`` inside it, given only what is bound where SPARQL evaluates it
  (bottom-up: an ``OPTIONAL``'s right side and ``FILTER`` are matched with what its left
  side binds, but a group inside that right side is given none of it; a ``FILTER``'s
  ``EXISTS`` is given what the ``FILTER``'s own patterns bind, a ``BIND``'s ``EXISTS`` what
  the patterns before it bind). An ``OPTIONAL`` must be triple patterns alone (its own
  ``FILTER`` aside). Shapes that declare a SPARQL function are never left out.
  A pattern is read from the end the focus node reaches first: out of a node or into it by a
  named predicate, or, reaching none, anywhere in the data. What a group inside reaches does
  not count outside it. A variable predicate is followed only when a pattern bound where it
  is evaluated binds it to the values of a predicate read out of a reached node (``$this
  owl:annotatedProperty ?p``); it then reads the predicates those values name.
- **The catalogue** (:func:`split_catalogue`, once a build): no catalogue line is of a
  predicate read anywhere, no catalogue line is ``rdfs:subClassOf``, no shape has a
  SHACL-AF rule (which adds lines before validation), and pySHACL (the judge:
  rudof leaves ``$this`` unbound in a nested group, where pySHACL binds it) finds nothing
  wrong with those shapes in the base and the whole catalogue together.
- **Each unit** (:meth:`Split.shapes_for`): take the nodes they check or read in the base and
  the catalogue's lines of the unit (their targets there, and every node the lines they read
  lead to from one). The source's own lines hold no ``rdfs:subClassOf``, no line out of or
  into such a node by a predicate they read, and no line of a predicate they read anywhere;
  and the unit holds every catalogue line they read about such a node. A shape a line breaks
  this for is checked in the unit, as before.

Then every focus node of those shapes that the base and the catalogue's lines give is one in
the base and the whole catalogue, and what they read of it is the same lines, so its verdict
is the one found once. A node the source's own lines make a target of one of them (the
source's article is an entity with mappings) is checked in a second, small pass: those shapes
with ``sh:targetNode`` on it, on the whole unit. A unit the passes find wrong is always judged
by pySHACL with every shape (:func:`kg.validation.shacl.check_unit`), so the rows of a report
are unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol

from pyoxigraph import RdfFormat, Store
from rdflib import Graph, URIRef, Variable
from rdflib.collection import Collection
from rdflib.paths import Path
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from kg.namespaces import RDF, RDFS, SH
from kg.rdf.lines import nt_bytes, nt_lines, terms_of
from kg.validation.partition import VALUE_WISE

__all__ = ["Fast", "Left", "Reads", "Split", "conforms", "reads_of", "split_catalogue"]

Shapes = tuple[tuple[str, bytes], ...]

_TYPE = f"<{RDF.type}>"
_SUBCLASS = f"<{RDFS.subClassOf}>"
_TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target}
#: Parameters that say what a shape is, or check a value alone or the number of values
#: (``sh:class`` reads the value's types: :func:`_checks` follows it).
_VALUE_WISE = (VALUE_WISE - {SH["class"]}) | {
    SH.hasValue,
    SH.languageIn,
    SH.uniqueLang,
    SH.minCount,
    SH.maxCount,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.defaultValue,
}
_NESTED = {SH.property, SH.node, SH["not"], SH.qualifiedValueShape}
_LISTS = {SH["and"], SH["or"], SH.xone}
#: Algebra whose patterns are not joined with the focus node's (or that read another graph).
_REFUSED = {
    "Group",
    "AggregateJoin",
    "Union",
    "Minus",
    "MinusGraphPattern",
    "Graph",
    "GraphGraphPattern",
    "ServiceGraphPattern",
    "ToMultiSet",
    "SubSelect",
}


class _Refused(Exception):
    """The shape reads something :func:`reads_of` does not follow."""


@dataclass(frozen=True)
class Reads:
    """What a shape reads, as N-Triples terms: its targets, the predicates it follows out of
    and into the nodes it reaches from a focus node, and the (predicate, object or None) it
    matches anywhere in the data."""

    subjects_of: frozenset[str] = frozenset()
    objects_of: frozenset[str] = frozenset()
    target_classes: frozenset[str] = frozenset()
    out: frozenset[str] = frozenset()
    into: frozenset[str] = frozenset()
    anywhere: frozenset[tuple[str, str | None]] = frozenset()
    #: predicates whose values it follows as predicates, out of or into a node it reaches
    #: (``?s ?p ?o`` where ``$this owl:annotatedProperty ?p``); :meth:`resolved` reads them
    out_values: frozenset[str] = frozenset()
    into_values: frozenset[str] = frozenset()

    def __or__(self, other: Reads) -> Reads:
        return Reads(
            self.subjects_of | other.subjects_of,
            self.objects_of | other.objects_of,
            self.target_classes | other.target_classes,
            self.out | other.out,
            self.into | other.into,
            self.anywhere | other.anywhere,
            self.out_values | other.out_values,
            self.into_values | other.into_values,
        )

    def resolved(self, lines: Iterable[str]) -> Reads:
        """The same reads, with the predicates it takes from values (:attr:`out_values`,
        :attr:`into_values`) replaced by the values ``lines`` give them."""
        values: dict[str, set[str]] = {}
        for line in lines:
            _, predicate, obj = terms_of(line)
            if predicate in self.out_values | self.into_values and obj.startswith("<"):
                values.setdefault(predicate, set()).add(obj)
        out = set().union(*(values.get(p, ()) for p in self.out_values))
        into = set().union(*(values.get(p, ()) for p in self.into_values))
        return replace(
            self,
            out=self.out | out,
            into=self.into | into,
            out_values=frozenset(),
            into_values=frozenset(),
        )


def _term(node: Node) -> str:
    return f"<{node}>"


def reads_of(shapes: Graph, shape: Node, memo: Memo | None = None) -> Reads | None:
    """What the node shape ``shape`` reads when it is checked from its targets, or None when it
    reads something this module does not follow (see the module's text); ``memo``: as
    :func:`query_reads`."""
    if any(True for _ in shapes.subjects(RDF.type, SH.ConstraintComponent)):
        return None  # a parameter of another component could read anything
    if any(True for t in (SH.Function, SH.SPARQLFunction) for _ in shapes.subjects(RDF.type, t)):
        return None  # a function a query calls could read anything
    if any(not isinstance(o, URIRef) for p in _TARGETS for o in shapes.objects(shape, p)):
        return None  # a target that is not an IRI (a SPARQL target, a literal class)
    targets = {p: [_term(o) for o in shapes.objects(shape, p)] for p in _TARGETS}
    if targets[SH.targetNode] or targets[SH.target]:
        return None
    found = Reads(
        subjects_of=frozenset(targets[SH.targetSubjectsOf]),
        objects_of=frozenset(targets[SH.targetObjectsOf]),
        target_classes=frozenset(targets[SH.targetClass]),
    )
    try:
        return found | _checks(shapes, shape, set(), memo)
    except _Refused:
        return None


def _checks(shapes: Graph, shape: Node, seen: set[Node], memo: Memo | None) -> Reads:
    if shape in seen:
        return Reads()
    seen.add(shape)
    found = Reads()
    for predicate, value in shapes.predicate_objects(shape):
        if predicate in _TARGETS or predicate == RDF.type or predicate in _VALUE_WISE:
            continue
        if not str(predicate).startswith(str(SH)):
            continue  # a comment, a label: not read by the validator
        if predicate == SH.path:
            if not isinstance(value, URIRef):
                raise _Refused("a path that is not an IRI")
            found |= Reads(out=frozenset({_term(value)}))
        elif predicate == SH["class"]:
            found |= Reads(out=frozenset({_TYPE}), anywhere=frozenset({(_SUBCLASS, None)}))
        elif predicate in _NESTED:
            found |= _checks(shapes, value, seen, memo)
        elif predicate in _LISTS:
            for member in Collection(shapes, value):
                found |= _checks(shapes, member, seen, memo)
        elif predicate == SH.sparql:
            found |= _sparql_reads(shapes, value, memo)
        else:
            raise _Refused(f"the parameter {predicate}")
    return found


def _sparql_reads(shapes: Graph, constraint: Node, memo: Memo | None) -> Reads:
    if shapes.value(constraint, SH.ask) is not None:
        raise _Refused("an ASK constraint")
    text = shapes.value(constraint, SH.select)
    if text is None or "PATH" in str(text):
        raise _Refused("a constraint with no SELECT, or on a property shape's path")
    namespaces: dict[str, str] = {}
    for declared in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(declared, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is None or namespace is None:
                continue
            if namespaces.setdefault(str(prefix), str(namespace)) != str(namespace):
                raise _Refused(f"the prefix {prefix} declared twice, to two namespaces")
    found = query_reads(str(text), namespaces, memo)
    if isinstance(found, str):
        raise _Refused(found)
    return found


class Memo(Protocol):
    """Where answers are kept by key (a :class:`kg.build.cache.EntryCache` of a build's, whose
    keys the caller makes depend on the program): ``get`` gives None for a key it lacks."""

    def get(self, key: str) -> Any: ...

    def put(self, key: str, content: object) -> None: ...


_READS_FIELDS = tuple(f.name for f in fields(Reads))


def query_reads(text: str, namespaces: Mapping[str, str], memo: Memo | None = None) -> Reads | str:
    """What a SPARQL constraint's SELECT query ``text`` (its prefixes ``namespaces``) reads
    from its focus node, or why it is not followed; kept in ``memo`` (by the hash of the
    query and its prefixes) and taken from it when it holds a well-formed answer."""
    key = hashlib.sha256(json.dumps([text, sorted(namespaces.items())]).encode()).hexdigest()
    kept = memo.get(key) if memo is not None else None
    if isinstance(kept, dict):
        known = _reads_of_json(kept)
        if known is not None:
            return known
    try:
        found: Reads | str = _query_reads(text, namespaces)
    except _Refused as refused:
        found = str(refused)
    if memo is not None:
        memo.put(key, _reads_json(found))
    return found


def _query_reads(text: str, namespaces: Mapping[str, str]) -> Reads:
    try:
        algebra = prepareQuery(text, initNs=dict(namespaces)).algebra
    except Exception as error:  # pySHACL will report it; the shape is not left out
        raise _Refused(f"a query rdflib cannot parse: {error}") from error
    _refuse_any(algebra)
    found = _Found()
    _scope(algebra, _Given(), _Given(), found)
    return Reads(
        out=frozenset(found.out),
        into=frozenset(found.into),
        anywhere=frozenset(found.anywhere),
        out_values=frozenset(found.out_values),
        into_values=frozenset(found.into_values),
    )


def _reads_json(found: Reads | str) -> dict[str, Any]:
    if isinstance(found, str):
        return {"refused": found}
    reads = {name: sorted(getattr(found, name)) for name in _READS_FIELDS if name != "anywhere"}
    # (predicate, None) beside (predicate, an IRI): None sorts first
    reads["anywhere"] = sorted(
        ([p, o] for p, o in found.anywhere), key=lambda po: (po[0], po[1] or "")
    )
    return {"reads": reads}


def _reads_of_json(kept: dict[str, Any]) -> Reads | str | None:
    """An answer as :func:`_reads_json` wrote it, or None when it is not one."""
    if set(kept) == {"refused"} and isinstance(kept["refused"], str):
        return str(kept["refused"])
    reads = kept.get("reads")
    if set(kept) != {"reads"} or not isinstance(reads, dict) or set(reads) != set(_READS_FIELDS):
        return None
    values: dict[str, Any] = {}
    for name in _READS_FIELDS:
        items = reads[name]
        if not isinstance(items, list):
            return None
        if name == "anywhere":
            pairs = [tuple(i) for i in items if isinstance(i, list) and len(i) == 2]
            if len(pairs) != len(items) or not all(
                isinstance(p, str) and (o is None or isinstance(o, str)) for p, o in pairs
            ):
                return None
            values[name] = frozenset(pairs)
        elif all(isinstance(i, str) for i in items):
            values[name] = frozenset(items)
        else:
            return None
    return Reads(**values)


@dataclass
class _Found:
    """What a query reads, gathered scope by scope (see :func:`_scope`)."""

    out: set[str] = field(default_factory=set)
    into: set[str] = field(default_factory=set)
    anywhere: set[tuple[str, str | None]] = field(default_factory=set)
    out_values: set[str] = field(default_factory=set)
    into_values: set[str] = field(default_factory=set)


def _scope(
    node: object,
    given: _Given,
    bound: _Given,
    found: _Found,
) -> None:
    """What one group of a query reads (the query, an EXISTS, an OPTIONAL's right side): its
    patterns that every solution of it matches, each read from the end the focus node reaches
    first (``given``: the variables bound to nodes it reaches that the group's solutions are
    matched with, as an OPTIONAL's right side is with its left side's); then each group
    inside, given only what is bound where SPARQL evaluates it (``bound``: what an EXISTS is
    given in the solution it tests; nothing for an OPTIONAL's right side, evaluated on its
    own): an OPTIONAL's right side and FILTER are matched with what its left side binds, a
    FILTER's EXISTS is given what the FILTER's own patterns bind, a BIND's what the patterns
    before it bind. What a group inside reaches does not count outside it."""
    patterns = list(_joined(node))
    reached, directions = _reach(patterns, given.reached)
    binders = _binders(patterns, reached, given.binders)
    for index, (subject, predicate, obj) in enumerate(patterns):
        forward = directions.get(index)
        if isinstance(predicate, Variable):
            if forward is None or not binders.get(predicate) or predicate in (subject, obj):
                raise _Refused("a variable predicate not bound to the values of a predicate")
            (found.out_values if forward else found.into_values).update(binders[predicate])
        elif not isinstance(predicate, URIRef):
            raise _Refused("a predicate that is neither an IRI nor a variable")
        elif forward is None:  # reaches no node of the focus node's: read wherever it is
            found.anywhere.add((_term(predicate), _term(obj) if isinstance(obj, URIRef) else None))
        else:
            (found.out if forward else found.into).add(_term(predicate))
    for group, before, optional in _groups(node):
        part = list(_joined(before))
        sees, _ = _reach(part, bound.reached)
        seen = _Given(frozenset(sees), _binders(part, sees, bound.binders))
        _scope(group, seen, bound if optional else seen, found)


@dataclass(frozen=True)
class _Given:
    """Variables bound to nodes the focus node reaches, and the predicates whose values bind
    each variable predicate among them."""

    reached: frozenset[Node] = frozenset({Variable("this")})
    binders: Mapping[Node, frozenset[str]] = field(default_factory=dict)


def _reach(
    patterns: Sequence[tuple[Node, Node, Node]], outer: Iterable[Node]
) -> tuple[set[Node], dict[int, bool]]:
    """The variables ``patterns`` (all matched together) bind to nodes the focus node reaches,
    given those of ``outer``; and for each pattern read, whether from its subject."""
    reached = {Variable("this"), *outer}
    directions: dict[int, bool] = {}
    grew = True
    while grew:
        grew = False
        for index, (subject, _, obj) in enumerate(patterns):
            if index in directions or not (subject in reached or obj in reached):
                continue
            directions[index] = subject in reached
            reached.update(end for end in (subject, obj) if isinstance(end, Variable))
            grew = True
    return reached, directions


def _binders(
    patterns: Iterable[tuple[Node, Node, Node]],
    reached: set[Node],
    outer: Mapping[Node, frozenset[str]],
) -> dict[Node, frozenset[str]]:
    """For each variable bound to the values of a predicate read out of a reached node (by
    one of ``patterns``, or around them), those predicates."""
    found = {var: set(predicates) for var, predicates in outer.items()}
    for subject, predicate, obj in patterns:
        if isinstance(obj, Variable) and subject in reached and isinstance(predicate, URIRef):
            found.setdefault(obj, set()).add(_term(predicate))
    return {var: frozenset(predicates) for var, predicates in found.items()}


def _joined(node: object) -> Iterator[tuple[Node, Node, Node]]:
    """The triple patterns of a group that every solution matches: its BGPs, not those of an
    OPTIONAL's right side or of an EXISTS in an expression."""
    if isinstance(node, CompValue):
        if node.name == "BGP":
            yield from _triples([term for part in dict.get(node, "triples") or () for term in part])
        for key in ("p", "p1") if node.name == "LeftJoin" else ("p", "p1", "p2"):
            if key in node:
                yield from _joined(node[key])


def _groups(node: object) -> Iterator[tuple[object, object, bool]]:
    """The groups inside a group, each with the part of the group it is evaluated with, and
    whether it is an OPTIONAL's right side (else an EXISTS): an OPTIONAL's right side and its
    FILTER's EXISTS with the OPTIONAL's left side, a FILTER's EXISTS with the FILTER's
    patterns, a BIND's with the patterns before it. An EXISTS anywhere else is refused."""
    if not isinstance(node, CompValue):
        return
    if node.name == "LeftJoin":
        if not _plain(node["p2"]):
            raise _Refused("an OPTIONAL that is not triple patterns alone")
        yield node["p2"], node["p1"], True
    if node.name in ("LeftJoin", "Filter", "Extend"):
        for group in _exists(dict.get(node, "expr")):
            yield group, node["p1" if node.name == "LeftJoin" else "p"], False
    for key, value in node.items():
        if key in ("p", "p1", "p2"):
            if not (node.name == "LeftJoin" and key == "p2"):
                yield from _groups(value)
        elif key == "_vars" or (key == "expr" and node.name in ("LeftJoin", "Filter", "Extend")):
            continue
        elif any(True for _ in _exists(value)):
            raise _Refused(f"an EXISTS in {node.name}'s {key}")


def _plain(node: object) -> bool:
    """Whether a group is triple patterns alone (BGPs, joined)."""
    if not isinstance(node, CompValue):
        return False
    if node.name == "Join":
        return _plain(node["p1"]) and _plain(node["p2"])
    return node.name == "BGP"


def _exists(expression: object) -> Iterator[object]:
    """The translated groups of the EXISTS and NOT EXISTS in an expression."""
    if isinstance(expression, CompValue):
        if expression.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            graph = vars(expression).get("graph")
            if not isinstance(graph, CompValue):
                raise _Refused("an EXISTS rdflib did not translate")
            yield graph
            return
        for value in expression.values():
            yield from _exists(value)
    elif isinstance(expression, (list, tuple)):
        for value in expression:
            yield from _exists(value)


def _refuse_any(node: object) -> None:
    """Refuse a query with any of :data:`_REFUSED`, wherever it is (in an EXISTS too, in the
    group rdflib translated and in the one it parsed)."""
    if isinstance(node, CompValue):
        if node.name in _REFUSED:
            raise _Refused(f"a query with {node.name}")
        if node.name == "GroupOrUnionGraphPattern" and len(dict.get(node, "graph") or ()) != 1:
            raise _Refused("a query with UNION")
        for value in (*node.values(), *vars(node).values()):
            _refuse_any(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _refuse_any(value)


def _triples(flat: Sequence[Node]) -> Iterator[tuple[Node, Node, Node]]:
    if len(flat) % 3:
        raise _Refused("a pattern that is not triples")
    for at in range(0, len(flat), 3):
        subject, predicate, obj = flat[at : at + 3]
        if isinstance(predicate, Path):
            raise _Refused("a property path")
        yield subject, predicate, obj


@dataclass(frozen=True)
class Left:
    """One shape a source's unit may leave to the catalogue's own check: its name (an
    N-Triples term), what it reads, the classes it targets with their subclasses in the base,
    its target lines, and the lines it and what it refers to are made of (in
    :attr:`Split.lines`)."""

    name: str
    reads: Reads
    classes: frozenset[str]
    targets: frozenset[str]
    body: frozenset[str]

    def touches(self, subject: str, predicate: str, obj: str, nodes: set[str]) -> bool:
        """Whether the shape may read the line in a unit whose base and catalogue's lines have
        ``nodes``, checking a node those lines have."""
        reads = self.reads
        return (
            (predicate in reads.out and subject in nodes)
            or (predicate in reads.into and obj in nodes)
            or (predicate, None) in reads.anywhere
            or (predicate, obj) in reads.anywhere
        )

    def foci(self, subject: str, predicate: str, obj: str) -> list[str]:
        """The nodes the line makes targets of the shape."""
        found = []
        if predicate in self.reads.subjects_of or (predicate == _TYPE and obj in self.classes):
            found.append(subject)
        if predicate in self.reads.objects_of:
            found.append(obj)
        return found


@dataclass(frozen=True)
class Fast:
    """How a unit is checked first: with :attr:`shapes` (every shape, less the targets of those
    left to the catalogue's check), and, when its own lines make targets of those, with
    :attr:`focus` (those shapes, on those nodes alone)."""

    shapes: Shapes
    focus: Shapes | None


@dataclass(frozen=True)
class Split:
    """The shapes a source's unit may leave to the catalogue's own check, and what a unit must
    not hold for that (see the module's text)."""

    key: str  # names this split in a process's cache of shapes
    left: tuple[Left, ...]
    together: Left  # what all of them read, to pass over most lines at once
    base_focus: frozenset[str]  # the base's nodes that are their targets
    base_edges: Mapping[str, tuple[str, ...]]  # the base's nodes they read, from each node
    catalogue_lines: Mapping[str, tuple[str, ...]]  # the catalogue's lines they read, by node
    lines: tuple[str, ...]  # the shapes as canonical lines

    def shapes_for(self, lines: Iterable[str], closure: Sequence[str]) -> Fast | None:
        """How a unit of the source's ``lines`` and the catalogue's ``closure`` may be checked
        first; None when it must be checked with every shape."""
        nodes = self._reached(closure)
        kept = set(range(len(self.left)))
        focus: dict[int, set[str]] = {}
        for line in lines:
            subject, predicate, obj = terms_of(line)
            if predicate == _SUBCLASS:
                return None  # a new subclass of a targeted or checked class
            if self.together.touches(subject, predicate, obj, nodes):
                kept = self._untouched(kept, (subject, predicate, obj), nodes)
            if self.together.foci(subject, predicate, obj):
                for i, left in enumerate(self.left):
                    focus.setdefault(i, set()).update(left.foci(subject, predicate, obj))
        held = set(closure)
        for node in nodes:
            for line in self.catalogue_lines.get(node, ()):
                if line not in held:  # the whole catalogue has it, this unit has not
                    kept = self._untouched(kept, terms_of(line), nodes)
        # a blank node cannot be named by sh:targetNode in another graph: such a shape keeps
        # its targets in this unit
        kept = {i for i in kept if not any(n.startswith("_:") for n in focus.get(i, ()))}
        if not kept:
            return None
        chosen = tuple(sorted(kept))
        made = _MADE.get((self.key, chosen))
        if made is None:
            if len(_MADE) >= 16:
                _MADE.clear()
            removed = set().union(*(self.left[i].targets for i in chosen))
            text = nt_bytes([line for line in self.lines if line not in removed])
            made = _MADE[(self.key, chosen)] = ((f"fast-{self.key[:12]}-{chosen}", text),)
        checked = sorted((i, node) for i in chosen for node in focus.get(i, ()))
        if not checked:
            return Fast(made, None)
        body = set().union(*(self.left[i].body for i, _ in checked))
        body.difference_update(*(self.left[i].targets for i, _ in checked))
        extra = [f"{self.left[i].name} <{SH.targetNode}> {node}" for i, node in checked]
        return Fast(made, (("focus", nt_bytes(sorted(body), extra)),))

    def _reached(self, closure: Sequence[str]) -> set[str]:
        """The nodes of the base and the catalogue's ``closure`` those shapes check or read: their
        targets there, and every node a line they read leads to from one, either way."""
        reached = set(self.base_focus)
        for line in closure:
            reached.update(self.together.foci(*terms_of(line)))
        edges = _edges(closure, self.together.reads)
        todo = list(reached)
        while todo:
            node = todo.pop()
            for near in (*edges.get(node, ()), *self.base_edges.get(node, ())):
                if near not in reached:
                    reached.add(near)
                    todo.append(near)
        return reached

    def _untouched(self, kept: set[int], terms: tuple[str, str, str], nodes: set[str]) -> set[int]:
        return {i for i in kept if not self.left[i].touches(*terms, nodes)}


_MADE: dict[tuple[str, tuple[int, ...]], Shapes] = {}  # the shapes of each split, per process


def split_catalogue(
    shapes_graph: Graph,
    base: Sequence[str],
    catalogue: Sequence[str],
    *,
    judge: Callable[[bytes, bytes], bool] | None = None,
    memo: Memo | None = None,
) -> Split | None:
    """The shapes that target what the catalogue or the base describe and whose verdict there a
    source cannot change, checked once on the ``base`` and the whole ``catalogue`` (lines);
    None when no shape can be left out, or when they find something wrong there (every unit
    is then checked with every shape, and reports it). ``judge(shapes, data)`` (both
    N-Triples) says whether the data conform to the shapes: by default :func:`conforms`
    (pySHACL), which a caller may keep the answers of; ``memo`` keeps what each SPARQL
    constraint's query reads (:func:`query_reads`), which rdflib's parser is slow to find."""
    if any(True for _ in shapes_graph.subjects(SH.rule, None)):
        return None  # SHACL-AF rules add lines before validation: in one unit, not another
    lines = tuple(nt_lines(shapes_graph))
    predicates, types = set(), set()  # what the base and catalogue's lines may be targets of
    for line in (*base, *catalogue):
        _, predicate, obj = terms_of(line)
        predicates.add(predicate)
        if predicate == _TYPE:
            types.add(obj)
    left = []
    for shape in sorted(set(shapes_graph.subjects(RDF.type, SH.NodeShape)), key=str):
        targeted = any(shapes_graph.objects(shape, p) for p in _TARGETS)
        if not isinstance(shape, URIRef) or not targeted:
            continue
        found = reads_of(shapes_graph, shape, memo)
        if found is None:
            continue
        reads = found.resolved((*base, *catalogue))
        if not _catalogue_only(reads, catalogue):
            continue
        classes = _subclasses(reads.target_classes, base)
        if not ((reads.subjects_of | reads.objects_of) & predicates or classes & types):
            continue  # it has no focus node there: nothing to leave out
        name = _term(shape)
        left.append(Left(name, reads, classes, _target_lines(lines, name), _body(lines, name)))
    if not left:
        return None
    reads, classes = Reads(), frozenset[str]()
    for one in left:
        reads, classes = reads | one.reads, classes | one.classes
    together = Left("", reads, classes, frozenset(), frozenset())
    others = set().union(*(_target_lines(lines, _term(s)) for s in _targeted(shapes_graph)))
    others.difference_update(*(one.targets for one in left))
    only_left = nt_bytes([line for line in lines if line not in others])
    if not (judge or conforms)(only_left, nt_bytes(base, catalogue)):
        return None
    by_node: dict[str, list[str]] = {}
    for line in catalogue:
        subject, predicate, obj = terms_of(line)
        if predicate in together.reads.out:
            by_node.setdefault(subject, []).append(line)
        if predicate in together.reads.into:
            by_node.setdefault(obj, []).append(line)
    key = hashlib.sha256("\n".join((*lines, *(o.name for o in left))).encode()).hexdigest()
    return Split(
        key=key,
        left=tuple(left),
        together=together,
        base_focus=frozenset(node for line in base for node in together.foci(*terms_of(line))),
        base_edges=_edges(base, together.reads),
        catalogue_lines={node: tuple(found) for node, found in by_node.items()},
        lines=lines,
    )


def conforms(shapes: bytes, data: bytes) -> bool:
    """Whether ``data`` conform to ``shapes`` (both N-Triples), as pySHACL, the judge of every
    unit, finds: rudof may read a query otherwise (it leaves ``$this`` unbound in a nested
    group, where pySHACL binds it)."""
    from kg.validation.shacl import parse_shapes, validate

    store = Store()
    store.load(data, format=RdfFormat.N_TRIPLES)
    return bool(validate(store, parse_shapes((("only", shapes),))).conforms)


def _body(lines: Sequence[str], name: str) -> frozenset[str]:
    """The lines of the shape ``name`` and of every node they lead to (its property shapes,
    lists, constraints, their prefixes), but any shape's targets."""
    targets = {_term(p) for p in _TARGETS}
    by_subject: dict[str, list[str]] = {}
    for line in lines:
        subject, predicate, _ = terms_of(line)
        if predicate not in targets:
            by_subject.setdefault(subject, []).append(line)
    found: set[str] = set()
    todo, seen = [name], {name}
    while todo:
        for line in by_subject.get(todo.pop(), ()):
            found.add(line)
            obj = terms_of(line)[2]
            if obj[0] in "<_" and obj not in seen:
                seen.add(obj)
                todo.append(obj)
    return frozenset(found)


def _target_lines(lines: Sequence[str], name: str) -> frozenset[str]:
    starts = tuple(f"{name} {_term(p)} " for p in _TARGETS)
    return frozenset(line for line in lines if line.startswith(starts))


def _catalogue_only(reads: Reads, catalogue: Sequence[str]) -> bool:
    """Whether no line of the catalogue is one the shape reads anywhere (so that a unit's share
    of the catalogue gives it what the whole catalogue gives)."""
    for line in catalogue:
        _, predicate, obj = terms_of(line)
        if predicate == _SUBCLASS or (predicate, None) in reads.anywhere:
            return False
        if (predicate, obj) in reads.anywhere:
            return False
    return True


def _targeted(shapes: Graph) -> set[Node]:
    return {s for p in _TARGETS for s in shapes.subjects(p, None)}


def _edges(lines: Iterable[str], reads: Reads) -> dict[str, tuple[str, ...]]:
    """For each node, the nodes the ``lines`` that ``reads`` reads lead to from it, either way."""
    edges: dict[str, list[str]] = {}
    for line in lines:
        subject, predicate, obj = terms_of(line)
        if predicate in reads.out:
            edges.setdefault(subject, []).append(obj)
        if predicate in reads.into:
            edges.setdefault(obj, []).append(subject)
    return {node: tuple(near) for node, near in edges.items()}


def _subclasses(classes: Iterable[str], base: Sequence[str]) -> frozenset[str]:
    """``classes`` and every class the base says is a subclass of one, at any depth."""
    below: dict[str, list[str]] = {}
    for line in base:
        subject, predicate, obj = terms_of(line)
        if predicate == _SUBCLASS:
            below.setdefault(obj, []).append(subject)
    found = set(classes)
    todo = list(found)
    while todo:
        for sub in below.get(todo.pop(), ()):
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return frozenset(found)
