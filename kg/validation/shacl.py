"""Validating a graph with the SHACL shapes (pySHACL, with rudof as a fast first pass on
units), and reading its report."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pyoxigraph import RdfFormat, Store
from rdflib import Graph
from rdflib.term import Node

from kg.errors import InputError
from kg.namespaces import SH
from kg.runtime.offline import offline
from kg.validation.catalogue import Fast
from kg.validation.constraints import describe
from kg.validation.report import BINDINGS, Report, ReportRow, show

__all__ = [
    "check_unit",
    "load_shapes",
    "parse_shapes",
    "read_shapes",
    "rudof_conforms",
    "to_store",
    "validate",
]


def read_shapes(paths: Iterable[Path]) -> tuple[tuple[str, bytes], ...]:
    """The shape files' names and bytes (what travels to the workers).

    :raises InputError: a file cannot be read
    """
    texts = []
    for path in paths:
        try:
            texts.append((str(path), path.read_bytes()))
        except OSError as error:
            raise InputError(str(path), None, None, f"cannot read shapes: {error}") from error
    return tuple(texts)


def load_shapes(files: Iterable[Path]) -> Graph:
    """Parse the shape files into one graph (with a base, so no relative IRI leaks).

    :raises InputError: a file cannot be read or parsed
    """
    return parse_shapes(read_shapes(files))


def parse_shapes(texts: Iterable[tuple[str, bytes]]) -> Graph:
    """Parse shape files given as (name, Turtle bytes) into one graph."""
    shapes = Graph()
    for name, data in texts:
        try:
            shapes.parse(data=data, format="turtle", publicID="https://w3id.org/drugclaims/shapes")
        except (SyntaxError, ValueError) as error:
            raise InputError(name, None, None, f"cannot parse shapes: {error}") from error
    return shapes


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
    for prefix, namespace in BINDINGS:
        report_graph.bind(prefix, namespace)
    rows = tuple(sorted(_rows(report_graph, shapes), key=ReportRow.sort_key))
    return Report(bool(conforms), rows, report_graph)


def _rows(report: Graph, shapes: Graph) -> Iterable[ReportRow]:
    """The report's top-level results (not their sh:detail), each with what its shape allows."""

    def term(node: Node | None) -> str:
        return "" if node is None else node.n3()

    for result in report.objects(None, SH.result):
        severity = report.value(result, SH.resultSeverity)
        source = report.value(result, SH.sourceShape)
        constraint = report.value(result, SH.sourceConstraint)
        component = str(report.value(result, SH.sourceConstraintComponent) or "")
        component = component.rsplit("#", 1)[-1]
        message = str(report.value(result, SH.resultMessage) or "")
        problem, allowed = describe(shapes, source, component, message) if source else ("", "")
        yield ReportRow(
            severity=str(severity).rsplit("#", 1)[-1],
            shape=show(constraint or source or ""),
            focus=term(report.value(result, SH.focusNode)),
            path=term(report.value(result, SH.resultPath)),
            message=message,
            value=term(report.value(result, SH.value)),
            component=component,
            problem=problem,
            allowed=allowed,
        )


_PARSED: dict[str, Graph] = {}  # parsed shapes by the hash of their text, per process
_RUDOF: dict[tuple[str, str], Any] = {}  # rudof sessions with shapes and base data loaded


def check_unit(
    shapes: Sequence[tuple[str, bytes]], unit: bytes, base: bytes = b"", fast: Fast | None = None
) -> Report:
    """Validate one unit (N-Triples, with the lines ``base`` adds to every unit) with the
    shapes (names and Turtle bytes).

    rudof (Rust) answers first, several times faster than pySHACL (with the shapes of ``fast``
    when given: those whose verdict on the catalogue's nodes is known already left to it,
    :meth:`kg.validation.catalogue.Split.shapes_for`); a unit it finds conforming is reported
    so. Any other unit (rudof finds a violation, or fails) is validated by pySHACL with every
    shape, whose report is the one given: pySHACL is the judge, rudof only sends it the
    units that need it. Both give the same verdict on every invalid fixture of the test suite
    (tests/shapes/invalid). Nothing is fetched by either.
    """
    key = hashlib.sha256(b"".join(data for _, data in shapes)).hexdigest()
    with offline():
        graph = _PARSED.get(key)
        if graph is None:
            graph = _PARSED[key] = parse_shapes(shapes)
        if fast is None:
            conforms = rudof_conforms(shapes, unit, base)
        else:
            conforms = rudof_conforms(fast.shapes, unit, base) and (
                fast.focus is None or rudof_conforms(fast.focus, unit, base, each=True)
            )
        if conforms:
            return Report(True, (), Graph())
        store = Store()
        store.load(base + unit, format=RdfFormat.N_TRIPLES)
        return validate(store, graph)


def rudof_conforms(
    shapes: Sequence[tuple[str, bytes]], unit: bytes, base: bytes = b"", *, each: bool = False
) -> bool | None:
    """Whether rudof finds the unit conforming; None when rudof is missing or fails.

    One session a process for each set of shapes and base data: reading data into a fresh
    session costs rudof ~50 ms, adding it to a staged one ~2 ms; the unit is staged on the base
    and rolled back after. With ``each``, the shapes differ from unit to unit (a few shapes
    on a few nodes): one session holds the base, and the shapes are read into it each time
    (about 1 ms for 200 lines)."""
    try:
        import pyrudof
    except ImportError:
        return None
    key = "each" if each else hashlib.sha256(b"".join(data for _, data in shapes)).hexdigest()
    session_key = (key, hashlib.sha256(base).hexdigest())
    try:
        session = _RUDOF.get(session_key)
        strict = pyrudof.ReaderMode.Strict
        if session is None:
            if len(_RUDOF) >= 8:
                _RUDOF.clear()
            session = pyrudof.Rudof(pyrudof.RudofConfig())
            if not each:
                graph = _PARSED.get(key)
                if graph is None:
                    graph = _PARSED[key] = parse_shapes(shapes)
                text = graph.serialize(format="nt")
                session.read_shacl(text, format=pyrudof.ShaclFormat.NTriples)
            if base:  # rudof refuses empty data: a unit with no base is read on its own
                session.read_data(
                    base.decode("utf-8"), format=pyrudof.RDFFormat.NTriples, reader_mode=strict
                )
            _RUDOF[session_key] = session
        if each:  # N-Triples already
            text = b"".join(data for _, data in shapes).decode("utf-8")
            session.read_shacl(text, format=pyrudof.ShaclFormat.NTriples)
        if not base:
            session.reset_data()  # reading without merging does not forget the last unit
            session.read_data(
                unit.decode("utf-8"), format=pyrudof.RDFFormat.NTriples, reader_mode=strict
            )
            return bool(session.validate_shacl().conforms)
        session.begin_staging()
        try:
            session.read_data(
                unit.decode("utf-8"),
                format=pyrudof.RDFFormat.NTriples,
                reader_mode=strict,
                merge=True,
            )
            return bool(session.validate_shacl().conforms)
        finally:
            session.rollback_staging()
    except Exception:  # any failure of the fast path leaves the unit to pySHACL
        _RUDOF.pop(session_key, None)
        return None
