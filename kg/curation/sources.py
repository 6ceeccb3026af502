"""A source folder: the document as received (checked against its checksum), its article, read
from the page, and its curated claims, each anchored in the text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping as FileMap
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rdflib.term import URIRef

from kg.curation.catalogue import Catalogue, Ontology, QualifierSpec, expand, expand_term
from kg.curation.prefixes import PrefixMap
from kg.curation.pubmed import parse_pubmed_page
from kg.curation.records import (
    Record,
    as_list,
    check_fields,
    check_key,
    load_yaml,
    optional_text,
    records_of,
)
from kg.curation.records import text as text_field
from kg.curation.spans import locate
from kg.errors import InputError
from kg.model import Article, Claim, Mapping, QualifierValue, Quantity, Source, StudySet
from kg.namespaces import KGO
from kg.views import STATUS_KNOWLEDGE_LEVEL

__all__ = ["PARSERS", "SourceFiles", "load_source", "read_folder"]

#: The page parsers a source.yaml may name.
PARSERS = {"pubmed-page": parse_pubmed_page}
DEFAULT_KNOWLEDGE_LEVEL = "knowledge_assertion"
SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)


class _Context:
    """What every check of one source needs at hand."""

    def __init__(self, prefixes: PrefixMap, ontology: Ontology, catalogue: Catalogue) -> None:
        self.prefixes, self.ontology, self.catalogue = prefixes, ontology, catalogue

    def entity(self, key: object, record: Record, name: str, field: str) -> URIRef:
        entity = self.catalogue.entities.get(key) if isinstance(key, str) else None
        if entity is None:
            raise record.error(
                name,
                f"{field}: entity {key!r} is not defined in catalogue/entities.yaml",
                key=field,
            )
        return entity.iri


@dataclass(frozen=True)
class SourceFiles:
    """A source folder as read from disk: its path in the project and the bytes of each file
    directly in it. What a build does with a source depends on these bytes alone (and on the
    project's shared inputs), so they are what a worker is given and what its cache keys."""

    folder: str
    files: FileMap[str, bytes]
    problem: str | None = None  # why the folder could not be listed

    def read(self, name: str) -> bytes:
        """The bytes of one file of the folder.

        :raises OSError: no such file (or the folder could not be read)
        """
        data = self.files.get(name)
        if data is None:
            raise FileNotFoundError(self.problem or f"no file {name!r} in {self.folder}")
        return data

    def digest(self) -> bytes:
        """A hash of the folder's path, file names and contents."""
        digest = hashlib.sha256(f"{self.folder}\0{self.problem}\0".encode())
        for name, data in sorted(self.files.items()):
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
        return digest.digest()


def read_folder(folder: Path, *, root: Path) -> SourceFiles:
    """Read every file directly in a source folder (not its subfolders)."""
    display = folder.relative_to(root).as_posix()
    files = {}
    try:
        for entry in sorted(folder.iterdir()):
            if entry.is_file():
                files[entry.name] = entry.read_bytes()
    except OSError as error:
        return SourceFiles(display, files, f"{error.strerror or error}: {display}")
    return SourceFiles(display, files)


def load_source(
    folder: SourceFiles, *, prefixes: PrefixMap, ontology: Ontology, catalogue: Catalogue
) -> Source:
    """Read ``source.yaml``, its document and ``claims.yaml`` of a source folder, checking
    all."""
    display = folder.folder
    meta = load_yaml(_bytes(folder, "source.yaml"), display=f"{display}/source.yaml")
    check_fields(meta, "source", required=["key", "file", "sha256", "parser", "article"])
    key = check_key(meta, "source")
    file = text_field(meta, "source", "file")
    if "/" in file or "\\" in file or file in (".", ".."):
        raise meta.error("source", f"file: {file!r} must be a file name in {display}", key="file")
    if not SHA256.fullmatch(text_field(meta, "source", "sha256")):
        raise meta.error("source", "sha256: expected 64 lower-case hex digits", key="sha256")
    context = _Context(prefixes, ontology, catalogue)
    data = _read_checked(folder, file, meta, f"{display}/{file}")
    document = data.decode("utf-8")
    article = _article(meta, document, f"{display}/{file}", context)
    claims = _load_claims(
        _bytes(folder, "claims.yaml"), f"{display}/claims.yaml", document, context
    )
    return Source(
        key,
        f"{display}/{file}",
        document,
        meta["sha256"],
        article,
        claims,
        origin=meta.origin("source"),
    )


def _bytes(folder: SourceFiles, name: str) -> bytes:
    try:
        return folder.read(name)
    except OSError as error:
        raise InputError(f"{folder.folder}/{name}", None, None, f"cannot read: {error}") from error


def _read_checked(folder: SourceFiles, name: str, meta: Record, display: str) -> bytes:
    try:
        data = folder.read(name)
    except OSError as error:
        raise meta.error("source", f"cannot read {display}: {error}", key="file") from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta["sha256"]:
        raise meta.error(
            "source",
            f"{display} has SHA-256 {digest}, but source.yaml records "
            f"{meta['sha256']}: the document is no longer as received",
            key="sha256",
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise meta.error("source", f"{display} is not UTF-8: {error}", key="file") from error
    return data


def _article(meta: Record, text: str, text_display: str, context: _Context) -> Article:
    parser = PARSERS.get(text_field(meta, "source", "parser"))
    if parser is None:
        raise meta.error(
            "source",
            f"unknown parser {meta['parser']!r} (known: {', '.join(PARSERS)})",
            key="parser",
        )
    try:
        page = parser(text)
    except ValueError as error:
        raise InputError(text_display, None, f"parser {meta['parser']!r}", str(error)) from error
    record = meta["article"]
    if not isinstance(record, Record):
        raise meta.error("source", "article: expected a mapping", key="article")
    check_fields(
        record, "article", required=["id", "journal", "affiliation"], optional=["pmid", "pmcid"]
    )
    iri = expand(context.prefixes, record["id"], record, "article", "id")
    if str(record["id"]).split(":", 1)[1] != page.doi:
        raise record.error(
            "article", f"id {record['id']!r} does not match the page's DOI {page.doi!r}", key="id"
        )
    journal_key = record["journal"]
    journal = context.entity(journal_key, record, "article", "journal")
    names = {
        context.catalogue.entities[journal_key].label,
        *context.catalogue.entities[journal_key].synonyms,
    }
    if page.journal_abbreviation not in names:
        raise record.error(
            "article",
            f"the page's journal {page.journal_abbreviation!r} is "
            f"not a label or synonym of entity {journal_key!r}",
            key="journal",
        )
    iris = {
        f: expand(context.prefixes, record[f], record, "article", f)
        for f in ("pmid", "pmcid")
        if f in record
    }
    same_as = tuple(
        Mapping("exact", iri, record[f], context.prefixes.compress(iri)) for f, iri in iris.items()
    )
    return Article(
        iri=iri,
        title=page.title,
        journal=journal,
        journal_abbreviation=page.journal_abbreviation,
        year_month=page.year_month,
        volume=page.volume,
        issue=page.issue,
        pages=page.pages,
        doi=page.doi,
        affiliation=context.entity(record["affiliation"], record, "article", "affiliation"),
        abstract=page.abstract,
        keywords=page.keywords,
        same_as=same_as,
        origin=record.origin("article"),
    )


def _load_claims(path: bytes, display: str, text: str, context: _Context) -> tuple[Claim, ...]:
    data = load_yaml(path, display=display, top_level=["claims"])
    claims: dict[str, Claim] = {}
    for index, record in enumerate(records_of(data, "claims", file=display), start=1):
        claim = _claim(record, index, text, context)
        if claim.key in claims:
            raise record.error(f"claim {claim.key!r}", "duplicate claim key", key="key")
        claims[claim.key] = claim
    return tuple(claims.values())


def _claim(record: Record, index: int, document: str, context: _Context) -> Claim:
    key = record.get("key")
    name = f"claim {key!r}" if key else f"claim #{index}"
    check_fields(
        record,
        name,
        required=["key", "subject", "predicate", "object", "status", "quote"],
        optional=[
            "knowledge_level",
            "negated",
            "evidence_type",
            "prefix",
            "qualifiers",
            "note",
        ],
    )
    predicate = expand(context.prefixes, record["predicate"], record, name, "predicate")
    if predicate not in context.ontology.instances(KGO.ClaimPredicate):
        raise record.error(
            name,
            f"predicate {record['predicate']!r} is outside the allowed set "
            "(the kgo:ClaimPredicate terms of ontology/kgo.ttl)",
            key="predicate",
        )
    statuses = context.ontology.statuses()
    if record["status"] not in statuses:
        raise record.error(
            name, f"status must be one of {', '.join(sorted(statuses))}", key="status"
        )
    level, negated = _status_fields(record, name)
    quote = text_field(record, name, "quote")
    before = optional_text(record, name, "prefix")  # its own error, not the quote's
    try:
        span = locate(document, quote, before=before)
    except ValueError as error:
        raise record.error(name, str(error), key="quote") from error
    evidence = record.get("evidence_type")
    return Claim(
        key=check_key(record, name),
        subject=context.entity(record["subject"], record, name, "subject"),
        predicate=predicate,
        object=context.entity(record["object"], record, name, "object"),
        status=statuses[record["status"]],
        knowledge_level=level,
        span=span,
        evidence_type=(
            expand(context.prefixes, evidence, record, name, "evidence_type") if evidence else None
        ),
        qualifiers=_qualifiers(record, name, context),
        note=optional_text(record, name, "note"),
        negated=negated,
        origin=record.origin(name, nested=["qualifiers"]),
    )


def _status_fields(record: Record, name: str) -> tuple[str, bool]:
    """The knowledge level and negation a curator may add to a status: a knowledge level only
    to an asserted or negated claim (a hypothesis is a prediction, an assessed claim states
    none: the status says so, see kg.views), ``negated: true`` only to a hypothesis (an
    asserted claim that does not hold has the status ``negated``)."""
    status = record["status"]
    level = optional_text(record, name, "knowledge_level")
    if level is not None and status in STATUS_KNOWLEDGE_LEVEL:
        raise record.error(
            name,
            f"knowledge_level: a {status} claim's level is {STATUS_KNOWLEDGE_LEVEL[status]!r}, "
            "set by its status; leave the field out",
            key="knowledge_level",
        )
    negated = record.get("negated", False)
    if not isinstance(negated, bool):
        raise record.error(name, f"negated: expected true or false, got {negated!r}", key="negated")
    if negated and status != "hypothesis":
        raise record.error(
            name,
            "negated: only a hypothesis may be negated (an asserted claim that does not hold "
            "has the status 'negated')",
            key="negated",
        )
    return STATUS_KNOWLEDGE_LEVEL.get(status, level or DEFAULT_KNOWLEDGE_LEVEL), negated


def _qualifiers(
    record: Record, name: str, context: _Context
) -> tuple[tuple[URIRef, tuple[QualifierValue, ...]], ...]:
    table = record.get("qualifiers") or Record()
    if not isinstance(table, Record):
        raise record.error(name, "qualifiers: expected a mapping", key="qualifiers")
    result = []
    for qname in table:
        spec = context.catalogue.qualifiers.get(str(qname))
        if spec is None:
            raise table.error(
                name,
                f"unknown qualifier {qname!r} (known: "
                f"{', '.join(sorted(context.catalogue.qualifiers))})",
                key=str(qname),
            )
        values = tuple(
            _qualifier_value(spec, item, table, name, context)
            for item in as_list(table, str(qname))
        )
        result.append((spec.property, values))
    return tuple(result)


def _qualifier_value(
    spec: QualifierSpec, value: object, table: Record, name: str, context: _Context
) -> QualifierValue:
    where = f"{name}, qualifier {spec.name!r}"
    if spec.kind == "entity":
        return context.entity(value, table, name, spec.name)
    if spec.kind == "term":
        return expand_term(
            context.prefixes,
            context.ontology,
            value,
            table,
            name,
            spec.name,
            cls=KGO.QualifierValue,
        )
    if spec.kind == "text" and isinstance(value, str) and value.strip():
        return value
    if spec.kind == "boolean" and isinstance(value, bool):
        return value
    if spec.kind == "quantity" and isinstance(value, Record):
        return _quantity(value, where, context)
    if spec.kind == "studies" and isinstance(value, Record):
        return _study_set(value, where, context)
    raise table.error(
        where, f"expected a value of kind {spec.kind!r}, got {value!r}", key=spec.name
    )


def _quantity(record: Record, where: str, context: _Context) -> Quantity:
    check_fields(record, where, required=["value", "unit"])
    value = record["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise record.error(where, f"value must be a positive number, got {value!r}", key="value")
    unit = expand_term(
        context.prefixes, context.ontology, record["unit"], record, where, "unit", cls=KGO.Unit
    )
    return Quantity(Decimal(str(value)), unit)


def _study_set(record: Record, where: str, context: _Context) -> StudySet:
    check_fields(record, where, required=["count", "design"])
    count = record["count"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise record.error(where, f"count must be a positive integer, got {count!r}", key="count")
    designs = tuple(context.entity(d, record, where, "design") for d in as_list(record, "design"))
    return StudySet(count, designs)
