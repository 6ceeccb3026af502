"""A persistent index of the release for ``kg query``, ``kg show`` and ``kg stats``: an Oxigraph
store on disk, made once per release and opened read-only by every later call, so that a
question to the graph no longer pays for loading all of it.

The index of a release's ``graph.nq`` is kept in the project's cache
(``.kg-cache/index/<name>/``, the name from the release's real path): the store in ``store/``
and, beside it, ``index.json``, written last, which records what it was made from. It is used
only when that record is sound and says it was made

- by this format of index and this version of Oxigraph,
- from the file now at that path: the same device, inode, size, modification and change
  times (as git's index tells a changed file; the change time cannot be set back by a user, and
  every write or rename sets it), or else, when only those times moved (a build that linked
  the unchanged file into place), from the same bytes (its SHA-256, read again then),

and when the store holds exactly the files, each of the size, the record lists. Anything else
(no record, another release, a file added, removed or cut short) means a new index, made in a
temporary folder beside it and renamed into place, so that a reader never sees half of one.
Damage inside a store file is found by Oxigraph's storage itself (RocksDB checks every block
it reads against its checksum) and raised as :class:`IndexDamaged`: the caller then drops the
index and asks again of a new one (:func:`discard`).

The index is an optimisation: where it cannot be made (a read-only project, a full disk) the
release is loaded in memory as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import IndexDamaged, OutputError
from kg.runtime.publish import write_file

__all__ = ["IndexDamaged", "discard", "is_damage", "open_index", "release_index"]

#: The index's format; an index of another format is made again.
FORMAT = 1
_RECORD = "index.json"
_STORE = "store"
#: Files RocksDB may write when it opens a store, even read-only: not part of the index.
_VOLATILE = frozenset({"LOCK", "LOG"})


@dataclass(frozen=True)
class _Identity:
    """What tells the release file the index was made from."""

    path: str
    stat: list[int]  # device, inode, size, modification and change times (ns)

    @classmethod
    def of(cls, path: Path, fd: int | None = None) -> _Identity:
        found = os.stat(fd) if fd is not None else os.stat(path)
        stat = [found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns]
        return cls(os.path.realpath(path), stat)


def release_index(nquads: Path, cache: Path) -> Path | None:
    """The folder of a sound index of ``nquads`` under ``cache``, made now if there is none or
    it is out of date or damaged; None when one cannot be made there (the caller loads the
    release in memory instead)."""
    folder = _folder(nquads, cache)
    if _is_current(folder, nquads):
        return folder / _STORE
    try:
        _make(folder, nquads)
    except (OSError, OutputError, RuntimeError, ValueError):
        return None
    return folder / _STORE


def open_index(store: Path) -> ox.Store:
    """The index at ``store`` (from :func:`release_index`), opened read-only.

    :raises IndexDamaged: its storage fails its own checks
    """
    try:
        return ox.Store.read_only(str(store))
    except (OSError, RuntimeError) as error:
        raise IndexDamaged(f"{store}: {error}") from error


def is_damage(error: BaseException) -> bool:
    """Whether ``error``, raised while reading an index, says its storage is damaged (RocksDB's
    ``Corruption``, or a store file gone) rather than something about the query."""
    if isinstance(error, IndexDamaged):
        return True
    return isinstance(error, (OSError, RuntimeError)) and (
        "Corruption" in str(error) or "No such file" in str(error)
    )


def discard(nquads: Path, cache: Path) -> None:
    """Remove the index of ``nquads`` (found damaged): the next :func:`release_index` makes
    a new one."""
    folder = _folder(nquads, cache)
    with contextlib.suppress(OSError):
        (folder / _RECORD).unlink()  # first: a half-removed index is never taken for sound
    shutil.rmtree(folder, ignore_errors=True)


def _folder(nquads: Path, cache: Path) -> Path:
    name = hashlib.sha256(os.path.realpath(nquads).encode()).hexdigest()[:16]
    return cache / "index" / name


def _is_current(folder: Path, nquads: Path) -> bool:
    try:
        record = json.loads((folder / _RECORD).read_bytes())
        now = _Identity.of(nquads)
    except (OSError, ValueError):
        return False
    if not (
        isinstance(record, dict)
        and record.get("format") == FORMAT
        and record.get("oxigraph") == ox.__version__
        and record.get("path") == now.path
        and isinstance(record.get("files"), dict)
    ):
        return False
    if record.get("stat") != now.stat:
        if not _same_bytes(record, nquads, now):
            return False
        record["stat"] = now.stat  # the same bytes: only linked or touched since
        with contextlib.suppress(OutputError):
            write_file(folder / _RECORD, json.dumps(record, indent=1).encode())
    try:
        return bool(_store_files(folder / _STORE) == record["files"])
    except OSError:
        return False


def _same_bytes(record: dict[str, Any], nquads: Path, now: _Identity) -> bool:
    """Whether ``nquads`` holds the bytes the index was made from (same size, same SHA-256)."""
    stat = record.get("stat")
    if not isinstance(stat, list) or len(stat) != 5 or stat[2] != now.stat[2]:
        return False
    try:
        with nquads.open("rb") as file:
            return bool(hashlib.file_digest(file, "sha256").hexdigest() == record.get("sha256"))
    except OSError:
        return False


def _store_files(store: Path) -> dict[str, int]:
    return {
        entry.name: entry.stat().st_size
        for entry in os.scandir(store)
        if entry.name not in _VOLATILE
    }


def _make(folder: Path, nquads: Path) -> None:
    """Load ``nquads`` into a new store beside ``folder`` and put it in its place: the file
    is opened once, so the store, its record and the hash are all of the same bytes even if a
    build replaces the release meanwhile."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        with nquads.open("rb") as file:
            identity = _Identity.of(nquads, file.fileno())
            store = ox.Store(str(work / _STORE))
            base = nquads.resolve().as_uri()  # as kg.sparql.query.load_store reads it
            store.bulk_load(input=file, format=ox.RdfFormat.N_QUADS, base_iri=base)
            store.flush()
            del store  # closed: its files are final
            file.seek(0)
            digest = hashlib.file_digest(file, "sha256").hexdigest()
        record = {
            "format": FORMAT,
            "oxigraph": ox.__version__,
            "path": identity.path,
            "stat": identity.stat,
            "sha256": digest,
            "files": _store_files(work / _STORE),
        }
        write_file(work / _RECORD, json.dumps(record, indent=1).encode())
        old = folder.parent / f".{folder.name}-old-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            folder.rename(old)  # readers that opened it keep their files open
        work.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _remove_stale(folder.parent)


def _remove_stale(parent: Path) -> None:
    """Temporary folders of indexes whose making was killed (older than an hour)."""
    import time

    for entry in parent.glob(".*"):
        with contextlib.suppress(OSError):
            if time.time() - entry.stat().st_mtime > 3600:
                shutil.rmtree(entry, ignore_errors=True)
