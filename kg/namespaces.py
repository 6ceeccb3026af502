"""Every namespace kg writes, defined once.

The project's own ontology is a closed namespace: a misspelt term fails at import time. The other
vocabularies' namespaces are those Bioregistry gives (a test checks that they agree).
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import (
    DCAT,
    DCMITYPE,
    DCTERMS,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    VOID,
    XSD,
    DefinedNamespace,
)
from rdflib.term import URIRef

__all__ = [
    "BASE",
    "BIOLINK",
    "DCAT",
    "DCMITYPE",
    "DCTERMS",
    "IDOT",
    "KGO",
    "NP",
    "OA",
    "ONTOLOGY_IRI",
    "OWL",
    "PAV",
    "PROV",
    "RDF",
    "RDFS",
    "RELEASE",
    "ROOT",
    "SCHEMA",
    "SEMAPV",
    "SH",
    "SHAPES",
    "SKOS",
    "SPDX",
    "SSSOM",
    "VOID",
    "XSD",
]

#: Where every IRI of the project starts (the w3id.org redirect the site answers for).
ROOT = "https://w3id.org/drugclaims/"
#: Minted IRIs of the data (claims, evidence, source texts, entities with no identifier).
BASE = Namespace(ROOT + "id/")
#: Releases: ``RELEASE[version]`` is a release's version IRI.
RELEASE = Namespace(ROOT + "release/")
#: The shapes' own names (shapes/*.ttl).
SHAPES = Namespace("https://w3id.org/drugclaims/shapes#")
ONTOLOGY_IRI = URIRef("https://w3id.org/drugclaims/ontology")

BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
IDOT = Namespace("http://identifiers.org/idot/")
OA = Namespace("http://www.w3.org/ns/oa#")
PAV = Namespace("http://purl.org/pav/")
SCHEMA = SDO
SEMAPV = Namespace("https://w3id.org/semapv/vocab/")
SSSOM = Namespace("https://w3id.org/sssom/")
NP = Namespace("http://www.nanopub.org/nschema#")
SPDX = Namespace("http://spdx.org/rdf/terms#")


class KGO(DefinedNamespace):
    """The terms of the drugclaims ontology (ontology/kgo.ttl) that the code itself uses."""

    _NS = Namespace("https://w3id.org/drugclaims/ontology#")
    _fail = True

    # classes
    Claim: URIRef
    ClaimPredicate: URIRef
    ConfidenceInterval: URIRef
    EpistemicStatus: URIRef
    Measure: URIRef
    Population: URIRef
    PValue: URIRef
    Quantity: URIRef
    QuantityRange: URIRef
    QualifierValue: URIRef
    Sector: URIRef
    SourceText: URIRef
    Statistic: URIRef
    StudySet: URIRef
    Unit: URIRef
    # individuals
    Asserted: URIRef
    Negated: URIRef
    # properties
    arm: URIRef
    condition: URIRef
    confidenceLevel: URIRef
    conflictsWith: URIRef
    conversionFactor: URIRef
    epistemicStatus: URIRef
    evidence: URIRef
    lowerLimit: URIRef
    normalUnit: URIRef
    normalValue: URIRef
    numberOfStudies: URIRef
    operator: URIRef
    scaleMaximum: URIRef
    scaleMinimum: URIRef
    size: URIRef
    statistic: URIRef
    upperLimit: URIRef
    reading: URIRef
    sector: URIRef
    sha256: URIRef
    studyDesign: URIRef
