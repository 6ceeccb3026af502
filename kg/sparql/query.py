"""Running SPARQL over the release (or any RDF files) on the embedded engine, Oxigraph, or on a
remote SPARQL 1.1 endpoint.

This module is the path of ``kg query``, ``kg show`` and ``kg stats``; it imports neither rdflib
nor pyshacl, so that a query starts fast. Before a query runs it is read as SPARQL tokens
(:mod:`kg.sparql.tokens`): an update is refused, and so is ``SERVICE`` (a request to another server)
unless the caller allows it. The release's prefixes are predeclared, as Wikidata's query service
does: a query may use ``biolink:`` or ``MONDO:`` without PREFIX lines; a PREFIX it declares wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError, QueryError
from kg.sparql import tokens

__all__ = [
    "DATA_FORMATS",
    "check_query",
    "load_store",
    "packaged_query",
    "read_query",
    "run_query",
    "run_remote_query",
]

#: File suffix -> RDF format, for reading data files.
DATA_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
REMOTE_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"
_POSITION = re.compile(r"^error at (\d+):(\d+): ")


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
            raise InputError(str(path), None, None, "no such file") from error
        except IsADirectoryError as error:
            raise InputError(str(path), None, None, "a folder, not an RDF file") from error
        except (OSError, SyntaxError, ValueError) as error:
            raise InputError(
                str(path), getattr(error, "lineno", None), None, f"cannot read: {error}"
            ) from error
    return store


def read_query(text: str) -> str:
    """The query text: ``text`` itself, or the content of file F when ``text`` is ``@F``.

    :raises QueryError: ``text`` is the name of a file (the ``@`` was forgotten)
    """
    if not text.startswith("@"):
        if "\n" not in text and len(text) < 4096 and Path(text).is_file():
            raise QueryError(f"{text!r} is a file, not a query: did you mean @{text}?")
        return text
    path = Path(text[1:])
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        raise InputError(str(path), None, None, f"cannot read the query: {error}") from error


def packaged_query(name: str) -> str:
    """A query shipped with kg (kg/queries/NAME.rq), such as those of ``kg stats``."""
    return resources.files("kg").joinpath("queries", f"{name}.rq").read_text(encoding="utf-8")


def check_query(query: str, *, allow_service: bool = False) -> None:
    """Refuse an update, and a query with ``SERVICE`` unless ``allow_service``.

    >>> check_query("SELECT * { ?s ?p 'SERVICE' } # SERVICE")
    >>> check_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    Traceback (most recent call last):
    ...
    kg.errors.QueryError: the query uses SERVICE (a request to another server); ...
    >>> check_query("DROP ALL")
    Traceback (most recent call last):
    ...
    kg.errors.QueryError: updates are not accepted (DROP): kg query only reads; ...
    """
    form = tokens.query_form(query)
    if form in tokens.UPDATE_KEYWORDS:
        raise QueryError(
            f"updates are not accepted ({form}): kg query only reads; "
            "change a store with its own tools"
        )
    if not allow_service and tokens.uses_service(query):
        raise QueryError(
            "the query uses SERVICE (a request to another server); kg refuses it unless "
            "you pass --allow-service"
        )


def run_query(
    store: ox.Store,
    query: str,
    *,
    allow_service: bool = False,
    prefixes: Mapping[str, str] | None = None,
    union: bool = True,
    default_graphs: Sequence[str] | None = None,
    named_graphs: Sequence[str] | None = None,
) -> object:
    """Run a SPARQL query over the union of the store's graphs (``union=False``, or a query
    with FROM or FROM NAMED: over its default graph, or the graphs it names), with
    ``prefixes`` predeclared. Every query kg runs goes through here, so
    that none escapes the checks of :func:`check_query`.

    ``default_graphs`` and ``named_graphs`` are the SPARQL protocol's ``default-graph-uri`` and
    ``named-graph-uri``: when either is given, the query's dataset is exactly those graphs (the
    default graph their merge; the other list, if None, empty), whatever its FROM and FROM
    NAMED say, as the protocol wants; a graph the store does not hold is an empty one.

    :raises QueryError: a syntax error (one line, with its position), an update, SERVICE
        without ``allow_service``, or a graph name that is not an IRI
    """
    check_query(query, allow_service=allow_service)
    dataset = _dataset(default_graphs, named_graphs)
    try:
        return store.query(
            query,
            use_default_graph_as_union=union and not dataset and not tokens.names_dataset(query),
            prefixes=dict(prefixes or {}),
            **dataset,  # type: ignore[arg-type]
        )
    except SyntaxError as error:
        raise QueryError(syntax_message(query, str(error))) from error
    except OSError as error:
        raise QueryError(f"the query failed: {error}") from error


def _dataset(
    default_graphs: Sequence[str] | None, named_graphs: Sequence[str] | None
) -> dict[str, list[ox.NamedNode]]:
    """The keyword arguments of ``Store.query`` for a dataset the protocol names (none: {}).

    >>> _dataset(None, ["http://example.org/g"])
    {'default_graph': [], 'named_graphs': [<NamedNode value=http://example.org/g>]}
    >>> _dataset(["not an IRI"], None)
    Traceback (most recent call last):
    ...
    kg.errors.QueryError: default-graph-uri: 'not an IRI' is not an IRI
    """
    if default_graphs is None and named_graphs is None:
        return {}
    return {
        "default_graph": _graphs("default-graph-uri", default_graphs or ()),
        "named_graphs": _graphs("named-graph-uri", named_graphs or ()),
    }


def _graphs(parameter: str, iris: Sequence[str]) -> list[ox.NamedNode]:
    nodes = []
    for iri in iris:
        try:
            nodes.append(ox.NamedNode(iri))
        except ValueError as error:
            raise QueryError(f"{parameter}: {iri!r} is not an IRI") from error
    return nodes


def syntax_message(query: str, message: str) -> str:
    """One readable line for an Oxigraph syntax error (which lists Unicode ranges it expected).

    >>> syntax_message("SELECT * { ?s foo:p ?o }", "error at 1:20: expected one of "
    ...                "OPTIONAL, Prefix not found, ['%'], ['-' | '0' ..= '9']")
    'unknown prefix foo: at 1:15 (declare it: PREFIX foo: <...>)'
    """
    position = _POSITION.match(message)
    if position is None:
        return f"SPARQL syntax error: {message.splitlines()[0][:200]}"
    line, column = int(position.group(1)), int(position.group(2))
    if "Prefix not found" in message:
        before = (query.splitlines() or [""])[line - 1][: column - 1]
        name = re.search(r"([^\s{}()\[\];,.<>\"'=!&|^*/+-]*):[^\s:]*$", before)
        if name is not None:
            start = name.start() + 1
            return (
                f"unknown prefix {name.group(1)}: at {line}:{start} "
                f"(declare it: PREFIX {name.group(1)}: <...>)"
            )
    expected = message[position.end() :].split("\n", 1)[0]
    words = [w.strip() for w in expected.removeprefix("expected one of ").split(",")]
    readable = [w for w in words if w and not w.startswith(("[", "'"))]
    if "one of" in expected and readable:
        expected = "expected one of " + ", ".join(readable[:6])
    return f"SPARQL syntax error at {line}:{column}: {expected[:160]}"


def remote_text(query: str, prefixes: Mapping[str, str]) -> str:
    """The query with PREFIX lines for the release's prefixes it uses without declaring."""
    lines = [
        f"PREFIX {name}: <{prefixes[name]}>"
        for name in sorted(tokens.undeclared_prefixes(query))
        if name in prefixes
    ]
    return "\n".join([*lines, query]) if lines else query


def run_remote_query(
    url: str,
    query: str,
    conn: object,
    *,
    allow_service: bool = False,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    prefixes: Mapping[str, str] | None = None,
) -> object:
    """Run a query on a SPARQL 1.1 endpoint; the result has the types of a local one.

    ``default_graphs`` and ``named_graphs`` are sent as ``default-graph-uri`` and
    ``named-graph-uri`` (none: the store's own default graph). Virtuoso answers ASK in JSON as a
    one-row table with the variable ``__ASK_RETVAL`` (1 or 0) instead of a boolean: that answer
    is turned into the boolean it means.

    :raises TruncatedResults: the server cut the results (Virtuoso's X-SPARQL-MaxRows)
    """
    from kg.sparql.endpoint import sparql

    check_query(query, allow_service=allow_service)
    data = sparql(
        url,
        remote_text(query, prefixes or {}),
        conn,  # type: ignore[arg-type]
        accept=REMOTE_ACCEPT,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
    )
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
