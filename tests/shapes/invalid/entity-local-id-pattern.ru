# An entity whose local ID fails its prefix's pattern (MONDO has seven digits).
# expect: kgs:IdentifierPatternConstraint
PREFIX biolink: <https://w3id.org/biolink/vocab/>
PREFIX c: <https://w3id.org/drugclaims/id/pubmed-22870448/claim/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX kgo: <https://w3id.org/drugclaims/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
PREFIX sh: <http://www.w3.org/ns/shacl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

INSERT DATA {
  <http://purl.obolibrary.org/obo/MONDO_123> biolink:category biolink:Disease ; rdfs:label "bad"@en ;
    skos:exactMatch <http://id.nlm.nih.gov/mesh/D005356> .
  <https://w3id.org/drugclaims/id/mapping/bad/mesh-D005356> a <http://www.w3.org/2002/07/owl#Axiom> ;
    rdfs:label "bad exact match mesh:D005356"@en ;
    <http://www.w3.org/2002/07/owl#annotatedSource> <http://purl.obolibrary.org/obo/MONDO_123> ;
    <http://www.w3.org/2002/07/owl#annotatedProperty> skos:exactMatch ;
    <http://www.w3.org/2002/07/owl#annotatedTarget> <http://id.nlm.nih.gov/mesh/D005356> ;
    <https://w3id.org/sssom/mapping_justification> <https://w3id.org/semapv/vocab/ManualMappingCuration> ;
    <https://w3id.org/sssom/subject_label> "bad" .
}
