"""Files too large to hold in memory: sorted by spilling sorted runs to disk and merging them
(an external merge sort), and written in a work folder whose files are hashed as they are
written.

A build's memory then stays bounded by the size of a run, not of the corpus: the release's
whole-graph files are assembled from every source's parts as a stream (see
:mod:`kg.build.assemble`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import heapq
import marshal
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from kg.runtime.publish import FileStatus, file_status, holds

__all__ = [
    "HashingFile",
    "Sorter",
    "SpilledLines",
    "Trees",
    "WorkFolder",
    "Written",
    "work_folder",
]

#: The items a run's block holds: read back one block a run at a time while merging.
_BLOCK = 4096
#: ... and at most about this many characters (as the sorter counts them): the merge holds a
#: block of every run, so its memory is this times the number of runs, which grows with the
#: corpus (a block of 4,096 claims-table rows is some 14 MB).
_BLOCK_TEXT = 65_536


def _first(item: Any) -> int:
    return len(item[0])


class Sorter:
    """Items (tuples of strings and numbers: what :mod:`marshal` writes) added in any order,
    given back sorted, each as often as it was added. Up to ``budget`` characters (of the
    items' strings, roughly their memory) are sorted in memory; past it, each sorted run is
    written to a file in ``folder`` and the runs are merged when read.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sorter = Sorter(Path(folder), budget=4)
    ...     for word in ("pear", "fig", "apple", "fig"):
    ...         sorter.add((word,))
    ...     [item[0] for item in sorter]
    ['apple', 'fig', 'fig', 'pear']
    """

    def __init__(
        self, folder: Path, *, budget: int = 32_000_000, size: Callable[[Any], int] = _first
    ) -> None:
        self._folder = folder
        self._budget = budget
        self._size = size
        self._items: list[Any] = []
        self._held = 0
        self._runs: list[Path] = []

    @property
    def budget(self) -> int:
        """Characters of the items' strings sorted in memory before a run is spilled."""
        return self._budget

    @property
    def empty(self) -> bool:
        """Whether no item was added."""
        return not self._items and not self._runs

    def add(self, item: Any) -> None:
        self._items.append(item)
        self._held += self._size(item)
        if self._held > self._budget:
            self._spill()

    def extend(self, items: Iterable[Any]) -> None:
        """:meth:`add` each of ``items`` (its loop here: a build adds a million items)."""
        size, budget = self._size, self._budget
        held, kept = self._held, self._items
        try:
            for item in items:
                kept.append(item)
                held += size(item)
                if held > budget:
                    self._held = held
                    self._spill()
                    held, kept = 0, self._items
        finally:
            self._held = held

    def add_all(self, items: list[Any], chars: int) -> None:
        """Add ``items``, which count for ``chars`` characters together (what the size of
        each gives): at once, not one at a time (a source's lines); a run is spilled after
        them when the budget is passed."""
        self._items.extend(items)
        self._held += chars
        if self._held > self._budget:
            self._spill()

    def __iter__(self) -> Iterator[Any]:
        """The items in order; a sorter is read once."""
        self._items.sort()
        if not self._runs:
            items, self._items = self._items, []
            return iter(items)
        self._spill()
        return heapq.merge(*(_read_run(run) for run in self._runs))

    def _spill(self) -> None:
        self._items.sort()
        handle, name = tempfile.mkstemp(prefix="run-", dir=self._folder)
        with os.fdopen(handle, "wb") as out:
            block: list[Any] = []
            held = 0
            for item in self._items:
                block.append(item)
                held += self._size(item)
                if len(block) >= _BLOCK or held >= _BLOCK_TEXT:
                    _dump(block, out)
                    block, held = [], 0
            if block:
                _dump(block, out)
        self._runs.append(Path(name))
        self._items = []
        self._held = 0


def _dump(block: list[Any], out: BinaryIO) -> None:
    """A block of a run: its length, then its items as :mod:`marshal` writes them."""
    data = marshal.dumps(block)
    out.write(len(data).to_bytes(8, "little") + data)


def _read_run(path: Path) -> Iterator[Any]:
    """The items of a run, a block at a time. Each block is read whole and then unmarshalled
    from bytes: ``marshal.load`` of a file object asks the file for every object's bytes, a
    method call each, several times slower."""
    with open(path, "rb") as handle:
        while size := handle.read(8):
            yield from marshal.loads(handle.read(int.from_bytes(size, "little")))
    path.unlink()


class SpilledLines(Mapping[str, Sequence[str]]):
    """Lines by key, kept in an SQLite file (a build's work file: no journal, no sync), not
    in memory: what the build reads again at its end of every source (its article's lines).
    A key added again replaces its lines; keys iterate in the order they were first added.
    Read on any thread, one at a time.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     spilled = SpilledLines(Path(folder) / "lines.sqlite")
    ...     spilled.add("<a>", ["<a> <p> <b>", "<a> <q> <c>"])
    ...     spilled.add("<d>", [])
    ...     list(spilled), spilled["<a>"], spilled.get("<e>"), len(spilled)
    (['<a>', '<d>'], ('<a> <p> <b>', '<a> <q> <c>'), None, 2)
    """

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE lines (key TEXT PRIMARY KEY, text TEXT NOT NULL)")
        self._lock = threading.Lock()
        self._writing = False

    def add(self, key: str, lines: Sequence[str]) -> None:
        with self._lock:
            if not self._writing:  # one transaction for the adds that come together
                self._db.execute("BEGIN")
                self._writing = True
            self._db.execute(
                "INSERT INTO lines VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET text = excluded.text",
                (key, "\n".join(lines)),  # a canonical line holds no newline
            )

    def __getitem__(self, key: str) -> tuple[str, ...]:
        with self._lock:
            self._done()
            row = self._db.execute("SELECT text FROM lines WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return tuple(row[0].split("\n")) if row[0] else ()

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            self._done()
            keys = [key for (key,) in self._db.execute("SELECT key FROM lines ORDER BY rowid")]
        return iter(keys)

    def __len__(self) -> int:
        with self._lock:
            self._done()
            (count,) = self._db.execute("SELECT COUNT(*) FROM lines").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._done()
            self._db.close()

    def _done(self) -> None:
        if self._writing:
            self._db.execute("COMMIT")
            self._writing = False


Written = dict[str, tuple[int, str]]  # file name -> (size in bytes, SHA-256)


class WorkFolder:
    """A folder of files being made, each hashed as it is written: what a release is before
    it is put in place (:func:`kg.runtime.publish.write_release` moves the files from it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: Written = {}
        self._outside: dict[str, Path] = {}
        self._looked: dict[str, FileStatus] = {}  # each of those: its status when kept
        self._made: set[Path] = set()

    def path(self, name: str) -> Path:
        return self.folder / name

    def write(self, name: str, data: bytes) -> None:
        with self.open(name) as out:
            out.write(data)

    def keep(
        self,
        name: str,
        data: bytes,
        previous: Path | None,
        proven: Callable[[os.stat_result, int, str], bool] | None = None,
    ) -> None:
        """Write ``data`` as ``name``, unless the file ``previous`` (the same name in the
        release being replaced) holds exactly those bytes: that file then stands for it, and
        is linked into the new release, not written again (most of a release's many small
        files are unchanged by an edit). ``proven``: whether ``previous``, of this status, is
        known to hold bytes of that size and SHA-256 without reading it (the last build's
        manifest); it is read and compared otherwise. Its status is kept, for
        :meth:`changed_since_kept`."""
        if previous is not None:
            sha256 = hashlib.sha256(data).hexdigest()
            try:
                status = os.lstat(previous)  # before it is read: a change since changes it
            except OSError:
                status = None
            if status is not None and (
                (proven is not None and proven(status, len(data), sha256)) or holds(previous, data)
            ):
                self._outside[name] = previous
                self._looked[name] = file_status(status)
                self.written[name] = (len(data), sha256)
                return
        self._outside.pop(name, None)
        self._looked.pop(name, None)
        self.write(name, data)

    def changed_since_kept(self) -> list[str]:
        """The files of the release being replaced that stand for files of this one
        (:meth:`keep`) whose status changed since they were kept: another program wrote
        them while the build ran, and their bytes are no longer known (checked just before
        the release is published)."""
        changed = []
        for name, previous in self._outside.items():
            try:
                now: FileStatus | None = file_status(os.lstat(previous))
            except OSError:
                now = None
            if now != self._looked[name]:
                changed.append(name)
        return sorted(changed)

    def adopt(self, name: str, size: int, sha256: str) -> None:
        """Count the file ``name``, made in the folder by another process, as written, with
        the size and SHA-256 that process found."""
        self._outside.pop(name, None)
        self._looked.pop(name, None)
        self.written[name] = (size, sha256)

    def open(self, name: str) -> HashingFile:
        """A file to write ``name`` into; its size and hash are kept when it is closed."""
        path = _in_folder(self.folder / name, self._made)
        return HashingFile(open(path, "wb"), name, self.written)

    def files(self) -> Mapping[str, Path]:
        """Every file made, by name, sorted: its path in the folder, or the earlier release's
        that stands for it (:meth:`keep`); each path made when it is looked up (a release of
        20,000 sources has 267,000 files)."""
        return _Made(self)


class _Made(Mapping[str, Path]):
    """The files of a work folder (:meth:`WorkFolder.files`)."""

    def __init__(self, work: WorkFolder) -> None:
        self._work = work
        self._names = sorted(work.written)

    def __getitem__(self, name: str) -> Path:
        if name not in self._work.written:
            raise KeyError(name)
        return self._work._outside.get(name) or self._work.folder / name

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _in_folder(path: Path, made: set[Path]) -> Path:
    """``path``, its folder made first (once a folder, not once a file: ``made`` holds those
    made)."""
    if path.parent not in made:
        path.parent.mkdir(parents=True, exist_ok=True)
        made.add(path.parent)
    return path


class Trees:
    """Files written into a folder as they are made, under their names in the release (each
    in a folder: ``doc/…``), and handed to :func:`kg.runtime.publish.write_release` as whole
    folders (:meth:`folders`): nothing is kept of each file, so a site of millions of
    documents holds no list of them. A file that the release being replaced (``previous``)
    holds byte for byte is hard-linked from it, not written again."""

    def __init__(self, folder: Path, previous: Path | None = None) -> None:
        self.folder = folder
        self._previous = previous
        self._made: set[Path] = set()
        self._tops: set[str] = set()

    def write(self, name: str, data: bytes) -> None:
        """Write ``data`` as ``name`` (which must be in a folder).

        :raises ValueError: ``name`` is not in a folder, or goes out of one
        """
        top, _, rest = name.partition("/")
        if not rest or ".." in name.split("/") or name.startswith("/"):
            raise ValueError(f"{name}: not a file in a folder of the release")
        path = _in_folder(self.folder / name, self._made)
        self._tops.add(top)
        before = self._previous / name if self._previous is not None else None
        if before is not None and holds(before, data):
            with contextlib.suppress(OSError):
                os.link(before, path)
                return
        path.write_bytes(data)

    def folders(self) -> dict[str, Path]:
        """The folders written, by their names in the release."""
        return {top: self.folder / top for top in sorted(self._tops)}


@contextlib.contextmanager
def work_folder(beside: Path) -> Iterator[WorkFolder]:
    """A new work folder beside ``beside`` (on its file system, so that its files are renamed
    into place, not copied), removed when done. The folders of builds that were killed are
    removed first: each is locked by the build that works in it for as long as it runs."""
    target = Path(os.path.realpath(beside))
    made_parents = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}-work-"
    for stale in target.parent.glob(prefix + "*"):
        with contextlib.suppress(OSError), _lock(stale, wait=False):
            shutil.rmtree(stale, ignore_errors=True)
    # locked before it is named as a work folder, so that no sweep sees it unlocked
    made = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
    try:
        with _lock(made, wait=True):
            folder = target.parent / (prefix + made.name.rsplit("-", 1)[-1])
            made.rename(folder)
            made = folder
            (folder / "spool").mkdir()
            yield WorkFolder(folder)
    finally:
        shutil.rmtree(made, ignore_errors=True)
        for parent in made_parents:  # a failed build leaves no folder it made (nearest first)
            try:
                parent.rmdir()
            except OSError:
                break  # not empty: the release was written there


@contextlib.contextmanager
def _lock(folder: Path, *, wait: bool) -> Iterator[None]:
    """Hold the lock of a work folder (a file in it; the descriptor stays valid when the
    folder is renamed). :raises OSError: not waiting, and another process holds it"""
    descriptor = os.open(
        folder / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
    )
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        yield
    finally:
        os.close(descriptor)


class HashingFile:
    """A file written with its size and SHA-256 found as it goes, kept in ``into`` under
    ``name`` when it is closed without an error."""

    def __init__(self, handle: BinaryIO, name: str, into: Written) -> None:
        self._handle = handle
        self._name = name
        self._into = into
        self._digest = hashlib.sha256()
        self._size = 0

    def write(self, data: bytes) -> None:
        self._handle.write(data)
        self._digest.update(data)
        self._size += len(data)

    def __enter__(self) -> HashingFile:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        self._handle.close()
        if kind is None:
            self._into[self._name] = (self._size, self._digest.hexdigest())
