"""kg: the claims of biomedical literature as a validated, text-anchored RDF knowledge graph.

The pipeline, one module a step: :mod:`kg.project` loads and checks the curation files into the
plain model (:mod:`kg.model`); :mod:`kg.graph` builds the RDF; :mod:`kg.validation` checks it
with the SHACL shapes; :mod:`kg.release` writes the release; :mod:`kg.query` queries it.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
