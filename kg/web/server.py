"""``kg serve``: the release's WSGI application (:mod:`kg.web.app`: its site and a read-only
SPARQL endpoint that a caller cannot turn into a proxy or a denial of service) on a small
HTTP server, until Ctrl-C, SIGTERM or SIGHUP.

The server binds before anything is announced (a port in use is one line), and answers at
once: while the application is opened, or made in a process of its own for a release never
served before (:mod:`kg.web.preparing`), every request is answered 503 with Retry-After
(:class:`~kg.web.app.Preparing`). It holds a bounded
number of connections (:class:`Connections`): one thread reads every connection's request line and
headers without blocking, within a time limit, so that clients that connect and send nothing, or
half a request, hold no thread (Slowloris); a complete request goes to one of a fixed number of
threads, through a short queue, and beyond that is answered 503 at once; one client address holds
at most its share of the connections. The body must arrive, and the answer be taken, within time
limits too. A client that goes away while its query runs has the query stopped. Every failure is a
status code (when the client is still there to read one) and one line on standard error, never a
traceback.

On stopping, the server kills the running queries and removes the application's temporary store
and site. Workers die with ``kg`` even when it is killed outright, and the next ``kg serve``
removes what a killed one left.
"""

from __future__ import annotations

import errno
import io
import ipaddress
import queue
import select
import selectors
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from pathlib import Path
from types import FrameType
from typing import IO, Any, Protocol, cast, runtime_checkable
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from kg.formats.listing import check_listing
from kg.sparql.endpoint import EndpointError
from kg.web.app import (
    LOOPBACK,
    App,
    LimitError,
    Limits,
    Preparing,
    allowed_hosts,
    check_limit,
    create_app,
    examples_folder,
    hosts_wanted,
)
from kg.web.preparing import Preparation
from kg.web.query_page import read_examples

__all__ = [
    "LOOPBACK",
    "Connections",
    "LimitError",
    "Limits",
    "StopsQueries",
    "check_together",
    "make_server",
    "serve",
]

_LOG = threading.Lock()


@dataclass(frozen=True)
class Connections:
    """How many connections the server holds, and how long it waits for each client.

    ``threads`` requests are answered at once and ``queued`` more wait for a thread; a complete
    request beyond those is answered 503 at once. ``reading`` connections may be sending their
    request line and headers (no thread is held meanwhile); a new one beyond that drops the
    oldest. One client address (an IPv6 one: its /64 network) holds at most ``per_client``
    connections at once, whatever each is doing; a new one beyond that is answered 503 at
    once, so that one client cannot take every slot. The request line and headers (at most
    ``header_bytes``) must arrive within ``header_timeout_s`` of the connection (else 408),
    the body within ``body_timeout_s`` (else 408), and each write of the answer must be taken
    within ``write_timeout_s`` (else the client is dropped and the answer freed).

    :raises LimitError: a limit outside the values it may take
    """

    threads: int = 16
    queued: int = 32
    reading: int = 1000
    per_client: int = 32
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    write_timeout_s: float = 30.0
    header_bytes: int = 65536

    def __post_init__(self) -> None:
        check_limit("threads", self.threads, 1, 1024)
        check_limit("queued", self.queued, 1, 1 << 16)
        check_limit("reading", self.reading, 1, 1 << 20)
        check_limit("per_client", self.per_client, 1, 1 << 20)
        for name in ("header_timeout_s", "body_timeout_s", "write_timeout_s"):
            check_limit(name, getattr(self, name), 0.001, 3600)
        check_limit("header_bytes", self.header_bytes, 1, 1 << 24)


@runtime_checkable
class StopsQueries(Protocol):
    """An application whose queries a server can stop one request at a time (kg's
    :class:`~kg.web.app.App`): the server calls it when a request's client went away, with the
    thread that answers that request."""

    def stop_queries_of(self, thread: int) -> bool: ...


class Stopped(BaseException):
    """SIGTERM or SIGHUP reached ``kg serve``: stop and clean up, as for Ctrl-C."""


def serve(
    release: Path,
    host: str,
    port: int,
    limits: Limits,
    *,
    hosts: tuple[str, ...] = (),
    connections: Connections | None = None,
    pictures: bool = True,
) -> int:
    """Serve the release read-only at http://host:port/ (the SPARQL endpoint at /query) until
    stopped; ``hosts`` are more names clients may reach it by (its Host header); its site has
    ``pictures`` (:func:`kg.web.site.build_site`).

    The server answers as soon as it is bound: while what it serves the release from is opened,
    or made in a process of its own when the release was never served before
    (:mod:`kg.web.preparing`), every request is answered 503 with ``Retry-After``
    (:class:`~kg.web.app.Preparing`), and a line says when the release is ready.

    :raises LimitError: more queries at once than the threads can hold, running and waiting
    :raises InputError: the release's description is not one, or lists not the files there are
    :raises EndpointError: the port is taken, or the release cannot be loaded
    """
    connections = connections or Connections()
    check_together(limits, connections)
    # what is refused at once is refused before anything is announced
    check_listing(release)
    read_examples(examples_folder(release))
    wanted = hosts_wanted(hosts)
    starting = _Starting()
    try:
        with _stopped_by_signals():
            httpd = _bind(host, port, connections)
            create = partial(
                create_app,
                release,
                hosts=wanted,
                limits=limits,
                bound=(host, port),
                pictures=pictures,
            )
            thread = threading.Thread(
                target=starting.run, args=(httpd, create), name="kg-serve-prepare", daemon=True
            )
            try:
                httpd.set_app(Preparing(allowed_hosts(host, port, wanted)))
                _announce(host, port, limits)
                thread.start()
                httpd.serve_forever(poll_interval=0.2)
            finally:
                with _ignoring_stops():  # a second Ctrl-C must not cut the cleanup short
                    starting.stop(thread)
                    httpd.server_close()
    except (KeyboardInterrupt, Stopped):
        return 0
    finally:
        with _ignoring_stops():
            starting.close()
    return 0


class _Starting:
    """The application ``kg serve`` opens (or makes) in a thread of its own while the server
    answers 503: handed to the server when it is ready, closed when the server stops."""

    #: How long stopping waits for the thread to clean up after its stopped process (what it
    #: made is removed: whole folders, each one call).
    JOIN_S = 30.0

    def __init__(self) -> None:
        self.preparation = Preparation()
        self._lock = threading.Lock()
        self._app: App | None = None

    def run(self, httpd: Server, create: Callable[..., App]) -> None:
        """Open or make the application, then serve it; a failure stops the server with it."""
        started = time.monotonic()
        try:
            app = create(making=self.preparation)
        except BaseException as error:  # the server stops with it, in its own thread
            if not self.preparation.stopped:
                httpd.fail(error)
            return
        with self._lock:
            if self.preparation.stopped:
                app.close()
                return
            self._app = app
        httpd.set_app(app)
        _log(None, f"ready: the release is served ({time.monotonic() - started:.1f} s to prepare)")

    def stop(self, thread: threading.Thread) -> None:
        """Stop a preparation still running, and wait (a while) for its thread to clean up."""
        self.preparation.stop()
        if thread.is_alive():
            thread.join(self.JOIN_S)

    def close(self) -> None:
        with self._lock:
            app, self._app = self._app, None
        if app is not None:
            app.close()


def check_together(limits: Limits, connections: Connections) -> None:
    """Refuse limits that do not fit together: the queries running and as many waiting their
    turn must leave a thread for the pages.

    >>> check_together(Limits(concurrent=4), Connections(threads=9))
    >>> check_together(Limits(concurrent=4), Connections(threads=8))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.web.app.LimitError: concurrent: 4 is not between 1 and 3 (each query running or ...)

    :raises LimitError: more queries at once than the threads hold
    """
    check_limit(
        "concurrent",
        limits.concurrent,
        1,
        max(1, (connections.threads - 1) // 2),
        f"each query running or waiting its turn holds one of the {connections.threads} "
        "threads, and pages need one",
    )


def make_server(host: str, port: int, app: Any, connections: Connections | None = None) -> Server:
    """A server of any WSGI application on host:port, bound; run it with ``serve_forever()``
    (in the main thread: it returns only by an exception, such as KeyboardInterrupt).

    :raises EndpointError: the port is taken
    """
    server = _bind(host, port, connections or Connections())
    server.set_app(app)
    return server


def _bind(host: str, port: int, connections: Connections) -> Server:
    """Bind before announcing anything: a port in use is one line, exit 2."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Bound(Server):
        address_family = family

    try:
        return Bound((host, port), connections)
    except OSError as error:
        raise EndpointError(
            f"cannot serve on {host}:{port}: {error.strerror or error} "
            "(another server uses it? choose another --port)"
        ) from error


# --- the connections ---------------------------------------------------------------------------


@dataclass(eq=False)
class _Connection:
    """One client: what it sent so far, and its state once a thread answers it."""

    sock: socket.socket
    address: Any
    deadline: float  # for the request line and headers
    client: str = ""  # whose connections count together (its address, or IPv6 /64)
    data: bytearray = field(default_factory=bytearray)
    thread: int | None = None  # the thread answering it
    gone: bool = False  # the client closed its connection while its request was answered
    stopped: bool = False  # and a query of its request was stopped for that
    said: bool = False  # and the line saying so is written

    @property
    def name(self) -> str:
        try:
            return f"{self.address[0]}:{self.address[1]}"
        except (TypeError, IndexError):
            return str(self.address)


def _log(connection: _Connection | None, message: str) -> None:
    """One line on standard error."""
    line = f"kg: {connection.name}: {message}\n" if connection else f"kg: {message}\n"
    with _LOG, suppress(OSError, ValueError):
        sys.stderr.write(line)
        sys.stderr.flush()


def _plain(status: HTTPStatus, message: str, *extra: str) -> bytes:
    """A whole HTTP answer with a short text body, and the connection closed after it."""
    body = f"{message}\n".encode()
    head = [
        f"HTTP/1.1 {status.value} {status.phrase}",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *extra,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _header_end(data: bytearray, start: int) -> int:
    """Where the request's headers end in ``data`` (searched from ``start``), or -1."""
    for mark in (b"\r\n\r\n", b"\n\n"):
        found = data.find(mark, max(0, start - len(mark) + 1))
        if found >= 0:
            return found + len(mark)
    return -1


class Server(WSGIServer):
    """A WSGI server whose connections, threads and waits are bounded (:class:`Connections`).

    The thread of :meth:`serve_forever` accepts connections and reads their request line and
    headers without blocking; a complete request goes to a pool of threads that run the
    application. While a request is answered, that thread also watches whether its client went
    away, and then stops the query it runs (when the application is kg's).
    """

    request_queue_size = 1024  # the listen backlog: connections are accepted fast anyway

    def __init__(self, address: tuple[str, int], connections: Connections) -> None:
        self.connections = connections
        self._selector = selectors.DefaultSelector()
        self._reading: dict[socket.socket, _Connection] = {}  # oldest first
        self._answering: dict[socket.socket, _Connection] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[_Connection] = queue.Queue(maxsize=connections.queued)
        self._held: dict[str, int] = {}  # connections held by each client, under _lock
        self._stopper: StopsQueries | None = None
        self._failure: BaseException | None = None
        super().__init__(address, _Handler)  # binds (on failure, closes: server_close)
        for number in range(connections.threads):
            threading.Thread(target=self._work, name=f"kg-serve-{number}", daemon=True).start()

    def set_app(self, application: Any) -> None:
        """Serve ``application``; when it can (:class:`StopsQueries`), a request's queries
        are stopped when its client goes away."""
        super().set_app(application)
        self._stopper = application if isinstance(application, StopsQueries) else None

    def serve_forever(self, poll_interval: float = 0.2) -> None:
        self.socket.setblocking(False)
        self._selector.register(self.socket, selectors.EVENT_READ)
        try:
            while self._failure is None:
                try:
                    self._round(poll_interval)
                except Exception as error:  # a bug here must not stop the server
                    _log(None, f"error: the server's loop: {type(error).__name__}: {error}")
        finally:
            self._selector.unregister(self.socket)
        raise self._failure

    def fail(self, error: BaseException) -> None:
        """Stop :meth:`serve_forever` (from another thread) with ``error``, which it raises
        within its ``poll_interval``."""
        self._failure = error

    def _round(self, poll_interval: float) -> None:
        for key, _ in self._selector.select(timeout=poll_interval):
            if key.fileobj is self.socket:
                self._accept()
                continue
            # None: dropped by an accept of this same round (its fd maybe reused)
            connection = self._reading.get(key.fileobj)  # type: ignore[call-overload]
            if connection is not None:
                self._read(connection)
        self._expire()
        self._watch()

    def server_close(self) -> None:
        super().server_close()
        for connection in list(self._reading.values()):
            self._forget(connection)
        # a request still being done with when the server stops: its line now, without the
        # lock (a signal may have stopped the server's loop while it held it)
        for connection in list(self._answering.values()):
            if connection.gone and not connection.said:
                connection.said = True
                what = "its query was stopped" if connection.stopped else "its answer is dropped"
                _log(connection, f"the client went away before its answer; {what}")
        self._selector.close()

    # --- reading the request, in the thread of serve_forever

    def _accept(self) -> None:
        for _ in range(256):
            try:
                sock, address = self.socket.accept()
            except BlockingIOError:
                return
            except OSError as error:  # out of file descriptors: make room, or wait
                if error.errno in (errno.EMFILE, errno.ENFILE) and self._reading:
                    oldest = next(iter(self._reading.values()))
                    _log(oldest, "dropped: out of file descriptors, and it sent no request yet")
                    self._forget(oldest)
                else:
                    time.sleep(0.05)
                return
            sock.setblocking(False)
            deadline = time.monotonic() + self.connections.header_timeout_s
            connection = _Connection(sock, address, deadline, _client_of(address))
            if not self._hold(connection):
                continue
            if len(self._reading) >= self.connections.reading:
                oldest = next(iter(self._reading.values()))
                _log(oldest, "dropped: too many connections sending no request; the oldest goes")
                self._forget(oldest)
            self._reading[sock] = connection
            self._selector.register(sock, selectors.EVENT_READ)

    def _hold(self, connection: _Connection) -> bool:
        """Count the connection against its client's share; one past it is refused, 503."""
        limit = self.connections.per_client
        with self._lock:
            held = self._held.get(connection.client, 0)
            if held < limit:
                self._held[connection.client] = held + 1
                return True
        _log(connection, f"503: this address holds {limit} connections already; refused")
        with suppress(OSError):
            connection.sock.recv(65536)  # what came already: closing on it would reset
        with suppress(OSError):
            connection.sock.send(
                _plain(
                    HTTPStatus.SERVICE_UNAVAILABLE,
                    f"at most {limit} connections from one address; retry",
                    "Retry-After: 1",
                )
            )
        _close(connection.sock)
        return False

    def _let_go(self, connection: _Connection) -> None:
        """The connection is over: its client's share has room again."""
        with self._lock:
            left = self._held.pop(connection.client, 1) - 1
            if left > 0:
                self._held[connection.client] = left

    def _read(self, connection: _Connection) -> None:
        try:
            data = connection.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # closed before sending a whole request: nothing to answer
            self._forget(connection)
            return
        before = len(connection.data)
        connection.data += data
        end = _header_end(connection.data, before)
        if 0 <= end <= self.connections.header_bytes:
            self._selector.unregister(connection.sock)
            del self._reading[connection.sock]
            self._dispatch(connection)
        elif len(connection.data) > self.connections.header_bytes:
            limit = self.connections.header_bytes
            self._refuse(
                connection,
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"the request line and headers are longer than {limit} bytes",
            )

    def _expire(self) -> None:
        now = time.monotonic()
        while self._reading:
            oldest = next(iter(self._reading.values()))
            if oldest.deadline > now:
                return
            timeout = self.connections.header_timeout_s
            self._refuse(
                oldest,
                HTTPStatus.REQUEST_TIMEOUT,
                f"no whole request line and headers within {timeout:g} s",
            )

    def _dispatch(self, connection: _Connection) -> None:
        try:
            self._queue.put_nowait(connection)
        except queue.Full:
            self._refuse(
                connection,
                HTTPStatus.SERVICE_UNAVAILABLE,
                "too many requests at once; retry",
                "Retry-After: 1",
            )

    def _refuse(
        self, connection: _Connection, status: HTTPStatus, message: str, *extra: str
    ) -> None:
        """Answer ``status`` if the client takes it at once, close, and log one line."""
        _log(connection, f"{status.value}: {message}")
        with suppress(OSError):
            connection.sock.setblocking(False)
            connection.sock.send(_plain(status, message, *extra))
        self._forget(connection)

    def _forget(self, connection: _Connection) -> None:
        if self._reading.pop(connection.sock, None) is not None:
            with suppress(KeyError, ValueError):
                self._selector.unregister(connection.sock)
        _close(connection.sock)
        self._let_go(connection)

    # --- a client gone while it is answered

    def _watch(self) -> None:
        """Stop the queries of clients that closed their connection while being answered.

        A client that closes its side of the connection (end of file) or resets it is gone;
        one that shuts down only its sending side after its request is taken for gone too.
        """
        with self._lock:
            for connection in self._answering.values():
                if connection.gone or _closed_by_its_client(connection.sock):
                    self._went_away(connection)  # again when gone: a query started since

    def went_away(self, connection: _Connection) -> None:
        """The thread answering ``connection`` found its client gone (its answer could not be
        written): as if the watcher had seen it first."""
        with self._lock:
            self._went_away(connection)

    def _went_away(self, connection: _Connection) -> None:
        connection.gone = True
        if self._stopper is not None and connection.thread is not None:
            connection.stopped |= self._stopper.stop_queries_of(connection.thread)

    def _said_gone(self, connection: _Connection) -> None:
        """One line for a client that went away, once its request is done with (or the server
        stops first): what it cost (a query stopped for it, or only its answer dropped)."""
        with self._lock:
            if not connection.gone or connection.said:
                return
            connection.said = True
            what = "its query was stopped" if connection.stopped else "its answer is dropped"
        _log(connection, f"the client went away before its answer; {what}")

    # --- answering, in the pool's threads

    def _work(self) -> None:
        while True:
            connection = self._queue.get()
            connection.thread = threading.get_ident()
            with self._lock:
                self._answering[connection.sock] = connection
            try:
                connection.sock.setblocking(True)
                _Handler(connection, connection.address, self)  # type: ignore[arg-type]
            except Exception as error:  # the handler logs its own; this is the last resort
                _log(connection, f"500: {type(error).__name__}: {error}")
            finally:
                with self._lock:
                    del self._answering[connection.sock]
                self._said_gone(connection)
                _close(connection.sock)
                self._let_go(connection)
                del connection


def _client_of(address: Any) -> str:
    """Whose connection it is, for the share each client may hold: its IP address, or for an
    IPv6 address its /64 network (one host commonly has a whole /64 to pick from).

    >>> _client_of(("127.0.0.2", 40000)), _client_of(("2001:db8::1:2", 40000, 0, 0))
    ('127.0.0.2', '2001:db8::/64')
    """
    try:
        host = ipaddress.ip_address(address[0])
    except (TypeError, IndexError, ValueError):
        return str(address)
    if isinstance(host, ipaddress.IPv6Address):
        if host.ipv4_mapped is not None:
            return str(host.ipv4_mapped)
        return str(ipaddress.ip_network(f"{host}/64", strict=False))
    return str(host)


def _closed_by_its_client(sock: socket.socket) -> bool:
    """Whether the client closed (end of file) or reset the connection; never waits."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    if not poller.poll(0):
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""  # readable: it does not wait
    except (BlockingIOError, InterruptedError, TimeoutError):
        return False
    except OSError:
        return True


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
    with suppress(OSError):
        sock.close()


class _BodyTimeout(TimeoutError):
    pass


class _WriteTimeout(TimeoutError):
    pass


class _Reader(io.RawIOBase):
    """The request as the handler reads it: what the server read already, then the socket,
    within one deadline for the whole body."""

    def __init__(self, connection: _Connection, timeout: float) -> None:
        super().__init__()
        self._sock = connection.sock
        self._data = connection.data
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._data:
            size = min(len(buffer), len(self._data))
            buffer[:size] = self._data[:size]
            del self._data[:size]
            return size
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _BodyTimeout(f"the request's body did not arrive within {self._timeout:g} s")
        self._sock.settimeout(left)
        try:
            return self._sock.recv_into(buffer)
        except TimeoutError as error:
            raise _BodyTimeout(
                f"the request's body did not arrive within {self._timeout:g} s"
            ) from error


class _Writer(io.BufferedIOBase):
    """The answer as the handler writes it: each write taken by the client within a time."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        super().__init__()
        self._sock = sock
        self._timeout = timeout

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._sock.settimeout(self._timeout)
        try:
            self._sock.sendall(data)
        except TimeoutError as error:
            raise _WriteTimeout(
                f"the client took no part of its answer for {self._timeout:g} s: dropped"
            ) from error
        return len(data)


class _Handler(WSGIRequestHandler):
    """One request on a connection whose request line and headers the server read already;
    every failure one line on standard error (no line for a request answered)."""

    request: _Connection
    server: Server
    default_request_version = "HTTP/1.0"  # an error's answer has a status line

    def setup(self) -> None:
        connections = self.server.connections
        self.connection = self.request.sock
        self.rfile = io.BufferedReader(_Reader(self.request, connections.body_timeout_s))
        self.wfile = _Writer(self.request.sock, connections.write_timeout_s)

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.parse_request():  # parse_request answered the error (log_error)
            return
        handler = _ServerHandler(
            cast(IO[bytes], self.rfile),
            cast(IO[bytes], self.wfile),
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())

    def finish(self) -> None:
        with suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a request answered is no news

    def log_error(self, format: str, *args: Any) -> None:
        if format == "code %d, message %s":  # send_error's
            _log(self.request, f"{args[0]}: {args[1]}")
        else:
            _log(self.request, format % args)


class _ServerHandler(ServerHandler):
    """Runs the application; a failure costs its client a status code (if it can still take
    one) and the server one line, never a traceback."""

    environ: dict[str, Any]
    headers: Any
    headers_sent: bool

    def run(self, application: Any) -> None:
        handler: _Handler = self.request_handler  # type: ignore[attr-defined]
        connection = handler.request
        what = f"{handler.command} {handler.path.split('?', 1)[0][:200]}"
        try:
            self.setup_environ()
            self.result = application(self.environ, self.start_response)
            self.finish_response()
        except _BodyTimeout as error:
            _log(connection, f"408: {what}: {error}")
            self._answer(HTTPStatus.REQUEST_TIMEOUT, str(error))
        except _WriteTimeout as error:
            _log(connection, f"{what}: {error}")
        except ConnectionError:
            handler.server.went_away(connection)
        except Exception as error:
            _log(connection, f"500: {what}: {type(error).__name__}: {error}")
            self._answer(HTTPStatus.INTERNAL_SERVER_ERROR, "the server failed; it logged why")
        finally:
            self.result = None  # the answer's memory, at once

    def _answer(self, status: HTTPStatus, message: str) -> None:
        if not self.headers_sent:
            with suppress(OSError):
                self.stdout.write(_plain(status, message))

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        if self.headers is not None:
            self.headers["Connection"] = "close"  # one request a connection


# --- the command ---------------------------------------------------------------------------------


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


@contextmanager
def _ignoring_stops() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP ignored (the server is stopping already: its cleanup, which
    is bounded, is not cut short and nothing is left behind); in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in stops}
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
