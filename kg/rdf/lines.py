"""Graphs as canonical N-Triples lines: the form a release's parts travel, are cached and are
assembled in.

A line is one statement as Oxigraph writes it (``<s> <p> "o"@en``, without the final `` .``):
the same triple is the same string in every process, so lines can be compared, sorted, hashed
and concatenated as text, without an RDF library holding the corpus.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import OWL, RDF

__all__ = [
    "closure_of",
    "closures",
    "graph_lines",
    "named_terms",
    "nt_bytes",
    "nt_lines",
    "subjects_typed",
    "term_line",
    "term_value",
    "terms_of",
]

_ANNOTATED_SOURCE = f"<{OWL.annotatedSource}>"
_TYPE = f"<{RDF.type}>"


def nt_lines(graph: Graph) -> list[str]:
    """An rdflib graph as sorted canonical lines (read back by Oxigraph, which writes every
    term in one canonical form)."""
    data = graph.serialize(format="nt", encoding="utf-8")
    quads = ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
    return sorted({f"{q.subject} {q.predicate} {q.object}" for q in quads})


def term_line(subject: Node, predicate: Node, obj: Node) -> str:
    """A triple of rdflib IRIs and literals as its canonical line, as :func:`nt_lines` writes
    it (the terms written by Oxigraph).

    >>> from rdflib import Literal
    >>> term_line(URIRef("http://x/a"), URIRef("http://x/b"), Literal("hi", lang="en"))
    '<http://x/a> <http://x/b> "hi"@en'
    """
    return f"{_oxigraph(subject)} {_oxigraph(predicate)} {_oxigraph(obj)}"


def _oxigraph(term: Node) -> ox.NamedNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an IRI or a literal: {term!r}")


def graph_lines(store: ox.Store, name: ox.NamedNode | ox.DefaultGraph) -> list[str]:
    """One graph of an Oxigraph store as sorted canonical lines."""
    quads = store.quads_for_pattern(None, None, None, name)
    return sorted({f"{q.subject} {q.predicate} {q.object}" for q in quads})


def nt_bytes(*groups: Iterable[str]) -> bytes:
    """Lines as an N-Triples document: sorted, each once.

    >>> nt_bytes(["<a> <b> <c>"], ["<a> <b> <c>", "<a> <b> <a>"]).decode()
    '<a> <b> <a> .\\n<a> <b> <c> .\\n'
    """
    lines = sorted({line for group in groups for line in group})
    return "".join(f"{line} .\n" for line in lines).encode("utf-8")


def terms_of(line: str) -> tuple[str, str, str]:
    """Subject, predicate and object of a line (IRIs hold no space, so two splits do).

    >>> terms_of('<a> <b> "c d"@en')
    ('<a>', '<b>', '"c d"@en')
    """
    subject, predicate, obj = line.split(" ", 2)
    return subject, predicate, obj


def closures(lines: Iterable[str]) -> dict[str, list[str]]:
    """For each subject: its lines, and those of its mapping records (the ``owl:Axiom`` whose
    ``owl:annotatedSource`` it is)."""
    found: dict[str, list[str]] = {}
    records: list[tuple[str, str]] = []
    for line in lines:
        subject, predicate, obj = terms_of(line)
        found.setdefault(subject, []).append(line)
        if predicate == _ANNOTATED_SOURCE:
            records.append((subject, obj))
    for record, entity in records:
        found.setdefault(entity, []).extend(found.get(record, []))
    return found


def subjects_typed(lines: Sequence[str], cls: str) -> list[str]:
    """The subjects of the lines that have ``rdf:type`` ``cls`` (an IRI)."""
    wanted = f"<{cls}>"
    found = []
    for line in lines:
        subject, predicate, obj = terms_of(line)
        if predicate == _TYPE and obj == wanted:
            found.append(subject)
    return found


def named_terms(lines: Iterable[str]) -> set[str]:
    """Every subject of the lines and every IRI they have as object."""
    named = set()
    for line in lines:
        subject, _, obj = terms_of(line)
        named.add(subject)
        if obj.startswith("<"):
            named.add(obj)
    return named


def term_value(term: object) -> str:
    """The IRI or lexical form of an Oxigraph term."""
    return str(getattr(term, "value", term))


def closure_of(terms: Iterable[str], found: Mapping[str, Sequence[str]]) -> list[str]:
    """The lines ``found`` has for any of ``terms``."""
    return [line for term in terms for line in found.get(term, ())]
