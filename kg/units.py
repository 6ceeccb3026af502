"""Validation units: each part of a release with exactly what its shapes need, as N-Triples,
validated on this process, on N local processes, or on a Dask distributed cluster (through its
``concurrent.futures`` executor: the units and the shapes' text travel with the tasks, so a
worker needs kg installed and nothing of the project).

One unit holds the shared graphs (ontology, catalogue, dataset description, and the articles the
description names); each source gives one more unit: its own graph, the ontology, the prefix
declarations and the catalogue's description of each entity it names (mapping records
included). The cost of a unit does not grow with the corpus, so a build is linear in it.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import pyoxigraph as ox
from pyoxigraph import RdfFormat, Store
from rdflib import BNode, Graph, Literal
from rdflib.term import Node, URIRef

from kg.cache import Verdict, VerdictCache
from kg.errors import KGError
from kg.graph import CATALOGUE_GRAPH, DATASET_GRAPH, ONTOLOGY_GRAPH, Parts
from kg.namespaces import BIOLINK, OWL, RDF, SH
from kg.offline import offline
from kg.progress import Progress
from kg.validation import Report, ReportRow, parse_shapes, validate

__all__ = [
    "dask_executor",
    "parts_of_release",
    "report_parts",
    "scheduler_hosts",
    "unit_texts",
    "validate_parts",
]

Triple = tuple[Node, Node, Node]
_SHAPES: dict[str, Graph] = {}  # parsed shapes by the hash of their text, per process


def unit_texts(parts: Parts) -> list[bytes]:
    """The validation units of a release, as N-Triples: the shared one first, then one per
    source, in the order of ``parts.sources``."""
    closures = {node: _nt(triples) for node, triples in _closures(parts.catalogue).items()}
    context = _nt(parts.ontology) + _nt(_declarations(parts.description))
    articles = []
    for graph in parts.sources.values():
        for article in graph.subjects(RDF.type, BIOLINK.Article):
            articles.append(_nt(_closures(graph).get(article, [])))
    shared = b"".join(
        [_nt(parts.ontology), _nt(parts.catalogue), _nt(parts.description), *articles]
    )
    units = [_canonical(shared)]
    for graph in parts.sources.values():
        named = set(graph.subjects()) | set(graph.objects())
        closure = b"".join(closures[n] for n in named if n in closures)
        units.append(_canonical(_nt(graph) + context + closure))
    return units


def parts_of_release(store: Store) -> Parts | None:
    """The parts of a release read back from its named graphs (graph.nq): the ontology (and
    any triple of the default graph, such as the project's ontology added to a file), the
    catalogue, the description, one graph per source. None when the data lacks the catalogue
    or description graph: it is then no release to split."""
    names = {name.value for name in store.named_graphs() if isinstance(name, ox.NamedNode)}
    if not {str(CATALOGUE_GRAPH), str(DATASET_GRAPH)} <= names:
        return None

    def graph(*names: ox.NamedNode | ox.DefaultGraph) -> Graph:
        result = Graph()
        for name in names:
            quads = store.quads_for_pattern(None, None, None, name)
            data = ox.serialize(
                (ox.Triple(q.subject, q.predicate, q.object) for q in quads),
                format=RdfFormat.N_TRIPLES,
            )
            if data:
                result.parse(data=data, format="nt")
        return result

    shared = (str(ONTOLOGY_GRAPH), str(CATALOGUE_GRAPH), str(DATASET_GRAPH))
    return Parts(
        graph(ox.NamedNode(str(ONTOLOGY_GRAPH)), ox.DefaultGraph()),
        graph(ox.NamedNode(str(CATALOGUE_GRAPH))),
        graph(ox.NamedNode(str(DATASET_GRAPH))),
        {URIRef(name): graph(ox.NamedNode(name)) for name in sorted(names) if name not in shared},
    )


def _canonical(ntriples: bytes) -> bytes:
    """N-Triples as one sorted line a triple, no repeats: the same unit is the same bytes in
    every process (rdflib writes in an order of its own), so that its cache key holds."""
    return b"".join(sorted({line + b"\n" for line in ntriples.splitlines() if line.strip()}))


def validate_parts(
    parts: Parts,
    shape_files: Sequence[Path],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    cache: Path | None = None,
) -> Report:
    """Validate a release part by part (see the module's description), on this process, on
    ``jobs`` local processes, or on the Dask cluster at ``scheduler``; the report is the union
    of the units' reports. A source is judged on its own graph, as built, before triples two
    sources share are kept in one graph only. With a ``cache`` folder, a unit validated before
    (same content, same shapes, same program) is not validated again."""
    shapes = tuple(_read(path) for path in shape_files)
    verdicts = VerdictCache(cache, shapes)
    units = unit_texts(parts)
    known = {unit: verdicts.get(unit) for unit in units}
    todo = [unit for unit, verdict in known.items() if verdict is None]
    progress = Progress(len(units), "sources validated")
    progress.step(len(units) - len(todo))
    outcomes = _map_units(_validate_unit, shapes, todo, jobs, scheduler)
    for unit, verdict in zip(todo, outcomes, strict=True):
        verdicts.put(unit, verdict)
        known[unit] = verdict
        progress.step()
    progress.done()
    return _report(verdict for verdict in known.values() if verdict is not None)


def report_parts(parts: Parts, shape_files: Sequence[Path], *, jobs: int = 1) -> Report:
    """Validate a release part by part, as :func:`validate_parts` does, keeping the SHACL
    report of every unit (for ``kg validate --report``); nothing is cached."""
    shapes = tuple(_read(path) for path in shape_files)
    units = unit_texts(parts)
    graph = Graph()
    verdicts = []
    progress = Progress(len(units), "parts validated")
    for conforms, rows, report in _map_units(_report_unit, shapes, units, jobs, None):
        graph.parse(data=report, format="nt")
        verdicts.append((conforms, rows))
        progress.step()
    progress.done()
    merged = _report(verdicts)
    return Report(merged.conforms, merged.rows, _one_report(graph, merged.conforms))


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


def _map_units(
    function: Callable[[tuple[tuple[str, bytes], ...], bytes], T],
    shapes: tuple[tuple[str, bytes], ...],
    units: list[bytes],
    jobs: int,
    scheduler: str | None,
) -> Iterator[T]:
    """``function(shapes, unit)`` for every unit, in order, as the results come: here, on
    ``jobs`` local processes, or on the Dask cluster at ``scheduler``."""
    if not units:
        return
    if scheduler is not None:
        with dask_executor(scheduler) as executor:
            yield from executor.map(function, [shapes] * len(units), units)
    elif jobs <= 1 or len(units) <= 1:
        yield from (function(shapes, unit) for unit in units)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as executor:
            chunk = max(1, min(16, len(units) // (8 * jobs)))
            yield from executor.map(function, [shapes] * len(units), units, chunksize=chunk)


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


@contextmanager
def dask_executor(address: str) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor on the Dask distributed cluster at ``address``.

    :raises KGError: Dask is not installed, or the scheduler cannot be reached
    """
    try:
        from distributed import Client
    except ImportError as error:
        raise KGError("--scheduler needs Dask: pip install 'drugclaims-kg[dask]'") from error
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as error:
        raise KGError(f"cannot reach the Dask scheduler at {address}: {error}") from error
    try:
        yield client.get_executor()
    finally:
        client.close()


def _report(outcomes: Iterable[Verdict]) -> Report:
    verdicts = list(outcomes)
    rows = tuple(sorted({row for _, found in verdicts for row in found}))
    return Report(all(conforms for conforms, _ in verdicts), rows, Graph())


def _validate_unit(shapes: tuple[tuple[str, bytes], ...], unit: bytes) -> Verdict:
    """One unit's verdict and rows (the shapes are parsed once per process)."""
    report = _unit_report(shapes, unit)
    return report.conforms, report.rows


def _report_unit(
    shapes: tuple[tuple[str, bytes], ...], unit: bytes
) -> tuple[bool, tuple[ReportRow, ...], bytes]:
    """One unit's verdict, rows, and SHACL report as N-Triples."""
    report = _unit_report(shapes, unit)
    return report.conforms, report.rows, report.graph.serialize(format="nt", encoding="utf-8")


def _unit_report(shapes: tuple[tuple[str, bytes], ...], unit: bytes) -> Report:
    key = hashlib.sha256(b"".join(data for _, data in shapes)).hexdigest()
    with offline():
        graph = _SHAPES.get(key)
        if graph is None:
            graph = _SHAPES[key] = parse_shapes(shapes)
        store = Store()
        store.load(unit, format=RdfFormat.N_TRIPLES)
        return validate(store, graph)


def _read(path: Path) -> tuple[str, bytes]:
    try:
        return str(path), path.read_bytes()
    except OSError as error:
        raise KGError(f"{path}: cannot read the shapes: {error}") from error


def _nt(triples: Iterable[Triple]) -> bytes:
    if isinstance(triples, Graph):
        return triples.serialize(format="nt", encoding="utf-8")
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph.serialize(format="nt", encoding="utf-8")


def _closures(graph: Graph) -> dict[Node, list[Triple]]:
    """For each subject of a graph: its triples, and those of its mapping records."""
    closures: dict[Node, list[Triple]] = {}
    for s, p, o in graph:
        closures.setdefault(s, []).append((s, p, o))
    for record, entity in graph.subject_objects(OWL.annotatedSource):
        closures.setdefault(entity, []).extend(closures.get(record, []))
    return closures


def _declarations(description: Graph) -> list[Triple]:
    return [
        triple
        for node in description.subjects(RDF.type, SH.PrefixDeclaration)
        for triple in description.triples((node, None, None))
    ]
