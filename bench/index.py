"""The site's index by corpus size: synthetic corpora of N sources (bench/corpus.py) are built,
then `kg site` writes their site and `kg serve` starts on them (until its home page answers),
beside the floor measured in the same run (pyoxigraph parsing the release's N-Quads and writing
them back, bench/scale.py's floor) and the in-process time of the home page and browse pages
alone (kg/web/browse.py); with the size of the largest home or browse page, and of the largest
page of the whole site.

    python bench/index.py [--sources 10 100 1000] [--work DIR]

``--work DIR`` keeps the built corpora in DIR and reuses those already there. Writes
bench/index-results.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from corpus import write_corpus
from scale import _cores, _memory_gib, floor, timed, tree_rss_mb

from kg.web.browse import PAGE_SIZE, browse_files, claim_rows
from kg.web.site import index_site, open_site

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "index-results.md"
START_LIMIT_S = 1800.0  # the longest kg serve may take to answer before the run gives up
STOP_LIMIT_S = 600.0  # the longest it may take to clean up after itself before it is killed


def built(n: int, work: Path) -> Path:
    """The project of a corpus of ``n`` synthetic sources, built (reused when it is)."""
    project = work / f"corpus-{n}"
    if not (project / "dist" / "graph.nq").is_file():
        write_corpus(project, n, seed=1)
        code = timed([sys.executable, "-m", "kg", "build", "--jobs", "2"], project)[2]
        assert code == 0, f"the corpus of {n} sources did not build"
    return project


def serve_start(project: Path, cache: Path, page: str) -> tuple[float, float, float, float]:
    """Seconds from starting `kg serve` (keeping its copies in ``cache``) to its first answer
    (whatever its status: 503 while it prepares the release), to its home page's first 200,
    and then to the first answer of ``page`` (made on demand); and the peak MB of its process
    tree until that first 200."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--port", str(port)],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "KG_SERVE_CACHE": str(cache)},
    )
    peak = [0.0]
    answered = threading.Event()

    def watch() -> None:  # beside the requests, which may wait seconds for their answer
        while not answered.is_set() and process.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(process.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    first: float | None = None  # its first answer, whatever its status
    try:
        while time.perf_counter() - start < START_LIMIT_S:
            assert process.poll() is None, "kg serve stopped before it answered"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    if answer.status == 200:
                        started = time.perf_counter() - start
                        break
            except urllib.error.HTTPError as error:  # 503: it prepares the release
                error.close()
                first = first if first is not None else time.perf_counter() - start
                time.sleep(0.05)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        else:
            raise TimeoutError(f"kg serve did not answer within {START_LIMIT_S} s")
        answered.set()
        watcher.join()
        asked = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=600) as answer:
            assert answer.status == 200 and answer.read()
        return (
            first if first is not None else started,
            started,
            time.perf_counter() - asked,
            peak[0],
        )
    finally:  # it removes its store and site as it stops: minutes at 1,000 sources
        answered.set()
        process.terminate()
        try:
            process.wait(timeout=STOP_LIMIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def index_seconds(release: Path) -> tuple[float, int]:
    """Seconds to write the home page and browse pages in process (the release already in a
    store, its pages gathered), and the number of claims."""
    store = ox.Store()
    store.bulk_load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    site = open_site(store, index_site(store))
    start = time.perf_counter()
    files = browse_files(site, endpoint="/query")
    seconds = time.perf_counter() - start
    assert files
    return seconds, len(claim_rows(store))


def measure(n: int, work: Path) -> dict[str, Any]:
    project = built(n, work)
    dist = project / "dist"
    row: dict[str, Any] = {"sources": n + 1, "floor": floor(dist)}
    row["index"], row["claims"] = index_seconds(dist)
    row["site"], row["site_peak"], code = timed([sys.executable, "-m", "kg", "site"], project)
    assert code == 0
    site = project / "site"
    claim = min(site.glob("doc/*/claim/*.html"))  # a claim's page, made when asked for
    with tempfile.TemporaryDirectory(prefix="kg-serve-cache-") as cache:
        row["answers"], row["serve"], _, row["serve_peak"] = serve_start(
            project, Path(cache), claim.relative_to(site).as_posix()
        )
        _, row["again"], row["page"], _ = serve_start(
            project, Path(cache), claim.relative_to(site).as_posix()
        )
    browse = [site / "index.html", *(site / "browse").rglob("*.html")]
    row["browse_pages"] = len(browse) - 1
    row["largest"] = max(p.stat().st_size for p in browse)
    largest_any = max(site.rglob("*.html"), key=lambda p: p.stat().st_size)
    row["largest_any"] = (largest_any.stat().st_size, largest_any.relative_to(site).as_posix())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--work", type=Path, help="keep (and reuse) the built corpora here")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-index-") as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        for n in args.sources:
            rows.append(measure(n, work))
            print(rows[-1], flush=True)
    write_results(rows)
    print(RESULTS.read_text())


def write_results(rows: list[dict[str, Any]]) -> None:
    lines = [
        "# The site's index by corpus size",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, {_cores()} cores, "
        f"{_memory_gib():.0f} GiB, Python {platform.python_version()}. Written by "
        f"`python bench/index.py` on {time.strftime('%Y-%m-%d')}; {PAGE_SIZE} rows a page.",
        "",
        "Seconds of wall time. *floor*: pyoxigraph parsing the release's N-Quads and writing "
        "them back (bench/scale.py's floor), in the same run; *index*: writing the home page "
        "and every browse page in process (kg/web/browse.py, from the release's store); "
        "*kg site*: the whole site (a page and four RDF documents a resource), a new process; "
        "*serve answers*: `kg serve` from its start to its first answer (503 with "
        "Retry-After while it prepares the release); *serve ready*: to its home page's first "
        "200, the first time it serves the release (it loads the release into two stores, "
        "indexes its pages and writes the home, browse pages and downloads, in a process of "
        "its own: the pages are made on demand); "
        "*again*: the next start, to its first 200 (its copy kept); *claim ms*: a claim's "
        "page the first time "
        "it is asked for, after that start; *largest*: the largest of the home page and the "
        "browse pages; *largest page*: the largest page of the whole site; *peak MB*: the "
        "peak resident memory of the process tree (kg site: to its end; serve start: to its "
        "home page's first 200, sampled every 50 ms).",
        "",
        "| sources | claims | floor s | index s | index / floor | kg site s | kg site / floor "
        "| kg site peak MB | serve answers s | serve ready s | serve ready / floor "
        "| serve ready peak MB | again s | again / floor | claim ms | browse pages "
        "| largest KB | largest page |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        size, name = r["largest_any"]
        lines.append(
            f"| {r['sources']} | {r['claims']} | {r['floor']:.2f} | {r['index']:.2f} | "
            f"{r['index'] / r['floor']:.1f} | {r['site']:.1f} | {r['site'] / r['floor']:.0f} | "
            f"{r['site_peak']:.0f} | {r['answers']:.2f} | {r['serve']:.1f} | "
            f"{r['serve'] / r['floor']:.0f} | "
            f"{r['serve_peak']:.0f} | {r['again']:.2f} | "
            f"{r['again'] / r['floor']:.1f} | {r['page'] * 1000:.0f} | {r['browse_pages']} | "
            f"{r['largest'] / 1000:.0f} | {size / 1000:.0f} KB ({name}) |"
        )
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
