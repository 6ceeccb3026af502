"""SPARQL over the release (or any RDF files) on the embedded engine, Oxigraph.

This module is the path of ``kg query``, ``kg show`` and ``kg stats``; it imports neither rdflib
nor pyshacl, so that a query starts fast. ``SERVICE`` (a request to another server) is refused
unless the caller allows it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError, QueryError

__all__ = [
    "RDF_FORMATS",
    "RESULT_FORMATS",
    "check_no_service",
    "describe",
    "format_results",
    "load_prefixes",
    "load_store",
    "packaged_query",
    "read_query",
    "run_query",
    "run_remote_query",
    "text_table",
]

#: File suffix -> RDF format, for reading data files.
DATA_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
#: ``--format`` choices for SELECT and ASK results.
RESULT_FORMATS = ("table", "csv", "tsv", "json")
#: ``--format`` choices for CONSTRUCT and DESCRIBE results.
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}
TABLE_CELL = 80

_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|'
    r"'''(?:[^'\\]|\\.|'(?!''))*'''|"
    r'"(?:[^"\\\n]|\\.)*"|'
    r"'(?:[^'\\\n]|\\.)*'|"
    r"<[^<>\"{}|^`\\\x00-\x20]*>|#[^\n]*|"
    r"(?<![\w:?$])(?P<service>SERVICE)(?![\w:-])",
    re.IGNORECASE | re.DOTALL,
)


def load_store(files: Sequence[Path]) -> ox.Store:
    """Load RDF files (by suffix: .ttl .nt .nq .trig .jsonld) into an in-memory store.

    :raises InputError: a missing file, an unknown suffix or a syntax error (with its line)
    """
    store = ox.Store()
    for path in files:
        rdf_format = DATA_FORMATS.get(path.suffix)
        if rdf_format is None:
            raise InputError(
                str(path),
                None,
                None,
                f"unknown RDF file suffix {path.suffix!r} "
                f"(expected one of {', '.join(DATA_FORMATS)})",
            )
        try:
            store.load(path=str(path), format=rdf_format, base_iri=path.resolve().as_uri())
        except FileNotFoundError as error:
            raise InputError(
                str(path), None, None, "no such file (build the release first: kg build)"
            ) from error
        except (OSError, SyntaxError, ValueError) as error:
            raise InputError(
                str(path), getattr(error, "lineno", None), None, f"cannot read: {error}"
            ) from error
    return store


def read_query(text: str) -> str:
    """The query text: ``text`` itself, or the content of file F when ``text`` is ``@F``."""
    if not text.startswith("@"):
        return text
    path = Path(text[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(str(path), None, None, f"cannot read the query: {error}") from error


def packaged_query(name: str) -> str:
    """A query shipped with kg (kg/queries/NAME.rq), such as those of ``kg stats``."""
    return resources.files("kg").joinpath("queries", f"{name}.rq").read_text(encoding="utf-8")


def check_no_service(query: str) -> None:
    """Refuse a query that uses ``SERVICE`` (outside strings, IRIs and comments).

    >>> check_no_service('SELECT * { ?s ?p "SERVICE" } # SERVICE')
    >>> check_no_service("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    Traceback (most recent call last):
    ...
    kg.errors.QueryError: the query uses SERVICE (a request to another server); ...
    """
    for match in _TOKENS.finditer(query):
        if match.group("service"):
            raise QueryError(
                "the query uses SERVICE (a request to another server); kg query "
                "refuses it unless you pass --allow-service"
            )


def run_query(store: ox.Store, query: str, *, allow_service: bool = False) -> object:
    """Run a SPARQL query over the union of the store's graphs.

    :raises QueryError: a syntax error, or SERVICE without ``allow_service``
    """
    if not allow_service:
        check_no_service(query)
    try:
        return store.query(query, use_default_graph_as_union=True)
    except SyntaxError as error:
        raise QueryError(f"SPARQL syntax error: {error}") from error
    except OSError as error:
        raise QueryError(f"the query failed: {error}") from error


REMOTE_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


def run_remote_query(
    url: str,
    query: str,
    conn: object,
    *,
    allow_service: bool = False,
    default_graph: str | None = None,
) -> object:
    """Run a query on a SPARQL 1.1 endpoint; the result has the types of a local one.

    Virtuoso answers ASK in JSON as a one-row table with the variable ``__ASK_RETVAL`` (1 or 0)
    instead of a boolean: that answer is turned into the boolean it means.

    :raises TruncatedResults: the server cut the results (Virtuoso's X-SPARQL-MaxRows)
    """
    from kg.endpoint import sparql

    if not allow_service:
        check_no_service(query)
    data = sparql(url, query, conn, accept=REMOTE_ACCEPT, default_graph=default_graph)  # type: ignore[arg-type]
    if data.lstrip().startswith(b"{"):
        result = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
        if isinstance(result, ox.QuerySolutions) and [v.value for v in result.variables] == [
            "__ASK_RETVAL"
        ]:
            rows = list(result)
            value = rows[0]["__ASK_RETVAL"] if rows else None
            return bool(value is not None and value.value not in ("0", "false"))
        return result
    try:
        return [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
        ]
    except SyntaxError as error:
        raise QueryError(
            f"{url}: the answer is neither SPARQL JSON results nor N-Triples"
        ) from error


def load_prefixes(context_file: Path) -> dict[str, str]:
    """Prefix -> namespace from a release's context.jsonld (empty if there is none)."""
    try:
        context = json.loads(context_file.read_text(encoding="utf-8"))["@context"]
    except (OSError, ValueError, KeyError):
        return {}
    return {
        name: (value["@id"] if isinstance(value, dict) else value)
        for name, value in context.items()
        if not name.startswith("@")
    }


def format_results(result: object, fmt: str, prefixes: Mapping[str, str]) -> bytes:
    """Serialise a query result: table, csv, tsv or json for SELECT/ASK; an RDF format for
    CONSTRUCT/DESCRIBE.

    :raises QueryError: a format that does not fit the kind of result
    """
    if isinstance(result, bool):
        result = ox.parse_query_results(
            json.dumps({"head": {}, "boolean": result}).encode(), format=ox.QueryResultsFormat.JSON
        )
    if isinstance(result, ox.QueryTriples | list):
        if fmt not in RDF_FORMATS:
            raise QueryError(
                f"a CONSTRUCT or DESCRIBE result is RDF: use --format {' or '.join(RDF_FORMATS)}"
            )
        if isinstance(result, list):
            return _written(ox.serialize(result, format=RDF_FORMATS[fmt]))
        return _written(result.serialize(format=RDF_FORMATS[fmt]))
    if fmt not in RESULT_FORMATS:
        raise QueryError(
            f"a SELECT or ASK result is a table: use --format {' or '.join(RESULT_FORMATS)}"
        )
    if isinstance(result, ox.QueryBoolean):
        if fmt == "json":
            return (json.dumps({"head": {}, "boolean": bool(result)}) + "\n").encode()
        return ("true\n" if bool(result) else "false\n").encode()
    assert isinstance(result, ox.QuerySolutions)
    names = [variable.value for variable in result.variables]
    if fmt == "json":
        return _written(result.serialize(format=ox.QueryResultsFormat.JSON))
    rows = [[solution[name] for name in names] for solution in result]
    if fmt in ("csv", "tsv"):
        return _delimited(names, rows, fmt)
    return _table(names, rows, prefixes).encode("utf-8")


def _written(data: bytes | None) -> bytes:
    """pyoxigraph's serialize returns the bytes when given no output file."""
    assert data is not None
    return data


def _delimited(names: list[str], rows: Iterable[list[object]], fmt: str) -> bytes:
    if fmt == "tsv":
        lines = ["\t".join(f"?{n}" for n in names)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if t is None else _plain(t) for t in row])
    return out.getvalue().encode("utf-8")


def _plain(term: object) -> str:
    """A term's value as SPARQL 1.1 CSV writes it (IRIs and literals as bare strings)."""
    return str(getattr(term, "value", term))


def compact(term: object, prefixes: Mapping[str, str]) -> str:
    """A short, readable form of a term: a CURIE for an IRI under a known prefix."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        iri = term.value
        best = max(
            ((n, ns) for n, ns in prefixes.items() if iri.startswith(ns)),
            key=lambda item: len(item[1]),
            default=None,
        )
        return f"{best[0]}:{iri[len(best[1]) :]}" if best else f"<{iri}>"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _table(names: list[str], rows: list[list[object]], prefixes: Mapping[str, str]) -> str:
    return text_table(names, [[compact(t, prefixes) for t in row] for row in rows])


def text_table(names: list[str], rows: list[list[str]]) -> str:
    """Columns of text padded to line up, a header, and a row count."""
    cells = [[_cut(text) for text in row] for row in rows]
    widths = [max([len(n) + 1, *(len(r[i]) for r in cells)]) for i, n in enumerate(names)]
    lines = [
        "  ".join(f"?{n}".ljust(w) for n, w in zip(names, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TABLE_CELL else text[: TABLE_CELL - 1] + "…"


def describe(store: ox.Store, resource: str, prefixes: Mapping[str, str]) -> str:
    """Everything the graph says about one resource (a CURIE or an IRI), with labels.

    :raises QueryError: an unknown prefix, or a resource the graph does not mention
    """
    iri = _resolve(resource, prefixes)
    node = ox.NamedNode(iri)
    if not any(True for _ in store.quads_for_pattern(node, None, None)) and not any(
        True for _ in store.quads_for_pattern(None, None, node)
    ):
        raise QueryError(f"the graph says nothing about {resource} (<{iri}>)")
    lines = [f"<{iri}>" + (f"  {label}" if (label := _label(store, node)) else "")]
    for title, pattern in (("", (node, None, None)), ("referenced by", (None, None, node))):
        rows = set()
        for quad in store.quads_for_pattern(*pattern):
            other = quad.object if title == "" else quad.subject
            rows.add((compact(quad.predicate, prefixes), _describe_term(store, other, prefixes)))
        if rows and title:
            lines.append(f"{title}:")
        for predicate, value in sorted(rows):
            lines.append(f"  {predicate}  {value}")
    return "\n".join(lines) + "\n"


def _describe_term(store: ox.Store, term: object, prefixes: Mapping[str, str]) -> str:
    text = _cut(compact(term, prefixes))
    if isinstance(term, ox.NamedNode) and (label := _label(store, term)):
        text += f"  ({_cut(label)})"
    return text


def _label(store: ox.Store, node: ox.NamedNode) -> str | None:
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    for quad in store.quads_for_pattern(node, label, None):
        return str(getattr(quad.object, "value", quad.object))
    return None


def _resolve(resource: str, prefixes: Mapping[str, str]) -> str:
    if resource.startswith("<") and resource.endswith(">"):
        return resource[1:-1]
    if re.match(r"^[a-z][a-z0-9+.-]*://", resource, re.IGNORECASE):
        return resource
    name, sep, local = resource.partition(":")
    for candidate, namespace in prefixes.items():
        if sep and candidate.lower() == name.lower():
            return namespace + local
    raise QueryError(
        f"cannot resolve {resource!r}: not an IRI, and {name!r} is not a prefix "
        "of the release's context.jsonld"
    )
