"""The release as a WSGI application (kg.web.app): the pure request -> answer function, the
WSGI callable, and the application under a production WSGI server (waitress), as a user
deploys it. kg serve runs the same application (test_serve.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from servers import free_port, stop, wait_for

from kg.web.app import MAX_QUERY, App, create_app

pytestmark = pytest.mark.stores
HOST = "kg.test"
CLAIM = "/id/pubmed-22870448/claim/snri-class"


@pytest.fixture(scope="module")
def app(release: Path) -> Iterator[App]:
    made = create_app(release, hosts=[HOST])
    yield made
    made.close()
    assert made.folder is not None and not made.folder.exists(), "close() removes the store"


def call(
    app: App,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    host: str = HOST,
    stream: io.BytesIO | None = None,
    **headers: str,
) -> tuple[str, dict[str, str], bytes]:
    """One request to the WSGI callable, as a WSGI server makes it."""
    route, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.input": stream if stream is not None else io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "HTTP_HOST": host,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    found: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        found["status"], found["headers"] = status, dict(response_headers)

    chunks = app(environ, start_response)
    return found["status"], found["headers"], b"".join(chunks)


def test_a_resource_answers_303_to_its_document(app: App) -> None:
    status, headers, _ = call(app, "GET", CLAIM, accept="text/turtle")
    assert status.startswith("303") and headers["Location"].endswith(".ttl")
    document = headers["Location"]
    status, headers, body = call(app, "GET", document)
    assert status.startswith("200") and headers["Content-Type"].startswith("text/turtle")
    assert b"snri-class" in body
    status, headers, body = call(app, "HEAD", document)
    assert status.startswith("200") and body == b"" and int(headers["Content-Length"]) > 0


def test_the_endpoint_answers_and_refuses(app: App) -> None:
    status, _, body = call(
        app,
        "GET",
        "/query?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
        accept="application/sparql-results+json",
    )
    assert status.startswith("200") and b'"boolean":true' in body.replace(b" ", b"")
    assert call(app, "GET", "/query?query=CLEAR%20ALL")[0].startswith("403")
    # the release's prefixes are predeclared, as kg query declares them
    negated = "ASK%20%7B%20%3Fc%20kgo%3AepistemicStatus%20kgo%3ANegated%20%7D"
    status, _, body = call(
        app, "GET", f"/query?query={negated}", accept="application/sparql-results+json"
    )
    assert status.startswith("200"), body
    assert b'"boolean":true' in body.replace(b" ", b"")
    assert call(app, "GET", "/", host="evil.example")[0].startswith("421")
    status, headers, _ = call(app, "HEAD", "/query")
    assert status.startswith("405") and headers["Allow"] == "GET, POST"
    assert call(app, "DELETE", "/")[0].startswith("405")
    # the protocol's update operation is refused as read-only, not as a missing query
    update = b"update=DELETE%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D"
    form = "application/x-www-form-urlencoded"
    status, _, _ = call(
        app, "POST", "/query", body=update, content_length=str(len(update)), content_type=form
    )
    assert status.startswith("403")
    sparql = b"DELETE WHERE { ?s ?p ?o }"
    status, _, _ = call(
        app,
        "POST",
        "/query",
        body=sparql,
        content_length=str(len(sparql)),
        content_type="application/sparql-update",
    )
    assert status.startswith("403")


def test_a_bad_body_is_refused_before_it_is_read(app: App) -> None:
    form = "application/x-www-form-urlencoded"
    status, _, _ = call(app, "POST", "/query", content_length="-1", content_type=form)
    assert status.startswith("400")  # a negative length never disables the limit
    too_long = str(MAX_QUERY + 1)
    status, _, _ = call(app, "POST", "/query", content_length=too_long, content_type=form)
    assert status.startswith("413")
    body = b"query=ASK%7B%7D"
    status, _, answered = call(
        app, "POST", "/query", body=body, content_length=str(len(body)), content_type=form
    )
    assert status.startswith("200"), answered


def test_under_waitress_as_a_user_deploys_it(release: Path, tmp_path: Path) -> None:
    """``KG_RELEASE=dist KG_HOSTS=... waitress-serve --call kg.web.app:create_app``."""
    port = free_port()
    waitress = Path(sys.executable).parent / "waitress-serve"
    env = {
        **os.environ,
        "KG_RELEASE": str(release),
        "KG_HOSTS": f"127.0.0.1:{port}",
        "TMPDIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [str(waitress), "--host", "127.0.0.1", f"--port={port}", "--call", "kg.web.app:create_app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/index.html", process, seconds=60)
        url = f"http://127.0.0.1:{port}"
        found = requests.get(url + CLAIM, headers={"Accept": "text/turtle"}, timeout=30)
        assert found.status_code == 200 and found.url.endswith(".ttl")
        answer = requests.get(
            url + "/query",
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
            headers={"Accept": "text/csv"},
            timeout=30,
        )
        assert answer.status_code == 200 and answer.text.split()[0] == "n"
        refused = requests.get(url + "/", headers={"Host": "evil.example"}, timeout=30)
        assert refused.status_code == 421
    finally:
        stop(process)


def test_a_killed_application_s_store_is_removed_by_the_next(release: Path, tmp_path: Path) -> None:
    """SIGKILL leaves the temporary store behind; the next application removes it."""
    import tempfile

    from kg.web.app import OWNER, PREFIX

    left = Path(tempfile.mkdtemp(prefix=PREFIX))
    (left / OWNER).write_text("999999999", encoding="ascii")  # no such process
    made = create_app(release, hosts=[HOST])
    try:
        assert not left.exists()
    finally:
        made.close()


def test_hostile_requests_meet_no_file_and_no_body_is_read(app: App) -> None:
    """Issue 19's probes: a path too long for the file system is not found (it raised
    OSError); a request for another Host is refused before its body is read (even a huge
    one); a chunked body is refused (411) rather than read as the next request."""
    for path in ("/id/" + "a" * 300, "/doc/" + "a" * 300 + ".ttl", "/download/" + "a" * 300):
        assert call(app, "GET", path)[0].startswith("404"), path

    class Unreadable(io.BytesIO):
        def read(self, *args: object) -> bytes:
            raise AssertionError("the body of a request for another host was read")

    unreadable = Unreadable(b"x" * 10)
    status, _, _ = call(
        app, "POST", "/query", host="evil.example", content_length="10", stream=unreadable
    )
    assert status.startswith("421")
    status, _, _ = call(app, "POST", "/query", transfer_encoding="chunked")
    assert status.startswith("411")
