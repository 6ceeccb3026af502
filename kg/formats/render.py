"""Writing query results and resource descriptions for people and programs: tables with the
release's CURIEs, SPARQL 1.1 CSV/TSV/JSON results, RDF with the release's prefixes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable

import pyoxigraph as ox
from curies import Converter

from kg.curation.converter import expand_resource, namespaces, shorten
from kg.errors import QueryError
from kg.formats.turtle import write_turtle
from kg.sparql import tokens

__all__ = [
    "RDF_FORMATS",
    "RESULT_FORMATS",
    "answer",
    "describe",
    "format_results",
    "printable",
    "text_table",
]

#: ``--format`` choices for SELECT and ASK results.
RESULT_FORMATS = ("table", "csv", "tsv", "json")
#: ``--format`` choices for CONSTRUCT and DESCRIBE results.
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}
TABLE_CELL = 80
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def answer(
    result: object, fmt: str | None, converter: Converter, query: str, *, tty: bool
) -> bytes:
    """A query's result in ``fmt``, or by default: Turtle for CONSTRUCT/DESCRIBE, a table on a
    terminal (``tty``) and SPARQL JSON results otherwise for SELECT/ASK."""
    if fmt is None:
        is_rdf = isinstance(result, ox.QueryTriples | list)
        fmt = "turtle" if is_rdf else ("table" if tty else "json")
    return format_results(result, fmt, converter, query)


def format_results(result: object, fmt: str, converter: Converter, query: str = "") -> bytes:
    """Serialise a query result: table, csv, tsv or json for SELECT/ASK; an RDF format for
    CONSTRUCT/DESCRIBE. ``SELECT *`` lists its variables in the order the query names them.

    :raises QueryError: a format that does not fit the kind of result
    """
    if isinstance(result, bool):
        return _boolean(result, fmt)
    if isinstance(result, ox.QueryTriples | list):
        return _rdf(list(result), fmt, converter)
    if fmt not in RESULT_FORMATS:
        raise QueryError(
            f"a SELECT or ASK result is a table: use --format {' or '.join(RESULT_FORMATS)}"
        )
    if isinstance(result, ox.QueryBoolean):
        return _boolean(bool(result), fmt)
    assert isinstance(result, ox.QuerySolutions)
    names = _ordered([variable.value for variable in result.variables], query)
    if fmt == "json":
        return _json(result, names)
    rows = [[solution[name] for name in names] for solution in result]
    if fmt in ("csv", "tsv"):
        return _delimited(names, rows, fmt)
    cells = [[_cell(term, converter) for term in row] for row in rows]
    return text_table(names, cells).encode("utf-8")


def _ordered(names: list[str], query: str) -> list[str]:
    """Oxigraph lists the variables of ``SELECT *`` sorted: put them in the query's order."""
    if not query or not tokens.selects_all(query):
        return names
    order = {name: i for i, name in enumerate(tokens.variables_in_order(query))}
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))


def _boolean(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return (json.dumps({"head": {}, "boolean": value}) + "\n").encode()
    if fmt in RDF_FORMATS:
        raise QueryError(f"an ASK result is a boolean: use --format {' or '.join(RESULT_FORMATS)}")
    return ("true\n" if value else "false\n").encode()


def _rdf(triples: list[ox.Triple], fmt: str, converter: Converter) -> bytes:
    if fmt not in RDF_FORMATS:
        raise QueryError(
            f"a CONSTRUCT or DESCRIBE result is RDF: use --format {' or '.join(RDF_FORMATS)}"
        )
    if fmt == "turtle":
        return write_turtle(triples, namespaces(converter))
    written = ox.serialize(triples, format=RDF_FORMATS[fmt])
    assert written is not None
    return written if written.endswith(b"\n") else written + b"\n"


def _json(result: ox.QuerySolutions, names: list[str]) -> bytes:
    """SPARQL 1.1 Query Results JSON (written by Oxigraph), the variables in the query's
    order, ending with a newline."""
    written = result.serialize(format=ox.QueryResultsFormat.JSON)
    assert written is not None
    data = json.loads(written)
    data["head"]["vars"] = names
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")


def _delimited(names: list[str], rows: Iterable[list[object]], fmt: str) -> bytes:
    if fmt == "tsv":
        lines = ["\t".join(f"?{n}" for n in names)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if t is None else str(getattr(t, "value", t)) for t in row])
    return out.getvalue().encode("utf-8")


def _cell(term: object, converter: Converter) -> str:
    """A short, readable form of a term: a CURIE for an IRI under a known prefix."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(converter, term.value)
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


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
    text = printable(" ".join(text.split()))
    return text if len(text) <= TABLE_CELL else text[: TABLE_CELL - 1] + "…"


def printable(text: str) -> str:
    r"""Text safe to show on a terminal: control characters (an ESC sequence can retitle the
    window or clear the screen) and bidirectional overrides are written as escapes.

    >>> printable("ok\x1b]0;owned\x07 \u202egnp.exe")
    'ok\\x1b]0;owned\\x07 \\u202egnp.exe'
    """
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def describe(store: ox.Store, resource: str, converter: Converter) -> str:
    """Everything the graph says about one resource (a CURIE or an IRI), with labels.

    :raises QueryError: an unknown prefix, or a resource the graph does not mention
    """
    iri = expand_resource(converter, resource)
    node = ox.NamedNode(iri)
    if not any(True for _ in store.quads_for_pattern(node, None, None)) and not any(
        True for _ in store.quads_for_pattern(None, None, node)
    ):
        raise QueryError(f"the graph says nothing about {resource} (<{iri}>)")
    lines = [f"<{iri}>" + (f"  {printable(label)}" if (label := _label(store, node)) else "")]
    for title, pattern in (("", (node, None, None)), ("referenced by", (None, None, node))):
        rows = set()
        for quad in store.quads_for_pattern(*pattern):
            other = quad.object if title == "" else quad.subject
            predicate = shorten(converter, quad.predicate.value)
            rows.add((predicate, _describe_term(store, other, converter)))
        if rows and title:
            lines.append(f"{title}:")
        for predicate, value in sorted(rows):
            lines.append(f"  {predicate}  {value}")
    return "\n".join(lines) + "\n"


def _describe_term(store: ox.Store, term: object, converter: Converter) -> str:
    text = _cut(_cell(term, converter))
    if isinstance(term, ox.NamedNode) and (label := _label(store, term)):
        text += f"  ({_cut(label)})"
    return text


def _label(store: ox.Store, node: ox.NamedNode) -> str | None:
    for quad in store.quads_for_pattern(node, _RDFS_LABEL, None):
        return str(getattr(quad.object, "value", quad.object))
    return None
