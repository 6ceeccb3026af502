"""Offline by default: nothing kg does reaches the network."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph
from servers import listener

from kg.runtime.offline import NetworkRefused, offline


def test_urlopen_is_refused() -> None:
    with offline(), pytest.raises(NetworkRefused):
        urllib.request.urlopen("http://127.0.0.1:9/")


def test_socket_connect_is_refused() -> None:
    with offline(), pytest.raises(NetworkRefused), socket.socket() as sock:
        sock.connect(("127.0.0.1", 9))


CONTEXT = b'{"@context": {"p": "http://example.org/p"}}'
SERVED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/ld+json\r\n"
    + f"Content-Length: {len(CONTEXT)}\r\nConnection: close\r\n\r\n".encode()
    + CONTEXT
)


def parse_with_remote_context(port: int) -> Graph:
    document = (
        f'{{"@context": "http://127.0.0.1:{port}/context.jsonld", "@id": "http://a", "p": 1}}'
    )
    return Graph().parse(data=document, format="json-ld")


def test_a_remote_jsonld_context_is_not_fetched() -> None:
    """The listener would serve the context: only the guard keeps rdflib from fetching it."""
    with listener(reply=SERVED) as (port, received), offline(), pytest.raises(NetworkRefused):
        parse_with_remote_context(port)
    assert received == []


def test_without_the_guard_the_context_is_fetched() -> None:
    """The test above is of the guard: without it, rdflib fetches the context."""
    with listener(reply=SERVED) as (port, received):
        graph = parse_with_remote_context(port)
    assert received and len(graph) == 1


def test_network_is_allowed_outside_the_block() -> None:
    with offline():
        pass
    with socket.socket() as sock:
        sock.settimeout(0.5)
        with pytest.raises(OSError) as caught:
            sock.connect(("127.0.0.1", 9))
    assert not isinstance(caught.value, NetworkRefused)


def test_only_the_hosts_the_user_named_are_allowed() -> None:
    """kg build --scheduler may reach the scheduler's host, and nothing else."""
    with offline(allow=frozenset({"127.0.0.1"})):
        with socket.socket() as sock, pytest.raises(OSError) as caught:
            sock.settimeout(0.5)
            sock.connect(("127.0.0.1", 9))
        assert not isinstance(caught.value, NetworkRefused)
        with socket.socket() as sock, pytest.raises(NetworkRefused):
            sock.connect(("127.0.0.2", 9))
    with offline(), socket.socket() as sock, pytest.raises(NetworkRefused):
        sock.connect(("127.0.0.1", 9))


def test_a_unix_socket_is_not_the_network(tmp_path: Path) -> None:
    """Local worker processes talk over Unix sockets (kg build --jobs): allowed offline."""
    path = str(tmp_path / "socket")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen(1)
        with offline(), socket.socket(socket.AF_UNIX) as client:
            client.connect(path)


def test_rudof_fetches_nothing_a_unit_points_to() -> None:
    """rudof is Rust: its sockets would pass the audit hook unseen. A unit that names remote
    shapes and imports (as a user's file may) is validated without any request to them."""
    from kg.build.units import read_shapes
    from kg.validation.shacl import check_unit, rudof_conforms

    shapes = read_shapes(sorted((Path(__file__).parents[1] / "shapes").glob("*.ttl")))
    with listener(reply=SERVED) as (port, received):
        remote = f"http://127.0.0.1:{port}"
        unit = (
            f"<{remote}/data> <http://www.w3.org/2002/07/owl#imports> <{remote}/imports> .\n"
            f"<{remote}/data> <http://www.w3.org/ns/shacl#shapesGraph> <{remote}/shapes> .\n"
            f"<{remote}/data> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <{remote}/more> .\n"
        ).encode()
        assert rudof_conforms(shapes, unit) is True
        assert check_unit(shapes, unit).conforms
    assert received == []
