"""The SPARQL endpoint's page for people (``GET /query`` from a browser): a form to write a
query in, the project's example queries (``queries/*.rq``) one click away, and a query's
results as a table whose IRIs are links.

The page works without JavaScript and loads nothing from elsewhere: an example is a plain link
(``/query?example=NAME``) that fills the form, the form is a GET (so a result can be
bookmarked), and the results are written by the server. An IRI the release mints links to its
path on this server (which answers 303 to its page); an outside ``http(s)`` IRI links to
itself; the text shown is its CURIE when the release declares its prefix. Everything is
escaped (the templates are autoescaped).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
from curies import Converter

from kg.errors import InputError
from kg.namespaces import ROOT
from kg.web.downloads import web_address
from kg.web.negotiation import FORMATS
from kg.web.site import Cell, _templates  # the site's templates: one environment

__all__ = [
    "FIRST_QUERY",
    "MAX_ROWS",
    "WORKER_TYPES",
    "Example",
    "Table",
    "Value",
    "example_title",
    "query_page",
    "read_examples",
    "results_table",
]

#: Rows a result table shows at most (a client that wants them all asks for CSV or JSON).
MAX_ROWS = 1000
#: The form's query before any is written: the claims and their readings (prefixes predeclared).
FIRST_QUERY = """SELECT ?claim ?label WHERE {
  ?claim a kgo:Claim ;
         rdfs:label ?label .
}
ORDER BY ?claim
LIMIT 100
"""
#: The downloads a result table links to: (text, the ``format`` parameter), rows, then graphs.
DOWNLOADS = (("CSV", "csv"), ("TSV", "tsv"), ("JSON", "json"), ("XML", "xml"))
GRAPH_DOWNLOADS = (
    ("Turtle", "turtle"),
    ("N-Triples", "ntriples"),
    ("JSON-LD", "jsonld"),
    ("RDF/XML", "rdfxml"),
)
#: What an HTML request asks the query's worker for, by the query's form.
WORKER_TYPES = ["application/sparql-results+json", "application/n-triples"]
_QUESTION = "# Question:"
_NT = ox.RdfFormat.N_TRIPLES


@dataclass(frozen=True)
class Example:
    """One example query: its file's name without ``.rq``, the question it answers, its text."""

    name: str
    title: str
    text: str


@dataclass(frozen=True)
class Value:
    """One cell of a result table: its text, a link (or None), and the full IRI or type."""

    text: str
    href: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Table:
    """A result as a table: its columns, its first :data:`MAX_ROWS` rows, how many there are."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    total: int
    graph: bool = False  # a CONSTRUCT's or DESCRIBE's triples, not a SELECT's rows


def example_title(text: str, name: str) -> str:
    """The question a query file's leading comment states (``# Question: ...``, on one line or
    more), else ``name``.

    >>> example_title("# Question: What is it\\n# approved for?\\n# Expected: x.csv\\nASK {}", "a")
    'What is it approved for?'
    >>> example_title("SELECT * {}", "everything")
    'everything'
    """
    words: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#") or (words and line.startswith("# Expected:")):
            break
        if line.startswith(_QUESTION):
            words.append(line[len(_QUESTION) :].strip())
        elif words:
            words.append(line[1:].strip())
    return " ".join(w for w in words if w) or name


def read_examples(folder: Path | None) -> tuple[Example, ...]:
    """The example queries of a project's ``queries`` folder (its ``*.rq`` files, by name;
    none when there is no such folder).

    :raises InputError: a query file that cannot be read as UTF-8 text
    """
    if folder is None or not folder.is_dir():
        return ()
    found = []
    for path in sorted(folder.glob("*.rq")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as error:
            raise InputError(str(path), None, None, f"cannot read the query: {error}") from error
        found.append(Example(path.stem, example_title(text, path.stem), text))
    return tuple(found)


def results_table(data: bytes, media_type: str, converter: Converter) -> Table | bool:
    """A worker's answer (SPARQL JSON results, or N-Triples for CONSTRUCT and DESCRIBE) as a
    table, or an ASK's boolean.

    >>> table = results_table(b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":'
    ...     b'{"type":"uri","value":"https://w3id.org/drugclaims/id/x"}}]}}',
    ...     "application/sparql-results+json", Converter([]))
    >>> table.columns, table.rows[0][0].href
    (('s',), '/id/x')
    """
    if media_type == "application/n-triples":
        triples = [(q.subject, q.predicate, q.object) for q in ox.parse(data, format=_NT)]
        table = _table(("subject", "predicate", "object"), triples, converter)
        return Table(table.columns, table.rows, table.total, graph=True)
    result = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    columns = tuple(v.value for v in result.variables)
    return _table(columns, ([row[c] for c in columns] for row in result), converter)


def _table(
    columns: tuple[str, ...], rows: Iterable[Sequence[object]], converter: Converter
) -> Table:
    shown: list[tuple[Value, ...]] = []
    total = 0
    for row in rows:
        total += 1
        if total <= MAX_ROWS:
            shown.append(tuple(_value(term, converter) for term in row))
    return Table(columns, tuple(shown), total)


def _value(term: object, converter: Converter) -> Value:
    """How one term is shown: an IRI as a link, a literal as its text (its language or
    datatype in the tooltip), a blank node as ``_:id``, nothing as empty."""
    if term is None:
        return Value("")
    if isinstance(term, ox.NamedNode):
        iri = term.value
        text = converter.compress(iri) or iri
        if iri.startswith(ROOT):
            return Value(text, "/" + iri[len(ROOT) :], iri)
        if iri.startswith(("http://", "https://")):
            return Value(text, iri, iri)
        return Value(text, None, iri)
    if isinstance(term, ox.Literal):
        kind = f"@{term.language}" if term.language else converter.compress(term.datatype.value)
        return Value(term.value, None, kind or term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return Value(f"_:{term.value}")
    return Value(str(term))


def query_page(
    *,
    site_name: str,
    examples: Sequence[Example],
    query: str = FIRST_QUERY,
    result: Table | bool | None = None,
    error: str | None = None,
    allow_service: bool = False,
    prefixes: Mapping[str, str] | None = None,
    dataset: tuple[Sequence[str], Sequence[str]] | None = None,
    licence: str | None = None,
) -> bytes:
    """The page: the form (holding ``query``, and the ``dataset`` the request named: default
    and named graphs), the result or the error of running it, the examples, and the
    ``prefixes`` predeclared (name -> namespace); in the footer every page has, the way home,
    the release's downloads and its ``licence``."""
    graphs = _dataset_parameters(dataset)
    page = _templates().get_template("query.html")
    return page.render(
        title="SPARQL endpoint",
        up="/",
        site_name=site_name,
        alternates=[(f.media_type, "/query") for f in FORMATS if f.extension != "html"],
        schema_org="",
        style=None,
        downloads="/index.html#downloads",
        licence=Cell(licence or "", web_address(licence) if licence else None),
        query=query,
        examples=examples,
        table=result if isinstance(result, Table) else None,
        result_downloads=_downloads(query, result, graphs),
        graphs=graphs,
        boolean=result if isinstance(result, bool) else None,
        error=error,
        max_rows=MAX_ROWS,
        allow_service=allow_service,
        prefixes=sorted((prefixes or {}).items()),
    ).encode("utf-8")


def _dataset_parameters(
    dataset: tuple[Sequence[str], Sequence[str]] | None,
) -> list[tuple[str, str]]:
    """The protocol's parameters naming ``dataset``, to keep in the form and the links."""
    if dataset is None:
        return []
    defaults, named = dataset
    return [
        *(("default-graph-uri", iri) for iri in defaults),
        *(("named-graph-uri", iri) for iri in named),
    ]


def _downloads(
    query: str, result: Table | bool | None, graphs: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Links to the result in each format a program reads (a link cannot send Accept)."""
    if not isinstance(result, Table):
        return []
    names = GRAPH_DOWNLOADS if result.graph else DOWNLOADS
    return [
        (text, "/query?" + urlencode([("query", query), *graphs, ("format", name)]))
        for text, name in names
    ]
