"""The ``kg`` command line: one click group, each command a few lines over library functions.

Data goes to standard output, messages to standard error. Exit codes: 0 success (the graph
conforms); 1 the graph does not conform to the shapes; 2 bad input or a runtime error (one line
naming what failed; a traceback only with --debug); 3 a remote store cut the results; 130
interrupted. Heavy modules are imported inside the commands, so that ``kg query`` starts fast.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from contextlib import suppress
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from kg.curation.documents.formats import FORMATS as DOCUMENT_FORMATS
from kg.errors import IndexDamaged, InputError, KGError, NotConformingError, TruncatedResults
from kg.version import __version__

if TYPE_CHECKING:
    from kg.curation.project import Project

__all__ = ["main"]

EXIT_OK, EXIT_NOT_CONFORMING, EXIT_ERROR, EXIT_TRUNCATED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE, as a shell reports a command whose reader went away
EXIT_CODES = """\b
Exit codes: 0 success; 1 the graph does not conform to the shapes;
2 bad input or runtime error (one line on stderr; a traceback with --debug);
3 a remote store cut the results (kg query --endpoint); 130 interrupted;
141 the reader of standard output went away (kg stats | head -1), silently."""
MAPPING_FORMATS = ("sssom-tsv", "rdf")  # kg.formats.mappings.render dispatches on the same names
RESULT_CHOICES = ("table", "csv", "tsv", "json", "turtle", "ntriples", "jsonld")

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


# --- the error boundary --------------------------------------------------------------------


def _fail(message: str, code: int) -> NoReturn:
    if click.get_current_context().meta.get("kg.debug"):
        traceback.print_exc()
    click.echo(message, err=True)
    sys.exit(code)


def _closed_pipe() -> NoReturn:
    """The reader of standard output went away (``kg stats | head -1``): stop quietly, as
    command-line tools do, with the shell's code for SIGPIPE; standard output is pointed at
    the null device so that the interpreter's last flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (an in-process runner): nothing to do
        pass
    finally:
        os.close(devnull)
    sys.exit(EXIT_CLOSED_PIPE)


def _os_message(error: OSError) -> str:
    reason = error.strerror or str(error) or type(error).__name__
    return f"{error.filename}: {reason}" if error.filename else reason


def _reports_errors(command: F) -> F:
    """Every failure becomes one line on stderr and an exit code (with --debug, the traceback
    is printed too, and the exit code is the same)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TruncatedResults as error:
            _fail(f"kg: error: {error}", EXIT_TRUNCATED)
        except NotConformingError as error:
            expert = click.get_current_context().meta.get("kg.debug")
            click.echo(error.detail if expert else error.report, err=True, nl=False)
            _fail("kg: the graph does not conform to the shapes; nothing was written.", 1)
        except KGError as error:
            _fail(f"kg: error: {error}", EXIT_ERROR)
        except KeyboardInterrupt:
            _fail("kg: interrupted; nothing was changed", EXIT_INTERRUPTED)
        except BrokenPipeError:
            _closed_pipe()
        except OSError as error:
            _fail(f"kg: error: {_os_message(error)}", EXIT_ERROR)
        except (UnicodeError, MemoryError, SyntaxError, ValueError) as error:
            _fail(f"kg: error: {type(error).__name__}: {error}", EXIT_ERROR)
        except Exception as error:  # the CLI boundary: a bug, said in one line, never hidden
            _fail(
                f"kg: internal error: {type(error).__name__}: {error} "
                "(rerun with --debug for the traceback, and report it)",
                EXIT_ERROR,
            )

    return wrapper  # type: ignore[return-value]


# --- options every command shares ----------------------------------------------------------


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep --project and --debug in the context's meta, shared by the group and commands, so
    that they may stand before or after the command's name."""
    if value:
        ctx.meta[f"kg.{param.name}"] = value
    return value


def common_options(command: F) -> F:
    """--project and --debug, accepted by the group and by every command."""
    command = click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        callback=_remember,
        help="Show the traceback of an error, and each shape violation's SHACL result (the "
        "exit code stays the same).",
    )(command)
    return click.option(
        "--project",
        type=click.Path(file_okay=False, path_type=Path),
        expose_value=False,
        callback=_remember,
        help="The project folder (with dataset.yaml).  [default: .]",
    )(command)


def connection_options(command: F) -> F:
    """--user and --auth, shared by the commands that talk to a store."""
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


timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds to wait for the store's answer (with --endpoint), or that a local query may "
    "run before it is stopped.",
)
data_option = click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="An RDF file to use instead of the release (.ttl .nt .nq .trig .jsonld); repeatable.",
)
jobs_option = click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Local processes that validate the sources (each source on its own).",
)
release_option = click.option(
    "--release",
    "release",
    type=click.Path(path_type=Path),
    help="A release folder (as kg build writes it) to use instead of the project's dist/.",
)
pictures_option = click.option(
    "--no-pictures",
    "pictures",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Draw no diagrams or charts on the pages (they need Graphviz's dot; without it and "
    "without this flag, kg says so and exits 2).",
)


def _project(ctx: click.Context) -> Any:
    from kg.curation.project import Project

    return Project(Path(ctx.meta.get("kg.project", ".")))


def _release_folder(ctx: click.Context, release: Path | None) -> Path:
    if release is not None:
        return release
    project = _project(ctx)
    project.check()
    return Path(project.dist)


def _release_files(ctx: click.Context, data: tuple[Path, ...]) -> list[Path]:
    """The RDF files a command reads: --data, else the project's release (which must exist)."""
    if data:
        return list(data)
    nquads = _release_folder(ctx, None) / "graph.nq"
    if not nquads.is_file():
        raise InputError(str(nquads), None, None, "no release yet: build it first (kg build)")
    return [nquads]


def _store(
    ctx: click.Context, data: tuple[Path, ...], index: Path | None = None
) -> tuple[Any, Any]:
    """The store a command asks (the release's ``index``, else the data loaded in memory),
    and the converter of the prefixes it declares."""
    from kg.curation.converter import declared_converter
    from kg.sparql.query import load_store
    from kg.stores.index import open_index

    store = open_index(index) if index is not None else load_store(_release_files(ctx, data))
    return store, declared_converter(store)


def _index(ctx: click.Context, data: tuple[Path, ...]) -> Path | None:
    """The index of the project's release (:mod:`kg.stores.index`), made now if need be, when
    the command reads the release (no --data) and an index can be kept; else None."""
    if data:
        return None
    from kg.stores.index import release_index

    nquads = _release_files(ctx, data)[0]
    index, wrong = release_index(nquads, _project(ctx).root / ".kg-cache")
    if wrong:
        click.echo(f"kg: the release's query index was not sound ({wrong}); made again", err=True)
    return index


def _answered(ctx: click.Context, data: tuple[Path, ...], answer: Callable[[Path | None], T]) -> T:
    """``answer(index)`` (:func:`_index`); when the index is found damaged on the way, it is
    dropped and ``answer`` asked again of a new one."""
    from kg.stores.index import discard, is_damage

    index = _index(ctx, data)
    try:
        return answer(index)
    except Exception as error:
        if index is None or not is_damage(error):
            raise
        nquads = _release_files(ctx, data)[0]
        discard(nquads, _project(ctx).root / ".kg-cache")
        click.echo(f"kg: the release's query index was damaged ({error}); made again", err=True)
        return answer(_index(ctx, data))


@click.group(epilog=EXIT_CODES)
@common_options
@click.version_option(__version__, prog_name="kg")
def main() -> None:
    """Publish the claims of biomedical literature as a validated, text-anchored RDF graph."""
    if hasattr(signal, "SIGUSR1") and sys.__stderr__ is not None:
        # `kill -USR1 PID`: what every thread of kg is doing now, on the process's own stderr
        with suppress(OSError, ValueError):  # no descriptor (kg run inside another program)
            faulthandler.register(signal.SIGUSR1, file=sys.__stderr__, all_threads=True)


# --- the commands ---------------------------------------------------------------------------


@main.command(epilog=EXIT_CODES)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the release: a new or empty folder, or an earlier release.  "
    "[default: dist/]",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write the release files into --out even if it holds other files (they are kept); "
    "build even if the release is up to date.",
)
@jobs_option
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Validate the sources on this Dask distributed cluster (tcp://HOST:PORT) instead.",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep what each source gave here, so that an unchanged source is not read, built or "
    "validated again.  [default: .kg-cache/ in the project]",
)
@click.option(
    "--no-cache", is_flag=True, help="Read, build and validate every source; keep nothing."
)
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign the nanopublications with this RSA private key (base64, as the nanopub "
    "library writes it); unsigned otherwise.",
)
@common_options
@click.pass_context
@_reports_errors
def build(
    ctx: click.Context,
    out: Path | None,
    force: bool,
    jobs: int,
    scheduler: str | None,
    cache: Path | None,
    no_cache: bool,
    sign_key: Path | None,
) -> None:
    """Build, validate and write the release (Turtle, JSON-LD, N-Triples, N-Quads, SSSOM,
    KGX, nanopublications, its HCLS description).

    Nothing is written if an input is wrong (exit 2) or the graph does not conform (exit 1):
    then each violation is one line on stderr, `file:line: record: field: value what is
    wrong (allowed: ...)`, naming the curated record that made it (--debug adds its SHACL
    result). The release is written beside the folder and swapped in whole, in one step: a
    reader sees the old release or the new one, never a mix, and an interrupted build changes
    nothing.

    When nothing changed since the last build (no input file, no option, not kg itself) and
    the release is the one it wrote, nothing is done (exit 0); --force or --no-cache build
    anyway.
    """
    if not (force or no_cache) and _up_to_date(ctx, out, sign_key):
        return
    from kg.api import build_release

    project = _project(ctx)
    folder = None if no_cache else (cache or project.root / ".kg-cache")
    result = build_release(
        project,
        out,
        force=force,
        jobs=jobs,
        scheduler=scheduler,
        cache=folder,
        sign_key=sign_key,
    )
    click.echo(
        f"kg: built {result.claims} claims, {result.triples} triples; conforms; "
        f"wrote {', '.join(result.files)} to {result.out}",
        err=True,
    )


def _up_to_date(ctx: click.Context, out: Path | None, sign_key: Path | None) -> bool:
    """Whether the release at ``out`` is the one the last build wrote from the same inputs and
    options (said on stderr); checked before the build's heavy modules are loaded."""
    from kg.build.manifest import is_up_to_date, read_manifest, take_fingerprint

    root = Path(ctx.meta.get("kg.project", "."))
    target = out if out is not None else root / "dist"
    manifest = read_manifest(target)
    fingerprint = take_fingerprint(root, target, sign_key=sign_key, previous=manifest)
    if fingerprint is None or not is_up_to_date(target, fingerprint, manifest, remember=True):
        return False
    shown = "dist" if out is None else out.as_posix().rstrip("/")
    click.echo(
        f"kg: {shown}/ is up to date ({fingerprint.inputs} inputs unchanged); nothing to do",
        err=True,
    )
    return True


@main.command("new", epilog=EXIT_CODES)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    help="The source's key (its folder and IRIs).  [default: pubmed-PMID, from the document]",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(DOCUMENT_FORMATS)),  # the table the build's parsers come from
    help="The document's format.  [default: detected from its first bytes; plain text must be "
    "named]",
)
@common_options
@click.pass_context
@_reports_errors
def new(ctx: click.Context, file: Path, key: str | None, fmt: str | None) -> None:
    """Make a source folder of the document FILE (PubMed XML, MEDLINE text, an article page
    saved as HTML, or plain text): sources/KEY/ with FILE as received, a source.yaml of what
    its parser read and a claims.yaml with no claims; and list it in dataset.yaml.

    Nothing is written if the document cannot be read or parsed, or the folder exists.
    """
    from kg.curation.intake import new_source

    made = new_source(_project(ctx), file, key=key, parser=fmt)
    click.echo(f"kg: made {made.folder}/ ({', '.join(made.files)}; parser {made.parser})", err=True)
    if not made.listed:
        raise InputError(
            "dataset.yaml",
            None,
            None,
            f"cannot add {made.folder} to the sources: list safely; add this line under "
            f"sources: yourself: {made.dataset_line.strip()}",
        )
    click.echo(
        f"kg: listed {made.folder} in dataset.yaml; next: add claims to "
        f"{made.folder}/claims.yaml, then run kg build",
        err=True,
    )


@main.command(epilog=EXIT_CODES)
@click.option(
    "--check",
    is_flag=True,
    help="Only check that the lock file is what Bioregistry gives now (exit 2 if not).",
)
@common_options
@click.pass_context
@_reports_errors
def prefixes(ctx: click.Context, check: bool) -> None:
    """Resolve catalogue/prefixes.yaml with Bioregistry into catalogue/prefixes.lock.json.

    The build reads the lock, not Bioregistry: run this after editing prefixes.yaml or
    upgrading Bioregistry, and review the diff (a changed URI prefix changes published IRIs).
    """
    from kg.curation.prefixes import lock_text

    project = _project(ctx)
    project.check()
    text = lock_text(project.prefixes_file, display=project.display(project.prefixes_file))
    _lock(project, project.prefixes_lock_file, text, check=check, command="kg prefixes")


@main.command(epilog=EXIT_CODES)
@click.option(
    "--check",
    is_flag=True,
    help="Only check that the lock file is what the installed biolink-model package gives "
    "(exit 2 if not).",
)
@common_options
@click.pass_context
@_reports_errors
def biolink(ctx: click.Context, check: bool) -> None:
    """Lock the installed Biolink Model into catalogue/biolink.lock.json.

    The build checks every category, claim predicate and Biolink qualifier, and every claim's
    subject and object against its predicate's domain and range, with the lock, never the
    package: run this after upgrading biolink-model (pip install 'drugclaims-kg[biolink]'),
    and review the diff.
    """
    from kg.curation.biolink import lock_text
    from kg.runtime.offline import offline

    project = _project(ctx)
    project.check()
    with offline():
        text = lock_text()
    _lock(project, project.biolink_lock_file, text, check=check, command="kg biolink")


def _lock(project: Project, lock: Path, text: bytes, *, check: bool, command: str) -> None:
    """Write a lock file (saying whether it changed), or with ``check`` only compare it.

    :raises InputError: with ``check``, the lock is not ``text``
    """
    from kg.runtime.publish import write_file

    current = lock.read_bytes() if lock.is_file() else b""
    if check:
        if _without_version(current) != _without_version(text):
            raise InputError(
                project.display(lock), None, None, f"stale: run `{command}` and review the diff"
            )
        click.echo(f"kg: {project.display(lock)} is current", err=True)
        return
    write_file(lock, text)
    change = "unchanged" if current == text else "written"
    click.echo(f"kg: {project.display(lock)} {change}", err=True)


def _without_version(lock: bytes) -> bytes:
    """A lock without the Bioregistry version line: a new version that resolves every prefix
    alike leaves the lock current. (The Biolink lock's version is part of its content.)"""
    return b"\n".join(line for line in lock.split(b"\n") if b'"bioregistry_version"' not in line)


@main.command(epilog=EXIT_CODES)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the SHACL validation report (Turtle) to this file.",
)
@jobs_option
@common_options
@click.pass_context
@_reports_errors
def validate(
    ctx: click.Context, files: tuple[Path, ...], report_file: Path | None, jobs: int
) -> None:
    """Validate RDF FILES (default: the release) against the project's shapes/ and ontology/.

    Prints a readable report, one line a violation. A release's N-Quads is validated source by
    source, as kg build does; other data as one graph. The project's own release (no FILES)
    names, for each violation, the curated record that made it, while the curation files are
    still those it was built from.
    """
    from kg.build.tracing import trace_release
    from kg.build.units import validate_files

    project = _project(ctx)
    project.check()
    data = _release_files(ctx, files)
    report = validate_files(data, project.shape_files, project.ontology_file, jobs=jobs)
    if not files:  # the project's own release: its violations traced to the curation files
        report = trace_release(project, data[0], report)
    click.echo(report.text(verbose=bool(ctx.meta.get("kg.debug"))), nl=False)
    if report_file is not None:
        from kg.runtime.publish import write_file

        write_file(report_file, report.graph.serialize(format="turtle", encoding="utf-8"))
    sys.exit(EXIT_OK if report.conforms else EXIT_NOT_CONFORMING)


@main.command(epilog=EXIT_CODES)
@click.argument("query")
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(RESULT_CHOICES),
    help="Result format.  [default: table on a terminal, else json; turtle for CONSTRUCT/DESCRIBE]",
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
    help="With --endpoint: query this graph.  [default: the graphs kg load writes the "
    "project's release to]",
)
@click.option(
    "--store-default-graph",
    is_flag=True,
    help="With --endpoint: query the store's own default graph instead.",
)
@click.option(
    "--memory",
    type=click.IntRange(min=16),
    default=2048,
    show_default=True,
    help="Megabytes of memory a local query may use before it is stopped.",
)
@timeout_option
@connection_options
@common_options
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
    store_default_graph: bool,
    memory: int,
    timeout: float,
    user: str | None,
    auth: str,
) -> None:
    """Run a SPARQL QUERY (text, or @file.rq) over the release, on the embedded engine.

    The release's prefixes (biolink:, kgo:, MONDO: ...) are predeclared; a PREFIX the query
    declares wins. SELECT and ASK print a table (csv, tsv, json: SPARQL 1.1 results); CONSTRUCT
    and DESCRIBE print RDF. Updates are refused; so is SERVICE unless --allow-service is given.
    A local query is stopped after --timeout seconds or --memory megabytes.
    """
    from kg.curation.converter import prefix_map
    from kg.formats import render
    from kg.sparql import query as q

    text = q.read_query(query)
    tty = sys.stdout.isatty()
    if endpoint is not None:
        from kg.sparql.endpoint import connection

        conn = connection(user, auth, timeout)
        defaults, named, converter = _endpoint_dataset(
            ctx, endpoint, conn, graph, store_default_graph
        )
        result = q.run_remote_query(
            endpoint,
            text,
            conn,
            allow_service=allow_service,
            default_graphs=defaults,
            named_graphs=named,
            prefixes=prefix_map(converter),
        )
        click.echo(render.answer(result, fmt, converter, text, tty=tty), nl=False)
        return
    from kg.runtime.processes import run_bounded
    from kg.stores.index import is_damage

    def bounded(index: Path | None) -> bytes:
        opened: list[tuple[Any, Any]] = []

        def told(step: Callable[[], T]) -> Callable[[], T]:
            """``step``, in the child, with an error of the index's storage told apart: the
            parent sees only an error's kind."""

            def run() -> T:
                try:
                    return step()
                except Exception as error:
                    if index is not None and is_damage(error):
                        raise IndexDamaged(str(error)) from error
                    raise

            return run

        def work() -> bytes:  # --data files are loaded within the limits too
            store, converter = opened[0] if opened else _store(ctx, data, index)
            prefixes = prefix_map(converter)
            result = q.run_query(store, text, allow_service=allow_service, prefixes=prefixes)
            return render.answer(result, fmt, converter, text, tty=tty)

        # the index is opened before the memory limit applies: see run_bounded
        before = told(lambda: opened.append(_store(ctx, data, index))) if index else None
        quiet = not ctx.meta.get("kg.debug")
        return run_bounded(
            told(work), timeout=timeout, memory_mb=memory, quiet=quiet, before=before
        )

    click.echo(_answered(ctx, data, bounded), nl=False)


def _endpoint_dataset(
    ctx: click.Context, url: str, conn: Any, graph: str | None, store_default_graph: bool
) -> tuple[list[str], list[str], Any]:
    """The graphs a remote query reads (default, named), and the converter of the prefixes of
    the project's release (if there is one)."""
    import curies

    from kg.curation.converter import release_converter
    from kg.stores.graph_store import query_dataset

    nquads = _project(ctx).dist / "graph.nq"
    converter = release_converter(nquads) if nquads.is_file() else curies.Converter([])
    if graph is not None:
        return [graph], [], converter
    if store_default_graph:
        return [], [], converter
    if not nquads.is_file():
        click.echo(
            "kg: no local release to tell which graphs kg load wrote: querying the store's "
            "default graph (pass --graph IRI to choose one)",
            err=True,
        )
        return [], [], converter
    defaults, named = query_dataset(nquads.parent, url, conn)
    return defaults, named, converter


@main.command(epilog=EXIT_CODES)
@click.argument("resource")
@data_option
@common_options
@click.pass_context
@_reports_errors
def show(ctx: click.Context, resource: str, data: tuple[Path, ...]) -> None:
    """Everything the graph says about RESOURCE (a CURIE such as uniprot:P31645, or an IRI)."""
    from kg.formats.render import describe

    def answer(index: Path | None) -> str:
        store, converter = _store(ctx, data, index)
        return describe(store, resource, converter)

    click.echo(_answered(ctx, data, answer), nl=False)


@main.command(epilog=EXIT_CODES)
@click.argument("endpoint", required=False)
@click.option("--graph", metavar="IRI", help="The graph to replace.  [default: the release's IRI]")
@click.option("--default-graph", is_flag=True, help="Replace the store's default graph instead.")
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
    help="The store's SPARQL endpoint, for the check after loading.  [default: beside "
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
@release_option
@timeout_option
@connection_options
@common_options
@click.pass_context
@_reports_errors
def load(ctx: click.Context, /, endpoint: str | None, **options: Any) -> None:
    """Put the release into a running store, replacing its graph, and check the store then
    holds exactly the release's triples.

    ENDPOINT is the store's Graph Store Protocol endpoint, such as http://127.0.0.1:7878/store
    (Oxigraph) or http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso, digest auth).
    """
    from kg.formats.files import check_release
    from kg.formats.listing import check_release_files
    from kg.sparql.endpoint import connection
    from kg.stores import graph_store as stores

    release = _release_folder(ctx, options.pop("release"))
    check_release(release)
    check_release_files(release)  # every file as its description lists it, as kg serve checks
    graph, default_graph = options.pop("graph"), options.pop("default_graph")
    target = None if default_graph else (graph or stores.release_iri(release))
    conn = connection(options.pop("user"), options.pop("auth"), options.pop("timeout"))
    request = stores.LoadRequest(release, target, endpoint=endpoint, **options)
    for name, count in sorted(stores.load(request, conn).graphs.items()):
        where = name or "the default graph"
        click.echo(f"kg: loaded and checked {count} triples in {where}", err=True)


@main.command(epilog=EXIT_CODES)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Folder to write the site to (default: site/ in the project).",
)
@click.option(
    "--host",
    "public_host",
    default="https://example.org",
    show_default=True,
    help="Where the site will be served: the .htaccess for w3id.org redirects there.",
)
@click.option(
    "--force", is_flag=True, help="Write the site's files into a folder that holds others."
)
@pictures_option
@release_option
@common_options
@click.pass_context
@_reports_errors
def site(
    ctx: click.Context,
    out: Path | None,
    public_host: str,
    force: bool,
    pictures: bool,
    release: Path | None,
) -> None:
    """Write the release as a static site: a page and Turtle, JSON-LD, N-Triples and RDF/XML
    for every resource, an index, and the nginx.conf and .htaccess that serve it as linked
    data. Claim and entity pages show a diagram and the index charts the claims, drawn with
    Graphviz's dot (--no-pictures: none)."""
    from kg.formats.files import check_release
    from kg.web.site import build_site

    folder = _release_folder(ctx, release)
    check_release(folder)
    target = out if out is not None else _project(ctx).root / "site"
    pages, _ = build_site(folder, target, public_host=public_host, force=force, pictures=pictures)
    click.echo(f"kg: wrote {pages} pages to {target}", err=True)


@main.command(epilog=EXIT_CODES)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback prints a warning.",
)
@click.option("--port", default=7878, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Another host name clients reach the server by (the Host header); repeatable. "
    "Requests for any other host are refused.",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    help="Seconds a query may run before it is stopped (at most 86400).",
)
@click.option(
    "--memory",
    default=1024,
    show_default=True,
    help="Megabytes of memory a query may use before it is stopped (16 to 1048576).",
)
@click.option(
    "--concurrent-queries",
    default=4,
    show_default=True,
    help="Queries that run at once (1 to 256, and fewer than half of --threads); as many "
    "more may wait for their turn.",
)
@click.option(
    "--query-wait",
    default=5.0,
    show_default=True,
    help="Seconds a query waits for its turn before it is answered 503 (0 to 3600).",
)
@click.option(
    "--threads",
    default=16,
    show_default=True,
    help="Requests answered at once (1 to 1024); 32 more wait, the rest are answered 503.",
)
@click.option(
    "--max-connections",
    default=1000,
    show_default=True,
    help="Connections held while they send their request (1 to 1048576); a new one past "
    "that drops the oldest.",
)
@click.option(
    "--max-client-connections",
    default=32,
    show_default=True,
    help="Connections one client address holds at once (1 to 1048576); past that, 503. "
    "Behind a reverse proxy every client is the proxy: raise it to the proxy's.",
)
@click.option(
    "--allow-service",
    is_flag=True,
    help="Let queries use SERVICE (the server then contacts other servers for any caller).",
)
@pictures_option
@release_option
@common_options
@click.pass_context
@_reports_errors
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    allow_hosts: tuple[str, ...],
    timeout: float,
    memory: int,
    concurrent_queries: int,
    query_wait: float,
    threads: int,
    max_connections: int,
    max_client_connections: int,
    allow_service: bool,
    pictures: bool,
    release: Path | None,
) -> None:
    """Serve the release over SPARQL, read-only, at http://HOST:PORT/query until Ctrl-C.

    Each query runs in a process of its own, stopped at --timeout or --memory; updates and
    SERVICE are refused; requests for another Host are refused (no DNS rebinding). Ctrl-C,
    SIGTERM and SIGHUP stop the server. It answers at once: until the release's store and
    pages are ready (made at the first start of a release, kept for the next in
    $KG_SERVE_CACHE, else ~/.cache/kg/serve), every request is answered 503 with Retry-After.
    """
    from kg.formats.files import check_release
    from kg.web import server
    from kg.web.pictures import require_dot

    try:
        limits = server.Limits(
            timeout, memory, concurrent_queries, allow_service=allow_service, wait_s=query_wait
        )
        connections = server.Connections(
            threads=threads, reading=max_connections, per_client=max_client_connections
        )
        server.check_together(limits, connections)
    except server.LimitError as error:
        raise InputError(_SERVE_LIMITS[error.limit], None, None, error.reason) from error
    folder = _release_folder(ctx, release)
    check_release(folder)
    if pictures:  # before loading anything: a missing dot is one line at once
        require_dot()
    sys.exit(
        server.serve(
            folder,
            host,
            port,
            limits,
            hosts=allow_hosts,
            connections=connections,
            pictures=pictures,
        )
    )


#: The option of kg serve that sets each limit (kg.web.server's Limits and Connections).
_SERVE_LIMITS = {
    "timeout_s": "--timeout",
    "memory_mb": "--memory",
    "concurrent": "--concurrent-queries",
    "wait_s": "--query-wait",
    "threads": "--threads",
    "reading": "--max-connections",
    "per_client": "--max-client-connections",
}


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
@common_options
@click.pass_context
@_reports_errors
def mappings(ctx: click.Context, data: tuple[Path, ...], fmt: str, out: Path | None) -> None:
    """Every cross-reference of every entity, as an SSSOM mapping set or as RDF."""
    from kg.formats import mappings as m

    output = _answered(ctx, data, lambda index: m.render(_store(ctx, data, index)[0], fmt))
    if out is None:
        click.echo(output, nl=False)
    else:
        from kg.runtime.publish import write_file

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
@common_options
@click.pass_context
@_reports_errors
def xrefs(ctx: click.Context, resource: str, data: tuple[Path, ...], fmt: str | None) -> None:
    """An entity's identifiers in other datasets, with mapping predicate and confidence.

    RESOURCE is a CURIE or IRI of an entity of the graph, or of one of its cross-references.
    """
    from kg.formats import mappings as m
    from kg.formats.render import text_table

    rows = _answered(ctx, data, lambda index: m.xrefs(_store(ctx, data, index)[0], resource))
    columns = ["subject_id", "predicate_id", "object_id", "object_label", "confidence", "comment"]
    table = [[row[c] for c in columns] for row in rows]
    if (fmt or ("table" if sys.stdout.isatty() else "tsv")) == "tsv":
        click.echo("\t".join(columns))
        for line in table:
            click.echo("\t".join(line))
    else:
        click.echo(text_table(columns, table), nl=False)


@main.command(epilog=EXIT_CODES)
@data_option
@common_options
@click.pass_context
@_reports_errors
def stats(ctx: click.Context, data: tuple[Path, ...]) -> None:
    """Claims per epistemic status, the pairs of claims that conflict, counts per class and
    per predicate."""
    from kg.formats.render import format_results
    from kg.sparql import query as q

    sections = (
        ("Claims per epistemic status", "statuses"),
        ("Claims that conflict", "conflicts"),
        ("Resources per class", "classes"),
        ("Triples per predicate", "predicates"),
    )

    def answer(index: Path | None) -> bytes:
        store, converter = _store(ctx, data, index)
        text = b""
        for title, name in sections:
            result = q.run_query(store, q.packaged_query(name))
            text += f"{title}:\n".encode() + format_results(result, "table", converter) + b"\n"
        return text

    click.echo(_answered(ctx, data, answer), nl=False)


@main.command(epilog=EXIT_CODES)
@click.argument("old", type=click.Path(file_okay=False, path_type=Path))
@click.argument("new", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for programs.",
)
@common_options
@click.pass_context
@_reports_errors
def diff(ctx: click.Context, old: Path, new: Path, fmt: str) -> None:
    """What changed from release OLD to release NEW (two folders kg build wrote): claims added,
    removed and changed (status, qualifiers, quote, identifiers ...), cross-references added
    and removed, and the release the changes call for (major, minor, patch; README, Versions).
    """
    from kg.api import diff as diff_releases
    from kg.curation.converter import release_converter

    found = diff_releases(old, new)
    if fmt == "json":
        click.echo(json.dumps(found.as_json(), indent=2, ensure_ascii=False))
        return
    converter = release_converter(new / "graph.nq")
    click.echo(found.text(lambda iri: converter.compress(iri) or iri), nl=False)
