"""The schema.org markup of the site's pages: what a search engine reads of a dataset, an
article or a drug, as JSON-LD embedded in ``<script type="application/ld+json">``.

Every value comes from the release: the dataset's title, description, licence, creator,
version, date and files (its ``void.ttl``), an article's title, authors, date and identifiers,
an entity's name, definition and cross-references. The fields are those Google's Dataset Search
requires and recommends, and those of Bioschemas' Dataset profile (which the markup declares
with ``dct:conformsTo``); an article is a ``ScholarlyArticle``, a drug a ``Drug``. The context
is schema.org's vocabulary and nothing to fetch, so the markup reads offline.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from curies import Converter

from kg import namespaces as ns  # rdflib's closed DCAT and SDO, imported, upset doctests
from kg.namespaces import BIOLINK, DCTERMS, PAV, RDF, RDFS, SKOS
from kg.web.downloads import Download, web_address

__all__ = [
    "BIOSCHEMAS_DATASET",
    "KINDS",
    "article_markup",
    "dataset_markup",
    "entity_markup",
    "script_text",
]

#: The Bioschemas profile the Dataset markup follows.
BIOSCHEMAS_DATASET = "https://bioschemas.org/profiles/Dataset/1.0-RELEASE"
#: The schema.org type of a page's markup, by the rdf:type of its resource.
KINDS = {
    str(ns.SCHEMA.ScholarlyArticle): "ScholarlyArticle",
    str(ns.DCAT.Dataset): "Dataset",
    str(ns.DCMITYPE.Dataset): "Dataset",
    str(BIOLINK.Drug): "Drug",
    str(BIOLINK.SmallMolecule): "MolecularEntity",
    str(BIOLINK.ChemicalEntity): "MolecularEntity",
    str(BIOLINK.Disease): "MedicalCondition",
    str(BIOLINK.PhenotypicFeature): "MedicalCondition",
}
#: How many of the articles' keywords a dataset's markup lists, the most used first.
KEYWORDS = 50
_CONTEXT = {"@vocab": str(ns.SCHEMA)}
_CONFORMS_TO = str(DCTERMS.conformsTo)


def script_text(data: Mapping[str, object]) -> str:
    """``data`` as JSON for a ``<script>`` element: every ``<``, ``>`` and ``&`` escaped as
    JSON's ``\\u003c``, ``\\u003e``, ``\\u0026``, so a label can neither close its script
    (``</script>``) nor turn the rest of the page into script data (``<!--<script>``).

    >>> script_text({"name": "a <!--<script></script> & b"})
    '{"name": "a \\\\u003c!--\\\\u003cscript\\\\u003e\\\\u003c/script\\\\u003e \\\\u0026 b"}'
    """
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def dataset_markup(store: ox.Store, iri: str, downloads: Iterable[Download]) -> dict[str, object]:
    """A schema.org ``Dataset`` for the dataset or release ``iri``: its own title and
    description, and the licence, creator, version, date and files of its release (the
    current version, for the dataset that has versions)."""
    release = _release_of(store, iri)
    data: dict[str, object] = {
        "@context": _CONTEXT,
        "@id": iri,
        "@type": "Dataset",
        _CONFORMS_TO: {"@id": BIOSCHEMAS_DATASET},
        "name": _text(store, iri, DCTERMS.title) or _text(store, release, DCTERMS.title),
        "description": _text(store, iri, DCTERMS.description)
        or _text(store, release, DCTERMS.description),
        "url": iri,
        "identifier": iri,
        "isAccessibleForFree": True,
        "keywords": _keywords(store),
        "distribution": [
            {
                "@type": "DataDownload",
                "name": item.name,
                "contentUrl": item.url,
                "encodingFormat": item.media_type,
            }
            for item in downloads
        ],
    }
    licence = _first(store, release, DCTERMS.license) or _first(store, iri, DCTERMS.license)
    if licence is not None:
        data["license"] = licence.value
    for field, prop in (("creator", DCTERMS.creator), ("publisher", DCTERMS.publisher)):
        agent = _first(store, release, prop)
        if isinstance(agent, ox.NamedNode):
            data[field] = _agent(store, agent)
    for field, prop in (("version", PAV.version), ("datePublished", DCTERMS.issued)):
        value = _text(store, release, prop)
        if value:
            data[field] = value
    return data


def article_markup(store: ox.Store, iri: str, converter: Converter) -> dict[str, object]:
    """A schema.org ``ScholarlyArticle``: title, authors in order, date, journal, keywords,
    abstract, and its identifiers (its DOI, PMID, PMCID) as values and as web addresses."""
    title = _text(store, iri, DCTERMS.title) or _text(store, iri, RDFS.label)
    same = [iri, *(o.value for o in _objects(store, iri, SKOS.exactMatch))]
    data: dict[str, object] = {
        "@context": _CONTEXT,
        "@id": iri,
        "@type": "ScholarlyArticle",
        "name": title,
        "url": iri,
        "identifier": _identifiers(same, converter),
        "sameAs": [address for address in map(web_address, same) if address],
        "keywords": sorted(_texts(store, iri, ns.SCHEMA.keywords)),
    }
    authors = _authors(store, iri)
    if authors:
        data["author"] = authors
    if len(title) <= 110:  # Google's longest headline
        data["headline"] = title
    for field, prop in (
        ("datePublished", ns.SCHEMA.datePublished),
        ("abstract", ns.SCHEMA.abstract),
    ):
        value = _text(store, iri, prop)
        if value:
            data[field] = value
    journal = _first(store, iri, ns.SCHEMA.isPartOf)
    if isinstance(journal, ox.NamedNode):
        data["isPartOf"] = {
            "@id": journal.value,
            "@type": "Periodical",
            "name": _text(store, journal.value, RDFS.label),
        }
    return data


def entity_markup(
    store: ox.Store, iri: str, kinds: list[str], converter: Converter
) -> dict[str, object]:
    """A schema.org ``Drug`` (or molecule, or condition): its name, definition, other names,
    and its cross-references (skos:exactMatch) as identifiers and as web addresses."""
    same = [iri, *(o.value for o in _objects(store, iri, SKOS.exactMatch))]
    data: dict[str, object] = {
        "@context": _CONTEXT,
        "@id": iri,
        "@type": kinds[0] if len(kinds) == 1 else kinds,
        "name": _text(store, iri, RDFS.label) or converter.compress(iri) or iri,
        "url": iri,
        "identifier": _identifiers(same, converter),
        "sameAs": [address for address in map(web_address, same) if address],
    }
    definition = _text(store, iri, SKOS.definition)
    if definition:
        data["description"] = definition
    others = sorted(_texts(store, iri, SKOS.altLabel))
    if others:
        data["alternateName"] = others
    return data


def _release_of(store: ox.Store, iri: str) -> str:
    """The release a dataset's markup describes: ``iri`` itself when it has a version, else
    its current version (pav:hasCurrentVersion, or the release that is a version of it)."""
    if _first(store, iri, PAV.version) is not None:
        return iri
    current = _first(store, iri, PAV.hasCurrentVersion)
    if isinstance(current, ox.NamedNode):
        return current.value
    versions = sorted(
        {
            quad.subject.value
            for quad in store.quads_for_pattern(
                None, ox.NamedNode(str(DCTERMS.isVersionOf)), ox.NamedNode(iri)
            )
            if isinstance(quad.subject, ox.NamedNode)
        }
    )
    return versions[-1] if versions else iri


def _keywords(store: ox.Store) -> list[str]:
    """The articles' keywords, the most used first (then in alphabetical order)."""
    counts = Counter(
        word
        for _, word in {
            (quad.subject, quad.object.value)
            for quad in store.quads_for_pattern(None, ox.NamedNode(str(ns.SCHEMA.keywords)), None)
            if isinstance(quad.object, ox.Literal)
        }
    )
    return sorted(counts, key=lambda word: (-counts[word], word))[:KEYWORDS]


def _identifiers(iris: Iterable[str], converter: Converter) -> list[dict[str, str]]:
    """Each IRI the release can compress as a ``PropertyValue``: its prefix and local ID."""
    found = []
    for iri in iris:
        curie = converter.compress(iri)
        if curie:
            prefix, local = curie.split(":", 1)
            found.append({"@type": "PropertyValue", "propertyID": prefix, "value": local})
    return sorted(found, key=lambda item: (item["propertyID"], item["value"]))


def _authors(store: ox.Store, article: str) -> list[dict[str, str]]:
    people = []
    for person in _objects(store, article, ns.SCHEMA.author):
        position = _text(store, person.value, ns.SCHEMA.position)
        name = _text(store, person.value, ns.SCHEMA.name) or _text(store, person.value, RDFS.label)
        people.append((int(position) if position.isdigit() else 0, name, person.value))
    return [
        {"@id": iri, "@type": "Person", "name": name} for _, name, iri in sorted(people) if name
    ]


def _agent(store: ox.Store, agent: ox.NamedNode) -> dict[str, str]:
    types = {o.value for o in _objects(store, agent.value, RDF.type)}
    kind = "Person" if str(ns.SCHEMA.Person) in types else "Organization"
    return {"@id": agent.value, "@type": kind, "name": _text(store, agent.value, RDFS.label)}


def _objects(store: ox.Store, subject: str, prop: object) -> list[ox.NamedNode]:
    return sorted(
        {
            quad.object
            for quad in store.quads_for_pattern(
                ox.NamedNode(subject), ox.NamedNode(str(prop)), None
            )
            if isinstance(quad.object, ox.NamedNode)
        },
        key=str,
    )


def _texts(store: ox.Store, subject: str, prop: object) -> set[str]:
    return {
        quad.object.value
        for quad in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(str(prop)), None)
        if isinstance(quad.object, ox.Literal)
    }


def _text(store: ox.Store, subject: str, prop: object) -> str:
    found = sorted(_texts(store, subject, prop))
    return found[0] if found else ""


def _first(store: ox.Store, subject: str, prop: object) -> ox.NamedNode | ox.Literal | None:
    found = sorted(
        (
            quad.object
            for quad in store.quads_for_pattern(
                ox.NamedNode(subject), ox.NamedNode(str(prop)), None
            )
            if isinstance(quad.object, (ox.NamedNode, ox.Literal))
        ),
        key=str,
    )
    return found[0] if found else None
