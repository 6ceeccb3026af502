"""``kg serve``: a read-only endpoint that checks its port before announcing it, answers only
for its own host names, refuses SERVICE and updates, bounds each query in time and memory while
it goes on serving others, and leaves no process and no temporary store behind, whichever signal
stops it (SIGKILL included).

Each test runs ``kg serve`` as a real process with a TMPDIR of its own, so that what one test
leaves behind is never counted by another.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from click.testing import Result
from servers import ended, free_port, interruptible, listener, skip_without_dot, wait_for

pytestmark = pytest.mark.stores

ROOT = Path(__file__).resolve().parents[1]
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: Five chained patterns over the whole release: Oxigraph cannot cancel it.
CROSS_PRODUCT = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
)
#: Must hold its whole answer in memory to sort it.
SORTED_PRODUCT = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
TRIPLES = len((ROOT / "dist/graph.nt").read_text(encoding="utf-8").splitlines())


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    tmp: Path

    def query(self, text: str, **headers: str) -> requests.Response:
        return requests.post(
            f"{self.url}/query",
            data={"query": text},
            headers={"Accept": "text/csv", **headers},
            timeout=120,
        )


def children_of(pid: int) -> list[int]:
    """The PIDs whose parent is ``pid`` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def kg_process(tmp: Path, *args: str) -> subprocess.Popen[bytes]:
    tmp.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp)}
    return subprocess.Popen(
        interruptible("kg", "--project", str(ROOT), "serve", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


@contextmanager
def served(tmp_path: Path, *args: str) -> Iterator[Served]:
    port = free_port()
    tmp = tmp_path / "tmp"
    process = kg_process(tmp, "--port", str(port), *args)
    try:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{url}/query?query=ASK%7B%7D", process)  # type: ignore[arg-type]
        except RuntimeError:
            if process.poll() is not None and process.stderr is not None:
                skip_without_dot(process.stderr.read().decode("utf-8", errors="replace"))
            raise
        # the workers of the probes above that gave up are stopped: a test that waits for a
        # worker of its own must not take one of theirs for it
        assert wait_until(lambda: children_of(process.pid) == [], 10)
        yield Served(process, url, port, tmp)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=20)


@contextmanager
def running_in_the_background(server: Served, query: str) -> Iterator[list[int]]:
    """A heavy query sent from a thread; yields the PIDs of the workers running it."""
    thread = threading.Thread(target=lambda: _ignore_errors(server, query), daemon=True)
    thread.start()
    workers: list[int] = []
    assert wait_until(lambda: bool(workers.extend(children_of(server.process.pid)) or workers))
    yield workers


def _ignore_errors(server: Served, query: str) -> None:
    with suppress(requests.RequestException):
        server.query(query)


# --- a read-only endpoint -------------------------------------------------------------------


def test_serve_answers_read_only_and_stops(tmp_path: Path) -> None:
    with served(tmp_path) as server:
        answer = server.query(COUNT)
        assert answer.status_code == 200 and answer.text.split() == ["n", str(TRIPLES)]
        assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
        as_json = server.query("ASK { ?s ?p ?o }", Accept="application/sparql-results+json")
        assert as_json.json()["boolean"] is True
        turtle = server.query("CONSTRUCT WHERE { ?s a ?o } LIMIT 1", Accept="text/turtle")
        assert turtle.status_code == 200 and turtle.headers["Content-Type"].startswith(
            "text/turtle"
        )
        for update in ("CLEAR ALL", "INSERT DATA { <http://a> <http://b> <http://c> }"):
            refused = requests.post(f"{server.url}/update", data={"update": update}, timeout=10)
            assert refused.status_code == 403
            assert server.query(update).status_code == 403
        assert server.query(COUNT).text.split() == ["n", str(TRIPLES)]
        server.process.send_signal(signal.SIGINT)
        _, stderr = ended(server.process, 20)
        assert server.process.returncode == 0
        assert f"serving the release read-only at {server.url}/query" in stderr.decode()
        assert list(server.tmp.iterdir()) == []


# --- not a proxy, not reachable by DNS rebinding ----------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * {{ SERVICE <http://127.0.0.1:{port}/internal?secret=1> {{ ?s ?p ?o }} }}",
        "SELECT * {{ #x\rSERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * {{ service silent <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    ],
)
def test_service_is_refused_without_a_word_about_the_target(query: str, tmp_path: Path) -> None:
    with served(tmp_path) as server, listener() as (port, received):
        answer = server.query(query.format(port=port))
        assert answer.status_code == 403
        assert answer.text == "SERVICE is not allowed on this endpoint\n"
        assert str(port) not in answer.text
    assert received == []


def test_the_operator_may_allow_service(tmp_path: Path) -> None:
    with served(tmp_path, "--allow-service", "--timeout", "5") as server:
        with listener() as (port, received):
            server.query(f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}")
        assert received, "with --allow-service the query reaches the other server"


@pytest.mark.parametrize(
    "host, status",
    [
        ("evil.example", 421),
        ("evil.example:{port}", 421),
        ("localhost:{port}", 200),
        ("127.0.0.1:{port}", 200),
    ],
)
def test_only_its_own_host_names(host: str, status: int, tmp_path: Path) -> None:
    with served(tmp_path) as server:
        answer = server.query(COUNT, Host=host.format(port=server.port))
    assert answer.status_code == status


def test_another_host_name_when_the_operator_names_it(tmp_path: Path) -> None:
    with served(tmp_path, "--allow-host", "kg.example.org") as server:
        answer = server.query(COUNT, Host=f"kg.example.org:{server.port}")
    assert answer.status_code == 200


# --- bounded queries, and the others still served --------------------------------------------


@pytest.mark.slow
def test_a_query_past_its_time_is_stopped_and_others_go_on(tmp_path: Path) -> None:
    with served(tmp_path, "--timeout", "3") as server:
        started = time.monotonic()
        answer = server.query(CROSS_PRODUCT)
        elapsed = time.monotonic() - started
        assert answer.status_code == 503
        assert answer.text == "the query took longer than 3 s and was stopped\n"
        assert elapsed < 3 + 5
        assert wait_until(lambda: children_of(server.process.pid) == [], 5)
        assert server.query(COUNT).text.split() == ["n", str(TRIPLES)]


@pytest.mark.slow
def test_a_query_past_its_memory_is_stopped_and_others_go_on(tmp_path: Path) -> None:
    limit = 300
    with served(tmp_path, "--memory", str(limit), "--timeout", "120") as server:
        peak = [0.0]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                for pid in children_of(server.process.pid):
                    peak[0] = max(peak[0], rss_mb(pid))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        answer = server.query(SORTED_PRODUCT)
        done.set()
        watcher.join(5)
        assert answer.status_code == 503
        assert answer.text == f"the query needed more than {limit} MB of memory and was stopped\n"
        assert 0 < peak[0] < limit + 150  # the limit, over what the worker had mapped at start
        assert server.query(COUNT).text.split() == ["n", str(TRIPLES)]


# --- nothing left behind ---------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_stops_the_server_its_queries_and_removes_its_store(
    signum: signal.Signals, tmp_path: Path
) -> None:
    with served(tmp_path) as server:
        (store,) = server.tmp.iterdir()
        assert store.name.startswith("kg-serve-")
        with running_in_the_background(server, CROSS_PRODUCT) as workers:
            server.process.send_signal(signum)
            _, stderr = ended(server.process, 30)
            assert server.process.returncode == 0, stderr.decode()
            assert wait_until(lambda: not any(alive(w) for w in workers)), "a worker outlived kg"
        assert list(server.tmp.iterdir()) == []
        assert b"Traceback" not in stderr


def test_sigkill_takes_its_queries_with_it(tmp_path: Path) -> None:
    """kg cannot clean up after SIGKILL, but a running query dies with it (PR_SET_PDEATHSIG),
    and the next kg serve removes the store it left."""
    with served(tmp_path) as server:
        with running_in_the_background(server, CROSS_PRODUCT) as workers:
            server.process.kill()
            server.process.wait(timeout=10)
            assert wait_until(lambda: not any(alive(w) for w in workers)), "a worker outlived kg"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.url}/query?query=ASK%7B%7D", timeout=2)
        (left,) = list(server.tmp.iterdir())
    with served(tmp_path) as again:
        assert not left.exists(), "the next kg serve removes the store of a killed one"
        again.process.send_signal(signal.SIGTERM)
        again.process.communicate(timeout=30)


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        process = kg_process(tmp_path / "tmp", "--port", str(port))
        _, stderr = process.communicate(timeout=60)
    text = stderr.decode()
    assert process.returncode == 2, text
    assert text.strip().splitlines() == [
        f"kg: error: cannot serve on 127.0.0.1:{port}: Address already in use "
        "(another server uses it? choose another --port)"
    ]
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--release", "dist/graph.ttl"], "not a release folder"),
        (["--data", "dist/graph.ttl"], "No such option"),
    ],
)
def test_serve_takes_a_release_folder(args: list[str], message: str, tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "kg", "serve", "--port", str(free_port()), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_a_release_that_is_not_what_it_lists(tmp_path: Path) -> None:
    """A file void.ttl does not list (a symlink to a secret) refuses the whole release in one
    line: nothing is served, and no temporary store is left (issue 19)."""
    import shutil

    hostile = tmp_path / "hostile"
    shutil.copytree(ROOT / "dist", hostile)
    (hostile / "shadow.txt").symlink_to("/etc/hostname")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "kg", "serve", "--port", str(free_port()), "--release", hostile],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
        timeout=60,
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        f"kg: error: {hostile}/shadow.txt: not a file void.ttl lists: refused (a release holds "
        "only the files its description lists; remove it, or build the release again)"
    )
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--timeout", "0", "--timeout: 0 is not between 0.001 and 86400"),
        ("--timeout", "nan", "--timeout: nan is not between"),
        ("--memory", "8", "--memory: 8 is not between 16 and 1048576"),
        ("--memory", str(1 << 40), "--memory: 1099511627776 is not between"),
        ("--concurrent-queries", "0", "--concurrent-queries: 0 is not between 1 and 256"),
        (
            "--concurrent-queries",
            "8",
            "--concurrent-queries: 8 is not between 1 and 7 (each query running or waiting its "
            "turn holds one of the 16 threads, and pages need one)",
        ),
        ("--query-wait", "-1", "--query-wait: -1 is not between 0 and 3600"),
        ("--threads", "100000", "--threads: 100000 is not between 1 and 1024"),
        ("--max-connections", "-5", "--max-connections: -5 is not between 1 and 1048576"),
        ("--max-client-connections", "0", "--max-client-connections: 0 is not between 1"),
    ],
)
def test_a_limit_out_of_bounds_is_one_line(
    option: str, value: str, said: str, kg: Callable[..., Result]
) -> None:
    """kg serve's limits are checked before anything starts: a limit that would refuse
    everything, or one no machine holds, is one line and exit 2 (issue 19)."""
    result = kg("--project", ROOT, "serve", "--port", str(free_port()), option, value)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"kg: error: {said}"), line


def test_serve_warns_off_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    from kg.web.server import Limits, _announce

    _announce("10.0.0.5", 7878, Limits())
    assert "warning: bound to 10.0.0.5, not loopback" in capsys.readouterr().err
    _announce("127.0.0.1", 7878, Limits())
    assert "warning" not in capsys.readouterr().err


def test_a_client_that_goes_away_mid_answer_is_no_error(tmp_path: Path) -> None:
    """A client that closes its connection before the answer is written: kg serve goes on
    answering others, and prints no traceback (it printed BrokenPipeError's)."""
    import socket
    import struct
    from urllib.parse import quote

    everything = quote("SELECT * WHERE { ?s ?p ?o }")
    with served(tmp_path) as server:
        host, port = server.url.split("//", 1)[1].rsplit(":", 1)
        for _ in range(5):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                request = f"GET /query?query={everything} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n"
                sock.sendall(request.encode())
                # closed at once, with a reset: the server's answer meets a closed connection
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        assert server.query(COUNT).status_code == 200
        server.process.send_signal(signal.SIGTERM)
        _, stderr = server.process.communicate(timeout=30)
        assert b"Traceback" not in stderr and b"BrokenPipe" not in stderr, stderr.decode()


def test_a_406_ends_where_its_content_length_says(tmp_path: Path) -> None:
    """A client asking only for image/png on a kept-alive connection got a 406 with no length
    and waited for its end; now the answer says how long it is and what is offered."""
    from test_app import CLAIM, exchange

    with (
        served(tmp_path) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock,
    ):
        stream = sock.makefile("rb")
        status, body = exchange(sock, stream, f"127.0.0.1:{server.port}", CLAIM, "image/png")
        assert status == 406
        assert b"text/turtle" in body and b"application/rdf+xml" in body
        preflight = requests.options(f"{server.url}/query", timeout=10)
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
        head = requests.head(f"{server.url}/query", params={"query": "ASK {}"}, timeout=30)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Access-Control-Allow-Origin"] == "*"
