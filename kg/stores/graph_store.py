"""Putting the release into running triple stores: Graph Store Protocol loads that replace and
then check, or a store's bulk loader (:mod:`kg.stores.oxigraph`, :mod:`kg.stores.virtuoso`);
and the graphs a later ``kg query --endpoint`` reads, so that a user who loads and then queries
gets the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.formats.files import check_release
from kg.sparql.endpoint import (
    Connection,
    EndpointError,
    count_triples,
    delete_graph,
    post_graph_without_transaction,
    post_quads,
    put_graph,
)

__all__ = [
    "LoadRequest",
    "LoadResult",
    "graph_names",
    "load",
    "load_release",
    "query_dataset",
    "query_url_for",
    "release_iri",
]


@dataclass(frozen=True)
class LoadResult:
    """What a load put where, as checked afterwards in the store."""

    graphs: dict[str, int]


@dataclass(frozen=True)
class LoadRequest:
    """Where and how ``kg load`` puts a release.

    ``endpoint`` is a Graph Store Protocol URL; ``virtuoso_bulk`` (isql HOST:PORT, with
    ``load_dir``) or ``oxigraph_location`` (a store folder) choose a bulk loader instead.
    ``graph`` None means the store's default graph.
    """

    release: Path
    graph: str | None
    named_graphs: bool = False
    endpoint: str | None = None
    sparql_url: str | None = None
    no_transaction: bool = False
    virtuoso_bulk: str | None = None
    load_dir: Path | None = None
    oxigraph_location: Path | None = None


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
    dataset = ox.NamedNode("http://www.w3.org/ns/dcat#Dataset")
    for quad in ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS):
        if quad.predicate == rdf_type and quad.object == dataset:
            return str(quad.subject)[1:-1]
    raise EndpointError(f"{release}: no release description (dcat:Dataset) in graph.nq")


def query_dataset(release: Path, query_url: str, conn: Connection) -> tuple[list[str], list[str]]:
    """The graphs a query of a store should read to see the release as ``kg load`` wrote it:
    (default graphs, named graphs). The release's version IRI when the store holds that graph
    (a plain load); else the merge of the release's named graphs (a ``--named-graphs`` load),
    which are also offered to ``GRAPH`` patterns. Never both: a store holding both would answer
    every triple twice."""
    version = release_iri(release)
    if count_triples(query_url, version, conn) > 0:
        return [version], []
    named = sorted(name for name in graph_names(release / "graph.nq") if name)
    return named, named


def load(request: LoadRequest, conn: Connection) -> LoadResult:
    """Put a release into a store by the path the request names, then check the store holds
    exactly the release's triples.

    :raises EndpointError: a refused or failed load, or a partial one
    """
    check_release(request.release)
    source = request.release / ("graph.nq" if request.named_graphs else "graph.nt")
    expected = (
        graph_names(source) if request.named_graphs else {request.graph or "": _lines(source)}
    )
    if request.virtuoso_bulk:
        if request.load_dir is None or conn.user is None:
            raise EndpointError("--virtuoso-bulk needs --load-dir and --user")
        from kg.stores import virtuoso

        found = virtuoso.bulk_load(
            request.virtuoso_bulk,
            conn.user,
            conn.password or "",
            source,
            request.load_dir,
            expected,
            graph=request.graph or "",
        )
    elif request.oxigraph_location is not None:
        from kg.stores import oxigraph

        graph = None if request.named_graphs else request.graph
        found = oxigraph.bulk_load(request.oxigraph_location, source, expected, graph=graph)
    elif request.endpoint is None:
        raise EndpointError(
            "give the store's Graph Store endpoint (or --virtuoso-bulk, --oxigraph-location)"
        )
    else:
        return load_release(
            request.endpoint,
            request.release,
            conn,
            graph=request.graph,
            query_url=request.sparql_url,
            named_graphs=request.named_graphs,
            no_transaction=request.no_transaction,
        )
    if found != expected:
        raise EndpointError(f"partial load: the store holds {found}, the release {expected}")
    return LoadResult(found)


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
