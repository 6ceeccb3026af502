"""Offline by default: nothing kg does reaches the network."""

from __future__ import annotations

import socket
import urllib.request

import pytest
from rdflib import Graph

from kg.offline import NetworkRefused, offline


def test_urlopen_is_refused() -> None:
    with offline(), pytest.raises(NetworkRefused):
        urllib.request.urlopen("http://127.0.0.1:9/")


def test_socket_connect_is_refused() -> None:
    with offline(), pytest.raises(NetworkRefused), socket.socket() as sock:
        sock.connect(("127.0.0.1", 9))


def test_a_remote_jsonld_context_is_not_fetched() -> None:
    document = '{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "http://a", "p": 1}'
    with offline(), pytest.raises(Exception) as caught:
        Graph().parse(data=document, format="json-ld")
    assert isinstance(caught.value, NetworkRefused) or "refused" in str(caught.value)


def test_network_is_allowed_outside_the_block() -> None:
    with offline():
        pass
    with socket.socket() as sock:
        sock.settimeout(0.5)
        with pytest.raises(OSError) as caught:
            sock.connect(("127.0.0.1", 9))
    assert not isinstance(caught.value, NetworkRefused)
