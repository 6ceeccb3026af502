"""One edited source, by corpus size: synthetic corpora of N sources (bench/corpus.py), each
built once with its cache, then built again after editing one source's claims (RUNS edits, each
a new note on a claim of the first synthetic source: the median wall time, the highest peak
memory of the build and all its processes), beside the floor measured in the same run
(pyoxigraph parsing the release's N-Quads and writing them back, bench/scale.py's floor). The
machine's load average is recorded before and after each size: the machine may be shared.

    python bench/edit.py [--sources 10 100 1000] [--jobs 2]

Writes bench/edit-results.md.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import yaml
from corpus import write_corpus
from scale import by_size, floor, machine, timed, write_results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "edit-results.md"
RUNS = 3
EDITED = "sources/synthetic-000000/claims.yaml"


def edit(project: Path, run: int) -> None:
    """Edit one source's claims: a new note on its first claim."""
    path = project / EDITED
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["claims"][0]["note"] = f"Edited for the benchmark, run {run}."
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def measure(n: int, jobs: int, work: Path) -> dict[str, Any]:
    project = work / f"corpus-{n}"
    write_corpus(project, n, seed=1)
    kg = [sys.executable, "-m", "kg", "build", "--jobs", str(jobs)]
    row: dict[str, Any] = {"sources": n + 1, "load_before": os.getloadavg()[0]}
    seconds, peak, code = timed(kg, project)  # cold: every unit built, the cache filled
    assert code == 0
    row["cold"], row["cold_peak"] = seconds, peak
    dist = project / "dist"
    row["triples"] = (dist / "graph.nt").read_bytes().count(b"\n")
    row["release_mb"] = sum(p.stat().st_size for p in dist.rglob("*") if p.is_file()) / 2**20
    row["floor"] = floor(dist)
    times, peaks = [], []
    for run in range(RUNS):
        edit(project, run)
        seconds, peak, code = timed(kg, project)
        assert code == 0
        times.append(seconds)
        peaks.append(peak)
    row["edited"], row["edited_peak"] = statistics.median(times), max(peaks)
    row["edited_all"] = times
    row["load_after"] = os.getloadavg()[0]
    shutil.rmtree(project)
    return row


def main() -> None:
    rows, jobs = by_size(measure, __doc__, "kg-edit-")
    lines = [
        "# `kg build` after one edited source, by corpus size",
        "",
        machine("edit.py", jobs),
        "",
        "Seconds of wall time, a new process each (Python's start and kg's command line "
        "included), and the peak resident memory of the build and all its processes. *cold*: "
        "the first build (it fills the cache); *edited*: `kg build` after one source's claims "
        f"were edited (median of {RUNS} edits; every run listed); *floor*: pyoxigraph parsing "
        "the release's N-Quads and writing them back, in the same run; *load*: the machine's "
        "one-minute load average before and after the size was measured (2 cores: above 2, "
        "other work was waiting for them).",
        "",
        "| sources | triples | release MB | cold s | cold peak MB | edited s | runs s | "
        "edited peak MB | floor s | edited / floor | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        runs = " ".join(f"{t:.1f}" for t in r["edited_all"])
        lines.append(
            f"| {r['sources']} | {r['triples']} | {r['release_mb']:.1f} | {r['cold']:.1f} | "
            f"{r['cold_peak']:.0f} | {r['edited']:.2f} | {runs} | {r['edited_peak']:.0f} | "
            f"{r['floor']:.2f} | {r['edited'] / r['floor']:.1f} | "
            f"{r['load_before']:.1f}-{r['load_after']:.1f} |"
        )
    write_results(RESULTS, lines)


if __name__ == "__main__":
    main()
