"""What the pictures cost `kg site` as the release grows: synthetic corpora of N sources
(bench/corpus.py) are built, then their site is written without pictures (--no-pictures) and
with them (each claim's and entity's diagram drawn by Graphviz's dot, the index's charts), in
turn, timed (CPU seconds of the whole process tree, and wall seconds) with peak memory, counted
in pages and pictures, beside the floor bench/scale.py measures (pyoxigraph parsing the
release's N-Quads and writing them back) in the same run; and the drawing alone, in process.
CPU time is what the ratios use: on a shared machine wall time says more about the neighbours
than about kg.

    python bench/pictures.py [--sources 10 100 1000] [--runs 3]

Writes bench/pictures-results.md (bench/site.py measures the site alone).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from corpus import write_corpus
from scale import floor, timed

from kg.web.figures import site_pictures
from kg.web.site import index_site, open_site

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "pictures-results.md"
KG_SITE = [sys.executable, "-m", "kg", "site", "--force"]


@dataclass
class Run:
    wall: float
    cpu: float
    peak: float = 0.0


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def site_run(options: list[str], project: Path) -> Run:
    """`kg site` with ``options``, in a process of its own."""
    before = children_cpu()
    wall, peak, code = timed([*KG_SITE, *options], project)
    assert code == 0, (options, code)
    return Run(wall, children_cpu() - before, peak)


def in_process(work: Callable[[], object]) -> Run:
    """``work`` run here: wall and CPU seconds (its own and its children's, such as dot)."""
    wall, cpu = time.perf_counter(), time.process_time() + children_cpu()
    work()
    return Run(time.perf_counter() - wall, time.process_time() + children_cpu() - cpu)


def median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.peak for r in runs),
    )


def measure(project: Path, runs: int) -> dict[str, Run]:
    """The floor, kg site without and with pictures (in turn, so that a busy moment of the
    machine weighs on both), and the drawing alone (kg.web.figures.site_pictures): medians."""
    store = ox.Store()
    store.bulk_load(path=str(project / "dist" / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    site = open_site(store, index_site(store))
    found: dict[str, list[Run]] = {"floor": [], "plain": [], "pictures": [], "drawing": []}
    for _ in range(runs):
        found["floor"].append(in_process(lambda: floor(project / "dist")))
        found["plain"].append(site_run(["--no-pictures", "--out", "plain"], project))
        found["pictures"].append(site_run([], project))
        found["drawing"].append(
            in_process(lambda: site_pictures(store, site.labels, site.converter))
        )
    return {name: median(runs) for name, runs in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-site-") as work:
        for n in args.sources:
            project = Path(work) / f"corpus-{n}"
            write_corpus(project, n, seed=1)
            build = timed([sys.executable, "-m", "kg", "build", "--jobs", "2"], project)
            assert build[2] == 0, build
            times = measure(project, args.runs)
            html = list((project / "site").rglob("*.html"))
            pictures = sum(p.read_text(encoding="utf-8").count("<svg ") for p in html)
            triples = (project / "dist" / "graph.nt").read_bytes().count(b"\n")
            rows.append((n + 1, triples, len(html), pictures, times))
            print(rows[-1], flush=True)
    write_results(rows, args.runs)


def write_results(rows: list[tuple[int, int, int, int, dict[str, Run]]], runs: int) -> None:
    dot = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    lines = [
        "# `kg site` by corpus size, without and with pictures",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {dot}; load average {os.getloadavg()[0]:.1f} at the "
        f"end. Written by `python bench/pictures.py` on {time.strftime('%Y-%m-%d')}.",
        "",
        "CPU seconds of the whole process tree (the medians of "
        f"{runs} runs, each kind in turn), wall seconds beside. *floor*: pyoxigraph parsing "
        "the release's N-Quads and writing them back (bench/scale.py), in process; *plain*: "
        "`kg site --no-pictures`; *pictures*: `kg site`; *drawing*: "
        "kg.web.figures.site_pictures alone, in process (reading the claims, writing the DOT, "
        "dot, cleaning its SVG, the charts); *ms a picture*: drawing's CPU over the pictures.",
        "",
        "| sources | triples | pages | pictures | floor CPU s | plain CPU s | pictures CPU s "
        "| drawing CPU s | ms a picture | plain / floor | pictures / floor | drawing / floor "
        "| drawing / plain | plain wall s | pictures wall s | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for sources, triples, pages, pictures, t in rows:
        least, plain, drawn, drawing = t["floor"], t["plain"], t["pictures"], t["drawing"]
        lines.append(
            f"| {sources} | {triples} | {pages} | {pictures} | {least.cpu:.2f} | "
            f"{plain.cpu:.1f} | {drawn.cpu:.1f} | {drawing.cpu:.2f} | "
            f"{1000 * drawing.cpu / max(pictures, 1):.2f} | {plain.cpu / least.cpu:.1f} | "
            f"{drawn.cpu / least.cpu:.1f} | {drawing.cpu / least.cpu:.2f} | "
            f"{drawing.cpu / plain.cpu:.2f} | {plain.wall:.1f} | "
            f"{drawn.wall:.1f} | {drawn.peak:.0f} |"
        )
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
