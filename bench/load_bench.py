"""Loading a synthetic release of about 1M triples into Oxigraph and Virtuoso by each path:
wall time and peak memory (RSS) of the loading process. Writes bench/load-results.md.

Paths: `kg load` over the Graph Store Protocol into each store; Oxigraph's own `oxigraph load`;
`kg load --virtuoso-bulk` (isql ld_dir + rdf_loader_run, then a check). Servers run on
127.0.0.1 with free ports and are stopped by PID. Needs virtuoso-opensource-7-bin.

    python bench/load_bench.py [--triples 1000000]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from servers import (  # noqa: E402
    VIRTUOSO_DBA_PASSWORD,
    VIRTUOSO_LOADER,
    oxigraph_server,
    virtuoso_server,
)
from synthetic import write_synthetic_release  # noqa: E402

RESULTS = ROOT / "bench" / "load-results.md"


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MiB) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{command[:4]} failed: {error[-500:]}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--triples", type=int, default=1_000_000)
    count_wanted = parser.parse_args().triples
    kg = [sys.executable, "-m", "kg", "--project", str(ROOT), "load"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-load-bench-") as tmp:
        work = Path(tmp)
        release = work / "release"
        count = write_synthetic_release(ROOT / "dist", release, count_wanted)
        size = (release / "graph.nt").stat().st_size / 2**20
        oxigraph = str(Path(sys.executable).parent / "oxigraph")
        seconds, rss = measure(
            [
                oxigraph,
                "load",
                "--location",
                str(work / "native"),
                "--file",
                str(release / "graph.nt"),
            ]
        )
        native_oxigraph = seconds
        rows.append(("Oxigraph", "`oxigraph load` (native bulk)", seconds, rss, None))
        seconds, rss = measure(
            [*kg, "--oxigraph-location", str(work / "kg-bulk"), "--data", str(release)]
        )
        rows.append(
            (
                "Oxigraph",
                "`kg load --oxigraph-location` (oxigraph load, checked)",
                seconds,
                rss,
                seconds / native_oxigraph,
            )
        )
        with oxigraph_server(work / "oxigraph") as server:
            seconds, rss = measure([*kg, server.store, "--data", str(release), "--timeout", "600"])
            rows.append(
                (
                    "Oxigraph",
                    "`kg load` (GSP PUT, named graph, checked)",
                    seconds,
                    rss,
                    seconds / native_oxigraph,
                )
            )
            fast = [
                *kg,
                server.store,
                "--data",
                str(release),
                "--timeout",
                "600",
                "--no-transaction",
                "--graph",
                "https://example.org/bench-fast",
            ]
            for label in (
                "`kg load --no-transaction` (POST into an empty graph, checked)",
                "`kg load --no-transaction` again (DELETE 1M, then POST, checked)",
            ):
                seconds, rss = measure(fast)
                rows.append(("Oxigraph", label, seconds, rss, seconds / native_oxigraph))
        with virtuoso_server(work / "virtuoso") as server:
            env = {**os.environ, "KG_PASSWORD": VIRTUOSO_DBA_PASSWORD}
            shutil.copyfile(release / "graph.nt", server.load_dir / "native.nt")
            script = (
                f"ld_dir('{server.load_dir}', 'native.nt', 'https://example.org/native'); "
                "rdf_loader_run(); checkpoint;"
            )
            seconds, rss = measure(
                ["isql-vt", server.isql, "dba", VIRTUOSO_DBA_PASSWORD, f"EXEC={script}"]
            )
            native_virtuoso = seconds
            rows.append(
                ("Virtuoso", "isql `ld_dir` + `rdf_loader_run` (native bulk)", seconds, rss, None)
            )
            seconds, rss = measure(
                [
                    *kg,
                    "--virtuoso-bulk",
                    server.isql,
                    "--load-dir",
                    str(server.load_dir),
                    "--user",
                    "dba",
                    "--data",
                    str(release),
                    "--timeout",
                    "600",
                ],
                env,
            )
            rows.append(
                (
                    "Virtuoso",
                    "`kg load --virtuoso-bulk` (ld_dir, checked)",
                    seconds,
                    rss,
                    seconds / native_virtuoso,
                )
            )
            env["KG_PASSWORD"] = VIRTUOSO_LOADER[1]
            seconds, rss = measure(
                [
                    *kg,
                    server.gsp,
                    "--user",
                    VIRTUOSO_LOADER[0],
                    "--data",
                    str(release),
                    "--timeout",
                    "600",
                ],
                env,
            )
            rows.append(
                (
                    "Virtuoso",
                    "`kg load` (GSP PUT, digest, checked)",
                    seconds,
                    rss,
                    seconds / native_virtuoso,
                )
            )
    table = [
        f"| {store} | {path} | {s:.1f} s | {m:.0f} MiB | {'' if r is None else f'{r:.2f}'} |"
        for store, path, s, m, r in rows
    ]
    report = "\n".join(
        [
            "# Load benchmarks: a synthetic release into real stores",
            "",
            f"{count} triples ({size:.0f} MiB of N-Triples), Python {platform.python_version()}, "
            f"{os.cpu_count()} cores; one run each (`python bench/load_bench.py`). Peak RSS is the "
            "loading process's own (the servers' memory is not counted).",
            "",
            "| store | path | wall time | peak RSS | vs native bulk |",
            "|---|---|---|---|---|",
            *table,
            "",
        ]
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
