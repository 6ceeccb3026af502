"""The no-op build: a manifest, kept beside the release, of what the last build read and wrote,
so that ``kg build`` does nothing when nothing changed.

After a release is written, :func:`record_build` keeps a JSON file beside it (``.dist-built.json``
next to ``dist/``: never in the release, which stays byte for byte a fresh build's) holding a
fingerprint of the build (:func:`take_fingerprint`: every file the build reads, the options that
change the release, and the program) and the size and SHA-256 of every release file.
:func:`is_up_to_date` trusts it only when the fingerprint is the same and the release folder
holds exactly those files with exactly those bytes; a manifest that is missing, damaged (not
JSON, another shape) or describes other files means a build, never a skipped one.

Files are compared by their content's SHA-256, and read only when their status says they may
have changed. As git's index does, the manifest keeps each file's inode, size, mtime and ctime
as they were once its bytes were known; a file whose status is still the same is not read
again. The ctime is what makes this sound: the kernel sets it to the current time when a
file's bytes or status are changed through a system call (``write``, ``truncate``, ``rename``,
``utime``...), and no program can set it back short of setting the machine's clock back
(``cp -p``, ``rsync -t``, ``touch -d`` and an editor that restores the mtime all change it),
so a file changed since has another ctime, even with the same size and mtime. Two kinds of
file are read whatever their status:

- a file changed less than :data:`_SETTLED` before its status was taken (an input, when the
  fingerprint is taken; a release file a no-op read) is not recorded (a second change in the
  same tick of the file system's clock would keep its ctime), so the next check reads it;
- a release file whose recorded ctime is not older than the manifest (the clock went back).

A no-op that read files the manifest did not prove writes what it proved back into it
(``remember``), so that the next one reads nothing: the first no-op after a corpus was
written and built at once reads its inputs, the next ones do not. A file of the previous
release an edit links into the new one unread (:meth:`Manifest.holds`) is looked at again
just before the release is published; one changed while the build ran stops it
(:meth:`kg.runtime.spool.WorkFolder.changed_since_kept`).

What is left unproven, as with git:

- a release file changed by another program in the moment between the build's last look
  at it and the manifest recording its status;
- a file changed through a shared memory mapping (``mmap``): Linux sets its ctime when the
  page is first written after being saved to disk, not at each write to it;
- a file system whose ctime is not the kernel's (a network or FUSE file system sets its
  own; a server's clock more than :data:`_SETTLED` behind this machine's narrows the first
  guard).

``kg build --force`` builds anyway.

Everything here uses the standard library and PyYAML only: it runs before the build loads
rdflib.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kg.build.program import program_hash
from kg.errors import OutputError
from kg.runtime.publish import FileStatus, file_status, write_file

__all__ = [
    "Fingerprint",
    "Manifest",
    "is_up_to_date",
    "manifest_path",
    "read_manifest",
    "record_build",
    "take_fingerprint",
]

#: The manifest's format; a manifest of another format is not trusted.
FORMAT = 2
#: An input whose ctime is less than this many nanoseconds before the fingerprint is taken is
#: read again by the next build, whatever its status.
_SETTLED = 1_000_000_000

#: A file's status as the manifest keeps it (:data:`kg.runtime.publish.FileStatus`).
Status = FileStatus
#: The project's folders the build reads every file of (sources/: its listed folders, and the
#: unlisted ones it looks for).
_FOLDERS = ("catalogue", "ontology", "shapes", "sources")


@dataclass(frozen=True)
class Fingerprint:
    """What decides a release: a digest of the build's inputs, options and program, and how
    many input files it covers; ``known``: each input's SHA-256 and status, for the inputs
    whose status the next build may trust (see the module's text)."""

    digest: str
    inputs: int
    known: Mapping[str, tuple[str, Status]] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Manifest:
    """A manifest as read back: the fingerprint it was written for, each release file's size,
    SHA-256 and status (None: not known), each known input's SHA-256 and status, and the
    manifest's own ctime."""

    fingerprint: str
    files: Mapping[str, tuple[int, str, Status | None]]
    inputs: Mapping[str, tuple[str, Status]]
    ctime: int

    def proves(self, name: str, status: Status) -> bool:
        """Whether the release file ``name``, of this ``status`` now, is proven to be the file
        this manifest recorded, without being read: its status is the recorded one, taken
        before the manifest was written (see the module's text)."""
        entry = self.files.get(name)
        return entry is not None and entry[2] == status and status[3] < self.ctime

    def holds(self, name: str, status: os.stat_result, size: int, sha256: str) -> bool:
        """Whether the release's file ``name``, of this ``status`` (lstat) now, is proven,
        without being read, to hold ``size`` bytes of this SHA-256: the manifest recorded them
        for it, and its status is still the recorded one (False: not proven; it may still
        hold them)."""
        entry = self.files.get(name)
        if entry is None or entry[0] != size or entry[1] != sha256:
            return False
        return stat.S_ISREG(status.st_mode) and self.proves(name, file_status(status))


def take_fingerprint(
    root: Path,
    target: Path,
    *,
    sign_key: Path | None = None,
    previous: Manifest | None = None,
) -> Fingerprint | None:
    """The fingerprint of a build of the project at ``root`` into ``target``: every file the
    build reads (dataset.yaml; every file under catalogue/, ontology/, shapes/ and sources/,
    and under each source folder dataset.yaml lists elsewhere), the options that change the
    release (the real ``target``, the signing key's bytes, ``SOURCE_DATE_EPOCH``) and the
    program (:func:`~kg.build.program.program_hash`, the Python version). None when it cannot
    be told (an input cannot be read, a folder is a symlink): then the build runs and says what
    is wrong. An input whose status is the one ``previous`` (the last build's manifest) records
    is not read again.
    """
    known: dict[str, tuple[str, Status]] = {}
    recorded = previous.inputs if previous is not None else {}
    settled = time.time_ns() - _SETTLED
    try:
        names = sorted(_input_files(root))
        digest = hashlib.sha256()
        base = os.fspath(root)
        for name in names:
            path = os.path.join(base, name)
            sha256 = _input_sha256(path, recorded.get(name), settled, name, known)
            digest.update(f"{name}\0{sha256}\n".encode())
        key = None
        if sign_key is not None:
            key = [os.path.realpath(sign_key), _file_sha256(sign_key)]
    except (OSError, ValueError, yaml.YAMLError):
        return None
    options = {
        "format": FORMAT,
        "out": os.path.realpath(target),
        "sign_key": key,
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH"),
        "program": program_hash(),
        "python": sys.version,
    }
    digest.update(json.dumps(options, sort_keys=True).encode())
    return Fingerprint(digest.hexdigest(), len(names), known)


def _input_sha256(
    path: str,
    recorded: tuple[str, Status] | None,
    settled: int,
    name: str,
    known: dict[str, tuple[str, Status]],
) -> str:
    """The SHA-256 of the input at ``path``: ``recorded``'s if its status is the same, read
    otherwise; kept in ``known`` with its status when its ctime is older than ``settled``.

    :raises ValueError: ``path`` is not a regular file
    """
    status = os.stat(path)
    if not stat.S_ISREG(status.st_mode):
        raise ValueError(f"{path}: not a regular file")
    now = file_status(status)
    # the status is taken first: a change while the file is read gives it another ctime
    sha256 = recorded[0] if recorded is not None and recorded[1] == now else _file_sha256(path)
    if status.st_ctime_ns < settled:
        known[name] = (sha256, now)
    return sha256


def manifest_path(target: Path) -> Path:
    """Where the manifest of the release at ``target`` is kept: a dotfile beside the folder
    (``dist/`` -> ``.dist-built.json``), as its lock is."""
    real = Path(os.path.realpath(target))
    return real.parent / f".{real.name}-built.json"


def record_build(
    target: Path,
    fingerprint: Fingerprint,
    files: Mapping[str, tuple[int, str]],
) -> None:
    """Keep the manifest of the release just written at ``target`` from its ``files`` (name
    -> size and SHA-256, with each file's status as it is now, once published) and the inputs
    the fingerprint knows (written atomically; a manifest that cannot be written is skipped:
    the next build then runs)."""
    folder = os.path.realpath(target)
    entries: dict[str, tuple[int, str, Status | None]] = {}
    for name, (size, sha256) in files.items():
        try:
            status = os.lstat(os.path.join(folder, name))
        except OSError:
            status = None
        if status is None or not stat.S_ISREG(status.st_mode) or status.st_size != size:
            entries[name] = (size, sha256, None)  # read (and found changed) by the next check
        else:
            entries[name] = (size, sha256, file_status(status))
    _write_manifest(target, fingerprint, entries)


def _write_manifest(
    target: Path, fingerprint: Fingerprint, files: Mapping[str, tuple[int, str, Status | None]]
) -> None:
    """Write the manifest beside ``target`` (atomically; one that cannot be written is
    skipped: the next build then runs)."""
    manifest = {
        "format": FORMAT,
        "fingerprint": fingerprint.digest,
        "inputs": fingerprint.inputs,
        "files": {  # the status's size is the file's
            name: [size, sha256, *(status[1:] if status else ())]
            for name, (size, sha256, status) in sorted(files.items())
        },
        "known": {
            name: [sha256, *now] for name, (sha256, now) in sorted(fingerprint.known.items())
        },
    }
    # an optimisation: a folder that refuses it must not fail the build
    with contextlib.suppress(OutputError):
        write_file(manifest_path(target), json.dumps(manifest, separators=(",", ":")).encode())


def read_manifest(target: Path) -> Manifest | None:
    """The manifest kept beside ``target``, or None: missing, unreadable, damaged (not JSON,
    another shape) or of another format."""
    try:  # a FIFO, a device or a folder put in its place is not waited on, nor read forever
        fd = os.open(manifest_path(target), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return None
        with open(fd, "rb", closefd=False) as file:
            data = json.loads(file.read())
    except (OSError, ValueError, RecursionError):  # RecursionError: nested too deep
        return None
    finally:
        os.close(fd)
    return _parsed(data, status.st_ctime_ns)


def is_up_to_date(
    target: Path,
    fingerprint: Fingerprint,
    manifest: Manifest | None = None,
    *,
    remember: bool = False,
) -> bool:
    """Whether the manifest beside ``target`` (``manifest``, when it was read already) is sound,
    was written for ``fingerprint``, and the folder holds exactly its files, each of its size
    and SHA-256 (read only where its status changed). With ``remember``, what this check
    proved and the manifest did not hold (inputs the fingerprint knows, the status of the
    release files it read) is written into it, so that the next check need not read them."""
    if manifest is None:
        manifest = read_manifest(target)
    if manifest is None or manifest.fingerprint != fingerprint.digest or not manifest.files:
        return False
    files = manifest.files
    stop = threading.Event()  # a file differs (or the check is left): the rest is not needed

    def hold(names: Iterable[str]) -> bool:
        try:
            for name in names:
                size, sha256, _ = files[name]
                if stop.is_set() or not _holds(target / name, size, sha256, stop=stop):
                    stop.set()
                    return False
            return True
        except (OSError, ValueError):
            stop.set()
            return False

    settled = time.time_ns() - _SETTLED  # as for the inputs: see the module's text
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            try:
                listed = dict(_release_files(Path(os.path.realpath(target))))
            except (OSError, ValueError):
                return False
            if listed.keys() != files.keys():
                return False
            unproven = []
            for name, (size, _, _) in files.items():
                now = listed[name]
                if now is None or now[0] != size:
                    return False
                if not manifest.proves(name, now):
                    unproven.append(name)
            # the large files (graph.nt, graph.nq...) hashed on a thread, which hashlib lets
            # run on a core of its own, while this one hashes the many small files
            large = sorted(name for name in unproven if files[name][0] >= _LARGE)
            hashed = pool.submit(hold, large)
            if not (hold(sorted(set(unproven) - set(large))) and hashed.result()):
                return False
        finally:  # also on Ctrl-C: the thread stops within a block, not after every file
            stop.set()
    if remember and (unproven or fingerprint.known != manifest.inputs):
        # each status was taken before the file was read, so one changed since has another;
        # one changed less than _SETTLED before is left to be read again, as an input is
        entries = {name: (size, sha256, listed[name]) for name, (size, sha256, _) in files.items()}
        for name in unproven:
            now = listed[name]
            if now is not None and now[3] >= settled:
                entries[name] = (*entries[name][:2], None)
        _write_manifest(target, fingerprint, entries)
    return True


#: Files of at least this many bytes are hashed on a thread of their own (:func:`is_up_to_date`).
_LARGE = 1 << 20


def _parsed(data: Any, ctime: int) -> Manifest | None:
    """The manifest ``data`` holds (read from a file of this ``ctime``), or None: another
    shape or format."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    fingerprint, files, known = data.get("fingerprint"), data.get("files"), data.get("known")
    if not (isinstance(fingerprint, str) and isinstance(files, dict) and isinstance(known, dict)):
        return None
    # each field checked as it is read: 130,000 entries at 10,000 sources
    found: dict[str, tuple[int, str, Status | None]] = {}
    for name, entry in files.items():  # [size, sha256] or [size, sha256, inode, mtime, ctime]
        if type(entry) is not list or len(entry) not in (2, 5) or type(entry[1]) is not str:
            return None
        size, status = entry[0], None
        if len(entry) == 5:
            status = _status_of(size, *entry[2:])
            if status is None:
                return None
        elif type(size) is not int:
            return None
        found[name] = (size, entry[1], status)
    inputs: dict[str, tuple[str, Status]] = {}
    for name, entry in known.items():  # [sha256, size, inode, mtime, ctime]
        if type(entry) is not list or len(entry) != 5 or type(entry[0]) is not str:
            return None
        status = _status_of(*entry[1:])
        if status is None:
            return None
        inputs[name] = (entry[0], status)
    return Manifest(fingerprint, found, inputs, ctime)


def _status_of(size: Any, inode: Any, mtime: Any, changed: Any) -> Status | None:
    """A status as a manifest holds it, or None: not four integers (a bool is no integer)."""
    if type(size) is int and type(inode) is int and type(mtime) is int and type(changed) is int:
        return (size, inode, mtime, changed)
    return None


def _release_files(folder: Path) -> Iterator[tuple[str, Status | None]]:
    """The files in ``folder``, as release names (``nanopubs/a.trig``) with their status, and
    each empty folder in it as its name and a slash, with None (no build writes one, so no
    manifest names one).

    :raises ValueError: it holds something other than regular files and folders
    """
    below = [""]
    while below:
        prefix = below.pop()
        empty = True
        with os.scandir(os.path.join(folder, prefix)) as entries:
            for entry in entries:
                empty = False
                status = entry.stat(follow_symlinks=False)
                name = prefix + entry.name
                if stat.S_ISDIR(status.st_mode):
                    below.append(f"{name}/")
                elif stat.S_ISREG(status.st_mode):
                    yield name, file_status(status)
                else:
                    raise ValueError(f"{folder / name}: not a file")
        if empty and prefix:
            yield prefix, None


def _input_files(root: Path) -> Iterator[str]:
    """The names (relative to ``root``) of every file a build of ``root`` may read (listed
    with os.scandir and strings: pathlib's objects were most of the cost, 3,000 inputs).

    :raises OSError: one cannot be read
    :raises ValueError: a folder is a symlink, or dataset.yaml does not say its sources
    """
    yield "dataset.yaml"
    listed = _listed_folders((root / "dataset.yaml").read_bytes())
    seen: set[str] = set()
    base = os.fspath(root)
    for folder in sorted({*_FOLDERS, *listed}):
        path = os.path.join(base, folder)
        if os.path.islink(path):
            raise ValueError(f"{folder}: a symlink")
        if not os.path.isdir(path) or any(folder.startswith(f"{s}/") for s in _FOLDERS):
            continue  # missing (the build says so), or inside a folder read whole
        below = [folder]
        while below:
            here = below.pop()
            with os.scandir(os.path.join(base, here)) as entries:
                for entry in entries:
                    name = f"{here}/{entry.name}"
                    if entry.is_dir():  # through a symlink too: one is refused
                        if entry.is_symlink():
                            raise ValueError(f"{entry.path}: a symlink")
                        below.append(name)
                    elif name not in seen:
                        seen.add(name)
                        yield name


def _listed_folders(dataset: bytes) -> list[str]:
    """The source folders dataset.yaml lists (the build checks them; here they are only read).

    :raises ValueError: it does not list them as plain relative folders
    :raises yaml.YAMLError: it is not YAML
    """
    record = yaml.load(dataset, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    folders = record.get("sources") if isinstance(record, dict) else None
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise ValueError("dataset.yaml: sources: not a list of folders")
    for folder in folders:
        if any(part in ("", ".", "..") for part in folder.split("/")) or "\\" in folder:
            raise ValueError(f"dataset.yaml: sources: {folder!r}")
    return folders


def _file_sha256(path: str | Path, stop: threading.Event | None = None) -> str:
    """The SHA-256 of a regular file (a FIFO, a device such as /dev/zero, would never end);
    "" when ``stop`` is set before it is read whole (checked at each MB).

    :raises ValueError: ``path`` is not a regular file
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO: no wait to open
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{path}: not a regular file")
        # read as it is, not through a file object and hashlib.file_digest, whose buffer
        # of 256 KB made for each file is most of the cost of a small one (a release's
        # nanopublication files: 0.14 s for 13,000, against 0.28 s)
        digest = hashlib.sha256()
        while block := os.read(fd, 1 << 20):
            if stop is not None and stop.is_set():
                return ""
            digest.update(block)
        return digest.hexdigest()
    finally:
        os.close(fd)


def _holds(path: Path, size: int, sha256: str, *, stop: threading.Event | None = None) -> bool:
    """Whether ``path`` has ``size`` bytes (checked first: cheap) with this SHA-256 (False
    when ``stop`` is set before it is read whole)."""
    return path.stat().st_size == size and _file_sha256(path, stop) == sha256


def _raise(error: OSError) -> None:
    raise error
