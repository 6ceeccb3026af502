"""The release as a WSGI application (kg.web.app): the pure request -> answer function, the
WSGI callable, and the application under a production WSGI server (waitress), as a user
deploys it. kg serve runs the same application (test_serve.py)."""

from __future__ import annotations

import io
import os
import socket
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
    status, headers, _ = call(app, "DELETE", "/")
    assert status.startswith("405") and headers["Allow"] == "GET, HEAD, POST, OPTIONS"
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
        # a kept-alive client asking only for image/png reads its 406 and goes on
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            stream = sock.makefile("rb")
            host = f"127.0.0.1:{port}"
            status, body = exchange(sock, stream, host, CLAIM, "image/png")
            assert status == 406 and b"application/rdf+xml" in body
            status, body = exchange(sock, stream, host, CLAIM, "text/turtle")
            assert status == 303
        with requests.Session() as session:  # a conditional GET, then more on the connection
            document = session.get(url + "/doc/ontology.ttl", timeout=30)
            tag = document.headers["ETag"]
            again = session.get(
                url + "/doc/ontology.ttl", headers={"If-None-Match": tag}, timeout=30
            )
            assert again.status_code == 304 and again.content == b""
            assert session.get(url + "/doc/ontology.rdf", timeout=30).status_code == 200
    finally:
        stop(process)


def exchange(
    sock: socket.socket, stream: io.BufferedReader, host: str, path: str, accept: str
) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a kept-alive connection, and its answer read by its
    Content-Length (never to the end of the connection: a timeout fails the test)."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\n\r\n"
    sock.sendall(request.encode("ascii"))
    status = int(stream.readline().split()[1])
    headers = {}
    while (line := stream.readline().decode("latin-1").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    assert "content-length" in headers, headers
    return status, stream.read(int(headers["content-length"]))


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


ASK = "/query?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"


def test_head_is_answered_as_get_without_a_body(app: App) -> None:
    """HEAD on the endpoint is GET without the body (it was 405), as on documents."""
    for path in ("/query", ASK):
        _, got, full = call(app, "GET", path, accept="application/sparql-results+json")
        status, headers, body = call(app, "HEAD", path, accept="application/sparql-results+json")
        assert status.startswith("200") and body == b"", path
        assert headers["Content-Type"] == got["Content-Type"]
        assert int(headers["Content-Length"]) == len(full) > 0


def test_cors_on_data_downloads_and_the_endpoint(app: App) -> None:
    """A script on another site may read the data: every document, download and endpoint
    answer (GET, POST, HEAD, and the 303 it follows) says so; an OPTIONS preflight is 204."""
    body = b"query=ASK%7B%7D"
    form = "application/x-www-form-urlencoded"
    answers = [
        call(app, "GET", CLAIM, accept="text/turtle"),
        call(app, "GET", CLAIM + "x", accept="text/turtle"),  # 404
        call(app, "GET", "/doc/pubmed-22870448/claim/snri-class.jsonld"),
        call(app, "HEAD", "/doc/pubmed-22870448/claim/snri-class.rdf"),
        call(app, "GET", "/download/0.1.0/graph.nt"),
        call(app, "GET", ASK),
        call(app, "HEAD", ASK),
        call(app, "POST", "/query", body=body, content_length=str(len(body)), content_type=form),
        call(app, "GET", "/query?query=CLEAR%20ALL"),  # refused, and the script may read why
    ]
    for status, headers, _ in answers:
        assert headers["Access-Control-Allow-Origin"] == "*", status
        assert "ETag" in headers["Access-Control-Expose-Headers"]
    assert [a[0][:3] for a in answers] == ["303", "404", "200", "200", "200"] + ["200"] * 3 + [
        "403"
    ]
    for path in ("/query", CLAIM, "/doc/pubmed-22870448/claim/snri-class.ttl"):
        status, headers, body = call(
            app,
            "OPTIONS",
            path,
            origin="https://elsewhere.example",
            access_control_request_method="POST",
            access_control_request_headers="content-type",
        )
        assert status.startswith("204") and body == b""
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in headers["Access-Control-Allow-Methods"].split(", ")
        assert "Content-Type" in headers["Access-Control-Allow-Headers"]
        assert int(headers["Access-Control-Max-Age"]) > 0


def test_negotiated_answers_vary_by_accept(app: App) -> None:
    for path, accept in ((CLAIM, "text/turtle"), (CLAIM, "image/png"), (ASK, "text/csv")):
        headers = call(app, "GET", path, accept=accept)[1]
        assert headers["Vary"] == "Accept", path


def test_a_406_says_what_is_offered_and_how_long_it_is(app: App) -> None:
    status, headers, body = call(app, "GET", CLAIM, accept="image/png")
    assert status.startswith("406")
    assert int(headers["Content-Length"]) == len(body)
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    for media in (
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/rdf+xml",
        "text/html",
    ):
        assert media.encode() in body


DOCUMENT = "/doc/pubmed-22870448/claim/snri-class.ttl"


@pytest.mark.parametrize("path", [DOCUMENT, "/download/0.1.0/graph.nt", "/"])
def test_validators_and_304(app: App, path: str) -> None:
    """A strong ETag from the bytes, Last-Modified and Cache-Control; 304 (no body) to a
    request that has the same bytes, by If-None-Match or by If-Modified-Since."""
    import hashlib
    from email.utils import formatdate, parsedate_to_datetime

    status, headers, body = call(app, "GET", path)
    assert status.startswith("200")
    tag = headers["ETag"]
    assert tag == f'"{hashlib.sha256(body).hexdigest()}"'  # strong: no W/
    assert "max-age=" in headers["Cache-Control"]
    modified = parsedate_to_datetime(headers["Last-Modified"]).timestamp()
    for method in ("GET", "HEAD"):
        for conditions in (
            {"if_none_match": tag},
            {"if_none_match": f'"other", W/{tag}'},  # weak comparison for If-None-Match
            {"if_none_match": "*"},
            {"if_modified_since": headers["Last-Modified"]},
            {"if_modified_since": formatdate(modified + 60, usegmt=True)},
        ):
            status, again, body = call(app, method, path, **conditions)
            assert status.startswith("304") and body == b"", conditions
            assert again["ETag"] == tag and again["Last-Modified"] == headers["Last-Modified"]
            assert again["Cache-Control"] == headers["Cache-Control"]
            assert "Content-Length" not in again and "Content-Type" not in again
    for conditions in (
        {"if_none_match": '"other"'},
        {"if_modified_since": formatdate(modified - 60, usegmt=True)},
        {"if_modified_since": "not a date"},
        # If-None-Match wins over If-Modified-Since
        {"if_none_match": '"other"', "if_modified_since": headers["Last-Modified"]},
    ):
        status, _, body = call(app, "GET", path, **conditions)
        assert status.startswith("200") and body, conditions


def test_last_modified_is_when_the_release_was_issued(tmp_path: Path) -> None:
    import pyoxigraph as ox

    from kg.web.app import release_issued

    store = tmp_path / "store"
    loader = ox.Store(str(store))
    loader.add(
        ox.Quad(
            ox.NamedNode("https://w3id.org/drugclaims/release/0.1.0"),
            ox.NamedNode("http://purl.org/dc/terms/issued"),
            ox.Literal(
                "2025-03-01T12:00:00Z",
                datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime"),
            ),
        )
    )
    loader.add(
        ox.Quad(
            ox.NamedNode("https://w3id.org/drugclaims/release/0.1.0"),
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("http://www.w3.org/ns/dcat#Dataset"),
        )
    )
    loader.flush()
    del loader
    assert release_issued(store) == 1740830400.0


def test_last_modified_of_the_issued_release(app: App) -> None:
    """With the release's date known, every file of the site says it, not the time kg serve
    wrote the file; a later date (a release in the future) is never sent."""
    from email.utils import parsedate_to_datetime

    issued = app.endpoint.issued
    try:
        app.endpoint.issued = 1740830400.0
        headers = call(app, "GET", DOCUMENT)[1]
        assert headers["Last-Modified"] == "Sat, 01 Mar 2025 12:00:00 GMT"
        app.endpoint.issued = 4e9  # 2096
        headers = call(app, "GET", DOCUMENT)[1]
        assert parsedate_to_datetime(headers["Last-Modified"]).timestamp() < 4e9
    finally:
        app.endpoint.issued = issued
