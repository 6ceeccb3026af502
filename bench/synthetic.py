"""A synthetic release in the shape of the real one, of about N triples, for load benchmarks.

The per-source graph of the template release (claims, evidence, selectors, source text, article)
is repeated under new source keys, each copy in a named graph of its own; the catalogue,
ontology and dataset-description graphs are written once. Written as it is generated (graph.nq
and graph.nt), so a release of millions of triples never stands in memory.

    python bench/synthetic.py OUT_DIR [--triples 1000000]
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_GRAPH = re.compile(r"<https://w3id\.org/drugclaims/id/([^/>]+)/graph> \.$")


def write_synthetic_release(template: Path, out: Path, triples: int) -> int:
    """Write graph.nq, graph.nt (and the template's other files) of about ``triples`` triples
    into ``out``; return the number of triples written to graph.nt."""
    lines = (template / "graph.nq").read_text(encoding="utf-8").splitlines()
    per_source = [line for line in lines if SOURCE_GRAPH.search(line)]
    key = SOURCE_GRAPH.search(per_source[0]).group(1)  # type: ignore[union-attr]
    varying = [line for line in per_source if key in line.rsplit(" <", 1)[0]]
    repeated = set(varying)
    shared = [line for line in lines if line not in repeated]
    copies = max(1, (triples - len(shared)) // len(varying))
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    with (
        open(out / "graph.nq", "w", encoding="utf-8") as nq,
        open(out / "graph.nt", "w", encoding="utf-8") as nt,
    ):
        for line in shared:
            nq.write(line + "\n")
            nt.write(_triple(line) + "\n")
            written += 1
        for index in range(copies):
            name = f"synthetic-{index:07d}"
            for line in varying:
                copy = line.replace(key, name)
                nq.write(copy + "\n")
                nt.write(_triple(copy) + "\n")
                written += 1
    for extra in ("context.jsonld",):
        shutil.copyfile(template / extra, out / extra)
    return written


def _triple(quad_line: str) -> str:
    """An N-Quads line without its graph name (the graph IRIs here hold no spaces)."""
    body = quad_line[: -len(" .")]
    return body.rsplit(" ", 1)[0] + " ."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--triples", type=int, default=1_000_000)
    args = parser.parse_args()
    count = write_synthetic_release(ROOT / "dist", args.out, args.triples)
    print(f"wrote {count} triples to {args.out}")


if __name__ == "__main__":
    main()
