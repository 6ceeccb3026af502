"""How `kg site` grows with the release: synthetic corpora of N sources (bench/corpus.py) are
built, then their site is written, timed with its peak memory and counted in pages and files.

    python bench/site.py [--sources 10 100 1000]

Writes bench/site-results.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

from corpus import write_corpus
from scale import timed

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "site-results.md"


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
            seconds, peak, code = timed([sys.executable, "-m", "kg", "site"], project)
            assert code == 0
            pages = sum(1 for _ in (project / "site").rglob("*.html"))
            files = sum(1 for p in (project / "site").rglob("*") if p.is_file())
            triples = (project / "dist" / "graph.nt").read_bytes().count(b"\n")
            rows.append((n + 1, triples, pages, files, seconds, peak))
            print(rows[-1], flush=True)
    lines = [
        "# `kg site` by corpus size",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}. Written by "
        f"`python bench/site.py` on {time.strftime('%Y-%m-%d')}.",
        "",
        "| sources | triples | pages | files | seconds | ms a page | peak MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for sources, triples, pages, files, seconds, peak in rows:
        lines.append(
            f"| {sources} | {triples} | {pages} | {files} | {seconds:.1f} | "
            f"{1000 * seconds / pages:.2f} | {peak:.0f} |"
        )
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
