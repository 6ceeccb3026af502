"""Turtle as people read it and machines diff it: written by Oxigraph (which keeps every
literal exactly as built), subjects sorted and grouped, prefixes sorted, a blank line between
subjects, and no prefix whose local names would need backslash escapes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox

__all__ = ["write_turtle"]

#: A local name Turtle can write after a prefix with no escape.
PLAIN_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.:-]*[A-Za-z0-9_:-])?$")


def write_turtle(triples: Iterable[ox.Triple], namespaces: Mapping[str, str]) -> bytes:
    """Serialise triples as sorted, grouped Turtle with the usable prefixes of ``namespaces``.

    >>> t = ox.Triple(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/b"),
    ...               ox.Literal("100", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")))
    >>> print(write_turtle([t], {"ex": "http://example.org/"}).decode())
    @prefix ex: <http://example.org/> .
    <BLANKLINE>
    ex:a ex:b "100"^^<http://www.w3.org/2001/XMLSchema#decimal> .
    <BLANKLINE>
    """
    ordered = sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    prefixes = usable_prefixes(ordered, namespaces)
    written = ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    assert written is not None
    # Oxigraph writes the prefixes in an order of its own: write them sorted, ourselves; and a
    # blank line between subjects (Oxigraph escapes newlines in literals, so a line that does
    # not start with a tab starts a subject).
    out = [f"@prefix {name}: <{ns}> ." for name, ns in sorted(prefixes.items())]
    for line in written.decode("utf-8").split("\n"):
        if line.startswith("@prefix "):
            continue
        if line and not line.startswith("\t") and out and out[-1].endswith(" ."):
            out.append("")
        out.append(line)
    return "\n".join(out).encode("utf-8")


def usable_prefixes(triples: Iterable[ox.Triple], namespaces: Mapping[str, str]) -> dict[str, str]:
    """The prefixes under which every IRI of the triples has a plain local name: a prefix whose
    local names would need Turtle's backslash escapes (``doi:10.1177\\/...``) is left out."""
    iris = {
        term.value
        for triple in triples
        for term in (triple.subject, triple.predicate, triple.object)
        if isinstance(term, ox.NamedNode)
    }
    return {
        name: namespace
        for name, namespace in namespaces.items()
        if all(
            PLAIN_LOCAL_NAME.match(iri[len(namespace) :])
            for iri in iris
            if iri.startswith(namespace)
        )
    }
