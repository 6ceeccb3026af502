"""Validation units: each part of a release with exactly what its shapes need, as N-Triples,
validated on this process or on N local processes.

One unit holds the shared graphs (ontology, catalogue, dataset description, and the articles the
description names); each source gives one more unit: its own graph, the ontology, the prefix
declarations and the catalogue's description of each entity it names (mapping records
included). The cost of a unit does not grow with the corpus, so a build is linear in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

from pyoxigraph import RdfFormat, Store
from rdflib import Graph
from rdflib.term import Node

from kg.graph import Parts
from kg.namespaces import BIOLINK, OWL, RDF, SH
from kg.offline import offline
from kg.validation import Report, ReportRow, load_shapes, validate

__all__ = ["unit_texts", "validate_parts", "validate_units"]

Triple = tuple[Node, Node, Node]
_SHAPES: dict[tuple[str, ...], Graph] = {}


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
    units = [shared]
    for graph in parts.sources.values():
        named = set(graph.subjects()) | set(graph.objects())
        units.append(
            b"".join([_nt(graph), context, *(closures[n] for n in named if n in closures)])
        )
    return units


def validate_parts(parts: Parts, shape_files: Sequence[Path], *, jobs: int = 1) -> Report:
    """Validate a release part by part (see the module's description); the report is the
    union of the units' reports. A source is judged on its own graph, as built, before triples
    two sources share are kept in one graph only."""
    return validate_units(unit_texts(parts), shape_files, jobs=jobs)


def validate_units(units: Sequence[bytes], shape_files: Sequence[Path], *, jobs: int = 1) -> Report:
    """Validate each unit with the shapes, on ``jobs`` local processes (1: this one)."""
    files = tuple(str(path) for path in shape_files)
    if jobs <= 1 or len(units) <= 1:
        outcomes = [_validate_unit(files, unit) for unit in units]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as executor:
            outcomes = list(_map(executor, files, units))
    conforms = all(outcome[0] for outcome in outcomes)
    rows = tuple(sorted({row for outcome in outcomes for row in outcome[1]}))
    return Report(conforms, rows, Graph())


def _map(
    executor: Executor, files: tuple[str, ...], units: Sequence[bytes]
) -> Iterable[tuple[bool, tuple[ReportRow, ...]]]:
    chunk = max(1, len(units) // 64)
    return executor.map(_validate_unit, [files] * len(units), units, chunksize=chunk)


def _validate_unit(files: tuple[str, ...], unit: bytes) -> tuple[bool, tuple[ReportRow, ...]]:
    """One unit's verdict and rows (the shapes are parsed once per process)."""
    with offline():
        shapes = _SHAPES.get(files)
        if shapes is None:
            shapes = _SHAPES[files] = load_shapes(Path(f) for f in files)
        store = Store()
        store.load(unit, format=RdfFormat.N_TRIPLES)
        report = validate(store, shapes)
    return report.conforms, report.rows


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
