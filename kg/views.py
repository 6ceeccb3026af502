"""The one view of a claim that every output is derived from.

A claim is read once, from the plain model, into a :class:`ClaimView`: its status, whether it
is negated, its knowledge level, its qualifiers with their labels, a plain-language reading
that carries the qualifiers, a label unique within its source, whether it states its direct
triple, and the Biolink edge it becomes (:class:`CoreEdge`). The graph (:mod:`kg.rdf.mint`), the
nanopublications, the KGX edges, the claims table and the pages all take these from the view;
none of them decides for itself what a status means.

The rules, in one place:

- *the direct triple* (subject predicate object, with no claim around it) is stated only for a
  claim that is itself ``asserted``: never because another claim shares the triple;
- *negation*: a ``negated`` claim is negated; a ``hypothesis`` may be negated (the hypothesis
  that something does not hold); an ``asserted`` or ``assessed`` claim never is;
- *knowledge level* (Biolink's KnowledgeLevelEnum): a hypothesis is a ``prediction`` (Biolink's
  alias for it is "hypothesis"); an assessed claim says how something was measured and not what
  was found, so its own level is ``not_provided``; an asserted or negated claim has the level
  its curator gave (default ``knowledge_assertion``);
- *the Biolink edge*: what stays true when a consumer ignores every column Biolink does not
  define. An asserted claim is its own edge; a negated one the same edge with ``negated``; a
  hypothesis the same edge at the level ``prediction``; an assessed claim is not an edge of its
  predicate at all (nothing was found) but of what the source does state: the drug was
  ``in_clinical_trials_for`` the condition, a knowledge assertion. The claim's own predicate
  and status travel beside the edge in columns of the project's own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from rdflib.term import Node, URIRef

from kg.model import (
    Claim,
    Interval,
    Measure,
    Population,
    PValue,
    QualifierValue,
    Quantity,
    QuantityRange,
    Source,
    Span,
    StudySet,
    canonical_decimal,
)
from kg.namespaces import BIOLINK, KGO, RDF, RDFS

__all__ = [
    "AGENT_TYPE",
    "ASSESSED_EDGE",
    "ASSOCIATION_SLOTS",
    "CLAIM_PROPERTIES",
    "ClaimView",
    "CoreEdge",
    "QualifierView",
    "Readings",
    "claim_iri",
    "local_name",
    "quantity_label",
    "result_label",
    "status_word",
    "text_iri",
    "views_of",
]

#: The Biolink association slots every claim has (in the graph, and as KGX columns).
ASSOCIATION_SLOTS = (
    "subject",
    "predicate",
    "object",
    "negated",
    "knowledge_level",
    "agent_type",
    "publications",
    "supporting_text",
    "has_evidence",
)
#: The properties of a claim that are not qualifiers: its parts, status, evidence, labels.
CLAIM_PROPERTIES = frozenset(
    {
        str(RDF.type),
        str(RDFS.label),
        str(RDFS.comment),
        str(KGO.reading),
        str(KGO.epistemicStatus),
        str(KGO.evidence),
        *(str(BIOLINK[name]) for name in ASSOCIATION_SLOTS),
    }
)
#: Biolink's agent type of every claim: each is curated by hand.
AGENT_TYPE = "manual_agent"
#: What an assessed claim becomes as a Biolink edge (see the module's rules).
ASSESSED_EDGE = BIOLINK.in_clinical_trials_for
#: Knowledge levels the status sets (a curator's value is refused for these statuses).
STATUS_KNOWLEDGE_LEVEL = {"hypothesis": "prediction", "assessed": "not_provided"}
#: How the reading of a claim begins, by status; ``{}`` is the claim's core reading.
_STATUS_READING = {
    "asserted": "{}",
    "negated": "it is not the case that {}",
    "hypothesis": "hypothesised: {}",
    "negated hypothesis": "hypothesised: it is not the case that {}",
    "assessed": "assessed, with no result stated: {}",
}
#: Verbs for a Biolink ``affects`` claim qualified by a direction and an aspect.
_DIRECTION_VERBS = {"decreased": "decreases", "increased": "increases"}


@dataclass(frozen=True)
class Readings:
    """How each qualifier reads in a claim's reading: property -> (name, template), where the
    template holds ``{}`` for the values (from catalogue/qualifiers.yaml); and, for a claim
    predicate of the project's own, the Biolink predicate its edge takes (its one Biolink
    superproperty in ontology/kgo.ttl, which the build requires: see
    :mod:`kg.curation.signatures`; ``biolink:related_to`` for a predicate given none here)."""

    templates: Mapping[URIRef, tuple[str, str]]
    biolink: Mapping[URIRef, URIRef] = field(default_factory=dict)

    def name(self, prop: URIRef) -> str:
        return self.templates.get(prop, (local_name(prop), ""))[0]

    def phrase(self, prop: URIRef, labels: Sequence[str]) -> str:
        """The qualifier's phrase: its template with its values; a template without ``{}``
        (a yes-or-no qualifier's) as it is when the value is yes, after "not" when it is no."""
        name, template = self.templates.get(prop, (local_name(prop), ""))
        if template and "{}" not in template:
            return template if all(label == "yes" for label in labels) else f"not {template}"
        return (template or f"{name}: {{}}").format(" and ".join(labels))


@dataclass(frozen=True)
class QualifierView:
    """A qualifier of a claim: its name in catalogue/qualifiers.yaml, its property, its values
    (as the model holds them) and their labels."""

    name: str
    property: URIRef
    values: tuple[QualifierValue, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class CoreEdge:
    """A claim as a Biolink edge: true when every column Biolink does not define is ignored."""

    predicate: URIRef
    negated: bool
    knowledge_level: str


@dataclass(frozen=True)
class ClaimView:
    """One claim as every output states it."""

    iri: URIRef
    key: str
    source: str
    subject: URIRef
    predicate: URIRef
    object: URIRef
    subject_label: str
    predicate_label: str
    object_label: str
    status: URIRef
    status_word: str  # asserted | negated | hypothesis | assessed
    negated: bool
    knowledge_level: str
    label: str
    reading: str
    qualifiers: tuple[QualifierView, ...]
    span: Span
    text: URIRef  # the source text the span counts in
    article: URIRef
    pmid: str | None
    doi: str | None
    evidence_type: URIRef | None
    note: str | None
    biolink_predicate: URIRef | None = None  # the Biolink edge's, for a predicate of our own

    @property
    def states_triple(self) -> bool:
        """Whether the claim's outputs state its direct triple: only when it is asserted."""
        return self.status_word == "asserted" and not self.negated

    @property
    def edge(self) -> CoreEdge:
        """The Biolink edge the claim becomes (see the module's rules)."""
        if self.status_word == "assessed":
            return CoreEdge(ASSESSED_EDGE, False, "knowledge_assertion")
        return CoreEdge(
            self.biolink_predicate or self.predicate, self.negated, self.knowledge_level
        )


def claim_iri(base: str, source: str, key: str) -> URIRef:
    """The IRI of a claim: ``<base><source>/claim/<key>``."""
    return URIRef(f"{base}{source}/claim/{key}")


def text_iri(base: str, source: str) -> URIRef:
    """The IRI of a source's text as received, which the claims' spans count in."""
    return URIRef(f"{base}{source}/text")


def status_word(status: URIRef) -> str:
    """``kgo:Asserted`` -> ``asserted``."""
    return str(status).rsplit("#", 1)[-1].lower()


def views_of(
    source: Source, base: str, names: Mapping[Node, str], readings: Readings
) -> list[ClaimView]:
    """The view of every claim of ``source``, in its order, with labels unique within it."""
    drafts = [_view(source, claim, base, names, readings) for claim in source.claims]
    counts = Counter(view.label for view in drafts)
    return [
        view
        if counts[view.label] == 1
        else _replace_label(view, f"{view.label} [claim {view.key}]")
        for view in drafts
    ]


def _replace_label(view: ClaimView, label: str) -> ClaimView:
    return replace(view, label=label)


def _view(
    source: Source, claim: Claim, base: str, names: Mapping[Node, str], readings: Readings
) -> ClaimView:
    word = status_word(claim.status)
    negated = word == "negated" or (word == "hypothesis" and claim.negated)
    level = STATUS_KNOWLEDGE_LEVEL.get(word, claim.knowledge_level)
    qualifiers = tuple(
        QualifierView(
            readings.name(prop),
            prop,
            values,
            tuple(_value_label(value, names) for value in values),
        )
        for prop, values in claim.qualifiers
    )
    subject, obj = names.get(claim.subject, str(claim.subject)), names[claim.object]
    predicate = names.get(claim.predicate, local_name(claim.predicate).replace("_", " "))
    core = _core_reading(subject, predicate, obj, qualifiers, readings)
    key = "negated hypothesis" if word == "hypothesis" and negated else word
    reading = _STATUS_READING.get(key, f"{word}: {{}}").format(core)
    status_label = names.get(claim.status, word)
    article = source.article
    pmid = next(
        (m.curie.split(":", 1)[1] for m in article.same_as if m.curie.startswith("pubmed:")),
        None,
    )
    return ClaimView(
        iri=claim_iri(base, source.key, claim.key),
        key=claim.key,
        source=source.key,
        subject=claim.subject,
        predicate=claim.predicate,
        object=claim.object,
        subject_label=subject,
        predicate_label=predicate,
        object_label=obj,
        status=claim.status,
        status_word=word,
        negated=negated,
        knowledge_level=level,
        label=f"{core} ({'negated ' if negated and word != 'negated' else ''}{status_label})",
        reading=reading,
        qualifiers=qualifiers,
        span=claim.span,
        text=text_iri(base, source.key),
        article=article.iri,
        pmid=pmid,
        doi=article.doi,
        evidence_type=claim.evidence_type,
        note=claim.note,
        biolink_predicate=(
            None
            if str(claim.predicate).startswith(str(BIOLINK))
            else readings.biolink.get(claim.predicate, BIOLINK.related_to)
        ),
    )


def _core_reading(
    subject: str,
    predicate: str,
    obj: str,
    qualifiers: Sequence[QualifierView],
    readings: Readings,
) -> str:
    """``D decreases the activity of T, by inhibition, preferentially over U``:
    Biolink's direction and aspect qualifiers of ``affects`` read as the verb; the other
    qualifiers as phrases, in the curator's order."""
    by_property = {q.property: q for q in qualifiers}
    direction = by_property.get(BIOLINK.object_direction_qualifier)
    aspect = by_property.get(BIOLINK.object_aspect_qualifier)
    used: set[URIRef] = set()
    if direction and aspect and direction.labels[0] in _DIRECTION_VERBS:
        predicate = f"{_DIRECTION_VERBS[direction.labels[0]]} the {' and '.join(aspect.labels)} of"
        used = {direction.property, aspect.property}
    phrases = [readings.phrase(q.property, q.labels) for q in qualifiers if q.property not in used]
    return ", ".join([f"{subject} {predicate} {obj}", *phrases])


def _value_label(value: QualifierValue, names: Mapping[Node, str]) -> str:
    """A qualifier value in words: an entity's or term's label, a quantity with its unit's
    label, a study set, the text itself."""
    if isinstance(value, URIRef):
        return names.get(value, local_name(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Quantity):
        return quantity_label(value, names)
    if isinstance(value, StudySet):
        designs = ", ".join(names.get(design, str(design)) for design in value.designs)
        return f"{value.count} {'study' if value.count == 1 else 'studies'}: {designs}"
    if isinstance(value, Result):
        return result_label(value, names)
    return str(value)


#: The structured values of results (see :func:`result_label`).
Result = QuantityRange | Measure | PValue | Interval | Population


def result_label(value: Result, names: Mapping[Node, str]) -> str:
    """A result's value in words, as a source would write it.

    >>> from decimal import Decimal as D
    >>> result_label(PValue(D("0.001"), "<"), {}), result_label(Population("all", 120), {})
    ('P<0.001', 'all (n=120)')
    """
    if isinstance(value, PValue):
        return f"P{value.operator}{canonical_decimal(value.value)}"
    if isinstance(value, Population):
        size = f" (n={value.size})" if value.size is not None else ""
        condition = f", with {names.get(value.condition, '')}" if value.condition else ""
        return f"{value.label}{size}{condition}"
    if isinstance(value, QuantityRange):
        unit = names.get(value.unit, str(value.unit))
        return f"{canonical_decimal(value.minimum)}-{canonical_decimal(value.maximum)} {unit}"
    if isinstance(value, Interval):
        unit = f" {names.get(value.unit, str(value.unit))}" if value.unit else ""
        level = canonical_decimal(value.level * 100)
        low, high = canonical_decimal(value.lower), canonical_decimal(value.upper)
        return f"{level}% confidence interval {low} to {high}{unit}"
    number = canonical_decimal(value.value)
    sign = "+" if value.value > 0 else ""
    words = [f"{names.get(value.statistic, str(value.statistic))} {sign}{number}"]
    words.append(names.get(value.unit, str(value.unit)))
    if value.arm is not None:
        words.append(f"in the {names.get(value.arm, str(value.arm))} arm")
    if value.scale is not None:
        low, high = (canonical_decimal(bound) for bound in value.scale)
        words.append(f"on a {low}-{high} scale")
    return " ".join(words)


def quantity_label(value: Quantity, names: Mapping[Node, str]) -> str:
    """``100 milligram per day``: the number in canonical form and the unit's label."""
    return f"{canonical_decimal(value.value)} {names.get(value.unit, str(value.unit))}"


def local_name(iri: URIRef) -> str:
    """The last segment of an IRI: ``…/ontology#maximumDuration`` -> ``maximumDuration``."""
    return str(iri).rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
