"""The CLI boundary: every failure is one line on stderr and exit 2 (never a traceback, never
exit 1, which means "does not conform"), Ctrl-C is exit 130, and a local query is bounded in
time and memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from servers import ended, interruptible, listener

ROOT = Path(__file__).resolve().parents[1]
#: A query whose answer is huge: five chained patterns over the whole release.
CROSS_PRODUCT = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
)
#: A query that must hold its whole answer in memory to sort it.
SORTED_PRODUCT = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kg: error: "), result.stderr
    return lines[0]


# --- SERVICE that fails ----------------------------------------------------------------------


def service_query(port: int) -> str:
    return f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"


def test_service_refused_connection(kg: Callable[..., Result]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    result = kg("--project", ROOT, "query", "--allow-service", service_query(port))
    line = one_line_error(result)
    assert "the query failed" in line and "refused" in line.lower()


@pytest.mark.slow
def test_service_that_never_answers_is_stopped(kg: Callable[..., Result]) -> None:
    with listener(hold=True) as (port, received):
        started = time.monotonic()
        result = kg(
            "--project", ROOT, "query", "--allow-service", "--timeout", "2", service_query(port)
        )
        elapsed = time.monotonic() - started
    line = one_line_error(result)
    assert "took longer than 2 s and was stopped" in line
    assert received, "the query did reach the listener (the test is of the timeout)"
    assert elapsed < 30


def test_service_host_unknown(kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's own error for a host that does not resolve (made here without asking any
    DNS server: tests use no network) is one line, exit 2."""
    from kg.sparql import query as q

    def unresolved(*args: object, **kwargs: object) -> object:
        raise OSError("failed to lookup address information: Name or service not known")

    monkeypatch.setattr(q, "run_query", unresolved)
    result = kg("--project", ROOT, "query", "--allow-service", service_query(9))
    assert "failed to lookup address information" in one_line_error(result)


# --- bounded local queries -------------------------------------------------------------------


def kg_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        interruptible("kg", "--project", str(ROOT), *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.slow
def test_ctrl_c_stops_a_heavy_query_at_once() -> None:
    process = kg_process("query", CROSS_PRODUCT, "--timeout", "600")
    time.sleep(3)
    assert process.poll() is None, "the query should still be running"
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = ended(process, 30)
    assert time.monotonic() - started < 5
    assert process.returncode == 130
    assert stderr.strip().splitlines() == ["kg: interrupted; nothing was changed"]


@pytest.mark.slow
def test_a_heavy_query_is_stopped_at_its_timeout() -> None:
    started = time.monotonic()
    process = kg_process("query", CROSS_PRODUCT, "--timeout", "3")
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - started < 20
    assert process.returncode == 2
    assert stderr.strip().splitlines() == [
        "kg: error: the query took longer than 3 s and was stopped (--timeout)"
    ]


@pytest.mark.slow
def test_a_query_that_outgrows_its_memory_is_stopped() -> None:
    process = kg_process("query", SORTED_PRODUCT, "--memory", "300", "--timeout", "300")
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 2
    assert stderr.strip().splitlines() == [
        "kg: error: the query needed more than 300 MB of memory and was stopped (--memory)"
    ]


@pytest.mark.parametrize("memory", ["32", "512"])
def test_a_normal_query_runs_in_its_bounds(kg: Callable[..., Result], memory: str) -> None:
    """Within a small memory limit too: the release's index is opened before the limit (its
    storage reserves address space it does not fill), the query is bounded."""
    result = kg(
        "--project", ROOT, "query", "ASK { ?s ?p ?o }", "--timeout", "30", "--memory", memory
    )
    assert result.exit_code == 0 and result.stdout.strip().endswith("true}")


# --- where things are written ----------------------------------------------------------------


@pytest.mark.parametrize("out", ["/proc/kg-release", "README.md/sub"])
def test_build_into_an_impossible_folder(
    out: str, project: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    (project / "README.md").write_text("a file, not a folder\n")
    line = one_line_error(kg("build", "--out", out))
    assert f"{out}: cannot write there:" in line and "(choose another --out)" in line


# --- projects and files ----------------------------------------------------------------------


@pytest.mark.parametrize("command", [["stats"], ["validate", "dist/graph.ttl"], ["build"]])
def test_outside_a_project(
    command: list[str], kg: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist/graph.ttl").write_bytes((ROOT / "dist/graph.ttl").read_bytes())
    line = one_line_error(kg(*command))
    assert "not a kg project: no dataset.yaml" in line


def test_a_missing_data_file_is_not_a_missing_release(kg: Callable[..., Result]) -> None:
    line = one_line_error(kg("--project", ROOT, "stats", "--data", "no-such-file.nt"))
    assert "no-such-file.nt: no such file" in line and "kg build" not in line


def test_project_after_the_command(
    kg: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = kg("stats", "--project", ROOT)
    assert result.exit_code == 0, result.stderr
    assert "Claims per epistemic status:" in result.stdout
    both = kg("--project", tmp_path, "stats", "--project", ROOT)
    assert both.exit_code == 0, "the option nearest the command wins"


@pytest.mark.slow
def test_sigusr1_prints_where_each_thread_is_and_kg_goes_on() -> None:
    process = kg_process("query", CROSS_PRODUCT, "--timeout", "600")
    time.sleep(3)
    assert process.poll() is None, "the query should still be running"
    process.send_signal(signal.SIGUSR1)
    time.sleep(1)
    assert process.poll() is None, "kg goes on after printing its threads"
    process.send_signal(signal.SIGINT)
    _, stderr = ended(process, 30)
    assert process.returncode == 130
    assert "Current thread" in stderr and 'File "' in stderr and "kg/" in stderr
    assert stderr.strip().splitlines()[-1] == "kg: interrupted; nothing was changed"
