"""kg: the claims of biomedical literature as a validated, text-anchored RDF knowledge graph.

The package is laid out as the pipeline runs, each stage a subpackage that imports only the
stages before it (import-linter checks it: ``lint-imports``):

- :mod:`kg.version`, :mod:`kg.errors`, :mod:`kg.namespaces`, :mod:`kg.model`, :mod:`kg.views`:
  the version, the errors, the
  vocabulary, the plain model of what curators write, and the one view of a claim that every
  output is made from;
- :mod:`kg.runtime`: the offline guard, worker processes, progress, atomic files;
- :mod:`kg.sparql`: the embedded SPARQL engine with its guards, and endpoints over HTTP;
- :mod:`kg.curation`: reading and checking the curation files (records, prefixes and the CURIE
  converter, the catalogue, the sources and their parsers, the project);
- :mod:`kg.rdf`: the plain model as RDF (the one place that mints IRIs), canonical lines;
- :mod:`kg.validation`: SHACL validation of a unit of data;
- :mod:`kg.formats`: one writer a format of the release;
- :mod:`kg.build`: each source's unit of work, the cache, the assembly of the release;
- :mod:`kg.web` and :mod:`kg.stores`: publishing it as linked data, and loading it into
  triple stores;
- :mod:`kg.api`: the Python API, re-exported here (``kg.build_release``, ``kg.claims`` ...);
- :mod:`kg.cli`: the ``kg`` command, a thin client of the above.

The API is loaded on first use, so that ``import kg`` (and the ``kg`` command) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.api import (
        BuildResult,
        Project,
        ReleaseClaim,
        ReleaseDiff,
        Report,
        build_release,
        claims,
        diff,
        open_project,
        query,
        validate,
    )

__all__ = [
    "BuildResult",
    "Project",
    "ReleaseClaim",
    "ReleaseDiff",
    "Report",
    "__version__",
    "build_release",
    "claims",
    "diff",
    "open_project",
    "query",
    "validate",
]

from kg.version import __version__


def __getattr__(name: str) -> Any:
    """The API's names, imported from :mod:`kg.api` when first asked for."""
    if name in __all__:
        from kg import api

        return getattr(api, name)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")
