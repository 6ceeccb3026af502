"""The release's query index (kg.stores.index): kg query, kg show and kg stats answer from a
store on disk made once per release, with the answers of the release loaded in memory; a new
release makes a new index, the same bytes keep it, and a damaged index is never trusted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
CLAIMS = "SELECT ?claim ?status WHERE { ?claim kgo:epistemicStatus ?status } ORDER BY ?claim"


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.stderr
    return result.stdout


def index_of(project: Path) -> Path:
    (folder,) = (project / ".kg-cache" / "index").iterdir()
    return folder


def triples(project: Path) -> int:
    return len((project / "dist" / "graph.nq").read_bytes().splitlines())


def test_answers_are_those_of_the_release_in_memory(
    kg: Callable[..., Result], project: Path
) -> None:
    nquads = project / "dist" / "graph.nq"
    claim = ok(kg("--project", project, "query", CLAIMS, "--format", "csv")).splitlines()[1]
    for command in (
        ["query", CLAIMS, "--format", "csv"],
        ["query", "DESCRIBE ?c { ?c a kgo:Claim } ORDER BY ?c LIMIT 1", "--format", "ntriples"],
        ["show", claim.split(",")[0]],
        ["stats"],
        ["xrefs", "MONDO:0005546", "--format", "tsv"],
        ["mappings", "--format", "sssom-tsv"],
    ):
        indexed = ok(kg("--project", project, *command))
        loaded = ok(kg("--project", project, *command, "--data", nquads))
        if "ntriples" in command:  # a graph: its triples in no order
            indexed, loaded = sorted(indexed.splitlines()), sorted(loaded.splitlines())
        assert indexed == loaded, command
    assert (index_of(project) / "index.json").is_file()


def test_the_index_is_made_once_and_remade_for_a_new_release(
    kg: Callable[..., Result], project: Path
) -> None:
    assert ok(kg("--project", project, "query", COUNT, "--format", "csv")).split() == [
        "n",
        str(triples(project)),
    ]
    store = index_of(project) / "store"
    made = store.stat().st_ino
    ok(kg("--project", project, "query", COUNT, "--format", "csv"))
    assert store.stat().st_ino == made, "the index was made again for the same release"

    # a new release (one quad fewer), written as a build writes it: a new file renamed in place
    nquads = project / "dist" / "graph.nq"
    lines = nquads.read_bytes().splitlines(keepends=True)
    (project / "dist" / "graph.nq.new").write_bytes(b"".join(lines[1:]))
    os.replace(project / "dist" / "graph.nq.new", nquads)
    answer = ok(kg("--project", project, "query", COUNT, "--format", "csv")).split()
    assert answer == ["n", str(len(lines) - 1)]


def test_the_same_bytes_keep_the_index_other_bytes_of_the_same_size_do_not(
    kg: Callable[..., Result], project: Path
) -> None:
    ok(kg("--project", project, "query", COUNT))
    store = index_of(project) / "store"
    made = store.stat().st_ino
    nquads = project / "dist" / "graph.nq"
    data = nquads.read_bytes()
    # the same bytes in a new file put in its place (as a build that did not change it): kept
    (project / "dist" / "graph.nq.new").write_bytes(data)
    os.replace(project / "dist" / "graph.nq.new", nquads)
    ok(kg("--project", project, "query", COUNT))
    assert store.stat().st_ino == made

    # one literal changed, size and modification time kept: the index is made again
    assert b"fibromyalgia" in data
    stat = nquads.stat()
    nquads.write_bytes(data.replace(b"fibromyalgia", b"fibromyalgiA", 1))
    os.utime(nquads, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert nquads.stat().st_size == stat.st_size
    query = 'ASK { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?o), "fibromyalgiA")) } }'
    assert ok(kg("--project", project, "query", query, "--format", "csv")) == "true\n"


def corrupt(store: Path) -> None:
    """Overwrite bytes inside every table file of the store, sizes kept."""
    for table in store.glob("*.sst"):
        size = table.stat().st_size
        with table.open("r+b") as file:
            for tenth in range(1, 10):
                file.seek(size * tenth // 10)
                file.write(b"\xffDAMAGE\xff"[: max(0, size - size * tenth // 10 - 1)])
        assert table.stat().st_size == size


@pytest.mark.parametrize("how", ["bytes", "removed", "record"])
def test_a_damaged_index_is_never_trusted(
    kg: Callable[..., Result], project: Path, how: str
) -> None:
    expected = ok(kg("--project", project, "query", CLAIMS, "--format", "csv"))
    folder = index_of(project)
    if how == "bytes":
        corrupt(folder / "store")
    elif how == "removed":
        max((folder / "store").glob("*.sst"), key=lambda p: p.stat().st_size).unlink()
    else:
        record = json.loads((folder / "index.json").read_text())
        record["files"] = {}
        (folder / "index.json").write_text(json.dumps(record))
    for command in (["query", CLAIMS, "--format", "csv"], ["stats"]):
        result = kg("--project", project, *command)
        assert result.exit_code == 0, result.stderr
    assert ok(kg("--project", project, "query", CLAIMS, "--format", "csv")) == expected
    assert (index_of(project) / "index.json").is_file()


def test_a_damaged_index_is_said_and_made_again(kg: Callable[..., Result], project: Path) -> None:
    """Damage the checks at the start see (a store file changed: its identity moved and its
    bytes are not the recorded ones) is said, and the index made again."""
    expected = ok(kg("--project", project, "stats"))
    corrupt(index_of(project) / "store")
    result = kg("--project", project, "stats")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected
    assert result.stderr == (
        "kg: the release's query index was not sound (a file of its store is missing, added "
        "or changed); made again\n"
    )


@pytest.mark.parametrize("command", [["stats"], ["query", COUNT, "--format", "csv"]])
def test_an_error_of_the_storage_while_reading_is_said_and_the_index_made_again(
    kg: Callable[..., Result],
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    """Damage only the storage sees (a block whose checksum is wrong, under an identity that
    did not move: a disk's, not a write's) makes the command drop the index and answer from a
    new one: in this process (kg stats) and in the child a query runs in (kg query)."""
    from kg.stores import index

    expected = ok(kg("--project", project, *command))
    failed = tmp_path / "failed-once"  # a file: the child of kg query sees it too
    real = index.open_index

    def damaged(store: Path) -> object:
        if not failed.exists():
            failed.write_text(str(store))
            raise RuntimeError("Corruption: block checksum mismatch")
        return real(store)

    monkeypatch.setattr(index, "open_index", damaged)
    result = kg("--project", project, *command)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected
    assert failed.exists()
    assert "the release's query index was damaged (" in result.stderr
    assert result.stderr.rstrip().endswith("; made again")


def test_a_forged_index_is_never_used(kg: Callable[..., Result], project: Path) -> None:
    """One who can write .kg-cache but not read the cache's secret makes a store of one quad
    and a record that names it with the right release: kg does not answer from it."""
    import pyoxigraph as ox

    truth = ok(kg("--project", project, "query", COUNT, "--format", "csv"))
    folder = index_of(project)
    record = json.loads((folder / "index.json").read_text())
    forged = folder / "forged"
    store = ox.Store(str(forged))
    store.add(ox.Quad(*(ox.NamedNode(f"http://example.org/{t}") for t in "spog")))
    store.flush()
    del store
    import shutil

    shutil.rmtree(folder / "store")
    forged.rename(folder / "store")
    from kg.runtime import checked

    names = [p.name for p in (folder / "store").iterdir() if p.name not in ("LOCK", "LOG")]
    record["store"] = checked.record(folder / "store", names)
    (folder / "index.json").write_text(json.dumps(record))
    result = kg("--project", project, "query", COUNT, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == truth
    remade = json.loads((folder / "index.json").read_text())
    assert remade["mac"] != record["mac"] and remade["store"] != record["store"]


def test_without_a_place_for_the_index_the_release_is_read_in_memory(
    kg: Callable[..., Result], project: Path
) -> None:
    (project / ".kg-cache").write_text("not a folder")
    answer = ok(kg("--project", project, "query", COUNT, "--format", "csv")).split()
    assert answer == ["n", str(triples(project))]
