"""One edited source: the build after an edit reads, builds and validates that source alone,
and writes the release a cold build of the same inputs writes, byte for byte, in every file;
a damaged cache entry is never trusted, and a build stopped by a mistake leaves the previous
release whole."""

from __future__ import annotations

import marshal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from folders import changed_in_place, files_of

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from corpus import write_corpus  # noqa: E402

pytestmark = pytest.mark.slow
SOURCES = 12
EDITED = "sources/synthetic-000004"


@pytest.fixture
def built(tmp_path: Path, kg: Callable[..., Result]) -> Path:
    """A generated corpus, built once with its cache."""
    project = tmp_path / "project"
    write_corpus(project, SOURCES, seed=3)
    result = kg("--project", project, "build")
    assert result.exit_code == 0, result.stderr
    return project


def _edit_claims(project: Path, folder: str) -> None:
    """Edit one source's claims: a note on its first claim, its last claim taken out."""
    path = project / folder / "claims.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(data["claims"]) > 1
    data["claims"][0]["note"] = "Edited: the dose was read again."
    data["claims"].pop()
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _source_entries(project: Path) -> dict[Path, tuple[str, int]]:
    """The cache entries of the sources' units: each one's folder and mtime."""
    found = {}
    for path in (project / ".kg-cache" / "sources").rglob("*.marshal"):
        content = marshal.loads(path.read_bytes().split(b"\n", 1)[1])
        found[path] = (content["folder"], path.stat().st_mtime_ns)
    return found


def _cold(project: Path, out: Path, kg: Callable[..., Result]) -> dict[str, bytes]:
    result = kg("--project", project, "build", "--no-cache", "--out", out)
    assert result.exit_code == 0, result.stderr
    return files_of(out)


def test_an_edited_source_builds_what_a_cold_build_writes(
    built: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    before = files_of(built / "dist")
    entries = _source_entries(built)
    assert len(entries) == SOURCES + 1
    _edit_claims(built, EDITED)
    result = kg("--project", built, "build")
    assert result.exit_code == 0, result.stderr
    after = files_of(built / "dist")
    assert after != before
    # only the edited source's unit ran: one entry more, every other one left as it was
    found = _source_entries(built)
    written = {
        folder for path, (folder, stamp) in found.items() if entries.get(path) != (folder, stamp)
    }
    assert len(found) == SOURCES + 2 and written == {EDITED}
    cold = _cold(built, tmp_path / "cold", kg)
    assert sorted(after) == sorted(cold)
    for name in cold:
        assert after[name] == cold[name], name


def test_two_edits_in_a_row_and_an_edit_undone(
    built: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    """Each build after an edit writes a cold build's bytes, and undoing the edit writes the
    first release again."""
    first = files_of(built / "dist")
    path = built / EDITED / "claims.yaml"
    original = path.read_bytes()
    _edit_claims(built, EDITED)
    _edit_claims(built, "sources/synthetic-000009")
    assert kg("--project", built, "build").exit_code == 0
    assert files_of(built / "dist") == _cold(built, tmp_path / "cold", kg)
    path.write_bytes(original)
    _edit_claims(built, "sources/synthetic-000010")
    assert kg("--project", built, "build").exit_code == 0
    assert files_of(built / "dist") == _cold(built, tmp_path / "cold-2", kg)
    assert files_of(built / "dist") != first


def test_a_damaged_part_is_not_trusted(
    built: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    """Every file the cache keeps beside the units' entries, changed by one byte (its
    signature left as it was): the next build still writes a cold build's bytes."""
    kept = [p for p in (built / ".kg-cache").rglob("*") if p.is_file()]
    assert kept
    for path in kept:
        data = bytearray(path.read_bytes())
        middle = len(data) // 2
        data[middle] = ord("x") if data[middle] != ord("x") else ord("y")
        path.write_bytes(bytes(data))
    _edit_claims(built, EDITED)
    assert kg("--project", built, "build").exit_code == 0
    assert files_of(built / "dist") == _cold(built, tmp_path / "cold", kg)


def test_an_edit_that_breaks_a_shape_leaves_the_release_whole(
    built: Path, kg: Callable[..., Result]
) -> None:
    before = files_of(built / "dist")
    path = built / EDITED / "claims.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["claims"][0]["knowledge_level"] = "hunch"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = kg("--project", built, "build")
    assert result.exit_code == 1
    assert f"{EDITED}/claims.yaml:" in result.stderr
    assert files_of(built / "dist") == before


def test_the_cache_does_not_depend_on_how_the_project_is_named(
    built: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built with an absolute --project, then from its parent with a relative one: every
    source's unit comes from the cache (a regression: the shapes' paths were in every key)."""
    entries = _source_entries(built)
    monkeypatch.chdir(built.parent)
    _edit_claims(built, EDITED)
    assert kg("--project", built.name, "build").exit_code == 0
    found = _source_entries(built)
    assert len(found) == len(entries) + 1
    assert {found[path][0] for path in set(found) - set(entries)} == {EDITED}


def test_a_build_killed_while_it_writes_leaves_a_whole_release(
    built: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    """Killed once its staging folder exists (or whenever it gets there first): dist/ is the
    previous release or the new one, whole, never a mix; the next build writes the new one."""
    from test_serve import wait_until

    before = files_of(built / "dist")
    _edit_claims(built, EDITED)
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "build"],
        cwd=built,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def staged() -> bool:
        return any(built.glob(".dist-stage-*")) or process.poll() is not None

    try:
        assert wait_until(staged, seconds=300)
        process.kill()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    found = files_of(built / "dist")
    cold = _cold(built, tmp_path / "cold", kg)
    assert found in (before, cold)
    assert kg("--project", built, "build").exit_code == 0
    assert files_of(built / "dist") == cold


def test_files_the_manifest_proves_unchanged_are_not_read(
    built: Path, kg: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an edit, a nanopublication file of the release being replaced that the last
    build's manifest proves unchanged (its status is the recorded one) is linked into the new
    release without being read. One changed in place (its size and mtime kept: only its
    ctime tells) is read, found different, and written again: the release is still a cold
    build's."""
    from kg.runtime import spool

    damaged = sorted((built / "dist" / "nanopubs" / "synthetic-000007").glob("*.trig"))[0]
    changed_in_place(damaged)
    read: list[Path] = []
    holds = spool.holds

    def counted(path: Path, data: bytes | Path) -> bool:
        read.append(path)
        return holds(path, data)

    monkeypatch.setattr(spool, "holds", counted)
    _edit_claims(built, EDITED)
    assert kg("--project", built, "build").exit_code == 0
    folders = {path.parent.name for path in read if path.parent.parent.name == "nanopubs"}
    assert damaged in read and folders <= {"synthetic-000007", EDITED.split("/")[1]}
    assert files_of(built / "dist") == _cold(built, tmp_path / "cold", kg)


def test_a_kept_file_changed_while_the_build_runs_stops_it(
    built: Path, kg: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of the previous release that the build kept to link into the new one (it holds
    the bytes the build would write) is changed by another program before the release is
    published: its bytes are no longer known, so nothing is published and the build says
    so; the next build writes what a cold build writes."""
    from kg.runtime import spool

    victim = sorted((built / "dist" / "nanopubs" / "synthetic-000007").glob("*.trig"))[0]
    real = spool.WorkFolder.changed_since_kept

    def written_meanwhile(work: spool.WorkFolder) -> list[str]:
        changed_in_place(victim)
        return real(work)

    monkeypatch.setattr(spool.WorkFolder, "changed_since_kept", written_meanwhile)
    _edit_claims(built, EDITED)
    before = files_of(built / "dist")
    result = kg("--project", built, "build")
    name = victim.relative_to(built / "dist").as_posix()
    assert result.exit_code == 2, result.stderr
    assert f"{name}: changed by another program while kg build ran" in result.stderr
    assert "nothing was published; run kg build again" in result.stderr
    after = files_of(built / "dist")
    assert {n for n in before if before[n] != after[n]} == {name}  # only what was written
    monkeypatch.undo()
    assert kg("--project", built, "build").exit_code == 0
    assert files_of(built / "dist") == _cold(built, tmp_path / "cold", kg)


def test_the_last_manifest_is_let_go_once_the_units_are_taken(
    built: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last build's manifest (79 MiB at 10,000 sources) is held while the units are
    taken, and no longer when the whole-graph files are written."""
    import gc
    import weakref

    from kg.build import assemble, pipeline

    read = pipeline.read_manifest
    kept: list[weakref.ref[object]] = []
    alive: list[bool] = []

    def remembered(target: Path) -> object:
        manifest = read(target)
        assert manifest is not None
        kept.append(weakref.ref(manifest))
        return manifest

    def writing(*args: object, **kwargs: object) -> object:
        gc.collect()
        alive.append(kept[0]() is not None)
        return write_graphs(*args, **kwargs)

    write_graphs = assemble.write_graphs
    monkeypatch.setattr(pipeline, "read_manifest", remembered)
    monkeypatch.setattr(assemble, "write_graphs", writing)
    _edit_claims(built, EDITED)
    assert kg("--project", built, "build").exit_code == 0
    assert alive == [False]
