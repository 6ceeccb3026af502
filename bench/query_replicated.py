"""Questions to a release twenty times larger than a built one, from its index: the sources'
graphs of a built corpus's graph.nq (bench/corpus.py, kg build) written K times over, each
copy's own IRIs renamed (``…/id/`` becomes ``…/id/rK-``, so every source, claim and graph is
new, while the entities the sources name, MONDO's, UniProt's, are shared by all copies, as in
a real literature), and its shared graphs (ontology, catalogue, description) once, put in place
of the project's release. Not a release kg built (no void.ttl of its own, no site):
a file of the size of a 20,000-source release, for the index's cost alone.

    python bench/query_replicated.py PROJECT [--times 20]

PROJECT: a folder a corpus was built in (its dist/graph.nq is read, nothing in it changed).
Appends its table to bench/query-results.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from query import FLOOR, OBJECT, RESULTS, seconds

MINTED = b"<https://w3id.org/drugclaims/id/"
SHARED = b"https://w3id.org/drugclaims/id/graph/"  # the shared graphs' names begin so


def replicate(source: Path, target: Path, times: int) -> int:
    """Write the sources' graphs of ``source`` (N-Quads) ``times`` over into ``target``, each
    copy's minted IRIs renamed, and the shared graphs (ontology, catalogue, description) once,
    as a release of that many more sources has them; the number of quads written."""
    count = 0
    with target.open("wb") as out:
        for copy in range(times):
            renamed = MINTED + f"r{copy}-".encode()
            with source.open("rb") as lines:
                for line in lines:
                    graph = line.rstrip(b" .\n").rsplit(b" ", 1)[-1]
                    if not graph.startswith(b"<" + SHARED):
                        out.write(line.replace(MINTED, renamed))
                    elif copy == 0:
                        out.write(line)
                    else:
                        continue
                    count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", type=Path)
    parser.add_argument("--times", type=int, default=20)
    args = parser.parse_args()
    built = args.project.resolve()
    with tempfile.TemporaryDirectory(prefix="kg-replicated-") as work:
        project = Path(work) / "project"
        project.mkdir()
        for name in ("dataset.yaml", "catalogue", "ontology", "shapes", "sources"):
            (project / name).symlink_to(built / name)
        (project / "dist").mkdir()
        nquads = project / "dist" / "graph.nq"
        quads = replicate(built / "dist" / "graph.nq", nquads, args.times)
        kg = [sys.executable, "-m", "kg", "--project", str(project)]
        floor, _ = seconds([sys.executable, "-c", FLOOR], project)
        first, _ = seconds([*kg, "query", "ASK {}", "--format", "csv"], project, runs=1)
        os.sync()  # what was just written (4 GB) is flushed first: not the queries' cost
        with nquads.open("rb") as lines:
            entity = next(m.group(1).decode() for line in lines if (m := OBJECT.match(line)))
        selective = f"SELECT ?claim WHERE {{ ?claim biolink:object <{entity}> }} ORDER BY ?claim"
        chosen, answer = seconds([*kg, "query", selective, "--format", "csv"], project)
        claim = answer.splitlines()[1].decode()
        one = f"SELECT ?p ?o WHERE {{ <{claim}> ?p ?o }}"
        single, _ = seconds([*kg, "query", one, "--format", "csv"], project)
        show, _ = seconds([*kg, "show", claim], project)
        index = project / ".kg-cache" / "index"
        index_mb = sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) / 2**20
        size_mb = nquads.stat().st_size / 2**20
        shutil.rmtree(index, ignore_errors=True)
    rows = answer.count(b"\n") - 1
    lines = [
        "",
        f"## A release {args.times} times the {built.name} one (`bench/query_replicated.py`)",
        "",
        f"The sources' graphs of its graph.nq written {args.times} times over, each copy's "
        "minted IRIs renamed (the entities shared by all copies), its shared graphs once: not "
        "a release kg built, a file of that size "
        f"for the index's cost alone. {quads} quads, {size_mb:.0f} MB; the index "
        f"{index_mb:.0f} MB. Load average {os.getloadavg()[0]:.1f}. Seconds, median of 5.",
        "",
        "| floor s | first (makes the index) s | one claim's triples s | ratio to floor | "
        "`kg show` of a claim s | one entity's claims s | rows |",
        "|---|---|---|---|---|---|---|",
        f"| {floor:.2f} | {first:.1f} | {single:.2f} | {single / floor:.1f} | {show:.2f} | "
        f"{chosen:.2f} | {rows} |",
    ]
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
