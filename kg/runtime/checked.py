"""Files checked by their bytes once, then by their identity: for what kg keeps between runs
(the release's query index, the site and store ``kg serve`` keeps).

A record holds, for each file, its SHA-256 and its identity when it was hashed: device, inode,
size, modification and change times, as git's index tells a changed file. A file whose identity
is the recorded one has not been written since (a write or a rename sets the change time, which
no user can set back), so it is not read again; a file whose identity moved is hashed again,
and is the recorded file only if its bytes are. This is what makes a check at every use cheap:
a stat of each file, not a read of every byte. It catches every change made through the file
system; damage below it (a disk that flips a bit, an edit of the raw device) keeps the identity
and is not seen.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kg.errors import OutputError
from kg.runtime.publish import write_file

__all__ = ["check", "identity", "record", "sha256_of", "store_files", "write_record"]

#: Files RocksDB may write when it opens an Oxigraph store, even read-only: not the store's.
_VOLATILE = frozenset({"LOCK", "LOG"})


def identity(path: Path) -> list[int]:
    """Device, inode, size, modification and change times (ns) of ``path`` (not followed
    through a symlink)."""
    found = os.lstat(path)
    return [found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns]


def sha256_of(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def record(folder: Path, names: Iterable[str]) -> dict[str, list[Any]]:
    """The record of the files ``names`` in ``folder``: name -> [identity..., SHA-256]."""
    return {name: [*identity(folder / name), sha256_of(folder / name)] for name in sorted(names)}


def check(folder: Path, recorded: Any, names: Iterable[str]) -> dict[str, list[Any]] | None:
    """Whether ``folder`` holds exactly the files ``names``, each the one ``recorded`` (see
    the module); the record as it should now be (identities moved, bytes the same), or None
    when a file is missing, added, or not the recorded bytes, or the record is not one."""
    wanted = sorted(names)
    if not isinstance(recorded, Mapping) or sorted(recorded) != wanted:
        return None
    now: dict[str, list[Any]] = {}
    try:
        for name in wanted:
            entry = recorded[name]
            if not (isinstance(entry, list) and len(entry) == 6 and isinstance(entry[5], str)):
                return None
            found = identity(folder / name)
            moved = found != entry[:5]
            if moved and (found[2] != entry[2] or sha256_of(folder / name) != entry[5]):
                return None
            now[name] = [*found, entry[5]]
    except OSError:
        return None
    return now


def store_files(store: Path) -> list[str]:
    """The files of the Oxigraph store in the folder ``store`` that stay as they were made
    (not those RocksDB writes when it opens the store)."""
    with os.scandir(store) as entries:
        return [entry.name for entry in entries if entry.name not in _VOLATILE]


def write_record(path: Path, content: Mapping[str, Any]) -> None:
    """Write a record as JSON, atomically; one that cannot be written is skipped (what it
    records is then checked again, or made again, at the next use)."""
    with contextlib.suppress(OutputError):
        write_file(path, json.dumps(content, indent=1).encode("utf-8"))
