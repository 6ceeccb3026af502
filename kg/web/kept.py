"""What ``kg serve`` keeps between its runs: what it made for a release (the site's front
pages and downloads, the endpoint's store, the store and index its pages are made from on
demand, :func:`kg.web.site.write_served`), so that serving the same release again starts in
about the time it takes to open them, not to make them again.

A kept copy is a folder of the user's cache (``$KG_SERVE_CACHE``, else
``$XDG_CACHE_HOME/kg/serve``, else ``~/.cache/kg/serve``; made private, mode 0700, and used only
when it is a real folder of this user that no one else may write) named after what decides
its content: the release's description (``void.ttl``, which lists the size and SHA-256 of
every other file of the release, so the same description means the same release), whether
pages have pictures, and the program (kg's source, Oxigraph's version). It holds the site
(``site/``), the endpoint's store (``store/``), the pages' store and index (``pages/``,
``pages.sqlite``), ``files.sqlite`` (the SHA-256 of every file of the site) and
``record.json``, written last, which records ``files.sqlite``, ``pages.sqlite`` and the stores'
files (:mod:`kg.runtime.checked`: each file's SHA-256 and its identity when hashed).

A copy is trusted only when its record is sound and ``files.sqlite``, ``pages.sqlite`` and the
stores are exactly the files it records (the same identity, or the same bytes); a file of the
site is checked each time it is served: its bytes are hashed for its ``ETag`` anyway, and a
file whose hash is not the one ``files.sqlite`` holds is not served (:meth:`Kept.check`), and
the copy is then made again at the next start; so is a copy whose pages' store or index fails
while a page is made from them. A copy is made in a temporary folder and renamed into place; a
process that serves one holds a shared lock on it, so that another never removes it
meanwhile, and a start that would have to make again a copy another holds makes one of its
own, for itself, instead of waiting. At most :data:`KEEP` copies are kept, the least recently
used removed first; nothing in the folder but kept copies (named by their 32 hexadecimal
digits) is ever removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
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

from kg.runtime import checked

__all__ = ["KEEP", "Kept", "cache_root", "kept_copy"]

#: The kept copies' format; a copy of another format is made again.
FORMAT = 3
#: How many copies are kept (different releases, or the same with and without pictures).
KEEP = 3
_RECORD = "record.json"
_FILES = "files.sqlite"
_PAGES = "pages.sqlite"
#: How often a run that waits for another to make a copy looks again, in seconds.
POLL_S = 0.1
#: The name of a kept copy: nothing else in the cache folder is touched.
_COPY = re.compile(r"[0-9a-f]{32}")


class Kept:
    """A sound kept copy, locked (shared) until :meth:`close`: its ``folder``'s ``site`` and
    ``store``."""

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
        """Whether ``sha256`` is the hash the copy's site file at ``path`` was made with; when
        it is not (or the copy's list of hashes cannot be read), the copy is not trusted again
        (:meth:`discard`)."""
        try:
            name = path.resolve().relative_to(self.site.resolve()).as_posix()
            with self._guard:
                query = "SELECT sha256 FROM files WHERE path = ?"
                row = self._files.execute(query, (name,)).fetchone()
        except (ValueError, OSError, sqlite3.Error):
            row = None
        if row is not None and row[0] == sha256:
            return True
        self.discard()
        return False

    def discard(self) -> None:
        """Never trust this copy again: the next start makes it anew."""
        with contextlib.suppress(OSError):
            (self.folder / _RECORD).unlink()

    def close(self) -> None:
        """Let the copy go (another run may then remove it)."""
        with contextlib.suppress(sqlite3.Error):
            self._files.close()
        with contextlib.suppress(OSError):
            self._lock.close()


def cache_root() -> tuple[Path | None, str]:
    """The folder kept copies live in, made if need be; or None and why, when it is not one
    this user alone may write (a symlink, another's folder, writable by others) or cannot be
    made."""
    chosen = os.environ.get("KG_SERVE_CACHE")
    if chosen:
        root = Path(chosen)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "kg" / "serve"
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        found = os.lstat(root)
    except OSError as error:
        return None, f"{root}: {error.strerror or error}"
    if not stat.S_ISDIR(found.st_mode):
        return None, f"{root}: not a folder (a symbolic link?)"
    if found.st_uid != os.geteuid() or found.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None, f"{root}: another user's, or others may write it"
    return root, ""


def kept_copy(
    description: bytes,
    pictures: bool,
    make: Callable[[Path], None],
    say: Callable[[str], None] = lambda line: None,
    waiting: Callable[[], None] = lambda: None,
) -> Kept | None:
    """The kept copy of the release whose ``void.ttl`` is ``description``: found sound, or made
    now by ``make(folder)`` (which writes its ``site/``, ``store/``, ``pages/`` and
    ``pages.sqlite``, :func:`kg.web.site.write_served`); None when there is no place to
    keep one, or another run holds the copy that would have to be made again (the caller then
    makes a copy for this run alone, as before). ``say`` tells the user what it waits for and
    why a copy is not kept; ``waiting`` is called every :data:`POLL_S` while another run makes
    the copy, and once ``make`` has made it, and may raise to stop (nothing is kept then).

    :raises: whatever ``make`` or ``waiting`` raises (nothing is kept then)
    """
    root, why = cache_root()
    if root is None:
        say(f"kg: no copy of the site is kept for the next start ({why})")
        return None
    key = _key(description, pictures)
    folder = root / key
    try:
        lock = (root / f".{key}.lock").open("a+b")
    except OSError:
        return None
    try:
        if not _take(lock, fcntl.LOCK_SH):
            say(f"kg: waiting for another kg serve that is making the kept site ({folder})")
            while not _take(lock, fcntl.LOCK_SH):
                waiting()
                time.sleep(POLL_S)
        made = not _is_sound(folder, key)
        if made:
            if not _take(lock, fcntl.LOCK_EX):  # another run serves the copy to be replaced
                say(
                    f"kg: another kg serve holds the kept site ({folder}), which must be made "
                    "again: this run makes a copy of its own"
                )
                lock.close()
                return None
            made = not _is_sound(folder, key)  # another made it meanwhile
            if made:
                _make(root, folder, key, make, waiting)
            fcntl.flock(lock, fcntl.LOCK_SH)
        kept = Kept(folder, lock, made)
    except BaseException:
        lock.close()
        raise
    with contextlib.suppress(OSError):
        os.utime(folder / _RECORD)  # used: the last to be removed
        _prune(root, keep=key)
    return kept


def _take(lock: IO[bytes], kind: int) -> bool:
    """Take the lock ``kind`` at once, or say it is held."""
    try:
        fcntl.flock(lock, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


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
    """Whether the copy in ``folder`` has a record of ``key`` and is exactly the files it
    records (the record brought up to date when only their identities moved)."""
    try:
        record = json.loads((folder / _RECORD).read_bytes())
        if not isinstance(record, dict) or record.get("key") != key:
            return False
        if record.get("format") != FORMAT or not (folder / "site").is_dir():
            return False
        now = checked.check(folder, record.get("files"), _kept_files(folder))
    except (OSError, ValueError):
        return False
    if now is None:
        return False
    if now != record["files"]:
        record["files"] = now
        checked.write_record(folder / _RECORD, record)
    return True


def _kept_files(folder: Path) -> list[str]:
    """The files a record lists: files.sqlite, pages.sqlite and the stores'."""
    stores = [f"{s}/{name}" for s in ("store", "pages") for name in checked.store_files(folder / s)]
    return [_FILES, _PAGES, *stores]


def _make(
    root: Path,
    folder: Path,
    key: str,
    make: Callable[[Path], None],
    waiting: Callable[[], None],
) -> None:
    work = Path(tempfile.mkdtemp(prefix=".making-", dir=root))
    try:
        make(work)
        waiting()  # stopped as it was made: not hashed and kept, but removed
        with contextlib.closing(sqlite3.connect(work / _FILES)) as hashes:
            hashes.execute("CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL)")
            hashes.executemany("INSERT INTO files VALUES (?, ?)", _hashes(work / "site"))
            hashes.commit()
        recorded = checked.record(work, _kept_files(work))
        checked.write_record(work / _RECORD, {"format": FORMAT, "key": key, "files": recorded})
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
            with open(path, "rb") as file:  # a block at a time: the release's copies are here
                digest = hashlib.file_digest(file, "sha256").hexdigest()
            yield path.relative_to(site).as_posix(), digest


def _prune(root: Path, keep: str) -> None:
    """Remove the copies beyond :data:`KEEP`, least recently used first, that no run holds;
    and what runs killed while making one left behind (over a day old). Only kept copies and
    kg's own temporary folders are looked at; a lock file is never removed (a run may be about
    to take it)."""
    copies = []
    for entry in root.iterdir():
        if entry.name.startswith((".making-", ".gone-")) and entry.is_dir():
            with contextlib.suppress(OSError):
                if time.time() - entry.stat().st_mtime > 86400:
                    shutil.rmtree(entry, ignore_errors=True)
            continue
        if not _COPY.fullmatch(entry.name) or entry.name == keep or not entry.is_dir():
            continue
        try:
            copies.append((os.stat(entry / _RECORD).st_mtime, entry))
        except OSError:
            copies.append((0.0, entry))
    copies.sort(reverse=True)
    for _, entry in copies[KEEP - 1 :]:
        with contextlib.suppress(OSError), (root / f".{entry.name}.lock").open("a+b") as lock:
            if _take(lock, fcntl.LOCK_EX):  # else a run serves it
                shutil.rmtree(entry, ignore_errors=True)
