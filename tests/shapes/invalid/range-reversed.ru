# A dose range from 300 to 200.
# expect: kgs:QuantityRangeShape-ordered
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
    c:pain-improvement-reported kgo:doseRange <https://w3id.org/drugclaims/id/pubmed-22870448/claim/pain-improvement-reported/doseRange/1> .
    <https://w3id.org/drugclaims/id/pubmed-22870448/claim/pain-improvement-reported/doseRange/1> a kgo:QuantityRange, schema:QuantitativeValue ;
        rdfs:label "50-200 milligram per day"@en ;
        schema:minValue 300.0 ;
        schema:maxValue 200.0 ;
        schema:unitCode kgo:MilligramPerDay .
}
