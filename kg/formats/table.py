"""The claims as one flat table: ``claims.csv``, one row a claim, described by a Frictionless
Table Schema (``claims.schema.json``) and a Data Package (``datapackage.json``), so that pandas,
R and frictionless read it with its types.

Each row comes from the claim's view (:mod:`kg.views`), as every other output does: the claim,
its source, subject, predicate and object (IRI, CURIE and label), status, negation, knowledge
level, whether the release states its direct triple, the Biolink edge it becomes, its reading,
one column a qualifier of ``catalogue/qualifiers.yaml`` (named as there), the quote with its
span, and the article (PMID, DOI). A cell with several values joins them with ``|`` (a ``|`` or
``\\`` inside a value is escaped with ``\\``). Rows are sorted by claim, so the file is
byte-identical on rebuild.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from curies import Converter
from rdflib.term import URIRef

from kg.model import QualifierValue
from kg.views import ClaimView

__all__ = [
    "CLAIMS_FILE",
    "DATAPACKAGE_FILE",
    "SCHEMA_FILE",
    "claim_row",
    "columns",
    "datapackage",
    "table_schema",
    "write_claims_csv",
]

CLAIMS_FILE = "claims.csv"
SCHEMA_FILE = "claims.schema.json"
DATAPACKAGE_FILE = "datapackage.json"

#: The columns every row has, before the qualifiers: name -> (Table Schema type, description).
_BASE: dict[str, tuple[str, str]] = {
    "claim": ("string", "The claim's IRI."),
    "source": ("string", "The key of the source the claim is curated from (its folder)."),
    "key": ("string", "The claim's key within its source."),
    "label": ("string", "The claim's label, unique within its source."),
    "reading": ("string", "The claim in plain words, with its status and qualifiers."),
    "subject": ("string", "The subject's IRI."),
    "subject_curie": ("string", "The subject as a CURIE."),
    "subject_label": ("string", "The subject's label."),
    "predicate": ("string", "The claim's predicate as a CURIE (a Biolink slot)."),
    "predicate_label": ("string", "The predicate's label."),
    "object": ("string", "The object's IRI."),
    "object_curie": ("string", "The object as a CURIE."),
    "object_label": ("string", "The object's label."),
    "status": ("string", "The epistemic status: asserted, negated, hypothesis or assessed."),
    "negated": ("boolean", "Whether the claim says that the relation does not hold."),
    "knowledge_level": ("string", "Biolink's KnowledgeLevelEnum value of the claim."),
    "states_triple": (
        "boolean",
        "Whether the release states the direct triple (subject predicate object) for this "
        "claim: only when the claim itself is asserted.",
    ),
    "edge_predicate": (
        "string",
        "The predicate of the Biolink edge the claim becomes (KGX), true with every "
        "non-Biolink column ignored: the claim's own, but in_clinical_trials_for for an "
        "assessed claim.",
    ),
    "edge_knowledge_level": ("string", "The knowledge level of that Biolink edge."),
}
_AFTER: dict[str, tuple[str, str]] = {
    "quote": ("string", "The exact words of the source the claim rests on."),
    "start": ("integer", "Where the quote starts in the source text (code points from 0)."),
    "end": ("integer", "Where the quote ends (exclusive)."),
    "text": ("string", "The IRI of the source text the span counts in."),
    "article": ("string", "The IRI of the source article."),
    "pmid": ("string", "The article's PubMed ID."),
    "doi": ("string", "The article's DOI."),
    "evidence_type": ("string", "The ECO evidence type, as a CURIE."),
    "note": ("string", "The curator's note."),
}


def columns(qualifiers: Sequence[str]) -> list[str]:
    """The table's columns, given the qualifier names of catalogue/qualifiers.yaml.

    :raises ValueError: a qualifier is named as a column of every row
    """
    clash = sorted(set(qualifiers) & (set(_BASE) | set(_AFTER)))
    if clash:
        raise ValueError(f"qualifier names that are columns of the claims table: {clash}")
    return [*_BASE, *qualifiers, *_AFTER]


def claim_row(view: ClaimView, converter: Converter) -> dict[str, str]:
    """One claim's row: every cell as text (see the module's notes)."""

    def curie(iri: URIRef | None) -> str:
        return "" if iri is None else (converter.compress(str(iri)) or str(iri))

    edge = view.edge
    row = {
        "claim": str(view.iri),
        "source": view.source,
        "key": view.key,
        "label": view.label,
        "reading": view.reading,
        "subject": str(view.subject),
        "subject_curie": curie(view.subject),
        "subject_label": view.subject_label,
        "predicate": curie(view.predicate),
        "predicate_label": view.predicate_label,
        "object": str(view.object),
        "object_curie": curie(view.object),
        "object_label": view.object_label,
        "status": view.status_word,
        "negated": _boolean(view.negated),
        "knowledge_level": view.knowledge_level,
        "states_triple": _boolean(view.states_triple),
        "edge_predicate": curie(edge.predicate),
        "edge_knowledge_level": edge.knowledge_level,
        "quote": view.span.exact,
        "start": str(view.span.start),
        "end": str(view.span.end),
        "text": str(view.text),
        "article": str(view.article),
        "pmid": view.pmid or "",
        "doi": view.doi or "",
        "evidence_type": curie(view.evidence_type),
        "note": view.note or "",
    }
    for qualifier in view.qualifiers:
        cells = (
            _cell(value, label, curie)
            for value, label in zip(qualifier.values, qualifier.labels, strict=True)
        )
        row[qualifier.name] = "|".join(cells)
    return row


def write_claims_csv(out: _Output, rows: Iterable[Mapping[str, str]], names: Sequence[str]) -> None:
    """The table into ``out``: a header, then the rows (given sorted by claim)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=names, lineterminator="\n", restval="")
    writer.writeheader()
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % 4096 == 0:
            out.write(text.getvalue().encode("utf-8"))
            text.seek(0)
            text.truncate()
    out.write(text.getvalue().encode("utf-8"))


class _Output(Protocol):
    def write(self, data: bytes, /) -> object: ...


def table_schema(qualifiers: Mapping[str, tuple[str, str]]) -> bytes:
    """The Frictionless Table Schema of the table, given each qualifier's name, property (as a
    CURIE, for its description) and kind (a boolean qualifier is a boolean column)."""
    fields: list[dict[str, Any]] = []
    for name, (kind, description) in _BASE.items():
        fields.append(_field(name, kind, description, required=True))
    for name, (prop, kind) in qualifiers.items():
        boolean = kind == "boolean"
        fields.append(
            _field(
                name,
                "boolean" if boolean else "string",
                f"The qualifier {name} ({prop})"
                + ("." if boolean else "; several values are joined by |."),
                required=False,
            )
        )
    for name, (kind, description) in _AFTER.items():
        fields.append(_field(name, kind, description, required=name in ("quote", "start", "end")))
    schema = {
        "fields": fields,
        "primaryKey": ["claim"],
        "missingValues": [""],
    }
    return _json(schema)


def datapackage(title: str, license_iri: str, version: str) -> bytes:
    """The Data Package that names the table and its schema (what R's and Python's
    frictionless open)."""
    package = {
        "name": "drugclaims-claims",
        "title": f"{title}: the claims table",
        "version": version,
        "licenses": [{"path": license_iri}],
        "resources": [
            {
                "name": "claims",
                "path": CLAIMS_FILE,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": SCHEMA_FILE,
            }
        ],
    }
    return _json(package)


def _field(name: str, kind: str, description: str, *, required: bool) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "type": kind, "description": description}
    if kind == "boolean":
        field["trueValues"] = ["true"]
        field["falseValues"] = ["false"]
    if required:
        field["constraints"] = {"required": True}
    return field


def _cell(value: QualifierValue, label: str, curie: Callable[[URIRef], str]) -> str:
    if isinstance(value, URIRef):
        text = curie(value)
    elif isinstance(value, bool):
        text = _boolean(value)
    elif isinstance(value, str):
        text = value
    else:  # a quantity or a study set: its label
        text = label
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
