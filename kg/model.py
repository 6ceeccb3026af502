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
    "Article",
    "Claim",
    "DatasetInfo",
    "Entity",
    "Input",
    "Mapping",
    "Origin",
    "Prefix",
    "QualifierValue",
    "Quantity",
    "Source",
    "Span",
    "StudySet",
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
    """A positive number with a unit (an IRI of a kgo:Unit)."""

    value: Decimal
    unit: URIRef


@dataclass(frozen=True)
class StudySet:
    """A number of studies sharing designs (IRIs of catalogue entities)."""

    count: int
    designs: tuple[URIRef, ...]


QualifierValue = URIRef | str | bool | Quantity | StudySet


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
    origin: Origin | None = field(default=None, compare=False, repr=False)  # source.yaml's article


@dataclass(frozen=True)
class Source:
    """A source document as received, its article and its claims."""

    key: str
    path: str
    text: str
    sha256: str
    article: Article
    claims: tuple[Claim, ...]
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
    origin: Origin | None = field(default=None, compare=False, repr=False)  # dataset.yaml


def canonical_decimal(value: Decimal) -> str:
    """The canonical lexical form of an xsd:decimal (XSD 1.1, as Oxigraph writes it).

    >>> canonical_decimal(Decimal("100")), canonical_decimal(Decimal("12.50"))
    ('100', '12.5')
    """
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text
