"""The no-op build by corpus size: synthetic corpora of N sources (bench/corpus.py), each built
cold, then `kg build` again with nothing changed (the median of five runs, each checked to say
"up to date"), beside the floor bench/scale.py measures (pyoxigraph parsing the release's
N-Quads and writing them back) and what the no-op spends on its checks, in process: reading
the manifest, the inputs' fingerprint and the release check (each file's status, and the
bytes of those whose status is not the one the manifest records).

    python bench/noop.py [--sources 10 100 1000] [--jobs 2]

Writes bench/noop-results.md.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from corpus import write_corpus
from scale import by_size, floor, machine, write_results

from kg.build.manifest import is_up_to_date, read_manifest, take_fingerprint

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "noop-results.md"
RUNS = 5


def noop_seconds(project: Path, jobs: int) -> list[float]:
    """Wall seconds of `kg build` with nothing changed, RUNS times."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "kg", "build", "--jobs", str(jobs)],
            cwd=project,
            capture_output=True,
            check=True,
        )
        times.append(time.perf_counter() - start)
        assert b"is up to date" in done.stderr, done.stderr
    return times


def measure(n: int, jobs: int, work: Path) -> dict[str, Any]:
    project = work / f"corpus-{n}"
    write_corpus(project, n, seed=1)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kg", "build", "--no-cache", "--jobs", str(jobs)],
        cwd=project,
        capture_output=True,
        check=True,
    )
    row: dict[str, Any] = {"sources": n + 1, "cold": time.perf_counter() - start}
    dist = project / "dist"
    row["release_mb"] = sum(p.stat().st_size for p in dist.rglob("*") if p.is_file()) / 2**20
    row["floor"] = floor(dist)
    times = noop_seconds(project, jobs)
    # the first no-op reads the inputs written less than a second before the cold build
    # (the corpus, just generated) and remembers them; the median is of every run
    row["noop_first"], row["noop"] = times[0], statistics.median(times)
    start = time.perf_counter()
    manifest = read_manifest(dist)
    row["manifest"] = time.perf_counter() - start
    start = time.perf_counter()
    fingerprint = take_fingerprint(project, dist, previous=manifest)
    row["fingerprint"] = time.perf_counter() - start
    assert fingerprint is not None
    row["inputs"] = fingerprint.inputs
    start = time.perf_counter()
    assert is_up_to_date(dist, fingerprint, manifest)
    row["release_check"] = time.perf_counter() - start
    shutil.rmtree(project)
    return row


def main() -> None:
    rows, jobs = by_size(measure, __doc__, "kg-noop-")
    lines = [
        "# `kg build` with nothing changed, by corpus size",
        "",
        machine("noop.py", jobs),
        "",
        "Seconds of wall time. *cold*: the first build (no cache); *no-op*: `kg build` again, "
        f"nothing changed (median of {RUNS} runs, a new process each: Python's start and "
        "kg's command line included); *first*: the first of them, which reads the inputs "
        "written less than a second before the cold build and remembers them; in process: "
        "*manifest*: reading it; *fingerprint*: every input's status (and the bytes of those "
        "whose status changed); *release check*: every release file's status (and the bytes "
        "of those whose status changed); *floor*: pyoxigraph parsing the release's N-Quads "
        "and writing them back (bench/scale.py's floor).",
        "",
        "| sources | input files | release MB | cold s | no-op s | first s | manifest s | "
        "fingerprint s | release check s | floor s | no-op / floor | cold / no-op |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['sources']} | {r['inputs']} | {r['release_mb']:.1f} | {r['cold']:.1f} | "
            f"{r['noop']:.2f} | {r['noop_first']:.2f} | {r['manifest']:.3f} | "
            f"{r['fingerprint']:.3f} | {r['release_check']:.3f} | {r['floor']:.2f} | "
            f"{r['noop'] / r['floor']:.2f} | {r['cold'] / r['noop']:.0f} |"
        )
    write_results(RESULTS, lines)


if __name__ == "__main__":
    main()
