"""What kg serve keeps between its runs (kg.web.kept): a second start of the same release serves
the site and store the first made, without making them again; a kept copy that is damaged is
never served from; a cache folder others may write is not used; a new release makes a copy of
its own and the least recently used beyond three are removed.
"""

from __future__ import annotations

import os
import signal
import subprocess
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from test_serve import served

from kg.web.kept import KEEP

KEPT_LINE = "kg: the site and store kept from an earlier start"


def stop(server: subprocess.Popen[bytes]) -> str:
    server.send_signal(signal.SIGTERM)
    _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err.decode()
    return err.decode()


def place(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).mkdir()
    return tmp_path / name


def copies(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if not p.name.startswith("."))


def start_twice(tmp_path: Path, *args: str) -> tuple[str, str]:
    """The logs of two runs of kg serve, one after the other."""
    logs = []
    for run in ("first", "second"):
        with served(place(tmp_path, run), "--no-pictures", *args) as server:
            home = requests.get(f"{server.url}/", timeout=10)
            assert home.status_code == 200
            logs.append(stop(server.process))
    return logs[0], logs[1]


def test_a_second_start_serves_what_the_first_kept(tmp_path: Path) -> None:
    cache = Path(os.environ["KG_SERVE_CACHE"])
    first, second = start_twice(tmp_path)
    assert KEPT_LINE not in first
    assert KEPT_LINE in second
    (copy,) = copies(cache)
    assert (copy / "site" / "index.html").is_file()
    assert (copy / "store").is_dir() and (copy / "pages").is_dir()
    assert not (copy / "site" / "doc").exists()  # the documents are made when asked for
    assert oct(cache.stat().st_mode & 0o777) == "0o700"


def test_a_damaged_page_is_not_served_and_the_next_start_makes_the_copy_again(
    tmp_path: Path,
) -> None:
    cache = Path(os.environ["KG_SERVE_CACHE"])
    with served(place(tmp_path, "first"), "--no-pictures") as server:
        good = requests.get(f"{server.url}/", timeout=10).content
        stop(server.process)
    (copy,) = copies(cache)
    page = copy / "site" / "index.html"
    data = page.read_bytes()
    page.write_bytes(data.replace(b"<h1", b"<h2", 1))  # same size, other bytes
    assert page.stat().st_size == len(data)
    with served(place(tmp_path, "second"), "--no-pictures") as server:
        answer = requests.get(f"{server.url}/", timeout=10)
        assert answer.status_code == 500
        assert "damaged" in answer.text
        assert b"<h2" not in answer.content
        log = stop(server.process)
    assert "index.html: not the bytes kg serve kept it with (damaged)" in log
    with served(place(tmp_path, "third"), "--no-pictures") as server:
        assert requests.get(f"{server.url}/", timeout=10).content == good
        log = stop(server.process)
    assert KEPT_LINE not in log  # made again


def overwrite(path: Path, at: int, data: bytes) -> None:
    """Other bytes in the middle of a file, its size kept."""
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(at)
        file.write(data)
    assert path.stat().st_size == size


@pytest.mark.parametrize(
    "damage",
    [
        "store file removed",
        "store file changed, same size",
        "files.sqlite garbage",
        "files.sqlite emptied",
        "pages' store file changed, same size",
        "pages.sqlite garbage",
        "the downloads' void.ttl changed, same size",
        "record edited",
    ],
)
def test_a_damaged_copy_is_made_again_at_start(tmp_path: Path, damage: str) -> None:
    cache = Path(os.environ["KG_SERVE_CACHE"])
    with served(place(tmp_path, "first"), "--no-pictures") as server:
        stop(server.process)
    (copy,) = copies(cache)
    largest = max((copy / "store").glob("*.sst"), key=lambda p: p.stat().st_size)
    if damage == "store file removed":
        largest.unlink()
    elif damage == "store file changed, same size":
        overwrite(largest, 20, b"\x00\xff" * 8)
    elif damage == "files.sqlite garbage":
        overwrite(copy / "files.sqlite", 0, b"not a database at all" * 4)
    elif damage == "files.sqlite emptied":
        (copy / "files.sqlite").write_bytes(b"")
    elif damage == "pages' store file changed, same size":
        pages = max((copy / "pages").glob("*.sst"), key=lambda p: p.stat().st_size)
        overwrite(pages, 20, b"\x00\xff" * 8)
    elif damage == "pages.sqlite garbage":
        overwrite(copy / "pages.sqlite", 0, b"not a database at all" * 4)
    elif damage == "the downloads' void.ttl changed, same size":
        (void,) = (copy / "site" / "download").glob("*/void.ttl")
        overwrite(void, 10, b"#")
    else:
        (copy / "record.json").write_text('{"format": 2, "key": "another"}')
    with served(place(tmp_path, "second"), "--no-pictures") as server:
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        answer = server.query(count, Accept="text/csv")
        assert answer.status_code == 200
        assert int(answer.text.split()[1]) > 1000
        assert requests.get(f"{server.url}/", timeout=10).status_code == 200
        assert requests.get(f"{server.url}/doc/ontology.ttl", timeout=10).status_code == 200
        log = stop(server.process)
    if damage.startswith("the downloads'"):  # found when the pages are opened: made again
        assert "not the bytes kg serve kept it with (damaged)" in log and "made again" in log
    else:
        assert KEPT_LINE not in log


def test_a_damaged_404_page_is_not_served(tmp_path: Path) -> None:
    cache = Path(os.environ["KG_SERVE_CACHE"])
    with served(place(tmp_path, "first"), "--no-pictures") as server:
        stop(server.process)
    (copy,) = copies(cache)
    page = copy / "site" / "404.html"
    page.write_bytes(page.read_bytes() + b"<!-- planted -->")
    with served(place(tmp_path, "second"), "--no-pictures") as server:
        answer = requests.get(f"{server.url}/no/such/page", timeout=10)
        log = stop(server.process)
    assert answer.status_code == 404
    assert b"planted" not in answer.content
    assert "404.html: not the bytes kg serve kept it with (damaged)" in log


def test_a_second_server_never_waits_for_a_copy_the_first_holds(tmp_path: Path) -> None:
    """The first server finds a damaged file and stops trusting its copy; a second start of
    the same release, while the first still serves it, makes a copy of its own at once."""
    cache = Path(os.environ["KG_SERVE_CACHE"])
    with served(place(tmp_path, "first"), "--no-pictures") as first:
        (copy,) = copies(cache)
        style = copy / "site" / "style.css"
        overwrite(style, 0, b"/*planted*/")
        assert requests.get(f"{first.url}/style.css", timeout=10).status_code == 500
        with served(place(tmp_path, "second"), "--no-pictures") as second:
            assert requests.get(f"{second.url}/style.css", timeout=10).status_code == 200
            log = stop(second.process)
        stop(first.process)
    assert "this run makes a copy of its own" in log


def test_nothing_but_kept_copies_is_removed_from_the_cache_folder(tmp_path: Path) -> None:
    """KG_SERVE_CACHE may name a folder that holds other things (~/.cache): only kg's own
    copies are ever removed from it."""
    cache = Path(os.environ["KG_SERVE_CACHE"])
    cache.mkdir(mode=0o700)
    others = ["pip", "mozilla", "thumbnails", "important-project", "0" * 31, "f" * 33]
    for name in others:
        (cache / name).mkdir()
        (cache / name / "keep.txt").write_text("mine")
    (cache / "notes.txt").write_text("mine")
    start_twice(tmp_path)
    for name in others:
        assert (cache / name / "keep.txt").read_text() == "mine", name
    assert (cache / "notes.txt").read_text() == "mine"


def test_a_cache_others_may_write_is_not_used(tmp_path: Path) -> None:
    cache = Path(os.environ["KG_SERVE_CACHE"])
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)  # whatever the umask
    first, second = start_twice(tmp_path)
    assert KEPT_LINE not in second
    assert list(cache.iterdir()) == []
    for log in (first, second):
        assert f"kg: no copy of the site is kept for the next start ({cache}: " in log


def test_each_release_has_its_copy_and_at_most_three_are_kept(
    tmp_path: Path, project: Path
) -> None:
    """Releases of other descriptions (another title each) have a copy each; beyond three,
    the least recently used is removed, but never one a running server holds."""
    import yaml
    from click.testing import CliRunner

    from kg.cli import main

    cache = Path(os.environ["KG_SERVE_CACHE"])
    found: list[set[Path]] = []
    with ExitStack() as running:
        for number in range(KEEP + 2):
            dataset = yaml.safe_load((project / "dataset.yaml").read_text(encoding="utf-8"))
            dataset["title"] = f"{dataset['title']} {number}"
            (project / "dataset.yaml").write_text(yaml.safe_dump(dataset, sort_keys=False))
            out = tmp_path / f"release-{number}"
            argv = ["--project", str(project), "build", "--out", str(out)]
            result = CliRunner().invoke(main, argv)
            assert result.exit_code == 0, result.stderr
            args = ("--no-pictures", "--release", str(out))
            server = running.enter_context(served(place(tmp_path, f"run-{number}"), *args))
            found.append(set(copies(cache)) - set().union(*found))
            if number > 0:  # the first keeps running: its copy must stay
                stop(server.process)
        held, unheld_oldest = found[0], found[1]
        assert len(held) == len(unheld_oldest) == 1
        assert held <= set(copies(cache)), "the copy a running server holds was removed"
        assert not unheld_oldest & set(copies(cache))
        assert len(copies(cache)) == KEEP + 1  # three, and the one held beyond them
