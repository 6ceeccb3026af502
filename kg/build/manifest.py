"""The no-op build: a manifest, kept beside the release, of what the last build read and wrote,
so that ``kg build`` does nothing when nothing changed.

After a release is written, :func:`record_build` keeps a JSON file beside it (``.dist-built.json``
next to ``dist/``: never in the release, which stays byte for byte a fresh build's) holding a
fingerprint of the build (:func:`take_fingerprint`: every file the build reads, the options that
change the release, and the program) and the size and SHA-256 of every release file.
:func:`is_up_to_date` trusts it only when the fingerprint is the same and the release folder
holds exactly those files with exactly those bytes; a manifest that is missing, damaged (not
JSON, another shape) or describes other files means a build, never a skipped one.

The release's files are compared by their content's SHA-256, not by size and mtime: an mtime is
kept by ``cp -p``, ``rsync -t`` or an editor that restores it, and set by ``touch -d``, so it
does not prove the bytes are the build's. Reading the release back costs about as much as
reading the inputs (see bench/noop-results.md).

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
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kg.build.program import program_hash
from kg.errors import OutputError
from kg.runtime.publish import write_file

__all__ = [
    "Fingerprint",
    "is_up_to_date",
    "manifest_path",
    "record_build",
    "take_fingerprint",
]

#: The manifest's format; a manifest of another format is not trusted.
FORMAT = 1
#: The project's folders the build reads every file of (sources/: its listed folders, and the
#: unlisted ones it looks for).
_FOLDERS = ("catalogue", "ontology", "shapes", "sources")


@dataclass(frozen=True)
class Fingerprint:
    """What decides a release: a digest of the build's inputs, options and program, and how
    many input files it covers."""

    digest: str
    inputs: int


def take_fingerprint(
    root: Path, target: Path, *, sign_key: Path | None = None
) -> Fingerprint | None:
    """The fingerprint of a build of the project at ``root`` into ``target``: every file the
    build reads (dataset.yaml; every file under catalogue/, ontology/, shapes/ and sources/,
    and under each source folder dataset.yaml lists elsewhere), the options that change the
    release (the real ``target``, the signing key's bytes, ``SOURCE_DATE_EPOCH``) and the
    program (:func:`~kg.build.program.program_hash`, the Python version). None when it cannot
    be told (an input cannot be read, a folder is a symlink): then the build runs and says what
    is wrong.
    """
    try:
        names = sorted(_input_files(root))
        digest = hashlib.sha256()
        for name in names:
            digest.update(f"{name}\0{_file_sha256(root / name)}\n".encode())
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
    return Fingerprint(digest.hexdigest(), len(names))


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
    -> size and SHA-256; written atomically; a manifest that cannot be written is skipped:
    the next build then runs)."""
    manifest = {
        "format": FORMAT,
        "fingerprint": fingerprint.digest,
        "inputs": fingerprint.inputs,
        "files": {name: [size, sha256] for name, (size, sha256) in sorted(files.items())},
    }
    # an optimisation: a folder that refuses it must not fail the build
    with contextlib.suppress(OutputError):
        write_file(manifest_path(target), json.dumps(manifest, indent=1).encode("utf-8"))


def is_up_to_date(target: Path, fingerprint: Fingerprint) -> bool:
    """Whether the manifest beside ``target`` is sound, was written for ``fingerprint``, and
    the folder holds exactly its files, each of its size and SHA-256."""
    try:
        manifest = json.loads(manifest_path(target).read_bytes())
    except (OSError, ValueError):
        return False
    files = _recorded(manifest, fingerprint)
    if files is None:
        return False
    large = {name for name, (size, _) in files.items() if size >= _LARGE}
    stop = threading.Event()  # a file differs (or the check is left): the rest is not needed

    def hold(names: Iterable[str]) -> bool:
        try:
            for name in names:
                if stop.is_set() or not _holds(target / name, *files[name], stop=stop):
                    stop.set()
                    return False
            return True
        except (OSError, ValueError):
            stop.set()
            return False

    # the large files (graph.nt, graph.nq...) hashed on a thread, which hashlib lets run
    # on a core of its own, while this one lists the folder and hashes the many small files
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashed = pool.submit(hold, sorted(large))
        try:
            try:
                listed = set(_release_files(Path(os.path.realpath(target))))
            except (OSError, ValueError):
                listed = None
            if listed != set(files) or not hold(sorted(set(files) - large)):
                return False
            return hashed.result()
        finally:  # also on Ctrl-C: the thread stops within a block, not after every file
            stop.set()


#: Files of at least this many bytes are hashed on a thread of their own (:func:`is_up_to_date`).
_LARGE = 1 << 20


def _recorded(manifest: Any, fingerprint: Fingerprint) -> dict[str, tuple[int, str]] | None:
    """The release files a manifest of ``fingerprint`` records, or None (another shape, format
    or fingerprint)."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return None
    if manifest.get("fingerprint") != fingerprint.digest:
        return None
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return None
    found = {}
    for name, entry in files.items():
        if not (
            isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], int)
            and isinstance(entry[1], str)
        ):
            return None
        found[name] = (entry[0], entry[1])
    return found


def _release_files(folder: Path) -> Iterator[str]:
    """The files in ``folder``, as release names (``nanopubs/a.trig``), and each empty
    folder in it as its name and a slash (no build writes one, so no manifest names one).

    :raises ValueError: it holds something other than regular files and folders
    """
    for parent, folders, files in os.walk(folder, onerror=_raise):
        base = Path(parent)
        for name in [*folders, *files]:
            mode = (base / name).lstat().st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise ValueError(f"{base / name}: not a file")
        for name in files:
            yield (base / name).relative_to(folder).as_posix()
        if not folders and not files:
            yield base.relative_to(folder).as_posix() + "/"


def _input_files(root: Path) -> Iterator[str]:
    """The names (relative to ``root``) of every file a build of ``root`` may read.

    :raises OSError: one cannot be read
    :raises ValueError: a folder is a symlink, or dataset.yaml does not say its sources
    """
    yield "dataset.yaml"
    listed = _listed_folders((root / "dataset.yaml").read_bytes())
    seen: set[str] = set()
    for folder in sorted({*_FOLDERS, *listed}):
        if (root / folder).is_symlink():
            raise ValueError(f"{folder}: a symlink")
        if not (root / folder).is_dir() or any(folder.startswith(f"{s}/") for s in _FOLDERS):
            continue  # missing (the build says so), or inside a folder read whole
        for parent, folders, files in os.walk(root / folder, onerror=_raise):
            for name in folders:
                if (Path(parent) / name).is_symlink():
                    raise ValueError(f"{parent}/{name}: a symlink")
            for name in files:
                relative = (Path(parent) / name).relative_to(root).as_posix()
                if relative not in seen:
                    seen.add(relative)
                    yield relative


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


def _file_sha256(path: Path, stop: threading.Event | None = None) -> str:
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
