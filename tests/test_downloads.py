"""A big file of the site (a release's graph.nq can be gigabytes) is answered a block at a time,
never read whole into the server's memory (kg.web.deploy.Streamed): its ETag is its SHA-256,
computed once while the file stays the same one; a file that changes while it is sent is never
sent whole, and a kept copy that holds other bytes is not trusted again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from folders import built_corpus
from test_kept import copies, overwrite, place, stop
from test_serve import served

from kg.web import deploy
from kg.web.deploy import STREAM_FROM, Damaged, answer

BIG = "/download/1.0/graph.nq"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder with one big download (other bytes in each block)."""
    site = tmp_path / "site"
    (site / "download" / "1.0").mkdir(parents=True)
    data = b"".join(i.to_bytes(4, "big") * 16 for i in range(3 * STREAM_FROM // 64 + 7))
    (site / BIG[1:]).write_bytes(data)
    return site


def headers(found: deploy.Answer) -> dict[str, str]:
    return dict(found.headers)


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_big_download_is_sent_a_block_at_a_time(site: Path) -> None:
    data = (site / BIG[1:]).read_bytes()
    before = open_files()
    found = answer(site, BIG, None)
    assert found.status == 200 and found.body == b"" and found.stream is not None
    assert headers(found)["Content-Length"] == str(len(data))
    assert headers(found)["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    blocks = list(found.stream)
    assert max(map(len, blocks)) <= 1 << 16 and len(blocks) > 40
    assert b"".join(blocks) == data
    assert open_files() == before  # the file is closed once sent


def test_a_small_file_is_still_answered_whole(site: Path) -> None:
    (site / "download" / "1.0" / "void.ttl").write_bytes(b"# small\n")
    found = answer(site, "/download/1.0/void.ttl", None)
    assert found.status == 200 and found.stream is None and found.body == b"# small\n"


def test_the_hash_is_computed_once_while_the_file_is_the_same(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = []

    def counted(*args: bytes) -> Any:
        computed.append(args)
        return hashlib.sha256(*args)

    monkeypatch.setattr(deploy, "hashlib", SimpleNamespace(sha256=counted))
    tags = set()
    for _ in range(3):  # answers never sent: only the ETag's hash is computed
        tags.add(headers(answer_and_close(site))["ETag"])
    assert len(computed) == 1 and len(tags) == 1
    path = site / BIG[1:]
    path.write_bytes(path.read_bytes()[:-1] + b"!")  # another file now: hashed again
    assert headers(answer_and_close(site))["ETag"] not in tags
    assert len(computed) == 2


def test_a_client_that_has_the_file_gets_304_and_nothing_is_held_open(site: Path) -> None:
    tag = headers(answer_and_close(site))["ETag"]
    before = open_files()
    found = answer(site, BIG, None, request={"if-none-match": tag})
    assert found.status == 304 and found.stream is None and found.body == b""
    assert open_files() == before


def answer_and_close(site: Path) -> deploy.Answer:
    found = answer(site, BIG, None)
    assert found.stream is not None
    found.stream.close()
    return found


def test_a_file_changed_while_it_is_sent_is_never_sent_whole(site: Path) -> None:
    """Other bytes written into the file after its answer began (same size): the blocks read
    since differ from those its ETag was made from, and the last block is never sent."""
    path = site / BIG[1:]
    told: list[tuple[Path, str]] = []

    def check(file: Path, sha256: str) -> bool:
        told.append((file, sha256))
        return sha256 == hashlib.sha256(original).hexdigest()

    original = path.read_bytes()
    found = answer(site, BIG, None, check=check)
    assert found.stream is not None and len(told) == 1
    blocks = iter(found.stream)
    sent = [next(blocks)]
    with path.open("r+b") as file:
        file.seek(len(original) - 100)
        file.write(b"planted")
    with pytest.raises(Damaged):
        sent.extend(blocks)
    assert len(b"".join(sent)) < len(original)
    assert b"planted" not in b"".join(sent)
    assert len(told) == 2 and told[1][1] != hashlib.sha256(original).hexdigest()


def test_a_big_file_the_copy_does_not_vouch_for_is_not_served(site: Path) -> None:
    found = answer(site, BIG, None, check=lambda file, sha256: False)
    assert found.status == 500 and found.stream is None and b"damaged" in found.body


def test_kg_serve_sends_a_big_download_whole_and_refuses_a_damaged_one(tmp_path: Path) -> None:
    release = built_corpus(tmp_path / "project", 10, seed=5)
    data = (release / "graph.nq").read_bytes()
    assert len(data) >= STREAM_FROM
    cache = Path(os.environ["KG_SERVE_CACHE"])
    args = ("--release", str(release), "--no-pictures")
    with served(place(tmp_path, "first"), *args) as server:
        (path,) = (copy for copy in copies(cache) if (copy / "site" / "download").is_dir())
        (kept,) = (path / "site" / "download").glob("*/graph.nq")
        url = f"{server.url}/{kept.relative_to(path / 'site').as_posix()}"
        got = requests.get(url, timeout=30)
        assert got.status_code == 200 and got.content == data
        assert got.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
        head = requests.head(url, timeout=30)
        assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data))
        again = requests.get(url, headers={"If-None-Match": got.headers["ETag"]}, timeout=30)
        assert again.status_code == 304
        overwrite(kept, len(data) // 2, b"planted")
        damaged = requests.get(url, timeout=30)
        log = stop(server.process)
    assert damaged.status_code == 500 and b"planted" not in damaged.content
    assert "graph.nq: not the bytes kg serve kept it with (damaged)" in log


def test_the_hash_is_of_the_bytes_that_are_sent(site: Path) -> None:
    """Found by review: a file that grew after it was opened was hashed to its new end while
    its old size was sent, so every download of it failed. The hash covers the size the
    answer sends; a file that shrank is not vouched for."""
    path = site / BIG[1:]
    data = path.read_bytes()
    with path.open("rb") as file:
        found = os.fstat(file.fileno())
        with path.open("ab") as grow:
            grow.write(b"more")
        assert deploy._DIGESTS.of(path, file, found, None) == hashlib.sha256(data).hexdigest()
    told: list[str] = []
    with path.open("rb") as file:
        found = os.fstat(file.fileno())
        path.write_bytes(data[:100])
        assert deploy._DIGESTS.of(path, file, found, lambda _, h: bool(told.append(h))) is None
    assert told == [hashlib.sha256(data[:100]).hexdigest()]  # the copy is told, and dropped


def test_a_head_closes_the_stream(site: Path) -> None:
    from kg.web.app import _start

    found = answer(site, BIG, None)
    assert found.stream is not None
    assert list(_start(lambda status, headers: None, found, head=True)) == []
    assert found.stream._file.closed


def test_a_fifo_is_never_opened_to_wait_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    failed: list[BaseException] = []
    thread = threading.Thread(target=lambda: _fails(fifo, failed), daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():  # let it go before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not thread.is_alive() and len(failed) == 1 and isinstance(failed[0], OSError)


def _fails(path: Path, failed: list[BaseException]) -> None:
    try:
        deploy._open_regular(path).close()
    except OSError as error:
        failed.append(error)
