"""Pages made when they are asked for (issue 20): ``kg serve`` no longer writes a document for
every resource before it answers; it indexes the release's pages once (kg.web.pageindex) and
makes each resource's page and RDF documents on request. What it serves is what ``kg site``
writes, byte for byte, for the project's release, a generated corpus and a release with the
IRIs that test the rules of which page holds what (nodes minted under a claim that nothing
links, ``#`` IRIs inside and outside the site, an outside ``#`` IRI whose document is not
described, an outside IRI that is the site's root in another case).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from folders import built_corpus, describe_anew

from kg.formats.listing import copy_release
from kg.web.app import MADE_BYTES, _Served
from kg.web.deploy import Damaged, answer
from kg.web.site import ROOT, build_site, open_served, write_served

_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
_SEE_ALSO = "<http://www.w3.org/2000/01/rdf-schema#seeAlso>"


def _generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_corpus(tmp_path_factory.mktemp("ondemand") / "project", 4, seed=5)


def _tricky(release: Path, out: Path) -> Path:
    """The release with triples added to its first source's graph, its description written
    anew: a node minted under a claim that nothing links, a claim linking a ``#`` IRI of an
    outside resource the release describes and one of an IRI it mints, and an outside ``#``
    IRI whose document is not described."""
    shutil.copytree(release, out)
    store = ox.Store()
    store.bulk_load(path=str(out / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    (row,) = store.query(  # type: ignore[misc]
        "SELECT ?c ?g WHERE { GRAPH ?g { ?c a <https://w3id.org/drugclaims/ontology#Claim> } } "
        "ORDER BY ?c LIMIT 1"
    )
    claim, graph = row[0].value, row[1].value
    lines = [
        f'<{claim}/orphan/node> {_LABEL} "a node nothing links" <{graph}> .',
        f'<{claim}/orphan#part> {_LABEL} "a part of it" <{graph}> .',
        f'<http://example.org/thing> {_LABEL} "a thing" <{graph}> .',
        f'<http://example.org/thing#part> {_LABEL} "a part of the thing" <{graph}> .',
        f'<http://example.org/lonely#frag> {_LABEL} "alone" <{graph}> .',
        f'<https://w3id.org/DrugClaims/x> {_LABEL} "the root in other case" <{graph}> .',
        f"<{claim}> {_SEE_ALSO} <http://example.org/thing#part> <{graph}> .",
        f"<{claim}> {_SEE_ALSO} <http://example.org/lonely#frag> <{graph}> .",
        f"<{claim}> {_SEE_ALSO} <{ROOT}id/elsewhere#frag> <{graph}> .",
        f"<http://example.org/thing> {_SEE_ALSO} <{claim}#note> <{graph}> .",
    ]
    with (out / "graph.nq").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    describe_anew(out, "graph.nq")
    return out


@pytest.fixture(scope="module", params=["project", "generated", "tricky"])
def compared(
    request: pytest.FixtureRequest, release: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A release's site as kg site writes it, and what kg serve makes its pages from."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "project":
        chosen = release
    elif request.param == "generated":
        chosen = _generated(tmp_path_factory)
    else:
        chosen = _tricky(release, tmp / "tricky")
    build_site(chosen, tmp / "site")
    served = tmp / "served"
    served.mkdir()
    write_served(chosen, copy_release(chosen, served / "release"), served)
    return tmp / "site", served


def test_every_document_made_on_demand_is_the_file_kg_site_writes(
    compared: tuple[Path, Path],
) -> None:
    site, served = compared
    documents = open_served(served)
    written = sorted(p for p in (site / "doc").rglob("*") if p.is_file())
    assert len(written) > 100
    for file in written:
        path = file.relative_to(site).as_posix()
        assert documents.has(path), path
        assert documents.document(path) == file.read_bytes(), path
    for missing in ("doc/nothing-here.html", "doc/ontology.txt", "doc/ontology", "index.html"):
        assert not documents.has(missing) and documents.document(missing) is None


def test_what_serve_keeps_is_the_site_but_the_documents(compared: tuple[Path, Path]) -> None:
    """The front pages and downloads are written once (the home page adds the endpoint), the
    documents are not written at all."""
    site, served = compared
    assert not (served / "site" / "doc").exists()
    for file in sorted(p for p in site.rglob("*") if p.is_file()):
        name = file.relative_to(site).as_posix()
        if name.startswith("doc/") or name in ("nginx.conf", ".htaccess"):
            continue
        kept = (served / "site" / name).read_bytes()
        if name == "index.html":
            assert b'href="/query"' in kept and b'href="/query"' not in file.read_bytes()
        else:
            assert kept == file.read_bytes(), name


def test_the_tricky_iris_are_on_the_pages_the_rules_say(
    release: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Which page shows the added triples, read from the site kg site writes (the same bytes
    as on demand, by the test above)."""
    tmp = tmp_path_factory.mktemp("rules")
    tricky = _tricky(release, tmp / "tricky")
    build_site(tricky, tmp / "site", pictures=False)
    external = (tmp / "site" / "doc" / "external").iterdir()
    thing = next(p for p in external if p.name.endswith("thing.nt")).read_text()
    assert "<http://example.org/thing#part>" in thing  # a # IRI on its document's page
    cased = list((tmp / "site" / "doc" / "external").glob("*DrugClaims-x.nt"))
    assert len(cased) == 1  # an outside IRI: the root's case differs (SQLite's LIKE ignores it)
    lonely = list((tmp / "site" / "doc" / "external").glob("*lonely-frag.nt"))
    assert len(lonely) == 1 and '"alone"' in lonely[0].read_text()
    pages = [p for p in (tmp / "site" / "doc").rglob("*.nt") if p.is_file()]
    orphans = [p for p in pages if "a node nothing links" in p.read_text()]
    assert {p.parent.name for p in orphans} >= {"claim", "orphan"}  # its claim's, and its own


class _Broken:
    """Documents whose store fails, as a damaged kept copy's does."""

    def has(self, path: str) -> bool:
        return True

    def document(self, path: str) -> bytes | None:
        raise RuntimeError("storage error: corruption")


class _Kept:
    discarded = False

    def discard(self) -> None:
        self.discarded = True


def test_a_document_that_cannot_be_made_is_refused_and_the_copy_dropped(tmp_path: Path) -> None:
    kept = _Kept()
    served = _Served(_Broken(), kept)  # type: ignore[arg-type]
    with pytest.raises(Damaged):
        served.document("doc/x.html")
    assert kept.discarded
    (tmp_path / "404.html").write_text("gone")
    found = answer(tmp_path, "/doc/x.html", None, made=served)
    assert found.status == 500 and b"damaged" in found.body


class _Counting:
    def __init__(self) -> None:
        self.made = 0

    def has(self, path: str) -> bool:
        return True

    def document(self, path: str) -> bytes | None:
        self.made += 1
        return path.encode() * (MADE_BYTES // 64 // len(path))


def test_documents_made_are_kept_in_memory_within_a_bound() -> None:
    counting = _Counting()
    served = _Served(counting, None)  # type: ignore[arg-type]
    first = served.document("doc/a.html")
    assert served.document("doc/a.html") == first and counting.made == 1
    for n in range(200):  # far more than the bound holds
        served.document(f"doc/{n}.html")
    assert served._size <= MADE_BYTES
    served.document("doc/a.html")
    assert counting.made == 202  # made again: it was let go


def test_the_pages_of_entities_many_claims_are_about_are_made_at_start(
    release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entity's page counts and draws every claim about it: above HUB_CLAIMS claims its
    documents are written with the front pages (and served as files), the same bytes."""
    import kg.web.site

    build_site(release, tmp_path / "site")
    monkeypatch.setattr(kg.web.site, "HUB_CLAIMS", 3)
    served = tmp_path / "served"
    served.mkdir()
    write_served(release, copy_release(release, served / "release"), served)
    made = sorted(p for p in (served / "site" / "doc").rglob("*") if p.is_file())
    assert made and all(p.relative_to(served / "site").parts[1] == "external" for p in made)
    assert {p.suffix for p in made} == {".html", ".ttl", ".nt", ".jsonld", ".rdf"}
    for file in made:
        assert (
            file.read_bytes()
            == (tmp_path / "site" / file.relative_to(served / "site")).read_bytes()
        )
    found = answer(served / "site", "/" + made[0].relative_to(served / "site").as_posix(), None)
    assert found.status == 200 and found.body == made[0].read_bytes()


def test_the_pages_store_is_closed_when_it_is_written(release: Path, tmp_path: Path) -> None:
    """Found by review: the store stayed open (its lock held, RocksDB free to write) while
    kg serve recorded the copy's files and renamed the folder."""
    write_served(release, copy_release(release, tmp_path / "release"), tmp_path, pictures=False)
    store = ox.Store(str(tmp_path / "pages"))  # another opening would fail on the lock
    assert len(store) > 1000


def test_a_picture_not_drawn_now_answers_503_and_keeps_the_copy(tmp_path: Path) -> None:
    from kg.web.pictures import GraphvizError

    class Undrawn:
        def has(self, path: str) -> bool:
            return True

        def document(self, path: str) -> bytes | None:
            raise GraphvizError("dot could not be run: Too many open files")

    kept = _Kept()
    found = answer(tmp_path, "/doc/x.html", None, made=_Served(Undrawn(), kept))  # type: ignore[arg-type]
    assert found.status == 503 and ("Retry-After", "5") in found.headers
    assert not kept.discarded
