"""A persistent index of the release for ``kg query``, ``kg show``, ``kg stats``, ``kg xrefs``
and ``kg mappings``: an Oxigraph store on disk, made once per release and opened read-only by
every later call, so that a question to the graph no longer pays for loading all of it.

The index of a release's ``graph.nq`` is kept in the project's cache
(``.kg-cache/index/<name>/``, the name from the release's real path): the store in ``store/``
and, beside it, ``index.json``, written last, which records what it was made from and carries
an HMAC-SHA-256 under the build cache's secret (:func:`kg.build.cache.cache_secret`, kept
outside the cache): one who can write ``.kg-cache/`` but not read the secret cannot make kg
answer from a store of their own. The index is used only when its record is signed, was made
by this format of index and this version of Oxigraph, and
(:mod:`kg.runtime.checked`) the release's graph.nq and every file of the store are the files
it records: the same identity (device, inode, size, times), or, when that moved, the same
SHA-256. Anything else (no record, another release, a file added, removed, cut short or
changed) means a new index, made in a temporary folder beside it by a new process (``python -m
kg.stores.index``: a fork of this one could inherit Oxigraph's thread pools without their
threads, and this one never runs Oxigraph's storage threads before it forks a query), and
renamed into place, so that a reader never sees half of one. An error of the storage while it
is read (:func:`is_damage`) makes the caller drop the index and ask a new one
(:func:`discard`).

The index is an optimisation: where it cannot be made (no secret, a read-only project, a full
disk) the release is loaded in memory as before. Making it is not bounded by ``kg query``'s
``--timeout`` and ``--memory``, which bound the query.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.build.cache import cache_secret
from kg.errors import IndexDamaged
from kg.runtime import checked
from kg.runtime.processes import kg_environment, kg_module

__all__ = ["discard", "is_damage", "open_index", "release_index"]

#: The index's format; an index of another format is made again.
FORMAT = 2
_RECORD = "index.json"
_STORE = "store"
#: How long making the index may take (it is not a query: no --timeout of kg query's).
_MAKING_S = 24 * 3600.0


def release_index(nquads: Path, cache: Path) -> tuple[Path | None, str | None]:
    """The store of a sound index of ``nquads`` under ``cache``, made now if there is none or
    it is out of date or damaged (None when one cannot be made there: the caller loads the
    release in memory instead); and what was wrong with the index found, if it was damaged or
    forged rather than only out of date (for the user to hear of it)."""
    secret = cache_secret()
    if secret is None:
        return None, None
    folder = _folder(nquads, cache)
    wrong = _wrong(folder, nquads, secret)
    if wrong is None:
        return folder / _STORE, None
    try:  # a new process: a fork of this one could inherit a thread pool without its threads
        subprocess.run(
            kg_module("kg.stores.index", str(nquads), str(folder)),
            env=kg_environment(),
            check=True,
            timeout=_MAKING_S,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None, wrong or None
    _remove_orphans(folder.parent, keep=folder)
    made = folder / _STORE if _wrong(folder, nquads, secret) is None else None
    return made, wrong or None


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


def _mac(secret: bytes, record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "mac"}
    text = json.dumps(body, sort_keys=True).encode()
    return hmac.new(secret, text, hashlib.sha256).hexdigest()


def _wrong(folder: Path, nquads: Path, secret: bytes) -> str | None:
    """None when the index in ``folder`` is sound and of ``nquads`` as it is now; else why
    not: "" when it is only missing or of another release, else what is wrong with it."""
    try:
        record = json.loads((folder / _RECORD).read_bytes())
    except FileNotFoundError:
        return ""
    except (OSError, ValueError):
        return "its record cannot be read"
    real = Path(os.path.realpath(nquads))
    if not (
        isinstance(record, dict)
        and isinstance(record.get("mac"), str)
        and hmac.compare_digest(record["mac"], _mac(secret, record))
    ):
        # forged, or made under another secret (another user's, the test suite's): not ours,
        # and made again without a word, as an index of another release is
        return ""
    if record.get("format") != FORMAT or record.get("oxigraph") != ox.__version__:
        return ""
    release = checked.check(real.parent, record.get("release"), [real.name])
    if record.get("path") != str(real) or release is None:
        return ""  # another release, or this one rebuilt
    try:
        names = checked.store_files(folder / _STORE)
        store = checked.check(folder / _STORE, record.get("store"), names)
    except OSError:
        store = None
    if store is None:
        return "a file of its store is missing, added or changed"
    if (release, store) != (record["release"], record["store"]):  # the same bytes, moved
        record.update(release=release, store=store)
        record["mac"] = _mac(secret, record)
        checked.write_record(folder / _RECORD, record)
    return None


def _make(folder: Path, nquads: Path, secret: bytes) -> None:
    """Load ``nquads`` into a new store beside ``folder`` and put it in its place (in a process
    of its own: see the module). The file is opened once, so that the store and the record are
    of the same bytes even if a build replaces the release meanwhile."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    real = Path(os.path.realpath(nquads))
    try:
        with real.open("rb") as file:
            before = checked.record(real.parent, [real.name])
            store = ox.Store(str(work / _STORE))
            base = real.as_uri()  # as kg.sparql.query.load_store reads it
            store.bulk_load(input=file, format=ox.RdfFormat.N_QUADS, base_iri=base)
            store.flush()
            del store  # closed: its files are final
        if checked.record(real.parent, [real.name]) != before:
            return  # the release changed while it was read: no index this time
        record: dict[str, Any] = {
            "format": FORMAT,
            "oxigraph": ox.__version__,
            "path": str(real),
            "release": before,
            "store": checked.record(work / _STORE, checked.store_files(work / _STORE)),
        }
        record["mac"] = _mac(secret, record)
        checked.write_record(work / _RECORD, record)
        old = folder.parent / f".{folder.name}-old-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            folder.rename(old)  # readers that opened it keep their files open
        work.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _remove_orphans(parent: Path, keep: Path) -> None:
    """Indexes of releases that are gone (a project moved or renamed), and what makings that
    were killed left behind (over an hour old)."""
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            if entry == keep:
                continue
            if entry.name.startswith("."):
                with contextlib.suppress(OSError):
                    if time.time() - entry.stat().st_mtime > 3600:
                        shutil.rmtree(entry, ignore_errors=True)
                continue
            try:
                path = json.loads((entry / _RECORD).read_bytes()).get("path")
            except (OSError, ValueError, AttributeError):
                path = None
            if not isinstance(path, str) or not Path(path).exists():
                shutil.rmtree(entry, ignore_errors=True)


def main(argv: list[str]) -> int:
    """``python -m kg.stores.index NQUADS FOLDER``: make the index of NQUADS in FOLDER."""
    secret = cache_secret()
    if secret is None or len(argv) != 2:
        return 2
    _make(Path(argv[1]), Path(argv[0]), secret)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
