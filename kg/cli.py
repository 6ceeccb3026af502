"""The ``kg`` command line: one click group, each command a few lines over one library function.

Data goes to standard output, messages to standard error. Exit codes: 0 success (the graph
conforms); 1 the graph does not conform to the shapes; 2 bad input or a runtime error (the
message names the file, the line and the record). Heavy modules are imported inside the commands,
so that ``kg query`` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from kg import __version__
from kg.errors import KGError, NotConformingError, TruncatedResults

__all__ = ["main"]

EXIT_OK, EXIT_NOT_CONFORMING, EXIT_ERROR, EXIT_TRUNCATED = 0, 1, 2, 3
EXIT_CODES = """\b
Exit codes: 0 success; 1 the graph does not conform to the shapes;
2 bad input or runtime error (message on stderr);
3 a remote store cut the results (kg query --endpoint)."""

F = TypeVar("F", bound=Callable[..., Any])


def _reports_errors(command: F) -> F:
    """Turn kg's errors into a one-line message on stderr and an exit code, no traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except TruncatedResults as error:
            if debug:
                raise
            click.echo(f"kg: error: {error}", err=True)
            sys.exit(EXIT_TRUNCATED)
        except NotConformingError as error:
            if debug:
                raise
            click.echo(error.report, err=True, nl=False)
            click.echo(
                "kg: the graph does not conform to the shapes; nothing was written.", err=True
            )
            sys.exit(EXIT_NOT_CONFORMING)
        except KGError as error:
            if debug:
                raise
            click.echo(f"kg: error: {error}", err=True)
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def _project(ctx: click.Context) -> Any:
    from kg.project import Project

    return Project(Path(ctx.find_root().params["project"]))


def _release_files(ctx: click.Context, data: tuple[Path, ...]) -> list[Path]:
    return list(data) if data else [_project(ctx).dist / "graph.nq"]


def _prefixes(ctx: click.Context, data: tuple[Path, ...]) -> dict[str, str]:
    from kg.query import load_prefixes

    folder = data[0].parent if data else _project(ctx).dist
    return load_prefixes(folder / "context.jsonld")


def connection_options(command: F) -> F:
    """--user, --auth and --timeout, shared by the commands that talk to a store."""
    command = click.option(
        "--timeout",
        type=float,
        default=60.0,
        show_default=True,
        help="Seconds to wait for the store's answer.",
    )(command)
    command = click.option(
        "--auth",
        type=click.Choice(["digest", "basic"]),
        default="digest",
        show_default=True,
        help="HTTP authentication scheme.",
    )(command)
    return click.option(
        "--user", help="User name; the password is read from $KG_PASSWORD, never an argument."
    )(command)


data_option = click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="RDF file to use instead of the release (.ttl .nt .nq .trig .jsonld); repeatable.",
)


@click.group(epilog=EXIT_CODES)
@click.option(
    "--project",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The project folder (with dataset.yaml).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="kg")
def main(project: str, debug: bool) -> None:
    """Publish the claims of biomedical literature as a validated, text-anchored RDF graph."""


@main.command(epilog=EXIT_CODES)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the release.  [default: dist/]",
)
@click.pass_context
@_reports_errors
def build(ctx: click.Context, out: Path | None) -> None:
    """Build, validate and write the release (Turtle, JSON-LD, N-Triples, N-Quads).

    Nothing is written if an input is wrong (exit 2) or the graph does not conform (exit 1);
    files are replaced atomically, so an interrupted build leaves the last release intact.
    """
    from kg.pipeline import build_release

    result = build_release(_project(ctx), out)
    click.echo(
        f"kg: built {result.claims} claims, {result.triples} triples; conforms; "
        f"wrote {', '.join(result.files)} to {result.out}",
        err=True,
    )


@main.command(epilog=EXIT_CODES)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the SHACL validation report (Turtle) to this file.",
)
@click.pass_context
@_reports_errors
def validate(ctx: click.Context, files: tuple[Path, ...], report_file: Path | None) -> None:
    """Validate RDF FILES (default: the release) against shapes/ and ontology/.

    Prints a readable report; all the files' graphs are validated together.
    """
    from kg.validation import validate_files

    project = _project(ctx)
    report = validate_files(_release_files(ctx, files), project.shape_files, project.ontology_file)
    click.echo(report.text(), nl=False)
    if report_file is not None:
        from kg.release import write_file

        write_file(report_file, report.graph.serialize(format="turtle", encoding="utf-8"))
    sys.exit(EXIT_OK if report.conforms else EXIT_NOT_CONFORMING)


@main.command(epilog=EXIT_CODES)
@click.argument("query")
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json", "turtle", "ntriples", "jsonld"]),
    help="Result format. [default: table on a terminal, else json; turtle for CONSTRUCT/DESCRIBE]",
)
@click.option(
    "--allow-service",
    is_flag=True,
    help="Allow SERVICE (the query may then contact other servers).",
)
@click.option(
    "--endpoint",
    metavar="URL",
    help="Query this SPARQL 1.1 endpoint instead of the release (exit 3 if it cut the results).",
)
@click.option(
    "--graph",
    metavar="IRI",
    help="With --endpoint: query this graph as the default graph (default-graph-uri).",
)
@connection_options
@click.pass_context
@_reports_errors
def query(
    ctx: click.Context,
    query: str,
    data: tuple[Path, ...],
    fmt: str | None,
    allow_service: bool,
    endpoint: str | None,
    graph: str | None,
    user: str | None,
    auth: str,
    timeout: float,
) -> None:
    """Run a SPARQL QUERY (text, or @file.rq) over the release, on the embedded engine.

    SELECT and ASK print a table (csv, tsv, json: SPARQL 1.1 results); CONSTRUCT and DESCRIBE
    print RDF. SERVICE is refused unless --allow-service is given.
    """
    from kg import query as q

    text = q.read_query(query)
    if endpoint is not None:
        from kg.endpoint import connection

        conn = connection(user, auth, timeout)
        result = q.run_remote_query(
            endpoint, text, conn, allow_service=allow_service, default_graph=graph
        )
    else:
        store = q.load_store(_release_files(ctx, data))
        result = q.run_query(store, text, allow_service=allow_service)
    if fmt is None:
        is_rdf = type(result).__name__ == "QueryTriples" or isinstance(result, list)
        fmt = "turtle" if is_rdf else ("table" if sys.stdout.isatty() else "json")
    click.echo(q.format_results(result, fmt, _prefixes(ctx, data)), nl=False)


@main.command(epilog=EXIT_CODES)
@click.argument("resource")
@data_option
@click.pass_context
@_reports_errors
def show(ctx: click.Context, resource: str, data: tuple[Path, ...]) -> None:
    """Everything the graph says about RESOURCE (a CURIE such as uniprot:P31645, or an IRI)."""
    from kg import query as q

    store = q.load_store(_release_files(ctx, data))
    click.echo(q.describe(store, resource, _prefixes(ctx, data)), nl=False)


@main.command(epilog=EXIT_CODES)
@click.argument("endpoint", required=False)
@click.option("--graph", metavar="IRI", help="The graph to replace. [default: the release's IRI]")
@click.option("--default-graph", is_flag=True, help="Replace the default graph instead.")
@click.option(
    "--named-graphs",
    is_flag=True,
    help="Load graph.nq with its named graphs (one per source), replacing each.",
)
@click.option(
    "--no-transaction",
    is_flag=True,
    help="Oxigraph only: load without one big transaction (several times faster; readers may "
    "see a partly loaded graph meanwhile; the result is still checked).",
)
@click.option(
    "--sparql",
    "sparql_url",
    metavar="URL",
    help="The store's SPARQL endpoint, for the check after loading. [default: beside "
    "ENDPOINT: /store -> /query, /sparql-graph-crud-auth -> /sparql]",
)
@click.option(
    "--virtuoso-bulk",
    metavar="HOST:PORT",
    help="Load with Virtuoso's bulk loader through isql at HOST:PORT instead of HTTP.",
)
@click.option(
    "--oxigraph-location",
    type=click.Path(file_okay=False, path_type=Path),
    help="Load with `oxigraph load` into this store folder (no server may hold it).",
)
@click.option(
    "--load-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --virtuoso-bulk: a folder of the server's DirsAllowed to copy the file to.",
)
@data_option
@connection_options
@click.pass_context
@_reports_errors
def load(
    ctx: click.Context,
    endpoint: str | None,
    graph: str | None,
    default_graph: bool,
    named_graphs: bool,
    no_transaction: bool,
    sparql_url: str | None,
    virtuoso_bulk: str | None,
    oxigraph_location: Path | None,
    load_dir: Path | None,
    data: tuple[Path, ...],
    user: str | None,
    auth: str,
    timeout: float,
) -> None:
    """Put the release into a running store, replacing its graph, and check the store then
    holds exactly the release's triples.

    ENDPOINT is the store's Graph Store Protocol endpoint, such as http://127.0.0.1:7878/store
    (Oxigraph) or http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso, digest auth).
    --data names a release folder other than dist/.
    """
    from kg import stores
    from kg.endpoint import EndpointError, connection

    release = data[0] if data else _project(ctx).dist
    target = None if default_graph else (graph or stores.release_iri(release))
    conn = connection(user, auth, timeout)
    if virtuoso_bulk:
        if load_dir is None or user is None:
            raise EndpointError("--virtuoso-bulk needs --load-dir and --user")
        result = stores.virtuoso_bulk_load(
            virtuoso_bulk,
            user,
            conn.password or "",
            release,
            load_dir,
            graph=target or "",
            named_graphs=named_graphs,
        )
    elif oxigraph_location is not None:
        result = stores.oxigraph_bulk_load(
            oxigraph_location, release, graph=target, named_graphs=named_graphs
        )
    elif endpoint is None:
        raise EndpointError(
            "give the store's Graph Store endpoint (or --virtuoso-bulk, --oxigraph-location)"
        )
    else:
        result = stores.load_release(
            endpoint,
            release,
            conn,
            graph=target,
            query_url=sparql_url,
            named_graphs=named_graphs,
            no_transaction=no_transaction,
        )
    for name, count in sorted(result.graphs.items()):
        where = name or "the default graph"
        click.echo(f"kg: loaded and checked {count} triples in {where}", err=True)


@main.command(epilog=EXIT_CODES)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback prints a warning.",
)
@click.option("--port", default=7878, show_default=True, type=int)
@click.option(
    "--timeout",
    default=30,
    show_default=True,
    type=int,
    help="Seconds after which a query is cancelled.",
)
@data_option
@click.pass_context
@_reports_errors
def serve(ctx: click.Context, host: str, port: int, timeout: int, data: tuple[Path, ...]) -> None:
    """Serve the release over SPARQL, read-only, until Ctrl-C (Oxigraph's server).

    --data names a release folder other than dist/.
    """
    from kg.stores import serve as serve_release

    release = data[0] if data else _project(ctx).dist
    sys.exit(serve_release(release, host, port, timeout))


MAPPING_FORMATS = ("sssom-tsv", "rdf")  # kg.mappings.render dispatches on the same names


@main.command(epilog=EXIT_CODES)
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(MAPPING_FORMATS)),
    default="sssom-tsv",
    show_default=True,
    help="SSSOM TSV (with its YAML metadata block), or RDF (Turtle).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)
@click.pass_context
@_reports_errors
def mappings(ctx: click.Context, data: tuple[Path, ...], fmt: str, out: Path | None) -> None:
    """Every cross-reference of every entity, as an SSSOM mapping set or as RDF."""
    from kg import mappings as m
    from kg import query as q

    store = q.load_store(_release_files(ctx, data))
    output = m.render(store, fmt)
    if out is None:
        click.echo(output, nl=False)
    else:
        from kg.release import write_file

        write_file(out, output)


@main.command(epilog=EXIT_CODES)
@click.argument("resource")
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "tsv"]),
    default=None,
    help="[default: table on a terminal, else tsv]",
)
@click.pass_context
@_reports_errors
def xrefs(ctx: click.Context, resource: str, data: tuple[Path, ...], fmt: str | None) -> None:
    """An entity's identifiers in other datasets, with mapping predicate and confidence.

    RESOURCE is a CURIE or IRI of an entity of the graph, or of one of its cross-references.
    """
    from kg import mappings as m
    from kg import query as q

    rows = m.xrefs(q.load_store(_release_files(ctx, data)), resource)
    columns = ["subject_id", "predicate_id", "object_id", "object_label", "confidence", "comment"]
    table = [[row[c] for c in columns] for row in rows]
    if (fmt or ("table" if sys.stdout.isatty() else "tsv")) == "tsv":
        click.echo("\t".join(columns))
        for line in table:
            click.echo("\t".join(line))
    else:
        click.echo(q.text_table(columns, table), nl=False)


@main.command(epilog=EXIT_CODES)
@data_option
@click.pass_context
@_reports_errors
def stats(ctx: click.Context, data: tuple[Path, ...]) -> None:
    """Counts per class and per predicate, and claims per epistemic status."""
    from kg import query as q

    store = q.load_store(_release_files(ctx, data))
    prefixes = _prefixes(ctx, data)
    sections = (
        ("Claims per epistemic status", "statuses"),
        ("Resources per class", "classes"),
        ("Triples per predicate", "predicates"),
    )
    for title, name in sections:
        click.echo(f"{title}:")
        result = q.run_query(store, q.packaged_query(name))
        click.echo(q.format_results(result, "table", prefixes), nl=False)
        click.echo()
