# A scale whose minimum is text.
# expect: kgs:MeasureShape-scaleMinimum
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
PREFIX obo: <http://purl.obolibrary.org/obo/>

INSERT DATA {
    c:pain-improvement-reported kgo:effect <https://w3id.org/drugclaims/id/pubmed-22870448/claim/pain-improvement-reported/effect/1> .
    <https://w3id.org/drugclaims/id/pubmed-22870448/claim/pain-improvement-reported/effect/1> a kgo:Measure, obo:STATO_0000457 ;
        rdfs:label "mean difference -2.8 point"@en ;
        kgo:statistic obo:STATO_0000457 ;
        schema:value -2.8 ;
        schema:unitCode kgo:Point ;
        kgo:arm <http://purl.obolibrary.org/obo/MONDO_0005546> ;
        kgo:scaleMinimum "low" ;
        kgo:scaleMaximum 100.0 .
}
