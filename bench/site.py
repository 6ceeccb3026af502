"""How `kg site` grows with the release: synthetic corpora of N sources (bench/corpus.py) are
built, then their site is written without pictures (--no-pictures) and with them (each claim's
and entity's diagram drawn by Graphviz's dot, the index's charts), timed with peak memory,
counted in pages, files and pictures, beside the floor bench/scale.py measures (pyoxigraph
parsing the release's N-Quads and writing them back) in the same run.

    python bench/site.py [--sources 10 100 1000]

Writes bench/site-results.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
from corpus import write_corpus
from scale import floor, timed

from kg.web.figures import site_pictures
from kg.web.site import read_site

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "site-results.md"
RUNS = 3
KG_SITE = [sys.executable, "-m", "kg", "site", "--force"]


def median_runs(project: Path) -> tuple[tuple[float, float], tuple[float, float]]:
    """`kg site --no-pictures` and `kg site`, RUNS times each in turn (so that a busy moment
    of the machine weighs on both): the median wall seconds and the largest peak MB of each."""
    plain, pictures = [], []
    for _ in range(RUNS):
        plain.append(timed([*KG_SITE, "--no-pictures", "--out", "plain"], project))
        pictures.append(timed(KG_SITE, project))
    found = []
    for runs in (plain, pictures):
        assert all(code == 0 for _, _, code in runs), runs
        found.append((statistics.median(s for s, _, _ in runs), max(p for _, p, _ in runs)))
    return found[0], found[1]


def pictures_seconds(release: Path) -> float:
    """Seconds kg.web.figures.site_pictures takes over the release (the median of RUNS)."""
    store = ox.Store()
    store.bulk_load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    site = read_site(store)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        site_pictures(store, site.labels, site.converter)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-site-") as work:
        for n in args.sources:
            project = Path(work) / f"corpus-{n}"
            write_corpus(project, n, seed=1)
            build = timed([sys.executable, "-m", "kg", "build", "--jobs", "2"], project)
            assert build[2] == 0, build
            plain, (seconds, peak) = median_runs(project)
            drawing = pictures_seconds(project / "dist")
            pages = sum(1 for _ in (project / "site").rglob("*.html"))
            files = sum(1 for p in (project / "site").rglob("*") if p.is_file())
            pictures = sum(
                p.read_text(encoding="utf-8").count("<svg ")
                for p in (project / "site").rglob("*.html")
            )
            triples = (project / "dist" / "graph.nt").read_bytes().count(b"\n")
            least = floor(project / "dist")
            rows.append(
                (n + 1, triples, pages, files, pictures, least, plain[0], seconds, drawing, peak)
            )
            print(rows[-1], flush=True)
    lines = [
        "# `kg site` by corpus size, without and with pictures",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{subprocess.run(['dot', '-V'], capture_output=True, text=True).stderr.strip()}. "
        f"Written by `python bench/site.py` on {time.strftime('%Y-%m-%d')}.",
        "",
        "Seconds of wall time, a new process each (Python's start included). *floor*: "
        "pyoxigraph parsing the release's N-Quads and writing them back (bench/scale.py); "
        f"*plain*: `kg site --no-pictures`; *pictures*: `kg site` (each the median of {RUNS} "
        "runs); *drawing*: kg.web.figures.site_pictures alone, in process (reading the claims, "
        "writing the DOT, running dot, cleaning its SVG; the median of {RUNS}); *ms a picture*: "
        "drawing over the number of pictures.",
        "",
        "| sources | triples | pages | files | pictures | floor s | plain s | pictures s "
        "| drawing s | ms a picture | plain / floor | pictures / floor | drawing / floor "
        "| peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for sources, triples, pages, files, drawn, least, plain_s, seconds, drawing, peak in rows:
        lines.append(
            f"| {sources} | {triples} | {pages} | {files} | {drawn} | {least:.2f} | "
            f"{plain_s:.1f} | {seconds:.1f} | {drawing:.2f} | {1000 * drawing / drawn:.2f} | "
            f"{plain_s / least:.1f} | {seconds / least:.1f} | {drawing / least:.2f} | {peak:.0f} |"
        )
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
