"""From the plain model to RDF (the one place that mints IRIs), and canonical N-Triples lines."""
