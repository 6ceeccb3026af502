"""The plain model: what the curation files say, checked, with no RDF yet (IRIs already expanded).

The loaders (:mod:`kg.curation.catalogue`, :mod:`kg.curation.sources`) build it;
:mod:`kg.rdf.mint` turns it into RDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from rdflib.term import URIRef

__all__ = [
    "P_VALUE_OPERATORS",
    "Article",
    "Claim",
    "DatasetInfo",
    "Entity",
    "Input",
    "Interval",
    "Mapping",
    "Measure",
    "PValue",
    "Population",
    "Prefix",
    "QualifierValue",
    "Quantity",
    "QuantityRange",
    "Source",
    "Span",
    "StudySet",
    "canonical_decimal",
]

MatchKind = Literal["exact", "close", "broad", "narrow", "related"]


@dataclass(frozen=True)
class Prefix:
    """A CURIE prefix, its URI prefix and local-ID pattern, as Bioregistry gives them."""

    prefix: str
    uri_prefix: str
    pattern: str | None
    registry_iri: str | None
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mapping:
    """A cross-reference of an entity: a SKOS match of one kind to another dataset's IRI.

    ``confidence`` is None for a checked identifier (confidence 1); below 1 for one seen in a
    single weaker source, which is then published as an SSSOM record only.
    """

    kind: MatchKind
    iri: URIRef
    curie: str  # as the curator wrote it (it names the mapping record's IRI: never changed)
    preferred_curie: str  # as the release writes it (GO:, NCBIGene:), for labels
    label: str | None = None
    confidence: Decimal | None = None
    comment: str | None = None
    see_also: str | None = None


@dataclass(frozen=True)
class Entity:
    """One record of the entity catalogue."""

    key: str
    iri: URIRef
    label: str
    categories: tuple[URIRef, ...]
    synonyms: tuple[str, ...] = ()
    description: str | None = None
    comment: str | None = None
    sector: URIRef | None = None
    mappings: tuple[Mapping, ...] = ()


@dataclass(frozen=True)
class Quantity:
    """A positive number with a unit (an IRI of a kgo:Unit), and its value in the unit's
    normal unit when the unit converts to one (a duration in days), so that quantities of
    different units compare."""

    value: Decimal
    unit: URIRef
    normal: tuple[Decimal, URIRef] | None = None


@dataclass(frozen=True)
class QuantityRange:
    """A range of numbers with one unit (50-200 mg/day): minimum <= maximum."""

    minimum: Decimal
    maximum: Decimal
    unit: URIRef


@dataclass(frozen=True)
class Measure:
    """A result as a source reports it: a kind of statistic (a kgo:Statistic IRI), a signed
    value, a unit, and optionally the arm it was measured in (an entity) and the scale it was
    read on (minimum, maximum)."""

    statistic: URIRef
    value: Decimal
    unit: URIRef
    arm: URIRef | None = None
    scale: tuple[Decimal, Decimal] | None = None


@dataclass(frozen=True)
class PValue:
    """A p-value as a source writes it: a number in [0, 1] and the operator before it."""

    value: Decimal
    operator: str  # one of P_VALUE_OPERATORS


@dataclass(frozen=True)
class Interval:
    """A confidence interval: its limits (lower <= upper), its level in (0, 1), its unit."""

    lower: Decimal
    upper: Decimal
    level: Decimal
    unit: URIRef | None = None


@dataclass(frozen=True)
class Population:
    """The patients a result holds for, as the source names them: a label, the size (n) when
    the source gives it, the condition they have (an entity)."""

    label: str
    size: int | None = None
    condition: URIRef | None = None


#: How a p-value may relate to its number.
P_VALUE_OPERATORS = ("<", "<=", "=", ">=", ">")


@dataclass(frozen=True)
class StudySet:
    """A number of studies sharing designs (IRIs of catalogue entities)."""

    count: int
    designs: tuple[URIRef, ...]


QualifierValue = (
    URIRef
    | str
    | bool
    | Quantity
    | StudySet
    | QuantityRange
    | Measure
    | PValue
    | Interval
    | Population
)


@dataclass(frozen=True)
class Span:
    """Where a quote stands in a source text: code points from 0, end exclusive."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


@dataclass(frozen=True)
class Claim:
    """One curated claim, anchored in its source text."""

    key: str
    subject: URIRef
    predicate: URIRef
    object: URIRef
    status: URIRef
    knowledge_level: str
    span: Span
    evidence_type: URIRef | None = None
    qualifiers: tuple[tuple[URIRef, tuple[QualifierValue, ...]], ...] = ()
    note: str | None = None
    negated: bool = False  # a hypothesis that something does not hold (see kg.views)
    # links to other claims: (property, ((source key, claim key), ...)) in the curator's order
    links: tuple[tuple[URIRef, tuple[tuple[str, str], ...]], ...] = ()


@dataclass(frozen=True)
class Article:
    """The article a source document is the record of."""

    iri: URIRef
    title: str
    journal: URIRef
    journal_abbreviation: str
    year_month: str
    volume: str
    issue: str
    pages: str
    doi: str
    affiliation: URIRef
    abstract: str
    keywords: tuple[str, ...]
    same_as: tuple[Mapping, ...]


@dataclass(frozen=True)
class Source:
    """A source document as received, its article and its claims."""

    key: str
    path: str
    text: str
    sha256: str
    article: Article
    claims: tuple[Claim, ...]


@dataclass(frozen=True, order=True)
class Input:
    """A file the build read, with its checksum (for the dataset description)."""

    path: str
    sha256: str


@dataclass(frozen=True)
class DatasetInfo:
    """What dataset.yaml says of the release."""

    title: str
    description: str
    version: str
    license: URIRef
    publisher_key: str
    publisher_label: str
    previous_version: str | None = None  # pav:previousVersion
    sparql_endpoint: str | None = None  # void:sparqlEndpoint of the summary (void.ttl)


def canonical_decimal(value: Decimal) -> str:
    """The canonical lexical form of an xsd:decimal (XSD 1.1, as Oxigraph writes it).

    >>> canonical_decimal(Decimal("100")), canonical_decimal(Decimal("12.50"))
    ('100', '12.5')
    """
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text
