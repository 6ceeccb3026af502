"""``kg serve``'s first start of a release: what it serves the release from (its store, front
pages and pages' index: :func:`kg.web.app.make_served`) is made in a process of its own, while
the server already answers (:class:`kg.web.app.Preparing`: 503 and ``Retry-After``), so that
the server starts at once whatever the size of the release.

A process of its own, not a thread: it is stopped at once when the server stops (Ctrl-C,
SIGTERM, SIGHUP), its memory is returned when it ends, the server's threads never wait for
its Python code, and Oxigraph's loading threads never run in the process that starts the
query workers. It dies with ``kg serve`` even when ``kg serve`` is killed outright; what it
leaves behind then is removed as a killed server's is (:func:`kg.web.app.remove_orphans`,
:mod:`kg.web.kept`).

``python -P -m kg.web.preparing PARENT RELEASE TARGET pictures|no-pictures``, with the
release's description (its void.ttl's bytes) on standard input: writes TARGET; a failure is
one line on standard error and exit code 2 (an error of the release or of the machine) or 3
(a bug). It dies with the process PARENT (``kg serve``).
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, cast

from kg.errors import KGError
from kg.runtime.processes import die_with_parent, how_it_ended, kg_environment, kg_module
from kg.sparql.endpoint import EndpointError

if TYPE_CHECKING:
    from kg.formats.listing import Copied
    from kg.web.downloads import Vouched
    from kg.web.site import Vouching

__all__ = ["Preparation", "main"]

#: Exit codes of the preparing process.
_FAILED, _BUG = 2, 3


class Preparation:
    """The making of what ``kg serve`` serves a release from, in a process of its own, that
    :meth:`stop` ends at once (a :class:`kg.web.app.Making`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self.stopped = False

    def make(self, folder: Path, target: Path, description: bytes, pictures: bool) -> None:
        """Make what :func:`kg.web.app.make_served` makes, in a new process; wait for it.

        :raises EndpointError: it failed (what it said), or was stopped
        :raises RuntimeError: it failed by a bug (what it said)
        """
        command = kg_module(
            "kg.web.preparing",
            str(os.getpid()),
            str(folder),
            str(target),
            "pictures" if pictures else "no-pictures",
        )
        with self._lock:
            if self.stopped:
                raise EndpointError("kg serve stopped before the release was prepared")
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=kg_environment(),
            )
            self._process = process
        _, err = process.communicate(description)
        with self._lock:
            self._process = None
            if self.stopped:
                raise EndpointError("kg serve stopped before the release was prepared")
        if process.returncode == 0:
            return
        said = err.decode("utf-8", errors="replace").strip()
        code = process.returncode
        if code in (_FAILED, _BUG) and said:  # its own one line (kg's messages may be longer)
            if code == _BUG:
                raise RuntimeError(said)
            raise EndpointError(said)
        if code < 0:
            raise EndpointError(f"the process preparing the release {how_it_ended(code)}")
        last = said.splitlines()[-1] if said else f"it ended with code {code}"
        raise EndpointError(f"the process preparing the release failed: {last}")

    def check(self) -> None:
        """Raise when the making is stopped (called while another process makes the copy).

        :raises EndpointError: it is stopped
        """
        if self.stopped:
            raise EndpointError("kg serve stopped before the release was prepared")

    def stop(self) -> None:
        """Stop the making (its process killed), now and for good."""
        with self._lock:
            self.stopped = True
            if self._process is not None:
                self._process.kill()


def main(argv: list[str] | None = None) -> int:
    """Make TARGET for the release RELEASE for the process PARENT (see the module's
    documentation), and die with PARENT."""
    parent, folder, target, pictures = argv if argv is not None else sys.argv[1:]
    # here, not in a preexec_fn: the forking process has many threads
    die_with_parent(int(parent))
    description = sys.stdin.buffer.read()
    try:
        from kg.web.app import make_served

        made = Path(folder), Path(target), description, pictures == "pictures"
        make_served(*made, vouching=partial(_vouched_apart, Path(folder)))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole group: kg serve says what happens
        return _FAILED
    except Exception as error:  # one line, which kg serve reports as one
        code, said = error.args if isinstance(error, _Failed) else _said(error)
        print(said, file=sys.stderr)
        return int(code)
    return 0


class _Failed(Exception):
    """The second process failed: its exit code and its one line (:func:`_said`)."""


def _said(error: Exception) -> tuple[int, str]:
    """The exit code and the one line of a failure: an error of kg's or of the machine
    (:data:`_FAILED`), or a bug (:data:`_BUG`)."""
    if isinstance(error, KGError):
        return _FAILED, str(error)
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        return _FAILED, f"{error.filename}: {reason}" if error.filename else reason
    return _BUG, f"{type(error).__name__}: {error}"


def _vouched_apart(release: Path, checked: Copied) -> Vouching:
    """Start checking the claims' nanopublication files of ``release`` against its checked
    copies (:func:`kg.web.downloads.vouched_nanopubs`) in a second process, on a second
    core, while this one loads the release; give what waits for its result.

    The second process dies with this one (a daemon: stopped at its exit, and killed with it
    by PR_SET_PDEATHSIG). What asks for the result raises :class:`_Failed` with the check's own
    line and exit code when it failed, or when it ended without an answer. Where no process
    can be started (the current folder removed: spawning reads it), the check is made here,
    when it is asked for, as without a second process.
    """
    from kg.web.downloads import vouched_nanopubs

    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, not a fork of this one
    receive, send = spawn.Pipe(duplex=False)
    collection = checked.get("nanopubs.trig")
    job = (send, os.getpid(), release, collection, checked.folder)
    process = spawn.Process(target=_vouch, args=job, daemon=True)
    try:
        process.start()
    except OSError:
        receive.close()
        send.close()
        return partial(vouched_nanopubs, release, collection, checked.folder)
    send.close()

    def result() -> dict[str, Vouched]:
        try:
            found = receive.recv()
        except (EOFError, OSError):  # killed before it answered, or while it did
            process.join()
            how = how_it_ended(process.exitcode or 0)
            raise _Failed(
                _FAILED,
                f"the process checking the nanopublication files {how} before it answered",
            ) from None
        finally:
            receive.close()
        process.join()
        if isinstance(found, tuple):  # (exit code, its one line): it failed
            raise _Failed(*found)
        return cast("dict[str, Vouched]", found)

    return result


def _vouch(
    send: Connection, parent: int, release: Path, collection: Path | None, into: Path
) -> None:
    """:func:`kg.web.downloads.vouched_nanopubs`, in the second process: its result, or how
    it failed (:func:`_said`: an error does not cross processes as itself, and a traceback
    printed here would land in the error line of kg serve)."""
    die_with_parent(parent)
    try:
        from kg.web.downloads import vouched_nanopubs

        send.send(vouched_nanopubs(release, collection, into))
    except Exception as error:
        send.send(_said(error))
    finally:
        send.close()


if __name__ == "__main__":
    sys.exit(main())
