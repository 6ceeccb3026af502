"""The release assembled in bounded memory: the sorters spill runs to disk and merge them into
the same bytes an in-memory sort writes; the work folder beside the release is removed after
every build, a killed build's is swept, a running build's never."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import SEED
from folders import files_of
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.build.units import SourceResult
from kg.formats.void import Counting
from kg.runtime.spool import Sorter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from corpus import write_corpus  # noqa: E402

items = st.lists(st.tuples(st.text(max_size=12), st.integers(-3, 3), st.text(max_size=3)))


@settings(max_examples=60, deadline=None)
@given(items=items, budget=st.integers(1, 40))
def test_a_sorter_gives_back_what_a_sort_gives(
    items: list[tuple[str, int, str]], budget: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("runs")
    sorter = Sorter(folder, budget=budget)
    sorter.extend(items)
    assert list(sorter) == sorted(items)
    assert list(folder.iterdir()) == []  # every run is removed once it is read
    # the same items added a few at a time with what they count for (a source's lines)
    sorter = Sorter(folder, budget=budget)
    for start in range(0, len(items), 3):
        batch = items[start : start + 3]
        sorter.add_all(batch, sum(len(item[0]) for item in batch))
    assert list(sorter) == sorted(items)
    assert list(folder.iterdir()) == []


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    write_corpus(project, 14, seed=11)
    return project


@pytest.mark.slow
def test_a_release_sorted_in_runs_on_disk_is_the_one_sorted_in_memory(
    corpus: Path, kg: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spilled = []
    spill = Sorter._spill

    def counted(self: Sorter) -> None:
        spilled.append(1)
        spill(self)

    monkeypatch.setattr(Sorter, "_spill", counted)
    result = kg("--project", corpus, "build", "--no-cache", "--out", tmp_path / "memory")
    assert result.exit_code == 0, result.stderr
    assert spilled == []  # 14 sources fit the default budget
    monkeypatch.setenv("KG_SORT_MEMORY", "0.002")  # 2,000 characters a run
    result = kg("--project", corpus, "build", "--no-cache", "--out", tmp_path / "runs")
    assert result.exit_code == 0, result.stderr
    assert len(spilled) > 100
    memory, runs = files_of(tmp_path / "memory"), files_of(tmp_path / "runs")
    assert memory == runs
    assert {"graph.nt", "graph.nq", "graph.ttl", "graph.jsonld", "nanopubs.trig"} <= set(runs)
    assert [p.name for p in tmp_path.iterdir() if "-work-" in p.name] == []


@pytest.mark.parametrize("value", ["none", "0", "-5"])
def test_a_sort_memory_that_is_no_size_is_refused(
    value: str, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    before = files_of(project / "dist")
    monkeypatch.setenv("KG_SORT_MEMORY", value)
    result = kg("--project", project, "build", "--force")
    assert result.exit_code != 0
    assert "KG_SORT_MEMORY" in result.stderr and repr(value) in result.stderr
    assert files_of(project / "dist") == before
    assert [p.name for p in project.iterdir() if "-work-" in p.name] == []


def test_a_killed_builds_work_folder_is_swept_and_a_running_ones_is_not(
    kg: Callable[..., Result], project: Path
) -> None:
    killed = project / ".dist-work-killed"
    (killed / "spool").mkdir(parents=True)
    (killed / "spool" / "run-1").write_bytes(b"left by a build that was killed")
    running = project / ".dist-work-running"
    running.mkdir()
    # another process holds the lock of its work folder, as a build does while it runs
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys\n"
            f"fd = os.open({str(running / '.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        result = kg("--project", project, "build", "--force", "--no-cache")
        assert result.exit_code == 0, result.stderr
        assert not killed.exists()
        assert running.is_dir()
    finally:
        holder.communicate(b"", timeout=30)
    fd = os.open(running / ".lock", os.O_RDWR)
    try:  # and the holder is gone: the lock is free again
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
    assert [p.name for p in project.iterdir() if "-work-" in p.name] == [".dist-work-running"]


def test_an_example_resource_is_the_least_iri_not_the_first_line(tmp_path: Path) -> None:
    # "<…/a/b>" sorts before "<…/a>" as a term, after it as the start of a line
    typed = " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/C>"
    counting = Counting(Sorter(tmp_path, budget=1))
    for line in ("<http://example.org/a>" + typed, "<http://example.org/a/b>" + typed):
        counting.add(line)
    found = counting.result(example_classes=["http://example.org/C"])
    assert found.examples == ("http://example.org/a/b",)
    assert (found.triples, found.distinct_subjects, found.distinct_objects) == (2, 2, 1)
    assert found.classes == {"http://example.org/C": 2}


@pytest.mark.parametrize("budget", [1, 40, 10_000])
def test_the_statistics_are_the_same_whatever_the_objects_memory(
    budget: int, tmp_path: Path
) -> None:
    """The objects counted distinct: held in a set, handed to the sorter each time the set
    is full (a budget of 1: every object; 40: a few at a time; 10,000: never), the same
    counts; the properties sorted by IRI ("<…/p/q>" sorts before "<…/p>" as a term)."""
    ex = "http://example.org/"
    lines = sorted(
        f"<{ex}s{i % 7}> <{ex}{'p/q' if i % 3 else 'p'}> {obj}"
        for i, obj in enumerate(
            [f"<{ex}o{j % 5}>" for j in range(20)] + [f'"{j % 4}"' for j in range(12)]
        )
    )
    counting = Counting(Sorter(tmp_path, budget=budget))
    for line in dict.fromkeys(lines):
        counting.add(line)
    found = counting.result()
    objects = {line.split(" ", 2)[2] for line in lines}
    assert found.distinct_objects == len(objects) == 9
    assert found.triples == len(set(lines))
    assert found.distinct_subjects == 7
    assert list(found.properties) == [f"{ex}p", f"{ex}p/q"]
    assert sum(found.properties.values()) == found.triples


@pytest.mark.parametrize("graph", ["graph/dataset", "graph/catalogue"])
def test_json_ld_nodes_made_a_part_at_a_time_are_those_of_the_whole_graph(graph: str) -> None:
    from rdflib import Graph

    from kg.curation.converter import build_converter, prefix_map
    from kg.curation.project import Project, load_shared
    from kg.formats.release import jsonld_context, jsonld_nodes, jsonld_nodes_of_lines

    end = f" <https://w3id.org/drugclaims/id/{graph}> .\n"
    with open(ROOT / "dist" / "graph.nq", encoding="utf-8") as release:
        lines = sorted(line[: -len(end)] for line in release if line.endswith(end))
    assert len(lines) > 50
    shared = load_shared(Project(ROOT))
    converter = build_converter(shared.prefixes.prefixes.values())
    context = jsonld_context(prefix_map(converter))
    whole = Graph().parse(data="".join(f"{line} .\n" for line in lines), format="nt")
    expected = jsonld_nodes(whole, context, converter)
    assert jsonld_nodes_of_lines(lines, context, converter, size=7) == expected
    assert jsonld_nodes_of_lines(lines, context, converter) == expected


def test_the_descriptions_nodes_are_made_again_only_for_the_part_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit changes one input's checksum in the description: its JSON-LD nodes come from
    the cache but for the part that holds that line, and are those made without a cache."""
    import kg.build.pipeline as pipeline
    from kg.curation.converter import build_converter, prefix_map
    from kg.curation.project import Project, load_shared
    from kg.formats.release import jsonld_context, jsonld_nodes_of_lines, line_parts

    end = " <https://w3id.org/drugclaims/id/graph/dataset> .\n"
    with open(ROOT / "dist" / "graph.nq", encoding="utf-8") as release:
        lines = sorted(line[: -len(end)] for line in release if line.endswith(end))
    shared = load_shared(Project(ROOT))
    converter = build_converter(shared.prefixes.prefixes.values())
    context = jsonld_context(prefix_map(converter))
    made: list[int] = []
    real = pipeline.jsonld_nodes_of_part

    def counted(part, *args):  # type: ignore[no-untyped-def]
        made.append(len(part))
        return real(part, *args)

    monkeypatch.setattr(pipeline, "jsonld_nodes_of_part", counted)
    monkeypatch.setattr(pipeline, "line_parts", lambda found: line_parts(found, 40))
    first = pipeline._shared_nodes(lines, context, converter, tmp_path)
    parts = len(made)
    assert parts > 3 and first == jsonld_nodes_of_lines(lines, context, converter)
    checksum = next(n for n, line in enumerate(lines) if "ontology#sha256>" in line)
    edited = list(lines)
    edited[checksum] = edited[checksum].rsplit(" ", 1)[0] + ' "' + "0" * 64 + '"'
    again = pipeline._shared_nodes(edited, context, converter, tmp_path)
    assert len(made) == parts + 1  # the edited part alone
    assert again == jsonld_nodes_of_lines(edited, context, converter) != first


def test_a_failed_build_leaves_no_folder_it_made_for_its_work(
    kg: Callable[..., Result], project: Path, tmp_path: Path
) -> None:
    claims = project / "sources" / SEED.name / "claims.yaml"
    claims.write_text("claims: [not closed\n", encoding="utf-8")  # found once sources are read
    out = tmp_path / "new" / "deeper" / "release"
    result = kg("--project", project, "build", "--out", out)
    assert result.exit_code != 0 and "claims.yaml" in result.stderr
    assert not (tmp_path / "new").exists()


def test_a_rebuild_links_the_files_it_would_write_again_and_rewrites_a_damaged_one(
    kg: Callable[..., Result], project: Path
) -> None:
    result = kg("--project", project, "build", "--force")
    assert result.exit_code == 0, result.stderr
    files = sorted((project / "dist" / "nanopubs").rglob("*.trig"))
    assert len(files) > 5
    inodes = {path: path.stat().st_ino for path in files}
    damaged = files[0]
    text = damaged.read_bytes()
    damaged.write_bytes(text[:-2] + bytes([text[-2] ^ 1]) + text[-1:])  # same size, one bit
    result = kg("--project", project, "build", "--force")
    assert result.exit_code == 0, result.stderr
    assert damaged.read_bytes() == text  # written again, not linked
    assert damaged.stat().st_ino != inodes[damaged]
    for path in files[1:]:  # the same file: linked from the release it replaced
        assert path.stat().st_ino == inodes[path]


def test_the_articles_lines_wait_on_disk_not_in_the_results(
    corpus: Path, kg: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the build keeps of each source until its end holds no article lines: they wait in
    a file of the work folder (issue 20: 6 KB a source, 120 MB at 20,000), and the release is
    the same."""
    from kg.build.assemble import Assembly

    kept, spilled = [], []
    take = Assembly.take

    def taking(self: Assembly, index: int, result: SourceResult) -> SourceResult:
        left = take(self, index, result)
        kept.append(left.article_lines)
        spilled.append(len(self.articles[f"<{result.article}>"]))
        return left

    monkeypatch.setattr(Assembly, "take", taking)
    result = kg("--project", corpus, "build", "--no-cache", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert kept and all(lines == () for lines in kept)
    assert all(count > 0 for count in spilled)
