"""The release in shards (issue 20): with dataset.yaml's ``shard_sources: N``, graph.nq is also
written as shards/shared.nq (the ontology, catalogue and description) and shards/sources-00001.nq
… (the graphs of N sources each, in dataset.yaml's order), each listed in void.ttl with its size
and SHA-256; together they are graph.nq. Nothing else of the release changes.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from kg.cli import main
from kg.errors import InputError
from kg.formats.listing import copy_release, read_listing

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from corpus import write_corpus

SOURCES = 6  # and the real one: 7 sources, 4 shards of 2


def build(project: Path) -> Result:
    return CliRunner().invoke(main, ["--project", str(project), "build", "--jobs", "1"])


def set_shards(project: Path, value: object) -> None:
    path = project / "dataset.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if value is None:
        data.pop("shard_sources", None)
    else:
        data["shard_sources"] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A corpus built without shards, and the same with shards of two sources."""
    plain = tmp_path_factory.mktemp("plain") / "project"
    write_corpus(plain, SOURCES, seed=9)
    sharded = plain.parent.parent / "sharded"
    shutil.copytree(plain, sharded)
    set_shards(sharded, 2)
    for project in (plain, sharded):
        result = build(project)
        assert result.exit_code == 0, result.stderr
    return plain / "dist", sharded / "dist"


def test_the_shards_are_graph_nq_in_parts_by_source(built: tuple[Path, Path]) -> None:
    _, release = built
    names = sorted(p.name for p in (release / "shards").iterdir())
    assert names == ["shared.nq", *(f"sources-{n:05d}.nq" for n in range(1, 5))]
    whole = (release / "graph.nq").read_text(encoding="utf-8").splitlines()
    parts = [(release / "shards" / n).read_text(encoding="utf-8").splitlines() for n in names]
    assert sorted(line for part in parts for line in part) == whole  # together: graph.nq
    for part in parts:
        assert part == sorted(part) and part  # each in graph.nq's order
    folders = yaml.safe_load((release.parent / "dataset.yaml").read_text())["sources"]
    shared = {line.rsplit(" ", 2)[1] for line in parts[0]}
    assert all("/id/graph/" in graph for graph in shared)
    for number, part in enumerate(parts[1:]):
        graphs = {line.rsplit(" ", 2)[1] for line in part}
        assert len(graphs) == len(folders[2 * number : 2 * number + 2])  # two sources a shard


def test_each_shard_is_listed_with_its_size_and_checksum(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, release = built
    listing = read_listing((release / "void.ttl").read_bytes())
    shards = {name: listed for name, listed in listing.items() if name.startswith("shards/")}
    assert len(shards) == 5
    for name, listed in shards.items():
        data = (release / name).read_bytes()
        assert (listed.size, listed.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    copied = copy_release(release, tmp_path / "copied")  # kg site and kg serve read them
    assert (copied["shards/shared.nq"]).read_bytes() == (release / "shards/shared.nq").read_bytes()


def test_nothing_else_of_the_release_changes(built: tuple[Path, Path]) -> None:
    """But dataset.yaml's checksum, which the description lists among the inputs."""
    plain, sharded = built
    before, after = (
        hashlib.sha256((release.parent / "dataset.yaml").read_bytes()).hexdigest().encode()
        for release in built
    )
    files = sorted(p.relative_to(plain) for p in plain.rglob("*") if p.is_file())
    for name in files:
        if name.as_posix() != "void.ttl":
            expected = (plain / name).read_bytes().replace(before, after)
            assert expected == (sharded / name).read_bytes(), name
    assert not (plain / "shards").exists()


def test_a_file_in_the_shards_folder_that_is_not_listed_is_refused(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, release = built
    copy = tmp_path / "release"
    shutil.copytree(release, copy)
    (copy / "shards" / "sources-00009.nq").write_text("<a> <b> <c> .\n")
    with pytest.raises(InputError, match=r"not a shard void\.ttl lists"):
        copy_release(copy, tmp_path / "copied")


def test_a_release_built_again_without_shards_has_none(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, release = built
    project = tmp_path / "project"
    shutil.copytree(release.parent, project, ignore=shutil.ignore_patterns(".kg-cache"))
    set_shards(project, None)
    result = build(project)
    assert result.exit_code == 0, result.stderr
    assert not (project / "dist" / "shards").exists()
    assert "shards/" not in (project / "dist" / "void.ttl").read_text(encoding="utf-8")


@pytest.mark.parametrize("value", [0, -3, "many", True, 2.5])
def test_a_shard_size_that_is_not_a_number_of_sources_is_refused(
    built: tuple[Path, Path], tmp_path: Path, value: object
) -> None:
    _, release = built
    project = tmp_path / "project"
    shutil.copytree(release.parent, project, ignore=shutil.ignore_patterns(".kg-cache", "dist"))
    set_shards(project, value)
    result: Result = build(project)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("kg: error: ") and "dataset.yaml" in line and "shard_sources" in line
    assert len(line.splitlines()) == 1
    assert not (project / "dist").exists()


def test_only_shard_names_are_shards() -> None:
    from kg.formats.files import is_shard, shard_name

    assert all(is_shard(shard_name(n)) for n in (None, 1, 99999, 123456))
    check: Callable[[str], bool] = is_shard
    assert not any(
        check(name)
        for name in ("shards/x.nq", "shards/sources-1.nq", "shards/../graph.nq", "graph.nq")
    )
