"""What a folder holds, for tests that compare a release or a site before and after."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["changed_in_place", "describe_anew", "files_of", "fingerprint"]


def changed_in_place(path: Path, data: bytes | None = None) -> None:
    """Write ``data`` (default: the file with its last byte but one flipped) into ``path``,
    with its mtime put back: only its ctime tells it changed."""
    status = path.stat()
    if data is None:
        flipped = bytearray(path.read_bytes())
        flipped[-2] ^= 1
        data = bytes(flipped)
    path.write_bytes(data)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path -> bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (relative path -> SHA-256)."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in files_of(folder).items()}


def describe_anew(release: Path, name: str) -> None:
    """Write into the release's void.ttl the size and SHA-256 its file ``name`` has now, as
    whoever changed the file could (the description is no signature)."""
    import pyoxigraph as ox

    dcat, spdx = "http://www.w3.org/ns/dcat#", "http://spdx.org/rdf/terms#"
    void = release / "void.ttl"
    data = (release / name).read_bytes()
    store = ox.Store()
    store.load(path=str(void), format=ox.RdfFormat.TURTLE)
    (row,) = store.query(  # type: ignore[misc]
        f"SELECT ?file ?size ?checksum ?sum WHERE {{ ?file <{dcat}downloadURL> ?url ; "
        f"<{dcat}byteSize> ?size ; <{spdx}checksum> ?checksum . "
        f"?checksum <{spdx}checksumValue> ?sum . FILTER(STRENDS(STR(?url), '/{name}')) }}"
    )
    file, size, checksum, old = row
    store.remove(ox.Quad(file, ox.NamedNode(dcat + "byteSize"), size, ox.DefaultGraph()))
    store.remove(ox.Quad(checksum, ox.NamedNode(spdx + "checksumValue"), old, ox.DefaultGraph()))
    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    store.add(
        ox.Quad(file, ox.NamedNode(dcat + "byteSize"), ox.Literal(str(len(data)), datatype=integer))
    )
    store.add(
        ox.Quad(
            checksum,
            ox.NamedNode(spdx + "checksumValue"),
            ox.Literal(hashlib.sha256(data).hexdigest()),
        )
    )
    void.write_bytes(store.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph()))


def built_corpus(project: Path, sources: int, seed: int) -> Path:
    """A project of ``sources`` synthetic sources (bench/corpus.py) in ``project``, built; its
    release folder."""
    import sys

    from click.testing import CliRunner

    from kg.cli import main

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from corpus import write_corpus

    write_corpus(project, sources, seed=seed)
    result = CliRunner().invoke(main, ["--project", str(project), "build", "--jobs", "1"])
    assert result.exit_code == 0, result.stderr
    return project / "dist"
