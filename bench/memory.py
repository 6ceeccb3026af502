"""The peak memory of a cold `kg build` by corpus size: synthetic corpora of N sources
(bench/corpus.py), each built once with no cache, with the wall time and the peak resident
memory of the build and all its processes (sampled every 50 ms), beside the floor measured in
the same run (pyoxigraph parsing the release's N-Quads and writing them back).

    python bench/memory.py [--sources 10 100 1000 5000] [--jobs 2]

Writes bench/memory-results.md.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from corpus import write_corpus
from scale import by_size, floor, machine, timed, write_results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "memory-results.md"


def measure(n: int, jobs: int, work: Path) -> dict[str, Any]:
    project = work / f"corpus-{n}"
    write_corpus(project, n, seed=1)
    command = [sys.executable, "-m", "kg", "build", "--jobs", str(jobs), "--no-cache"]
    wall, peak, code = timed(command, project)
    if code != 0:
        raise SystemExit(f"kg build failed at {n} sources (exit {code})")
    release = project / "dist"
    row = {
        "sources": n + 1,
        "triples": (release / "graph.nt").read_bytes().count(b"\n"),
        "megabytes": sum(p.stat().st_size for p in release.rglob("*") if p.is_file()) / 1e6,
        "cold": wall,
        "peak": peak,
        "floor": floor(release),
    }
    shutil.rmtree(project)
    return row


def main() -> None:
    rows, jobs = by_size(measure, __doc__, "kg-memory-")
    write(rows, jobs)


def write(rows: list[dict[str, Any]], jobs: int) -> None:
    lines = [
        "# Peak memory of a cold `kg build`, by corpus size",
        "",
        machine("memory.py", jobs),
        "",
        "Seconds of wall time (a new process: Python's start and kg's command line included) "
        "and the peak resident memory of the build and all its processes, in MB. *floor*: "
        "pyoxigraph parsing the release's N-Quads and writing them back, in the same run; "
        "*growth*: MB of peak more for each 1,000 sources more than the size before.",
        "",
        "| sources | triples | release MB | cold s | peak MB | growth MB / 1,000 sources | "
        "floor s | cold / floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    before = None
    for row in rows:
        growth = "-"
        if before is not None:
            added = (row["sources"] - before["sources"]) / 1000
            growth = f"{(row['peak'] - before['peak']) / added:.0f}"
        lines.append(
            f"| {row['sources']} | {row['triples']} | {row['megabytes']:.0f} | "
            f"{row['cold']:.1f} | {row['peak']:.0f} | {growth} | "
            f"{row['floor']:.2f} | {row['cold'] / row['floor']:.0f} |"
        )
        before = row
    write_results(RESULTS, lines)


if __name__ == "__main__":
    main()
