"""The plain model: what the curation files say, checked, with no RDF yet (IRIs already expanded).

The loaders (:mod:`kg.curation.catalogue`, :mod:`kg.curation.sources`) build it;
:mod:`kg.rdf.mint` turns it into RDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    "Origin",
    "PValue",
    "Person",
    "Population",
    "Prefix",
    "QualifierValue",
    "Quantity",
    "QuantityRange",
    "Source",
    "Span",
    "StudySet",
    "Term",
    "canonical_decimal",
]

MatchKind = Literal["exact", "close", "broad", "narrow", "related"]


@dataclass(frozen=True)
class Origin:
    """Where a record of the model was curated: its file, the line it starts on (from 1), how
    a message names it (``claim 'snri-class'``), the line of each field it has, and the lines
    of the items of a list field. The loaders keep it from the lines they read anyway, so
    that a violation the shapes find in what the record became can name the line a curator
    edits (see :mod:`kg.rdf.origins`); it plays no part in what the record means.

    A field of a nested mapping is named with a dot (``qualifiers.object_direction``).

    >>> origin = Origin("claims.yaml", 3, "claim 'a'", (("status", 7),), (("object", (8, 9)),))
    >>> origin.line_of("status"), origin.line_of("object", 1), origin.line_of("note")
    (7, 9, 3)
    """

    file: str
    line: int | None
    name: str
    fields: tuple[tuple[str, int], ...] = ()
    items: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def has(self, name: str) -> bool:
        """Whether the record has the field ``name``."""
        return any(key == name for key, _ in self.fields)

    def line_of(self, name: str, index: int | None = None) -> int | None:
        """The line of item ``index`` (from 0) of the field ``name``, else of the field, else
        of the record."""
        if index is not None:
            lines = next((lines for key, lines in self.items if key == name), ())
            if index < len(lines):
                return lines[index]
        return next((line for key, line in self.fields if key == name), self.line)


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
    origin: Origin | None = field(default=None, compare=False, repr=False)


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
    origin: Origin | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Person:
    """An author of an article, as its document lists them, with their affiliations' text."""

    name: str
    affiliations: tuple[str, ...] = ()
    given_name: str | None = None
    family_name: str | None = None


@dataclass(frozen=True)
class Term:
    """A heading the article is indexed under (a MeSH heading, a publication type): its name as
    the document gives it, and its IRI when the document gives its identifier."""

    name: str
    iri: URIRef | None = None


@dataclass(frozen=True)
class Article:
    """The article a source document is the record of. ``date`` is ISO 8601 with the precision
    the document gives (``2014``, ``2014-11``, ``2014-11-21``); ``journal`` and
    ``organizations`` are catalogue entities, when source.yaml names them."""

    iri: URIRef
    title: str
    citation: str
    date: str
    journal_name: str
    journal: URIRef | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    organizations: tuple[URIRef, ...] = ()
    authors: tuple[Person, ...] = ()
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    subjects: tuple[Term, ...] = ()
    publication_types: tuple[Term, ...] = ()
    same_as: tuple[Mapping, ...] = ()
    origin: Origin | None = field(default=None, compare=False, repr=False)  # source.yaml's article


@dataclass(frozen=True)
class Source:
    """A source document as received, its article and its claims."""

    key: str
    path: str
    text: str  # the text quotes count in (kg.curation.documents.text)
    sha256: str  # of the document's bytes as received
    article: Article
    claims: tuple[Claim, ...]
    media_type: str = "text/plain"  # of the document as received
    origin: Origin | None = field(default=None, compare=False, repr=False)  # source.yaml


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
    shard_sources: int | None = None  # the sources of each shard of graph.nq (none: no shards)
    origin: Origin | None = field(default=None, compare=False, repr=False)  # dataset.yaml


def canonical_decimal(value: Decimal) -> str:
    """The canonical lexical form of an xsd:decimal (XSD 1.1, as Oxigraph writes it).

    >>> canonical_decimal(Decimal("100")), canonical_decimal(Decimal("12.50"))
    ('100', '12.5')
    """
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text
