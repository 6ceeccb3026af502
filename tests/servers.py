"""Real servers for the tests: Oxigraph's server, OpenLink Virtuoso 7, Apache httpd and a Dask
cluster, each started on 127.0.0.1 with free ports, waited for with a bounded loop that notices
a dead child, and stopped by its own PID (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

APACHE_MODULES = Path("/usr/lib/apache2/modules")  # Debian's apache2
VIRTUOSO_DBA_PASSWORD = "kg-test-dba-secret"
VIRTUOSO_LOADER = ("kgload", "kg-test-load-secret")
VIRTUOSO_MAX_ROWS = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    """Wait until ``url`` answers 200, failing early if the server process dies."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop a server by its own PID: SIGTERM, then SIGKILL after ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


#: Python run as a terminal starts a program: SIGINT delivered, and turned into
#: KeyboardInterrupt. A process inherits an ignored or blocked SIGINT from whoever started it (a
#: job put in the background by a shell without job control ignores it, as POSIX says, and so
#: does everything it starts), and Python then never installs its handler: kg rightly stays deaf
#: to a Ctrl-C it was started without, so tests of Ctrl-C start it with SIGINT as a user's has.
_INTERRUPTIBLE = (
    "import runpy, signal, sys\n"
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "target = sys.argv.pop(1)\n"
    "sys.argv[0] = target\n"
    "if target.endswith('.py'):\n"
    "    runpy.run_path(target, run_name='__main__')\n"
    "else:\n"
    "    runpy.run_module(target, run_name='__main__', alter_sys=True)\n"
)


def interruptible(target: str, *args: str) -> list[str]:
    """The command that runs the module or script ``target`` with ``args`` in this Python, with
    SIGINT as a terminal's Ctrl-C delivers it (``interruptible("kg", "query", ...)``)."""
    return [sys.executable, "-c", _INTERRUPTIBLE, target, *args]


def ended(process: subprocess.Popen[Any], timeout: float) -> tuple[Any, Any]:
    """``process.communicate(timeout=...)``; a kg that has not ended by then fails the test
    with where each of its threads was (kg prints its threads' stacks on SIGUSR1), and is
    killed."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)
        time.sleep(1)
        process.kill()
        _, stderr = process.communicate()
        text = stderr if isinstance(stderr, str) else (stderr or b"").decode("utf-8", "replace")
        pytest.fail(f"kg did not end within {timeout:g} s; its threads then:\n{text[-8000:]}")


def executable(name: str) -> str:
    """A server's executable; missing in CI is a failure, elsewhere a skip that says why."""
    found = (
        shutil.which(name)
        or shutil.which(name, path=str(Path(sys.executable).parent))
        or shutil.which(name, path="/usr/sbin:/sbin")  # nginx, for a user without sbin
    )
    if found is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


NO_DOT = "Graphviz's dot is not installed (.ci/run installs it): the site's pictures need it"
#: Whether this machine has Graphviz's dot (looked up before any test hides it from PATH).
HAS_DOT = shutil.which("dot") is not None


def skip_without_dot(output: str) -> None:
    """Skip (fail in CI) a test whose kg, run in a process or in-process, said in ``output``
    that Graphviz's dot is not installed, on a machine without it."""
    if not HAS_DOT and "Graphviz's dot is not installed" in output:
        if os.environ.get("CI"):
            pytest.fail(NO_DOT)
        pytest.skip(NO_DOT)


@dataclass(frozen=True)
class Oxigraph:
    url: str

    @property
    def store(self) -> str:
        return f"{self.url}/store"

    @property
    def query(self) -> str:
        return f"{self.url}/query"


@contextmanager
def oxigraph_server(location: Path, *, read_only: bool = False) -> Iterator[Oxigraph]:
    port = free_port()
    command = [
        executable("oxigraph"),
        "serve-read-only" if read_only else "serve",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/query?query=ASK%7B%7D", process)
        yield Oxigraph(url)
    finally:
        stop(process)


@dataclass(frozen=True)
class Virtuoso:
    http: str
    isql: str
    load_dir: Path

    @property
    def gsp(self) -> str:
        return f"{self.http}/sparql-graph-crud-auth"

    @property
    def sparql(self) -> str:
        return f"{self.http}/sparql"


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
DirsAllowed = ., {load}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 0
SchedulerInterval = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerThreads = 4
MaxKeepAlives = 10
KeepAliveTimeout = 10

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 60
"""


@contextmanager
def virtuoso_server(folder: Path) -> Iterator[Virtuoso]:
    """A fresh Virtuoso: dba's password changed, dav disabled, a loader holding SPARQL_UPDATE."""
    virtuoso, isql = executable("virtuoso-t"), executable("isql-vt")
    db, load = folder / "db", folder / "load"
    db.mkdir(parents=True)
    load.mkdir()
    isql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(
            db=db, load=load, isql_port=isql_port, http_port=http_port, max_rows=VIRTUOSO_MAX_ROWS
        )
    )
    process = subprocess.Popen(
        [virtuoso, "+foreground", "+configfile", str(ini)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        http = f"http://127.0.0.1:{http_port}"
        wait_for(f"{http}/sparql?query=ASK%7B%7D", process, seconds=60)
        address = f"127.0.0.1:{isql_port}"
        user, password = VIRTUOSO_LOADER
        secure = (
            f"USER_CHANGE_PASSWORD('dba', 'dba', '{VIRTUOSO_DBA_PASSWORD}'); "
            "USER_SET_OPTION('dav', 'DISABLED', 1); "
            f"DB.DBA.USER_CREATE('{user}', '{password}'); GRANT SPARQL_UPDATE TO \"{user}\";"
        )
        subprocess.run(
            [isql, address, "dba", "dba", f"EXEC={secure}"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield Virtuoso(http, address, load)
    finally:
        stop(process)


APACHE_CONF = """\
ServerRoot {work}
DefaultRuntimeDir {work}
PidFile {work}/httpd.pid
ErrorLog {work}/error.log
LogLevel warn
Listen 127.0.0.1:{port}
ServerName 127.0.0.1:{port}
{modules}
TypesConfig /dev/null
{user}
DocumentRoot {root}
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {root}>
    AllowOverride All
    Require all granted
</Directory>
"""


@contextmanager
def apache_server(site: Path, port: int) -> Iterator[str]:
    """Debian's Apache httpd on 127.0.0.1:``port`` serving a copy of the folder ``site`` as its
    DocumentRoot, the ``.htaccess`` in it evaluated (mod_rewrite, mod_headers, mod_mime;
    AllowOverride All), from an httpd.conf of its own, its pid file and logs beside the copy.
    As root, Apache answers as nobody (it refuses to serve as root): the copy is then made in
    /tmp, readable by all, rather than in the test's private folder."""
    binary = executable("apache2")
    modules = [APACHE_MODULES / f"mod_{name}.so" for name in _APACHE_MODULES]
    missing = [str(module) for module in modules if not module.is_file()]
    if missing:
        message = f"Apache's modules are missing: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root_user = os.geteuid() == 0
    work = Path(tempfile.mkdtemp(prefix="kg-apache-", dir="/tmp" if root_user else site.parent))
    try:
        root = work / "site"
        shutil.copytree(site, root)
        if root_user:
            _readable_by_all(work)
        conf = work / "httpd.conf"
        conf.write_text(
            APACHE_CONF.format(
                work=work,
                port=port,
                root=root,
                modules="\n".join(
                    f"LoadModule {name}_module {path}"
                    for name, path in zip(_APACHE_MODULES, modules, strict=True)
                ),
                user="User #65534\nGroup #65534" if root_user else "",
            ),
            encoding="utf-8",
        )
        process = subprocess.Popen(
            [binary, "-f", str(conf), "-DFOREGROUND"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for(f"{url}/index.html", process)
            yield url
        finally:
            stop(process)
    finally:
        shutil.rmtree(work, ignore_errors=True)


_APACHE_MODULES = ("mpm_event", "authz_core", "rewrite", "headers", "mime")


def _readable_by_all(folder: Path) -> None:
    """Let any user read the files under ``folder`` (Apache's root opens its logs first)."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        mode = path.stat().st_mode
        extra = stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0)
        path.chmod(mode | extra)


@contextmanager
def listener(*, reply: bytes = b"", hold: bool = False) -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on 127.0.0.1, on a free port, that records what each connection sends
    (``b"(connected)"`` for nothing), then sends ``reply`` and closes it; with ``hold`` it keeps
    the connection open without a word (a server that hangs). Yields (port, received)."""
    received: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.settimeout(0.5)
            try:
                received.append(conn.recv(65536) or b"(connected)")
            except OSError:
                received.append(b"(connected)")
            if hold:
                held.append(conn)
                continue
            with conn:
                if reply:
                    conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


@dataclass(frozen=True)
class DaskCluster:
    address: str


@contextmanager
def dask_cluster(folder: Path, workers: int = 2) -> Iterator[DaskCluster]:
    """A Dask distributed scheduler and ``workers`` worker processes on 127.0.0.1, free ports,
    no dashboard; waited for with a bounded loop, stopped by their own PIDs."""
    dask = executable("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = folder / "dask.log"
    folder.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        scheduler = subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=out,
            stderr=out,
            cwd=folder,
        )
        worker = subprocess.Popen(
            [
                dask,
                "worker",
                address,
                "--nworkers",
                str(workers),
                "--nthreads",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--local-directory",
                str(folder),
            ],
            stdout=out,
            stderr=out,
            cwd=folder,
        )
    try:
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            for process in (scheduler, worker):
                if process.poll() is not None:
                    raise RuntimeError(f"dask exited early: {log.read_text()[-2000:]}")
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(workers, timeout=max(1, deadline - time.monotonic()))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield DaskCluster(address)
    finally:
        stop(worker)
        stop(scheduler)
