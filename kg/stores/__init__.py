"""Putting the release into running triple stores (Graph Store Protocol, Oxigraph's and Virtuoso's
loaders).
"""
