"""Putting the release into running triple stores, and serving it: Graph Store Protocol loads
that replace and then check, Virtuoso's bulk loader, and a local read-only Oxigraph server.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.endpoint import (
    Connection,
    EndpointError,
    count_triples,
    delete_graph,
    post_graph_without_transaction,
    post_quads,
    put_graph,
)

__all__ = [
    "LoadResult",
    "graph_names",
    "load_release",
    "oxigraph_bulk_load",
    "query_url_for",
    "release_iri",
    "serve",
    "virtuoso_bulk_load",
]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class LoadResult:
    """What a load put where, as checked afterwards in the store."""

    graphs: dict[str, int]


def query_url_for(gsp_url: str) -> str:
    """The SPARQL query endpoint beside a Graph Store endpoint (Oxigraph, Virtuoso).

    >>> query_url_for("http://127.0.0.1:7878/store")
    'http://127.0.0.1:7878/query'
    >>> query_url_for("http://127.0.0.1:8890/sparql-graph-crud-auth")
    'http://127.0.0.1:8890/sparql'
    """
    for suffix, replacement in (
        ("/store", "/query"),
        ("/sparql-graph-crud-auth", "/sparql"),
        ("/sparql-graph-crud", "/sparql"),
    ):
        if gsp_url.rstrip("/").endswith(suffix):
            return gsp_url.rstrip("/")[: -len(suffix)] + replacement
    raise EndpointError(f"cannot tell the SPARQL query endpoint of {gsp_url}: pass --sparql URL")


def _graph_parameter(gsp_url: str) -> str:
    return "graph-uri" if "sparql-graph-crud" in gsp_url else "graph"


def _lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def graph_names(nquads: Path) -> dict[str, int]:
    """The named graphs of an N-Quads file and how many triples each holds (streamed)."""
    counts: dict[str, int] = {}
    for quad in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS):
        name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
        counts[name] = counts.get(name, 0) + 1
    return counts


def release_iri(release: Path) -> str:
    """The release's version IRI, read from its dataset description (graph.nq, streamed)."""
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    dataset = ox.NamedNode("http://rdfs.org/ns/void#Dataset")
    for quad in ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS):
        if quad.predicate == rdf_type and quad.object == dataset:
            return str(quad.subject)[1:-1]
    raise EndpointError(f"{release}: no release description (void:Dataset) in graph.nq")


def load_release(
    gsp_url: str,
    release: Path,
    conn: Connection,
    *,
    graph: str | None,
    query_url: str | None = None,
    named_graphs: bool = False,
    no_transaction: bool = False,
) -> LoadResult:
    """Replace the release's graph(s) in a store and check the store now holds exactly them.

    ``named_graphs`` loads graph.nq with one graph per source (Oxigraph's ``POST /store``);
    otherwise graph.nt goes into ``graph`` (None: the default graph), in one transaction (PUT),
    or with ``no_transaction`` by Oxigraph's faster, non-atomic path (DELETE, then POST).

    :raises EndpointError: a refused or failed request, or a store that does not hold the
        release's triples afterwards (a partial load)
    """
    query_url = query_url or query_url_for(gsp_url)
    parameter = _graph_parameter(gsp_url)
    if named_graphs:
        expected = graph_names(release / "graph.nq")
        for name in expected:
            delete_graph(gsp_url, name, conn, graph_parameter=parameter)
        post_quads(gsp_url, release / "graph.nq", conn)
    else:
        expected = {graph or "": _lines(release / "graph.nt")}
        if no_transaction and graph:
            post_graph_without_transaction(gsp_url, graph, release / "graph.nt", conn)
        else:
            put_graph(gsp_url, graph, release / "graph.nt", conn, graph_parameter=parameter)
    found = {name: count_triples(query_url, name or None, conn) for name in expected}
    if found != expected:
        raise EndpointError(f"partial load: the store holds {found}, the release {expected}")
    return LoadResult(found)


def oxigraph_bulk_load(
    location: Path, release: Path, *, graph: str | None, named_graphs: bool = False
) -> LoadResult:
    """Load the release into an Oxigraph store folder that no server holds (``oxigraph load``,
    the native bulk path), replacing its graph(s), then count what the store holds."""
    oxigraph = _oxigraph_executable()
    source = release / ("graph.nq" if named_graphs else "graph.nt")
    expected = graph_names(source) if named_graphs else {graph or "": _lines(source)}
    drops = " ; ".join(
        f"DROP SILENT GRAPH <{name}>" if name else "DROP SILENT DEFAULT" for name in expected
    )
    _run([oxigraph, "update", "--location", str(location), "--update", drops], location)
    command = [oxigraph, "load", "--location", str(location), "--file", str(source)]
    if graph and not named_graphs:
        command += ["--graph", graph]
    _run(command, location)
    store = ox.Store(str(location))
    found = {}
    for name in expected:
        pattern = f"GRAPH <{name}> {{ ?s ?p ?o }}" if name else "?s ?p ?o"
        result = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        assert isinstance(result, ox.QuerySolutions)
        found[name] = int(next(iter(result))["n"].value)
    del store  # closes the database
    if found != expected:
        raise EndpointError(f"partial load: the store holds {found}, the release {expected}")
    return LoadResult(found)


def _oxigraph_executable() -> str:
    found = shutil.which("oxigraph") or shutil.which(
        "oxigraph", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise EndpointError("the oxigraph command is not installed (pip install oxigraph)")
    return found


def _run(command: list[str], where: Path) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise EndpointError(f"{where}: {Path(command[0]).name} {command[1]}: {last[:200]}")


def virtuoso_bulk_load(
    isql_address: str,
    user: str,
    password: str,
    release: Path,
    load_dir: Path,
    *,
    graph: str,
    isql: str = "isql-vt",
    named_graphs: bool = False,
) -> LoadResult:
    """Load the release with Virtuoso's bulk loader (ld_dir, rdf_loader_run), replacing it.

    ``load_dir`` must be one of the server's DirsAllowed. Errors of the loader, which raises
    none itself, are read from DB.DBA.LOAD_LIST.ll_error.
    """
    source = release / ("graph.nq" if named_graphs else "graph.nt")
    expected = graph_names(source) if named_graphs else {graph: _lines(source)}
    target = load_dir.resolve() / f"kg-release{source.suffix}"
    shutil.copyfile(source, target)
    clears = " ".join(f"SPARQL CLEAR GRAPH <{name}>;" for name in expected)
    script = (
        f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = '{target}'; {clears} "
        f"ld_dir('{target.parent}', '{target.name}', '{graph}'); rdf_loader_run(); checkpoint; "
        f"SELECT 'LL_ERROR', ll_error FROM DB.DBA.LOAD_LIST WHERE ll_file = '{target}';"
    )
    output = _isql(isql, isql_address, user, password, script)
    errors = re.findall(r"^LL_ERROR[ \t]+(.+)$", output, re.MULTILINE)
    if not errors:
        raise EndpointError(f"{isql_address}: the bulk loader did not register {target.name}")
    if errors[0].strip() not in ("NULL", ""):
        raise EndpointError(f"{isql_address}: the bulk loader failed: {errors[0].strip()[:200]}")
    counts = _virtuoso_counts(isql, isql_address, user, password, expected)
    if counts != expected:
        raise EndpointError(f"partial load: the store holds {counts}, the release {expected}")
    return LoadResult(counts)


def _virtuoso_counts(
    isql: str, address: str, user: str, password: str, expected: dict[str, int]
) -> dict[str, int]:
    counts = {}
    for name in expected:
        output = _isql(
            isql,
            address,
            user,
            password,
            f"SPARQL SELECT 'COUNT', COUNT(*) FROM <{name}> WHERE {{ ?s ?p ?o }};",
        )
        found = re.search(r"^COUNT[ \t]+(\d+)", output, re.MULTILINE)
        counts[name] = int(found.group(1)) if found else -1
    return counts


def _isql(isql: str, address: str, user: str, password: str, script: str) -> str:
    try:
        result = subprocess.run(
            [isql, address, user, password, f"EXEC={script}"],
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    except FileNotFoundError as error:
        raise EndpointError(
            f"{isql} not found (apt-get install virtuoso-opensource-7-bin)"
        ) from error
    output = result.stdout + result.stderr
    if result.returncode != 0 or "*** Error" in output:
        line = next((x for x in output.splitlines() if "Error" in x), output.strip()[:200])
        raise EndpointError(f"{address}: isql failed: {line.replace(password, '***')}")
    return output


def serve(release: Path, host: str, port: int, timeout_s: int) -> int:
    """Serve the release read-only over SPARQL (Oxigraph's server) until interrupted.

    Loads graph.nq into a temporary store, starts ``oxigraph serve-read-only`` on host:port
    with a query timeout, prints the URL and a sample query, and on Ctrl-C stops the server and
    removes the store. Returns the server's exit code.
    """
    oxigraph = _oxigraph_executable()
    location = Path(tempfile.mkdtemp(prefix="kg-serve-"))
    try:
        subprocess.run(
            [oxigraph, "load", "--location", str(location), "--file", str(release / "graph.nq")],
            check=True,
            capture_output=True,
        )
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        server = subprocess.Popen(
            [
                oxigraph,
                "serve-read-only",
                "--location",
                str(location),
                "--bind",
                bind,
                "--union-default-graph",
                "--timeout-s",
                str(timeout_s),
            ]
        )
        _announce(host, port)
        try:
            return server.wait()
        except KeyboardInterrupt:
            stop_process(server, signal.SIGINT)
            return 0
    finally:
        shutil.rmtree(location, ignore_errors=True)


def stop_process(
    process: subprocess.Popen[bytes], first: int = signal.SIGTERM, grace: float = 10.0
) -> None:
    """Stop a child by its own PID: ``first`` signal, then SIGKILL after ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(first)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _announce(host: str, port: int) -> None:
    url = f"http://{host}:{port}/query"
    print(f"kg: serving the release read-only at {url} (Ctrl-C stops)", file=sys.stderr)
    print(
        f"kg: try: curl -H 'Accept: text/csv' --data-urlencode "
        f"'query=SELECT ?claim ?label WHERE {{ ?claim a "
        f"<https://w3id.org/drugclaims/ontology#Claim> ; "
        f"<http://www.w3.org/2000/01/rdf-schema#label> ?label }}' {url}",
        file=sys.stderr,
    )
    if host not in LOOPBACK:
        print(
            f"kg: warning: bound to {host}, not loopback: anyone who can reach this machine "
            "can query the store (read-only, with a timeout; Oxigraph has no authentication)",
            file=sys.stderr,
        )
