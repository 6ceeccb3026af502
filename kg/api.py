"""The Python API: what a user of kg from a notebook or a pipeline needs, in a few functions.

Open a project and build its release, validate RDF files or a release, query a release with
SPARQL (rows back), read its claims as typed objects, and see what changed between two
releases. The ``kg`` command line is a client of the same functions; every error is a
:class:`kg.errors.KGError` (an :class:`~kg.errors.InputError` names the file, the line and the
record).

>>> import tempfile, kg
>>> from pathlib import Path
>>> project = kg.open_project(Path(kg.__file__).parents[1])  # the folder with dataset.yaml
>>> release = kg.build_release(project, out=tempfile.mkdtemp() + "/release")
>>> release.report.conforms, release.claims == len(list(kg.claims(release.out)))
(True, True)
>>> negated = [c for c in kg.claims(release.out) if c.negated]
>>> any(c.states_triple for c in negated)
False
>>> rows = kg.query(
...     "SELECT (COUNT(?claim) AS ?n) WHERE { ?claim kgo:epistemicStatus kgo:Hypothesis }",
...     release=release.out,
... )
>>> int(rows[0]["n"]) == sum(c.status == "hypothesis" for c in kg.claims(release.out))
True
>>> kg.validate(release.out).conforms
True
>>> kg.diff(release.out, release.out).release
'none'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.build import pipeline
from kg.build.pipeline import BuildResult
from kg.build.units import validate_files
from kg.curation.converter import declared_converter
from kg.curation.project import Project
from kg.errors import InputError, QueryError
from kg.formats.diff import ReleaseDiff, diff_releases
from kg.formats.table import CLAIMS_FILE
from kg.sparql.query import load_store, run_query
from kg.validation.report import Report

__all__ = [
    "BuildResult",
    "Project",
    "ReleaseClaim",
    "ReleaseDiff",
    "Report",
    "build_release",
    "claims",
    "diff",
    "open_project",
    "query",
    "validate",
]

StrPath = str | PathLike[str]


def open_project(root: StrPath = ".") -> Project:
    """The project whose ``dataset.yaml`` is in ``root``.

    :raises InputError: ``root`` is not a project
    """
    project = Project(Path(root))
    project.check()
    return project


def build_release(
    project: Project | StrPath = ".",
    out: StrPath | None = None,
    *,
    force: bool = False,
    jobs: int = 1,
    scheduler: str | None = None,
    cache: StrPath | None = None,
    sign_key: StrPath | None = None,
) -> BuildResult:
    """Build, validate and write the release of ``project`` (a :class:`Project` or its folder)
    into ``out`` (default: its ``dist/``), as ``kg build`` does: on ``jobs`` local processes or
    the Dask cluster at ``scheduler``; ``cache``: a folder that keeps what each source gave
    (default: none); ``sign_key``: an RSA key to sign the nanopublications with. While it
    runs, Python's cyclic garbage collector runs less often (its thresholds are raised, and
    given back after: :func:`kg.runtime.processes.collecting_less`).

    :raises InputError: a curation mistake (nothing is written)
    :raises NotConformingError: the graph does not conform to the shapes (nothing is written)
    """
    found = project if isinstance(project, Project) else open_project(project)
    return pipeline.build_release(
        found,
        Path(out) if out is not None else None,
        force=force,
        jobs=jobs,
        scheduler=scheduler,
        cache=Path(cache) if cache is not None else None,
        sign_key=Path(sign_key) if sign_key is not None else None,
    )


def validate(*data: StrPath, project: Project | StrPath = ".", jobs: int = 1) -> Report:
    """Validate RDF files, or a release folder (its ``graph.nq``, source by source, as the build
    does), against the shapes and ontology of ``project``; ``report.conforms``,
    ``report.rows``, ``report.text()``.

    :raises InputError: a file is missing or not RDF
    """
    found = project if isinstance(project, Project) else open_project(project)
    files = [_release_graph(Path(p)) if Path(p).is_dir() else Path(p) for p in data]
    for path in files:
        if not path.is_file():
            raise InputError(str(path), None, None, "no such file or release folder")
    return validate_files(files, found.shape_files, found.ontology_file, jobs=jobs)


def query(
    sparql: str,
    *,
    release: StrPath | None = None,
    data: Sequence[StrPath] = (),
    allow_service: bool = False,
) -> list[dict[str, str | None]] | bool:
    """A SPARQL SELECT's rows (variable -> the value's text: an IRI, or a literal's lexical
    form; None when unbound), or an ASK's answer, over a release folder or RDF files. The
    release's prefixes are predeclared (``kgo:``, ``biolink:`` ...); SERVICE is refused unless
    ``allow_service``.

    :raises QueryError: a syntax error, an update, SERVICE, or a CONSTRUCT/DESCRIBE (use
        ``kg query`` for RDF)
    :raises InputError: a missing or unreadable file
    """
    files = [Path(p) for p in data] or [_release_graph(Path(release or "dist"))]
    store = load_store(files)
    prefixes = declared_converter(store).prefix_map
    result: Any = run_query(store, sparql, allow_service=allow_service, prefixes=prefixes)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError("kg.query answers SELECT and ASK; a CONSTRUCT needs kg query")
    names = [variable.value for variable in result.variables]
    return [
        {name: (None if row[name] is None else row[name].value) for name in names} for row in result
    ]


@dataclass(frozen=True)
class ReleaseClaim:
    """One claim of a release, as its claims table gives it, typed."""

    iri: str
    source: str
    key: str
    label: str
    reading: str
    subject: str
    subject_label: str
    predicate: str
    object: str
    object_label: str
    status: str
    negated: bool
    knowledge_level: str
    states_triple: bool
    edge_predicate: str
    qualifiers: Mapping[str, tuple[str, ...]]
    quote: str
    start: int
    end: int
    pmid: str | None
    doi: str | None


def claims(release: StrPath = "dist") -> Iterator[ReleaseClaim]:
    """The claims of a release folder, one :class:`ReleaseClaim` each, from its
    ``claims.csv`` (read at once: a missing table is an error here, not at the first claim).

    :raises InputError: the folder has no claims table
    """
    path = Path(release) / CLAIMS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(str(path), None, None, f"no claims table: {error.strerror}") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    names = list(reader.fieldnames or [])
    qualifiers = names[names.index("edge_knowledge_level") + 1 : names.index("quote")]
    return iter([_claim(row, qualifiers) for row in reader])


def diff(old: StrPath, new: StrPath) -> ReleaseDiff:
    """What changed from the release folder ``old`` to ``new`` (see :mod:`kg.formats.diff`)."""
    return diff_releases(Path(old), Path(new))


def _claim(row: Mapping[str, str], qualifiers: Sequence[str]) -> ReleaseClaim:
    return ReleaseClaim(
        iri=row["claim"],
        source=row["source"],
        key=row["key"],
        label=row["label"],
        reading=row["reading"],
        subject=row["subject"],
        subject_label=row["subject_label"],
        predicate=row["predicate"],
        object=row["object"],
        object_label=row["object_label"],
        status=row["status"],
        negated=row["negated"] == "true",
        knowledge_level=row["knowledge_level"],
        states_triple=row["states_triple"] == "true",
        edge_predicate=row["edge_predicate"],
        qualifiers={name: tuple(_split(row[name])) for name in qualifiers if row.get(name)},
        quote=row["quote"],
        start=int(row["start"]),
        end=int(row["end"]),
        pmid=row["pmid"] or None,
        doi=row["doi"] or None,
    )


def _split(cell: str) -> list[str]:
    """A table cell's values: split at every ``|`` not escaped, escapes undone."""
    values: list[str] = []
    current, escaped = "", False
    for char in cell:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        elif char == "|":
            values, current = [*values, current], ""
        else:
            current += char
    return [*values, current]


def _release_graph(folder: Path) -> Path:
    path = folder / "graph.nq"
    if not path.is_file():
        raise InputError(str(path), None, None, "no release here: build it first (kg build)")
    return path
