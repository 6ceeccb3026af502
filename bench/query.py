"""Questions to the release, by corpus size: synthetic corpora of N sources (bench/corpus.py),
each built once, then asked with ``kg query``, ``kg show`` and ``kg stats`` from the release's
index (kg.stores.index) and, for comparison, from the release loaded in memory (``--data
dist/graph.nq``, what every call cost before the index), beside the floor measured in the same
run: Python importing kg's dependencies (pyoxigraph, rdflib, click, curies, PyYAML and kg's
command line), the least a ``kg`` call can cost. The machine's load average is recorded: the
machine may be shared.

    python bench/query.py [--sources 10 100 1000] [--jobs 2]

Writes bench/query-results.md.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from corpus import write_corpus
from scale import by_size, machine, timed, write_results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "query-results.md"
RUNS = 5
FLOOR = "import pyoxigraph, rdflib, click, curies, yaml, kg.cli"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def seconds(command: list[str], cwd: Path, runs: int = RUNS) -> tuple[float, bytes]:
    """The median wall time of ``runs`` runs of ``command``, and its output (checked)."""
    times, out = [], b""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        assert done.returncode == 0, done.stderr.decode()
        out = done.stdout
    return statistics.median(times), out


OBJECT = re.compile(rb"<[^>]+> <https://w3id.org/biolink/vocab/object> <([^>]+)>")


def one_entity(nquads: Path) -> str:
    """The object of the first claim's biolink:object: a condition several claims name."""
    with nquads.open("rb") as file:
        for line in file:
            if b"<https://w3id.org/biolink/vocab/object>" in line:
                found = OBJECT.match(line)
                if found:
                    return found.group(1).decode()
    raise SystemExit("no claim with a biolink:object in the release")


def measure(n: int, jobs: int, work: Path) -> dict[str, Any]:
    project = work / f"corpus-{n}"
    write_corpus(project, n, seed=1)
    kg = [sys.executable, "-m", "kg", "--project", str(project)]
    _, _, code = timed([*kg, "build", "--jobs", str(jobs)], project)
    assert code == 0
    nquads = project / "dist" / "graph.nq"
    row: dict[str, Any] = {"sources": n + 1, "load_before": os.getloadavg()[0]}
    row["quads"] = nquads.read_bytes().count(b"\n")
    row["floor"], _ = seconds([sys.executable, "-c", FLOOR], project)
    shutil.rmtree(project / ".kg-cache" / "index", ignore_errors=True)
    row["first"], _ = seconds([*kg, "query", COUNT, "--format", "csv"], project, runs=1)
    entity = one_entity(nquads)
    selective = f"SELECT ?claim WHERE {{ ?claim biolink:object <{entity}> }} ORDER BY ?claim"
    query = [*kg, "query", selective, "--format", "csv"]
    row["selective"], indexed = seconds(query, project)
    row["selective_memory"], loaded = seconds([*query, "--data", str(nquads)], project, runs=3)
    assert indexed == loaded, "the index and the release in memory disagree"
    row["rows"] = indexed.count(b"\n") - 1
    claim = indexed.splitlines()[1].decode()
    row["show"], _ = seconds([*kg, "show", claim], project)
    row["show_memory"], _ = seconds([*kg, "show", claim, "--data", str(nquads)], project, runs=3)
    row["stats"], _ = seconds([*kg, "stats"], project, runs=3)
    row["stats_memory"], _ = seconds([*kg, "stats", "--data", str(nquads)], project, runs=3)
    index = project / ".kg-cache" / "index"
    row["index_mb"] = sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) / 2**20
    row["load_after"] = os.getloadavg()[0]
    shutil.rmtree(project)
    return row


def main() -> None:
    rows, _ = by_size(measure, __doc__, "kg-query-")
    lines = [
        "# Questions to the release, from its index and from memory, by corpus size",
        "",
        machine("query.py"),
        "",
        "Seconds of wall time, a new process each, median of "
        f"{RUNS} runs (3 for the in-memory and stats columns). *floor*: Python importing "
        "kg's dependencies and command line, in the same run; *first*: the first `kg query` "
        "after a build (it makes the index); *selective*: `kg query` of one entity's claims "
        "(`?claim biolink:object <entity>`), from the index, and *memory*: the same with "
        "`--data dist/graph.nq` (the release loaded in memory, what every call cost before); "
        "both answers are compared, byte for byte; *show*: `kg show` of one claim; *stats*: "
        "`kg stats` (four queries over the whole graph); *load*: the one-minute load average "
        "before and after (2 cores).",
        "",
        "| sources | quads | floor s | first s | selective s | selective / floor | "
        "memory s | show s | show memory s | stats s | stats memory s | index MB | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['sources']} | {r['quads']} | {r['floor']:.2f} | {r['first']:.2f} | "
            f"{r['selective']:.2f} | {r['selective'] / r['floor']:.1f} | "
            f"{r['selective_memory']:.2f} | {r['show']:.2f} | {r['show_memory']:.2f} | "
            f"{r['stats']:.2f} | {r['stats_memory']:.2f} | {r['index_mb']:.0f} | "
            f"{r['load_before']:.1f}-{r['load_after']:.1f} |"
        )
    write_results(RESULTS, lines)


if __name__ == "__main__":
    main()
