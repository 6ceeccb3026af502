"""kg serve's server (kg.web.server) as one you could put on the internet (issue 19): it holds a
bounded number of connections and threads, so that a thousand connections that send half a
request (Slowloris) do not keep it from answering; it waits a bounded time for a request's
headers, for its body and for the client to take its answer; a client that goes away has its
query stopped; and every failure is a status code and one line on standard error, never a
traceback.

Most tests run a small WSGI application on the server (tests/tiny_serve.py), with short time
limits; those about queries run ``kg serve`` itself.
"""

from __future__ import annotations

import json
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from servers import free_port, interruptible
from test_serve import (
    CROSS_PRODUCT,
    alive,
    children_of,
    rss_mb,
    running_in_the_background,
    served,
    wait_until,
)

pytestmark = pytest.mark.stores

HERE = Path(__file__).resolve().parent


@dataclass
class Tiny:
    process: subprocess.Popen[bytes]
    port: int
    stderr: str = ""

    def connect(self, timeout: float = 10.0, source: str | None = None) -> socket.socket:
        """A connection to the server, from ``source`` (another loopback address) if given."""
        bound = (source, 0) if source is not None else None
        return socket.create_connection(("127.0.0.1", self.port), timeout, bound)

    def ask(self, request: bytes, timeout: float = 10.0, source: str | None = None) -> bytes:
        """Send a whole request; the whole answer (the server closes after it)."""
        with self.connect(timeout, source) as sock:
            sock.sendall(request)
            return read_all(sock)


@contextmanager
def tiny(**connections: float) -> Iterator[Tiny]:
    """tests/tiny_serve.py on a free port with these Connections; stopped by its own PID
    (SIGINT), its standard error then in ``.stderr``."""
    port = free_port()
    process = subprocess.Popen(
        interruptible(str(HERE / "tiny_serve.py"), str(port), json.dumps(connections)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Tiny(process, port)
    try:
        answered(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            _, err = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
        server.stderr = err.decode()


def answered(server: Tiny, seconds: float = 30.0, source: str | None = None) -> None:
    """Wait until the server answers (a request from ``source``, if given), with a bounded
    loop that notices a dead server and a client that waits for its answer (one that gave up
    would be logged as gone)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.process.returncode}")
        try:
            if status_of(server.ask(get("/", server.port), seconds, source)) == 200:
                return
        except (ConnectionRefusedError, IndexError):
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {seconds} s")


def connect_from(address: str, port: int) -> socket.socket:
    """A connection to 127.0.0.1:port from another loopback address (all of 127/8 is this
    machine's, on Linux), as if from another client."""
    return socket.create_connection(("127.0.0.1", port), 10, source_address=(address, 0))


def get(path: str, port: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def logged(stderr: str, client: str = "127.0.0.1") -> list[str]:
    """The lines a server wrote about the client at ``client`` (``kg: HOST:PORT: ...``)."""
    return [line for line in stderr.splitlines() if line.startswith(f"kg: {client}:")]


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr and "Too many open files" not in stderr, stderr


def enough_files(wanted: int) -> None:
    """Let this process hold ``wanted`` sockets (its soft limit up to its hard one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"this process may open only {hard} files")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


# --- bounded connections and threads ----------------------------------------------------------


@pytest.mark.slow
def test_a_thousand_half_open_connections_do_not_stop_it(tmp_path: Path) -> None:
    """Slowloris: 1,000 connections (from 40 loopback addresses, 25 each: within each
    address's share) each send half a request line and wait; kg serve still answers GET / and
    a query at once (no thread is held by a connection still sending its headers), then drops
    them at the header timeout, and prints no traceback."""
    enough_files(2500)
    with served(tmp_path) as server, ExitStack() as stack:
        started = time.monotonic()
        for number in range(1000):
            sock = stack.enter_context(connect_from(f"127.0.1.{number % 40 + 1}", server.port))
            sock.sendall(b"GET /?a=")
        opened = time.monotonic() - started
        started = time.monotonic()
        page = requests.get(f"{server.url}/", timeout=10)
        took = time.monotonic() - started
        assert page.status_code == 200, page.text
        assert took < 3, f"GET / took {took:.2f} s under 1,000 half-open connections"
        assert server.query("ASK { ?s ?p ?o }").status_code == 200
        print(f"1,000 half-open connections opened in {opened:.2f} s; GET / took {took:.3f} s")
        server.process.send_signal(signal.SIGTERM)
        _, stderr = server.process.communicate(timeout=30)
    assert server.process.returncode == 0
    no_traceback(stderr.decode())


def test_past_its_threads_and_queue_a_request_is_503_at_once() -> None:
    with tiny(threads=1, queued=1) as server:
        slow = [threading.Thread(target=server.ask, args=(get("/slow?3", server.port),))]
        slow.append(threading.Thread(target=server.ask, args=(get("/slow?3", server.port),)))
        for thread in slow:
            thread.start()
            time.sleep(0.3)  # the first taken by the thread, the second queued
        started = time.monotonic()
        answer = server.ask(get("/", server.port))
        assert time.monotonic() - started < 1
        assert status_of(answer) == 503
        head, _, body = answer.partition(b"\r\n\r\n")
        assert f"Content-Length: {len(body)}".encode() in head and b"Retry-After" in head
        for thread in slow:
            thread.join(20)
        assert status_of(server.ask(get("/", server.port))) == 200
    assert logged(server.stderr) == [
        line for line in logged(server.stderr) if "503: too many requests at once" in line
    ]
    assert len(logged(server.stderr)) == 1
    no_traceback(server.stderr)


def test_past_its_reading_connections_the_oldest_makes_room() -> None:
    with tiny(reading=10, per_client=1000) as server, ExitStack() as stack:
        socks = [stack.enter_context(server.connect()) for _ in range(200)]
        for sock in socks:
            sock.sendall(b"GET /?a=")
        assert status_of(server.ask(get("/", server.port))) == 200
        socks[0].settimeout(5)
        assert socks[0].recv(100) == b"", "the oldest was closed"
    assert all("dropped: too many connections" in line for line in logged(server.stderr))
    no_traceback(server.stderr)


# --- one client cannot take every slot --------------------------------------------------------


def test_one_address_cannot_take_every_connection() -> None:
    """A client address holds 4 connections sending half a request (its share): each further
    one from it is answered 503 with Retry-After at once, while another address is answered;
    once it lets go of them, it is answered again (issue 19)."""
    client = "127.0.0.4"  # not 127.0.0.1: tiny()'s first request may still count in its share
    # until the server has seen it close, and then the fourth held would be refused and the
    # server, seeing it close, would take one of the 20 as the fourth
    with tiny(per_client=4, header_timeout_s=60) as server, ExitStack() as stack:
        held = [stack.enter_context(server.connect(source=client)) for _ in range(4)]
        for sock in held:
            sock.sendall(b"GET /?a=")
        for _ in range(20):  # accepted in order: after the 4 held, each is one too many
            with server.connect(source=client) as sock:
                refused = read_all(sock)
            assert status_of(refused) == 503 and b"\r\nRetry-After: 1\r\n" in refused
        for _ in range(3):
            with connect_from("127.0.0.2", server.port) as other:
                other.sendall(get("/", server.port))
                assert read_all(other).endswith(b"\r\n\r\nhello\n")
        for sock in held:
            sock.close()
        answered(server, source=client)  # bounded: until the server has seen them go
    lines = logged(server.stderr, client)
    # the 20, and any of answered()'s tries that came before the server saw the 4 go
    assert len(lines) >= 20
    assert all("503: this address holds 4 connections already; refused" in n for n in lines)
    assert "kg: 127.0.0.2:" not in server.stderr
    no_traceback(server.stderr)


def test_connections_being_answered_count_in_the_share() -> None:
    """Two slow requests (5 s) from one address take its share of 2: a third from it is 503 at
    once, another address is answered meanwhile, and the two slow ones are answered."""
    with tiny(per_client=2, threads=4) as server, ExitStack() as stack:
        # from an address of their own: tiny()'s first request, from 127.0.0.1, may still count
        # in 127.0.0.1's share until the server has seen it close
        slow = [stack.enter_context(connect_from("127.0.0.3", server.port)) for _ in range(2)]
        for sock in slow:
            sock.settimeout(20)
            sock.sendall(get("/slow?5", server.port))
        with connect_from("127.0.0.3", server.port) as sock:
            assert status_of(read_all(sock)) == 503
        with connect_from("127.0.0.2", server.port) as other:
            other.sendall(get("/", server.port))
            assert status_of(read_all(other)) == 200
        assert all(read_all(sock).endswith(b"slow\n") for sock in slow)
    (line,) = [n for n in server.stderr.splitlines() if n.startswith("kg: 127.0.0.3:")]
    assert "503: this address holds 2 connections already; refused" in line
    no_traceback(server.stderr)


# --- time limits ------------------------------------------------------------------------------


def test_the_request_line_and_headers_must_arrive_in_time() -> None:
    with tiny(header_timeout_s=1) as server, server.connect() as sock:
        sock.sendall(b"GET / HT")
        started = time.monotonic()
        answer = read_all(sock)
        waited = time.monotonic() - started
        assert status_of(answer) == 408 and b"Content-Length: " in answer
        assert 0.5 < waited < 3
        assert status_of(server.ask(get("/", server.port))) == 200
    assert len(logged(server.stderr)) == 1 and "408: no whole request line" in server.stderr
    no_traceback(server.stderr)


def test_the_body_must_arrive_in_time() -> None:
    with tiny(body_timeout_s=1) as server, server.connect() as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        started = time.monotonic()
        answer = read_all(sock)
        assert status_of(answer) == 408 and time.monotonic() - started < 3
        whole = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        assert server.ask(whole).endswith(b"\r\n\r\nhello")
    assert len(logged(server.stderr)) == 1 and "408: POST /echo" in server.stderr
    no_traceback(server.stderr)


def test_a_client_that_takes_no_answer_is_dropped_and_the_answer_freed() -> None:
    with tiny(write_timeout_s=1) as server, server.connect() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        before = rss_mb(server.process.pid)
        sock.sendall(get("/big", server.port))  # and read nothing
        assert wait_until(lambda: rss_mb(server.process.pid) > before + 150, 20)
        assert wait_until(lambda: rss_mb(server.process.pid) < before + 50, 10), "not freed"
        assert status_of(server.ask(get("/", server.port))) == 200
    (line,) = logged(server.stderr)
    assert "GET /big: the client took no part of its answer for 1 s: dropped" in line
    no_traceback(server.stderr)


# --- every failure a status and one line --------------------------------------------------------


@pytest.mark.parametrize(
    "request_, status, said",
    [
        (b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\n", 500, "500: GET /fail: ValueError: a bug"),
        (b"NONSENSE\r\n\r\n", 400, "400: Bad request syntax"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 20000 + b"\r\n", 431, "431: "),
    ],
)
def test_a_failure_is_a_status_and_one_line(request_: bytes, status: int, said: str) -> None:
    with tiny() as server:
        with server.connect() as sock:
            with_reset = status == 431  # the server stops reading: the rest may reset
            try:
                sock.sendall(request_)
                answer = read_all(sock)
            except ConnectionResetError:
                assert with_reset
            else:
                assert status_of(answer) == status
        assert status_of(server.ask(get("/", server.port))) == 200
    (line,) = logged(server.stderr)
    assert said in line
    no_traceback(server.stderr)


# --- a client that goes away ------------------------------------------------------------------


def test_a_client_gone_has_its_query_stopped(tmp_path: Path) -> None:
    """The client closes its connection while its query runs: the query's worker is killed
    at once (not at the query's time limit), and kg serve logs one line."""
    with served(tmp_path, "--timeout", "60") as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        request = f"/query?query={quote(CROSS_PRODUCT)}"
        sock.sendall(get(request, server.port) + b"")
        workers: list[int] = []
        assert wait_until(lambda: bool(workers.extend(children_of(server.process.pid)) or workers))
        client = f"127.0.0.1:{sock.getsockname()[1]}: "
        sock.close()
        started = time.monotonic()
        assert wait_until(lambda: not any(alive(w) for w in workers), 10)
        stopped = time.monotonic() - started
        assert stopped < 3, f"the query ran on {stopped:.1f} s after its client went away"
        assert server.query("ASK { ?s ?p ?o }").status_code == 200
        server.process.send_signal(signal.SIGTERM)
        _, err = server.process.communicate(timeout=30)
    stderr = err.decode()
    (line,) = [line for line in logged(stderr) if client in line]  # one line of its own
    assert line.endswith("its query was stopped"), stderr
    no_traceback(stderr)


# --- queries waiting for their turn -------------------------------------------------------------


def test_a_query_waits_for_its_turn_a_bounded_time() -> None:
    """One query runs; one more may wait for its turn, for wait_s at most; a third, while one
    waits, is refused at once (so waiting queries never hold every thread of the server)."""
    from kg.web.app import QuerySlots

    brief = QuerySlots(1, wait_s=0.2)
    assert brief.take()
    assert not brief.take(), "no turn came within 0.2 s"
    brief.give()
    assert brief.take()

    slots = QuerySlots(1, wait_s=120)
    assert slots.take()
    waited: list[bool] = []
    waiter = threading.Thread(target=lambda: waited.append(slots.take()))
    waiter.start()
    assert wait_until(lambda: slots.waiting == 1)
    third: list[bool] = []
    refused = threading.Thread(target=lambda: third.append(slots.take()))
    refused.start()
    refused.join(30)  # it would wait 120 s if it were let in to wait
    assert not refused.is_alive() and third == [False]
    slots.give()
    waiter.join(30)
    assert waited == [True] and slots.waiting == 0


def test_a_query_without_a_turn_is_503_with_retry_after(tmp_path: Path) -> None:
    """kg serve --concurrent-queries 1 --query-wait 1: while a query runs, another waits 1 s
    for its turn, then is answered 503 with Retry-After; the server goes on answering."""
    with (
        served(
            tmp_path, "--concurrent-queries", "1", "--query-wait", "1", "--timeout", "120"
        ) as server,
        running_in_the_background(server, CROSS_PRODUCT),
    ):
        busy = server.query("ASK { ?s ?p ?o }")
        assert busy.status_code == 503, busy.text
        assert busy.text == "too many queries at once; retry\n"
        assert busy.headers["Retry-After"] == "1"
        assert requests.get(f"{server.url}/", timeout=10).status_code == 200


def test_the_application_stops_the_queries_of_one_thread(release: Path) -> None:
    """The cancel hook is public: the server stops a request's queries through
    App.stop_queries_of (StopsQueries), never through the application's insides."""
    from kg.web.app import create_app
    from kg.web.server import StopsQueries

    app = create_app(release, hosts=["kg.test"])
    try:
        assert isinstance(app, StopsQueries)
        assert not app.stop_queries_of(threading.get_ident()), "none running"
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        with app.endpoint.lock:
            app.endpoint.workers[sleeper] = threading.get_ident()
        assert not app.stop_queries_of(threading.get_ident() + 1), "another thread's"
        assert app.stop_queries_of(threading.get_ident())
        assert sleeper.wait(30) != 0
    finally:
        app.close()
