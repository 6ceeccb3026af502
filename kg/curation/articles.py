"""A source's article: what its document says (read by the source's parser), checked against
what ``source.yaml``'s ``article:`` says, and joined to the catalogue's journal and
organisations when it names them.

The identifiers ``source.yaml`` gives (``id``, ``pmid``, ``pmcid``) must agree with those the
document states; a plain-text source states none, so its ``article:`` describes it (title,
journal, date, authors ...).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from rdflib.term import URIRef

from kg.curation.catalogue import Catalogue, expand
from kg.curation.documents import FORMATS, Author, DocumentError, DocumentRecord
from kg.curation.documents.record import citation_of, iso_date
from kg.curation.prefixes import PrefixMap
from kg.curation.records import Record, as_list, check_fields
from kg.curation.records import text as text_field
from kg.errors import InputError
from kg.model import Article, Mapping, Term

__all__ = ["IDENTIFIERS", "PLAIN_FIELDS", "read_article", "read_document"]

#: The identifiers of ``article:`` and the record field each is checked against.
IDENTIFIERS = {"pmid": ("pubmed", "pmid"), "pmcid": ("pmc", "pmcid")}
#: What ``article:`` says of a plain-text source (the document says nothing of itself).
PLAIN_FIELDS = (
    "title",
    "journal_name",
    "date",
    "volume",
    "issue",
    "pages",
    "authors",
    "keywords",
)


def read_document(parser: str, data: bytes, display: str) -> tuple[str, DocumentRecord | None]:
    """The text of a document (that quotes count in) and its record (None for plain text).

    :raises InputError: naming the document, the line and what was expected
    """
    kind = FORMATS[parser]
    try:
        return kind.text(data), kind.read(data) if kind.read else None
    except DocumentError as error:
        raise InputError(display, error.line, f"parser {parser!r}", error.message) from error
    except ValueError as error:  # the old page's parser says its line in the message
        raise InputError(display, None, f"parser {parser!r}", str(error)) from error


def read_article(
    meta: Record,
    document: DocumentRecord | None,
    *,
    prefixes: PrefixMap,
    catalogue: Catalogue,
) -> Article:
    """The article of a source: ``meta`` is source.yaml's ``article:`` mapping, ``document``
    what the document says (None for plain text).

    :raises InputError: at the line of source.yaml that disagrees with the document
    """
    plain = document is None
    check_fields(
        meta,
        "article",
        required=["id", *(("title", "journal_name", "date") if plain else ())],
        optional=["pmid", "pmcid", "journal", "affiliation", *(PLAIN_FIELDS if plain else ())],
    )
    record = document if document is not None else _plain_record(meta)
    iri = expand(prefixes, meta["id"], meta, "article", "id")
    _check_identifiers(meta, record)
    same_as = tuple(
        Mapping("exact", iri, meta[f], prefixes.compress(iri))
        for f in IDENTIFIERS
        if f in meta
        for iri in (expand(prefixes, meta[f], meta, "article", f),)
    )
    return Article(
        iri=iri,
        title=record.title,
        citation=record.citation,
        date=record.date,
        journal_name=record.journal,
        journal=_journal(meta, record, catalogue),
        volume=record.volume,
        issue=record.issue,
        pages=record.pages,
        doi=record.doi,
        organizations=tuple(_entity(meta, key, catalogue, "affiliation") for key in _keys(meta)),
        authors=record.authors,
        abstract=record.abstract,
        keywords=record.keywords,
        subjects=_terms(record.mesh_headings, meta, prefixes),
        publication_types=_terms(record.publication_types, meta, prefixes),
        same_as=same_as,
        origin=meta.origin("article"),
    )


def _check_identifiers(meta: Record, record: DocumentRecord) -> None:
    """Each identifier source.yaml gives agrees with the document, where it gives one."""
    stated = {"doi": record.doi, "pubmed": record.pmid, "pmc": record.pmcid}
    given = [("id", meta["id"])] + [(f, meta[f]) for f in IDENTIFIERS if f in meta]
    for field, curie in given:
        prefix, _, local = str(curie).partition(":")
        says = stated.get(prefix)
        if says is not None and local.casefold() != says.casefold():
            raise meta.error(
                "article",
                f"{field} {curie!r} does not match the document, which says {prefix}:{says}",
                key=field,
            )


def _keys(meta: Record) -> list[Any]:
    return as_list(meta, "affiliation") if meta.get("affiliation") is not None else []


def _entity(meta: Record, key: object, catalogue: Catalogue, field: str) -> URIRef:
    entity = catalogue.entities.get(key) if isinstance(key, str) else None
    if entity is None:
        raise meta.error(
            "article",
            f"{field}: entity {key!r} is not defined in catalogue/entities.yaml",
            key=field,
        )
    return entity.iri


def _journal(meta: Record, record: DocumentRecord, catalogue: Catalogue) -> URIRef | None:
    """The catalogue's journal, which must be the document's: by a label or synonym, or by
    ISSN (the entity's identifier or one of its cross-references)."""
    key = meta.get("journal")
    if key is None:
        return None
    iri = _entity(meta, key, catalogue, "journal")
    entity = catalogue.entities[key]
    names = {n.casefold() for n in (entity.label, *entity.synonyms)}
    issns = {str(m.curie).partition(":")[2] for m in entity.mappings if m.curie.startswith("issn:")}
    issns.add(str(iri).rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    said = [n for n in (record.journal, record.journal_title) if n]
    if {n.casefold() for n in said} & names or issns & set(record.issns):
        return iri
    raise meta.error(
        "article",
        f"the document's journal {' / '.join(map(repr, said))} is not a label or synonym of "
        f"entity {key!r}, nor its ISSN",
        key="journal",
    )


def _terms(headings: Iterable[Any], meta: Record, prefixes: PrefixMap) -> tuple[Term, ...]:
    terms = []
    for heading in headings:
        iri = None
        if heading.mesh_id:
            try:
                iri = prefixes.expand(f"mesh:{heading.mesh_id}")
            except ValueError as error:
                raise meta.error(
                    "article",
                    f"the document's MeSH heading {heading.name!r}: {error} "
                    "(declare mesh in catalogue/prefixes.yaml)",
                ) from error
        terms.append(Term(heading.name, iri))
    return tuple(terms)


def _plain_record(meta: Record) -> DocumentRecord:
    """What ``article:`` says of a plain-text source, checked as a parser checks a document."""
    try:
        date = iso_date(_scalar(meta.get("date")))
    except ValueError as error:
        raise meta.error("article", f"date: {error}", key="date") from error
    journal = text_field(meta, "article", "journal_name")
    parts = {f: _optional_scalar(meta, f) for f in ("volume", "issue", "pages")}
    doi = str(meta["id"]).partition(":")[2] if str(meta["id"]).startswith("doi:") else None
    return DocumentRecord(
        title=text_field(meta, "article", "title"),
        journal=journal,
        date=date,
        citation=citation_of(journal, date, parts["volume"], parts["issue"], parts["pages"], doi),
        doi=doi,
        authors=tuple(
            _plain_author(meta, index, a) for index, a in enumerate(_list(meta, "authors"))
        ),
        keywords=tuple(str(k) for k in _list(meta, "keywords")),
        volume=parts["volume"],
        issue=parts["issue"],
        pages=parts["pages"],
    )


def _list(meta: Record, field: str) -> list[Any]:
    return as_list(meta, field) if meta.get(field) is not None else []


def _plain_author(meta: Record, index: int, value: object) -> Author:
    """An author of ``authors:``: a name, or ``{name: ..., affiliations: [...]}``."""
    if isinstance(value, str) and value.strip():
        return Author(value.strip())
    if isinstance(value, Record):
        check_fields(value, f"author #{index + 1}", required=["name"], optional=["affiliations"])
        name = text_field(value, f"author #{index + 1}", "name")
        affiliations = [
            str(a) for a in (as_list(value, "affiliations") if value.get("affiliations") else [])
        ]
        return Author(name, tuple(affiliations))
    raise meta.error(
        "article",
        f"authors: expected a name or {{name, affiliations}}, got {value!r}",
        key="authors",
        index=index,
    )


def _scalar(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None or isinstance(value, bool) else str(value)


def _optional_scalar(meta: Record, field: str) -> str | None:
    value = meta.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise meta.error("article", f"{field}: expected text, got {value!r}", key=field)
    return str(value).strip() or None
