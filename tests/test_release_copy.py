"""kg site and kg serve read a release by copying the files its description lists, each hashed
a block at a time as it is copied (kg.formats.listing.copy_release), and check each claim's
nanopublication file against nanopubs.trig as two streams (kg.web.downloads): no file of the
release is held in memory whole (issue 20: a release of 20,000 sources is about 10 GB)."""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import pyoxigraph as ox
import pytest
from folders import describe_anew

from kg.errors import InputError
from kg.formats.listing import DESCRIPTION, copy_release
from kg.web.downloads import vouched_nanopubs


@pytest.fixture
def copy(release: Path, tmp_path: Path) -> Path:
    """A copy of the project's release, to change."""
    target = tmp_path / "release"
    shutil.copytree(release, target)
    return target


def test_the_copies_are_the_listed_files(release: Path, tmp_path: Path) -> None:
    copied = copy_release(release, tmp_path / "copies")
    listed = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    assert set(copied) == {n for n in listed if not n.startswith("nanopubs/")}
    for name, path in copied.items():
        assert path == tmp_path / "copies" / name
        assert path.read_bytes() == (release / name).read_bytes()


def test_a_large_file_is_never_held_whole(copy: Path, tmp_path: Path) -> None:
    """graph.nq made 24 MB (and described anew): copying the release holds a few blocks of it
    at most, where reading it whole held all of it."""
    line = (copy / "graph.nq").read_bytes().splitlines(keepends=True)[0]
    with (copy / "graph.nq").open("ab") as out:
        out.write(line * (24_000_000 // len(line)))
    describe_anew(copy, "graph.nq")
    size = (copy / "graph.nq").stat().st_size
    tracemalloc.start()
    try:
        copied = copy_release(copy, tmp_path / "copies")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert copied["graph.nq"].stat().st_size == size > 24_000_000
    assert peak < 4_000_000, peak


def test_a_file_changed_after_it_was_listed_is_refused(copy: Path, tmp_path: Path) -> None:
    """The same size, one byte changed: its SHA-256 is not the one listed."""
    data = bytearray((copy / "graph.nt").read_bytes())
    data[-3] = ord("X") if data[-3] != ord("X") else ord("Y")
    (copy / "graph.nt").write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"graph\.nt.*its SHA-256 is not the one void\.ttl lists"):
        copy_release(copy, tmp_path / "copies")


def test_a_file_that_grew_is_refused(copy: Path, tmp_path: Path) -> None:
    with (copy / "claims.csv").open("ab") as out:
        out.write(b"more\n")
    with pytest.raises(InputError, match=r"claims\.csv.*bytes, where void\.ttl lists"):
        copy_release(copy, tmp_path / "copies")


def nanopub_file(release: Path) -> Path:
    return sorted((release / "nanopubs").glob("*/*.trig"))[0]


def test_a_nanopublication_written_otherwise_is_still_vouched_for(
    copy: Path, tmp_path: Path
) -> None:
    """Its quads, not its bytes, are compared with what nanopubs.trig holds under its URI."""
    victim = nanopub_file(copy)
    quads = list(ox.parse(path=str(victim), format=ox.RdfFormat.TRIG))
    written = ox.serialize(reversed(quads), format=ox.RdfFormat.TRIG)
    assert written != victim.read_bytes()
    victim.write_bytes(written)
    into = tmp_path / "into"
    found = vouched_nanopubs(copy, copy / "nanopubs.trig", into)
    shown = victim.relative_to(copy).as_posix()
    assert found[shown].copy == into / shown
    assert found[shown].copy.read_bytes() == victim.read_bytes()
    assert len(found) == len(list((copy / "nanopubs").glob("*/*.trig")))


@pytest.mark.parametrize("change", ["a quad changed", "a quad added", "a quad dropped"])
def test_a_nanopublication_that_is_not_the_collections_is_refused(
    copy: Path, tmp_path: Path, change: str
) -> None:
    victim = nanopub_file(copy)
    quads = list(ox.parse(path=str(victim), format=ox.RdfFormat.TRIG))
    literal = next(i for i, q in enumerate(quads) if isinstance(q.object, ox.Literal))
    q = quads[literal]
    if change == "a quad changed":
        quads[literal] = ox.Quad(q.subject, q.predicate, ox.Literal("changed"), q.graph_name)
    elif change == "a quad added":
        quads.append(ox.Quad(q.subject, q.predicate, ox.Literal("added"), q.graph_name))
    else:
        del quads[literal]
    victim.write_bytes(ox.serialize(quads, format=ox.RdfFormat.TRIG))
    with pytest.raises(InputError, match=r"not a nanopublication of nanopubs\.trig as it holds"):
        vouched_nanopubs(copy, copy / "nanopubs.trig", tmp_path / "into")


def test_kg_site_leaves_no_copy_behind(release: Path, tmp_path: Path) -> None:
    """The copies are moved into the site as its downloads; the folder they were made in
    beside it is removed, and one that a killed kg site left (no process holds its lock) is
    removed by the next."""
    from kg.web.site import build_site

    killed = tmp_path / ".site-work-killed"
    (killed / "release").mkdir(parents=True)
    (killed / ".lock").touch()
    (killed / "release" / "graph.nq").write_bytes(b"left by a kg site that was killed\n")
    build_site(release, tmp_path / "site", pictures=False)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".site-work-")]
    (version,) = (tmp_path / "site" / "download").iterdir()
    assert (version / DESCRIPTION).read_bytes() == (release / DESCRIPTION).read_bytes()
    assert (version / "graph.nq").read_bytes() == (release / "graph.nq").read_bytes()


def test_a_collection_that_holds_a_nanopublication_twice_still_vouches_for_it(
    copy: Path, tmp_path: Path
) -> None:
    """Found by review: the quads are compared as sets, as they were before the collection
    was read as a stream (a sum of the quads' hashes counted repeats, and could be forged
    with them)."""
    victim = nanopub_file(copy)
    with (copy / "nanopubs.trig").open("ab") as out:
        out.write(victim.read_bytes())
    with victim.open("ab") as out:  # a statement written twice in the file counts once too
        out.write(victim.read_bytes())
    found = vouched_nanopubs(copy, copy / "nanopubs.trig", tmp_path / "into")
    assert victim.relative_to(copy).as_posix() in found


def test_a_nanopublication_file_larger_than_the_collection_is_refused_unread(
    copy: Path, tmp_path: Path
) -> None:
    victim = nanopub_file(copy)
    with victim.open("r+b") as out:  # sparse: 100 GB it would take to read
        out.truncate(100 * 2**30)
    with pytest.raises(InputError, match=r"at most the size of nanopubs\.trig"):
        vouched_nanopubs(copy, copy / "nanopubs.trig", tmp_path / "into")


def test_a_site_inside_the_release_is_refused_before_anything_is_written(
    copy: Path,
) -> None:
    """Found by review: the copies' work folder would be made in the release's folder, which
    then held a file its description does not list, and the release was blamed for it."""
    from kg.errors import OutputError
    from kg.web.site import build_site

    before = sorted(p.name for p in copy.iterdir())
    with pytest.raises(OutputError, match="inside the release's folder"):
        build_site(copy, copy / "site", pictures=False)
    assert sorted(p.name for p in copy.iterdir()) == before
