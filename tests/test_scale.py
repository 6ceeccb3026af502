"""A small version of the scale benchmark: a generated corpus of varied sources builds the same
bytes whatever the number of processes, and a planted invalid source fails the build with
exactly its own violations."""

from __future__ import annotations

import hashlib
import json
import marshal
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from folders import files_of

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from corpus import write_corpus  # noqa: E402
from servers import dask_cluster  # noqa: E402

pytestmark = pytest.mark.slow
SOURCES = 50


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "project"
    write_corpus(out, SOURCES, seed=7)
    return out


def test_the_corpus_is_varied(corpus: Path) -> None:
    texts = {p.read_bytes() for p in corpus.glob("sources/*/source.txt")}
    claims = {p.read_bytes() for p in corpus.glob("sources/*/claims.yaml")}
    assert len(texts) == len(claims) == SOURCES + 1
    assert "synthetic-condition-0" in (corpus / "catalogue/entities.yaml").read_text()


def test_the_same_bytes_on_one_process_or_two(
    corpus: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    for jobs in (1, 2):
        result = kg(
            "--project", corpus, "build", "--out", tmp_path / f"jobs-{jobs}", "--jobs", jobs
        )
        assert result.exit_code == 0, result.stderr
    assert files_of(tmp_path / "jobs-1") == files_of(tmp_path / "jobs-2")
    nquads = (tmp_path / "jobs-1" / "graph.nq").read_text(encoding="utf-8")
    assert nquads.count("/id/synthetic-000011/graph> .") > 100


def test_planted_invalid_sources_fail_with_their_own_violations(
    tmp_path: Path, kg: Callable[..., Result]
) -> None:
    project = tmp_path / "project"
    write_corpus(project, 6, invalid=2, seed=3)
    result = kg("--project", project, "build", "--jobs", 2)
    assert result.exit_code == 1
    files = {
        line.split(":", 1)[0]
        for line in result.stderr.splitlines()
        if ": knowledge_level: " in line and "is not an allowed value" in line
    }
    assert files == {
        "sources/synthetic-000000/claims.yaml",
        "sources/synthetic-000001/claims.yaml",
    }
    assert not (project / "dist").exists()


@pytest.mark.stores
def test_the_same_bytes_on_a_dask_cluster(
    corpus: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    """Two Dask worker processes, started here, validate the units: the release is the bytes
    one local process writes."""
    with dask_cluster(tmp_path / "dask") as cluster:
        result = kg(
            "--project",
            corpus,
            "build",
            "--out",
            tmp_path / "dask-out",
            "--scheduler",
            cluster.address,
        )
    assert result.exit_code == 0, result.stderr
    local = kg("--project", corpus, "build", "--out", tmp_path / "local")
    assert local.exit_code == 0, local.stderr
    assert files_of(tmp_path / "dask-out") == files_of(tmp_path / "local")


def test_an_unreachable_scheduler_is_one_line(
    corpus: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    result = kg(
        "--project",
        corpus,
        "build",
        "--out",
        tmp_path / "out",
        "--scheduler",
        f"tcp://127.0.0.1:{port}",
        "--no-cache",
    )
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"kg: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    )
    assert not (tmp_path / "out").exists()


# --- the validation cache -----------------------------------------------------------------------


def test_cold_warm_and_uncached_builds_write_the_same_bytes(
    corpus: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    runs = {
        "cold": ["--cache", cache],
        "warm": ["--cache", cache],
        "uncached": ["--no-cache"],
        "warm-2-jobs": ["--cache", cache, "--jobs", 2],
    }
    for name, args in runs.items():
        result = kg("--project", corpus, "build", "--out", tmp_path / name, *args)
        assert result.exit_code == 0, result.stderr
    kept = {kind.name: len(list(kind.rglob("*.*"))) for kind in cache.iterdir()}
    # each source, the shared unit, the shared graphs' JSON-LD (ontology, catalogue, description)
    assert kept == {"sources": SOURCES + 1, "verdicts": 1, "nodes": 3}
    first = files_of(tmp_path / "cold")
    for name in runs:
        assert files_of(tmp_path / name) == first, name


def read_entry(path: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """A source unit's cache entry: its header (key, HMAC, codec) and content (marshal)."""
    header, content = path.read_bytes().split(b"\n", 1)
    return json.loads(header), marshal.loads(content)


def write_entry(path: Path, header: dict[str, str], content: dict[str, Any]) -> None:
    path.write_bytes(json.dumps(header).encode() + b"\n" + marshal.dumps(content))


def cache_entry(project: Path, folder: str) -> Path:
    """The cache entry of one source's unit of work (its content names its folder)."""
    found = [
        path
        for path in (project / ".kg-cache" / "sources").rglob("*.marshal")
        if read_entry(path)[1]["folder"] == folder
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("damage", ["tampered"])  # the other damages: test_cache.py
def test_a_damaged_cache_entry_is_never_trusted(
    damage: str, tmp_path: Path, kg: Callable[..., Result]
) -> None:
    """An invalid source whose cached verdict is made to say "conforms": the build still
    fails, and writes the verdict again (end to end; each kind of damage is tested on the
    cache itself in test_cache.py)."""
    project = tmp_path / "project"
    write_corpus(project, 2, invalid=1, seed=5)
    assert kg("--project", project, "build").exit_code == 1
    entry_path = cache_entry(project, "sources/synthetic-000000")
    header, content = read_entry(entry_path)
    assert content["verdict"]["conforms"] is False
    content["verdict"] = {"conforms": True, "rows": []}
    if damage == "truncated":
        entry_path.write_bytes(entry_path.read_bytes()[:40])
    elif damage == "tampered":
        write_entry(entry_path, header, content)  # the checksum no longer matches
    elif damage == "foreign":
        # an entry written for another unit, its checksum right for what it holds
        text = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        header = {"key": "0" * 64, "checksum": hashlib.sha256(text).hexdigest()}
        entry_path.write_bytes(json.dumps(header).encode() + b"\n" + text)
    else:
        entry_path.write_bytes(b"\x00\xff not json")
    result = kg("--project", project, "build")
    assert result.exit_code == 1
    assert "knowledge_level: 'hunch' is not an allowed value" in result.stderr
    assert read_entry(entry_path)[1]["verdict"]["conforms"] is False


def test_an_edited_source_is_validated_again(tmp_path: Path, kg: Callable[..., Result]) -> None:
    project = tmp_path / "project"
    write_corpus(project, 3, seed=9)
    assert kg("--project", project, "build").exit_code == 0
    claims = project / "sources/synthetic-000001/claims.yaml"
    data = yaml.safe_load(claims.read_text(encoding="utf-8"))
    data["claims"][0]["knowledge_level"] = "hunch"
    claims.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = kg("--project", project, "build")
    assert result.exit_code == 1
    assert "sources/synthetic-000001/claims.yaml:" in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_build_leaves_no_worker_behind(
    corpus: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    """kg build --jobs 2 killed while its workers run: they die with it (none is adopted by
    init and left running)."""
    from test_serve import children_of, wait_until

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg",
            "build",
            "--jobs",
            "2",
            "--no-cache",
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=corpus,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        workers: list[int] = []
        assert wait_until(lambda: len(workers.extend(children_of(process.pid)) or workers) >= 2)
        process.send_signal(signum)
        process.wait(timeout=30)
        assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
