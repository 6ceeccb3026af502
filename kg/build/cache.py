"""The build cache: what a unit of work gave, kept under the hash of everything it depends on
(a source's files, the shared inputs, the shapes' text, and the program: kg's own source files
and the versions of the libraries it builds and validates with), so that an unchanged source is
not read, built or validated again.

An entry is a file whose first line (JSON) repeats its key and carries an HMAC-SHA-256 of its
key and content under a secret kept outside the cache folder (:func:`cache_secret`); the
content follows, as JSON, or for the sources' units (read back by every edit, 260 KB each) in
Python's marshal format, which reads them three to four times faster. Content is parsed only
once its HMAC is right, so marshal only ever reads bytes this cache wrote; the Python
version and marshal's version are in the header, and an entry of another is not read. An
entry that is
corrupted, truncated, written for another key, or forged by someone who can write the cache
folder but not read the secret (who edits a verdict and recomputes a plain checksum) is
detected, ignored and written again, never trusted. The release does not depend on what the
cache holds: a verdict is a pure function of the key.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import marshal
import os
import sys
import tempfile
import threading
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any, cast

from kg.build.program import program_hash
from kg.rdf.origins import Where
from kg.validation.report import ReportRow

__all__ = [
    "CODECS",
    "SECRET_ENV",
    "EntryCache",
    "Verdict",
    "cache_secret",
    "program_hash",
    "verdict_content",
    "verdict_of",
]

Verdict = tuple[bool, tuple[ReportRow, ...]]


#: The environment variable naming the file of the cache's secret (default: kg/cache.key in
#: $XDG_STATE_HOME, or ~/.local/state).
SECRET_ENV = "KG_CACHE_SECRET"


def cache_secret() -> bytes | None:
    """The secret that signs the cache's entries: 32 random bytes in a file of this user's own
    (mode 0600, made on first use, never followed through a symlink), outside any cache folder;
    None when it cannot be read or made (then nothing is cached: a cache that cannot be trusted
    is not used)."""
    named = os.environ.get(SECRET_ENV)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    path = Path(named) if named else Path(state) / "kg" / "cache.key"
    return _secret_at(str(path))


@cache
def _secret_at(path: str) -> bytes | None:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        try:  # whole or not at all: written beside it, then linked into place (a process
            # that made it first wins, and no process ever reads it half written)
            folder = Path(path).parent
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".cache.key-") as handle:
                handle.write(os.urandom(32))
                handle.flush()
                with contextlib.suppress(FileExistsError):
                    os.link(handle.name, path)
            fd = os.open(path, flags)
        except OSError:  # the folder is read-only
            return None
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        secret = handle.read(64)
    return secret if len(secret) >= 32 else None


#: How an entry's content may be written: JSON, or marshal (of this Python and format).
CODECS = ("json", "marshal")
_MARSHAL = f"marshal {marshal.version} python {sys.version_info[0]}.{sys.version_info[1]}"


class EntryCache:
    """Entries of one ``kind`` under their keys, in a folder (``None``: nothing is kept). An
    entry is a header line (its key and the HMAC of its key and content, as JSON) and the
    content, as JSON or (``codec="marshal"``) in marshal's format; one whose header does not
    match is not trusted."""

    def __init__(self, folder: Path | None, kind: str, *, codec: str = "json") -> None:
        if codec not in CODECS:
            raise ValueError(f"{codec!r}: not one of {CODECS}")
        self.folder, self.kind, self.codec = folder, kind, codec
        self.hits = 0
        self._counting = threading.Lock()  # entries may be read on several threads

    def get(self, key: str) -> Any:
        """The content kept under ``key``, or None (absent, or not to be trusted)."""
        secret = cache_secret()
        if self.folder is None or secret is None:
            return None
        try:
            header, text = self._path(key).read_bytes().split(b"\n", 1)
            entry = json.loads(header)
            if entry["key"] != key or not hmac.compare_digest(
                str(entry["mac"]), _mac(secret, self._signed(key), text)
            ):
                return None
            if self.codec == "json":
                content = json.loads(text)
            elif entry.get("codec") == _MARSHAL:  # bytes this cache wrote (the HMAC says so)
                content = marshal.loads(text)
            else:
                return None
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            return None
        with self._counting:
            self.hits += 1
        return content

    def put(self, key: str, content: object) -> None:
        """Keep ``content`` (written atomically; a cache that cannot be written is skipped)."""
        secret = cache_secret()
        if self.folder is None or secret is None:
            return
        entry = {"key": key}
        if self.codec == "json":
            text = json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
        else:
            text = marshal.dumps(cast(Any, content))
            entry["codec"] = _MARSHAL
        header = json.dumps({**entry, "mac": _mac(secret, self._signed(key), text)})
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as handle:
                handle.write(header.encode("ascii") + b"\n" + text)
            os.replace(handle.name, path)
        except OSError:
            pass  # a cache is an optimisation: a read-only one must not fail the build

    def _signed(self, key: str) -> str:
        """What the HMAC signs besides the content: the key, and for marshal its format, so
        that no JSON entry (its MAC right for its bytes) is ever read as marshal's, and no
        entry of another Python's."""
        return key if self.codec == "json" else f"{key}\0{_MARSHAL}"

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / self.kind / key[:2] / f"{key}.{self.codec}"


def _mac(secret: bytes, key: str, text: bytes) -> str:
    """The HMAC-SHA-256 of an entry's key and content under the cache's secret."""
    return hmac.new(secret, key.encode("utf-8") + b"\0" + text, hashlib.sha256).hexdigest()


def verdict_content(verdict: Verdict) -> dict[str, Any]:
    """A verdict as JSON."""
    return {"conforms": verdict[0], "rows": [_row_content(row) for row in verdict[1]]}


def verdict_of(content: Any) -> Verdict:
    """A verdict read back from JSON.

    :raises ValueError, KeyError, TypeError: not a verdict
    """
    conforms = content["conforms"]
    if not isinstance(conforms, bool):
        raise ValueError("not a verdict")
    return conforms, tuple(_row_of(row) for row in content["rows"])


def _row_content(row: ReportRow) -> dict[str, Any]:
    content: dict[str, Any] = {name: getattr(row, name) for name in _ROW_FIELDS}
    where = row.where
    if where is not None:
        content["where"] = [where.file, where.line, where.record, where.field, where.word]
    return content


def _row_of(content: Any) -> ReportRow:
    if not isinstance(content, dict):
        raise TypeError("not a row of a verdict")
    where = content.get("where")
    text = {name: str(content[name]) for name in _ROW_FIELDS}
    return ReportRow(
        severity=text["severity"],
        shape=text["shape"],
        focus=text["focus"],
        path=text["path"],
        message=text["message"],
        value=text["value"],
        component=text["component"],
        problem=text["problem"],
        allowed=text["allowed"],
        where=None if where is None else _where_of(where),
    )


def _where_of(content: Any) -> Where:
    file, line, record, field, word = content
    if line is not None and not isinstance(line, int):
        raise TypeError("not a line number")
    return Where(str(file), line, str(record), str(field), str(word))


#: A row's fields besides where it was curated, in their order.
_ROW_FIELDS = tuple(f.name for f in fields(ReportRow) if f.name != "where")
