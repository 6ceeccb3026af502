"""The build's units of work: one source, from the bytes of its folder to its checked, built
and validated graph, a pure function of those bytes and of the inputs every source shares.

A unit runs on this process, on N local processes, or on a Dask distributed cluster (through
its ``concurrent.futures`` executor: the folder's bytes and the shared inputs travel with the
tasks, so a worker needs kg installed and nothing of the project). Its result is kept in the
build cache under the hash of all it depends on, so an unchanged source is not read, built or
validated again.

Validation by units: each source is validated with its own graph, the ontology, the prefix
declarations and the catalogue's description of each entity it names (mapping records
included); the shared graphs (ontology, catalogue, dataset description, and the articles the
description names) are validated in parts of bounded size (:mod:`kg.validation.partition`), or
as one more unit when the shapes do not allow the split. The cost of a unit does not grow with
the corpus, so a build is linear in it.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import socket
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pyoxigraph as ox
from curies import Converter
from pyoxigraph import DefaultGraph, Quad, Store
from rdflib import BNode, Graph, Literal
from rdflib.term import Node

from kg.build.cache import EntryCache, Verdict, program_hash, verdict_content, verdict_of
from kg.curation.catalogue import Catalogue, Ontology
from kg.curation.prefixes import PrefixMap
from kg.curation.signatures import Signatures
from kg.curation.sources import Folder, SourceFiles, load_source
from kg.errors import InputError, KGError
from kg.formats.kgx import Ids, source_edges
from kg.formats.nanopubs import Settings, source_nanopubs
from kg.formats.release import JsonNodes, jsonld_nodes, jsonld_nodes_direct
from kg.formats.table import claim_row
from kg.model import Source
from kg.namespaces import BASE, BIOLINK, KGO, RDF, SH
from kg.rdf.lines import (
    closure_of,
    closures,
    graph_lines,
    named_terms,
    nt_bytes,
    nt_lines,
    subjects_typed,
    terms_of,
)
from kg.rdf.mint import (
    CATALOGUE_GRAPH,
    DATASET_GRAPH,
    ONTOLOGY_GRAPH,
    check_iris,
    source_triples,
)
from kg.rdf.origins import catalogue_origins, source_origins
from kg.runtime.offline import offline
from kg.runtime.processes import die_with_parent
from kg.runtime.progress import Progress
from kg.sparql.query import load_store
from kg.validation.catalogue import Fast, Split, conforms, split_catalogue
from kg.validation.partition import shared_parts
from kg.validation.report import Report, ReportRow, merge_rows, trace
from kg.validation.shacl import check_unit, load_shapes, parse_shapes, read_shapes, validate
from kg.views import ClaimView, Readings, views_of

__all__ = [
    "Graphs",
    "SourceContext",
    "SourceResult",
    "build_sources",
    "context_lines",
    "dask_executor",
    "graphs_of_release",
    "report_graphs",
    "scheduler_hosts",
    "shared_units",
    "source_unit",
    "split_of",
    "validate_files",
    "validate_graphs",
    "validation_units",
]

Shapes = tuple[tuple[str, bytes], ...]
Graphs = dict[str, list[str]]  # graph IRI -> canonical lines (see kg.rdf.lines)
Unit = tuple[bytes, bytes, Fast | None]  # a validation unit, its base, how it is checked first
_SHARED = (str(ONTOLOGY_GRAPH), str(CATALOGUE_GRAPH), str(DATASET_GRAPH))


@dataclass(frozen=True)
class SourceContext:
    """What every source's unit shares: the inputs to check and build it with, the lines its
    validation unit adds to its graph, the shapes, and the release's JSON-LD context."""

    prefixes: PrefixMap
    ontology: Ontology
    catalogue: Catalogue
    names: Mapping[Node, str]
    context_lines: tuple[str, ...]  # the ontology and the prefix declarations
    closures: Mapping[str, Sequence[str]]  # the catalogue's lines about each entity
    shapes: Shapes
    split: Split | None  # the shapes checked once on the catalogue, not in each unit
    jsonld_context: Mapping[str, Any]
    converter: Converter
    digest: str  # of the shared inputs and the program: part of every unit's cache key
    readings: Readings  # how qualifiers read, and project predicates' Biolink edges
    signatures: Signatures  # what a claim's subject and object must be, in Biolink's classes
    nanopubs: Settings | None = None  # write each claim as a nanopublication
    kgx: Ids | None = None  # write each claim as a KGX edge


@dataclass(frozen=True)
class SourceResult:
    """What one source gave: its graph as canonical lines, the lines of its article (which the
    shared units validate with the dataset description), its JSON-LD nodes, its verdict; or,
    instead, the curation mistake that stopped it."""

    folder: str
    error: tuple[str, int | None, str | None, str] | None = None
    key: str = ""
    article: str = ""
    document: str = ""
    claims: int = 0
    lines: tuple[str, ...] = ()
    article_lines: tuple[str, ...] = ()
    verdict: Verdict = (True, ())
    nodes: JsonNodes | None = None
    nanopubs: dict[str, str] | None = None  # <source>/<claim> -> TriG
    edges: tuple[dict[str, Any], ...] = ()  # KGX edges
    named: tuple[str, ...] = ()  # the IRIs of the KGX nodes the edges name
    rows: tuple[dict[str, str], ...] = ()  # the claims table's rows
    claim_iris: tuple[str, ...] = ()  # its claims, as N-Triples terms
    links: tuple[tuple[str, str, str], ...] = ()  # its links from a claim to a claim

    def raise_error(self) -> None:
        """:raises InputError: the mistake this source was stopped by, if any"""
        if self.error is not None:
            raise InputError(*self.error)

    def content(self) -> dict[str, Any]:
        """As JSON, for the cache."""
        return {
            "folder": self.folder,
            "error": list(self.error) if self.error else None,
            "key": self.key,
            "article": self.article,
            "document": self.document,
            "claims": self.claims,
            # one string each (a line holds no newline: N-Triples escapes it): JSON reads one
            # long string several times faster than as many short ones
            "lines": "\n".join(self.lines),
            "article_lines": "\n".join(self.article_lines),
            "verdict": verdict_content(self.verdict),
            "nodes": self.nodes,
            "nanopubs": self.nanopubs,
            "edges": list(self.edges),
            "named": list(self.named),
            "rows": list(self.rows),
            "claim_iris": list(self.claim_iris),
            "links": [list(link) for link in self.links],
        }

    @classmethod
    def of(cls, content: Any) -> SourceResult:
        """Read back from the cache's JSON.

        :raises ValueError, KeyError, TypeError: not a source's result
        """
        error = content["error"]
        nodes = content["nodes"]
        nanopubs = content["nanopubs"]
        return cls(
            folder=str(content["folder"]),
            error=(str(error[0]), error[1], error[2], str(error[3])) if error else None,
            key=str(content["key"]),
            article=str(content["article"]),
            document=str(content["document"]),
            claims=int(content["claims"]),
            lines=_lines_of(content["lines"]),
            article_lines=_lines_of(content["article_lines"]),
            verdict=verdict_of(content["verdict"]),
            nodes={str(k): str(v) for k, v in nodes.items()} if nodes else None,
            nanopubs={str(k): str(v) for k, v in nanopubs.items()} if nanopubs else None,
            edges=tuple(dict(edge) for edge in content["edges"]),
            named=tuple(map(str, content["named"])),
            rows=tuple({str(k): str(v) for k, v in row.items()} for row in content["rows"]),
            claim_iris=tuple(map(str, content["claim_iris"])),
            links=tuple((str(s), str(p), str(o)) for s, p, o in content["links"]),
        )


def _lines_of(text: Any) -> tuple[str, ...]:
    """Lines kept as one string (see :meth:`SourceResult.content`).

    :raises TypeError: not a string
    """
    if not isinstance(text, str):
        raise TypeError("not lines")
    return tuple(text.split("\n")) if text else ()


def source_graph_of(
    context: SourceContext, files: SourceFiles
) -> tuple[Source, list[ClaimView], Graph]:
    """A source's folder read and checked, its claims' views, and its graph, as its unit of
    work makes them.

    :raises InputError: a curation mistake in the folder
    """
    source = load_source(
        files,
        prefixes=context.prefixes,
        ontology=context.ontology,
        catalogue=context.catalogue,
        signatures=context.signatures,
    )
    views = views_of(source, str(BASE), context.names, context.readings)
    return source, views, source_triples(source, views, context.names)


def build_source(context: SourceContext, files: SourceFiles) -> SourceResult:
    """One source's unit of work: read and check its folder, build its graph, validate it."""
    try:
        with offline():
            source, views, graph = source_graph_of(context, files)
            check_iris(graph)
    except InputError as error:
        return SourceResult(files.folder, (error.file, error.line, error.record, error.message))
    lines = nt_lines(graph)
    found = closures(lines)
    articles = subjects_typed(lines, str(BIOLINK.Article))
    unit, fast = source_unit(lines, context.closures, context.split)
    verdict = _validate_unit(context.shapes, unit, nt_bytes(context.context_lines), fast)
    if not verdict[0]:  # only then: where each violation was curated
        origins = source_origins(source, views)
        origins.add(catalogue_origins(context.catalogue.entities.values()))
        verdict = (False, trace(verdict[1], origins))
    edges, named = source_edges(views, context.kgx) if context.kgx else ([], [])
    return SourceResult(
        folder=files.folder,
        key=source.key,
        article=str(source.article.iri),
        document=source.path.rsplit("/", 1)[-1],
        claims=len(source.claims),
        lines=tuple(lines),
        article_lines=tuple(article_closure(articles, found)),
        verdict=verdict,
        nodes=source_nodes(lines, graph, context),
        nanopubs=source_nanopubs(lines, views, context.nanopubs) if context.nanopubs else None,
        edges=tuple(edges),
        named=tuple(named),
        rows=tuple(claim_row(view, context.converter) for view in views),
        claim_iris=tuple(subjects_typed(lines, str(KGO.Claim))),
        links=_links(lines, context.catalogue),
    )


def source_nodes(lines: Sequence[str], graph: Graph, context: SourceContext) -> JsonNodes:
    """The JSON-LD nodes of a source's graph (its ``lines``), made from its lines where the
    direct conversion knows every term (:func:`~kg.formats.release.jsonld_nodes_direct`),
    else by rdflib's, from the ``graph`` the source's unit built."""
    nodes = jsonld_nodes_direct(lines, context.jsonld_context, context.converter)
    if nodes is None:
        nodes = jsonld_nodes(graph, context.jsonld_context, context.converter)
    return nodes


def _links(lines: Iterable[str], catalogue: Catalogue) -> tuple[tuple[str, str, str], ...]:
    """The source's links from a claim to another (the catalogue's qualifiers of kind
    ``claim``: kgo:conflictsWith, kgo:similarTo...), as (subject, predicate, target) terms:
    the build checks, where every source is known, that each target is a claim of the
    release."""
    links = {f"<{q.property}>" for q in catalogue.qualifiers.values() if q.kind == "claim"}
    found = (terms_of(line) for line in lines)
    return tuple(terms for terms in found if terms[1] in links)


def article_closure(articles: Sequence[str], found: Mapping[str, Sequence[str]]) -> list[str]:
    """The lines of ``articles`` (terms) and of the nodes of the source they lead to
    (``found``: the source's lines by subject, :func:`kg.rdf.lines.closures`): what the shared
    units validate an article with."""
    return closure_of(_reached(articles, found), found)


def _reached(start: Sequence[str], found: Mapping[str, Sequence[str]]) -> list[str]:
    """``start`` and the nodes of the source its lines lead to (an article's authors and their
    affiliations, the headings it labels): what the shared units validate the article with."""
    reached = list(dict.fromkeys(start))
    for subject in reached:
        for line in found.get(subject, ()):
            obj = terms_of(line)[2]
            if obj.startswith("<") and obj in found and obj not in reached:
                reached.append(obj)
    return reached


def readings_of(catalogue: Catalogue, signatures: Signatures) -> Readings:
    """How each qualifier of the catalogue reads in a claim's reading, and the Biolink
    predicate of each claim predicate of the project's own (its one Biolink superproperty, as
    checked in :func:`kg.curation.signatures.signatures_of`)."""
    edges = {p: edge for p, edge in signatures.edges.items() if p != edge}
    return Readings({q.property: (q.name, q.reading) for q in catalogue.qualifiers.values()}, edges)


def source_unit(
    lines: Sequence[str], catalogue: Mapping[str, Sequence[str]], split: Split | None
) -> tuple[bytes, Fast | None]:
    """The validation unit of one source's lines, with the catalogue's lines about each entity
    the source names (``catalogue``: its lines by subject), validated on the context's lines
    (:func:`context_lines`), which every source's unit shares; and how it is checked first
    (:meth:`kg.validation.catalogue.Split.shapes_for`). ``kg build`` and ``kg validate`` both
    make a source's unit here."""
    closure = closure_of(named_terms(lines), catalogue)
    return nt_bytes(lines, closure), split.shapes_for(lines, closure) if split else None


def context_lines(ontology: Iterable[str], description: Sequence[str]) -> tuple[str, ...]:
    """The lines every source's unit is validated on: the ontology's, and the prefix
    declarations of the dataset description (the shapes check IRIs against them)."""
    declared = set(subjects_typed(description, str(SH.PrefixDeclaration)))
    return (*ontology, *(line for line in description if line.split(" ", 1)[0] in declared))


def shared_units(
    shapes: Shapes, graphs: Mapping[str, Sequence[str]], articles: Mapping[str, Sequence[str]]
) -> Iterable[tuple[bytes, bytes]]:
    """The validation units of the shared graphs, with the articles the description names
    (``articles``: each article's lines, by its IRI as a term, ``<…>``), each as (unit, the base
    it is validated on): parts of bounded size when the shapes allow it, each made when it is
    taken (:func:`kg.validation.partition.shared_parts`), else one unit."""
    ontology, catalogue, description = (graphs.get(name, ()) for name in _SHARED)
    parts = shared_parts(ontology, catalogue, description, articles, parse_shapes(shapes))
    if parts is not None:
        return parts
    return [(nt_bytes(ontology, catalogue, description, *articles.values()), b"")]


def build_sources(
    context: SourceContext,
    folders: Sequence[Folder],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    cache: Path | None = None,
    take: Callable[[int, SourceResult], SourceResult] | None = None,
) -> list[SourceResult]:
    """Every source's unit of work, in the order of ``folders``: from the cache when it holds
    the unit, else on this process, on ``jobs`` processes or on the Dask cluster at
    ``scheduler``; progress is shown on a terminal. ``take`` is given each result (with the
    index of its folder) as soon as it is there, and what it returns is kept instead: a
    build hands the release's parts on to disk and keeps what is small, so that no more than
    a few units are ever held at once."""
    entries = EntryCache(cache, "sources", codec="marshal")  # read by every edit
    keys = [_unit_key(context, folder.digest) for folder in folders]
    results: list[SourceResult | None] = [None] * len(folders)
    progress = Progress(len(folders), "sources built")
    todo = []
    for index, result in enumerate(_read_ahead(entries, keys)):
        if result is None:
            todo.append(index)
            continue
        results[index] = take(index, result) if take is not None else result
        progress.step(1)
    chunks = (  # each chunk's folders read when it is sent, not all at once
        [folders[index].read() for index in indices]
        for indices in _chunks(todo, jobs if scheduler is None else 8)
    )
    done = iter(todo)
    for chunk in _map(_build_chunk, context, chunks, jobs, scheduler):
        for result in chunk:
            index = next(done)
            entries.put(keys[index], result.content())
            results[index] = take(index, result) if take is not None else result
        progress.step(len(chunk))
    progress.done()
    return [result for result in results if result is not None]


def _read_ahead(entries: EntryCache, keys: Sequence[str]) -> Iterator[SourceResult | None]:
    """The cached results of ``keys`` in order, read on two threads (one reads a file and
    checks its HMAC, both of which let go of the GIL, while the other parses JSON), a few
    ahead of the caller and no more."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending: deque[Future[SourceResult | None]] = deque()
        for key in keys:
            pending.append(pool.submit(_cached, entries, key))
            if len(pending) > 8:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _build_chunk(context: SourceContext, chunk: Sequence[SourceFiles]) -> list[SourceResult]:
    return [build_source(context, files) for files in chunk]


def _unit_key(context: SourceContext, digest: bytes) -> str:
    return hashlib.sha256(context.digest.encode() + digest).hexdigest()


def _cached(entries: EntryCache, key: str) -> SourceResult | None:
    content = entries.get(key)
    if content is None:
        return None
    try:
        return SourceResult.of(content)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def context_digest(shared_inputs: Iterable[tuple[str, str]], shapes: Shapes) -> str:
    """The hash of what a source's unit depends on besides its folder: the shared inputs
    (path in the project and checksum), the shapes' text and the program. Not where the
    project is: the shapes' file names (absolute when the project is named so) are left out,
    so that ``kg --project /abs/path build`` and ``kg build`` in that folder share the cache,
    and so does a project moved elsewhere."""
    digest = hashlib.sha256(program_hash().encode())
    for path, checksum in shared_inputs:
        digest.update(f"{path}\0{checksum}\n".encode())
    for _, data in shapes:
        digest.update(f"{len(data)}\0".encode() + data)
    return digest.hexdigest()


def graphs_of_release(store: ox.Store) -> Graphs | None:
    """The graphs of a release read back from its named graphs (graph.nq): the ontology (and
    any triple of the default graph, such as the project's ontology added to a file), the
    catalogue, the description, one graph per source. None when the data lacks the catalogue
    or description graph: it is then no release to split."""
    names = {name.value for name in store.named_graphs() if isinstance(name, ox.NamedNode)}
    if not {str(CATALOGUE_GRAPH), str(DATASET_GRAPH)} <= names:
        return None
    graphs = {name: graph_lines(store, ox.NamedNode(name)) for name in sorted(names)}
    default = graph_lines(store, ox.DefaultGraph())
    graphs[str(ONTOLOGY_GRAPH)] = sorted({*graphs.get(str(ONTOLOGY_GRAPH), []), *default})
    return graphs


def validation_units(shapes: Shapes, graphs: Mapping[str, Sequence[str]]) -> list[Unit]:
    """The validation units of a release's graphs, each as (unit, the base it is validated
    on, how it is checked first): the shared ones (:func:`shared_units`), then one per source
    (with the catalogue's shapes left to one check, :mod:`kg.validation.catalogue`)."""
    catalogue = closures(graphs.get(str(CATALOGUE_GRAPH), ()))
    context = context_lines(graphs.get(str(ONTOLOGY_GRAPH), ()), graphs.get(str(DATASET_GRAPH), ()))
    sources = [lines for name, lines in graphs.items() if name not in _SHARED]
    articles: dict[str, list[str]] = {}
    for lines in sources:
        found = closures(lines)
        for article in subjects_typed(lines, str(BIOLINK.Article)):
            articles.setdefault(article, []).extend(article_closure([article], found))
    base = nt_bytes(context)
    split = split_of(shapes, context, graphs.get(str(CATALOGUE_GRAPH), ()))
    units: list[Unit] = [(u, b, None) for u, b in shared_units(shapes, graphs, articles)]
    for lines in sources:
        unit, fast = source_unit(lines, catalogue, split)
        units.append((unit, base, fast))
    return units


def split_of(
    shapes: Shapes, base: Sequence[str], catalogue: Sequence[str], cache: Path | None = None
) -> Split | None:
    """:func:`kg.validation.catalogue.split_catalogue`, made once a process for the same
    shapes, base and catalogue (``kg build`` once a build; ``kg validate`` and the API
    validate release after release), its check of the catalogue kept in ``cache`` (an
    :class:`~kg.build.cache.EntryCache` of the build's) for the next build."""
    digest = hashlib.sha256()
    for _, data in shapes:
        digest.update(hashlib.sha256(data).digest())
    for part in (base, catalogue):
        digest.update(hashlib.sha256("\n".join(part).encode()).digest())
    key = digest.hexdigest()
    if key not in _SPLITS:
        if len(_SPLITS) >= 8:
            _SPLITS.clear()
        judge = partial(_judged, _ProgramMemo(EntryCache(cache, "catalogue-checks")), key)
        memo = _ProgramMemo(EntryCache(cache, "query-reads"))
        _SPLITS[key] = split_catalogue(
            parse_shapes(shapes), base, catalogue, judge=judge, memo=memo
        )
    return _SPLITS[key]


@dataclass(frozen=True)
class _ProgramMemo:
    """``entries`` under keys that also hold the program's hash: what is kept there (the
    catalogue's check, what a shape's query reads) is kg's own finding, which another version
    of kg may find otherwise."""

    entries: EntryCache

    def get(self, key: str) -> Any:
        return self.entries.get(self._key(key))

    def put(self, key: str, content: object) -> None:
        self.entries.put(self._key(key), content)

    @staticmethod
    def _key(key: str) -> str:
        return hashlib.sha256(f"{program_hash()}\0{key}".encode()).hexdigest()


def _judged(entries: _ProgramMemo, inputs: str, shapes: bytes, data: bytes) -> bool:
    """:func:`kg.validation.catalogue.conforms`, from ``entries`` when they hold it, else
    found now and kept there: under the hash of the ``inputs`` (the shapes' files, the base
    and the catalogue) that the shapes and the data are made from (the shapes' blank nodes
    are named anew at each parse)."""
    found = entries.get(inputs)
    if isinstance(found, dict) and isinstance(found.get("conforms"), bool):
        return bool(found["conforms"])
    verdict = conforms(shapes, data)
    entries.put(inputs, {"conforms": verdict})
    return verdict


_SPLITS: dict[str, Split | None] = {}


def validate_graphs(
    graphs: Mapping[str, Sequence[str]], shape_files: Sequence[Path], *, jobs: int = 1
) -> Report:
    """Validate a release's graphs unit by unit, as ``kg build`` does; the verdict and rows."""
    shapes = read_shapes(shape_files)
    units = validation_units(shapes, graphs)
    verdicts = [
        v
        for chunk in _map(_validate_chunk, shapes, _chunks(units, jobs), jobs, None)
        for v in chunk
    ]
    return merge_verdicts(verdicts)


def report_graphs(
    graphs: Mapping[str, Sequence[str]], shape_files: Sequence[Path], *, jobs: int = 1
) -> Report:
    """Validate a release's graphs unit by unit (``kg validate``), keeping the SHACL report of
    every unit that does not conform, merged into one report."""
    shapes = read_shapes(shape_files)
    units = validation_units(shapes, graphs)
    graph = Graph()
    verdicts: list[Verdict] = []
    progress = Progress(len(units), "parts validated")
    for chunk in _map(_report_chunk, shapes, _chunks(units, jobs), jobs, None):
        for sound, rows, report in chunk:
            if report:
                graph.parse(data=report, format="nt")
            verdicts.append((sound, rows))
        progress.step(len(chunk))
    progress.done()
    merged = merge_verdicts(verdicts)
    return Report(merged.conforms, merged.rows, _one_report(graph, merged.conforms))


def merge_verdicts(verdicts: Iterable[Verdict]) -> Report:
    """One report from the verdicts of several units."""
    found = list(verdicts)
    rows = merge_rows(row for _, unit_rows in found for row in unit_rows)
    return Report(all(conforms for conforms, _ in found), rows, Graph())


def _one_report(graph: Graph, conforms: bool) -> Graph:
    """The units' SHACL reports as one sh:ValidationReport with every result."""
    report = BNode()
    for node in list(graph.subjects(RDF.type, SH.ValidationReport)):
        for result in list(graph.objects(node, SH.result)):
            graph.add((report, SH.result, result))
        graph.remove((node, None, None))
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(conforms)))
    return graph


T = TypeVar("T")
C = TypeVar("C")
R = TypeVar("R")


def _chunks(items: Sequence[T], workers: int) -> list[list[T]]:
    """Items in chunks: several per task (the shared context travels once a chunk), small
    enough that the workers stay busy and the progress moves."""
    size = max(1, min(32, len(items) // (4 * max(workers, 1))))
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def _map(
    function: Callable[[C, list[T]], R],
    context: C,
    chunks: Iterable[list[T]],
    jobs: int,
    scheduler: str | None,
) -> Iterator[R]:
    """``function(context, chunk)`` for every chunk, in order, as the results come: here, on
    ``jobs`` local processes, or on the Dask cluster at ``scheduler``. A few chunks per worker
    are sent ahead, no more: the chunks are made as they are sent (a source's folder is read
    then), and the results wait to be taken in order (:func:`_window`)."""
    items = iter(chunks)
    started = list(itertools.islice(items, 2))  # one chunk alone runs here: no process to start
    chunks = itertools.chain(started, items)
    if not started:
        return
    if scheduler is not None:
        with dask_executor(scheduler) as executor:
            yield from _window(executor, function, context, chunks, 64)
    elif jobs <= 1 or len(started) == 1:
        yield from (function(context, chunk) for chunk in chunks)
    else:
        # spawn, not fork: a process that has run rudof holds its threads' locks, which a forked
        # child would inherit held (and wait on for ever); not forkserver either: its workers
        # are the server's children, and outlive a kg that is killed. Spawned workers are kg's
        # own, and die with it (PR_SET_PDEATHSIG).
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=spawn,
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        ) as executor:
            yield from _window(executor, function, context, chunks, 4 * jobs)


def _window(
    executor: Executor,
    function: Callable[[C, list[T]], R],
    context: C,
    chunks: Iterator[list[T]],
    ahead: int,
) -> Iterator[R]:
    """The results of ``function`` on the chunks, in order, with at most ``ahead`` of them
    sent and not yet taken."""
    pending: deque[Future[R]] = deque()
    for chunk in chunks:
        pending.append(executor.submit(function, context, chunk))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def scheduler_hosts(address: str | None) -> frozenset[str]:
    """The host of a Dask scheduler address, and the addresses it resolves to: the one place
    an offline build may connect to (the user named it).

    >>> sorted(scheduler_hosts("tcp://127.0.0.1:8786"))
    ['127.0.0.1']
    """
    if not address:
        return frozenset()
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    try:
        resolved = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        resolved = set()
    return frozenset({host, *resolved})


def _check_reachable(address: str) -> None:
    """Refuse at once a scheduler address nothing listens on (Dask's client would retry for
    its whole timeout before saying so).

    :raises KGError: the host and port refuse a connection, or cannot be resolved
    """
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.hostname is None or parts.port is None:
        return  # not host:port (another Dask transport): let Dask judge it
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=10):
            pass
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise KGError(f"cannot reach the Dask scheduler at {address}: {reason}") from error


@contextmanager
def dask_executor(address: str) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor on the Dask distributed cluster at ``address``.

    :raises KGError: Dask is not installed, or the scheduler cannot be reached
    """
    try:
        from distributed import Client
    except ImportError as error:
        raise KGError("--scheduler needs Dask: pip install 'drugclaims-kg[dask]'") from error
    _check_reachable(address)
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as error:
        raise KGError(f"cannot reach the Dask scheduler at {address}: {error}") from error
    try:
        yield client.get_executor()
    finally:
        client.close()


def validate_shared(
    shapes: Shapes,
    graphs: Mapping[str, Sequence[str]],
    articles: Mapping[str, Sequence[str]],
    cache: Path | None,
) -> Verdict:
    """The verdict on the shared units (:func:`shared_units`), each from the cache when it
    holds it: a build that changed one source validates again only the part that holds it."""
    entries = EntryCache(cache, "verdicts")
    digest = context_digest((), shapes)
    verdicts = []
    for unit, base in shared_units(shapes, graphs, articles):
        unit_hash = hashlib.sha256(hashlib.sha256(base).digest() + unit).hexdigest()
        key = hashlib.sha256((digest + unit_hash).encode()).hexdigest()
        found = _cached_verdict(entries, key)
        verdicts.append(found or _validated(entries, key, shapes, unit, base))
    merged = merge_verdicts(verdicts)
    return merged.conforms, merged.rows


def _cached_verdict(entries: EntryCache, key: str) -> Verdict | None:
    content = entries.get(key)
    if content is None:
        return None
    try:
        return verdict_of(content)
    except (ValueError, KeyError, TypeError):
        return None


def _validated(entries: EntryCache, key: str, shapes: Shapes, unit: bytes, base: bytes) -> Verdict:
    verdict = _validate_unit(shapes, unit, base)
    entries.put(key, verdict_content(verdict))
    return verdict


def _validate_unit(
    shapes: Shapes, unit: bytes, base: bytes = b"", fast: Fast | None = None
) -> Verdict:
    report = check_unit(shapes, unit, base, fast)
    return report.conforms, report.rows


def _validate_chunk(shapes: Shapes, units: list[Unit]) -> list[Verdict]:
    return [_validate_unit(shapes, unit, base, fast) for unit, base, fast in units]


def _report_chunk(
    shapes: Shapes, units: list[Unit]
) -> list[tuple[bool, tuple[ReportRow, ...], bytes]]:
    """Each unit's verdict, rows, and (when it does not conform) SHACL report as N-Triples."""
    found = []
    for unit, base, fast in units:
        report = check_unit(shapes, unit, base, fast)
        data = b"" if report.conforms else report.graph.serialize(format="nt", encoding="utf-8")
        found.append((report.conforms, report.rows, data))
    return found


def validate_files(
    files: Iterable[Path], shape_files: Iterable[Path], ontology_file: Path, *, jobs: int = 1
) -> Report:
    """Validate RDF files (any release format) with the shapes, with the ontology added (the
    shapes check claim predicates and statuses against it).

    A release's N-Quads (with its catalogue, description and per-source graphs) is validated
    part by part, as ``kg build`` validates it, on ``jobs`` processes: each source on its own,
    so the cost grows linearly with the release. Any other data is validated as one graph.
    """
    with offline():
        loaded = load_store([*files, ontology_file])
        graphs = graphs_of_release(loaded)
        if graphs is not None:
            del loaded
            return report_graphs(graphs, list(shape_files), jobs=jobs)
        union = Store()
        union.extend(Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in loaded)
        return validate(union, load_shapes(shape_files))
