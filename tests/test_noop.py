"""The no-op build: `kg build` with nothing changed does nothing and says so; any change of an
input, an option, kg itself or the release on disk, and any damage to the manifest, builds."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from folders import files_of

from kg.build import manifest

UP_TO_DATE = "is up to date"
BUILT = "kg: built "
#: Inputs of every kind the build reads (sources/ is the committed seed's folder).
INPUTS = ["dataset.yaml", "catalogue/entities.yaml", "ontology/kgo.ttl", "shapes/claims.ttl"]


def _stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``folder``: its inode and mtime (a rewrite changes one or the other)."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def built(project: Path, kg: Callable[..., Result]) -> Path:
    """The project copy, built once (its manifest kept beside dist/)."""
    result = kg("--project", project, "build")
    assert result.exit_code == 0 and BUILT in result.stderr, result.stderr
    assert manifest.manifest_path(project / "dist").is_file()
    return project


def test_nothing_changed_does_nothing_and_says_so(
    built: Path, kg: Callable[..., Result], release: Path
) -> None:
    before = _stamps(built / "dist")
    kept = manifest.manifest_path(built / "dist").stat().st_mtime_ns
    result = kg("--project", built, "build")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("kg: dist/ is up to date (")
    assert result.stderr.rstrip().endswith("inputs unchanged); nothing to do")
    assert _stamps(built / "dist") == before
    assert manifest.manifest_path(built / "dist").stat().st_mtime_ns == kept
    assert files_of(built / "dist") == files_of(release)


def test_the_manifest_is_not_in_the_release(built: Path, release: Path) -> None:
    assert files_of(built / "dist") == files_of(release)
    assert manifest.manifest_path(built / "dist").parent == built.resolve()


@pytest.mark.parametrize("name", [*INPUTS, "source"])
def test_one_byte_of_an_input_builds(name: str, built: Path, kg: Callable[..., Result]) -> None:
    """The same size and the same mtime: the inputs are compared by content."""
    path = _source_claims(built) if name == "source" else built / name
    data, status = path.read_bytes(), path.stat()
    assert data.endswith(b"\n")
    path.write_bytes(data[:-1] + b" ")  # the last newline: a space
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    result = kg("--project", built, "build")  # built, or stopped at the changed byte
    assert UP_TO_DATE not in result.stderr
    assert BUILT in result.stderr or (result.exit_code == 2 and name in result.stderr)
    path.write_bytes(data)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    if result.exit_code == 2:  # the release on disk is still the one built from these bytes
        assert UP_TO_DATE in kg("--project", built, "build").stderr


def test_a_new_folder_under_sources_builds(built: Path, kg: Callable[..., Result]) -> None:
    """An unlisted source folder is an input too: the build finds it and says so."""
    folder = built / "sources" / "unlisted"
    folder.mkdir()
    (folder / "source.yaml").write_text("key: unlisted\n", encoding="utf-8")
    result = kg("--project", built, "build")
    assert result.exit_code == 2 and "not listed" in result.stderr, result.stderr


@pytest.mark.parametrize("change", ["edit", "remove", "truncate"])
def test_a_changed_release_builds(
    change: str, built: Path, kg: Callable[..., Result], release: Path
) -> None:
    path = built / "dist" / "graph.nt"
    if change == "edit":
        data = bytearray(path.read_bytes())
        data[0] ^= 1  # same size
        status = path.stat()
        path.write_bytes(bytes(data))
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    elif change == "remove":
        path.unlink()
    else:
        path.write_bytes(b"")
    result = kg("--project", built, "build")
    assert result.exit_code == 0 and BUILT in result.stderr, result.stderr
    assert files_of(built / "dist") == files_of(release)


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"format": 1}',
        b'{"format": 2, "fingerprint": "%s", "inputs": 1, "files": {}}',
        b'{"format": 1, "fingerprint": "%s", "inputs": 1, "files": {"graph.nt": "x"}}',
        b'{"format": 1, "fingerprint": "%s", "inputs": 1, "files": {"graph.nt": [1, 2]}}',
        b'{"format": 1, "fingerprint": "%s", "inputs": 1, "files": {}}',
    ],
)
def test_a_damaged_manifest_builds(text: bytes, built: Path, kg: Callable[..., Result]) -> None:
    path = manifest.manifest_path(built / "dist")
    recorded = json.loads(path.read_bytes())["fingerprint"]
    path.write_bytes(text.replace(b"%s", recorded.encode()))
    result = kg("--project", built, "build")
    assert result.exit_code == 0 and BUILT in result.stderr, result.stderr
    assert UP_TO_DATE in kg("--project", built, "build").stderr


def test_a_manifest_of_other_files_builds(built: Path, kg: Callable[..., Result]) -> None:
    """A sound manifest whose files are not the release's (one more, one fewer) is not
    trusted."""
    path = manifest.manifest_path(built / "dist")
    recorded = json.loads(path.read_bytes())
    recorded["files"].pop("graph.nt")
    path.write_text(json.dumps(recorded), encoding="utf-8")
    result = kg("--project", built, "build")
    assert result.exit_code == 0 and BUILT in result.stderr, result.stderr


def test_source_date_epoch_is_an_option(
    built: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    result = kg("--project", built, "build")
    assert result.exit_code == 0 and BUILT in result.stderr, result.stderr
    assert UP_TO_DATE in kg("--project", built, "build").stderr
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert BUILT in kg("--project", built, "build").stderr


def test_another_out_builds(built: Path, kg: Callable[..., Result], release: Path) -> None:
    out = built / "other"
    result = kg("--project", built, "build", "--out", out)
    assert result.exit_code == 0 and BUILT in result.stderr, result.stderr
    result = kg("--project", built, "build", "--out", out)
    assert result.stderr.startswith(f"kg: {out.as_posix()}/ is up to date")
    assert files_of(out) == files_of(release)


def test_another_program_builds(
    built: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manifest, "program_hash", lambda: "another kg")
    result = kg("--project", built, "build")
    assert result.exit_code == 0 and BUILT in result.stderr, result.stderr


@pytest.mark.parametrize("flag", ["--force", "--no-cache"])
def test_force_and_no_cache_build(flag: str, built: Path, kg: Callable[..., Result]) -> None:
    result = kg("--project", built, "build", flag)
    assert result.exit_code == 0 and BUILT in result.stderr, result.stderr


def test_a_failed_build_keeps_the_last_manifest(built: Path, kg: Callable[..., Result]) -> None:
    """An input broken and put back: the release on disk is still the last build's."""
    path = built / "catalogue" / "entities.yaml"
    good = path.read_bytes()
    path.write_bytes(good + b"\n: not yaml [\n")
    assert kg("--project", built, "build").exit_code == 2
    path.write_bytes(good)
    assert UP_TO_DATE in kg("--project", built, "build").stderr


def _source_claims(project: Path) -> Path:
    return sorted((project / "sources").glob("*/claims.yaml"))[0]


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_an_input_that_never_ends_is_left_to_the_build(
    kind: str, built: Path, kg: Callable[..., Result]
) -> None:
    """A signing key that is /dev/zero, or a FIFO among the inputs, is never read to its end
    by the check: the build runs and says what is wrong."""
    if kind == "device":
        assert manifest.take_fingerprint(built, built / "dist", sign_key=Path("/dev/zero")) is None
    else:
        os.mkfifo(built / "shapes" / "pipe")
        assert manifest.take_fingerprint(built, built / "dist") is None


@pytest.mark.parametrize("large", [0, 1 << 40], ids=["on-the-thread", "here"])
@pytest.mark.parametrize("damaged", [None, "graph.nt", "nanopubs/a/b.trig"])
def test_each_file_is_hashed_wherever_it_is_hashed(
    large: int, damaged: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release's large files are hashed on a thread while the small ones are hashed here:
    a byte changed in either (size and mtime kept) is found; nothing changed is up to date."""
    monkeypatch.setattr(manifest, "_LARGE", large)
    release = tmp_path / "dist"
    (release / "nanopubs" / "a").mkdir(parents=True)
    files = {"graph.nt": b"<a> <b> <c> .\n" * 1000, "nanopubs/a/b.trig": b"<x> <y> <z> .\n"}
    for name, data in files.items():
        (release / name).write_bytes(data)
    fingerprint = manifest.Fingerprint("f" * 64, 1)
    written = {name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in files.items()}
    manifest.record_build(release, fingerprint, written)
    if damaged is not None:
        path = release / damaged
        status = path.stat()
        data = bytearray(path.read_bytes())
        data[-2] ^= 1
        path.write_bytes(bytes(data))
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert manifest.is_up_to_date(release, fingerprint) is (damaged is None)


@pytest.mark.parametrize("how", ["a file more", "interrupted"])
def test_a_check_that_fails_stops_hashing_the_large_files(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder holds a file the manifest does not name, or the check is interrupted
    (Ctrl-C) while a large file is hashed on the thread: that file is not read to its end
    (each MB read here takes 10 ms: the whole file would take 0.64 s)."""
    monkeypatch.setattr(manifest, "_LARGE", 1 << 20)
    release = tmp_path / "dist"
    release.mkdir()
    large = os.urandom(1 << 16) * 1024  # 64 MB
    (release / "graph.nt").write_bytes(large)
    (release / "void.ttl").write_bytes(b"small")
    written = {
        name: (len(data), hashlib.sha256(data).hexdigest())
        for name, data in (("graph.nt", large), ("void.ttl", b"small"))
    }
    fingerprint = manifest.Fingerprint("f" * 64, 1)
    manifest.record_build(release, fingerprint, written)
    blocks = []
    read = os.read

    def slow(fd: int, size: int) -> bytes:
        data = read(fd, size)
        if len(data) == 1 << 20:
            blocks.append(fd)
            time.sleep(0.01)
        return data

    monkeypatch.setattr(manifest.os, "read", slow)
    if how == "a file more":
        (release / "extra.txt").write_bytes(b"not the build's")
        assert manifest.is_up_to_date(release, fingerprint) is False
    else:

        def interrupted(folder: Path) -> list[str]:
            time.sleep(0.05)  # the thread has begun the large file
            raise KeyboardInterrupt

        monkeypatch.setattr(manifest, "_release_files", interrupted)
        with pytest.raises(KeyboardInterrupt):
            manifest.is_up_to_date(release, fingerprint)
    assert 0 < len(blocks) < 32


def test_an_empty_folder_in_the_release_is_not_up_to_date(
    built: Path, kg: Callable[..., Result]
) -> None:
    """A folder the build did not make, even empty, is no longer the release the manifest
    describes: the build runs (and writes the release without it), rather than saying
    dist/ is up to date."""
    added = built / "dist" / "nanopubs" / "added"
    added.mkdir()
    result = kg("--project", built, "build")
    assert result.exit_code == 0 and BUILT in result.stderr, result.stderr
    assert not added.exists()
