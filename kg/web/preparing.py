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
import signal
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kg.errors import KGError
from kg.runtime.processes import die_with_parent
from kg.sparql.endpoint import EndpointError

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
        command = [
            sys.executable,
            "-P",  # not the current folder first on the path: a kg.py there is not kg
            "-m",
            "kg.web.preparing",
            str(os.getpid()),
            str(folder),
            str(target),
            "pictures" if pictures else "no-pictures",
        ]
        with self._lock:
            if self.stopped:
                raise EndpointError("kg serve stopped before the release was prepared")
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
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
            name = signal.Signals(-code).name
            why = " (out of memory?)" if -code == signal.SIGKILL else ""
            raise EndpointError(f"the process preparing the release was killed by {name}{why}")
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

        # the nanopublication files are checked in a second process meanwhile (a second
        # core), which dies with this one too
        spawn = multiprocessing.get_context("spawn")  # not a fork of Oxigraph's threads
        with ProcessPoolExecutor(1, spawn, die_with_parent, (os.getpid(),)) as apart:
            make_served(
                Path(folder), Path(target), description, pictures == "pictures", apart=apart
            )
    except KeyboardInterrupt:  # Ctrl-C reaches the whole group: kg serve says what happens
        return _FAILED
    except KGError as error:
        print(error, file=sys.stderr)
        return _FAILED
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        print(f"{error.filename}: {reason}" if error.filename else reason, file=sys.stderr)
        return _FAILED
    except Exception as error:  # a bug: one line, which kg serve reports as one
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return _BUG
    return 0


if __name__ == "__main__":
    sys.exit(main())
