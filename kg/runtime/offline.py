"""Offline by default: an audit hook (PEP 578) that refuses network access while kg works.

rdflib fetches remote JSON-LD contexts, ``SERVICE`` endpoints and ``owl:imports`` if asked to;
this hook makes sure nothing in a build, a validation or a query does so by accident.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kg.errors import KGError

__all__ = ["NetworkRefused", "offline"]

_EVENTS = frozenset(
    {"urllib.Request", "socket.connect", "socket.getaddrinfo", "http.client.connect"}
)
_state: dict[str, Any] = {"installed": False, "depth": 0, "allowed": frozenset()}


class NetworkRefused(KGError, PermissionError):
    """Raised when code tries to reach the network while kg is offline."""


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _state["depth"] and event in _EVENTS and not _allowed(event, args):
        raise NetworkRefused(
            f"network access refused while kg works offline ({event} {args!r:.80})"
        )


def _allowed(event: str, args: tuple[Any, ...]) -> bool:
    """A connection to a host the user named (a Dask scheduler) is allowed, and a Unix socket
    (the local worker processes'); nothing else."""
    if event == "socket.connect" and args and getattr(args[0], "family", None) == socket.AF_UNIX:
        return True
    if not _state["allowed"]:
        return False
    if event == "socket.connect" and len(args) > 1 and isinstance(args[1], tuple):
        return str(args[1][0]) in _state["allowed"]
    if event == "socket.getaddrinfo" and args:
        return str(args[0]) in _state["allowed"]
    return False


@contextmanager
def offline(*, allow: frozenset[str] = frozenset()) -> Iterator[None]:
    """Refuse network access inside this block, except connections to the hosts of ``allow``
    (addresses the user gave, such as a Dask scheduler's).

    >>> import urllib.request
    >>> with offline():
    ...     urllib.request.urlopen("http://example.org/")
    Traceback (most recent call last):
    ...
    kg.runtime.offline.NetworkRefused: network access refused while kg works offline ...
    """
    if not _state["installed"]:
        sys.addaudithook(_hook)
        _state["installed"] = True
    _state["depth"] += 1
    previous, _state["allowed"] = _state["allowed"], _state["allowed"] | allow
    try:
        yield
    finally:
        _state["depth"] -= 1
        _state["allowed"] = previous
