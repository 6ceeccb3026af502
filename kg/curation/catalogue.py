"""The entity catalogue, the qualifier table and the ontology's vocabulary, loaded and checked."""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF, RDFS
from rdflib.term import URIRef

from kg.curation.biolink import BiolinkModel
from kg.curation.prefixes import PrefixMap
from kg.curation.records import (
    Record,
    as_list,
    check_fields,
    check_key,
    load_yaml,
    optional_text,
    records_of,
    text,
)
from kg.errors import InputError
from kg.model import Entity, Mapping, MatchKind
from kg.namespaces import BASE, BIOLINK, KGO, ONTOLOGY_IRI

__all__ = [
    "Catalogue",
    "Ontology",
    "QualifierSpec",
    "load_biolink_prefixes",
    "load_catalogue",
    "load_ontology",
]

MATCH_KINDS: tuple[MatchKind, ...] = ("exact", "close", "broad", "narrow", "related")
QUALIFIER_KINDS = (
    "entity",
    "term",
    "text",
    "boolean",
    "quantity",
    "studies",
    "range",
    "measure",
    "p_value",
    "interval",
    "population",
    "claim",
)


@dataclass(frozen=True)
class Ontology:
    """What the code needs to know of ontology/kgo.ttl: its terms, by the class they belong to,
    and the line where each subject's block begins (for messages)."""

    graph: Graph
    terms: frozenset[URIRef]
    display: str = "ontology/kgo.ttl"
    lines: MappingABC[URIRef, int] = field(default_factory=dict)

    def error(self, subject: URIRef, record: str, message: str) -> InputError:
        """An :class:`InputError` at the line where ``subject``'s block begins."""
        return InputError(self.display, self.lines.get(subject), record, message)

    def instances(self, cls: URIRef) -> frozenset[URIRef]:
        return frozenset(s for s in self.graph.subjects(RDF.type, cls) if isinstance(s, URIRef))

    def conversion(self, unit: URIRef) -> tuple[Decimal, URIRef] | None:
        """The factor and the normal unit a unit converts to (a month: 30.4375 days), as
        ontology/kgo.ttl declares them (kgo:conversionFactor, kgo:normalUnit), or None."""
        factor = self.graph.value(unit, KGO.conversionFactor)
        normal = self.graph.value(unit, KGO.normalUnit)
        if factor is None or not isinstance(normal, URIRef):
            return None
        return Decimal(str(factor)), normal

    def statuses(self) -> dict[str, URIRef]:
        """The epistemic statuses by the word a curator writes (the local name, lower case)."""
        return {
            str(iri).rsplit("#", 1)[-1].lower(): iri for iri in self.instances(KGO.EpistemicStatus)
        }


@dataclass(frozen=True)
class QualifierSpec:
    """One row of catalogue/qualifiers.yaml."""

    name: str
    property: URIRef
    kind: str
    reading: str = ""  # how the qualifier reads in a claim's reading: "{}" holds its values


@dataclass(frozen=True)
class Catalogue:
    """The entities by key, and the qualifiers a claim may carry by name."""

    entities: dict[str, Entity]
    qualifiers: dict[str, QualifierSpec]


def load_ontology(path: Path, *, display: str | None = None) -> Ontology:
    """Parse the ontology (with a base, so no relative IRI can leak) and index its terms."""
    display = display or str(path)
    graph = Graph()
    try:
        text = path.read_text(encoding="utf-8")
        graph.parse(data=text, format="turtle", publicID=str(ONTOLOGY_IRI))
    except (OSError, SyntaxError, ValueError) as error:
        raise InputError(display, None, None, f"cannot parse the ontology: {error}") from error
    terms = frozenset(
        s for s in graph.subjects(RDFS.isDefinedBy, ONTOLOGY_IRI) if isinstance(s, URIRef)
    )
    return Ontology(graph, terms, display, _subject_lines(text, graph))


#: A line that begins a subject's block: an IRI or a prefixed name at its very start.
_SUBJECT = re.compile(r"(<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*)\s")


def _subject_lines(text: str, graph: Graph) -> dict[URIRef, int]:
    """The line (from 1) where each subject's block begins, in a Turtle file written by hand
    one block a subject, each beginning at the start of a line (as the ontology is)."""
    lines: dict[URIRef, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = _SUBJECT.match(line)
        if found is None:
            continue
        token = found.group(1)
        try:
            iri = (
                URIRef(token[1:-1])
                if token.startswith("<")
                else graph.namespace_manager.expand_curie(token)
            )
        except ValueError:  # a prefix the file does not declare: no block of a subject
            continue
        lines.setdefault(iri, number)
    return lines


def expand(
    prefixes: PrefixMap,
    curie: object,
    record: Record,
    name: str,
    field: str,
    index: int | None = None,
) -> URIRef:
    """Expand a CURIE read from a record (item ``index`` of a list field), turning a ValueError
    into an InputError at its line."""
    if not isinstance(curie, str):
        raise record.error(
            name, f"{field}: expected a CURIE, got {curie!r}", key=field, index=index
        )
    try:
        return prefixes.expand(curie)
    except ValueError as error:
        raise record.error(name, f"{field}: {error}", key=field, index=index) from error


def expand_term(
    prefixes: PrefixMap,
    ontology: Ontology,
    curie: object,
    record: Record,
    name: str,
    field: str,
    *,
    cls: URIRef | None = None,
) -> URIRef:
    """Expand a CURIE that must name a term of the project ontology (of class ``cls``)."""
    iri = expand(prefixes, curie, record, name, field)
    if iri.startswith(str(KGO)) and iri not in ontology.terms:
        raise record.error(
            name, f"{field}: {curie!r} is not defined in ontology/kgo.ttl", key=field
        )
    if cls is not None and iri not in ontology.instances(cls):
        raise record.error(
            name,
            f"{field}: {curie!r} is not a {prefixes.compress(cls)} of ontology/kgo.ttl",
            key=field,
        )
    return iri


def load_catalogue(
    entities_path: Path,
    qualifiers_path: Path,
    *,
    root: Path,
    prefixes: PrefixMap,
    ontology: Ontology,
    biolink: BiolinkModel,
) -> Catalogue:
    """Read and check the entity catalogue and the qualifier table: every category a Biolink
    class, every qualifier of Biolink's a Biolink slot."""
    entities = _load_entities(entities_path, root, prefixes, ontology, biolink)
    qualifiers = _load_qualifiers(qualifiers_path, root, prefixes, ontology, biolink)
    return Catalogue(entities, qualifiers)


def _load_entities(
    path: Path, root: Path, prefixes: PrefixMap, ontology: Ontology, biolink: BiolinkModel
) -> dict[str, Entity]:
    display = path.relative_to(root).as_posix()
    data = load_yaml(path, display=display, top_level=["entities"])
    entities: dict[str, Entity] = {}
    seen_iris: dict[URIRef, str] = {}
    for index, record in enumerate(records_of(data, "entities", file=display), start=1):
        entity = _entity(record, index, prefixes, ontology, biolink)
        if entity.key in entities:
            raise record.error(f"entity {entity.key!r}", "duplicate key", key="key")
        if entity.iri in seen_iris:
            raise record.error(
                f"entity {entity.key!r}", f"same IRI as entity {seen_iris[entity.iri]!r}", key="id"
            )
        entities[entity.key] = entity
        seen_iris[entity.iri] = entity.key
    return entities


def _entity(
    record: Record, index: int, prefixes: PrefixMap, ontology: Ontology, biolink: BiolinkModel
) -> Entity:
    key = record.get("key")
    name = f"entity {key!r}" if key else f"entity #{index}"
    check_fields(
        record,
        name,
        required=["key", "label", "category"],
        optional=["id", "synonyms", "description", "comment", "sector", *MATCH_KINDS],
    )
    key = check_key(record, name)
    if "id" in record:
        iri = expand_term(prefixes, ontology, record["id"], record, name, "id")
    else:
        iri = BASE[f"entity/{key}"]
    categories = tuple(
        expand(prefixes, c, record, name, "category", i)
        for i, c in enumerate(as_list(record, "category"))
    )
    for i, category in enumerate(categories):
        if not category.startswith(str(BIOLINK)):
            raise record.error(
                name, f"category {category} is not a Biolink class", key="category", index=i
            )
        try:
            biolink.check_class(category)
        except ValueError as error:
            raise record.error(name, f"category: {error}", key="category", index=i) from error
    sector = (
        expand_term(prefixes, ontology, record["sector"], record, name, "sector", cls=KGO.Sector)
        if "sector" in record
        else None
    )
    return Entity(
        key=key,
        iri=iri,
        label=text(record, name, "label"),
        categories=categories,
        synonyms=tuple(_text_list(record, name, "synonyms")),
        description=optional_text(record, name, "description"),
        comment=optional_text(record, name, "comment"),
        sector=sector,
        mappings=_mappings(record, name, iri, prefixes),
        origin=record.origin(name),
    )


def _mappings(record: Record, name: str, iri: URIRef, prefixes: PrefixMap) -> tuple[Mapping, ...]:
    mappings: dict[URIRef, Mapping] = {}
    for kind in MATCH_KINDS:
        for index, entry in enumerate(as_list(record, kind)):
            mapping = _mapping(kind, entry, record, name, prefixes, index)
            if mapping.iri == iri:
                raise record.error(
                    name, f"{kind}: {mapping.curie} is the entity itself", key=kind, index=index
                )
            if mapping.iri in mappings:
                other = mappings[mapping.iri].kind
                problem = "duplicate" if other == kind else f"contradictory ({other} and {kind})"
                raise record.error(
                    name, f"{problem} mapping to {mapping.curie}", key=kind, index=index
                )
            mappings[mapping.iri] = mapping
    return tuple(mappings.values())


def _mapping(
    kind: MatchKind, entry: object, record: Record, name: str, prefixes: PrefixMap, index: int
) -> Mapping:
    """One cross-reference: a CURIE, or {id, label, confidence, comment, see_also}."""
    if not isinstance(entry, Record):
        iri = expand(prefixes, entry, record, name, kind, index)
        return Mapping(kind, iri, str(entry), prefixes.compress(iri))
    where = f"{name}, {kind} {entry.get('id')!r}"
    check_fields(
        entry, where, required=["id"], optional=["label", "confidence", "comment", "see_also"]
    )
    confidence = entry.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not 0 < confidence < 1
    ):
        raise entry.error(
            where,
            "confidence must be a number between 0 and 1 (leave it out for a checked identifier)",
            key="confidence",
        )
    if confidence is not None and not entry.get("comment"):
        raise entry.error(
            where, "a mapping with confidence below 1 needs a comment saying why", key="confidence"
        )
    iri = expand(prefixes, entry["id"], entry, where, "id")
    return Mapping(
        kind,
        iri,
        str(entry["id"]),
        prefixes.compress(iri),
        label=optional_text(entry, where, "label"),
        confidence=Decimal(str(confidence)) if confidence is not None else None,
        comment=optional_text(entry, where, "comment"),
        see_also=optional_text(entry, where, "see_also"),
    )


def _text_list(record: Record, name: str, field: str) -> list[str]:
    values = as_list(record, field)
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise record.error(name, f"{field}: expected a list of texts", key=field)
    return values


def _load_qualifiers(
    path: Path, root: Path, prefixes: PrefixMap, ontology: Ontology, biolink: BiolinkModel
) -> dict[str, QualifierSpec]:
    display = path.relative_to(root).as_posix()
    data = load_yaml(path, display=display, top_level=["qualifiers"])
    table = data.get("qualifiers")
    if not isinstance(table, Record):
        raise data.error(None, "expected 'qualifiers:' to be a mapping")
    specs: dict[str, QualifierSpec] = {}
    for qname, row in table.items():
        name = f"qualifier {qname!r}"
        if not isinstance(row, MappingABC):
            raise table.error(name, "expected {property: CURIE, kind: ...}", key=str(qname))
        row_record = row if isinstance(row, Record) else table
        check_fields(row_record, name, required=["property", "kind"], optional=["reading"])
        prop = expand_term(prefixes, ontology, row["property"], row_record, name, "property")
        if prop.startswith(str(BIOLINK)):
            try:
                biolink.check_slot(prop)
            except ValueError as error:
                raise row_record.error(name, f"property: {error}", key="property") from error
        if row["kind"] not in QUALIFIER_KINDS:
            raise row_record.error(
                name, f"kind must be one of {', '.join(QUALIFIER_KINDS)}", key="kind"
            )
        reading = optional_text(row_record, name, "reading") or ""
        rest = reading.replace("{}", "")
        holes = reading.count("{}")
        if reading and (
            holes > 1 or "{" in rest or "}" in rest or (holes == 0) != (row["kind"] == "boolean")
        ):
            raise row_record.error(
                name,
                "reading: expected a phrase with one {} where the values go (a boolean's: "
                "a phrase with none, read after 'not' when the value is false)",
                key="reading",
            )
        specs[str(qname)] = QualifierSpec(str(qname), prop, row["kind"], reading)
    return specs


def load_biolink_prefixes(path: Path, display: str) -> dict[str, str]:
    """Our prefix -> the prefix Biolink prefers, from ``catalogue/biolink-prefixes.yaml``.

    :raises InputError: the file is malformed
    """
    record = load_yaml(path, display=display, top_level=["biolink"])
    mapping = record.get("biolink") or {}
    if not isinstance(mapping, MappingABC) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise InputError(display, None, "biolink", "expected a mapping of prefix: Biolink prefix")
    return dict(mapping)
