"""What the site's pictures (:mod:`kg.web.pictures`) show, read from the release: each claim's
subject, predicate, object, status and qualifiers (the properties of the claim that are not its
parts: :data:`kg.views.CLAIM_PROPERTIES`, as its page lists them), each entity's claims, and
the claims counted by status (every status the ontology defines, none left out for having no
claim) and by predicate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox
from curies import Converter
from rdflib import URIRef

from kg.namespaces import BIOLINK, KGO, RDF
from kg.rdf.lines import term_value
from kg.sparql.query import run_query
from kg.views import CLAIM_PROPERTIES, status_word
from kg.web.documents import SITE_LINKS
from kg.web.pictures import (
    MAX_ENDS,
    STATUS_STYLES,
    Bar,
    ClaimFigure,
    End,
    EntityFigure,
    Picture,
    bar_chart,
    claim_dot,
    draw,
    entity_dot,
)

__all__ = ["Pictures", "index_charts", "page_picture", "site_pictures"]

#: Properties of a claim its diagram does not show as qualifiers: its parts, status, evidence,
#: the claims it conflicts with (its page lists them), and the links the site adds.
_NOT_QUALIFIERS = CLAIM_PROPERTIES | {str(KGO.conflictsWith)} | SITE_LINKS
_STATUSES = f"""SELECT ?status (COUNT(DISTINCT ?claim) AS ?count) WHERE {{
  ?status a <{KGO.EpistemicStatus}> .
  OPTIONAL {{ ?claim a <{KGO.Claim}> ; <{KGO.epistemicStatus}> ?status }}
}} GROUP BY ?status"""
_PREDICATES = f"""SELECT ?predicate (COUNT(DISTINCT ?claim) AS ?count) WHERE {{
  ?claim a <{KGO.Claim}> ; <{BIOLINK.predicate}> ?predicate .
}} GROUP BY ?predicate"""


@dataclass
class Pictures:
    """The pictures of a site: a diagram for each claim and entity page, by its IRI, and the
    index's charts."""

    pages: dict[str, Picture] = field(default_factory=dict)
    charts: list[Picture] = field(default_factory=list)


@dataclass(frozen=True)
class _Words:
    """Names of the release's terms: an rdfs:label, else a CURIE, else the IRI."""

    labels: Mapping[str, str]
    converter: Converter

    def __call__(self, iri: str) -> str:
        return self.labels.get(iri) or self.converter.compress(iri) or iri

    def value(self, term: object) -> str:
        return self(term.value) if isinstance(term, ox.NamedNode) else term_value(term)


def site_pictures(store: ox.Store, labels: Mapping[str, str], converter: Converter) -> Pictures:
    """Every picture of the site of the release in ``store``: claims', entities', the index's.

    :raises GraphvizError: Graphviz's ``dot`` is missing or fails
    """
    words = _Words(labels, converter)
    typed = store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(KGO.Claim))
    figures = [
        _claim_figure(store, claim, words) for claim in sorted({q.subject for q in typed}, key=str)
    ]
    ends: dict[str, Counter[End]] = defaultdict(Counter)
    for _, figure, subject, obj in figures:
        for entity, other, outgoing in ((subject, obj, True), (obj, subject, False)):
            ends[entity][_end(figure, other, words(other), outgoing)] += 1
    drawing = {iri: _claim_drawing(figure) for iri, figure, *_ in figures}
    drawing |= {entity: _entity_drawing(words(entity), counted) for entity, counted in ends.items()}
    return Pictures(_drawn(drawing), _index_charts(store, words))


def page_picture(
    store: ox.Store, iri: str, labels: Mapping[str, str], converter: Converter
) -> Picture | None:
    """The picture of the page of ``iri`` (what :func:`site_pictures` draws for it): the
    entity's, when claims have it as their subject or object; else the claim's, when it is
    one; else none.

    :raises GraphvizError: Graphviz's ``dot`` is missing or fails
    """
    words = _Words(labels, converter)
    node = ox.NamedNode(iri)
    counted: Counter[End] = Counter()
    for role, outgoing in ((BIOLINK.subject, True), (BIOLINK.object, False)):
        for claim in sorted(
            {q.subject for q in store.quads_for_pattern(None, ox.NamedNode(str(role)), node)},
            key=str,
        ):
            if not _is_claim(store, claim):
                continue
            _, figure, subject, obj = _claim_figure(store, claim, words)
            end, other = (subject, obj) if outgoing else (obj, subject)
            if end == iri:
                counted[_end(figure, other, words(other), outgoing)] += 1
    if counted:
        return _drawn({iri: _entity_drawing(words(iri), counted)})[iri]
    if _is_claim(store, node):
        return _drawn({iri: _claim_drawing(_claim_figure(store, node, words)[1])})[iri]
    return None


def _is_claim(store: ox.Store, node: object) -> bool:
    typed = store.quads_for_pattern(node, ox.NamedNode(str(RDF.type)), ox.NamedNode(KGO.Claim))  # type: ignore[arg-type]
    return next(typed, None) is not None


def _end(figure: ClaimFigure, other: str, label: str, outgoing: bool) -> End:
    return End(other, label, figure.predicate, figure.status, _status(figure), outgoing)


def _claim_drawing(figure: ClaimFigure) -> tuple[str, tuple[str, str]]:
    """A claim's DOT graph, and its picture's title and caption."""
    return claim_dot(figure), ("Diagram of the claim", _claim_caption(figure))


def _entity_drawing(label: str, counted: Counter[End]) -> tuple[str, tuple[str, str]]:
    """An entity's DOT graph, and its picture's title and caption."""
    about = _entity_figure(label, counted)
    return entity_dot(about), ("The entity's claims", _entity_caption(about, counted))


def _drawn(drawing: Mapping[str, tuple[str, tuple[str, str]]]) -> dict[str, Picture]:
    svgs = draw(
        {k: graph for k, (graph, _) in drawing.items()}, {k: t for k, (_, t) in drawing.items()}
    )
    return {key: Picture(svg, drawing[key][1][1]) for key, svg in svgs.items()}


def _claim_figure(
    store: ox.Store, claim: ox.NamedNode | ox.BlankNode | ox.Triple, words: _Words
) -> tuple[str, ClaimFigure, str, str]:
    """A claim of the release: its IRI, its figure, its subject's and its object's IRIs."""
    values: dict[str, set[object]] = defaultdict(set)
    for triple in store.quads_for_pattern(claim, None, None):
        values[triple.predicate.value].add(triple.object)

    def one(prop: str) -> str:
        found = sorted(term_value(v) for v in values.get(prop, ()))
        return found[0] if found else ""

    status = one(str(KGO.epistemicStatus))
    qualifiers = [
        (words(prop), [words.value(v) for v in sorted(values[prop], key=str)])
        for prop in sorted(set(values) - _NOT_QUALIFIERS)
    ]
    subject, obj = one(str(BIOLINK.subject)), one(str(BIOLINK.object))
    figure = ClaimFigure(
        words(subject),
        words(one(str(BIOLINK.predicate))),
        words(obj),
        status_word(URIRef(status)),
        words.labels.get(status, status_word(URIRef(status))),
        one(str(BIOLINK.negated)) == "true",
        qualifiers,
    )
    return term_value(claim), figure, subject, obj


def _status(figure: ClaimFigure) -> str:
    """A claim's status in words: a negated hypothesis says both."""
    negated = figure.negated and figure.status != "negated"
    return f"{figure.status_label}, negated" if negated else figure.status_label


def _claim_caption(figure: ClaimFigure) -> str:
    """A claim's diagram in words.

    >>> _claim_caption(ClaimFigure("a", "treats", "b", "hypothesis", "hypothesis", True,
    ...                            [("dose", ["1 mg", "2 mg"])]))
    'a, treats, b; status: hypothesis, negated; dose: 1 mg and 2 mg.'
    """
    parts = [f"{figure.subject}, {figure.predicate}, {figure.object}", f"status: {_status(figure)}"]
    parts += [f"{name}: {' and '.join(values)}" for name, values in figure.qualifiers]
    return "; ".join(parts) + "."


def _entity_figure(label: str, counted: Counter[End]) -> EntityFigure:
    """The entity's ends, most claims first, each with its number of claims."""
    ordered = sorted(counted.items(), key=lambda item: (-item[1], _end_order(item[0])))
    return EntityFigure(
        label,
        [
            End(e.other, e.label, e.predicate, e.status, e.status_label, e.outgoing, n)
            for e, n in ordered
        ],
    )


def _end_order(end: End) -> tuple[str, str, str, bool]:
    return end.label, end.predicate, end.status_label, end.outgoing


def _entity_caption(figure: EntityFigure, counted: Counter[End]) -> str:
    """An entity's picture in words: each of its claims' kinds, and what is not drawn."""
    others = list(dict.fromkeys(e.other for e in figure.ends))
    drawn = set(others[:MAX_ENDS])
    said = []
    for e in figure.ends:
        if e.other not in drawn:
            continue
        text = (
            f"{figure.label} {e.predicate} {e.label}"
            if e.outgoing
            else f"{e.label} {e.predicate} {figure.label}"
        )
        said.append(f"{text} ({e.status_label}{f', {e.count} claims' if e.count > 1 else ''})")
    more = len(others) - len(drawn)
    tail = (
        f"; {more} other entities are not drawn (the list below names every claim)" if more else ""
    )
    total = sum(counted.values())
    return f"{total} claim{'s' if total != 1 else ''}: " + "; ".join(said) + tail + "."


def index_charts(store: ox.Store, labels: Mapping[str, str], converter: Converter) -> list[Picture]:
    """The home page's charts of the release in ``store`` (what :func:`site_pictures` draws
    for it)."""
    return _index_charts(store, _Words(labels, converter))


def _index_charts(store: ox.Store, words: _Words) -> list[Picture]:
    """The index's charts: claims by status (each status the ontology defines, in its colour),
    claims by predicate."""
    statuses = [
        Bar(words(status), int(term_value(row["count"])), _colour(status))
        for row in run_query(store, _STATUSES)  # type: ignore[attr-defined]
        for status in [term_value(row["status"])]
    ]
    predicates = [
        Bar(words(term_value(row["predicate"])), int(term_value(row["count"])))
        for row in run_query(store, _PREDICATES)  # type: ignore[attr-defined]
    ]
    return [
        bar_chart("Claims by status", _ordered(statuses), "chart-status"),
        bar_chart("Claims by predicate", _ordered(predicates), "chart-predicate"),
    ]


def _colour(status: str) -> str:
    style = STATUS_STYLES.get(status_word(URIRef(status)))
    return style.color if style else Bar.color


def _ordered(bars: list[Bar]) -> list[Bar]:
    return sorted(bars, key=lambda bar: (-bar.count, bar.label, bar.color))
