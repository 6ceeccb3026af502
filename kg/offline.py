"""Offline by default: an audit hook (PEP 578) that refuses network access while kg works.

rdflib fetches remote JSON-LD contexts, ``SERVICE`` endpoints and ``owl:imports`` if asked to;
this hook makes sure nothing in a build, a validation or a query does so by accident.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kg.errors import KGError

__all__ = ["NetworkRefused", "offline"]

_EVENTS = frozenset(
    {"urllib.Request", "socket.connect", "socket.getaddrinfo", "http.client.connect"}
)
_state = {"installed": False, "depth": 0}


class NetworkRefused(KGError, PermissionError):
    """Raised when code tries to reach the network while kg is offline."""


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _state["depth"] and event in _EVENTS:
        raise NetworkRefused(
            f"network access refused while kg works offline ({event} {args!r:.80})"
        )


@contextmanager
def offline() -> Iterator[None]:
    """Refuse network access inside this block.

    >>> import urllib.request
    >>> with offline():
    ...     urllib.request.urlopen("http://example.org/")
    Traceback (most recent call last):
    ...
    kg.offline.NetworkRefused: network access refused while kg works offline ...
    """
    if not _state["installed"]:
        sys.addaudithook(_hook)
        _state["installed"] = True
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
