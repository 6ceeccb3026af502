"""Oxigraph's own command: its bulk loader into a store folder (``kg load --oxigraph-location``),
run so that a failure is one line, never a Rust backtrace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from kg.sparql.endpoint import EndpointError
from kg.sparql.query import run_query

__all__ = ["bulk_load", "executable", "run"]

#: Oxigraph prints a Rust backtrace with its errors when these ask for one: never.
_QUIET = {"RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}


def executable() -> str:
    """The ``oxigraph`` command, on PATH or beside this Python."""
    found = shutil.which("oxigraph") or shutil.which(
        "oxigraph", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise EndpointError("the oxigraph command is not installed (pip install oxigraph)")
    return found


def _environment() -> dict[str, str]:
    return {**os.environ, **_QUIET}


def _error_line(output: str) -> str:
    """Oxigraph's own message (the line that starts with ``Error:``), without the backtrace."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    found = next((line for line in lines if line.startswith("Error:")), lines[0] if lines else "")
    return found.removeprefix("Error:").strip()[:200] or "failed"


def run(command: list[str], where: Path) -> None:
    """Run one ``oxigraph`` subcommand on a store folder; a failure is one line."""
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, env=_environment()
    )
    if result.returncode == 0:
        return
    message = _error_line(result.stderr)
    if "lock" in message.lower():
        raise EndpointError(
            f"{where}: the store folder is locked by another process (an Oxigraph server?): "
            "stop it, or load through its HTTP endpoint (kg load URL)"
        )
    raise EndpointError(f"{where}: oxigraph {command[1]}: {message}")


def bulk_load(
    location: Path, source: Path, expected: dict[str, int], *, graph: str | None
) -> dict[str, int]:
    """Replace the graphs of ``expected`` in an Oxigraph store folder that no server holds with
    the content of ``source`` (``oxigraph load``, the native bulk path); return what the store
    then holds in each of them."""
    oxigraph = executable()
    drops = " ; ".join(
        f"DROP SILENT GRAPH <{name}>" if name else "DROP SILENT DEFAULT" for name in expected
    )
    run([oxigraph, "update", "--location", str(location), "--update", drops], location)
    command = [oxigraph, "load", "--location", str(location), "--file", str(source)]
    if graph:
        command += ["--graph", graph]
    run(command, location)
    store = ox.Store(str(location))
    found = {}
    for name in expected:
        pattern = f"GRAPH <{name}> {{ ?s ?p ?o }}" if name else "?s ?p ?o"
        result = run_query(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", union=False)
        assert isinstance(result, ox.QuerySolutions)
        found[name] = int(next(iter(result))["n"].value)
    del store  # closes the database
    return found
