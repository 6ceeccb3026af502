"""The release's formats, one writer each: RDF serialisations, SSSOM, the dataset description,
nanopublications, KGX, the claims table, and query results.
"""
