"""The program a build runs: a hash of kg's own source files and of the versions of the
libraries that build, write and validate the graphs. What a build gave depends on it as much as
on its inputs (the cache's entries and the no-op build's manifest are kept under it).

Kept apart from :mod:`kg.build.cache` so that it imports nothing heavy: ``kg build`` checks it
before it loads rdflib.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import version
from pathlib import Path

__all__ = ["program_hash"]


@cache
def program_hash() -> str:
    """A hash of what decides an entry besides its inputs: kg's source files and the versions
    of the libraries that build, write and validate the graphs."""
    libraries = ("pyshacl", "pyrudof", "rdflib", "pyoxigraph")
    digest = hashlib.sha256("".join(f"{name} {version(name)}\n" for name in libraries).encode())
    package = Path(__file__).parents[1]  # all of kg, not only this stage
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
