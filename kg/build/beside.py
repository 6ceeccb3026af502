"""graph.ttl and the graph's VoID statistics, both read from graph.nt: in a process of their
own beside the build's (``python -P -m kg.build.beside PARENT REQUEST``), started before the
build writes graph.nt. The child reads graph.nt as the build writes it (counting the
statistics, and finding which prefixes graph.ttl may use), and writes graph.ttl once the
build tells it graph.nt is whole, while the build writes the release's other files (JSON-LD,
KGX, the claims table, the nanopublications). A build on one core makes them itself
(:mod:`kg.build.assemble`).

Together they are about a third of the time a build takes to write the release at 1,001
sources, all of it spent reading graph.nt: they need nothing else of the build.

The request is a JSON file in the build's spool folder. The build tells the child that
graph.nt is whole by writing its size, a line, on the child's standard input; the child's
answer comes on its standard output, as JSON. The child exits 2 when the file system refused
it (its answer names the error), 3 on a bug (its traceback on standard error). It dies with
the build, even one killed with SIGKILL, and is killed when the build stops or fails first.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kg.errors import KGError
from kg.formats.turtle import (
    read_blocks,
    unusable_prefixes,
    whole_lines,
    write_ntriples_file_as_turtle,
)
from kg.formats.void import Counting, Statistics
from kg.runtime.processes import die_with_parent, how_it_ended, kg_environment, kg_module
from kg.runtime.spool import HashingFile, Sorter, WorkFolder, Written

__all__ = ["TURTLE_FILE", "Beside", "Request", "graph_beside", "made_beside", "main"]

#: The release's Turtle, made from graph.nt.
TURTLE_FILE = "graph.ttl"
_SOURCE = "graph.nt"
#: Exit codes of the child: the file system refused (an OSError), and a bug.
_REFUSED, _BUG = 2, 3
#: Seconds the child waits, at graph.nt's end for now, for more of it or for its size.
_WAIT = 0.05
#: Bytes of graph.nt the child reads at a time.
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Request:
    """What the child is asked: graph.nt's path and graph.ttl's, the prefixes graph.ttl may
    use, a folder its count may spill to, the characters of text that count holds in memory,
    and the classes whose example the statistics name."""

    source: str
    turtle: str
    namespaces: Mapping[str, str]
    spool: str
    budget: int
    examples: Sequence[str]


@dataclass(frozen=True)
class Beside:
    """What :func:`graph_beside` gives the build: ``written`` tells that graph.nt is whole
    (its size is among the work folder's files), ``statistics`` waits for graph.ttl and gives
    the statistics (it tells first, if the build has not)."""

    written: Callable[[], None]
    statistics: Callable[[], Statistics]


def made_beside(
    request: Request, blocks: Iterable[bytes] | None = None
) -> tuple[int, str, Statistics]:
    """Write graph.ttl and count the statistics, here: graph.ttl's size and SHA-256, and the
    statistics (:class:`~kg.formats.void.Counting` of graph.nt's lines). ``blocks``: graph.nt
    in blocks of whole lines, as it is written (:func:`_following`); by default the file,
    written already.

    :raises OSError: graph.nt could not be read, or graph.ttl or a spilled run written
    """
    source = Path(request.source)
    counting = Counting(Sorter(Path(request.spool), budget=request.budget))
    unusable: set[str] = set()
    with contextlib.ExitStack() as stack:
        if blocks is None:
            handle = stack.enter_context(open(source, "rb"))
            blocks = read_blocks(handle, _BLOCK)
        for lines in blocks:
            unusable.update(unusable_prefixes(lines, request.namespaces))
            for line in lines.decode("utf-8").split("\n"):  # "<s> <p> <o> .", as built
                if line:
                    counting.add(line.removesuffix(" ."))
    written: Written = {}
    with HashingFile(open(request.turtle, "wb"), TURTLE_FILE, written) as out:
        write_ntriples_file_as_turtle(source, out, request.namespaces, unusable=unusable)
    size, sha256 = written[TURTLE_FILE]
    return size, sha256, counting.result(example_classes=request.examples)


def _following(path: Path, told: int) -> Iterator[bytes]:
    """The bytes of ``path`` (graph.nt) as the build writes it, a block at a time. At its end
    for now (or before the build has made it), the child waits on ``told`` (its standard
    input) for up to :data:`_WAIT` seconds, for the line with graph.nt's size the build
    writes there once the file is whole; then reads up to that size.

    :raises EOFError: ``told`` ended with no size (the build stopped), or graph.nt is not of
        the size told
    """
    size: int | None = None
    heard = b""
    read = 0
    with contextlib.ExitStack() as stack:
        handle = None
        while True:
            if handle is None:
                with contextlib.suppress(FileNotFoundError):
                    handle = stack.enter_context(open(path, "rb"))
            data = handle.read(_BLOCK) if handle is not None else b""
            if data:
                read += len(data)
                yield data
                continue
            if size is not None:
                if read != size:
                    raise EOFError(f"{path}: {read} bytes, not the {size} the build wrote")
                return
            if select.select([told], [], [], _WAIT)[0]:
                more = os.read(told, 64)
                if not more:
                    raise EOFError("the build stopped before graph.nt was whole")
                heard += more
                if heard.endswith(b"\n"):
                    size = int(heard)


@contextlib.contextmanager
def graph_beside(
    work: WorkFolder, namespaces: Mapping[str, str], *, budget: int, examples: Sequence[str]
) -> Iterator[Beside]:
    """Start making graph.ttl in ``work`` from its graph.nt, with the statistics, in a process
    of their own, which reads graph.nt as the build writes it (it may be written already).
    Yields what tells the child that graph.nt is whole and what waits for both, adds graph.ttl
    to ``work``'s files and gives the statistics. A child still running when the block is
    left (an error, Ctrl-C) is killed. Where no process can be started, both are made here,
    when they are asked for.

    :raises OSError: (from the call) as :func:`made_beside`
    :raises KGError: (from the call) the child was killed, or failed with no answer
    :raises RuntimeError: (from the call) the child failed by a bug
    """
    request = Request(
        source=str(work.path(_SOURCE)),
        turtle=str(work.path(TURTLE_FILE)),
        namespaces=dict(namespaces),
        spool=str(work.path("spool")),
        budget=budget,
        examples=tuple(examples),
    )
    asked = work.path("spool") / "graph-beside.json"
    asked.write_text(json.dumps(asdict(request)), encoding="utf-8")
    told, tell = os.pipe()  # the child's standard input: graph.nt's size, once it is whole
    try:
        process: subprocess.Popen[bytes] | None = subprocess.Popen(
            kg_module("kg.build.beside", str(os.getpid()), str(asked)),
            stdin=told,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=kg_environment(),
        )
    except OSError:  # no process to be had (the interpreter gone, too many processes)
        process = None
    finally:
        os.close(told)
    if process is None:
        os.close(tell)

        def here() -> Statistics:
            size, sha256, statistics = made_beside(request)
            work.adopt(TURTLE_FILE, size, sha256)
            return statistics

        yield Beside(lambda: None, here)
        return

    def written() -> None:
        nonlocal tell
        if tell < 0:
            return
        with contextlib.suppress(OSError):  # the child is gone: its end says how
            os.write(tell, b"%d\n" % work.written[_SOURCE][0])
        os.close(tell)
        tell = -1

    def answered() -> Statistics:
        written()
        out, err = process.communicate()
        size, sha256, statistics = _answer(process.returncode, out, err)
        work.adopt(TURTLE_FILE, size, sha256)
        return statistics

    try:
        yield Beside(written, answered)
    finally:
        if tell >= 0:
            os.close(tell)
        if process.returncode is None:  # not waited for: the build stopped first
            process.kill()
            process.communicate()


def _answer(code: int, out: bytes, err: bytes) -> tuple[int, str, Statistics]:
    """The child's answer, or the error it reports.

    :raises OSError: it exited :data:`_REFUSED`
    :raises KGError: it was killed, or ended with no answer
    :raises RuntimeError: it failed by a bug (:data:`_BUG`)
    """
    what = "the process writing graph.ttl"
    try:
        answer = json.loads(out) if code in (0, _REFUSED) else None
    except ValueError:
        answer = None
    if code == _REFUSED and isinstance(answer, dict):
        raise OSError(answer.get("errno"), answer.get("strerror"), answer.get("filename"))
    lines = err.decode("utf-8", "replace").strip().splitlines()
    if code == _BUG:
        raise RuntimeError(f"{what} failed: {lines[-1] if lines else 'no answer'}")
    if code != 0 or not isinstance(answer, dict):
        raise KGError(f"{what} {how_it_ended(code)}; nothing was changed")
    statistics = answer["statistics"]
    statistics["examples"] = tuple(statistics["examples"])
    return int(answer["size"]), str(answer["sha256"]), Statistics(**statistics)


def main(argv: Sequence[str] | None = None) -> int:
    """The child: ``python -P -m kg.build.beside PARENT REQUEST`` (a JSON file)."""
    parent, asked = sys.argv[1:] if argv is None else argv
    die_with_parent(int(parent))
    request = Request(**json.loads(Path(asked).read_text(encoding="utf-8")))
    try:
        blocks = whole_lines(_following(Path(request.source), sys.stdin.fileno()))
        size, sha256, statistics = made_beside(request, blocks)
    except OSError as error:
        refused = {"errno": error.errno, "strerror": error.strerror, "filename": error.filename}
        sys.stdout.write(json.dumps(refused))
        return _REFUSED
    answer: dict[str, Any] = {"size": size, "sha256": sha256, "statistics": asdict(statistics)}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # a bug: its traceback on standard error, for the build to name
        import traceback

        traceback.print_exc()
        sys.exit(_BUG)
