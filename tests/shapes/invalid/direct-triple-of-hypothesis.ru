# The triple of a hypothesis with no asserted claim behind it: the hypothesis is made about
# another entity of a category of its object (the first by IRI; fatigue in the seed's release)
# that no asserted claim, of any source, relates to its subject by its predicate.
# expect: kgs:DirectTripleShape-notAsserted
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

DELETE { c:hypothesized-symptom-improvement biolink:object ?o }
INSERT { c:hypothesized-symptom-improvement biolink:object ?other . ?s ?p ?other }
WHERE {
  c:hypothesized-symptom-improvement biolink:subject ?s ; biolink:predicate ?p ; biolink:object ?o .
  {
    SELECT DISTINCT ?other WHERE {
      c:hypothesized-symptom-improvement biolink:subject ?s ; biolink:predicate ?p ;
          biolink:object ?o .
      ?o biolink:category ?category .
      ?other biolink:category ?category .
      FILTER (?other != ?o)
      FILTER NOT EXISTS {
        ?claim kgo:epistemicStatus kgo:Asserted ;
            biolink:subject ?s ; biolink:predicate ?p ; biolink:object ?other .
      }
    }
    ORDER BY ?other
    LIMIT 1
  }
}
