"""The index that scales (kg/web/browse.py): on a generated corpus with a page size small enough
that every listing pages, every claim is reached from the home page by following links, no page
grows with the corpus, and each listing holds as many claims as the release says (by SPARQL)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from folders import built_corpus
from test_site import assert_links_resolve, parsed

from kg.formats.files import RELEASE_FILES
from kg.web.browse import PAGE_SIZE, pages_of
from kg.web.site import ROOT, build_site

pytestmark = pytest.mark.slow
SIZE = 4  # rows a page: the corpus's sources, statuses and entities all take several pages
BUDGET = 200_000  # bytes a page may take at PAGE_SIZE rows (about 10,000 claims or more)
FRAME = 8_000  # bytes of a browse page besides its rows: the same whatever the corpus
ROW = 1_800  # bytes one row may take
KGO = ROOT + "ontology#"
BIOLINK = "https://w3id.org/biolink/vocab/"


@pytest.fixture(scope="module")
def corpus_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_corpus(tmp_path_factory.mktemp("browse") / "project", 6, seed=11)


@pytest.fixture(scope="module")
def paged(corpus_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("paged") / "site"
    build_site(corpus_release, out, page_size=SIZE)
    return out


def store_of(release: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    return store


def counts(store: ox.Store, group: str) -> Counter[int]:
    """How many claims each value of ``group`` (a graph pattern binding ?value) has."""
    rows = store.query(
        f"SELECT ?value (COUNT(DISTINCT ?claim) AS ?n) WHERE {{ ?claim a <{KGO}Claim> . "
        f"{group} }} GROUP BY ?value",
        use_default_graph_as_union=True,  # the claims are in their sources' graphs
    )
    return Counter(int(row["n"].value) for row in rows)  # type: ignore[union-attr]


def claims_of(store: ox.Store) -> set[str]:
    return {
        q.subject.value
        for q in store.quads_for_pattern(
            None,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(KGO + "Claim"),
        )
        if isinstance(q.subject, ox.NamedNode)
    }


def doc_of(claim: str) -> str:
    return "doc/" + claim.removeprefix(ROOT + "id/") + ".html"


def rows_of(page: Path) -> list[str]:
    return re.findall(r"<tr><td>.*?</tr>", page.read_text(encoding="utf-8"))


def shown(page: Path) -> tuple[int, int, int]:
    """The first, last and total rows a page says it shows ("Claims 5-8 of 61", with an en dash)."""
    found = re.search(r"(\d+)\N{EN DASH}(\d+) of (\d+)", page.read_text(encoding="utf-8"))
    assert found, page
    first, last, total = (int(n) for n in found.groups())
    return first, last, total


def listings(site: Path, folder: str) -> dict[Path, list[Path]]:
    """Each listing under browse/<folder>: its pages, in order."""
    found: dict[Path, list[Path]] = defaultdict(list)
    for page in (site / "browse" / folder).rglob("*.html"):
        found[page.parent].append(page)
    return {k: sorted(v, key=lambda p: int(p.stem)) for k, v in found.items()}


def test_every_claim_is_reached_from_the_home_page(corpus_release: Path, paged: Path) -> None:
    """Following the links of the home page and the browse pages alone, never a claim's or
    an entity's page, reaches every claim's page; every link is relative."""
    todo, seen, reached = [paged / "index.html"], set(), set()
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        for href in parsed(page).links:
            if re.match(r"^[a-z]+:", href):
                continue
            assert not href.startswith("/"), f"{page} links to {href} from the host's root"
            target = (page.parent / href.split("#", 1)[0]).resolve()
            where = target.relative_to(paged.resolve()).as_posix()
            if where.startswith("browse/"):
                todo.append(target)
            reached.add(where)
    claims = claims_of(store_of(corpus_release))
    assert len(claims) > 8 * SIZE  # the claims take many pages
    assert {doc_of(c) for c in claims} <= reached
    assert len([p for p in seen if "claims/by-label" in p.as_posix()]) == pages_of(
        len(claims), SIZE
    )


def test_no_page_grows_with_the_corpus(paged: Path) -> None:
    """Every browse page holds at most a page of rows, each row of bounded size, in a frame
    that does not grow with the corpus: at PAGE_SIZE rows a page stays within the budget."""
    assert FRAME + PAGE_SIZE * ROW <= BUDGET
    pages = sorted((paged / "browse").rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        rows = rows_of(page)
        size = page.stat().st_size
        assert 0 < len(rows) <= SIZE, page
        assert max(len(r.encode("utf-8")) for r in rows) <= ROW, page
        assert size - sum(len(r.encode("utf-8")) for r in rows) <= FRAME, page
    assert (paged / "index.html").stat().st_size <= BUDGET
    home = (paged / "index.html").read_text(encoding="utf-8")
    downloads = re.findall(r'href="download/[^"]+"', home)
    assert 0 < len(downloads) <= len(RELEASE_FILES)  # the release's files, none a claim's


def test_each_listing_holds_what_the_release_counts(corpus_release: Path, paged: Path) -> None:
    """Each facet has one listing a value, of as many claims as SPARQL counts for that value,
    on as many pages as they take; each page says which rows it shows and links its
    neighbours."""
    store = store_of(corpus_release)
    expected = {
        "status": counts(store, f"?claim <{KGO}epistemicStatus> ?value"),
        "predicate": counts(store, f"?claim <{BIOLINK}predicate> ?value"),
        "source": counts(store, f"?claim <{BIOLINK}publications> ?value"),
        "entity": counts(
            store,
            f"{{ ?claim <{BIOLINK}subject> ?value }} UNION {{ ?claim <{BIOLINK}object> ?value }}",
        ),
    }
    for folder, plural in (
        ("status", "statuses"),
        ("predicate", "predicates"),
        ("source", "sources"),
        ("entity", "entities"),
    ):
        found = listings(paged, folder)
        totals = Counter(shown(pages[0])[2] for pages in found.values())
        assert totals == expected[folder], folder
        values = listings(paged, plural)[paged / "browse" / plural]
        assert sum(len(rows_of(p)) for p in values) == len(found) == shown(values[0])[2]
        for pages in [*found.values(), values]:
            check_pages(pages)
    claims = claims_of(store)
    for order in ("by-label", "by-date"):
        (pages,) = listings(paged, f"claims/{order}").values()
        check_pages(pages)
        links = [
            re.search(r'href="\.\./\.\./\.\./([^"]+)"', row)
            for page in pages
            for row in rows_of(page)
        ]
        assert sorted(m.group(1) for m in links if m) == sorted(doc_of(c) for c in claims)


def check_pages(pages: list[Path]) -> None:
    """The pages of one listing: numbered 1…n, as many as their rows take, each saying which
    rows it shows and linking the next and the previous."""
    total = shown(pages[0])[2]
    assert len(pages) == pages_of(total, SIZE)
    assert sum(len(rows_of(p)) for p in pages) == total
    for number, page in enumerate(pages, 1):
        first, last, of = shown(page)
        assert (first, last, of) == ((number - 1) * SIZE + 1, min(number * SIZE, total), total)
        links = parsed(page).links
        assert (f"{number + 1}.html" in links) == (number < len(pages)), page
        assert (f"{number - 1}.html" in links) == (number > 1), page


def test_the_paged_site_links_resolve_and_rebuilds_the_same(
    corpus_release: Path, paged: Path
) -> None:
    pages = [paged / "index.html", *sorted((paged / "browse").rglob("*.html"))]
    assert_links_resolve(paged, pages)
    again = paged.parent / "again"
    build_site(corpus_release, again, page_size=SIZE)
    for page in pages:
        assert (again / page.relative_to(paged)).read_bytes() == page.read_bytes(), page
    assert len(list((again / "browse").rglob("*.html"))) == len(pages) - 1


def test_a_page_shows_at_least_one_row(corpus_release: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one row"):
        build_site(corpus_release, tmp_path / "site", page_size=0)


def test_an_entity_page_lists_a_bounded_few_and_links_them_all(
    corpus_release: Path, paged: Path
) -> None:
    """An outside entity's page lists at most SHOWN claims of each status (a drug of a large
    corpus is in thousands), says how many there are, and links the browse pages that list
    them all; those pages do hold every one of its claims (counted by SPARQL)."""
    from kg.web.site import SHOWN

    store = store_of(corpus_release)
    capped = 0
    for page in sorted((paged / "doc" / "external").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        if "<h2>Claims about it</h2>" not in text:
            continue
        about = text.split("<h2>Claims about it</h2>", 1)[1].split("<h2", 1)[0]
        for group in about.split("<h3>")[1:]:
            assert group.count("<li>") <= SHOWN, page
        iri = re.search(r"IRI: <code>([^<]+)</code>", text)
        assert iri, page
        entity = iri.group(1).replace("&amp;", "&")
        claims = {
            row["claim"].value  # type: ignore[index]
            for row in store.query(
                f"SELECT DISTINCT ?claim WHERE {{ ?claim a <{KGO}Claim> . "
                f"{{ ?claim <{BIOLINK}subject> <{entity}> }} UNION "
                f"{{ ?claim <{BIOLINK}object> <{entity}> }} }}",
                use_default_graph_as_union=True,
            )
        }
        listed = about.count("<li>")
        if listed == len(claims):
            continue
        capped += 1
        assert f"{len(claims)} claims" in about
        (href,) = re.findall(r'href="(\.\./\.\./browse/entity/[^"]+/1\.html)"', about)
        first = (page.parent / href).resolve()
        listing = sorted(first.parent.glob("*.html"))
        found = {
            (p.parent / href).resolve()
            for p in listing
            for href in re.findall(r'href="([^"#]+\.html)"', p.read_text(encoding="utf-8"))
        }
        assert {(paged / doc_of(c)).resolve() for c in claims} <= found
    assert capped, "no entity of the corpus has more claims than a page lists"
