"""The shared graphs validated in parts: the release's description names every source (its
article, the build's inputs), so as one unit it grows with the corpus, and so does the memory
of its validation (rudof holds about 40 bytes for each byte of a unit: 1.6 GB at 5,001
sources). It is validated instead in parts of bounded size, each the description's own lines
(the dataset, the build, the prefix declarations) and the ontology, with a share of the lines
that link it to one source's part and those parts' lines.

A part is linked by a *link*: a line whose predicate is one of :data:`LINKS` (``dcterms:source``
from the dataset to an article, ``prov:used`` from the build to an input), with what its object
brings (the object's lines in the description, and an article's lines from its source). The
split gives the verdict of the whole only when no constraint looks at the links of a node
together, which :func:`splits_soundly` checks in the shapes themselves: every property shape on
a link's predicate is a plain IRI path whose constraints are each checked value by value
(``sh:class``, ``sh:nodeKind``, ``sh:datatype``, ``sh:pattern`` …) or is ``sh:minCount`` 1 (which
each part meets: every part has a link of each predicate); the predicate appears nowhere else in
the shapes (no other path, no SPARQL text) but in a value-wise target (``sh:targetObjectsOf``,
``sh:targetSubjectsOf``); each link predicate has one subject (so that ``sh:minCount`` 1 is
met in every part for it); no line every part holds names what one part alone describes; and
each node is described by one part alone, or by what every part holds, and no part names a
node another part describes (what a part's constraints read is in the part). Otherwise, or
when the description has no link, the shared graphs are one unit, as before.

Every part holds the description's own lines and the ontology, so a violation there is found
by each part; the build merges the parts' rows, each result once
(:func:`kg.validation.report.merge_rows`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg.namespaces import SH
from kg.rdf.lines import closure_of, closures, named_terms, nt_bytes, terms_of

__all__ = ["LINKS", "PART_LINES", "VALUE_WISE", "shared_parts", "splits_soundly"]

#: The predicates by which the description links one source's part.
LINKS = (str(DCTERMS.source), str(PROV.used))
#: About how many lines of links and their parts go into one part (its validation then holds
#: some 100 MB, whatever the corpus).
PART_LINES = 20_000
#: The parameters of a property shape that constrain each value alone, or say what it is.
VALUE_WISE = {
    SH["class"],
    SH.nodeKind,
    SH.datatype,
    SH.pattern,
    SH.flags,
    SH.minLength,
    SH.maxLength,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH["in"],
    SH.severity,
    SH.message,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.deactivated,
}
_TARGETS = {SH.targetObjectsOf, SH.targetSubjectsOf}


def splits_soundly(shapes: Graph, predicates: Iterable[str] = LINKS) -> bool:
    """Whether the shapes check the values of each of ``predicates`` one by one, so that the
    links of a node may be validated in parts (see the module's text)."""
    for predicate in predicates:
        node = URIRef(predicate)
        for subject, relation in shapes.subject_predicates(node):
            if relation in _TARGETS:
                continue
            if relation != SH.path or not _value_wise(shapes, subject):
                return False
        local = re.split(r"[/#]", predicate)[-1]
        named = re.compile(rf"<{re.escape(predicate)}>|:{re.escape(local)}\b")
        for relation in (SH.select, SH.ask):  # a SPARQL constraint or target may read it
            if any(named.search(str(text)) for text in shapes.objects(None, relation)):
                return False
    return True


def _value_wise(shapes: Graph, shape: object) -> bool:
    for relation, value in shapes.predicate_objects(shape):  # type: ignore[arg-type]
        if relation == SH.path:
            continue
        if relation == SH.hasValue:
            return False  # one part has the value, the others not: not value by value
        if relation == SH.minCount:
            if not (isinstance(value, Literal) and int(value) <= 1):
                return False
            continue
        if str(relation).startswith(str(SH)) and relation not in VALUE_WISE:
            return False
    return True


def shared_parts(
    ontology: Sequence[str],
    catalogue: Sequence[str],
    description: Sequence[str],
    articles: Mapping[str, Sequence[str]],
    shapes: Graph,
    part_lines: int = PART_LINES,
) -> Iterator[tuple[bytes, bytes]] | None:
    """The shared graphs (each as N-Triples lines) with the ``articles`` the description names
    (their lines, by their IRI as a term, ``<…>``; read again for each use, never held all at
    once) as validation parts, each made when it is taken: each a pair (its own
    lines, the lines every part shares: the ontology and the description's own), the first
    with the whole catalogue, the others with the catalogue's lines about what they name
    (mapping records included). None when they cannot be split soundly (see the module's
    text): the caller validates them as one unit."""
    links = sorted(line for line in description if terms_of(line)[1][1:-1] in LINKS)
    if not links or not splits_soundly(shapes):
        return None
    subjects: dict[str, set[str]] = {}
    for line in links:
        subject, predicate, _ = terms_of(line)
        subjects.setdefault(predicate, set()).add(subject)
    if any(len(found) > 1 for found in subjects.values()):
        return None  # sh:minCount 1 is met in every part for one subject of each link alone
    objects = {terms_of(line)[2] for line in links}
    own = closures(description)
    linking = set(links)
    core = [x for x in description if x not in linking and terms_of(x)[0] not in objects]
    if objects & named_terms(core):
        return None  # a line every part holds names what one part alone describes

    def lines_of(term: str) -> list[str]:  # what a link's object brings (articles: on disk)
        return [*own.get(term, ()), *articles.get(term, ())]

    found = [(line, terms_of(line)[2]) for line in links]
    owner = {terms_of(x)[0]: -1 for x in core}  # who describes each node: -1 every part
    size = 0
    for n, (_, term) in enumerate(found):
        lines = lines_of(term)
        size += 1 + len(lines)
        for subject in {terms_of(x)[0] for x in lines}:
            if owner.setdefault(subject, n) != n:
                return None  # two parts (or a part and the core) describe one node
    for n, (_, term) in enumerate(found):
        if any(owner.get(named, n) not in (n, -1) for named in named_terms(lines_of(term))):
            return None  # a part names a node another part describes
    parts: dict[str, list[tuple[str, str]]] = {}
    for line, term in found:
        parts.setdefault(terms_of(line)[1], []).append((line, term))
    count = max(1, min(min(len(p) for p in parts.values()), size // part_lines + 1))
    chunks: list[list[tuple[str, str]]] = [[] for _ in range(count)]
    for linked in parts.values():  # each part gets links of every predicate
        for n, item in enumerate(linked):
            chunks[n % count].append(item)
    return _units(chunks, lines_of, catalogue, nt_bytes(ontology, core))


def _units(
    chunks: Sequence[Sequence[tuple[str, str]]],
    lines_of: Callable[[str], list[str]],
    catalogue: Sequence[str],
    base: bytes,
) -> Iterator[tuple[bytes, bytes]]:
    """The parts, each made when it is taken: a link's lines and what its object brings, the
    first part with the whole catalogue, the others with its lines about what they name."""
    entities = closures(catalogue)
    for n, chunk in enumerate(chunks):
        lines = [x for line, term in chunk for x in (line, *lines_of(term))]
        about = catalogue if n == 0 else closure_of(named_terms(lines), entities)
        yield nt_bytes(about, lines), base
