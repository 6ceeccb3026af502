"""A release is swapped in whole: staged beside its folder on the same file system, exchanged in
one step under a lock, stale staging removed; and only a folder that is new, empty or an earlier
release is ever replaced."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import copy_project
from folders import files_of

from kg.cli import main
from kg.errors import OutputError
from kg.formats.files import RELEASE_FILES, RELEASE_FOLDERS
from kg.runtime import publish

CLAIMS = "sources/pubmed-22870448/claims.yaml"


def change_a_claim(project: Path) -> None:
    claims = project / CLAIMS
    claims.write_text(
        claims.read_text().replace("events_quantifier: most", "events_quantifier: many")
    )


def test_the_release_is_exchanged_in_one_step(
    project: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Just before the one exchange, dist/ is the whole old release; just after, the whole new
    one; no file is moved into dist/ one by one (a reader never sees a mix)."""
    old = files_of(project / "dist")
    change_a_claim(project)
    seen: list[dict[str, bytes]] = []
    exchange = publish._exchange

    def watched(a: Path, b: Path) -> bool:
        seen.append(files_of(b))
        done = exchange(a, b)
        seen.append(files_of(b))
        return done

    replace = os.replace

    def no_single_moves(src: str, dst: str) -> None:
        if Path(dst).parent == (project / "dist").resolve():
            raise AssertionError(f"a file was moved into the release alone: {dst}")
        replace(src, dst)

    monkeypatch.setattr(publish, "_exchange", watched)
    monkeypatch.setattr(publish.os, "replace", no_single_moves)
    result = kg("--project", project, "build")
    assert result.exit_code == 0, result.stderr
    assert seen[0] == old
    assert seen[1] == files_of(project / "dist") != old
    assert b'"many"' in seen[1]["graph.nt"]
    assert sorted({name.split("/", 1)[0] for name in seen[1]}) == sorted(
        RELEASE_FILES + RELEASE_FOLDERS
    )


def test_stale_staging_of_a_killed_build_is_removed(
    project: Path, kg: Callable[..., Result]
) -> None:
    stale = project / ".dist-stage-killed"
    stale.mkdir()
    (stale / "graph.nt").write_text("half a release\n")
    assert kg("--project", project, "build").exit_code == 0
    assert not stale.exists()
    assert [p.name for p in project.iterdir() if p.name.startswith(".dist-stage")] == []


def test_two_builds_do_not_interleave(project: Path, kg: Callable[..., Result]) -> None:
    before = files_of(project / "dist")
    change_a_claim(project)
    with open(project / ".dist-lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        result = kg("--project", project, "build")
    assert result.exit_code == 2
    assert "another kg build is writing this release now" in result.stderr
    assert files_of(project / "dist") == before


def test_out_through_a_symlink_to_another_file_system(
    project: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second file system here")
    real = shm / f"kg-test-{os.getpid()}-{tmp_path.name}"
    link = tmp_path / "release-link"
    link.symlink_to(real, target_is_directory=True)
    try:
        for _ in range(2):  # a new folder, then an earlier release
            result = kg("--project", project, "build", "--out", link)
            assert result.exit_code == 0, result.stderr
        assert link.is_symlink() and sorted(p.name for p in real.iterdir()) == sorted(
            RELEASE_FILES + RELEASE_FOLDERS
        )
    finally:
        import shutil

        shutil.rmtree(real, ignore_errors=True)
        for lock in shm.glob(f".{real.name}-*"):
            lock.unlink()


@pytest.mark.parametrize("out", ["", ".", "/", "/etc", "catalogue"])
def test_a_folder_that_is_not_a_release_is_refused(
    out: str, project: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    before = {p.name for p in project.iterdir()}
    result = kg("build", "--out", out)
    assert result.exit_code == 2
    assert "not empty and not a kg release" in result.stderr or "root folder" in result.stderr
    assert {p.name for p in project.iterdir()} == before


def test_force_writes_into_any_folder_and_keeps_its_files(
    project: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "index.html").write_text("<p>mine</p>\n")
    result = kg("--project", project, "build", "--out", folder, "--force")
    assert result.exit_code == 0, result.stderr
    assert (folder / "index.html").read_text() == "<p>mine</p>\n"
    assert set(RELEASE_FILES) <= {p.name for p in folder.iterdir()}


def test_the_release_folder_is_readable_by_others(project: Path, kg: Callable[..., Result]) -> None:
    """The staging folder is made private (0700) by mkdtemp; swapped in, it must not stay so."""
    assert kg("--project", project, "build").exit_code == 0
    assert (project / "dist").stat().st_mode & 0o055 == 0o055


def test_a_rebuild_links_what_did_not_change_and_writes_the_rest(
    tmp_path: Path, kg: Callable[..., Result]
) -> None:
    """Unchanged files are hard-linked from the previous release (the same inode), changed
    ones written anew; a file edited by hand in the release is not trusted: it is rewritten."""
    import yaml

    project = copy_project(tmp_path / "project")
    assert kg("--project", project, "build").exit_code == 0
    dist = project / "dist"
    claims = project / "sources/pubmed-22870448/claims.yaml"
    data = yaml.safe_load(claims.read_text(encoding="utf-8"))
    key = data["claims"][0]["key"]
    untouched = dist / "nanopubs/pubmed-22870448/clinical-studies.trig"
    tampered = dist / "nanopubs/pubmed-22870448/heart-rate-increase.trig"
    good = tampered.read_bytes()
    tampered.write_bytes(good.replace(b"milnacipran", b"milnaciprin"))
    edited = dist / f"nanopubs/pubmed-22870448/{key}.trig"
    inodes = {p: p.stat().st_ino for p in (untouched, edited, dist / "graph.nt")}
    data["claims"][0]["note"] = "Edited: only this claim's files change."
    claims.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert kg("--project", project, "build").exit_code == 0
    assert untouched.stat().st_ino == inodes[untouched]  # linked, not rewritten
    assert (dist / "graph.nt").stat().st_ino != inodes[dist / "graph.nt"]  # changed: new
    assert tampered.read_bytes() == good  # the hand edit is gone
    assert key != "clinical-studies"
    assert edited.stat().st_ino != inodes[edited]  # its claim changed: written anew
    assert files_of(dist) == files_of(release_of(project, tmp_path))


def release_of(project: Path, tmp_path: Path) -> Path:
    """The same project built into a new folder, from nothing."""
    out = tmp_path / "fresh"
    result = CliRunner().invoke(main, ["--project", str(project), "build", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    return out


def test_a_planted_link_as_the_lock_is_not_followed(
    project: Path, tmp_path: Path, kg: Callable[..., Result]
) -> None:
    """The lock beside the release is opened without following a symlink: a link planted
    there (to a file someone wants created or truncated) stops the build in one line, and the
    file it points to is left as it was."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (project / ".dist-lock").symlink_to(victim)
    result = kg("--project", project, "build")
    assert result.exit_code != 0
    assert ".dist-lock" in result.stderr and "link" in result.stderr
    assert victim.read_text() == "keep me\n"
    assert "Traceback" not in result.stderr


def folder_of(tmp_path: Path, name: str, files: dict[str, bytes]) -> Path:
    folder = tmp_path / name
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return folder


def test_trees_are_moved_in_whole_beside_the_files(tmp_path: Path) -> None:
    """A site's documents are handed over as folders (kg.runtime.spool.Trees), not listed one
    by one: they arrive under their names, beside the files, and replace the last release's."""
    out = tmp_path / "site"
    tree = folder_of(tmp_path, "made", {"doc/a/x.html": b"x", "doc/y.ttl": b"y"})
    publish.write_release({"index.html": b"home"}, out, trees={"doc": tree / "doc"})
    assert files_of(out) == {"index.html": b"home", "doc/a/x.html": b"x", "doc/y.ttl": b"y"}
    assert not (tree / "doc").exists()  # moved, not copied
    again = folder_of(tmp_path, "again", {"doc/z.ttl": b"z"})
    publish.write_release({"index.html": b"home"}, out, trees={"doc": again / "doc"})
    assert files_of(out) == {"index.html": b"home", "doc/z.ttl": b"z"}


def test_trees_forced_into_another_folder_keep_its_files(tmp_path: Path) -> None:
    out = folder_of(tmp_path, "mine", {"notes.txt": b"mine", "doc/old.txt": b"old"})
    tree = folder_of(tmp_path, "made", {"doc/a/x.html": b"x"})
    with pytest.raises(OutputError):
        publish.write_release({"index.html": b"home"}, out, trees={"doc": tree / "doc"})
    assert (tree / "doc" / "a" / "x.html").is_file()  # refused before anything moved
    assert files_of(out) == {"notes.txt": b"mine", "doc/old.txt": b"old"}
    publish.write_release({"index.html": b"home"}, out, trees={"doc": tree / "doc"}, force=True)
    assert files_of(out) == {
        "notes.txt": b"mine",
        "doc/old.txt": b"old",
        "index.html": b"home",
        "doc/a/x.html": b"x",
    }


def test_holds_only_a_regular_file_with_exactly_those_bytes(tmp_path: Path) -> None:
    """What a build links from the previous release instead of writing again: the file
    itself, byte for byte; not a link to such a file, a file that goes on, or one that
    differs at its last byte."""
    from kg.runtime.publish import holds

    data = b"<a> <b> <c> .\n" * 100
    same = tmp_path / "same"
    same.write_bytes(data)
    (tmp_path / "link").symlink_to(same)
    (tmp_path / "longer").write_bytes(data + b"x")
    (tmp_path / "last").write_bytes(data[:-1] + b"x")
    assert holds(same, data) and holds(same, same)
    for name in ("link", "longer", "last", "missing"):
        assert not holds(tmp_path / name, data), name
    for name in ("link", "missing"):  # a link, or nothing, does not hold itself
        assert not holds(tmp_path / name, tmp_path / name), name


def test_holds_no_file_replaced_by_a_pipe_once_looked_at(tmp_path: Path) -> None:
    """A file replaced by a FIFO between its look (lstat) and its read: read as a FIFO with no
    writer it would seem empty, and hold b""; it is refused as not a regular file."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        publish._read_up_to(fifo, 1)
