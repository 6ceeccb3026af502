"""Oxigraph's own command: its bulk loader into a store folder, and a local read-only server
over the release (``kg serve``) that leaves nothing behind, however it is stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pyoxigraph as ox

from kg.endpoint import EndpointError
from kg.processes import die_with_parent, stop_process
from kg.query import run_query

__all__ = ["LOOPBACK", "bulk_load", "executable", "serve"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: Oxigraph prints a Rust backtrace with its errors when these ask for one: never.
_QUIET = {"RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}
_STARTUP_S = 60.0
_PREFIX = "kg-serve-"
_OWNER = "kg.pid"


class Stopped(BaseException):
    """SIGTERM or SIGHUP reached ``kg serve``: stop the server and clean up, like Ctrl-C."""


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


def serve(release: Path, host: str, port: int, timeout_s: int) -> int:
    """Serve the release read-only over SPARQL (Oxigraph's server) until stopped.

    Checks that host:port is free, loads graph.nq into a temporary store, starts
    ``oxigraph serve-read-only`` with a query timeout, waits until it answers, and only then
    prints the URL. Ctrl-C, SIGTERM and SIGHUP stop the server and remove the store; the server
    also dies if kg is killed outright (SIGKILL). Returns the exit code for kg.

    :raises EndpointError: the port is taken, or the server could not start
    """
    oxigraph = executable()
    _check_port(host, port)
    _remove_orphans()
    folder = Path(tempfile.mkdtemp(prefix=_PREFIX))
    (folder / _OWNER).write_text(str(os.getpid()), encoding="ascii")
    server: subprocess.Popen[bytes] | None = None
    try:
        with _stopped_by_signals():
            store, log = folder / "store", folder / "server.log"
            run(
                [oxigraph, "load", "--location", str(store), "--file", str(release / "graph.nq")],
                store,
            )
            server = _start(oxigraph, store, log, host, port, timeout_s)
            _wait_until_serving(server, log, host, port)
            _announce(host, port)
            code = server.wait()
            raise EndpointError(
                f"the server stopped on its own: {_error_line(_read(log))} (exit {code})"
            )
    except (KeyboardInterrupt, Stopped):
        return 0
    finally:
        if server is not None:
            stop_process(server, signal.SIGINT)
        shutil.rmtree(folder, ignore_errors=True)


def _remove_orphans() -> None:
    """Remove the temporary stores of earlier ``kg serve`` runs that were killed outright
    (SIGKILL leaves no chance to clean up): those whose owner process is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        try:
            owner = int((folder / _OWNER).read_text(encoding="ascii"))
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):
            continue  # not ours, or its owner lives (another user's, or still running)


def _start(
    oxigraph: str, store: Path, log: Path, host: str, port: int, timeout_s: int
) -> subprocess.Popen[bytes]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    parent = os.getpid()
    with open(log, "wb") as err:
        return subprocess.Popen(
            [
                oxigraph,
                "serve-read-only",
                "--location",
                str(store),
                "--bind",
                bind,
                "--union-default-graph",
                "--timeout-s",
                str(timeout_s),
            ],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
            env=_environment(),
            preexec_fn=lambda: die_with_parent(parent),
        )


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Stopped` here, so that cleanup runs as for Ctrl-C."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signal.Signals(signum).name)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _check_port(host: str, port: int) -> None:
    """Fail before announcing anything when another process listens on host:port."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise EndpointError(f"cannot bind to {host}: {error.strerror}") from error
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise EndpointError(
                f"cannot serve on {host}:{port}: {error.strerror} "
                "(another server uses it? choose another --port)"
            ) from error


def _wait_until_serving(server: subprocess.Popen[bytes], log: Path, host: str, port: int) -> None:
    target = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    deadline = time.monotonic() + _STARTUP_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise EndpointError(
                f"the server did not start on {host}:{port}: {_error_line(_read(log))}"
            )
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise EndpointError(f"the server did not answer on {host}:{port} within {_STARTUP_S:g} s")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _announce(host: str, port: int) -> None:
    url = f"http://{host}:{port}/query"
    print(f"kg: serving the release read-only at {url} (Ctrl-C stops)", file=sys.stderr)
    print(
        f"kg: try: curl -H 'Accept: text/csv' --data-urlencode "
        f"'query=SELECT ?claim ?label WHERE {{ ?claim a "
        f"<https://w3id.org/drugclaims/ontology#Claim> ; "
        f"<http://www.w3.org/2000/01/rdf-schema#label> ?label }}' {url}",
        file=sys.stderr,
    )
    if host not in LOOPBACK:
        print(
            f"kg: warning: bound to {host}, not loopback: anyone who can reach this machine "
            "can query the store (read-only, with a timeout; Oxigraph has no authentication)",
            file=sys.stderr,
        )
    sys.stderr.flush()
