"""The validation cache: the verdict on a unit, kept under the hash of everything it depends on
(the unit's N-Triples, the shapes' text, and the program: kg's own source files and the version
of pySHACL), so that an unchanged source is not validated again.

An entry is a small JSON file that repeats its key and carries the checksum of its content: an
entry that is corrupted, truncated, or written for another key is detected, ignored and written
again, never trusted. The release does not depend on what the cache holds: a verdict is a pure
function of the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from importlib.metadata import version
from pathlib import Path

from kg.validation import ReportRow

__all__ = ["Verdict", "VerdictCache", "program_hash"]

Verdict = tuple[bool, tuple[ReportRow, ...]]


@cache
def program_hash() -> str:
    """A hash of what decides a verdict besides its inputs: kg's source files and pySHACL."""
    digest = hashlib.sha256(f"pyshacl {version('pyshacl')}\n".encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.relative_to(Path(__file__).parent).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class VerdictCache:
    """Verdicts on validation units, in a folder (``None``: nothing is kept)."""

    def __init__(self, folder: Path | None, shapes: Iterable[tuple[str, bytes]]) -> None:
        self.folder = folder
        digest = hashlib.sha256(program_hash().encode())
        for name, data in shapes:
            digest.update(name.encode() + b"\0" + data)
        self._context = digest.hexdigest()
        self.hits = 0

    def key(self, unit: bytes) -> str:
        return hashlib.sha256(self._context.encode() + unit).hexdigest()

    def get(self, unit: bytes) -> Verdict | None:
        """The cached verdict on ``unit``, or None (absent, or not to be trusted)."""
        if self.folder is None:
            return None
        key = self.key(unit)
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            content = entry["content"]
            if entry["key"] != key or entry["checksum"] != _checksum(content):
                return None
            rows = tuple(ReportRow(*row) for row in content["rows"])
            verdict = (bool(content["conforms"]), rows)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self.hits += 1
        return verdict

    def put(self, unit: bytes, verdict: Verdict) -> None:
        """Keep a verdict (written atomically; a cache that cannot be written is skipped)."""
        if self.folder is None:
            return
        key = self.key(unit)
        content = {"conforms": verdict[0], "rows": [list(_fields(row)) for row in verdict[1]]}
        entry = {"key": key, "checksum": _checksum(content), "content": content}
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=path.parent, delete=False, encoding="utf-8"
            ) as handle:
                json.dump(entry, handle, sort_keys=True)
            os.replace(handle.name, path)
        except OSError:
            pass  # a cache is an optimisation: a read-only one must not fail the build

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / "verdicts" / key[:2] / f"{key}.json"


def _fields(row: ReportRow) -> tuple[str, ...]:
    return (row.severity, row.shape, row.focus, row.path, row.message)


def _checksum(content: object) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()
