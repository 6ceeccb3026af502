"""The build, end to end: load and check the inputs, build the graph, validate it, write it.

Nothing is written unless the graph conforms to the shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import RdfFormat, Store

from kg.converter import build_converter
from kg.errors import NotConformingError
from kg.graph import assemble, build_parts
from kg.mappings import load_mapping_set, sssom_tsv
from kg.offline import offline
from kg.project import Project, load_corpus
from kg.publish import check_target, write_release
from kg.release import RELEASE_FILES, serialize_release
from kg.units import scheduler_hosts, validate_parts
from kg.validation import Report

__all__ = ["SSSOM_FILE", "BuildResult", "build_release"]

#: The release's SSSOM mapping set.
SSSOM_FILE = "mappings.sssom.tsv"


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote, for the user."""

    out: Path
    triples: int
    claims: int
    files: tuple[str, ...]
    report: Report


def build_release(
    project: Project,
    out: Path | None = None,
    *,
    force: bool = False,
    jobs: int = 1,
    scheduler: str | None = None,
    cache: Path | None = None,
) -> BuildResult:
    """Build, validate and write the release of ``project`` into ``out`` (default: dist/),
    swapped in whole (see :mod:`kg.publish`); the sources are validated on ``jobs`` processes,
    or on the Dask cluster at ``scheduler``; ``cache``: a folder of verdicts on units validated
    before, which are not validated again.

    :raises InputError: a curation mistake (nothing is written)
    :raises NotConformingError: the graph does not conform to the shapes (nothing is written)
    :raises OutputError: ``out`` is not a folder a release may replace (checked first)
    """
    target = out if out is not None else project.dist
    check_target(target, RELEASE_FILES, force=force)
    with offline(allow=scheduler_hosts(scheduler)):
        corpus = load_corpus(project)
        parts = build_parts(corpus)
        report = validate_parts(
            parts, project.shape_files, jobs=jobs, scheduler=scheduler, cache=cache
        )
        if not report.conforms:
            raise NotConformingError(report.text())
        dataset = assemble(parts)
        del parts  # the release holds every triple now: one copy of the corpus at a time
        files = serialize_release(dataset, build_converter(corpus.prefixes))
        del dataset
        store = Store()
        store.load(files["graph.nt"], format=RdfFormat.N_TRIPLES)
        files[SSSOM_FILE] = sssom_tsv(load_mapping_set(store))
    write_release(files, target, force=force)
    claims = sum(len(source.claims) for source in corpus.sources)
    triples = files["graph.nt"].count(b"\n")
    return BuildResult(target, triples, claims, tuple(sorted(files)), report)
