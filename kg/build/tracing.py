"""A published release's violations traced back to the curation files (``kg validate`` of the
project's own release), when those files are still the ones the release was built from.

The release's description records the SHA-256 of every input of its build; the curation is
read again, and each violation traced to the record that made it, only when every recorded
input still has that checksum: a record that has moved or changed since would be named at the
wrong line. The curation is read only for a release that does not conform.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox

from kg.build.units import readings_of
from kg.curation.project import Project, load_shared
from kg.curation.sources import load_source, read_folder
from kg.errors import InputError
from kg.namespaces import BASE, KGO, PROV, RDFS
from kg.rdf.mint import DATASET_GRAPH, names_of
from kg.rdf.origins import Origins, catalogue_origins, description_origins, source_origins
from kg.validation.report import Report
from kg.views import views_of

__all__ = ["recorded_inputs", "trace_release"]


def trace_release(project: Project, release: Path, report: Report) -> Report:
    """``report`` (of ``release``, the project's graph.nq) with each violation traced to the
    curated record that made it, if the project's curation is what the release was built
    from; else (or if the curation can no longer be read) ``report`` as it is."""
    if report.conforms:
        return report
    try:
        origins = curation_origins(project, recorded_inputs(release))
    except (InputError, OSError, SyntaxError, ValueError):
        return report
    return report if origins is None else report.traced(origins)


def recorded_inputs(release: Path) -> dict[str, str]:
    """The inputs of the build that made ``release`` (a graph.nq), as its description records
    them: path -> SHA-256.

    :raises OSError, SyntaxError, ValueError: the file cannot be read or parsed
    """
    store = ox.Store()
    store.load(path=str(release), format=ox.RdfFormat.N_QUADS)
    found: dict[str, str] = {}
    graph = ox.NamedNode(str(DATASET_GRAPH))
    for quad in store.quads_for_pattern(None, ox.NamedNode(str(PROV.used)), None, graph):
        node = quad.object
        if not isinstance(node, ox.NamedNode):
            continue
        label, checksum = (
            next((q.object for q in store.quads_for_pattern(node, prop, None, graph)), None)
            for prop in (ox.NamedNode(str(RDFS.label)), ox.NamedNode(str(KGO.sha256)))
        )
        if isinstance(label, ox.Literal) and isinstance(checksum, ox.Literal):
            found[label.value] = checksum.value
    return found


def curation_origins(project: Project, inputs: dict[str, str]) -> Origins | None:
    """Where each node of the project's release was curated, read from the curation as it is
    now; None unless every input in ``inputs`` (path -> SHA-256) still has its checksum.

    :raises InputError: the curation has a mistake now
    """
    shared = load_shared(project)
    current = {item.path: item.sha256 for item in shared.inputs}
    if any(current.get(path, _checksum(project, path)) != sha for path, sha in inputs.items()):
        return None
    origins = catalogue_origins(shared.catalogue.entities.values())
    origins.add(description_origins(shared.dataset))
    names = names_of(shared.catalogue.entities.values(), shared.ontology.graph)
    readings = readings_of(shared.catalogue, shared.signatures)  # the views the build makes
    for folder in shared.folders:
        source = load_source(
            read_folder(folder, root=project.root),
            prefixes=shared.prefixes,
            ontology=shared.ontology,
            catalogue=shared.catalogue,
            signatures=shared.signatures,
        )
        origins.add(source_origins(source, views_of(source, str(BASE), names, readings)))
    return origins


def _checksum(project: Project, path: str) -> str:
    """The SHA-256 of a file of the project now ("" when it cannot be read)."""
    try:
        return hashlib.sha256((project.root / path).read_bytes()).hexdigest()
    except OSError:
        return ""
