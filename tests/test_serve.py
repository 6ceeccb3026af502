"""``kg serve``: a read-only endpoint that checks its port before announcing it, and leaves no
process and no temporary store behind, whichever signal stops it (SIGKILL included).

Each test runs ``kg serve`` as a real process with a TMPDIR of its own, so that what one test
leaves behind is never counted by another.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from servers import free_port, wait_for

from kg.endpoint import Connection, EndpointError
from kg.query import run_remote_query

pytestmark = pytest.mark.stores

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str
    tmp: Path

    def oxigraph_children(self) -> list[int]:
        return children_of(self.process.pid)


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


def wait_until(condition: object, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


def kg_process(tmp: Path, *args: str) -> subprocess.Popen[bytes]:
    tmp.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp)}
    return subprocess.Popen(
        [sys.executable, "-m", "kg", "--project", str(ROOT), "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


@contextmanager
def served(tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    tmp = tmp_path / "tmp"
    process = kg_process(tmp, "--port", str(port))
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/query?query=ASK%7B%7D", process)  # type: ignore[arg-type]
        yield Served(process, url, tmp)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=20)


def test_serve_read_only_and_stop(tmp_path: Path) -> None:
    with served(tmp_path) as server:
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        result = run_remote_query(f"{server.url}/query", query, Connection())
        assert isinstance(result, object)
        (row,) = list(result)  # type: ignore[call-overload]
        triples = len((ROOT / "dist/graph.nt").read_text().splitlines())
        assert Decimal(row["n"].value) == triples
        update = requests.post(f"{server.url}/update", data={"update": "CLEAR ALL"}, timeout=10)
        assert update.status_code == 403
        server.process.send_signal(signal.SIGINT)
        _, stderr = server.process.communicate(timeout=20)
        assert server.process.returncode == 0
        assert f"serving the release read-only at {server.url}/query" in stderr.decode()
        assert list(server.tmp.iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_stops_the_server_and_removes_its_store(
    signum: signal.Signals, tmp_path: Path
) -> None:
    with served(tmp_path) as server:
        (child,) = server.oxigraph_children()
        (store,) = server.tmp.iterdir()
        assert store.name.startswith("kg-serve-")
        server.process.send_signal(signum)
        _, stderr = server.process.communicate(timeout=30)
        assert server.process.returncode == 0, stderr.decode()
        assert wait_until(lambda: not alive(child)), "oxigraph outlived kg serve"
        assert list(server.tmp.iterdir()) == []
        assert b"Traceback" not in stderr


def test_sigkill_takes_the_server_with_it(tmp_path: Path) -> None:
    """kg cannot clean up after SIGKILL, but its server dies with it (PR_SET_PDEATHSIG), and the
    next kg serve removes the store it left."""
    with served(tmp_path) as server:
        (child,) = server.oxigraph_children()
        server.process.kill()
        server.process.wait(timeout=10)
        assert wait_until(lambda: not alive(child)), "oxigraph outlived kg (SIGKILL)"
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


def test_a_server_that_dies_at_start_is_reported(tmp_path: Path) -> None:
    from kg.oxigraph import _wait_until_serving

    log = tmp_path / "server.log"
    log.write_text("Stack backtrace:\nError: Address already in use (os error 98)\n  0: main\n")
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
    dead.wait()
    with pytest.raises(EndpointError) as caught:
        _wait_until_serving(dead, log, "127.0.0.1", free_port())  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("the server did not start on 127.0.0.1:")
    assert message.endswith(": Address already in use (os error 98)")


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
