"""The no-op build: `kg build` with nothing changed does nothing and says so; any change of an
input, an option, kg itself or the release on disk, and any damage to the manifest, builds."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from folders import changed_in_place, files_of

from kg.build import manifest

UP_TO_DATE = "is up to date"
BUILT = "kg: built "
#: Inputs of every kind the build reads (sources/ is the committed seed's folder).
INPUTS = ["dataset.yaml", "catalogue/entities.yaml", "ontology/kgo.ttl", "shapes/claims.ttl"]


def _touched(path: Path) -> None:
    """Set ``path``'s mtime to what it is: its ctime changes (the kernel's clock), so its
    status is no longer the one a manifest recorded and its bytes are read again."""
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


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
    built: Path, kg: Callable[..., Result], release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing of the release is touched. The inputs copied less than a second before the
    build were not known to its manifest (see test_an_input_changed_a_moment_ago_is_not_known):
    the first no-op, which read them, remembers them all; the second leaves the manifest as
    it is."""
    monkeypatch.setattr(manifest, "_SETTLED", 0)  # every input has settled since the build
    before = _stamps(built / "dist")
    for _ in range(2):
        kept = manifest.manifest_path(built / "dist").stat().st_mtime_ns
        result = kg("--project", built, "build")
        assert result.exit_code == 0, result.stderr
        assert result.stderr.startswith("kg: dist/ is up to date (")
        assert result.stderr.rstrip().endswith("inputs unchanged); nothing to do")
        assert _stamps(built / "dist") == before
    recorded = manifest.read_manifest(built / "dist")
    assert recorded is not None and len(recorded.inputs) == len(list(manifest._input_files(built)))
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
        b'{"format": 2}',
        b'{"format": 2, "fingerprint": "%s", "inputs": 1, "files": {}, "known": {}}',
        b'{"format": 2, "fingerprint": "%s", "inputs": 1, "files": {"graph.nt": "x"}, "known": {}}',
        b'{"format": 2, "fingerprint": "%s", "inputs": 1, "files": {"graph.nt": [1, 2]}, '
        b'"known": {}}',
        b'{"format": 2, "fingerprint": "%s", "inputs": 1, "files": {"graph.nt": [1, "a", 2]}, '
        b'"known": {}}',
        b'{"format": 2, "fingerprint": "%s", "inputs": 1, "files": {"graph.nt": [1, "a"]}, '
        b'"known": {"dataset.yaml": ["a", 1, 2, 3, true]}}',
        b'{"format": 2, "fingerprint": "%s", "inputs": 1, "files": {"graph.nt": [1, "a"]}}',
        b'{"format": 1, "fingerprint": "%s", "inputs": 1, "files": {"graph.nt": [1, "a"]}, '
        b'"known": {}}',
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
    for name in files:
        _touched(release / name)  # read back, not trusted by its status
    if damaged is not None:
        changed_in_place(release / damaged)
    assert manifest.is_up_to_date(release, fingerprint) is (damaged is None)


@pytest.mark.parametrize("how", ["a small file differs", "interrupted"])
def test_a_check_that_fails_stops_hashing_the_large_files(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small file differs, or the check is interrupted (Ctrl-C), while a large file is
    hashed on the thread: that file is not read to its end (each MB read here takes 10 ms:
    the whole file would take 0.64 s)."""
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
    _touched(release / "graph.nt")  # read back
    blocks = []
    read = os.read

    def slow(fd: int, size: int) -> bytes:
        data = read(fd, size)
        if len(data) == 1 << 20:
            blocks.append(fd)
            time.sleep(0.01)
        return data

    monkeypatch.setattr(manifest.os, "read", slow)
    if how == "a small file differs":
        (release / "void.ttl").write_bytes(b"Small")
    else:
        _touched(release / "void.ttl")
    holds = manifest._holds

    def small_file_later(path: Path, size: int, sha256: str, *, stop: threading.Event) -> bool:
        if path.name == "void.ttl":
            time.sleep(0.05)  # the thread has begun the large file
            if how == "interrupted":
                raise KeyboardInterrupt
        return holds(path, size, sha256, stop=stop)

    monkeypatch.setattr(manifest, "_holds", small_file_later)
    if how == "a small file differs":
        assert manifest.is_up_to_date(release, fingerprint) is False
    else:
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


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the manifest's checks read from now on (their names)."""
    read: list[str] = []
    real = manifest._file_sha256

    def counted(path: Path, stop: threading.Event | None = None) -> str:
        read.append(Path(path).name)
        return real(path, stop)

    monkeypatch.setattr(manifest, "_file_sha256", counted)
    return read


def test_a_release_file_whose_status_is_as_recorded_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest records each release file's status once it is published: a file whose
    status is the same is not read again. Recorded here with a SHA-256 that is not the
    file's, the check believes the status; the same manifest read as if it were older than
    the files (their status not proven) reads them, and finds the difference."""
    release = tmp_path / "dist"
    (release / "nanopubs").mkdir(parents=True)
    (release / "graph.nt").write_bytes(b"<a> <b> <c> .\n")
    (release / "nanopubs" / "a.trig").write_bytes(b"<x> <y> <z> .\n")
    written = {"graph.nt": (14, hashlib.sha256(b"<a> <b> <c> .\n").hexdigest())}
    written["nanopubs/a.trig"] = (14, "0" * 64)  # not its bytes' SHA-256
    fingerprint = manifest.Fingerprint("f" * 64, 1)
    time.sleep(0.02)  # a tick of a coarse clock: the manifest's ctime is after the files'
    manifest.record_build(release, fingerprint, written)
    recorded = manifest.read_manifest(release)
    assert recorded is not None and all(s is not None for _, _, s in recorded.files.values())
    read = _reads(monkeypatch)
    assert manifest.is_up_to_date(release, fingerprint) is True
    assert read == []
    older = dataclasses.replace(recorded, ctime=0)
    assert manifest.is_up_to_date(release, fingerprint, older) is False
    assert "a.trig" in read


def test_a_release_file_changed_in_place_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its size and mtime kept, only its ctime says it changed: it is read, and differs."""
    release = tmp_path / "dist"
    release.mkdir()
    path = release / "graph.nt"
    path.write_bytes(b"<a> <b> <c> .\n")
    fingerprint = manifest.Fingerprint("f" * 64, 1)
    manifest.record_build(release, fingerprint, {"graph.nt": (14, _sha256(path))})
    changed_in_place(path, b"<a> <b> <d> .\n")
    read = _reads(monkeypatch)
    assert manifest.is_up_to_date(release, fingerprint) is False
    assert read == ["graph.nt"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_input_whose_status_is_as_recorded_is_not_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An input whose status the last build's manifest recorded is not read again, and the
    fingerprint is the same; one byte changed (size and mtime kept) is read, and changes it."""
    monkeypatch.setattr(manifest, "_SETTLED", 0)
    dist = project / "dist"
    first = manifest.take_fingerprint(project, dist)
    assert first is not None and set(first.known) >= set(INPUTS)
    previous = manifest.Manifest(first.digest, {}, first.known, ctime=0)
    read = _reads(monkeypatch)
    again = manifest.take_fingerprint(project, dist, previous=previous)
    assert again is not None and again.digest == first.digest and read == []
    path = project / "shapes" / "claims.ttl"
    changed_in_place(path, path.read_bytes()[:-1] + b" ")
    changed = manifest.take_fingerprint(project, dist, previous=previous)
    assert changed is not None and changed.digest != first.digest and read == ["claims.ttl"]


def test_an_input_changed_a_moment_ago_is_not_known(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An input changed less than _SETTLED before the fingerprint (here: a minute) is not
    recorded: a second change within the same tick of the file system's clock could keep
    its ctime, so the next build reads it whatever its status."""
    monkeypatch.setattr(manifest, "_SETTLED", 60 * 10**9)
    (project / "shapes" / "claims.ttl").write_bytes(b"# changed\n")
    fingerprint = manifest.take_fingerprint(project, project / "dist")
    assert fingerprint is not None
    assert "shapes/claims.ttl" not in fingerprint.known


def test_the_no_op_after_a_build_reads_almost_nothing(
    project: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a build, `kg build` with nothing changed reads no input and only the release
    files whose recorded status is not older than the manifest (none, or the last few
    written, which it then remembers); the manifest keeps every input's and every release
    file's status."""
    monkeypatch.setattr(manifest, "_SETTLED", 0)
    assert BUILT in kg("--project", project, "build").stderr
    recorded = manifest.read_manifest(project / "dist")
    assert recorded is not None
    assert len(recorded.inputs) == len(list(manifest._input_files(project)))
    unproven = {
        Path(name).name
        for name, (_, _, status) in recorded.files.items()
        if status is None or status[3] >= recorded.ctime
    }
    assert len(unproven) < len(recorded.files) / 2
    read = _reads(monkeypatch)
    assert UP_TO_DATE in kg("--project", project, "build").stderr
    assert set(read) == unproven
    read.clear()  # what it read, it remembered
    assert UP_TO_DATE in kg("--project", project, "build").stderr
    assert read == []


@pytest.mark.parametrize("where", ["shapes", "sources"])
def test_a_folder_reached_through_a_symlink_is_left_to_the_build(
    where: str, project: Path, tmp_path: Path
) -> None:
    """A symlinked folder among the inputs (one the build would follow elsewhere): no
    fingerprint, so no no-op; the build runs and says what is wrong."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / where / "linked").symlink_to(elsewhere, target_is_directory=True)
    assert manifest.take_fingerprint(project, project / "dist") is None


def test_an_input_file_reached_through_a_symlink_is_read_through_it(
    project: Path, tmp_path: Path
) -> None:
    """A symlinked file is an input as the build reads it: its target's bytes."""
    target = tmp_path / "notes.ttl"
    target.write_bytes(b"# one\n")
    (project / "shapes" / "notes.ttl").symlink_to(target)
    first = manifest.take_fingerprint(project, project / "dist")
    target.write_bytes(b"# two\n")
    second = manifest.take_fingerprint(project, project / "dist")
    assert first is not None and second is not None and first.digest != second.digest


@pytest.mark.parametrize("kind", ["a FIFO", "nested too deep", "a folder"])
def test_a_manifest_that_is_no_file_of_json_is_not_trusted_nor_waited_on(
    kind: str, built: Path, kg: Callable[..., Result]
) -> None:
    """A FIFO (which no one writes) or a folder where the manifest goes, or JSON nested
    deeper than Python's parser goes: no manifest; `kg build` and `kg build --force` build
    (and write a sound one where they can)."""
    path = manifest.manifest_path(built / "dist")
    path.unlink()
    if kind == "a FIFO":
        os.mkfifo(path)
    elif kind == "a folder":
        path.mkdir()
    else:
        path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    assert manifest.read_manifest(built / "dist") is None
    for flags in ([], ["--force"]):
        result = kg("--project", built, "build", *flags)
        assert result.exit_code == 0 and BUILT in result.stderr, result.stderr
