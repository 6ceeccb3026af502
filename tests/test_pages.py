"""The pages a pharmacologist reads (issue 18): a claim's abstract with its quote marked at
its offsets, its status explained, links out to the article and each cross-reference, the
licence, downloads and the way home on every page, and schema.org markup search engines read.

What each test expects is read from the release (its graph), never written here, so the tests
hold for any corpus.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape
from rdflib import Graph, URIRef

from kg.runtime.offline import offline
from kg.web.excerpt import excerpt
from kg.web.site import ROOT, Site, _page_html, build_site, index_site, open_site

KGO = ROOT + "ontology#"
OA = "http://www.w3.org/ns/oa#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
RDF_VALUE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"
DCT = "http://purl.org/dc/terms/"


@pytest.fixture(scope="module")
def site(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pages") / "site"
    build_site(release, out)
    return out


@pytest.fixture(scope="module")
def store(release: Path) -> ox.Store:
    found = ox.Store()
    found.bulk_load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    return found


def rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    found = store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in found.variables]  # type: ignore[union-attr]
    return [
        {name: row[name].value for name in names if row[name] is not None}  # type: ignore[union-attr]
        for row in found  # type: ignore[union-attr]
    ]


@pytest.fixture(scope="module")
def model(store: ox.Store) -> Site:
    """The site's view of the release: its pages and the release's prefix map."""
    return open_site(store, index_site(store))


def html_of(site: Path, model: Site, iri: str) -> Path:
    page = model.page_of(iri)
    assert page is not None, iri
    return site / (page.path + ".html")


def leads_to(page: Path, target: Path, fragment: str = "") -> bool:
    """Whether a link of ``page`` (or of its footer, with ``fragment``) leads to ``target``."""
    found = read(page)
    return any(
        not re.match(r"[a-z]+:", href)
        and href.partition("#")[2] == fragment
        and (page.parent / href.partition("#")[0]).resolve() == target.resolve()
        for href, _, _ in found.links
    )


class Page(HTMLParser):
    """A page's links, marks, blockquote, footer and embedded JSON-LD."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (href, rel, text)
        self.marks: list[str] = []
        self.quoted = ["", "", ""]  # a blockquote's text before its mark, in it, after it
        self.quoted_from = -1  # where the blockquote's text starts in the source's text
        self.footer: list[tuple[str, str, str]] = []
        self.jsonld: list[str] = []
        self.styles: list[str] = []
        self.sheets: list[str] = []
        self._open: list[str] = []
        self._link: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("mark", "blockquote", "footer", "script", "style"):
            self._open.append(
                tag if tag != "script" or "ld+json" in values.get("type", "") else "x"
            )
        if tag == "mark":
            self.marks.append("")
        if tag == "blockquote":
            self.quoted_from = int(values.get("data-start", "-1"))
        if tag == "script" and values.get("type") == "application/ld+json":
            self.jsonld.append("")
        if tag == "style":
            self.styles.append("")
        if tag == "link" and values.get("rel") == "stylesheet":
            self.sheets.append(values.get("href", ""))
        if tag == "a":
            self._link = [values.get("href", ""), values.get("rel", ""), ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            link = (self._link[0], self._link[1], self._link[2])
            self.links.append(link)
            if "footer" in self._open:
                self.footer.append(link)
            self._link = None
        if self._open and tag in ("mark", "blockquote", "footer", "script", "style"):
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link[2] += data
        if "mark" in self._open:
            self.marks[-1] += data
        if "blockquote" in self._open:
            self.quoted[1 if "mark" in self._open else 2 if self.marks else 0] += data
        if self._open and self._open[-1] == "script":
            self.jsonld[-1] += data
        if self._open and self._open[-1] == "style":
            self.styles[-1] += data

    @property
    def hrefs(self) -> set[str]:
        return {href for href, _, _ in self.links}


def read(page: Path) -> Page:
    found = Page()
    found.feed(page.read_text(encoding="utf-8"))
    return found


CLAIMS = f"""
SELECT DISTINCT ?claim ?status ?text ?start ?end ?exact ?article ?value ?abstract WHERE {{
  ?claim a <{KGO}Claim> ; <{KGO}epistemicStatus> ?status ; <{KGO}evidence> ?evidence .
  ?evidence <{OA}hasSource> ?text ; <{OA}hasSelector> ?position , ?quote .
  ?position <{OA}start> ?start ; <{OA}end> ?end .
  ?quote <{OA}exact> ?exact .
  ?text <{RDF_VALUE}> ?value ; <{DCT}source> ?article .
  OPTIONAL {{ ?article <{SCHEMA}abstract> ?abstract }}
}} ORDER BY ?claim
"""


def claims(store: ox.Store) -> list[dict[str, str]]:
    found = rows(store, CLAIMS)
    assert len(found) == len({row["claim"] for row in found}) > 0
    return found


def words(text: str) -> str:
    return " ".join(text.split())


def test_each_claim_page_marks_its_quote_in_the_abstract_at_its_offsets(
    site: Path, store: ox.Store, model: Site
) -> None:
    """The highlighted words are the text's own slice at the recorded offsets (the quote),
    and what surrounds them is the text's own too: the abstract when the quote is in it, not
    the page the source came in."""
    shown_whole = 0
    for claim in claims(store):
        page = read(html_of(site, model, claim["claim"]))
        text, start, end = claim["value"], int(claim["start"]), int(claim["end"])
        assert page.marks == [text[start:end]] == [claim["exact"]], claim["claim"]
        before, quote, after = page.quoted
        assert quote == claim["exact"] and page.quoted_from + len(before) == start
        assert text[start - len(before) : start] == before and text[end : end + len(after)] == after
        abstract = claim.get("abstract", "")
        if abstract and words(abstract) in words(text) and words(quote) in words(abstract):
            assert words(before + quote + after) == words(abstract), claim["claim"]
            shown_whole += 1
        assert len(before + quote + after) < len(text) or words(abstract) == words(text)
    assert shown_whole > 0


def test_a_quote_outside_the_abstract_is_shown_in_its_context() -> None:
    text = "Send to\n\nA title here.\n\nThe abstract: a drug   helps.\n\nLinks"
    in_title = excerpt(text, 9, 16, "The abstract: a drug helps.")
    assert (in_title.quote, in_title.whole) == ("A title", False)
    assert in_title.before + in_title.quote + in_title.after == text[in_title.start : in_title.end]
    at = text.index("helps")
    not_found = excerpt(text, at, at + 5, "BACKGROUND: The abstract: a drug helps.")
    assert (not_found.quote, not_found.whole) == ("helps", False)
    shown = excerpt(text, at, at + 5, "The abstract: a drug helps.")
    abstract = text.index("The abstract")
    assert shown.whole and (shown.start, shown.end) == (abstract, at + 6)
    assert shown.before + shown.quote + shown.after == text[abstract : at + 6]


@given(
    st.text(alphabet="ab \n.", min_size=1, max_size=60),
    st.data(),
)
def test_an_excerpt_always_holds_the_span_itself(text: str, data: st.DataObject) -> None:
    """Whatever the text, abstract and span: the quote is the span's own slice, and the words
    around it are the text's own, next to it."""
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    first = data.draw(st.integers(0, len(text)))
    abstract = text[first : data.draw(st.integers(first, len(text)))]
    shown = excerpt(text, start, end, abstract)
    assert shown.quote == text[start:end]
    assert shown.before == text[shown.start : start] and shown.after == text[end : shown.end]


def test_every_status_the_ontology_defines_is_explained(store: ox.Store, release: Path) -> None:
    """A claim page says what its status means, in the ontology's words, whichever status of
    the ontology the claim has."""
    statuses = rows(
        store,
        f"SELECT DISTINCT ?status ?meaning WHERE {{ ?status a <{KGO}EpistemicStatus> . "
        f"OPTIONAL {{ ?status <{SKOS}definition> ?meaning }} }}",
    )
    assert len(statuses) > 1
    assert all(row.get("meaning") for row in statuses), statuses
    claim = claims(store)[0]["claim"]
    for row in statuses:
        changed = ox.Store()
        changed.bulk_load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
        for quad in list(
            changed.quads_for_pattern(
                ox.NamedNode(claim), ox.NamedNode(KGO + "epistemicStatus"), None
            )
        ):
            changed.remove(quad)
            changed.add(
                ox.Quad(quad.subject, quad.predicate, ox.NamedNode(row["status"]), quad.graph_name)
            )
        site = open_site(changed, index_site(changed))
        page = site.page_of(claim)
        assert page is not None
        assert str(escape(row["meaning"])) in _page_html(site, page), row["status"]


def test_a_claim_page_links_its_article_out_and_its_nanopublication(
    site: Path, store: ox.Store, model: Site, release: Path
) -> None:
    """PubMed, the DOI and every other web address of the article (its IRI and exact
    matches, as the release's prefix map expands them); the claim's evidence on its page; its
    nanopublication's URI and its file, a copy of the release's."""
    prefixes: set[str] = set()
    for claim in claims(store):
        path = html_of(site, model, claim["claim"])
        page = read(path)
        article = claim["article"]
        addresses = {article} | {
            row["m"]
            for row in rows(store, f"SELECT ?m WHERE {{ <{article}> <{SKOS}exactMatch> ?m }}")
        }
        for address in addresses:
            if re.match(r"https?://", address):
                assert address in page.hrefs, (claim["claim"], address)
                prefixes.add((model.converter.compress(address) or "").split(":", 1)[0])
        assert "#evidence" in page.hrefs
        key = claim["claim"].rsplit("/", 1)[-1]
        source = claim["claim"][len(ROOT + "id/") :].split("/", 1)[0]
        trig = release / "nanopubs" / source / f"{key}.trig"
        if trig.is_file():
            (head,) = {
                q.subject.value
                for q in ox.parse(path=str(trig), format=ox.RdfFormat.TRIG)
                if q.predicate.value == RDF_TYPE
                and q.object.value == "http://www.nanopub.org/nschema#Nanopublication"
            }
            assert head in page.hrefs
            (copy,) = [h for h in page.hrefs if h.endswith(f"nanopubs/{source}/{key}.trig")]
            assert (path.parent / copy).read_bytes() == trig.read_bytes()
    assert {"pubmed", "doi"} <= prefixes  # the project's articles have both


def test_entity_pages_link_their_claims_cross_references_and_mapping_records(
    site: Path, store: ox.Store, model: Site
) -> None:
    records = rows(
        store,
        "SELECT DISTINCT ?record ?source ?target WHERE { ?record "
        "<http://www.w3.org/2002/07/owl#annotatedSource> ?source ; "
        "<http://www.w3.org/2002/07/owl#annotatedTarget> ?target }",
    )
    assert records
    for row in records:
        source = html_of(site, model, row["source"])
        assert leads_to(source, html_of(site, model, row["record"])), row
        if re.match(r"https?://", row["target"]):
            assert row["target"] in read(source).hrefs, row
    for row in rows(
        store,
        f"SELECT DISTINCT ?claim ?entity WHERE {{ ?claim a <{KGO}Claim> ; "
        "<https://w3id.org/biolink/vocab/subject>|<https://w3id.org/biolink/vocab/object> "
        "?entity }",
    ):
        if row["entity"].startswith(ROOT):
            continue  # a term of the ontology: its page documents it, the index lists claims
        entity = html_of(site, model, row["entity"])
        assert leads_to(entity, html_of(site, model, row["claim"])), row


def test_every_page_links_home_the_downloads_and_the_licence(
    site: Path, store: ox.Store, model: Site, release: Path
) -> None:
    (licence,) = {
        row["l"]
        for row in rows(
            store,
            f"SELECT ?l WHERE {{ ?d a <http://www.w3.org/ns/dcat#Dataset> ; <{DCT}license> ?l }}",
        )
    }
    version = model.version
    assert version
    release_page = html_of(site, model, f"{ROOT}release/{version}")
    for path in sorted(site.rglob("*.html")):
        footer = read(path).footer
        if path.name == "404.html":
            continue  # its links lead from the root: test_the_404_page_...
        ways = {
            (path.parent / href.partition("#")[0]).resolve().relative_to(site.resolve()).as_posix()
            + ("#" + href.partition("#")[2] if "#" in href else "")
            for href, _, _ in footer
            if not re.match(r"[a-z]+:", href)
        }
        down = release_page.relative_to(site).as_posix() + "#downloads"
        assert {"index.html", down} <= ways, path
        assert (licence, "license") in {(href, rel) for href, rel, _ in footer}, path
    offered = sorted((site / "download" / version).glob("*.*"))
    assert {p.name for p in offered} == {
        name for name in os.listdir(release) if (release / name).is_file()
    }
    for file in offered:
        assert leads_to(release_page, file), file
        assert file.read_bytes() == (release / file.name).read_bytes()
    assert 'id="downloads"' in release_page.read_text(encoding="utf-8")


def test_the_404_page_keeps_its_style_and_its_way_home(site: Path) -> None:
    """It is served for any path (/id/a/b/c): its style is inline and its links lead from the
    root, so neither breaks with the depth of the path."""
    page = read(site / "404.html")
    assert page.sheets == [] and page.styles and "max-width" in page.styles[0]
    assert ("/index.html", "", "Home") in page.footer
    for href, _, _ in page.links:
        assert href.startswith("/") or re.match(r"https?://", href), href
        if href.startswith("/"):
            assert (site / href[1:].split("#", 1)[0]).is_file(), href


def test_kg_serve_answers_any_unknown_path_with_the_styled_404(tmp_path: Path) -> None:
    import requests
    from test_serve import served

    with served(tmp_path) as server:
        for path in ("/id/a/b/c", "/doc/a/b/c/d.html", "/nothing"):
            answer = requests.get(server.url + path, timeout=10)
            assert answer.status_code == 404, path
            page = Page()
            page.feed(answer.text)
            assert page.sheets == [] and page.styles
            for href, _, _ in page.links:
                if href.startswith("/"):
                    assert requests.get(server.url + href, timeout=10).status_code == 200, href


def markup(site: Path) -> dict[str, list[tuple[Path, dict[str, object]]]]:
    """Every page's schema.org markup, by its type, each read offline as JSON-LD."""
    found: dict[str, list[tuple[Path, dict[str, object]]]] = {}
    for path in sorted(site.rglob("*.html")):
        for text in read(path).jsonld:
            data = json.loads(text)
            with offline():
                assert len(Graph().parse(data=text, format="json-ld")) >= 3
            kinds = data["@type"] if isinstance(data["@type"], list) else [data["@type"]]
            for kind in kinds:
                found.setdefault(kind, []).append((path, data))
    return found


def test_the_dataset_markup_has_what_google_and_bioschemas_ask_for(
    site: Path, model: Site, release: Path
) -> None:
    found = markup(site)
    pages = {path for path, _ in found["Dataset"]}
    assert site / "index.html" in pages
    assert html_of(site, model, f"{ROOT}release/{model.version}") in pages
    void = Graph().parse(release / "void.ttl", format="turtle")
    urls = {str(o) for o in void.objects(None, URIRef("http://www.w3.org/ns/dcat#downloadURL"))}
    assert urls
    for _, data in found["Dataset"]:
        for field in ("name", "url", "identifier", "license", "version", "keywords"):
            assert data.get(field), field
        assert len(str(data["description"])) >= 50  # Google's shortest description
        assert data["license"] == model.license and data["version"] == model.version
        assert data["isAccessibleForFree"] is True
        creator = data["creator"]
        assert isinstance(creator, dict) and creator["name"] and creator["@type"]
        downloads = data["distribution"]
        assert isinstance(downloads, list)
        assert {d["contentUrl"] for d in downloads} == urls
        assert all(d["@type"] == "DataDownload" and d["encodingFormat"] for d in downloads)
        assert data["http://purl.org/dc/terms/conformsTo"] == {
            "@id": "https://bioschemas.org/profiles/Dataset/1.0-RELEASE"
        }


def test_articles_and_drugs_have_their_markup(site: Path, store: ox.Store) -> None:
    found = markup(site)
    articles = rows(store, f"SELECT DISTINCT ?a WHERE {{ ?a a <{SCHEMA}ScholarlyArticle> }}")
    assert len(found["ScholarlyArticle"]) == len(articles) > 0
    for _, data in found["ScholarlyArticle"]:
        assert data["name"] and data["datePublished"]
        same = data["sameAs"]
        assert isinstance(same, list) and data["@id"] in same
        ids = data["identifier"]
        assert isinstance(ids, list) and all(i["propertyID"] and i["value"] for i in ids)
    drugs = rows(store, "SELECT DISTINCT ?d WHERE { ?d a <https://w3id.org/biolink/vocab/Drug> }")
    assert len(found["Drug"]) == len(drugs) > 0
    for _, data in found["Drug"]:
        matches = {
            row["m"]
            for row in rows(store, f"SELECT ?m WHERE {{ <{data['@id']}> <{SKOS}exactMatch> ?m }}")
        }
        assert data["name"] and data["identifier"]
        assert {m for m in matches if re.match(r"https?://", m)} <= set(data["sameAs"])  # type: ignore[arg-type]


def test_a_release_from_elsewhere_cannot_slip_a_file_in_as_a_nanopublication(
    release: Path, tmp_path: Path
) -> None:
    """A symlink among the nanopublications (a file or a source's folder) is never copied
    into the site; a nanopublication that is not TriG is one line naming it."""
    import shutil

    from kg.errors import InputError

    hostile = tmp_path / "hostile"
    shutil.copytree(release, hostile)
    (victim, *_) = sorted((hostile / "nanopubs").glob("*/*.trig"))
    victim.unlink()
    victim.symlink_to("/etc/hostname")
    (hostile / "nanopubs" / "elsewhere").symlink_to(victim.parent)
    site = tmp_path / "site"
    build_site(hostile, site)
    copied = {
        p.relative_to(site / "download").as_posix().split("/", 1)[1]
        for p in site.glob("download/*/nanopubs/*/*.trig")
    }
    assert copied and f"nanopubs/{victim.parent.name}/{victim.name}" not in copied
    assert not any(name.startswith("nanopubs/elsewhere/") for name in copied)
    (hostile / "nanopubs" / "elsewhere").unlink()
    victim.unlink()
    victim.write_text("not TriG {", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(victim.name) + ".*not a nanopublication"):
        build_site(hostile, tmp_path / "other")


def test_the_links_the_site_adds_are_not_a_claims_qualifiers(site: Path) -> None:
    """The site adds each claim's link to its nanopublication (dct:isReferencedBy, in the
    claim's documents): the page shows it as the nanopublication, never as a qualifier in the
    claim's table or its diagram."""
    pages = sorted(site.glob("doc/*/claim/*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        claim = text.split("<h2>The claim</h2>", 1)[1].split("<h2", 1)[0]
        figure = text.split("<figure", 1)[1].split("</figure>", 1)[0] if "<figure" in text else ""
        for part in (claim, figure):
            assert "isReferencedBy" not in part and "is referenced by" not in part, page
