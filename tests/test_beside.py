"""graph.ttl and the VoID statistics made in a process beside the build's (kg.build.beside):
the same answer as in the build's own process, the file system's refusal as an OSError, a
bug as one line, and no child left behind by a build that stops or is killed. (That a whole
release is the same bytes on one process or two: tests/test_scale.py.)"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_serve import alive, children_of, wait_until

from kg.build import beside
from kg.build.beside import graph_beside
from kg.errors import KGError
from kg.formats.turtle import write_ntriples_file_as_turtle
from kg.formats.void import Counting, Statistics
from kg.runtime.spool import Sorter, WorkFolder

NAMESPACES = {"ex": "http://example.org/", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
EXAMPLES = ("http://example.org/Claim",)
LINES = [
    '<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "a \\"quoted\\" label"@en',
    "<http://example.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<http://example.org/Claim>",
    "<http://example.org/b> <http://example.org/p> <http://example.org/a>",
    '<http://example.org/b> <http://example.org/q> "2"^^<http://www.w3.org/2001/XMLSchema#integer>',
    "<http://example.org/b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<http://example.org/Claim>",
]


def _work(folder: Path, lines: list[str] = LINES) -> WorkFolder:
    (folder / "spool").mkdir(parents=True)
    work = WorkFolder(folder)
    work.write("graph.nt", "".join(f"{line} .\n" for line in sorted(lines)).encode("utf-8"))
    return work


def _beside_children(pid: int) -> list[int]:
    """The children of ``pid`` that run kg.build.beside."""
    found = []
    for child in children_of(pid):
        try:
            if b"kg.build.beside" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return found


def _made(work: WorkFolder) -> Statistics:
    with graph_beside(work, NAMESPACES, budget=1, examples=EXAMPLES) as made:
        return made.statistics()


def _expected(work: WorkFolder) -> tuple[Statistics, bytes]:
    """What a build on one core makes: the statistics counted as graph.nt's lines are written,
    and graph.ttl written from graph.nt in its own process."""
    counting = Counting(Sorter(work.path("spool"), budget=1))
    for line in sorted(LINES):
        counting.add(line)
    out = io.BytesIO()
    write_ntriples_file_as_turtle(work.path("graph.nt"), out, NAMESPACES)
    return counting.result(example_classes=EXAMPLES), out.getvalue()


@pytest.mark.parametrize("how", ["beside", "no process to be had"])
def test_the_same_answer_as_a_build_on_one_core(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """graph.ttl (counted among the work's files with its size and hash) and the statistics
    (a budget of 1: the count spills every object to disk) as a build on one core makes them;
    the same where no process can be started (they are then made here)."""
    if how != "beside":
        monkeypatch.setattr(beside, "kg_module", lambda *_: [str(tmp_path / "no-python")])
    work = _work(tmp_path / "work")
    statistics = _made(work)
    data = work.path("graph.ttl").read_bytes()
    assert work.written["graph.ttl"] == (len(data), hashlib.sha256(data).hexdigest())
    assert (statistics, data) == _expected(work)
    assert statistics.triples == 5 and statistics.distinct_subjects == 2
    assert statistics.classes == {"http://example.org/Claim": 2}
    assert statistics.examples == ("http://example.org/a",)
    assert b"@prefix ex: <http://example.org/> ." in data
    assert b'"a \\"quoted\\" label"@en' in data


def _position(pid: int, path: Path) -> int | None:
    """How far the process ``pid`` has read the file ``path`` (its open file's offset)."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if Path(os.readlink(fd)) == path:
                info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
                return int(info.split("pos:", 1)[1].split()[0])
        except OSError:
            continue
    return None


def test_the_child_reads_graph_nt_as_it_is_written(tmp_path: Path) -> None:
    """The child starts before graph.nt is made, reads what is written of it (up to the
    middle of a line) while the build writes on, and writes graph.ttl once told the file is
    whole: the same answer as a build on one core."""
    (tmp_path / "spool").mkdir()
    work = WorkFolder(tmp_path)
    data = "".join(f"{line} .\n" for line in sorted(LINES)).encode("utf-8")
    cut = data.index(b"\n", len(data) // 2) - 5  # in the middle of a line
    with graph_beside(work, NAMESPACES, budget=1, examples=EXAMPLES) as made:
        (child,) = _beside_children(os.getpid())
        with open(work.path("graph.nt"), "wb", buffering=0) as out:
            out.write(data[:cut])
            assert wait_until(lambda: _position(child, work.path("graph.nt")) == cut)
            assert not work.path("graph.ttl").exists()  # not before graph.nt is whole
            out.write(data[cut:])
        work.adopt("graph.nt", len(data), hashlib.sha256(data).hexdigest())
        made.written()
        statistics = made.statistics()
    assert (statistics, work.path("graph.ttl").read_bytes()) == _expected(work)


def test_a_graph_nt_not_of_the_size_told_is_named(tmp_path: Path) -> None:
    """graph.nt shorter than the build says it wrote (another program cut it): the child
    says so, in one line, and graph.ttl is not counted as written."""
    work = _work(tmp_path)
    size = work.written["graph.nt"][0]
    work.adopt("graph.nt", size + 10, "0" * 64)
    with pytest.raises(RuntimeError) as raised:
        _made(work)
    assert str(raised.value) == (
        f"the process writing graph.ttl failed: EOFError: {work.path('graph.nt')}: {size} "
        f"bytes, not the {size + 10} the build wrote"
    )
    assert "graph.ttl" not in work.written


def test_the_file_systems_refusal_is_an_os_error(tmp_path: Path) -> None:
    """graph.ttl cannot be written (a folder stands in its place): the child's OSError is the
    build's, which names the folder (kg build: exit 1 with 'cannot write')."""
    work = _work(tmp_path)
    work.path("graph.ttl").mkdir()
    with pytest.raises(IsADirectoryError) as raised:
        _made(work)
    assert raised.value.filename == str(work.path("graph.ttl"))
    assert "graph.ttl" not in work.written


def test_a_bug_in_the_child_is_one_line(tmp_path: Path) -> None:
    """graph.nt that is not UTF-8 (the build never writes one): the child's error is named in
    one line, with its exit code, not its traceback."""
    work = _work(tmp_path)
    work.path("graph.nt").write_bytes(b"<http://example.org/\xff> <p> <o> .\n")
    with pytest.raises(RuntimeError) as raised:
        _made(work)
    message = str(raised.value)
    assert message.startswith("the process writing graph.ttl failed: UnicodeDecodeError")
    assert "\n" not in message and "Traceback" not in message


def test_a_build_that_stops_first_kills_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build fails (or is interrupted) while the child still reads graph.nt: the child
    is killed and waited for, not left running. graph.nt is a pipe no one writes: the child
    waits on it until it is killed."""
    started: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    def recorded(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        process = real(*args, **kwargs)  # type: ignore[call-overload]
        started.append(process)
        return process  # type: ignore[no-any-return]

    monkeypatch.setattr(beside.subprocess, "Popen", recorded)
    work = _work(tmp_path)
    work.path("graph.nt").unlink()
    os.mkfifo(work.path("graph.nt"))
    with (
        pytest.raises(KeyboardInterrupt),
        graph_beside(work, NAMESPACES, budget=1, examples=EXAMPLES),
    ):
        raise KeyboardInterrupt
    (process,) = started
    assert process.returncode == -signal.SIGKILL


def test_a_child_killed_from_outside_is_named_so(tmp_path: Path) -> None:
    """The child killed (by the kernel, out of memory, most often): kg's error, which says so,
    not a bug's."""
    work = _work(tmp_path)
    work.path("graph.nt").unlink()
    os.mkfifo(work.path("graph.nt"))  # the child waits on it
    with graph_beside(work, NAMESPACES, budget=1, examples=EXAMPLES) as made:
        (child,) = _beside_children(os.getpid())
        os.kill(child, signal.SIGKILL)
        with pytest.raises(KGError) as raised:
            made.statistics()
    assert str(raised.value) == (
        "the process writing graph.ttl was killed by SIGKILL (out of memory?); nothing was changed"
    )
    assert "graph.ttl" not in work.written


def test_the_child_dies_with_a_build_killed_outright(tmp_path: Path) -> None:
    """SIGKILL of the build (which can clean nothing up): the child dies with it."""
    work = tmp_path / "work"
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_beside import EXAMPLES, NAMESPACES, _work
        from kg.build.beside import graph_beside
        work = _work(Path({str(work)!r}))
        work.path("graph.nt").unlink()
        os.mkfifo(work.path("graph.nt"))
        with graph_beside(work, NAMESPACES, budget=1, examples=EXAMPLES):
            print("started", flush=True)
            time.sleep(600)
        """
    )
    build = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert build.stdout is not None and build.stdout.readline() == b"started\n"
        assert wait_until(lambda: len(_beside_children(build.pid)) == 1)
        (child,) = _beside_children(build.pid)
        build.kill()
        build.wait(timeout=30)
        # Dead, or a zombie: once its parent is gone, reaping it is up to PID 1, not to kg.
        assert wait_until(lambda: not alive(child))
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()


def test_a_child_runs_this_kg_not_another_on_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kg's children (this one, kg serve's, the query workers, the index maker) run the kg
    of the process that starts them, even when another kg comes first on PYTHONPATH (or is
    the one installed, where a checkout is run as python -m kg)."""
    from kg.runtime.processes import kg_environment, kg_module

    other = tmp_path / "other" / "kg"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("raise SystemExit('another kg')\n")
    monkeypatch.setenv("PYTHONPATH", str(other.parent))
    command = kg_module("kg.build.beside")[:-2]  # the interpreter and its flags
    found = subprocess.run(
        [*command, "-c", "import kg, sys; sys.stdout.write(kg.__file__)"],
        env=kg_environment(),
        capture_output=True,
        cwd=tmp_path,
        check=True,
    )
    assert Path(found.stdout.decode()) == Path(beside.__file__).parents[1] / "__init__.py"


def test_kg_installed_in_site_packages_is_not_put_before_the_standard_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """kg imported from the interpreter's site-packages (a wheel installed): the child finds
    it there; that folder first on PYTHONPATH would put its packages before the standard
    library's modules."""
    import site

    from kg.runtime.processes import kg_environment

    root = str(Path(beside.__file__).resolve().parents[2])
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    assert kg_environment()["PYTHONPATH"] == os.pathsep.join([root, "/elsewhere"])
    monkeypatch.setattr(site, "getsitepackages", lambda: [root])
    assert kg_environment(RUST_BACKTRACE="0")["PYTHONPATH"] == "/elsewhere"
    assert kg_environment(RUST_BACKTRACE="0")["RUST_BACKTRACE"] == "0"
