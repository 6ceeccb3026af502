"""``kg serve`` answers as soon as it is bound, whatever the size of the release (issue 20):
while what it serves a release from is made (in a process of its own) or opened, every request
is answered 503 with Retry-After, a browser's with a page that reloads itself; then the release
is served. Stopped meanwhile, it stops the making and leaves nothing behind; a release that
cannot be loaded stops it with the error, exit 2.

The preparation is held still by real means: another holder of the kept copy's lock (as a
second ``kg serve`` making the same copy holds it), or the preparing process stopped with
SIGSTOP.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
import requests
from servers import ended, free_port, wait_for
from test_serve import ROOT, alive, children_of, kg_process, wait_until

from kg.web.app import Preparing
from kg.web.kept import _key

pytestmark = pytest.mark.stores

ASK = "/query?query=ASK%7B%7D"


def first_answer(url: str, process: subprocess.Popen[bytes]) -> requests.Response:
    """The first answer of a server that was just started (it is polled until it answers)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, ended(process, 5)[1].decode()
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not answer within 30 s")


@contextmanager
def copy_locked(release: Path, pictures: bool = False) -> Iterator[None]:
    """Hold the lock of the kept copy of ``release``, as a kg serve that makes it holds it."""
    cache = Path(os.environ["KG_SERVE_CACHE"])
    cache.mkdir(mode=0o700, exist_ok=True)
    key = _key((release / "void.ttl").read_bytes(), pictures)
    with (cache / f".{key}.lock").open("a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def preparing_process(server: int) -> int | None:
    """The PID of the process that prepares the release for the kg serve ``server``, if any."""
    for pid in children_of(server):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kg.web.preparing" in command:
            return pid
    return None


def left_in(cache: Path) -> list[str]:
    """What a kept-copy folder holds but the lock files (which are never removed)."""
    return sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock"))


def test_serve_answers_503_at_once_while_the_release_is_prepared(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with copy_locked(ROOT / "dist"):
        process = kg_process(tmp_path / "tmp", "--port", str(port), "--no-pictures")
        try:
            answer = first_answer(f"{url}/", process)
            assert answer.status_code == 503
            assert answer.headers["Retry-After"] == "2"
            assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert "preparing this release" in answer.text
            page = requests.get(f"{url}/", headers={"Accept": "text/html"}, timeout=5)
            assert page.status_code == 503 and page.headers["Retry-After"] == "2"
            assert page.headers["Content-Type"] == "text/html; charset=utf-8"
            assert '<meta http-equiv="refresh" content="2">' in page.text
            assert requests.get(f"{url}{ASK}", timeout=5).status_code == 503
            head = requests.head(f"{url}/doc/", timeout=5)
            assert head.status_code == 503 and head.content == b""
            other = requests.get(f"{url}/", headers={"Host": "evil.example"}, timeout=5)
            assert other.status_code == 421  # no DNS rebinding, even now
            assert preparing_process(process.pid) is None  # it waits for the other's copy
        except BaseException:
            process.kill()
            raise
    try:
        wait_for(f"{url}{ASK}", process, 60)  # type: ignore[arg-type]
        assert requests.get(f"{url}/", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = ended(process, 30)
    log = err.decode()
    assert process.returncode == 0, log
    assert "waiting for another kg serve that is making the kept site" in log
    assert "kg: ready: the release is served" in log
    assert log.index("serving the release read-only") < log.index("kg: ready:")


def test_stopped_while_it_waits_for_another_it_leaves_nothing_behind(tmp_path: Path) -> None:
    port = free_port()
    tmp = tmp_path / "tmp"
    with copy_locked(ROOT / "dist"):
        process = kg_process(tmp, "--port", str(port), "--no-pictures")
        assert first_answer(f"http://127.0.0.1:{port}/", process).status_code == 503
        process.send_signal(signal.SIGTERM)
        _, err = ended(process, 20)
    assert process.returncode == 0, err.decode()
    assert list(tmp.iterdir()) == []
    assert left_in(Path(os.environ["KG_SERVE_CACHE"])) == []
    assert b"Traceback" not in err and b"ready" not in err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopped_while_it_prepares_it_stops_the_preparing_process(
    signum: signal.Signals, tmp_path: Path
) -> None:
    """The preparing process, held still by SIGSTOP, is killed with the server's stop; what
    it had made is removed; no process is left."""
    port = free_port()
    tmp = tmp_path / "tmp"
    process = kg_process(tmp, "--port", str(port), "--no-pictures")
    try:
        preparing = stopped_preparing(process)
        answer = first_answer(f"http://127.0.0.1:{port}{ASK}", process)
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
        process.send_signal(signum)
        _, err = ended(process, 20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err.decode()
    assert wait_until(lambda: not alive(preparing), 10), "the preparing process outlived kg"
    assert list(tmp.iterdir()) == []
    assert left_in(Path(os.environ["KG_SERVE_CACHE"])) == []
    assert b"Traceback" not in err and b"ready" not in err


def test_a_release_that_cannot_be_loaded_stops_the_server_with_its_error(tmp_path: Path) -> None:
    """A graph.nq that its description lists as it is (size and SHA-256) but that is not
    N-Quads is found while the release is prepared: the server stops, exit 2, with the error
    in one line, and nothing is left behind."""
    release = tmp_path / "release"
    shutil.copytree(ROOT / "dist", release)
    graph = release / "graph.nq"
    old = graph.read_bytes()
    new = b"<https://example.org/s> <https://example.org/p> not N-Quads .\n"
    graph.write_bytes(new)
    void = release / "void.ttl"
    text = void.read_text(encoding="utf-8")
    for before, after in (
        (hashlib.sha256(old).hexdigest(), hashlib.sha256(new).hexdigest()),
        (f"dcat:byteSize {len(old)} ", f"dcat:byteSize {len(new)} "),
    ):
        assert text.count(before) == 1, before
        text = text.replace(before, after)
    void.write_text(text, encoding="utf-8")
    tmp = tmp_path / "tmp"
    port = free_port()
    process = kg_process(tmp, "--port", str(port), "--no-pictures", "--release", str(release))
    _, err = ended(process, 60)
    log = err.decode()
    assert process.returncode == 2, log
    assert "serving the release read-only" in log  # it answered meanwhile
    (error,) = [line for line in log.splitlines() if line.startswith("kg: error:")]
    assert error.startswith("kg: error: graph.nq: cannot load the release:"), error
    assert "Traceback" not in log and "ready" not in log
    assert list(tmp.iterdir()) == []


def test_a_nanopublication_file_the_collection_does_not_vouch_for_stops_the_server(
    tmp_path: Path,
) -> None:
    """The claims' nanopublication files are checked against nanopubs.trig in a second
    process while the release is prepared: one with a statement more is refused, in the
    words of the check, and the server stops (exit 2) leaving nothing behind."""
    release = tmp_path / "release"
    shutil.copytree(ROOT / "dist", release)
    victim = min((release / "nanopubs").rglob("*.trig"))
    with victim.open("a", encoding="utf-8") as out:
        out.write("<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n")
    tmp = tmp_path / "tmp"
    process = kg_process(
        tmp, "--port", str(free_port()), "--no-pictures", "--release", str(release)
    )
    _, err = ended(process, 60)
    log = err.decode()
    assert process.returncode == 2, log
    (error,) = [line for line in log.splitlines() if line.startswith("kg: error:")]
    shown = victim.relative_to(release).as_posix()
    assert error == (
        f"kg: error: {shown}: not a nanopublication of nanopubs.trig as it holds it; refused"
    )
    assert "Traceback" not in log and "ready" not in log
    assert list(tmp.iterdir()) == []
    assert left_in(Path(os.environ["KG_SERVE_CACHE"])) == []


def test_an_example_query_that_cannot_be_read_is_refused_before_anything_is_announced(
    tmp_path: Path,
) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "broken.rq").write_bytes(b"SELECT \xff")
    env = {**os.environ, "KG_QUERIES": str(queries), "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "kg", "--project", str(ROOT), "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"kg: error: {queries / 'broken.rq'}: cannot read the query: ")


def stopped_preparing(process: subprocess.Popen[bytes]) -> int:
    """The PID of ``process``'s preparing process, held still with SIGSTOP once it has begun
    to copy the release (so past its first steps: it dies with its parent from then on)."""
    cache = Path(os.environ["KG_SERVE_CACHE"])
    preparing = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        preparing = preparing or preparing_process(process.pid)
        if preparing is not None and any(cache.glob(".making-*/release")):
            os.kill(preparing, signal.SIGSTOP)
            return preparing
    raise AssertionError("no preparing process was seen copying the release")


def test_the_preparing_process_dies_with_a_server_killed_outright(tmp_path: Path) -> None:
    process = kg_process(tmp_path / "tmp", "--port", str(free_port()), "--no-pictures")
    try:
        preparing = stopped_preparing(process)
    finally:
        process.kill()
        process.communicate(timeout=20)
    assert wait_until(lambda: not alive(preparing), 10), "the preparing process outlived kg"


def test_a_second_ctrl_c_does_not_cut_the_cleanup_short(tmp_path: Path) -> None:
    """Stopped while it waits for another's copy (it looks again every 0.1 s), kg serve
    waits for its preparation to give up and clean up, even when Ctrl-C comes again."""
    tmp = tmp_path / "tmp"
    port = free_port()
    with copy_locked(ROOT / "dist"):
        process = kg_process(tmp, "--port", str(port), "--no-pictures")
        try:
            assert first_answer(f"http://127.0.0.1:{port}/", process).status_code == 503
            for _ in range(5):  # as a user who presses Ctrl-C again and again
                process.send_signal(signal.SIGINT)
                time.sleep(0.02)
            _, err = ended(process, 60)
        finally:
            if process.poll() is None:
                process.kill()
    assert list(tmp.iterdir()) == []
    assert left_in(Path(os.environ["KG_SERVE_CACHE"])) == []
    assert b"Traceback" not in err


def test_the_hosts_of_kg_hosts_get_the_503_not_a_421(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_HOSTS", "kg.example.org")
    port = free_port()
    with copy_locked(ROOT / "dist"):
        process = kg_process(tmp_path / "tmp", "--port", str(port), "--no-pictures")
        try:
            first_answer(f"http://127.0.0.1:{port}/", process)
            named = {"Host": "kg.example.org"}
            found = requests.get(f"http://127.0.0.1:{port}/", headers=named, timeout=5)
            assert found.status_code == 503
            other = {"Host": "other.example.org"}
            found = requests.get(f"http://127.0.0.1:{port}/", headers=other, timeout=5)
            assert found.status_code == 421
        finally:
            process.kill()
            process.communicate(timeout=20)


def test_a_kg_py_in_the_current_folder_is_not_run(tmp_path: Path) -> None:
    """The preparing process is started with -P: the current folder is not first on its
    path, so a kg.py there is neither imported nor run."""
    folder = tmp_path / "here"
    folder.mkdir()
    marker = tmp_path / "ran"
    (folder / "kg.py").write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    served_until_ready(lambda argv: argv, tmp_path, cwd=folder)
    assert not marker.exists()


def served_until_ready(
    launch: Callable[[list[str]], list[str]], tmp_path: Path, cwd: Path | None = None
) -> None:
    """Run kg serve by its console script (the command ``launch`` makes of it, in ``cwd``)
    until it serves the release, then stop it: it must end well."""
    port = free_port()
    kg = str(Path(sys.executable).parent / "kg")
    argv = [kg, "--project", str(ROOT), "serve", "--port", str(port), "--no-pictures"]
    process = subprocess.Popen(
        launch(argv),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        wait_for(f"http://127.0.0.1:{port}{ASK}", process, 60)  # type: ignore[arg-type]
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = ended(process, 30)
    assert process.returncode == 0, err.decode()


@pytest.mark.parametrize(
    ("method", "host", "accept", "status", "kind", "body"),
    [
        ("GET", "localhost:8080", "*/*", 503, "text/plain", True),
        ("POST", "localhost:8080", "text/csv", 503, "text/plain", True),
        ("GET", "localhost:8080", "text/html,*/*;q=0.8", 503, "text/html", True),
        ("GET", "localhost:8080", "text/html;q=0, text/turtle", 503, "text/plain", True),
        ("HEAD", "localhost:8080", "text/html", 503, "text/html", False),
        ("GET", "evil.example", "*/*", 421, "text/plain", True),
        ("OPTIONS", "localhost:8080", "*/*", 204, "", False),  # a CORS preflight
    ],
)
def test_what_a_server_that_prepares_the_release_answers(
    method: str, host: str, accept: str, status: int, kind: str, body: bool
) -> None:
    environ = {"REQUEST_METHOD": method, "HTTP_HOST": host, "HTTP_ACCEPT": accept}
    setup_testing_defaults(environ)
    said: list[tuple[str, list[tuple[str, str]]]] = []
    chunks = Preparing(frozenset({"localhost:8080"}))(
        environ, lambda line, headers: said.append((line, headers))
    )
    ((line, headers),) = said
    assert int(line.split()[0]) == status
    found = dict(headers)
    assert found.get("Content-Type", "").startswith(kind)
    assert ("Retry-After" in found) == (status == 503)
    assert bool(b"".join(chunks)) == body
    if status == 503:  # a script elsewhere may read when to ask again
        assert found["Access-Control-Allow-Origin"] == "*"
        assert "Retry-After" in found["Access-Control-Expose-Headers"]
    if method == "OPTIONS":
        assert "POST" in found["Access-Control-Allow-Methods"]


def test_the_second_process_says_how_it_failed_in_one_line(tmp_path: Path) -> None:
    """The nanopublication files are checked in a spawned process: a failure there that is
    no error of kg's (here the folder of the copies is a file) comes back as its line and
    exit code, not as a traceback printed into kg serve's error line."""
    from kg.formats.listing import Copied
    from kg.web.preparing import _Failed, _vouched_apart

    release = tmp_path / "release"
    shutil.copytree(ROOT / "dist", release)
    into = tmp_path / "copies"
    into.write_text("a file, not a folder", encoding="utf-8")
    checked = Copied(into, {"nanopubs.trig": release / "nanopubs.trig"})
    result = _vouched_apart(release, checked)
    with pytest.raises(_Failed) as failed:
        result()
    code, said = failed.value.args
    assert code == 2 and said.endswith("File exists") and "\n" not in said, said


def test_a_removed_current_folder_does_not_stop_the_preparation(tmp_path: Path) -> None:
    """A second process cannot be spawned from a current folder that was removed (spawning
    reads it): the nanopublication files are then checked in the preparing process itself."""
    gone = tmp_path / "gone"
    gone.mkdir()
    start = (  # kg serve run from a folder removed before it starts
        "import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
        "os.execv(sys.argv[2], sys.argv[2:])"
    )
    served_until_ready(lambda argv: [sys.executable, "-c", start, str(gone), *argv], tmp_path)
    assert not gone.exists()
