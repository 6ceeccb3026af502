"""A synthetic corpus of N sources made from the real one, for the scale benchmarks.

Not N identical copies: each source is the real page under a new DOI and PMID, its abstract
padded by a varying number of sentences (so text lengths and offsets differ), with a varying
subset of the real claims (at least five), some of them about one of the synthetic conditions
the catalogue gains as N grows (one per ten sources), with varied doses. Every source is valid;
``--invalid K`` plants K sources whose graph breaks a shape (a knowledge level outside Biolink's
enumeration), so that the benchmark also measures a build that fails.

    python bench/corpus.py OUT_DIR --sources N [--invalid K] [--seed S]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import random
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
REAL = "sources/pubmed-22870448"
REAL_DOI = "10.1177/1759720X10372551"
COPIED = ("catalogue", "ontology", "shapes")


def write_corpus(out: Path, sources: int, *, invalid: int = 0, seed: int = 1) -> list[str]:
    """Write a project of ``sources`` synthetic sources (plus the real one) into ``out``;
    return the source folders, as dataset.yaml lists them."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for item in COPIED:
        shutil.copytree(ROOT / item, out / item)
    shutil.copytree(ROOT / REAL, out / REAL)
    conditions = max(1, sources // 10)
    _add_conditions(out / "catalogue" / "entities.yaml", conditions)
    text = (ROOT / REAL / "source.txt").read_text(encoding="utf-8")
    meta = yaml.safe_load((ROOT / REAL / "source.yaml").read_text(encoding="utf-8"))
    claims = yaml.safe_load((ROOT / REAL / "claims.yaml").read_text(encoding="utf-8"))["claims"]
    folders = [REAL]
    for index in range(sources):
        broken = index < invalid
        folders.append(_write_source(out, index, text, meta, claims, conditions, broken, rng))
    dataset = yaml.safe_load((ROOT / "dataset.yaml").read_text(encoding="utf-8"))
    dataset["sources"] = folders
    (out / "dataset.yaml").write_text(yaml.safe_dump(dataset, sort_keys=False), encoding="utf-8")
    return folders


def _add_conditions(entities: Path, count: int) -> None:
    """Grow the catalogue: synthetic conditions with minted IRIs (no external identifier)."""
    lines = [entities.read_text(encoding="utf-8").rstrip("\n"), ""]
    for k in range(count):
        lines += [
            f"  - key: synthetic-condition-{k}",
            f"    label: synthetic condition {k}",
            "    category: [biolink:Disease]",
            f"    description: A condition made up for the scale benchmark ({k}).",
            "",
        ]
    entities.write_text("\n".join(lines), encoding="utf-8")


def _write_source(
    out: Path,
    index: int,
    text: str,
    meta: dict[str, Any],
    claims: list[dict[str, Any]],
    conditions: int,
    broken: bool,
    rng: random.Random,
) -> str:
    key = f"synthetic-{index:06d}"
    folder = out / "sources" / key
    folder.mkdir(parents=True)
    doi = f"10.5555/kg-synthetic.{index:06d}"
    padding = "".join(
        f" A synthetic sentence, number {n} of source {index}, pads the abstract."
        for n in range(rng.randrange(0, 12))
    )
    page = text.replace(REAL_DOI, doi)
    abstract_end = page.index(" events were mild to moderate")  # inside the one abstract line
    end_of_line = page.index("\n", abstract_end)
    page = page[:end_of_line] + padding + page[end_of_line:]
    data = page.encode("utf-8")
    (folder / "source.txt").write_bytes(data)
    source = copy.deepcopy(meta)
    source["key"] = key
    source["sha256"] = hashlib.sha256(data).hexdigest()
    source["article"]["id"] = f"doi:{doi}"
    source["article"]["pmid"] = f"pubmed:{90000000 + index}"
    source["article"].pop("pmcid", None)
    (folder / "source.yaml").write_text(yaml.safe_dump(source, sort_keys=False), encoding="utf-8")
    chosen = [copy.deepcopy(c) for c in claims if rng.random() < 0.7] or copy.deepcopy(claims)
    if len(chosen) < 5:
        chosen = copy.deepcopy(claims[:5])
    condition = f"synthetic-condition-{rng.randrange(conditions)}"
    for claim in chosen:
        if claim["object"] == "fibromyalgia" and rng.random() < 0.5:
            claim["object"] = condition
        for dose in (claim.get("qualifiers") or {}).get("doses", []):
            dose["value"] = dose["value"] + 25 * rng.randrange(0, 4)
    if broken:
        chosen[0]["knowledge_level"] = "hunch"
    (folder / "claims.yaml").write_text(
        yaml.safe_dump({"claims": chosen}, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    return f"sources/{key}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--sources", type=int, required=True)
    parser.add_argument("--invalid", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folders = write_corpus(args.out, args.sources, invalid=args.invalid, seed=args.seed)
    print(f"wrote {len(folders)} sources to {args.out}")


if __name__ == "__main__":
    main()
