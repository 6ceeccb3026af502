"""Validating a graph with the SHACL shapes (pyshacl), and reading its report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import DefaultGraph, Quad, RdfFormat, Store
from rdflib import Dataset, Graph, Literal
from rdflib.term import Node

from kg.errors import InputError
from kg.namespaces import BIOLINK, KGO, OA, SH, SHAPES
from kg.offline import offline
from kg.query import load_store

__all__ = [
    "Report",
    "ReportRow",
    "load_shapes",
    "parse_shapes",
    "to_store",
    "union_graph",
    "validate",
    "validate_files",
]


@dataclass(frozen=True, order=True)
class ReportRow:
    """One validation result, as text."""

    severity: str
    shape: str
    focus: str
    path: str
    message: str


@dataclass(frozen=True)
class Report:
    """The outcome of a validation: whether the graph conforms, the rows, the SHACL report."""

    conforms: bool
    rows: tuple[ReportRow, ...]
    graph: Graph

    def text(self) -> str:
        """A readable report: one paragraph a result, sorted, then a one-line verdict."""
        lines = []
        for row in self.rows:
            path = f" (path {row.path})" if row.path else ""
            lines.append(f"{row.severity}: {row.shape} on {row.focus}{path}\n  {row.message}")
        verdict = "Conforms." if self.conforms else f"Does not conform: {len(self.rows)} results."
        return "\n".join([*lines, verdict]) + "\n"


def load_shapes(files: Iterable[Path]) -> Graph:
    """Parse the shape files into one graph (with a base, so no relative IRI leaks)."""
    texts = []
    for path in files:
        try:
            texts.append((str(path), path.read_bytes()))
        except OSError as error:
            raise InputError(str(path), None, None, f"cannot read shapes: {error}") from error
    return parse_shapes(texts)


def parse_shapes(texts: Iterable[tuple[str, bytes]]) -> Graph:
    """Parse shape files given as (name, Turtle bytes) into one graph."""
    shapes = Graph()
    for name, data in texts:
        try:
            shapes.parse(data=data, format="turtle", publicID="https://w3id.org/drugclaims/shapes")
        except (SyntaxError, ValueError) as error:
            raise InputError(name, None, None, f"cannot parse shapes: {error}") from error
    return shapes


def union_graph(dataset: Dataset) -> Graph:
    """All the triples of a dataset's graphs in one graph (pyshacl validates graphs one by one)."""
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def to_store(graph: Graph) -> Store:
    """Copy an rdflib graph into an in-memory Oxigraph store (through N-Triples)."""
    store = Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), format=RdfFormat.N_TRIPLES)
    return store


def validate(data: Graph | Store, shapes: Graph) -> Report:
    """Validate ``data`` with ``shapes``: no inference, no owl:imports, nothing fetched.

    The data is validated in an Oxigraph store: pyshacl then runs the SHACL-SPARQL constraints
    on Oxigraph, several times faster than on rdflib, which re-parses each query for every
    focus node.
    """
    from pyshacl import validate as shacl_validate

    store = data if isinstance(data, Store) else to_store(data)
    conforms, report_graph, _ = shacl_validate(
        store,  # type: ignore[arg-type]  # pyshacl accepts an Oxigraph store since 0.30
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_warnings=False,
        do_owl_imports=False,
        advanced=True,
    )
    for prefix, namespace in (("kgs", SHAPES), ("kgo", KGO._NS), ("biolink", BIOLINK), ("oa", OA)):
        report_graph.bind(prefix, namespace)
    rows = tuple(sorted(_rows(report_graph)))
    return Report(bool(conforms), rows, report_graph)


def _rows(report: Graph) -> Iterable[ReportRow]:
    def show(node: Node | None) -> str:
        if node is None:
            return ""
        if isinstance(node, Literal):
            return str(node)
        return report.namespace_manager.normalizeUri(str(node))

    for result in report.objects(None, SH.result):  # top-level results, not their sh:detail
        severity = report.value(result, SH.resultSeverity)
        yield ReportRow(
            severity=str(severity).rsplit("#", 1)[-1],
            shape=show(
                report.value(result, SH.sourceConstraint) or report.value(result, SH.sourceShape)
            ),
            focus=show(report.value(result, SH.focusNode)),
            path=show(report.value(result, SH.resultPath)),
            message=str(report.value(result, SH.resultMessage) or ""),
        )


def validate_files(
    files: Iterable[Path], shape_files: Iterable[Path], ontology_file: Path, *, jobs: int = 1
) -> Report:
    """Validate RDF files (any release format) with the shapes, with the ontology added (the
    shapes check claim predicates and statuses against it).

    A release's N-Quads (with its catalogue, description and per-source graphs) is validated
    part by part, as ``kg build`` validates it, on ``jobs`` processes: each source on its own,
    so the cost grows linearly with the release. Any other data is validated as one graph.
    """
    from kg.units import parts_of_release, report_parts

    with offline():
        loaded = load_store([*files, ontology_file])
        parts = parts_of_release(loaded)
        if parts is not None:
            return report_parts(parts, list(shape_files), jobs=jobs)
        union = Store()
        union.extend(Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in loaded)
        return validate(union, load_shapes(shape_files))
