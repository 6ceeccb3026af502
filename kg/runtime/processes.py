"""Child processes kg starts: bounded work (a wall-time and a memory limit, stopped at once by
Ctrl-C), and children that die with kg even when kg is killed with SIGKILL.

Oxigraph cannot cancel a running query, and a thread cannot be stopped: the only way to bound a
query for real is to run it in a process of its own and kill that process.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from kg.errors import IndexDamaged, KGError, QueryError, TruncatedResults

__all__ = [
    "FEWER_COLLECTIONS",
    "collecting_less",
    "die_with_parent",
    "how_it_ended",
    "kg_environment",
    "kg_module",
    "limit_memory",
    "run_bounded",
]

_PR_SET_PDEATHSIG = 1
#: Errors a child reports that keep their kind in the parent (their exit code differs).
_KINDS: dict[str, type[KGError]] = {
    "TruncatedResults": TruncatedResults,
    "IndexDamaged": IndexDamaged,
}


def kg_module(module: str, *args: str) -> list[str]:
    """The command that runs kg's ``module`` (``python -m``) in a new interpreter, this one's,
    with ``-P``: the current folder is not put first on its path (a kg.py there is not kg).
    Run it with :func:`kg_environment`."""
    return [sys.executable, "-P", "-m", module, *args]


def kg_environment(**extra: str) -> dict[str, str]:
    """This process's environment (and ``extra``) for a child that runs kg: the folder this
    kg is imported from first on PYTHONPATH, so that the child runs this kg, not another one
    installed (a checkout run as ``python -m kg``, beside an older kg installed). Not when
    that folder is one of the interpreter's site-packages, which the child reads anyway: there
    on PYTHONPATH, its packages would come before the standard library's modules."""
    import site
    import sysconfig

    root = os.path.realpath(Path(__file__).resolve().parents[2])
    paths = sysconfig.get_paths()
    sites = {*site.getsitepackages(), site.getusersitepackages(), paths["purelib"]}
    if root in {os.path.realpath(folder) for folder in (*sites, paths["platlib"])}:
        return {**os.environ, **extra}
    found = [root, *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(found), **extra}


def how_it_ended(code: int) -> str:
    """How a child process that failed ended, from its exit code (negative: the signal that
    killed it; SIGKILL is most often the kernel's, out of memory).

    >>> how_it_ended(-9), how_it_ended(-40), how_it_ended(3)
    ('was killed by SIGKILL (out of memory?)', 'was killed by signal 40', 'ended with code 3')
    """
    if code >= 0:
        return f"ended with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:  # a real-time signal: no name
        name = f"signal {-code}"
    return f"was killed by {name}" + (" (out of memory?)" if -code == signal.SIGKILL else "")


#: The cyclic garbage collector's thresholds in a build's own process while it runs (Python's
#: are 700, 10, 10). The build makes millions of small objects (lines, rows, the tuples handed
#: to its sorters) that reference counting frees; each full collection walks every object
#: alive. At 10,001 sources an edit's process made 39 full collections, 9.4 to 11.7 s of its 78
#: to 94 s; with these, 4 to 8, 3.0 to 4.0 s. Cycles are still collected, less often. Not in
#: the workers: with these thresholds there too, a cold build of 1,001 sources peaked at 657 MB
#: over all processes, against 617 MB with them in the build's process alone (which cycles
#: the workers keep longer was not looked into).
FEWER_COLLECTIONS = (50_000, 20, 20)


@contextlib.contextmanager
def collecting_less() -> Iterator[None]:
    """Python's cyclic garbage collector run less often (:data:`FEWER_COLLECTIONS`) while the
    block runs; its thresholds are given back after."""
    before = gc.get_threshold()
    gc.set_threshold(*FEWER_COLLECTIONS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def die_with_parent(parent: int | None = None) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (``PR_SET_PDEATHSIG``), and die
    now if the parent is already gone. For ``preexec_fn`` or a forked child; a no-op elsewhere.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def run_bounded(
    work: Callable[[], bytes],
    *,
    timeout: float,
    memory_mb: int | None,
    what: str = "the query",
    quiet: bool = True,
    before: Callable[[], object] | None = None,
) -> bytes:
    """Run ``work`` in a forked child limited to ``timeout`` seconds of wall time and
    ``memory_mb`` more megabytes of memory; return the bytes it returns. ``before`` runs in
    the child before its memory is limited (opening a store on disk, whose storage reserves
    address space for threads and caches it does not fill: under the limit, that reservation
    alone could abort it).

    The child is killed at the limit, or at once on Ctrl-C (KeyboardInterrupt is re-raised),
    and dies with this process. ``quiet`` silences the child's standard error (Oxigraph prints
    an allocation failure there before aborting). Without ``os.fork`` the work runs here,
    unbounded.

    :raises QueryError: the work failed, ran out of time or of memory
    """
    if not hasattr(os, "fork"):
        if before is not None:
            before()
        return work()
    parent = os.getpid()
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(work, write_end, parent, memory_mb, quiet, before)
    os.close(write_end)
    try:
        data = _read_all(read_end, time.monotonic() + timeout)
    except BaseException:
        _kill(pid)
        raise
    finally:
        os.close(read_end)
    if data is None:
        _kill(pid)
        raise QueryError(f"{what} took longer than {timeout:g} s and was stopped (--timeout)")
    _, status = os.waitpid(pid, 0)
    if not data:  # the child died without a word: out of memory, or killed
        if memory_mb is not None:
            raise QueryError(
                f"{what} needed more than {memory_mb} MB of memory and was stopped (--memory)"
            )
        raise QueryError(f"{what} failed (its process ended with status {status})")
    outcome = pickle.loads(data)  # from our own child, through our own pipe
    if outcome[0] == "ok":
        return bytes(outcome[1])
    kind = _KINDS.get(outcome[1], QueryError)
    raise kind(outcome[2])


def _child(
    work: Callable[[], bytes],
    pipe: int,
    parent: int,
    memory_mb: int | None,
    quiet: bool,
    before: Callable[[], object] | None,
) -> None:
    status = 0
    try:
        die_with_parent(parent)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if quiet:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
        outcome: tuple[object, ...]
        try:
            if before is not None:
                before()
            if memory_mb is not None:
                limit_memory(memory_mb)
            outcome = ("ok", work())
        except KGError as error:
            outcome = ("error", type(error).__name__, str(error))
        except MemoryError:
            raise
        except Exception as error:  # reported to the parent as one line; traceback if not quiet
            if not quiet:
                import traceback

                traceback.print_exc()
            outcome = ("error", type(error).__name__, _what_failed(error))
        with os.fdopen(pipe, "wb") as out:
            out.write(pickle.dumps(outcome))
    except BaseException:  # MemoryError, or the pipe closed: the parent reports it
        status = 1
    finally:
        os._exit(status)


def _what_failed(error: BaseException) -> str:
    """One line for an unexpected error of the engine (such as a SERVICE it cannot reach)."""
    return f"the query failed: {type(error).__name__}: {error}"


def limit_memory(memory_mb: int) -> None:
    """Let this process map at most ``memory_mb`` more megabytes than it has now (RLIMIT_AS):
    past that, an allocation fails (Python's MemoryError, or Oxigraph aborts)."""
    import resource

    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        used = 0
    limit = used + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything until end of file, or None at the deadline."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
