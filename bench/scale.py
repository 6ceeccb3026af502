"""How `kg build` grows with the corpus: synthetic corpora of N sources (bench/corpus.py), each
built cold (no cache), warm (every verdict cached), with nothing changed (the no-op build) and
after editing one source, with the wall time and the peak memory of all its processes, beside
the floor measured in the same run (pyoxigraph parsing the release's N-Quads and writing them
back), and the ratio of the two.

    python bench/scale.py [--sources 10 100 1000] [--cold-only 5000] [--jobs 2]

Writes bench/scale-results.md.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml
from corpus import write_corpus

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "scale-results.md"


def tree_rss_mb(pid: int) -> float:
    """The resident memory of a process and all its descendants, in MB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            status = (stat.parent / "statm").read_text().split()
        except OSError:
            continue
        child = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(child)
        rss[child] = int(status[1]) * 4096
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo += children.get(current, [])
    return total / 2**20


def timed(command: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, peak MB of the process tree, exit code."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0.0]

    def watch() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(process.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    process.wait()
    watcher.join()
    return time.perf_counter() - start, peak[0], process.returncode


def floor(release: Path) -> float:
    """pyoxigraph reading the release's N-Quads and writing them as N-Triples, in seconds."""
    start = time.perf_counter()
    quads = list(ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    ox.serialize(
        [ox.Triple(q.subject, q.predicate, q.object) for q in quads],
        format=ox.RdfFormat.N_TRIPLES,
    )
    return time.perf_counter() - start


def measure(n: int, jobs: int, work: Path, *, cold_only: bool) -> dict[str, Any]:
    project = work / f"corpus-{n}"
    write_corpus(project, n, seed=1)
    kg = [sys.executable, "-m", "kg", "build", "--jobs", str(jobs)]
    row: dict[str, Any] = {"sources": n + 1, "cold": timed([*kg, "--no-cache"], project)}
    row["triples"] = (project / "dist" / "graph.nt").read_bytes().count(b"\n")
    row["floor"] = floor(project / "dist")
    row["validate"] = timed(
        [sys.executable, "-m", "kg", "validate", "dist/graph.nq", "--jobs", str(jobs)], project
    )
    if not cold_only:
        # --force: with nothing changed a plain build is a no-op (bench/noop.py measures it)
        timed([*kg, "--force"], project)  # fills the cache
        row["warm"] = timed([*kg, "--force"], project)
        row["noop"] = timed(kg, project)
        claims = project / "sources" / "synthetic-000000" / "claims.yaml"
        data = yaml.safe_load(claims.read_text(encoding="utf-8"))
        data["claims"][0]["note"] = "Edited for the benchmark."
        claims.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        row["edited"] = timed(kg, project)
        failing = work / f"failing-{n}"
        write_corpus(failing, n, invalid=max(1, n // 100), seed=1)
        row["failing"] = timed([*kg, "--no-cache"], failing)
        shutil.rmtree(failing)
    shutil.rmtree(project)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument(
        "--cold-only",
        type=int,
        nargs="*",
        default=[],
        metavar="N",
        help="sizes measured once, cold (e.g. 5000)",
    )
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-scale-") as work:
        for n in [*args.sources, *args.cold_only]:
            row = measure(n, args.jobs, Path(work), cold_only=n in args.cold_only)
            rows.append(row)
            print({k: v for k, v in row.items()}, flush=True)
    base = rows[0]["cold"][0] / rows[0]["sources"]
    lines = [
        "# `kg build` by corpus size",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"{_cores()} cores, {_memory_gib():.0f} GiB, Python {platform.python_version()}; "
        f"`--jobs {args.jobs}`. Written by `python bench/scale.py` on {time.strftime('%Y-%m-%d')}.",
        "",
        "Seconds of wall time and peak resident memory of the build and all its processes. "
        "*cold*: no cache; *warm*: nothing changed, rebuilt with every verdict cached "
        "(`--force`); *no-op*: nothing changed (`kg build` says dist/ is up to date); "
        "*edited*: one source's claims edited; "
        "*failing*: cold, with 1% of the sources invalid (exit 1); *validate*: `kg validate` "
        "of the release's graph.nq (a user's file: no cache); *floor*: pyoxigraph parsing "
        "the release's N-Quads and writing them back, in the same run.",
        "",
        "| sources | triples | cold s | cold s/source | cold / s/source at smallest | "
        "cold peak MB | warm s | no-op s | edited s | edited peak MB | failing s | validate s | "
        "floor s | cold / floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cold = row["cold"]
        per_source = cold[0] / row["sources"]

        lines.append(
            f"| {row['sources']} | {row['triples']} | {cold[0]:.1f} | {per_source:.3f} | "
            f"{per_source / base:.2f} | {cold[1]:.0f} | {cell(row, 'warm')} | "
            f"{cell(row, 'noop', form='.2f')} | "
            f"{cell(row, 'edited')} | {cell(row, 'edited', 1, '.0f')} | "
            f"{cell(row, 'failing')} | {cell(row, 'validate')} | "
            f"{row['floor']:.2f} | {cold[0] / row['floor']:.0f} |"
        )
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(RESULTS.read_text())


def by_size(
    measure: Callable[[int, int, Path], dict[str, Any]], description: str | None, prefix: str
) -> tuple[list[dict[str, Any]], int]:
    """The rows of ``measure(sources, jobs, work)`` for each size the command line asks
    (``--sources``, ``--jobs``), each in a temporary folder and printed as it comes; and the
    jobs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sources", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        for n in args.sources:
            rows.append(measure(n, args.jobs, Path(work)))
            print(rows[-1], flush=True)
    return rows, args.jobs


def machine(script: str, jobs: int | None = None) -> str:
    """The line of a results file that says where and when it was measured."""
    import os

    return (
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"{_cores()} cores, {_memory_gib():.0f} GiB, Python {platform.python_version()}, "
        f"{os.uname().sysname}{f'; `--jobs {jobs}`' if jobs else ''}. "
        f"Written by `python bench/{script}` on {time.strftime('%Y-%m-%d')}."
    )


def write_results(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(path.read_text())


def cell(row: dict[str, Any], name: str, index: int = 0, form: str = ".1f") -> str:
    """One measure of a row (seconds, or peak MB with index 1), or "-" when not taken."""
    return format(row[name][index], form) if name in row else "-"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
