"""The release as a WSGI application: its site (every IRI dereferences, by content negotiation)
and a read-only SPARQL endpoint at ``/query``, around one pure function from a request to its
answer (:func:`respond`). ``kg serve`` runs this application; so can any WSGI server:

    gunicorn --threads 8 'kg.web.app:create_app("dist", hosts=["kg.example.org"])'
    KG_RELEASE=dist KG_HOSTS=kg.example.org waitress-serve --call kg.web.app:create_app

Each query runs in a process of its own (:mod:`kg.sparql.worker`) within a time and a memory
limit, at most ``Limits.concurrent`` at once; a request whose ``Host`` is not one the
application answers for is refused (421: no DNS rebinding); updates and ``SERVICE`` are refused
from the query's tokens. :func:`create_app` loads the release into a temporary store and writes
its site beside it; :meth:`App.close`, or the normal end of the process, removes them, and the
next :func:`create_app` removes what a process killed outright left behind.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox

from kg.curation.converter import release_converter
from kg.runtime.processes import die_with_parent
from kg.sparql import tokens
from kg.sparql.endpoint import EndpointError
from kg.sparql.query import run_query
from kg.web.deploy import CORS, PREFLIGHT, Answer, answer
from kg.web.negotiation import accepted_types
from kg.web.site import build_site

__all__ = [
    "LOOPBACK",
    "App",
    "Endpoint",
    "Limits",
    "allowed_hosts",
    "create_app",
    "release_issued",
    "remove_orphans",
    "respond",
]

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_QUERY = 1 << 20  # bytes of query text a request may send
PREFIX = "kg-serve-"
OWNER = "kg.pid"
_TEXT = "text/plain; charset=utf-8"
_METHODS = "GET, HEAD, POST, OPTIONS"
_OTHER_HOST = "this server does not answer for that host\n"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True)
class Limits:
    """What one query may use, and how many run at once."""

    timeout_s: float = 30.0
    memory_mb: int = 1024
    concurrent: int = 4
    allow_service: bool = False


@dataclass
class Endpoint:
    """What answering a request needs: the store the workers open, the site, the licence, the
    limits, the Host names answered for, and the running workers."""

    store: Path
    site: Path
    license: str | None
    limits: Limits
    hosts: frozenset[str]
    slots: threading.BoundedSemaphore
    prefixes: Mapping[str, str] = field(default_factory=dict)  # predeclared in every query
    issued: float | None = None  # the release's dct:issued (seconds): its files' Last-Modified
    workers: set[subprocess.Popen[bytes]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stop_workers(self) -> None:
        """Kill every query still running."""
        with self.lock:
            for worker in list(self.workers):
                worker.kill()


def respond(
    endpoint: Endpoint,
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes | None,
) -> Answer:
    """The answer to one request (``headers`` by lower-case name; ``body`` for a POST)."""
    if headers.get("host", "").lower() not in endpoint.hosts:
        return _text(HTTPStatus.MISDIRECTED_REQUEST, _OTHER_HOST)
    if method == "OPTIONS":  # a CORS preflight: a script elsewhere may GET, HEAD and POST
        return Answer(int(HTTPStatus.NO_CONTENT), (*PREFLIGHT, ("Allow", _METHODS)), b"")
    if method not in ("GET", "HEAD", "POST"):
        return _text(HTTPStatus.METHOD_NOT_ALLOWED, "use GET, HEAD, POST or OPTIONS\n", _METHODS)
    if path == "/update":
        return _text(HTTPStatus.FORBIDDEN, "this endpoint is read-only\n")
    if path != "/query":
        if method == "POST":
            return _text(HTTPStatus.NOT_FOUND, "not found: the SPARQL endpoint is /query\n")
        return answer(
            endpoint.site,
            path,
            headers.get("accept"),
            license_iri=endpoint.license,
            request=headers,
            modified=endpoint.issued,
        )
    operation = _operation(query_string, headers.get("content-type", ""), body)
    if operation.update:
        return _text(HTTPStatus.FORBIDDEN, "this endpoint is read-only\n")
    query = operation.query
    if query is None and body is None:  # a person who followed the index's link
        return Answer(200, _headers("text/html; charset=utf-8", _QUERY_FORM), _QUERY_FORM)
    if query is None:
        return _text(HTTPStatus.BAD_REQUEST, "no query: send query=... (GET or POST)\n")
    if tokens.query_form(query) in tokens.UPDATE_KEYWORDS:
        return _text(HTTPStatus.FORBIDDEN, "this endpoint is read-only\n")
    if not endpoint.limits.allow_service and tokens.uses_service(query):
        return _text(HTTPStatus.FORBIDDEN, "SERVICE is not allowed on this endpoint\n")
    if not endpoint.slots.acquire(timeout=endpoint.limits.timeout_s):
        return _text(HTTPStatus.SERVICE_UNAVAILABLE, "too many queries at once; retry\n")
    try:
        status, content_type, output = run_worker(
            endpoint, query, accepted_types(headers.get("accept"))
        )
    finally:
        endpoint.slots.release()
    return Answer(int(status), _headers(content_type, output), output)


class App:
    """The WSGI application of one :class:`Endpoint`."""

    def __init__(self, endpoint: Endpoint, folder: Path | None = None) -> None:
        self.endpoint = endpoint
        self.folder = folder  # the temporary folder create_app made, removed by close()

    def __call__(
        self, environ: Mapping[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        headers = _request_headers(environ)
        body: bytes | None = None
        if headers.get("host", "").lower() not in self.endpoint.hosts:  # before any body
            found = _text(
                HTTPStatus.MISDIRECTED_REQUEST, "this server does not answer for that host\n"
            )
            return _start(start_response, found, head=method == "HEAD")
        if "transfer-encoding" in headers:
            found = _text(HTTPStatus.LENGTH_REQUIRED, "send the query with a Content-Length\n")
            return _start(start_response, found, head=False)
        if method == "POST":
            length = _content_length(environ)
            if length is None:
                found = _text(HTTPStatus.BAD_REQUEST, "a POST needs a Content-Length\n")
                return _start(start_response, found, head=False)
            if length > MAX_QUERY:
                found = _text(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "the query is too long\n")
                return _start(start_response, found, head=False)
            body = environ["wsgi.input"].read(length)
        found = respond(
            self.endpoint,
            method,
            _path(environ),
            str(environ.get("QUERY_STRING", "")),
            headers,
            body,
        )
        return _start(start_response, found, head=method == "HEAD")

    def close(self) -> None:
        """Stop the running queries and remove what :func:`create_app` wrote."""
        self.endpoint.stop_workers()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def create_app(
    release: str | os.PathLike[str] | None = None,
    *,
    hosts: Iterable[str] = (),
    limits: Limits | None = None,
    bound: tuple[str, int] | None = None,
    pictures: bool = True,
) -> App:
    """The application of the release folder ``release`` (default: ``$KG_RELEASE``, else
    ``dist``): its store and site written into a new temporary folder. It answers requests
    whose Host is one of ``hosts`` (default: ``$KG_HOSTS``, names separated by commas, each
    with or without its port) and, when ``bound`` to an address and port, that address's
    names; nothing else. Its site has ``pictures`` (:func:`kg.web.site.build_site`).

    :raises EndpointError: the release cannot be loaded
    :raises GraphvizError: ``pictures`` and Graphviz's dot is missing or fails
    """
    folder = Path(release or os.environ.get("KG_RELEASE") or "dist")
    remove_orphans()
    work = Path(tempfile.mkdtemp(prefix=PREFIX))
    (work / OWNER).write_text(str(os.getpid()), encoding="ascii")
    try:
        store = work / "store"
        load_store(folder / "graph.nq", store)
        issued = release_issued(store)
        _, licence = build_site(folder, work / "site", sparql_endpoint="/query", pictures=pictures)
        prefixes = release_converter(folder / "graph.nq").prefix_map
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    chosen = limits or Limits()
    wanted = list(hosts) or [h.strip() for h in os.environ.get("KG_HOSTS", "").split(",") if h]
    names = allowed_hosts(*bound, wanted) if bound else frozenset(h.lower() for h in wanted)
    endpoint = Endpoint(
        store,
        work / "site",
        licence,
        chosen,
        names,
        threading.BoundedSemaphore(chosen.concurrent),
        prefixes,
        issued,
    )
    app = App(endpoint, work)
    atexit.register(app.close)
    return app


def remove_orphans() -> None:
    """Remove the temporary stores of earlier applications whose process was killed outright
    (SIGKILL leaves no chance to clean up): those whose owner process is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((folder / OWNER).read_text(encoding="ascii"))
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):
            continue  # not ours, or its owner lives (another user's, or still running)


def load_store(nquads: Path, store: Path) -> None:
    """Bulk-load the release into an on-disk store that the workers open read-only.

    :raises EndpointError: the file cannot be read or parsed
    """
    try:
        loader = ox.Store(str(store))
        loader.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        loader.flush()
        del loader  # closes the database: the workers open it read-only
    except (OSError, SyntaxError, ValueError) as error:
        raise EndpointError(f"{nquads}: cannot load the release: {error}") from error


def release_issued(store: Path) -> float | None:
    """When the release in the on-disk ``store`` was issued (its version's ``dct:issued``), in
    seconds since the epoch; None when it does not say (a build without SOURCE_DATE_EPOCH)."""
    reader = ox.Store.read_only(str(store))
    try:
        rows = run_query(
            reader,
            "SELECT ?issued WHERE { ?version a <http://www.w3.org/ns/dcat#Dataset> ; "
            "<http://purl.org/dc/terms/issued> ?issued } ORDER BY DESC(?issued) LIMIT 1",
        )
        for row in rows:  # type: ignore[attr-defined]
            text = str(row[0].value)
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
        return None
    finally:
        del reader


def allowed_hosts(host: str, port: int, more: Iterable[str] = ()) -> frozenset[str]:
    """The Host header values a request may carry: the bound name and ``more``, and loopback's
    names when bound to loopback (a browser sends ``localhost:PORT`` for 127.0.0.1)."""
    names = {host, f"[{host}]"} if ":" in host else {host}
    names |= {name.lower() for name in more}
    if host in LOOPBACK:
        names |= {"localhost", "127.0.0.1", "[::1]"}
    return frozenset({*names, *(f"{name}:{port}" for name in names)})


def run_worker(
    endpoint: Endpoint, query: str, accepted: list[str]
) -> tuple[HTTPStatus, str, bytes]:
    """Run one query in a worker process within the limits; (status, content type, body)."""
    limits = endpoint.limits
    parent = os.getpid()
    worker = subprocess.Popen(
        [sys.executable, "-m", "kg.sparql.worker", str(endpoint.store), str(limits.memory_mb)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "RUST_BACKTRACE": "0"},
        preexec_fn=lambda: die_with_parent(parent),
    )
    with endpoint.lock:
        endpoint.workers.add(worker)
    request = json.dumps(
        {
            "query": query,
            "accept": accepted,
            "allow_service": limits.allow_service,
            "prefixes": dict(endpoint.prefixes),
        }
    )
    try:
        out, err = worker.communicate(request.encode("utf-8"), timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        return (
            HTTPStatus.SERVICE_UNAVAILABLE,
            _TEXT,
            f"the query took longer than {limits.timeout_s:g} s and was stopped\n".encode(),
        )
    finally:
        with endpoint.lock:
            endpoint.workers.discard(worker)
    if worker.returncode == 0:
        content_type, _, body = out.partition(b"\n")
        return HTTPStatus.OK, content_type.decode("ascii"), body
    if worker.returncode == 2:
        status, _, message = err.decode("utf-8", errors="replace").strip().partition(" ")
        return HTTPStatus(int(status)), _TEXT, f"{message}\n".encode()
    return (
        HTTPStatus.SERVICE_UNAVAILABLE,
        _TEXT,
        f"the query needed more than {limits.memory_mb} MB of memory and was stopped\n".encode(),
    )


@dataclass(frozen=True)
class _Operation:
    """What a request asks of the endpoint by the SPARQL protocol: a query's text (None when it
    sends none), or whether it is an update (refused: the endpoint is read-only)."""

    query: str | None
    update: bool


def _operation(query_string: str, content_type: str, body: bytes | None) -> _Operation:
    kind = content_type.split(";")[0].strip().lower()
    if body is not None and kind == "application/sparql-query":
        return _Operation(body.decode("utf-8", errors="replace"), False)
    if body is not None and kind == "application/sparql-update":
        return _Operation(None, True)
    form = parse_qs(query_string)
    if body is not None and kind == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", errors="replace"))
    values = form.get("query")
    return _Operation(values[0] if values else None, "update" in form)


def _text(status: HTTPStatus, message: str, allow: str | None = None) -> Answer:
    data = message.encode("utf-8")
    headers = _headers(_TEXT, data) + ((("Allow", allow),) if allow else ())
    return Answer(int(status), headers, data)


def _headers(content_type: str, body: bytes) -> tuple[tuple[str, str], ...]:
    return (
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Vary", "Accept"),
        *CORS,
    )


def _start(start_response: StartResponse, found: Answer, *, head: bool) -> list[bytes]:
    status = HTTPStatus(found.status)
    start_response(f"{status.value} {status.phrase}", list(found.headers))
    return [] if head else [found.body]


def _request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers by lower-case name, from the WSGI environ."""
    found = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        found["content-type"] = str(environ["CONTENT_TYPE"])
    return found


def _content_length(environ: Mapping[str, Any]) -> int | None:
    """The request body's length: None when absent, negative or not a number."""
    text = str(environ.get("CONTENT_LENGTH") or "").strip()
    return int(text) if text.isdigit() else None


def _path(environ: Mapping[str, Any]) -> str:
    """PATH_INFO as the client sent it (WSGI gives it decoded as Latin-1)."""
    raw = str(environ.get("PATH_INFO", "/"))
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


_QUERY_FORM_TEXT = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>SPARQL endpoint</title>
<link rel="stylesheet" href="/style.css"></head>
<body><nav><a href="/">Home</a></nav><main>
<h1>SPARQL endpoint</h1>
<p>Read-only SPARQL 1.1 over the release: send <code>query=...</code> by GET or POST.</p>
<form method="get" action="/query">
<p><label for="query">Query</label></p>
<p><textarea id="query" name="query" rows="8" cols="80">SELECT ?claim ?label WHERE {
  ?claim a &lt;https://w3id.org/drugclaims/ontology#Claim&gt; ;
         &lt;http://www.w3.org/2000/01/rdf-schema#label&gt; ?label
}</textarea></p>
<p><button type="submit">Run</button></p>
</form></main></body></html>
"""
_QUERY_FORM = _QUERY_FORM_TEXT.encode("utf-8")
