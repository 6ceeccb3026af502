"""Reading and checking what curators write: records, prefixes and the CURIE converter, the
catalogue, the sources and their parsers, the project.
"""
