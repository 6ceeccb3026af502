"""Talking to a running triple store: the SPARQL 1.1 Graph Store HTTP Protocol to load, the SPARQL
protocol to query, each failure turned into a one-line message that never shows a password.

Uploads stream from the release file on disk: no serialised copy of the release is held in
memory, however large it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from kg.errors import KGError, TruncatedResults

__all__ = [
    "PASSWORD_VARIABLE",
    "Connection",
    "EndpointError",
    "TruncatedResults",
    "connection",
    "count_triples",
    "delete_graph",
    "put_graph",
    "sparql",
]

#: The environment variable that holds the password (never a command-line argument).
PASSWORD_VARIABLE = "KG_PASSWORD"
CONTENT_TYPES = {
    ".nt": "application/n-triples",
    ".ttl": "text/turtle",
    ".nq": "application/n-quads",
}


class EndpointError(KGError):
    """A store refused or failed a request; the message is one line, with no password."""


@dataclass(frozen=True)
class Connection:
    """Where and how to reach a store: credentials (basic or digest) and a timeout."""

    user: str | None = None
    password: str | None = None
    auth: str = "digest"
    timeout: float = 60.0

    def requests_auth(self) -> Any:
        if self.user is None:
            return None
        from requests.auth import HTTPBasicAuth, HTTPDigestAuth

        cls = HTTPDigestAuth if self.auth == "digest" else HTTPBasicAuth
        return cls(self.user, self.password or "")


def connection(user: str | None, auth: str = "digest", timeout: float = 60.0) -> Connection:
    """A connection for ``user``, with the password from ``$KG_PASSWORD``.

    :raises EndpointError: a user is given but the variable is not set
    """
    password = None
    if user is not None:
        password = os.environ.get(PASSWORD_VARIABLE)
        if password is None:
            raise EndpointError(f"--user {user} needs the password in ${PASSWORD_VARIABLE}")
    return Connection(user, password, auth, timeout)


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"not an HTTP endpoint: {url!r}")
    if parts.password or parts.username:
        raise EndpointError(f"put no credentials in the URL: use --user and ${PASSWORD_VARIABLE}")


def _request(method: str, url: str, conn: Connection, **kwargs: Any) -> Any:
    """Send one request; map every failure to an EndpointError naming the URL and the status."""
    import requests

    _check_url(url)
    shown = url.split("?", 1)[0]
    try:
        # never followed: a redirect to another host would be sent the credentials (a digest
        # answer for that host's realm, crackable offline); the user is told where it leads
        response = requests.request(
            method,
            url,
            auth=conn.requests_auth(),
            timeout=conn.timeout,
            allow_redirects=False,
            **kwargs,
        )
    except requests.exceptions.Timeout as error:
        raise EndpointError(f"{shown}: no answer within {conn.timeout:g} s") from error
    except requests.exceptions.ConnectionError as error:
        raise EndpointError(f"{shown}: cannot connect (is the store running?)") from error
    except requests.exceptions.RequestException as error:
        raise EndpointError(f"{shown}: {type(error).__name__}") from error
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location", "")[:200]
        raise EndpointError(
            f"{shown}: HTTP {response.status_code}: the store redirects to {location!r}; kg "
            "does not follow redirects (credentials would go with them): give that URL"
        )
    if response.status_code >= 400:
        raise EndpointError(_status_message(shown, response))
    return response


def _status_message(url: str, response: Any) -> str:
    status = response.status_code
    meaning = {
        401: "authentication failed: check --user, --auth and $" + PASSWORD_VARIABLE,
        403: "forbidden: the endpoint is read-only, or the user may not write",
        404: "not found: is this the store's Graph Store or SPARQL endpoint?",
    }.get(status)
    if meaning is None:
        text = re.sub(r"<!DOCTYPE[^>]*>|<head>.*?</head>", " ", response.text, flags=re.S | re.I)
        text = " ".join(re.sub(r"<[^>]+>", " ", text).split())[:200]
        meaning = f"the store failed: {text}" if status >= 500 else text
    return f"{url}: HTTP {status}: {meaning}"


def post_graph_without_transaction(gsp_url: str, graph: str, path: Path, conn: Connection) -> None:
    """Replace a graph on Oxigraph the fast way: DELETE it, then POST the file with Oxigraph's
    ``no_transaction`` (several times faster, not atomic: a reader may see part of the graph
    while it loads; the caller checks the result)."""
    delete_graph(gsp_url, graph, conn)
    content_type = CONTENT_TYPES.get(path.suffix, "application/n-triples")
    with open(path, "rb") as body:
        _request(
            "POST",
            f"{gsp_url}?graph={quote(graph, safe='')}&no_transaction",
            conn,
            data=body,
            headers={"Content-Type": content_type, "Content-Length": str(path.stat().st_size)},
        )


def put_graph(
    gsp_url: str, graph: str | None, path: Path, conn: Connection, *, graph_parameter: str = "graph"
) -> None:
    """Replace one graph (``graph=None``: the default graph) with the triples of a file,
    streamed from disk."""
    params = {graph_parameter: graph} if graph else {"default": ""}
    content_type = CONTENT_TYPES.get(path.suffix)
    if content_type is None or path.suffix == ".nq":
        raise EndpointError(f"{path}: a graph is loaded from .nt or .ttl")
    with open(path, "rb") as body:
        _request(
            "PUT",
            gsp_url,
            conn,
            params=params,
            data=body,
            headers={"Content-Type": content_type, "Content-Length": str(path.stat().st_size)},
        )


def post_quads(gsp_url: str, path: Path, conn: Connection) -> None:
    """Add the quads of an N-Quads file, named graphs and all (Oxigraph: POST /store)."""
    with open(path, "rb") as body:
        _request(
            "POST",
            gsp_url,
            conn,
            data=body,
            headers={
                "Content-Type": "application/n-quads",
                "Content-Length": str(path.stat().st_size),
            },
        )


def delete_graph(
    gsp_url: str, graph: str, conn: Connection, *, graph_parameter: str = "graph"
) -> None:
    """Delete one named graph; a graph that is not there is no error."""
    try:
        _request("DELETE", gsp_url, conn, params={graph_parameter: graph})
    except EndpointError as error:
        if "HTTP 404" not in str(error):
            raise


def sparql(
    query_url: str,
    query: str,
    conn: Connection,
    *,
    accept: str,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
) -> bytes:
    """Run a query through the SPARQL 1.1 protocol (POST, form-encoded), asking for ``accept``;
    ``default_graphs`` are sent as ``default-graph-uri`` (the query's default graph is their
    merge) and ``named_graphs`` as ``named-graph-uri``.

    :raises TruncatedResults: the server says it cut the results (X-SPARQL-MaxRows)
    """
    form = [("query", query)]
    form += [("default-graph-uri", graph) for graph in default_graphs]
    form += [("named-graph-uri", graph) for graph in named_graphs]
    response = _request("POST", query_url, conn, data=form, headers={"Accept": accept})
    content = bytes(response.content)
    limit = response.headers.get("X-SPARQL-MaxRows")
    if limit is not None:
        raise TruncatedResults(
            f"{query_url}: the server cut the results at {limit} rows "
            "(X-SPARQL-MaxRows): the answer is incomplete"
        )
    return content


def count_triples(query_url: str, graph: str | None, conn: Connection) -> int:
    """How many triples a graph (or the default graph) of the store holds."""
    pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    data = sparql(
        query_url,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}",
        conn,
        accept="application/sparql-results+json",
    )
    import json

    bindings = json.loads(data)["results"]["bindings"]
    return int(bindings[0]["n"]["value"]) if bindings else 0
