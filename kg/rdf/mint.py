"""From the plain model to RDF: the one place that mints IRIs.

IRIs come from curated keys (sources, claims, entities) and positions in curated lists, never
from uuid or the clock, so the same inputs always give the same graph. No blank node is made.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

from rdflib import Graph, Literal
from rdflib.term import Node, URIRef

from kg.errors import InputError
from kg.model import (
    DatasetInfo,
    Entity,
    Input,
    Interval,
    Measure,
    Population,
    Prefix,
    PValue,
    Quantity,
    QuantityRange,
    Source,
    StudySet,
    Term,
    canonical_decimal,
)
from kg.model import Mapping as EntityMapping
from kg.namespaces import (
    BASE,
    BIOLINK,
    DCAT,
    DCMITYPE,
    DCTERMS,
    IDOT,
    KGO,
    OA,
    OWL,
    PAV,
    PROV,
    RDF,
    RDFS,
    RELEASE,
    SCHEMA,
    SEMAPV,
    SH,
    SKOS,
    SSSOM,
    XSD,
)
from kg.rdf.lines import nt_lines, term_line
from kg.version import __version__
from kg.views import AGENT_TYPE, ClaimView, local_name, quantity_label, result_label, text_iri

__all__ = [
    "CATALOGUE_GRAPH",
    "DATASET_GRAPH",
    "ONTOLOGY_GRAPH",
    "add_mapping",
    "catalogue_graph",
    "check_iris",
    "date_literal",
    "description_graph",
    "description_lines",
    "evidence_iris",
    "mapping_iri",
    "names_of",
    "publisher_iri",
    "qualifier_iri",
    "source_date",
    "source_graph",
    "source_triples",
]

ONTOLOGY_GRAPH = BASE["graph/ontology"]
CATALOGUE_GRAPH = BASE["graph/catalogue"]
DATASET_GRAPH = BASE["graph/dataset"]
SKOS_MATCH = {
    "exact": SKOS.exactMatch,
    "close": SKOS.closeMatch,
    "broad": SKOS.broadMatch,
    "narrow": SKOS.narrowMatch,
    "related": SKOS.relatedMatch,
}


_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')


def source_graph(key: str) -> URIRef:
    """The named graph of one source's claims."""
    return BASE[f"{key}/graph"]


def evidence_iris(claim: URIRef) -> tuple[URIRef, URIRef, URIRef]:
    """The IRIs of a claim's text evidence, its quote selector and its position selector."""
    evidence = URIRef(f"{claim}/evidence")
    return evidence, URIRef(f"{evidence}/quote"), URIRef(f"{evidence}/position")


def qualifier_iri(claim: URIRef, prop: URIRef, index: int) -> URIRef:
    """The IRI of the ``index``-th (from 1) value of a claim's qualifier ``prop`` that is a
    node of its own (a quantity, a study set)."""
    return URIRef(f"{claim}/{local_name(prop)}/{index}")


def mapping_iri(key: str, curie: str) -> URIRef:
    """The IRI of the mapping record of entity (or source) ``key`` to ``curie``, as the
    curator wrote it."""
    return BASE[f"mapping/{key}/{_slug(curie)}"]


def publisher_iri(key: str) -> URIRef:
    """The IRI of the release's publisher (dataset.yaml's ``publisher: key``)."""
    return BASE[f"agent/{key}"]


def en(text: str) -> Literal:
    return Literal(text, lang="en")


def catalogue_graph(entities: Iterable[Entity]) -> Graph:
    """The catalogue's graph: every entity with its labels, categories and mappings."""
    graph = Graph()
    for entity in entities:
        _add_entity(graph, entity)
    return graph


def names_of(entities: Iterable[Entity], ontology: Graph) -> dict[Node, str]:
    """The label of every entity and ontology term, by IRI (to write claim labels)."""
    names: dict[Node, str] = {entity.iri: entity.label for entity in entities}
    names.update((s, str(o)) for s, o in ontology.subject_objects(RDFS.label))
    return names


def source_triples(source: Source, views: Iterable[ClaimView], names: Mapping[Node, str]) -> Graph:
    """The graph of one source: its text, its article, and its claims (their views, see
    :mod:`kg.views`) with their evidence."""
    graph = Graph()
    _add_source(graph, source, views, names)
    return graph


def description_graph(info: DatasetInfo, prefixes: Iterable[Prefix]) -> Graph:
    """The description of the release but its links to what it draws on (its articles, its
    build's inputs: :func:`description_lines`): the dataset, its publisher, the build, and the
    prefixes it declares."""
    graph = Graph()
    _add_description(graph, info, prefixes)
    return graph


def description_lines(
    info: DatasetInfo,
    prefixes: Iterable[Prefix],
    articles: Iterable[str],
    inputs: Iterable[Input],
) -> list[str]:
    """The description of the release as sorted canonical lines: :func:`description_graph`,
    and the articles it draws on and the build's inputs, each with its checksum. Those are
    written as lines at once, not through an rdflib graph: they grow with the corpus (13 lines
    a source), and rdflib holds about a kilobyte a triple.

    :raises InputError: an IRI no serialiser should see (:func:`check_iris`)
    """
    core = description_graph(info, prefixes)
    check_iris(core)
    release = RELEASE[info.version]
    build = URIRef(f"{release}/build")
    links: list[tuple[Node, Node, Node]] = [
        (release, DCTERMS.source, URIRef(article)) for article in articles
    ]
    for item in inputs:
        node = URIRef(f"{release}/input/{item.path}")
        links += [
            (build, PROV.used, node),
            (node, RDF.type, PROV.Entity),
            (node, RDFS.label, Literal(item.path)),
            (node, KGO.sha256, Literal(item.sha256)),
        ]
    check_iris(links)
    return sorted({*nt_lines(core), *(term_line(*triple) for triple in links)})


def check_iris(triples: Iterable[tuple[Node, Node, Node]]) -> None:
    """Refuse any IRI no serialiser should see: one with a space, a control character or one
    of ``<>"{}|^`\\``, or a minted one with a ``.`` or ``..`` path segment (a key that slipped
    past its pattern would otherwise mint ``.../claim/../../evil``).

    :raises InputError: naming the IRI
    """
    base = str(BASE)
    for triple in triples:
        for term in triple:
            if not isinstance(term, URIRef):
                continue
            iri = str(term)
            minted = iri.startswith(base) and any(
                part in (".", "..") for part in iri[len(base) :].split("/")
            )
            if _NOT_IN_IRI.search(iri) or minted:
                raise InputError("(the graph)", None, None, f"refusing to publish the IRI {iri!r}")


def _add_entity(graph: Graph, entity: Entity) -> None:
    iri = entity.iri
    for category in entity.categories:
        graph.add((iri, RDF.type, category))
        graph.add((iri, BIOLINK.category, category))
    graph.add((iri, RDFS.label, en(entity.label)))
    for synonym in entity.synonyms:
        graph.add((iri, SKOS.altLabel, en(synonym)))
    if entity.description:
        graph.add((iri, SKOS.definition, en(entity.description)))
    if entity.comment:
        graph.add((iri, RDFS.comment, en(entity.comment)))
    if entity.sector:
        graph.add((iri, KGO.sector, entity.sector))
    for mapping in entity.mappings:
        add_mapping(graph, entity.key, iri, entity.label, mapping)


def add_mapping(
    graph: Graph, key: str, subject: URIRef, subject_label: str, mapping: EntityMapping
) -> None:
    """A cross-reference: a plain SKOS triple when it is checked (confidence 1), and always an
    SSSOM mapping record (an owl:Axiom with justification, labels, confidence and comment)."""
    predicate = SKOS_MATCH[mapping.kind]
    if mapping.confidence is None:
        graph.add((subject, predicate, mapping.iri))
    record = mapping_iri(key, mapping.curie)
    graph.add((record, RDF.type, OWL.Axiom))
    label = f"{subject_label} {mapping.kind} match {mapping.preferred_curie}"
    graph.add((record, RDFS.label, en(label)))
    graph.add((record, OWL.annotatedSource, subject))
    graph.add((record, OWL.annotatedProperty, predicate))
    graph.add((record, OWL.annotatedTarget, mapping.iri))
    graph.add((record, SSSOM.mapping_justification, SEMAPV.ManualMappingCuration))
    graph.add((record, SSSOM.subject_label, Literal(subject_label)))
    if mapping.label:
        graph.add((record, SSSOM.object_label, Literal(mapping.label)))
    if mapping.confidence is not None:
        lexical = canonical_decimal(mapping.confidence)
        # xsd:decimal, not SSSOM's xsd:double: a double has no lexical form that survives both
        # JSON-LD (which writes 8.0E-1) and Oxigraph's store (which writes 0.8) unchanged.
        graph.add(
            (record, SSSOM.confidence, Literal(lexical, datatype=XSD.decimal, normalize=False))
        )
    if mapping.comment:
        graph.add((record, RDFS.comment, en(mapping.comment)))
    if mapping.see_also:
        graph.add((record, RDFS.seeAlso, Literal(mapping.see_also)))


def _slug(curie: str) -> str:
    """A CURIE as one path segment of an IRI: ``mesh:D005356`` -> ``mesh-D005356``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", curie)


def _add_source(
    graph: Graph, source: Source, views: Iterable[ClaimView], names: Mapping[Node, str]
) -> None:
    text = text_iri(str(BASE), source.key)
    article = source.article
    graph.add((text, RDF.type, KGO.SourceText))
    graph.add((text, RDF.type, DCMITYPE.Text))
    graph.add((text, RDFS.label, en(f"the text of {source.path}, as received")))
    graph.add((text, RDF.value, Literal(source.text)))
    graph.add((text, KGO.sha256, Literal(source.sha256)))
    graph.add((text, DCTERMS["format"], Literal(source.media_type)))
    graph.add((text, DCTERMS.source, article.iri))
    _add_article(graph, source, names)
    for view in views:
        _add_claim(graph, view, names)


def _add_article(graph: Graph, source: Source, names: Mapping[Node, str]) -> None:
    article = source.article
    iri = article.iri
    for cls in (BIOLINK.Article, SCHEMA.ScholarlyArticle):
        graph.add((iri, RDF.type, cls))
    graph.add((iri, BIOLINK.category, BIOLINK.Article))
    graph.add((iri, RDFS.label, en(article.title)))
    graph.add((iri, DCTERMS.title, en(article.title)))
    graph.add((iri, DCTERMS.bibliographicCitation, Literal(article.citation)))
    graph.add((iri, SCHEMA.datePublished, date_literal(article.date)))
    for prop, value in (
        (SCHEMA.volumeNumber, article.volume),
        (SCHEMA.issueNumber, article.issue),
        (SCHEMA.pagination, article.pages),
    ):
        if value:
            graph.add((iri, prop, Literal(value)))
    if article.journal is not None:
        graph.add((iri, SCHEMA.isPartOf, article.journal))
    for organization in article.organizations:
        graph.add((iri, SCHEMA.sourceOrganization, organization))
    if article.abstract:
        graph.add((iri, SCHEMA.abstract, Literal(article.abstract)))
    for keyword in article.keywords:
        graph.add((iri, SCHEMA.keywords, Literal(keyword)))
    _add_authors(graph, source)
    for prop, terms in (
        (DCTERMS.subject, article.subjects),
        (SCHEMA.genre, article.publication_types),
    ):
        for term in terms:
            _add_term(graph, iri, prop, term, names)
    for mapping in article.same_as:
        add_mapping(graph, source.key, iri, article.title, mapping)


def date_literal(date: str) -> Literal:
    """An ISO date of the precision it has, typed so: ``2014`` an xsd:gYear, ``2014-11`` an
    xsd:gYearMonth, ``2014-11-21`` an xsd:date.

    >>> date_literal("2014-11").datatype == XSD.gYearMonth
    True
    """
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}[len(date)]
    return Literal(date, datatype=datatype, normalize=False)


def _add_authors(graph: Graph, source: Source) -> None:
    """Each author a schema:Person minted under the source by their place in the list
    (``…/{key}/author/1`` the first; schema:position says it too), each distinct affiliation
    text a schema:Organization minted by its place of first mention."""
    article = source.article
    places: dict[str, URIRef] = {}
    for position, person in enumerate(article.authors, start=1):
        node = BASE[f"{source.key}/author/{position}"]
        graph.add((article.iri, SCHEMA.author, node))
        graph.add((node, RDF.type, SCHEMA.Person))
        graph.add((node, RDFS.label, en(person.name)))
        graph.add((node, SCHEMA.name, Literal(person.name)))
        graph.add((node, SCHEMA.position, Literal(position, datatype=XSD.integer)))
        if person.given_name:
            graph.add((node, SCHEMA.givenName, Literal(person.given_name)))
        if person.family_name:
            graph.add((node, SCHEMA.familyName, Literal(person.family_name)))
        for text in person.affiliations:
            if text not in places:
                places[text] = BASE[f"{source.key}/affiliation/{len(places) + 1}"]
                graph.add((places[text], RDF.type, SCHEMA.Organization))
                graph.add((places[text], RDFS.label, en(text)))
                graph.add((places[text], SCHEMA.name, Literal(text)))
            graph.add((node, SCHEMA.affiliation, places[text]))


def _add_term(
    graph: Graph, article: URIRef, prop: URIRef, term: Term, names: Mapping[Node, str]
) -> None:
    """A heading: its IRI when the document gives its identifier (labelled with the
    document's name for it, unless the catalogue names it), else the name itself."""
    if term.iri is None:
        graph.add((article, prop, Literal(term.name)))
        return
    graph.add((article, prop, term.iri))
    if term.iri not in names:
        graph.add((term.iri, RDFS.label, en(term.name)))


def _add_claim(graph: Graph, view: ClaimView, names: Mapping[Node, str]) -> None:
    iri = view.iri
    for cls in (KGO.Claim, BIOLINK.Association):
        graph.add((iri, RDF.type, cls))
    graph.add((iri, RDFS.label, en(view.label)))
    graph.add((iri, KGO.reading, en(view.reading)))
    graph.add((iri, BIOLINK.subject, view.subject))
    graph.add((iri, BIOLINK.predicate, view.predicate))
    graph.add((iri, BIOLINK.object, view.object))
    graph.add((iri, KGO.epistemicStatus, view.status))
    graph.add((iri, BIOLINK.negated, Literal(view.negated)))
    graph.add((iri, BIOLINK.knowledge_level, Literal(view.knowledge_level)))
    graph.add((iri, BIOLINK.agent_type, Literal(AGENT_TYPE)))
    graph.add((iri, BIOLINK.publications, view.article))
    graph.add((iri, BIOLINK.supporting_text, Literal(view.span.exact)))
    if view.evidence_type:
        graph.add((iri, BIOLINK.has_evidence, view.evidence_type))
    if view.note:
        graph.add((iri, RDFS.comment, en(view.note)))
    _add_evidence(graph, view)
    for qualifier in view.qualifiers:
        for index, value in enumerate(qualifier.values, start=1):
            node = _qualifier_node(graph, iri, qualifier.property, index, value, names)
            graph.add((iri, qualifier.property, node))
    if view.states_triple:
        graph.add((view.subject, view.predicate, view.object))


def _add_evidence(graph: Graph, view: ClaimView) -> None:
    evidence, quote, position = evidence_iris(view.iri)
    span, key = view.span, view.key
    graph.add((view.iri, KGO.evidence, evidence))
    graph.add((evidence, RDFS.label, en(f"evidence of claim {key}")))
    graph.add((quote, RDFS.label, en(f"quote of claim {key}")))
    graph.add((position, RDFS.label, en(f"span [{span.start}, {span.end}) of claim {key}")))
    graph.add((evidence, RDF.type, OA.SpecificResource))
    graph.add((evidence, OA.hasSource, view.text))
    graph.add((evidence, OA.hasSelector, quote))
    graph.add((evidence, OA.hasSelector, position))
    graph.add((quote, RDF.type, OA.TextQuoteSelector))
    graph.add((quote, OA.exact, Literal(span.exact)))
    graph.add((quote, OA.prefix, Literal(span.prefix)))
    graph.add((quote, OA.suffix, Literal(span.suffix)))
    graph.add((position, RDF.type, OA.TextPositionSelector))
    # xsd:integer, not Web Annotation's xsd:nonNegativeInteger: Oxigraph stores derived integer
    # types as xsd:integer, so only xsd:integer survives a store round trip unchanged.
    graph.add((position, OA.start, Literal(span.start, datatype=XSD.integer)))
    graph.add((position, OA.end, Literal(span.end, datatype=XSD.integer)))


def _qualifier_node(
    graph: Graph,
    claim_iri: URIRef,
    prop: URIRef,
    index: int,
    value: object,
    names: Mapping[Node, str],
) -> Node:
    if isinstance(value, URIRef):
        return value
    if isinstance(value, bool | str):
        return Literal(value)
    node = qualifier_iri(claim_iri, prop, index)
    if isinstance(value, Quantity):
        graph.add((node, RDFS.label, en(quantity_label(value, names))))
        graph.add((node, RDF.type, KGO.Quantity))
        graph.add((node, RDF.type, SCHEMA.QuantitativeValue))
        graph.add((node, SCHEMA.value, decimal(value.value)))
        graph.add((node, SCHEMA.unitCode, value.unit))
        if value.normal is not None:
            graph.add((node, KGO.normalValue, decimal(value.normal[0])))
    elif isinstance(value, StudySet):
        designs = ", ".join(names.get(design, design) for design in value.designs)
        graph.add((node, RDFS.label, en(f"{value.count} studies: {designs}")))
        graph.add((node, RDF.type, KGO.StudySet))
        graph.add((node, KGO.numberOfStudies, Literal(value.count, datatype=XSD.integer)))
        for design in value.designs:
            graph.add((node, KGO.studyDesign, design))
    elif isinstance(value, QuantityRange | Measure | PValue | Interval | Population):
        graph.add((node, RDFS.label, en(result_label(value, names))))
        _add_result(graph, node, value)
    else:
        raise TypeError(f"no RDF form for qualifier value {value!r}")
    return node


def decimal(value: Decimal) -> Literal:
    """An xsd:decimal in canonical form (as Oxigraph writes it: it survives a store unchanged)."""
    return Literal(canonical_decimal(value), datatype=XSD.decimal, normalize=False)


def _add_result(
    graph: Graph, node: URIRef, value: QuantityRange | Measure | PValue | Interval | Population
) -> None:
    """The triples of a result's value (see the classes of ontology/kgo.ttl)."""
    if isinstance(value, QuantityRange):
        graph.add((node, RDF.type, KGO.QuantityRange))
        graph.add((node, RDF.type, SCHEMA.QuantitativeValue))
        graph.add((node, SCHEMA.minValue, decimal(value.minimum)))
        graph.add((node, SCHEMA.maxValue, decimal(value.maximum)))
        graph.add((node, SCHEMA.unitCode, value.unit))
    elif isinstance(value, Measure):
        graph.add((node, RDF.type, KGO.Measure))
        graph.add((node, RDF.type, value.statistic))
        graph.add((node, KGO.statistic, value.statistic))
        graph.add((node, SCHEMA.value, decimal(value.value)))
        graph.add((node, SCHEMA.unitCode, value.unit))
        if value.arm is not None:
            graph.add((node, KGO.arm, value.arm))
        if value.scale is not None:
            graph.add((node, KGO.scaleMinimum, decimal(value.scale[0])))
            graph.add((node, KGO.scaleMaximum, decimal(value.scale[1])))
    elif isinstance(value, PValue):
        graph.add((node, RDF.type, KGO.PValue))
        graph.add((node, SCHEMA.value, decimal(value.value)))
        graph.add((node, KGO.operator, Literal(value.operator)))
    elif isinstance(value, Interval):
        graph.add((node, RDF.type, KGO.ConfidenceInterval))
        graph.add((node, KGO.lowerLimit, decimal(value.lower)))
        graph.add((node, KGO.upperLimit, decimal(value.upper)))
        graph.add((node, KGO.confidenceLevel, decimal(value.level)))
        if value.unit is not None:
            graph.add((node, SCHEMA.unitCode, value.unit))
    else:
        graph.add((node, RDF.type, KGO.Population))
        if value.size is not None:
            graph.add((node, KGO.size, Literal(value.size, datatype=XSD.integer)))
        if value.condition is not None:
            graph.add((node, KGO.condition, value.condition))


def _add_description(graph: Graph, info: DatasetInfo, prefixes: Iterable[Prefix]) -> None:
    release = RELEASE[info.version]
    publisher = publisher_iri(info.publisher_key)
    software = BASE[f"software/kg/{__version__}"]
    build = URIRef(f"{release}/build")
    # the version level of the HCLS profile: a dctypes:Dataset (and a dcat:Dataset), not a
    # void:Dataset (that is the distribution level: void.ttl describes each file)
    for cls in (DCMITYPE.Dataset, DCAT.Dataset):
        graph.add((release, RDF.type, cls))
    graph.add((release, DCTERMS.isVersionOf, BASE["dataset"]))
    graph.add((BASE["dataset"], RDFS.label, en(info.title)))
    graph.add((release, RDFS.label, en(info.title)))
    graph.add((release, DCTERMS.title, en(info.title)))
    graph.add((release, DCTERMS.description, en(info.description)))
    graph.add((release, PAV.version, Literal(info.version)))
    if info.previous_version:
        graph.add((release, PAV.previousVersion, RELEASE[info.previous_version]))
    graph.add((release, DCTERMS.license, info.license))
    graph.add((release, DCTERMS.publisher, publisher))
    graph.add((release, DCTERMS.creator, publisher))
    graph.add((release, PAV.createdWith, software))
    graph.add((release, PROV.wasGeneratedBy, build))
    graph.add((publisher, RDF.type, PROV.Agent))
    graph.add((publisher, RDFS.label, en(info.publisher_label)))
    graph.add((software, RDF.type, PROV.SoftwareAgent))
    graph.add((software, RDFS.label, en(f"kg {__version__}")))
    graph.add((software, PAV.version, Literal(__version__)))
    graph.add((build, RDF.type, PROV.Activity))
    graph.add((build, RDFS.label, en(f"build of release {info.version}")))
    graph.add((build, PROV.wasAssociatedWith, software))
    issued = source_date()
    if issued is not None:
        graph.add((release, DCTERMS.issued, issued))
        graph.add((build, PROV.endedAtTime, issued))
    _add_prefix_declarations(graph, release, prefixes)


def _add_prefix_declarations(graph: Graph, release: URIRef, prefixes: Iterable[Prefix]) -> None:
    for prefix in prefixes:
        node = (
            URIRef(prefix.registry_iri) if prefix.registry_iri else BASE[f"prefix/{prefix.prefix}"]
        )
        graph.add((release, SH.declare, node))
        graph.add((node, RDF.type, SH.PrefixDeclaration))
        graph.add((node, RDFS.label, Literal(prefix.prefix)))
        graph.add((node, SH.prefix, Literal(prefix.prefix)))
        graph.add((node, SH.namespace, Literal(prefix.uri_prefix, datatype=XSD.anyURI)))
        if prefix.pattern:
            graph.add((node, IDOT.identifierPattern, Literal(prefix.pattern)))
        if prefix.synonyms:
            graph.add((node, IDOT.preferredPrefix, Literal(prefix.synonyms[0])))


def source_date() -> Literal | None:
    """The release date from SOURCE_DATE_EPOCH (reproducible builds), or None: never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    if not epoch.isdigit():
        raise InputError(
            "SOURCE_DATE_EPOCH",
            None,
            None,
            f"expected a number of seconds since 1970, got {epoch!r}",
        )
    moment = datetime.fromtimestamp(int(epoch), tz=UTC).replace(tzinfo=None)
    return Literal(moment.isoformat() + "Z", datatype=XSD.dateTime, normalize=False)
