"""Cold wall time of `kg build` and of `kg query` on a competency question.

Each run is a new process (imports included), as a user runs it. Writes the medians to
bench/results.md. Targets on a 2-core machine (issue 9): kg build under 1.5 s cold and 0.8 s on an
unchanged project (every verdict cached), kg query under 1 s.

    python bench/bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.md"


def wall_times(command: list[str], runs: int) -> list[float]:
    """Wall times of ``runs`` runs, after one untimed run (which fills a cache it uses)."""
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    kg = [sys.executable, "-m", "kg"]
    out = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    try:
        cache = out.parent / f"{out.name}-cache"
        cases = {
            # cold: no verdict kept; unchanged: the second and later builds with a cache
            "kg build --no-cache (cold)": ([*kg, "build", "--out", str(out), "--no-cache"], 1.5),
            "kg build (unchanged project)": (
                [*kg, "build", "--out", str(out), "--cache", str(cache)],
                0.8,
            ),
            "kg query @queries/approved-for.rq": (
                [*kg, "query", "@queries/approved-for.rq", "--format", "csv"],
                1.0,
            ),
            "kg validate": ([*kg, "validate"], None),
        }
        rows = []
        for name, (command, target) in cases.items():
            times = wall_times(command, runs)
            median = statistics.median(times)
            verdict = "" if target is None else ("met" if median < target else "MISSED")
            rows.append(
                f"| `{name}` | {median:.2f} s | {min(times):.2f} s | {max(times):.2f} s "
                f"| {'' if target is None else f'< {target:g} s'} | {verdict} |"
            )
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    report = "\n".join(
        [
            "# Benchmarks: cold wall time (new process per run)",
            "",
            f"Python {platform.python_version()} on {platform.machine()}, "
            f"{runs} runs each; written by `python bench/bench.py`.",
            "",
            "| command | median | min | max | target | |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
