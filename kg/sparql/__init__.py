"""SPARQL: the embedded engine with its guards (tokens, limits, the query worker) and the HTTP
endpoint client.
"""
