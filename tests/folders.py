"""What a folder holds, for tests that compare a release or a site before and after."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["files_of", "fingerprint"]


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
