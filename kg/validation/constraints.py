"""What a shape's constraint allows, and what a value that breaks it does wrong, in words: read
from the shapes' own parameters (the members of ``sh:in``, the ``sh:class``, ``sh:datatype``
or ``sh:pattern``, the bounds of a count or a range), for the one-line report of
:mod:`kg.validation.report`.

A pattern that is an anchored list of alternatives (``^(increased|decreased)$``, how the
shapes write an enumeration of strings: see shapes/claims.ttl) is shown as those values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import Graph
from rdflib.collection import Collection
from rdflib.term import Node

from kg.namespaces import SH
from kg.validation.report import show

__all__ = ["describe"]

_ALTERNATIVES = re.compile(r"\^\(([\w.-]+(?:\|[\w.-]+)*)\)\$")
_KINDS = {
    "IRI": "an IRI",
    "Literal": "a literal",
    "BlankNode": "a blank node",
    "BlankNodeOrIRI": "a blank node or an IRI",
    "BlankNodeOrLiteral": "a blank node or a literal",
    "IRIOrLiteral": "an IRI or a literal",
}


def describe(shapes: Graph, shape: Node, component: str, message: str) -> tuple[str, str]:
    """What is wrong and what is allowed, for a result of constraint ``component`` (its
    local name: ``InConstraintComponent``) of ``shape``; a SPARQL constraint's, or one not
    known here, is its ``message`` (which says both) and nothing more.

    >>> from rdflib import URIRef
    >>> shapes = Graph().parse(format="turtle", data='''
    ...     @prefix sh: <http://www.w3.org/ns/shacl#> .
    ...     <urn:s> sh:pattern "^(up|down)$" ; sh:minCount 1 ; sh:maxCount 1 .''')
    >>> describe(shapes, URIRef("urn:s"), "PatternConstraintComponent", "")
    ('is not an allowed value', 'up, down')
    >>> describe(shapes, URIRef("urn:s"), "MaxCountConstraintComponent", "")
    ('has too many values', 'exactly 1 value')
    """

    def one(parameter: str) -> Node | None:
        return shapes.value(shape, SH[parameter])

    def shown(parameter: str) -> str:
        return ", ".join(sorted(show(v) for v in shapes.objects(shape, SH[parameter])))

    if component == "InConstraintComponent":
        return "is not an allowed value", _members(shapes, one("in"))
    if component == "LanguageInConstraintComponent":
        return "is not in an allowed language", _members(shapes, one("languageIn"))
    if component == "PatternConstraintComponent":
        pattern = str(one("pattern"))
        listed = _ALTERNATIVES.fullmatch(pattern)
        if listed:
            return "is not an allowed value", ", ".join(listed.group(1).split("|"))
        return "does not match the pattern", pattern
    if component in _PHRASES:
        problem, parameter = _PHRASES[component]
        return problem, shown(parameter) if parameter else ""
    if component in ("MinCountConstraintComponent", "MaxCountConstraintComponent"):
        problem = "has too few values" if component.startswith("Min") else "has too many values"
        return problem, _count(one("minCount"), one("maxCount"), "value")
    if component.startswith(("QualifiedMin", "QualifiedMax")):
        kind = one("qualifiedValueShape")
        name = shapes.value(kind, SH.name) if kind is not None else None
        counted = str(name or show(kind or ""))
        bounds = _count(one("qualifiedMinCount"), one("qualifiedMaxCount"), counted)
        return "has the wrong number of values", bounds
    if component.endswith(("InclusiveConstraintComponent", "ExclusiveConstraintComponent")):
        return "is out of range", _range(shapes, shape)
    if component in ("MinLengthConstraintComponent", "MaxLengthConstraintComponent"):
        length = _count(one("minLength"), one("maxLength"), "character")
        return "has a length out of range", length
    if component == "NodeKindConstraintComponent":
        local = str(one("nodeKind") or "").rsplit("#", 1)[-1]
        return "is not of the allowed kind", _KINDS.get(local, local)
    if component == "NodeConstraintComponent":
        return "does not conform to its shape", _names(shapes, shapes.objects(shape, SH.node))
    if component in ("OrConstraintComponent", "XoneConstraintComponent"):
        head = one("or" if component.startswith("Or") else "xone")
        return "matches none of the alternatives", _alternatives(shapes, head)
    return message, ""


def _alternatives(shapes: Graph, head: Node | None) -> str:
    """The alternatives of an ``sh:or``, each by what it allows (``xsd:gYear or xsd:date``)."""
    if head is None:
        return ""
    said = []
    for member in Collection(shapes, head):
        allowed = [
            show(value)
            for parameter in ("datatype", "class", "pattern", "nodeKind", "hasValue")
            for value in shapes.objects(member, SH[parameter])
        ]
        said.append(" and ".join(allowed) or show(member))
    return " or ".join(said)


#: Components whose allowed values are their parameter's values, as they are.
_PHRASES = {
    "ClassConstraintComponent": ("is not of the allowed class", "class"),
    "DatatypeConstraintComponent": ("does not have the allowed datatype", "datatype"),
    "LessThanConstraintComponent": ("is not less than the value of", "lessThan"),
    "HasValueConstraintComponent": ("lacks the required value", "hasValue"),
}


def _members(shapes: Graph, head: Node | None) -> str:
    """The members of an RDF list, as a line shows them."""
    return "" if head is None else ", ".join(show(m) for m in Collection(shapes, head))


def _names(shapes: Graph, nodes: Iterable[Node]) -> str:
    """Shapes by their sh:name (and their IRI)."""
    names = []
    for node in nodes:
        name = shapes.value(node, SH.name)
        names.append(f"{name} ({show(node)})" if name else show(node))
    return ", ".join(sorted(names))


def _count(low: Node | None, high: Node | None, what: str) -> str:
    """``exactly 1 value``, ``at least 1 value``, ``at most 2 values``, ``1..3 values``.

    >>> from rdflib import Literal
    >>> _count(None, None, "value"), _count(Literal(2), Literal(3), "value")
    ('any number of values', '2..3 values')
    """
    least, most = (int(str(bound)) if bound is not None else None for bound in (low, high))
    plural = what if (most if least is None else least) == 1 else f"{what}s"
    if least is not None and least == most:
        return f"exactly {least} {plural}"
    if least is not None and most is not None:
        return f"{least}..{most} {what}s"
    if least is not None:
        return f"at least {least} {plural}"
    if most is not None:
        return f"at most {most} {plural}"
    return f"any number of {what}s"


def _range(shapes: Graph, shape: Node) -> str:
    """The bounds of a value: ``> 0``, ``>= 1``, ``1..10`` (both inclusive)."""
    bounds = {
        name: shapes.value(shape, SH[name])
        for name in ("minInclusive", "minExclusive", "maxInclusive", "maxExclusive")
    }
    low, high = bounds["minInclusive"], bounds["maxInclusive"]
    if low is not None and high is not None:
        return f"{low}..{high}"
    signs = {"minInclusive": ">=", "minExclusive": ">", "maxInclusive": "<=", "maxExclusive": "<"}
    return " and ".join(
        f"{signs[name]} {bound}" for name, bound in bounds.items() if bound is not None
    )
