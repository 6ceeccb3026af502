"""``kg serve``: the release's WSGI application (:mod:`kg.web.app`: its site and a read-only
SPARQL endpoint that a caller cannot turn into a proxy or a denial of service) on a small local
HTTP server, until Ctrl-C, SIGTERM or SIGHUP.

The server binds before anything is announced (a port in use is one line), answers each request
on a thread of its own, and on stopping kills the running queries and removes the application's
temporary store and site. Workers die with ``kg`` even when it is killed outright, and the next
``kg serve`` removes what a killed one left.
"""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from kg.sparql.endpoint import EndpointError
from kg.web.app import LOOPBACK, App, Limits, create_app

__all__ = ["LOOPBACK", "Limits", "serve"]


class Stopped(BaseException):
    """SIGTERM or SIGHUP reached ``kg serve``: stop and clean up, as for Ctrl-C."""


def serve(
    release: Path, host: str, port: int, limits: Limits, *, hosts: tuple[str, ...] = ()
) -> int:
    """Serve the release read-only at http://host:port/ (the SPARQL endpoint at /query) until
    stopped; ``hosts`` are more names clients may reach it by (its Host header).

    :raises EndpointError: the port is taken, or the release cannot be loaded
    """
    app: App | None = None
    try:
        with _stopped_by_signals():
            httpd = _bind(host, port)
            try:
                app = create_app(release, hosts=hosts, limits=limits, bound=(host, port))
                httpd.set_app(app)
                _announce(host, port, limits)
                httpd.serve_forever(poll_interval=0.2)
            finally:
                httpd.server_close()
    except (KeyboardInterrupt, Stopped):
        return 0
    finally:
        if app is not None:
            app.close()
    return 0


class _Quiet(WSGIRequestHandler):
    """A local endpoint does not log every request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _bind(host: str, port: int) -> WSGIServer:
    """Bind before announcing anything: a port in use is one line, exit 2."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Server(ThreadingMixIn, WSGIServer):
        address_family = family
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            """A client that went away mid-answer is no error of the server's: nothing to
            print (socketserver would print a traceback)."""
            if isinstance(sys.exc_info()[1], ConnectionError):
                return
            super().handle_error(request, client_address)

    try:
        return Server((host, port), _Quiet)
    except OSError as error:
        raise EndpointError(
            f"cannot serve on {host}:{port}: {error.strerror or error} "
            "(another server uses it? choose another --port)"
        ) from error


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
