"""Where each node of a graph was curated: an index from the IRIs the build mints (and the
entities it names) to the record of the curation files that made them, the name a curator
knows each of their properties by, and the line of each field.

The index is made from the model's own records (each keeps its :class:`~kg.model.Origin`) and
the IRIs of :mod:`kg.rdf.mint`, never by reading the YAML text again; and only when a graph
does not conform, to say where each violation was made: a graph that conforms never builds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rdflib.term import URIRef

from kg.model import Claim, DatasetInfo, Entity, Origin, QualifierValue, Source
from kg.namespaces import (
    BASE,
    BIOLINK,
    DCTERMS,
    KGO,
    PAV,
    RDF,
    RDFS,
    RELEASE,
    SCHEMA,
    SKOS,
    SSSOM,
)
from kg.rdf.mint import SKOS_MATCH, evidence_iris, mapping_iri, publisher_iri, qualifier_iri
from kg.views import ClaimView, status_word, text_iri

__all__ = [
    "Field",
    "Made",
    "Origins",
    "Where",
    "catalogue_origins",
    "description_origins",
    "source_origins",
]


@dataclass(frozen=True)
class Field:
    """A field of a curated record: the name a curator knows it by (``object_direction``),
    its key in the record's :class:`~kg.model.Origin` (``qualifiers.object_direction``), and,
    for a list field, its values in the curator's order as text (to find the line of one), or
    the one item (from 0) a node was made from."""

    name: str
    key: str
    items: tuple[str, ...] = ()
    index: int | None = None

    def item(self, value: str) -> int | None:
        """The item of this field that holds ``value``, if it is a list field."""
        if self.index is not None:
            return self.index
        return self.items.index(value) if value in self.items else None


@dataclass(frozen=True)
class Made:
    """How a node of the graph was made: from the record at ``origin``, each property from a
    field (``fields``: by property IRI, the fields it may come from); any other property, and
    the node itself, from ``node`` (an evidence node from the quote, a quantity from an item
    of its qualifier; None: from the record as a whole)."""

    origin: Origin
    fields: Mapping[str, tuple[Field, ...]] = field(default_factory=dict)
    node: Field | None = None

    def field_of(self, path: str, value: str) -> Field | None:
        """The field the property ``path`` (``""``: none) comes from: of several, the one that
        holds ``value``, else the first the record has (``knowledge_level``, else ``status``)."""
        fields = self.fields.get(path, ())
        holds = next((f for f in fields if value in f.items), None)
        return holds or next((f for f in fields if self.origin.has(f.key)), self.node)


@dataclass(frozen=True)
class Where:
    """Where a curator made what a violation is about: file, line, record, field (``""``:
    the record as a whole) and the bad value as the curator writes it (an entity's key; ``""``
    when the value is no word of the curator's)."""

    file: str
    line: int | None
    record: str
    field: str
    word: str = ""


class Origins:
    """The index: how each node of the graph was made (by IRI), and the word a curator writes
    for an IRI (an entity's key, a status)."""

    def __init__(
        self, made: Mapping[str, Made] | None = None, words: Mapping[str, str] | None = None
    ) -> None:
        self.made: dict[str, Made] = dict(made or {})
        self.words: dict[str, str] = dict(words or {})

    def __len__(self) -> int:
        return len(self.made)

    def add(self, other: Origins) -> Origins:
        """Add the nodes and words of ``other`` that this index has not (the first maker of an
        IRI keeps it); returns self."""
        for iri, made in other.made.items():
            self.made.setdefault(iri, made)
        for iri, word in other.words.items():
            self.words.setdefault(iri, word)
        return self

    def where(self, focus: str, path: str = "", value: str = "") -> Where | None:
        """Where the node ``focus`` (an IRI) was curated, at the field its property ``path``
        comes from (``""``: the node itself), for the value ``value`` (an IRI or a literal's
        text); None when no record made it (and none made the value either).

        >>> origin = Origin("claims.yaml", 4, "claim 'a'", (("status", 9),))
        >>> made = Made(origin, {str(KGO.epistemicStatus): (Field("status", "status"),)})
        >>> index = Origins({"https://x/a": made}, {str(KGO.Negated): "negated"})
        >>> index.where("https://x/a", str(KGO.epistemicStatus), str(KGO.Negated))
        Where(file='claims.yaml', line=9, record="claim 'a'", field='status', word='negated')
        """
        made = self.made.get(focus)
        if made is None:
            made, path = self.made.get(value), ""
        if made is None:
            return None
        chosen, origin, word = made.field_of(path, value), made.origin, self.words.get(value, "")
        if chosen is None:
            return Where(origin.file, origin.line, origin.name, "", word)
        line = origin.line_of(chosen.key, chosen.item(value))
        return Where(origin.file, line, origin.name, chosen.name, word)


def _fields(table: Mapping[URIRef, Sequence[Field]]) -> dict[str, tuple[Field, ...]]:
    return {str(prop): tuple(fields) for prop, fields in table.items()}


def _one(name: str) -> tuple[Field]:
    return (Field(name, name),)


#: The claim's properties that come from a field of its record (see kg.rdf.mint._add_claim).
_CLAIM = {
    BIOLINK.subject: _one("subject"),
    BIOLINK.predicate: _one("predicate"),
    BIOLINK.object: _one("object"),
    KGO.epistemicStatus: _one("status"),
    BIOLINK.negated: (*_one("negated"), *_one("status")),
    BIOLINK.knowledge_level: (*_one("knowledge_level"), *_one("status")),
    BIOLINK.supporting_text: _one("quote"),
    KGO.evidence: _one("quote"),
    BIOLINK.has_evidence: _one("evidence_type"),
    RDFS.comment: _one("note"),
}


def source_origins(source: Source, views: Sequence[ClaimView]) -> Origins:
    """How the graph of one source was made (see :func:`kg.rdf.mint.source_triples`): its
    text and its article from source.yaml; each claim, its evidence and its qualifiers' nodes
    from its record in claims.yaml (``views``: the claims' views, in their order)."""
    index = Origins()
    if source.origin is not None:
        text = {RDF.value: _one("file"), KGO.sha256: _one("sha256")}
        made = Made(source.origin, _fields(text), Field("file", "file"))
        index.made[str(text_iri(str(BASE), source.key))] = made
    article = source.article
    if article.origin is not None:
        # pmid and pmcid, in the order the loader reads them, are the article's mappings
        named = [name for name in ("pmid", "pmcid") if article.origin.has(name)]
        same_as = list(zip(named, article.same_as, strict=False))
        fields = {
            SCHEMA.isPartOf: _one("journal"),
            SCHEMA.sourceOrganization: _one("affiliation"),
            SKOS.exactMatch: tuple(Field(name, name, (str(m.iri),)) for name, m in same_as),
        }
        index.made[str(article.iri)] = Made(article.origin, _fields(fields))
        for name, mapping in same_as:
            made = Made(article.origin, node=Field(name, name))
            index.made[str(mapping_iri(source.key, mapping.curie))] = made
    for claim, view in zip(source.claims, views, strict=True):
        if claim.origin is not None:
            index.add(_claim_origins(claim, view, claim.origin))
    return index


def _claim_origins(claim: Claim, view: ClaimView, origin: Origin) -> Origins:
    fields = dict(_CLAIM)
    nodes = {}
    for qualifier in view.qualifiers:
        key = f"qualifiers.{qualifier.name}"
        values = list(enumerate(qualifier.values, start=1))
        items = tuple(_text(view.iri, qualifier.property, i, value) for i, value in values)
        fields[qualifier.property] = (Field(qualifier.name, key, items),)
        for i, value in values:
            if not isinstance(value, URIRef | str | bool):  # a node of its own
                made = Made(origin, node=Field(qualifier.name, key, index=i - 1))
                nodes[str(qualifier_iri(view.iri, qualifier.property, i))] = made
    quote = Made(origin, node=Field("quote", "quote"))
    nodes.update((str(iri), quote) for iri in evidence_iris(view.iri))
    nodes[str(view.iri)] = Made(origin, _fields(fields))
    return Origins(nodes, {str(claim.status): status_word(claim.status)})


def _text(claim: URIRef, prop: URIRef, index: int, value: QualifierValue) -> str:
    """A qualifier value as the text of its RDF term: an IRI, a literal's lexical form, or the
    IRI of its own node (as :mod:`kg.rdf.mint` writes them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, URIRef | str):
        return str(value)
    return str(qualifier_iri(claim, prop, index))


def catalogue_origins(entities: Iterable[Entity]) -> Origins:
    """How the catalogue's graph was made (see :func:`kg.rdf.mint.catalogue_graph`): each
    entity, its mapping records and their targets from its record in catalogue/entities.yaml;
    and the word a curator writes for each entity, its key."""
    index = Origins()
    for entity in entities:
        index.words[str(entity.iri)] = entity.key
        if entity.origin is not None:
            index.add(_entity_origins(entity, entity.origin))
    return index


def _entity_origins(entity: Entity, origin: Origin) -> Origins:
    categories = Field("category", "category", tuple(map(str, entity.categories)))
    fields: dict[URIRef, tuple[Field, ...]] = {
        RDF.type: (categories,),
        BIOLINK.category: (categories,),
        RDFS.label: _one("label"),
        SKOS.altLabel: (Field("synonyms", "synonyms", entity.synonyms),),
        SKOS.definition: _one("description"),
        RDFS.comment: _one("comment"),
        KGO.sector: _one("sector"),
    }
    nodes: dict[str, Made] = {}
    words: dict[str, str] = {}
    for kind, predicate in SKOS_MATCH.items():
        mappings = [m for m in entity.mappings if m.kind == kind]
        fields[predicate] = (Field(kind, kind, tuple(str(m.iri) for m in mappings)),)
        for index, mapping in enumerate(mappings):
            item = Field(kind, kind, index=index)
            labels = {
                RDFS.label: _one("label"),
                SSSOM.subject_label: _one("label"),
                SSSOM.object_label: (Field(f"{kind}: label", kind, index=index),),
            }
            nodes[str(mapping_iri(entity.key, mapping.curie))] = Made(origin, _fields(labels), item)
            nodes.setdefault(str(mapping.iri), Made(origin, node=item))
            words.setdefault(str(mapping.iri), mapping.curie)
    node = Field("id", "id") if origin.has("id") else Field("key", "key")
    nodes[str(entity.iri)] = Made(origin, _fields(fields), node)
    return Origins(nodes, words)


def description_origins(info: DatasetInfo) -> Origins:
    """How the release's description was made from dataset.yaml (see
    :func:`kg.rdf.mint.description_graph`): the release (and the dataset it is a version of)
    and its publisher."""
    if info.origin is None:
        return Origins()
    publisher = _one("publisher.key")
    release = {
        DCTERMS.title: _one("title"),
        RDFS.label: _one("title"),
        DCTERMS.description: _one("description"),
        PAV.version: _one("version"),
        PAV.previousVersion: _one("previous_version"),
        DCTERMS.license: _one("license"),
        DCTERMS.publisher: publisher,
        DCTERMS.creator: publisher,
        DCTERMS.source: _one("sources"),
    }
    agent = {RDFS.label: _one("publisher.label")}
    origin = info.origin
    return Origins(
        {
            str(RELEASE[info.version]): Made(origin, _fields(release), Field("version", "version")),
            str(BASE["dataset"]): Made(origin, _fields(release), Field("title", "title")),
            str(publisher_iri(info.publisher_key)): Made(origin, _fields(agent), publisher[0]),
        }
    )
