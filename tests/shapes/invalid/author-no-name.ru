# An author with no name.
# expect: kgs:AuthorShape-name
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

INSERT { ?a schema:author <https://w3id.org/drugclaims/id/pubmed-22870448/author/1> . <https://w3id.org/drugclaims/id/pubmed-22870448/author/1> a schema:Person ; rdfs:label "an author"@en ; schema:position 1 } WHERE { ?a a biolink:Article }
