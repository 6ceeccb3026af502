"""The site in a real browser: headless Chromium (Debian's, driven by Selenium through Debian's
chromedriver: nothing is downloaded) over kg serve. The highlighted text is the quote, a negated
claim says so, no console error, no request leaves the site, every internal link resolves, and
axe-core (npm) finds no WCAG 2 A/AA violation. Screenshots are kept in the test's folder."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from servers import executable

pytestmark = pytest.mark.stores

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / ".ci" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
CLAIM = "/id/pubmed-22870448/claim/no-new-safety-concerns"
ENTITY = "/doc/external/pubchem.compound-65833.html"


def requirement(path: Path, what: str) -> None:
    if not path.is_file():
        message = f"{what} is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = executable("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from test_serve import served

    with served(tmp_path_factory.mktemp("browser")) as running:
        yield running.url


def requests_of(driver: object) -> list[str]:
    """The URLs the page requested (Chromium's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def visit(driver: object, url: str, shot: Path) -> None:
    driver.get_log("performance")  # type: ignore[attr-defined]  # forget earlier pages
    driver.get(url)  # type: ignore[attr-defined]
    driver.save_screenshot(str(shot))  # type: ignore[attr-defined]


def check_page(driver: object, server: str) -> None:
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]
    assert errors == []
    host = urlsplit(server).netloc
    outside = [u for u in requests_of(driver) if urlsplit(u).netloc not in (host, "")]
    assert outside == []
    requirement(AXE, "axe-core")
    driver.execute_script(AXE.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    result = driver.execute_async_script(  # type: ignore[attr-defined]
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        ".then(function (r) { done(r.violations.map(function (v) { return v.id; })); });"
    )
    assert result == []


def test_the_index_a_claim_and_an_entity_in_chromium(
    browser: object, server: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    visit(browser, server + "/", tmp_path / "index.png")
    check_page(browser, server)
    browser.find_element(By.LINK_TEXT, "negated").click()  # type: ignore[attr-defined]
    check_page(browser, server)
    statuses = browser.find_elements(By.CSS_SELECTOR, "tbody .status")  # type: ignore[attr-defined]
    assert statuses and {s.text for s in statuses} == {"negated"}

    visit(browser, server + CLAIM, tmp_path / "claim.png")  # 303 to the HTML page
    check_page(browser, server)
    mark = browser.find_element(By.TAG_NAME, "mark").text  # type: ignore[attr-defined]
    body = browser.find_element(By.TAG_NAME, "main").text  # type: ignore[attr-defined]
    assert "negated" in body
    assert mark and mark in body

    visit(browser, server + ENTITY, tmp_path / "entity.png")
    check_page(browser, server)
    assert "Cross-references" in browser.find_element(By.TAG_NAME, "main").text  # type: ignore[attr-defined]
    for shot in ("index.png", "claim.png", "entity.png"):
        assert (tmp_path / shot).stat().st_size > 10_000


def test_a_browse_page_sorts_by_a_column(browser: object, server: str, tmp_path: Path) -> None:
    """The claims are in order of their labels without script; pressing a column's header
    sorts the page by that column, and pressing it again reverses the order."""
    from selenium.webdriver.common.by import By

    visit(browser, server + "/browse/claims/by-label/1.html", tmp_path / "browse.png")
    check_page(browser, server)

    def column(n: int) -> list[str]:
        cells = browser.find_elements(By.CSS_SELECTOR, f"tbody tr td:nth-child({n})")  # type: ignore[attr-defined]
        return [c.text for c in cells]

    labels = column(1)
    assert len(labels) > 10 and labels == sorted(labels, key=str.casefold)
    objects = column(4)  # the claims' objects: not in the labels' order
    assert objects != sorted(objects, key=str.casefold)
    header = browser.find_element(By.XPATH, "//th[4]/button")  # type: ignore[attr-defined]
    header.click()
    assert column(4) == sorted(objects, key=str.casefold) and column(1) != labels
    header.click()
    assert column(4) == sorted(objects, key=str.casefold, reverse=True)
    assert browser.find_element(By.XPATH, "//th[4]").get_attribute("aria-sort") == "descending"  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["/", "/browse/claims/by-label/1.html", "/browse/entities/1.html"])
def test_the_index_fits_a_phone(browser: object, server: str, path: str) -> None:
    """At 390 px wide nothing scrolls sideways but a table in its own box."""
    browser.set_window_size(390, 844)  # type: ignore[attr-defined]
    try:
        browser.get(server + path)  # type: ignore[attr-defined]
        overflow = browser.execute_script(  # type: ignore[attr-defined]
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px"
    finally:
        browser.set_window_size(1280, 1600)  # type: ignore[attr-defined]


def test_a_crawl_finds_no_broken_internal_link(browser: object, server: str) -> None:
    """Every page reachable from the index, through the server: each link answers 200."""
    import requests

    todo, seen = [server + "/"], set()
    while todo and len(seen) < 400:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 200, url
        if "text/html" not in answer.headers["Content-Type"]:
            continue
        for href in _hrefs(answer.text):
            target = urljoin(url, href).split("#", 1)[0]
            if urlsplit(target).netloc == urlsplit(server).netloc:
                todo.append(target)
    assert len(seen) > 50


def _hrefs(page: str) -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            for name, value in attrs:
                if name == "href" and value:
                    found.append(value)

    Parser().feed(page)
    return found


#: A phone (an iPhone's 390 x 844 CSS pixels) and a desktop.
SIZES = [(390, 844), (1280, 1600)]


def pages_of_each_kind() -> dict[str, str]:
    """One page of each kind the site has, by the path kg serve answers it at: read from the
    release, so that any corpus has them."""
    import pyoxigraph as ox

    from kg.web.site import ROOT as BASE
    from kg.web.site import index_site, open_site

    store = ox.Store()
    store.bulk_load(path=str(ROOT / "dist" / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    site = open_site(store, index_site(store))

    def first(query: str) -> str:
        (row, *_) = list(store.query(query, use_default_graph_as_union=True))  # type: ignore[misc]
        return str(row[0].value)

    claim = first(
        "SELECT ?c WHERE { ?c a <https://w3id.org/drugclaims/ontology#Claim> } ORDER BY ?c"
    )
    kinds = {
        "claim": claim,
        "entity": first(
            f"SELECT ?e WHERE {{ <{claim}> <https://w3id.org/biolink/vocab/subject> ?e }}"
        ),
        "source": first(
            "SELECT ?a WHERE { ?a a <https://schema.org/ScholarlyArticle> } ORDER BY ?a"
        ),
        "text": first(
            f"SELECT ?t WHERE {{ <{claim}> <https://w3id.org/drugclaims/ontology#evidence> ?e . "
            "?e <http://www.w3.org/ns/oa#hasSource> ?t }"
        ),
        "release": f"{BASE}release/{site.version}",
        "ontology": f"{BASE}ontology",
        "mapping": first(
            "SELECT ?m WHERE { ?m <http://www.w3.org/2002/07/owl#annotatedSource> ?s } ORDER BY ?m"
        ),
    }
    paths = {"index": "/"}
    for kind, iri in kinds.items():
        page = site.page_of(iri)
        assert page is not None, iri
        paths[kind] = f"/{page.path}.html"
    return {**paths, "404": "/id/a/b/c"}


@pytest.fixture(scope="module")
def nginx_server(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site kg site writes, behind a real nginx with the configuration it writes."""
    import pyoxigraph as ox
    from test_deploy import nginx

    from kg.web.site import build_site, license_of

    site = tmp_path_factory.mktemp("browser-nginx") / "site"
    build_site(release, site)
    store = ox.Store()
    store.load(path=str(release / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    with nginx(site, license_of(store)) as url:
        yield url


@pytest.mark.parametrize("behind", ["server", "nginx_server"], ids=["kg serve", "nginx"])
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_no_page_scrolls_sideways_and_each_passes_axe(
    browser: object,
    request: pytest.FixtureRequest,
    behind: str,
    tmp_path: Path,
    width: int,
    height: int,
) -> None:
    """One page of each kind, at a phone's width and a desktop's, over kg serve and over
    nginx: nothing wider than the screen (a wide table scrolls in its own box), no axe
    violation; the 404 page, served under /id/, keeps its style and its way home."""
    from selenium.webdriver.common.by import By

    server = request.getfixturevalue(behind)
    browser.set_window_size(width, height)  # type: ignore[attr-defined]
    try:
        for kind, path in pages_of_each_kind().items():
            visit(browser, server + path, tmp_path / f"{kind}-{width}.png")
            widths = browser.execute_script(  # type: ignore[attr-defined]
                "return [document.documentElement.scrollWidth,"
                " document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], (kind, path, widths)
            if width < 500:
                assert widths[1] < 500, "the window is not a phone's"
            if kind == "404":  # the one error the console may show: the page's own status
                errors = [e["message"] for e in browser.get_log("browser")]  # type: ignore[attr-defined]
                assert all(f"{server}{path} " in error and "404" in error for error in errors)
            check_page(browser, server)
            if kind == "404":
                style = browser.execute_script(  # type: ignore[attr-defined]
                    "return getComputedStyle(document.body).maxWidth"
                )
                assert style != "none"  # style.css's max-width, inline
                home = browser.find_element(By.LINK_TEXT, "Home")  # type: ignore[attr-defined]
                home.click()
                # the home page: its browse links lead to every claim
                assert browser.find_elements(By.CSS_SELECTOR, "a[href^='browse/']")  # type: ignore[attr-defined]
    finally:
        browser.set_window_size(1280, 1600)  # type: ignore[attr-defined]
