"""What ``kg serve`` keeps between its runs: the site and the store it made for a release, so
that serving the same release again starts in about the time it takes to check the release,
not to write its site again.

A kept copy is a folder of the user's cache (``$KG_SERVE_CACHE``, else
``$XDG_CACHE_HOME/kg/serve``, else ``~/.cache/kg/serve``; made private, mode 0700, and used only
when it is a real folder of this user that no one else may write) named after what decides
its content: the release's description (``void.ttl``, which lists the size and SHA-256 of
every other file of the release, so the same description means the same release), whether
pages have pictures, and the program (kg's source, Oxigraph's version). It holds the site, the
store, ``files.sqlite`` (the SHA-256 of every file of the site) and ``record.json``, written
last, which lists the store's files and their sizes.

A copy is trusted only when its record is sound and the store holds exactly the files it
lists, each of its size; a block of the store is checked by the storage itself when read
(RocksDB's checksums), and a file of the site each time it is served: its bytes are hashed for
its ``ETag`` anyway, and a file whose hash is not the one ``files.sqlite`` holds is not served
(:meth:`Kept.check`). A copy is made in a temporary folder and renamed into place; a process
that serves one holds a shared lock on it, so that another never removes it meanwhile; at most
:data:`KEEP` copies are kept, the least recently used removed first.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pyoxigraph as ox

__all__ = ["KEEP", "Kept", "cache_root", "kept_copy"]

#: The kept copies' format; a copy of another format is made again.
FORMAT = 1
#: How many copies are kept (different releases, or the same with and without pictures).
KEEP = 3
_RECORD = "record.json"
_FILES = "files.sqlite"
_VOLATILE = frozenset({"LOCK", "LOG"})  # RocksDB may write them when it opens a store


class Kept:
    """A sound kept copy, locked (shared) until :meth:`close`: its ``site`` and ``store``."""

    def __init__(self, folder: Path, lock: IO[bytes], made: bool) -> None:
        self.folder = folder
        self.site = folder / "site"
        self.store = folder / "store"
        self.made = made  # made by this run, not found
        self._lock = lock
        self._files = sqlite3.connect(
            f"{(folder / _FILES).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        self._guard = threading.Lock()

    def check(self, path: Path, sha256: str) -> bool:
        """Whether ``sha256`` is the hash the copy's site file at ``path`` was made with."""
        try:
            name = path.resolve().relative_to(self.site.resolve()).as_posix()
        except ValueError:
            return False
        with self._guard:
            row = self._files.execute("SELECT sha256 FROM files WHERE path = ?", (name,)).fetchone()
        if row is not None and row[0] == sha256:
            return True
        with contextlib.suppress(OSError):  # never trusted again: the next start makes it anew
            (self.folder / _RECORD).unlink()
        return False

    def close(self) -> None:
        """Let the copy go (another run may then remove it)."""
        self._files.close()
        with contextlib.suppress(OSError):
            self._lock.close()


def cache_root() -> Path | None:
    """The folder kept copies live in, made if need be; None when it is not one this user
    alone may write (a symlink, another's folder, writable by others) or cannot be made."""
    chosen = os.environ.get("KG_SERVE_CACHE")
    if chosen:
        root = Path(chosen)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "kg" / "serve"
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        found = os.lstat(root)
    except OSError:
        return None
    private = stat.S_ISDIR(found.st_mode) and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return root if private and found.st_uid == os.geteuid() else None


def kept_copy(
    description: bytes, pictures: bool, make: Callable[[Path, Path], None]
) -> Kept | None:
    """The kept copy of the release whose ``void.ttl`` is ``description``: found sound, or made
    now by ``make(site, store)`` (which writes both folders); None when there is no place to
    keep one (the caller makes a temporary copy, as before).

    :raises: whatever ``make`` raises (nothing is kept then)
    """
    root = cache_root()
    if root is None:
        return None
    key = _key(description, pictures)
    folder = root / key
    try:
        lock = (root / f".{key}.lock").open("a+b")
    except OSError:
        return None
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)
        if not _is_sound(folder, key):
            fcntl.flock(lock, fcntl.LOCK_EX)  # one run makes it; the others wait for it
            made = not _is_sound(folder, key)
            if made:
                _make(root, folder, key, make)
            fcntl.flock(lock, fcntl.LOCK_SH)
        else:
            made = False
        kept = Kept(folder, lock, made)
    except BaseException:
        lock.close()
        raise
    with contextlib.suppress(OSError):
        os.utime(folder / _RECORD)  # used: the last to be removed
    _prune(root, keep=key)
    return kept


def _key(description: bytes, pictures: bool) -> str:
    from kg.build.program import program_hash

    decided = {
        "format": FORMAT,
        "release": hashlib.sha256(description).hexdigest(),
        "pictures": pictures,
        "program": program_hash(),
        "oxigraph": ox.__version__,
    }
    return hashlib.sha256(json.dumps(decided, sort_keys=True).encode()).hexdigest()[:32]


def _is_sound(folder: Path, key: str) -> bool:
    try:
        record = json.loads((folder / _RECORD).read_bytes())
        if not isinstance(record, dict) or record.get("key") != key:
            return False
        if not (folder / _FILES).is_file() or not (folder / "site").is_dir():
            return False
        return bool(_store_files(folder / "store") == record.get("store"))
    except (OSError, ValueError):
        return False


def _store_files(store: Path) -> dict[str, int]:
    with os.scandir(store) as entries:
        return {e.name: e.stat().st_size for e in entries if e.name not in _VOLATILE}


def _make(root: Path, folder: Path, key: str, make: Callable[[Path, Path], None]) -> None:
    work = Path(tempfile.mkdtemp(prefix=".making-", dir=root))
    try:
        make(work / "site", work / "store")
        with contextlib.closing(sqlite3.connect(work / _FILES)) as files:
            files.execute("CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL)")
            files.executemany("INSERT INTO files VALUES (?, ?)", _hashes(work / "site"))
            files.commit()
        record = {"format": FORMAT, "key": key, "store": _store_files(work / "store")}
        (work / _RECORD).write_text(json.dumps(record, indent=1), encoding="utf-8")
        if folder.exists():  # a damaged copy: out of the way first (nobody else uses it)
            gone = root / f".gone-{key}-{os.getpid()}"
            folder.rename(gone)
            shutil.rmtree(gone, ignore_errors=True)
        work.rename(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _hashes(site: Path) -> Iterator[tuple[str, str]]:
    for parent, _, names in os.walk(site):
        for name in names:
            path = Path(parent) / name
            yield path.relative_to(site).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest()


def _prune(root: Path, keep: str) -> None:
    """Remove the copies beyond :data:`KEEP`, least recently used first, that no run holds;
    and what runs killed while making one left behind (over a day old)."""
    copies = []
    for entry in root.iterdir():
        if entry.name.startswith(".") or entry.name == keep:
            if entry.name.startswith((".making-", ".gone-")):
                with contextlib.suppress(OSError):
                    if time.time() - entry.stat().st_mtime > 86400:
                        shutil.rmtree(entry, ignore_errors=True)
            continue
        try:
            copies.append((os.stat(entry / _RECORD).st_mtime, entry))
        except OSError:
            copies.append((0.0, entry))
    copies.sort(reverse=True)
    for _, entry in copies[KEEP - 1 :]:
        with contextlib.suppress(OSError), (root / f".{entry.name}.lock").open("a+b") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a run serves it
            shutil.rmtree(entry, ignore_errors=True)
            (root / f".{entry.name}.lock").unlink()
