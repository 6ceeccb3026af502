"""A source folder: the document as received (checked against its checksum), its article, read
from the document (:mod:`kg.curation.articles`), and its curated claims, each anchored in the
text the document's format gives (:mod:`kg.curation.documents.text`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from collections.abc import Mapping as FileMap
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rdflib.term import URIRef

from kg.curation.articles import read_article, read_document
from kg.curation.catalogue import Catalogue, Ontology, QualifierSpec, expand, expand_term
from kg.curation.documents import FORMATS
from kg.curation.prefixes import PrefixMap
from kg.curation.records import (
    KEY,
    Record,
    as_list,
    check_fields,
    check_key,
    load_yaml,
    optional_text,
    records_of,
)
from kg.curation.records import text as text_field
from kg.curation.signatures import Signatures
from kg.curation.spans import locate
from kg.errors import InputError
from kg.model import (
    P_VALUE_OPERATORS,
    Claim,
    Entity,
    Interval,
    Measure,
    Population,
    PValue,
    QualifierValue,
    Quantity,
    QuantityRange,
    Source,
    StudySet,
)
from kg.namespaces import BASE, KGO
from kg.views import STATUS_KNOWLEDGE_LEVEL, claim_iri

__all__ = ["Folder", "SourceFiles", "load_source", "read_folder"]

DEFAULT_KNOWLEDGE_LEVEL = "knowledge_assertion"
SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)


class _Context:
    """What every check of one source needs at hand."""

    def __init__(
        self,
        prefixes: PrefixMap,
        ontology: Ontology,
        catalogue: Catalogue,
        signatures: Signatures,
        source: str = "",
    ) -> None:
        self.prefixes, self.ontology, self.catalogue = prefixes, ontology, catalogue
        self.signatures = signatures
        self.source = source  # the key of the source whose claims are read

    def entity(self, key: object, record: Record, name: str, field: str) -> URIRef:
        return self.entry(key, record, name, field).iri

    def entry(self, key: object, record: Record, name: str, field: str) -> Entity:
        """The catalogue's entity of ``key``, read from ``field`` of ``record``."""
        entity = self.catalogue.entities.get(key) if isinstance(key, str) else None
        if entity is None:
            raise record.error(
                name,
                f"{field}: entity {key!r} is not defined in catalogue/entities.yaml",
                key=field,
            )
        return entity


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

    def checksums(self) -> dict[str, str]:
        """The SHA-256 of each file of the folder, by name."""
        return {name: hashlib.sha256(data).hexdigest() for name, data in self.files.items()}

    def digest(self) -> bytes:
        """A hash of the folder's path, file names and contents."""
        digest = hashlib.sha256(f"{self.folder}\0{self.problem}\0".encode())
        for name, data in sorted(self.files.items()):
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
        return digest.digest()


@dataclass(frozen=True)
class Folder:
    """A source folder as a build knows it until its unit runs: where it is, its path in the
    project, the hash of its files (:meth:`SourceFiles.digest`, its unit's cache key) and the
    SHA-256 of each (the description's); not its bytes, which are read again when its unit
    runs (:meth:`read`), so that a build holds a few folders' bytes at a time, not the corpus's."""

    path: Path
    root: Path
    folder: str
    digest: bytes
    checksums: dict[str, str]

    @classmethod
    def of(cls, path: Path, *, root: Path) -> Folder:
        files = read_folder(path, root=root)
        return cls(path, root, files.folder, files.digest(), files.checksums())

    def read(self) -> SourceFiles:
        """The folder's files, as they were when it was first read.

        :raises InputError: a file changed since (the build must start again)
        """
        files = read_folder(self.path, root=self.root)
        if files.digest() != self.digest:
            raise InputError(
                files.folder, None, None, "changed while kg build ran: run kg build again"
            )
        return files


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
    folder: SourceFiles,
    *,
    prefixes: PrefixMap,
    ontology: Ontology,
    catalogue: Catalogue,
    signatures: Signatures,
) -> Source:
    """Read ``source.yaml``, its document and ``claims.yaml`` of a source folder, checking
    all (each claim's subject and object against its predicate's ``signatures``)."""
    display = folder.folder
    meta = load_yaml(_bytes(folder, "source.yaml"), display=f"{display}/source.yaml")
    check_fields(meta, "source", required=["key", "file", "sha256", "parser", "article"])
    key = check_key(meta, "source")
    file = text_field(meta, "source", "file")
    if "/" in file or "\\" in file or file in (".", ".."):
        raise meta.error("source", f"file: {file!r} must be a file name in {display}", key="file")
    if not SHA256.fullmatch(text_field(meta, "source", "sha256")):
        raise meta.error("source", "sha256: expected 64 lower-case hex digits", key="sha256")
    context = _Context(prefixes, ontology, catalogue, signatures, key)
    parser = _parser(meta)
    data = _read_checked(folder, file, meta, f"{display}/{file}")
    text, document = read_document(parser, data, f"{display}/{file}")
    record = meta["article"]
    if not isinstance(record, Record):
        raise meta.error("source", "article: expected a mapping", key="article")
    article = read_article(record, document, prefixes=prefixes, catalogue=catalogue)
    claims = _load_claims(_bytes(folder, "claims.yaml"), f"{display}/claims.yaml", text, context)
    return Source(
        key,
        f"{display}/{file}",
        text,
        meta["sha256"],
        article,
        claims,
        media_type=FORMATS[parser].media_type,
        origin=meta.origin("source"),
    )


def _parser(meta: Record) -> str:
    parser = text_field(meta, "source", "parser")
    if parser not in FORMATS:
        raise meta.error(
            "source",
            f"unknown parser {parser!r} (known: {', '.join(FORMATS)})",
            key="parser",
        )
    return parser


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
    return data


def _load_claims(path: bytes, display: str, text: str, context: _Context) -> tuple[Claim, ...]:
    data = load_yaml(path, display=display, top_level=["claims"])
    claims: dict[str, Claim] = {}
    records: dict[str, Record] = {}
    for index, record in enumerate(records_of(data, "claims", file=display), start=1):
        claim = _claim(record, index, text, context)
        if claim.key in claims:
            raise record.error(f"claim {claim.key!r}", "duplicate claim key", key="key")
        claims[claim.key] = claim
        records[claim.key] = record
    for claim in claims.values():
        _check_links(claim, records[claim.key], claims, context)
    return tuple(claims.values())


def _check_links(
    claim: Claim, record: Record, claims: FileMap[str, Claim], context: _Context
) -> None:
    """A link to a claim of the same source names one that exists, and not the claim itself
    (a link to another source's claim is checked when every source is read: see
    kg.build.pipeline)."""
    name = f"claim {claim.key!r}"
    for prop, values in claim.qualifiers:
        targets = [v for v in values if isinstance(v, URIRef)]
        spec = next((s for s in context.catalogue.qualifiers.values() if s.property == prop), None)
        if spec is None or spec.kind != "claim":
            continue
        table = record.get("qualifiers")
        assert isinstance(table, Record)
        prefix = str(claim_iri(str(BASE), context.source, ""))
        for target in targets:
            local = str(target)[len(prefix) :] if str(target).startswith(prefix) else None
            if local == claim.key:
                raise table.error(
                    name, f"{spec.name}: a claim cannot link to itself", key=spec.name
                )
            if local is not None and local not in claims:
                raise table.error(
                    name,
                    f"{spec.name}: no claim {local!r} in this source "
                    f"(known: {', '.join(sorted(claims))})",
                    key=spec.name,
                )


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
    subject = context.entry(record["subject"], record, name, "subject")
    obj = context.entry(record["object"], record, name, "object")
    for role, entity in (("subject", subject), ("object", obj)):
        try:
            context.signatures.check(
                predicate, role, entity.categories, assessed=record["status"] == "assessed"
            )
        except ValueError as error:
            raise record.error(name, f"{role}: entity {entity.key!r} {error}", key=role) from error
    quote = text_field(record, name, "quote")
    before = optional_text(record, name, "prefix")  # its own error, not the quote's
    try:
        span = locate(document, quote, before=before)
    except ValueError as error:
        raise record.error(name, str(error), key="quote") from error
    evidence = record.get("evidence_type")
    return Claim(
        key=check_key(record, name),
        subject=subject.iri,
        predicate=predicate,
        object=obj.iri,
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
        entity = context.entry(value, table, name, spec.name)
        try:
            context.signatures.check_value(spec.property, entity.categories)
        except ValueError as error:
            raise table.error(where, f"entity {entity.key!r} {error}", key=spec.name) from error
        return entity.iri
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
    if spec.kind == "claim" and isinstance(value, str):
        return _claim_reference(value, table, where, spec.name, context)
    if isinstance(value, Record) and spec.kind in _STRUCTURED:
        return _STRUCTURED[spec.kind](value, where, context)
    raise table.error(
        where, f"expected a value of kind {spec.kind!r}, got {value!r}", key=spec.name
    )


def _quantity(record: Record, where: str, context: _Context) -> Quantity:
    check_fields(record, where, required=["value", "unit"])
    value = _number(record, where, "value", minimum=0, inclusive=False)
    unit = _unit(record, where, context)
    conversion = context.ontology.conversion(unit)
    normal = (value * conversion[0], conversion[1]) if conversion else None
    return Quantity(value, unit, normal)


def _quantity_range(record: Record, where: str, context: _Context) -> QuantityRange:
    check_fields(record, where, required=["min", "max", "unit"])
    low = _number(record, where, "min", minimum=0, inclusive=False)
    high = _number(record, where, "max", minimum=0, inclusive=False)
    if low > high:
        raise record.error(where, f"min {low} is greater than max {high}", key="min")
    return QuantityRange(low, high, _unit(record, where, context))


def _measure(record: Record, where: str, context: _Context) -> Measure:
    check_fields(record, where, required=["statistic", "value", "unit"], optional=["arm", "scale"])
    statistic = expand_term(
        context.prefixes,
        context.ontology,
        record["statistic"],
        record,
        where,
        "statistic",
        cls=KGO.Statistic,
    )
    value = _number(record, where, "value")
    arm = context.entity(record["arm"], record, where, "arm") if "arm" in record else None
    scale = None
    if "scale" in record:
        bounds = record["scale"]
        if not isinstance(bounds, Record):
            raise record.error(where, "scale: expected {min: number, max: number}", key="scale")
        check_fields(bounds, f"{where}, scale", required=["min", "max"])
        low, high = _number(bounds, where, "min"), _number(bounds, where, "max")
        if low >= high:
            raise bounds.error(where, f"scale: min {low} is not below max {high}", key="min")
        scale = (low, high)
    return Measure(statistic, value, _unit(record, where, context), arm, scale)


def _p_value(record: Record, where: str, context: _Context) -> PValue:
    check_fields(record, where, required=["value"], optional=["operator"])
    value = _number(record, where, "value", minimum=0, maximum=1)
    operator = record.get("operator", "=")
    if operator not in P_VALUE_OPERATORS:
        raise record.error(
            where,
            f"operator: {operator!r} is not one of {' '.join(P_VALUE_OPERATORS)} "
            "(write P<0.001 as {value: 0.001, operator: '<'})",
            key="operator",
        )
    return PValue(value, str(operator))


def _interval(record: Record, where: str, context: _Context) -> Interval:
    check_fields(record, where, required=["lower", "upper", "level"], optional=["unit"])
    lower, upper = _number(record, where, "lower"), _number(record, where, "upper")
    if lower > upper:
        raise record.error(where, f"lower {lower} is greater than upper {upper}", key="lower")
    level = _number(record, where, "level", minimum=0, maximum=1, inclusive=False)
    unit = _unit(record, where, context) if "unit" in record else None
    return Interval(lower, upper, level, unit)


def _population(record: Record, where: str, context: _Context) -> Population:
    check_fields(record, where, required=["label"], optional=["size", "condition"])
    size = record.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise record.error(where, f"size must be a positive integer, got {size!r}", key="size")
    condition = (
        context.entity(record["condition"], record, where, "condition")
        if "condition" in record
        else None
    )
    return Population(text_field(record, where, "label"), size, condition)


def _claim_reference(
    value: str, table: Record, where: str, field: str, context: _Context
) -> URIRef:
    """``key`` (a claim of the same source) or ``source-key/claim-key``: the claim's IRI."""
    source, _, key = value.rpartition("/")
    source = source or context.source
    if not (KEY.fullmatch(source) and KEY.fullmatch(key)):
        raise table.error(
            where,
            f"expected a claim key, or a source key and a claim key ('source/claim'), "
            f"got {value!r}",
            key=field,
        )
    return claim_iri(str(BASE), source, key)


def _number(
    record: Record,
    where: str,
    field: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    inclusive: bool = True,
) -> Decimal:
    """A number field (an integer or a decimal, any sign unless bounded), as a Decimal."""
    value = record.get(field)
    kind = "a positive number" if (minimum, maximum, inclusive) == (0, None, False) else None
    expected = kind or f"a number{_bounds(minimum, maximum, inclusive)}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise record.error(where, f"{field}: expected {expected}, got {value!r}", key=field)
    number = Decimal(str(value))
    low_ok = minimum is None or (number >= minimum if inclusive else number > minimum)
    high_ok = maximum is None or (number <= maximum if inclusive else number < maximum)
    if not (low_ok and high_ok and number.is_finite()):
        raise record.error(where, f"{field}: expected {expected}, got {value!r}", key=field)
    return number


def _bounds(minimum: float | None, maximum: float | None, inclusive: bool) -> str:
    if minimum is not None and maximum is not None:
        return f" in {'[' if inclusive else '('}{minimum}, {maximum}{']' if inclusive else ')'}"
    if minimum is not None:
        return f" {'at least' if inclusive else 'greater than'} {minimum}"
    return ""


def _unit(record: Record, where: str, context: _Context) -> URIRef:
    return expand_term(
        context.prefixes, context.ontology, record["unit"], record, where, "unit", cls=KGO.Unit
    )


def _study_set(record: Record, where: str, context: _Context) -> StudySet:
    check_fields(record, where, required=["count", "design"])
    count = record["count"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise record.error(where, f"count must be a positive integer, got {count!r}", key="count")
    designs = tuple(context.entity(d, record, where, "design") for d in as_list(record, "design"))
    return StudySet(count, designs)


#: The readers of a qualifier's structured value, by its kind.
_STRUCTURED: dict[str, Callable[[Record, str, _Context], QualifierValue]] = {
    "quantity": _quantity,
    "studies": _study_set,
    "range": _quantity_range,
    "measure": _measure,
    "p_value": _p_value,
    "interval": _interval,
    "population": _population,
}
