"""How `kg build` grows with the corpus: synthetic corpora of N sources (bench/corpus.py), each
built cold (no cache), warm (every verdict cached) and after editing one source, with the wall
time and the peak memory of all its processes, beside the floor measured in the same run
(pyoxigraph parsing the release's N-Quads and writing them back), and the ratio of the two.

    python bench/scale.py [--sources 10 100 1000] [--jobs 2]

Writes bench/scale-results.md.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

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


def measure(n: int, jobs: int, work: Path) -> dict[str, object]:
    project = work / f"corpus-{n}"
    write_corpus(project, n, seed=1)
    kg = [sys.executable, "-m", "kg", "build", "--jobs", str(jobs)]
    cold = timed([*kg, "--no-cache"], project)
    timed(kg, project)  # fills the cache
    warm = timed(kg, project)
    claims = project / "sources" / "synthetic-000000" / "claims.yaml"
    data = yaml.safe_load(claims.read_text(encoding="utf-8"))
    data["claims"][0]["note"] = "Edited for the benchmark."
    claims.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    edited = timed(kg, project)
    triples = (project / "dist" / "graph.nt").read_bytes().count(b"\n")
    return {
        "sources": n + 1,
        "triples": triples,
        "cold": cold,
        "warm": warm,
        "edited": edited,
        "floor": floor(project / "dist"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-scale-") as work:
        for n in args.sources:
            row = measure(n, args.jobs, Path(work))
            rows.append(row)
            print(row, flush=True)
    lines = [
        "# `kg build` by corpus size",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"{_cores()} cores, Python {platform.python_version()}; `--jobs {args.jobs}`. "
        "Written by `python bench/scale.py`.",
        "",
        "| sources | triples | cold s | cold s/source | cold peak MB (all processes) | "
        "warm s | one source edited s | floor s (pyoxigraph parse+write) | cold / floor |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cold, warm, edited = row["cold"], row["warm"], row["edited"]
        sources = int(row["sources"])  # type: ignore[call-overload]
        lines.append(
            f"| {sources} | {row['triples']} | {cold[0]:.1f} | {cold[0] / sources:.3f} | "  # type: ignore[index]
            f"{cold[1]:.0f} | {warm[0]:.1f} | {edited[0]:.1f} | {row['floor']:.2f} | "  # type: ignore[index]
            f"{cold[0] / row['floor']:.0f} |"  # type: ignore[index,operator]
        )
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(RESULTS.read_text())


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
