"""``kg serve``: a local, read-only SPARQL endpoint over the release that a caller cannot turn
into a proxy or a denial of service.

In front: a small HTTP server (the SPARQL 1.1 protocol's query operation, GET and POST) that
answers only requests whose ``Host`` is one it was bound for (a web page cannot reach it by DNS
rebinding), refuses updates and ``SERVICE`` (decided from the query's tokens, with one fixed
message that says nothing of the target), and runs each query in a process of its own
(:mod:`kg.sparql.worker`) with a wall-time and a memory limit: a query past either is killed and its
client told so, and the server goes on serving the others. The release is bulk-loaded into a
temporary store that every worker opens read-only; Ctrl-C, SIGTERM and SIGHUP stop the server
and remove the store, and workers die with ``kg`` even when it is killed outright.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from kg.runtime.processes import die_with_parent
from kg.sparql import tokens
from kg.sparql.endpoint import EndpointError
from kg.web.deploy import answer
from kg.web.negotiation import accepted_types
from kg.web.site import build_site

__all__ = ["LOOPBACK", "Limits", "serve"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")
_PREFIX = "kg-serve-"
_OWNER = "kg.pid"
_MAX_QUERY = 1 << 20  # bytes of query text a request may send


class Stopped(BaseException):
    """SIGTERM or SIGHUP reached ``kg serve``: stop and clean up, as for Ctrl-C."""


@dataclass(frozen=True)
class Limits:
    """What one query may use, and how many run at once."""

    timeout_s: float = 30.0
    memory_mb: int = 1024
    concurrent: int = 4
    allow_service: bool = False


@dataclass
class _Endpoint:
    """What the request handler needs: the store, the limits, the allowed hosts."""

    store: Path
    site: Path
    license: str | None
    limits: Limits
    hosts: frozenset[str]
    slots: threading.BoundedSemaphore
    workers: set[subprocess.Popen[bytes]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def serve(
    release: Path, host: str, port: int, limits: Limits, *, hosts: tuple[str, ...] = ()
) -> int:
    """Serve the release read-only over SPARQL at http://host:port/query until stopped;
    ``hosts`` are more names clients may reach it by (its Host header).

    :raises EndpointError: the port is taken, or the release cannot be loaded
    """
    _remove_orphans()
    folder = Path(tempfile.mkdtemp(prefix=_PREFIX))
    (folder / _OWNER).write_text(str(os.getpid()), encoding="ascii")
    endpoint: _Endpoint | None = None
    try:
        with _stopped_by_signals():
            httpd = _bind(host, port)
            store = folder / "store"
            _load(release / "graph.nq", store)
            site = folder / "site"
            _, licence = build_site(release, site, sparql_endpoint="/query")
            allowed = _allowed_hosts(host, port, hosts)
            endpoint = _Endpoint(
                store,
                site,
                licence,
                limits,
                allowed,
                threading.BoundedSemaphore(limits.concurrent),
            )
            httpd.endpoint = endpoint  # type: ignore[attr-defined]
            _announce(host, port, limits)
            try:
                httpd.serve_forever(poll_interval=0.2)
            finally:
                httpd.server_close()
    except (KeyboardInterrupt, Stopped):
        return 0
    finally:
        if endpoint is not None:
            with endpoint.lock:
                for worker in list(endpoint.workers):
                    worker.kill()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _bind(host: str, port: int) -> ThreadingHTTPServer:
    """Bind before announcing anything: a port in use is one line, exit 2."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Server(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            """A client that went away mid-answer is no error of the server's: nothing to
            print (socketserver would print a traceback)."""
            if isinstance(sys.exc_info()[1], ConnectionError):
                return
            super().handle_error(request, client_address)

    try:
        return Server((host, port), _Handler)
    except OSError as error:
        raise EndpointError(
            f"cannot serve on {host}:{port}: {error.strerror or error} "
            "(another server uses it? choose another --port)"
        ) from error


def _load(nquads: Path, store: Path) -> None:
    try:
        loader = ox.Store(str(store))
        loader.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        loader.flush()
        del loader  # closes the database: the workers open it read-only
    except (OSError, SyntaxError, ValueError) as error:
        raise EndpointError(f"{nquads}: cannot load the release: {error}") from error


def _allowed_hosts(host: str, port: int, more: tuple[str, ...] = ()) -> frozenset[str]:
    """The Host header values a request may carry: the bound name and ``more``, and loopback's
    names when bound to loopback (a browser sends ``localhost:PORT`` for 127.0.0.1)."""
    names = {host, f"[{host}]"} if ":" in host else {host}
    names |= {name.lower() for name in more}
    if host in LOOPBACK:
        names |= {"localhost", "127.0.0.1", "[::1]"}
    return frozenset({*names, *(f"{name}:{port}" for name in names)})


class _Handler(BaseHTTPRequestHandler):
    server_version = "kg-serve"
    protocol_version = "HTTP/1.1"

    @property
    def endpoint(self) -> _Endpoint:
        return self.server.endpoint  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a local endpoint does not log every request."""

    def do_GET(self) -> None:
        self._handle(None)

    def do_HEAD(self) -> None:
        if urlsplit(self.path).path in ("/query", "/update"):
            self._reply(HTTPStatus.METHOD_NOT_ALLOWED, "use GET or POST with a query\n")
        else:
            self._handle(None, head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_QUERY:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "the query is too long\n")
            return
        self._handle(self.rfile.read(length))

    def _handle(self, body: bytes | None, *, head: bool = False) -> None:
        if self.headers.get("Host", "").lower() not in self.endpoint.hosts:
            self._reply(
                HTTPStatus.MISDIRECTED_REQUEST, "this server does not answer for that host\n"
            )
            return
        path = urlsplit(self.path)
        if path.path == "/update":
            self._reply(HTTPStatus.FORBIDDEN, "this endpoint is read-only\n")
            return
        if path.path != "/query":
            if body is None:
                self._page(path.path, head)
            else:
                self._reply(HTTPStatus.NOT_FOUND, "not found: the SPARQL endpoint is /query\n")
            return
        query = self._query_text(path.query, body)
        if query is None and body is None:  # a person who followed the index's link
            self._reply(HTTPStatus.OK, _QUERY_FORM, "text/html; charset=utf-8")
            return
        if query is None:
            self._reply(HTTPStatus.BAD_REQUEST, "no query: send query=... (GET or POST)\n")
            return
        if tokens.query_form(query) in tokens.UPDATE_KEYWORDS:
            self._reply(HTTPStatus.FORBIDDEN, "this endpoint is read-only\n")
            return
        if not self.endpoint.limits.allow_service and tokens.uses_service(query):
            self._reply(HTTPStatus.FORBIDDEN, "SERVICE is not allowed on this endpoint\n")
            return
        self._run(query)

    def _page(self, path: str, head: bool) -> None:
        """The site: pages, documents, and 303s from resources to documents."""
        found = answer(
            self.endpoint.site, path, self.headers.get("Accept"), license_iri=self.endpoint.license
        )
        self.send_response(found.status)
        for name, value in found.headers:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(found.body)

    def _query_text(self, query_string: str, body: bytes | None) -> str | None:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body is not None and content_type == "application/sparql-query":
            return body.decode("utf-8", errors="replace")
        form = parse_qs(query_string)
        if body is not None and content_type == "application/x-www-form-urlencoded":
            form = parse_qs(body.decode("utf-8", errors="replace"))
        values = form.get("query")
        return values[0] if values else None

    def _run(self, query: str) -> None:
        limits = self.endpoint.limits
        if not self.endpoint.slots.acquire(timeout=limits.timeout_s):
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, "too many queries at once; retry\n")
            return
        try:
            status, content_type, output = _run_worker(self.endpoint, query, _accepted(self))
        finally:
            self.endpoint.slots.release()
        self._reply(status, output, content_type)

    def _reply(
        self, status: HTTPStatus, body: str | bytes, content_type: str = "text/plain; charset=utf-8"
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Vary", "Accept")
        self.end_headers()
        try:
            self.wfile.write(data)
        except ConnectionError:  # the client went away: the answer is not needed any more
            self.close_connection = True


_QUERY_FORM = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>SPARQL endpoint</title>
<link rel="stylesheet" href="/style.css"></head>
<body><nav><a href="/">drugclaims</a></nav><main>
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


def _accepted(handler: BaseHTTPRequestHandler) -> list[str]:
    """The Accept header's media types, most wanted first (q-values honoured, q=0 dropped)."""
    return accepted_types(handler.headers.get("Accept"))


def _run_worker(
    endpoint: _Endpoint, query: str, accepted: list[str]
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
        {"query": query, "accept": accepted, "allow_service": limits.allow_service}
    )
    try:
        out, err = worker.communicate(request.encode("utf-8"), timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        return (
            HTTPStatus.SERVICE_UNAVAILABLE,
            "text/plain; charset=utf-8",
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
        return HTTPStatus(int(status)), "text/plain; charset=utf-8", f"{message}\n".encode()
    return (
        HTTPStatus.SERVICE_UNAVAILABLE,
        "text/plain; charset=utf-8",
        f"the query needed more than {limits.memory_mb} MB of memory and was stopped\n".encode(),
    )


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Stopped` here, so that cleanup runs as for Ctrl-C."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signal.Signals(signum).name)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _remove_orphans() -> None:
    """Remove the temporary stores of earlier ``kg serve`` runs that were killed outright
    (SIGKILL leaves no chance to clean up): those whose owner process is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        try:
            owner = int((folder / _OWNER).read_text(encoding="ascii"))
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):
            continue  # not ours, or its owner lives (another user's, or still running)


def _announce(host: str, port: int, limits: Limits) -> None:
    url = f"http://{host}:{port}/query"
    print(f"kg: browse the release at http://{host}:{port}/ (Ctrl-C stops)", file=sys.stderr)
    print(f"kg: serving the release read-only at {url}", file=sys.stderr)
    print(
        f"kg: each query may run {limits.timeout_s:g} s and use {limits.memory_mb} MB; "
        f"SERVICE is {'allowed' if limits.allow_service else 'refused'}",
        file=sys.stderr,
    )
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
            "can query the release (read-only, bounded; there is no authentication)",
            file=sys.stderr,
        )
    sys.stderr.flush()
