"""A release folder as its own description lists it: ``void.ttl`` gives every file of the release
(but itself) with its byte size and SHA-256 (:mod:`kg.formats.void`); :func:`copy_release`
reads those files and nothing else, and checks each against what it lists.

A release folder from elsewhere (``kg site --release DIR``, ``kg serve --release DIR``) is read,
never trusted: a file the description does not list, a listed file that is missing, changed
(another size or checksum), a symbolic link or not a regular file, refuses the whole release
in one line, so that a tampered release is never half published. :func:`copy_release` copies
the files it checks into a folder of the caller's, hashing each block as it is copied: what is
read afterwards is what was checked (the release may be replaced or changed meanwhile), and
no file is held in memory whole (a release of 20,000 sources is about 10 GB).

What this proves is that the folder is what its description says, not who wrote the
description: whoever could change a file could change void.ttl too (the release's contents
are then checked as any input is).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path

import pyoxigraph as ox

from kg import namespaces
from kg.errors import InputError
from kg.formats.files import RELEASE_FILES, RELEASE_FOLDERS, SHARDS, is_shard
from kg.sparql.query import run_query

__all__ = [
    "DESCRIPTION",
    "Copied",
    "Listed",
    "check_listing",
    "check_release_files",
    "copy_release",
    "read_listing",
    "read_regular",
]

#: The file of a release that lists the others.
DESCRIPTION = "void.ttl"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DCAT, _SPDX = str(namespaces.DCAT), str(namespaces.SPDX)
_LISTED = f"""
SELECT ?url ?size ?sum WHERE {{
  ?file a <{_DCAT}Distribution> ; <{_DCAT}downloadURL> ?url ; <{_DCAT}byteSize> ?size ;
        <{_SPDX}checksum> ?checksum .
  ?checksum <{_SPDX}algorithm> <{_SPDX}checksumAlgorithm_sha256> ; <{_SPDX}checksumValue> ?sum .
}}
"""


@dataclass(frozen=True)
class Listed:
    """One file as the release's description lists it."""

    name: str
    size: int
    sha256: str


def read_listing(description: bytes, where: str = DESCRIPTION) -> dict[str, Listed]:
    """The files a release's description (the bytes of its void.ttl) lists, by name: each
    distribution's download URL ends with the name of one of a release's files.

    >>> ttl = (b'@prefix dcat: <http://www.w3.org/ns/dcat#> . '
    ...        b'@prefix spdx: <http://spdx.org/rdf/terms#> . '
    ...        b'<http://x/r/graph.nq> a dcat:Distribution ; dcat:byteSize 3 ; '
    ...        b'dcat:downloadURL <http://x/d/1/graph.nq> ; spdx:checksum <http://x/c> . '
    ...        b'<http://x/c> spdx:algorithm spdx:checksumAlgorithm_sha256 ; '
    ...        b'spdx:checksumValue "' + b'ab' * 32 + b'" .')
    >>> read_listing(ttl)["graph.nq"].size
    3

    :raises InputError: not Turtle, a listed name that is no release file, a size or checksum
        that is not one, or a file listed twice
    """
    store = ox.Store()
    try:
        store.load(input=description, format=ox.RdfFormat.TURTLE)
    except (SyntaxError, ValueError) as error:
        raise InputError(where, None, None, f"not the release's description: {error}") from error
    found: dict[str, Listed] = {}
    for row in run_query(store, _LISTED):  # type: ignore[attr-defined]
        url, size, checksum = (str(term.value) for term in row)
        folder, _, name = url.rpartition("/")
        folder = folder.rpartition("/")[2]
        name = f"{folder}/{name}" if is_shard(f"{folder}/{name}") else name
        if (name not in RELEASE_FILES and not is_shard(name)) or name == DESCRIPTION:
            raise InputError(where, None, url, "lists a file that is not one of a release's")
        if not size.isdigit() or not _SHA256.fullmatch(checksum):
            raise InputError(where, None, url, "a byte size or SHA-256 that is not one")
        listed = Listed(name, int(size), checksum)
        if found.setdefault(name, listed) != listed:
            raise InputError(where, None, url, "the file is listed twice, differently")
    return found


class Copied(dict[str, Path]):
    """The checked copies of a release's files, by name (:func:`copy_release`), all in
    ``folder``."""

    def __init__(self, folder: Path, files: dict[str, Path]) -> None:
        super().__init__(files)
        self.folder = folder


#: The bytes copied at a time.
_BLOCK = 1 << 20


def copy_release(release: Path, into: Path) -> Copied:
    """Copy the files of the release folder ``release`` that its description lists, and the
    description itself, into the new folder ``into``, each under its name: read without
    following a symbolic link, hashed a block at a time as it is copied, and checked against
    the size and SHA-256 listed once it is whole (:func:`_checked`).

    :raises InputError: no description, or a file missing, changed, unlisted, a symbolic link
        or not a regular file (one line naming it and why)
    """
    description, listing = _listing(release)
    into.mkdir()
    found = {DESCRIPTION: into / DESCRIPTION}
    found[DESCRIPTION].write_bytes(description)
    for name, listed in sorted(listing.items()):
        copy = into / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        with open(copy, "xb") as out:
            _checked(release / name, listed, out.write)
        found[name] = copy
    return Copied(into, found)


def check_release_files(release: Path) -> None:
    """The checks of :func:`copy_release`, each file hashed as it is read and nothing kept:
    for a command that then reads the files it needs itself (``kg load --release DIR``).

    :raises InputError: as :func:`copy_release`
    """
    _, listing = _listing(release)
    for name, listed in sorted(listing.items()):
        _checked(release / name, listed)


def _checked(path: Path, listed: Listed, each: Callable[[bytes], object] | None = None) -> None:
    """Read the file ``path`` a block at a time (each given to ``each``), never through a
    symbolic link, and check it against the size and SHA-256 ``listed``.

    :raises InputError: missing, changed, a symbolic link or not a regular file
    """
    digest = hashlib.sha256()
    read = 0
    with _open(path, listed.size) as file:
        while read <= listed.size and (block := file.read(_BLOCK)):
            digest.update(block)
            if each is not None:
                each(block)
            read += len(block)
    if read != listed.size:
        raise InputError(str(path), None, None, f"not the {listed.size} bytes {DESCRIPTION} lists")
    if digest.hexdigest() != listed.sha256:
        raise _changed(path)


def check_listing(release: Path) -> None:
    """The checks of :func:`copy_release` that need no file but the description read: a
    description that lists graph.nq, and no file in the folder that it does not list.

    :raises InputError: as :func:`copy_release`
    """
    _listing(release)


def _listing(release: Path) -> tuple[bytes, dict[str, Listed]]:
    """The release's description and the files it lists, once it is known that the folder
    holds nothing else."""
    description = _read(release / DESCRIPTION, None)
    listing = read_listing(description, str(release / DESCRIPTION))
    if "graph.nq" not in listing:
        raise InputError(str(release / DESCRIPTION), None, None, "does not list graph.nq")
    _refuse_unlisted(release, listing)
    return description, listing


def _changed(path: Path) -> InputError:
    return InputError(
        str(path),
        None,
        None,
        f"its SHA-256 is not the one {DESCRIPTION} lists: changed since the release was built; "
        "refused",
    )


def _refuse_unlisted(release: Path, listing: dict[str, Listed]) -> None:
    """Refuse anything in the folder but the listed files, the description and the release's
    folders (which nothing serves)."""
    with os.scandir(release) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name in listing or entry.name == DESCRIPTION:
                continue
            if entry.name == SHARDS and entry.is_dir(follow_symlinks=False):
                _refuse_unlisted_shards(Path(entry.path), listing)
                continue
            if entry.name in RELEASE_FOLDERS and entry.is_dir(follow_symlinks=False):
                continue
            raise InputError(
                str(release / entry.name),
                None,
                None,
                f"not a file {DESCRIPTION} lists: refused (a release holds only the files its "
                "description lists; remove it, or build the release again)",
            )


def _refuse_unlisted_shards(folder: Path, listing: dict[str, Listed]) -> None:
    """Refuse anything in the shards' folder but the shards the description lists."""
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if f"{SHARDS}/{entry.name}" not in listing:
                raise InputError(
                    str(folder / entry.name),
                    None,
                    None,
                    f"not a shard {DESCRIPTION} lists: refused (remove it, or build the "
                    "release again)",
                )


def _read(path: Path, size: int | None) -> bytes:
    """The bytes of the regular file ``path``, never through a symbolic link, and never more
    than ``size`` + 1 of them (when a size is expected: more is a changed file)."""
    with _open(path, size) as file:
        data = file.read() if size is None else file.read(size + 1)
    if size is not None and len(data) != size:
        raise InputError(str(path), None, None, f"not the {size} bytes {DESCRIPTION} lists")
    return data


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, opened without following a symbolic link (one
    swapped in after a check is not followed either), and never more than ``limit`` of them.

    :raises InputError: no such file, a symbolic link, not a regular file, or over ``limit``
    """
    with _open(path, None) as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise InputError(str(path), None, None, f"over {limit} bytes: refused")
    return data


def _open(path: Path, size: int | None) -> BufferedReader:
    """The regular file ``path`` opened for reading, never through a symbolic link; when a
    ``size`` is expected, a file of another size is refused (a changed file)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError as error:
        what = (
            "missing: the release's description, which lists its files with their sizes and "
            "checksums (build the release: kg build)"
            if size is None
            else f"listed in {DESCRIPTION} but missing: refused"
        )
        raise InputError(str(path), None, None, what) from error
    except OSError as error:
        if os.path.islink(path):
            raise InputError(str(path), None, None, "a symbolic link: refused") from error
        raise
    status = os.fstat(handle)
    if not stat.S_ISREG(status.st_mode):
        os.close(handle)
        raise InputError(str(path), None, None, "not a regular file: refused")
    if size is not None and status.st_size != size:
        os.close(handle)
        raise InputError(
            str(path),
            None,
            None,
            f"{status.st_size} bytes, where {DESCRIPTION} lists {size}: changed since the "
            "release was built; refused",
        )
    return os.fdopen(handle, "rb")
