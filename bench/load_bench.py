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
    load = [sys.executable, "-m", "kg", "--project", str(ROOT), "load", "--timeout", "600"]
    rows: list[tuple[str, str, float, float, float | None]] = []

    def record(
        store: str,
        path: str,
        command: list[str],
        *,
        native: float | None = None,
        env: dict[str, str] | None = None,
    ) -> float:
        seconds, rss = measure(command, env)
        rows.append((store, path, seconds, rss, None if native is None else seconds / native))
        return seconds

    with tempfile.TemporaryDirectory(prefix="kg-load-bench-") as tmp:
        work = Path(tmp)
        release = work / "release"
        count = write_synthetic_release(ROOT / "dist", release, count_wanted)
        size = (release / "graph.nt").stat().st_size / 2**20
        data = ["--data", str(release)]
        oxigraph = str(Path(sys.executable).parent / "oxigraph")
        native = record(
            "Oxigraph",
            "`oxigraph load` (native bulk)",
            [
                oxigraph,
                "load",
                "--location",
                str(work / "native"),
                "--file",
                str(release / "graph.nt"),
            ],
        )
        record(
            "Oxigraph",
            "`kg load --oxigraph-location` (oxigraph load, checked)",
            [*load, "--oxigraph-location", str(work / "kg-bulk"), *data],
            native=native,
        )
        with oxigraph_server(work / "oxigraph") as server:
            record(
                "Oxigraph",
                "`kg load` (GSP PUT, named graph, checked)",
                [*load, server.store, *data],
                native=native,
            )
            fast = [
                *load,
                server.store,
                *data,
                "--no-transaction",
                "--graph",
                "https://example.org/bench-fast",
            ]
            record(
                "Oxigraph",
                "`kg load --no-transaction` (POST into an empty graph, checked)",
                fast,
                native=native,
            )
            record(
                "Oxigraph",
                "`kg load --no-transaction` again (DELETE 1M, then POST, checked)",
                fast,
                native=native,
            )
        with virtuoso_server(work / "virtuoso") as server:
            dba = {**os.environ, "KG_PASSWORD": VIRTUOSO_DBA_PASSWORD}
            shutil.copyfile(release / "graph.nt", server.load_dir / "native.nt")
            script = (
                f"ld_dir('{server.load_dir}', 'native.nt', 'https://example.org/native'); "
                "rdf_loader_run(); checkpoint;"
            )
            native = record(
                "Virtuoso",
                "isql `ld_dir` + `rdf_loader_run` (native bulk)",
                ["isql-vt", server.isql, "dba", VIRTUOSO_DBA_PASSWORD, f"EXEC={script}"],
            )
            record(
                "Virtuoso",
                "`kg load --virtuoso-bulk` (ld_dir, checked)",
                [
                    *load,
                    "--virtuoso-bulk",
                    server.isql,
                    "--load-dir",
                    str(server.load_dir),
                    "--user",
                    "dba",
                    *data,
                ],
                native=native,
                env=dba,
            )
            loader = {**os.environ, "KG_PASSWORD": VIRTUOSO_LOADER[1]}
            record(
                "Virtuoso",
                "`kg load` (GSP PUT, digest, checked)",
                [*load, server.gsp, "--user", VIRTUOSO_LOADER[0], *data],
                native=native,
                env=loader,
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
