"""kg site: every resource of the release has a page and RDF documents, the pages link only
inside the site, and resource IRIs dereference by content negotiation (303 to the document)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import requests
from click.testing import Result
from folders import describe_anew
from rdflib import Graph
from test_negotiation import CLIENTS

from kg.runtime.offline import offline
from kg.web import site as site_module
from kg.web.deploy import answer
from kg.web.documents import GraphSizes, load_release, site_statements
from kg.web.negotiation import negotiate
from kg.web.pageindex import PageIndex
from kg.web.site import ROOT, build_site, index_site

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
#: What real clients send, and the format each must get (the table kg serve, nginx and Apache
#: are all tested with: tests/fixtures/accept.tsv)
ACCEPT = [(c.accept, c.format) for c in CLIENTS if c.format != "406"]


@pytest.fixture(scope="module")
def site(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(release, out)
    return out


@pytest.mark.parametrize(("accept", "expected"), ACCEPT)
def test_negotiation_gives_each_client_its_format(accept: str | None, expected: str) -> None:
    found = negotiate(accept)
    assert found is not None and found.extension == expected


def test_nothing_acceptable_is_406(site: Path) -> None:
    """406 with a short body naming what is offered, and its length (a client on a kept-alive
    connection waited for the end of an answer that had none)."""
    assert negotiate("image/png") is None
    found = answer(site, "/id/pubmed-22870448/claim/snri-class", "image/png")
    assert found.status == 406
    headers = dict(found.headers)
    assert int(headers["Content-Length"]) == len(found.body) < 200
    assert headers["Vary"] == "Accept" and headers["Access-Control-Allow-Origin"] == "*"
    offered = found.body.decode("ascii")
    for media in ("text/turtle", "application/ld+json", "application/n-triples"):
        assert media in offered
    assert "application/rdf+xml" in offered and "text/html" in offered


def test_a_rebuild_writes_the_same_bytes(release: Path, site: Path) -> None:
    again = site.parent / "again"
    build_site(release, again)
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    differ = [name for name in first if first[name] != second[name]]
    assert differ == [Path("nginx.conf")]  # it names the folder it serves


def test_a_large_release_is_written_from_a_store_on_disk_the_same(
    release: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above :data:`STORE_IN_MEMORY` the site is made from a store and a pages' index on disk
    (memory that does not grow with the corpus): the same site, byte for byte."""
    monkeypatch.setattr(site_module, "STORE_IN_MEMORY", 0)
    given: list[dict[str, object]] = []
    prepare = site_module.prepare_site

    def prepare_on(*args: Any, **kwargs: Any) -> Any:
        given.append(kwargs)
        return prepare(*args, **kwargs)

    monkeypatch.setattr(site_module, "prepare_site", prepare_on)
    on_disk = site.parent / "on-disk"
    build_site(release, on_disk)
    ((store, index),) = ((kw.get("store"), kw.get("index")) for kw in given)
    assert isinstance(store, Path) and isinstance(index, Path)  # not in memory
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(on_disk): p.read_bytes() for p in on_disk.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == [Path("nginx.conf")]


def test_a_rebuild_links_the_unchanged_documents_and_lists_none_of_them(
    release: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documents go into the site as whole folders (nothing is kept of each of them while
    the site is written); those the site being replaced holds byte for byte are hard-linked
    from it, so an unchanged page keeps its file."""
    again = site.parent / "linked"
    build_site(release, again)
    documents = sorted(p for p in (again / "doc").rglob("*") if p.is_file())
    assert len(documents) > 100
    inodes = {p: p.stat().st_ino for p in documents}
    given: list[dict[str, object]] = []
    write = site_module.write_release

    def spy(files: Any, out: Path, **kwargs: Any) -> Path:
        given.append({"names": list(files), **kwargs})
        return write(files, out, **kwargs)

    monkeypatch.setattr(site_module, "write_release", spy)
    build_site(release, again)
    ((call,),) = (given,)
    assert not any(str(name).startswith("doc/") for name in call["names"])  # none listed
    assert set(call["trees"]) == {"doc"}  # type: ignore[call-overload]
    assert all(p.stat().st_ino == inodes[p] for p in documents)  # linked, not written again
    assert {p: p.read_bytes() for p in documents} == {
        p: (site / p.relative_to(again)).read_bytes() for p in documents
    }


def release_triples(release: Path) -> set[str]:
    return {
        f"{q.subject} {q.predicate} {q.object}"
        for q in ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    }


def test_the_documents_hold_the_release(release: Path, site: Path) -> None:
    """Every triple of the release is in the documents of its subject (a node minted under
    another's IRI, such as a claim's evidence, in that one's too), and each format of a
    document holds the same triples."""
    held: set[str] = set()
    for turtle in sorted(p for p in (site / "doc").rglob("*.ttl") if p.is_file()):
        forms = {}
        for ext, fmt in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("rdf", "xml")):
            graph = Graph().parse(turtle.with_suffix(f".{ext}"), format=fmt)
            forms[ext] = {f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in graph}
        assert forms["ttl"] == forms["nt"] == forms["jsonld"] == forms["rdf"], turtle
        held |= {
            f"{q.subject} {q.predicate} {q.object}"
            for q in ox.parse(path=str(turtle.with_suffix(".nt")), format=ox.RdfFormat.N_TRIPLES)
        }
    assert release_triples(release) <= held
    by_subject: dict[str, set[str]] = {}
    for quad in ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS):
        if quad.subject.value.startswith(ROOT):  # an outside resource's: tests/test_crawl.py
            by_subject.setdefault(quad.subject.value, set()).add(
                f"{quad.subject} {quad.predicate} {quad.object}"
            )
    for subject, triples in by_subject.items():
        found = answer(site, subject.split("#", 1)[0][len(ROOT) - 1 :], "application/n-triples")
        location = dict(found.headers)["Location"]
        document = ox.parse(answer(site, location, None).body, format=ox.RdfFormat.N_TRIPLES)
        assert triples <= {f"{q.subject} {q.predicate} {q.object}" for q in document}, subject


@pytest.mark.parametrize(("accept", "expected"), ACCEPT)
def test_a_resource_iri_answers_303_to_its_document(
    site: Path, accept: str | None, expected: str
) -> None:
    found = answer(site, "/id/pubmed-22870448/claim/no-new-safety-concerns", accept)
    assert found.status == 303
    headers = dict(found.headers)
    assert headers["Location"] == f"/doc/pubmed-22870448/claim/no-new-safety-concerns.{expected}"
    assert headers["Vary"] == "Accept"


def test_documents_carry_type_vary_and_signposting(site: Path) -> None:
    found = answer(site, "/doc/pubmed-22870448/claim/snri-class.ttl", None, license_iri="http://l/")
    headers = dict(found.headers)
    assert found.status == 200
    assert headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert headers["Vary"] == "Accept"
    link = headers["Link"]
    assert f'<{ROOT}id/pubmed-22870448/claim/snri-class>; rel="cite-as"' in link
    assert '</doc/pubmed-22870448/claim/snri-class.jsonld>; rel="describedby"' in link
    assert (
        '</doc/pubmed-22870448/claim/snri-class.rdf>; rel="describedby"; '
        'type="application/rdf+xml"' in link
    )
    assert '<http://l/>; rel="license"' in link and 'rel="type"' in link
    assert Graph().parse(data=found.body, format="turtle")


@pytest.mark.parametrize(
    "path", ["/id/nothing-here", "/doc/", "/doc/../../etc/passwd", "/secret", "/nginx.conf"]
)
def test_unknown_paths_are_404_with_a_page(site: Path, path: str) -> None:
    found = answer(site, path, None)
    assert found.status == 404
    assert b"Not found" in found.body


class Links(HTMLParser):
    """The links, sources, marks and embedded JSON-LD of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.loads: list[str] = []  # what a browser would fetch to show the page
        self.marks: list[str] = []
        self.jsonld: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag == "link" and values.get("rel") == "stylesheet":
            self.loads.append(values.get("href") or "")
        if tag in ("script", "img", "iframe") and values.get("src"):
            self.loads.append(values["src"] or "")
        if tag == "mark":
            self._in = "mark"
            self.marks.append("")
        if tag == "script" and values.get("type") == "application/ld+json":
            self._in = "jsonld"
            self.jsonld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("mark", "script"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "mark":
            self.marks[-1] += data
        elif self._in == "jsonld":
            self.jsonld[-1] += data


def parsed(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def test_every_internal_link_resolves_and_nothing_loads_from_elsewhere(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 100
    assert_links_resolve(site, pages)


def assert_links_resolve(site: Path, pages: list[Path]) -> None:
    """Every relative link of ``pages`` leads to a file of ``site`` (and its fragment to an
    id there); nothing loads from elsewhere."""
    for page in pages:
        found = parsed(page)
        for href in found.links + found.loads:
            if re.match(r"^[a-z]+:", href):
                assert href not in found.loads, f"{page} loads {href}"
                continue
            path, _, fragment = href.partition("#")
            if path.startswith("/"):  # only the 404 page, served at any path, leads from the root
                assert page == site / "404.html", f"{page} links to {href} from the root"
            if not path:  # a place on the same page
                target = page
            elif path.startswith("/"):
                target = (site / path[1:]).resolve()
            else:
                target = (page.parent / path).resolve()
            assert target.is_file(), f"{page.relative_to(site)} links to a missing {href}"
            if fragment:
                ids = set(re.findall(r' id="([^"]+)"', target.read_text(encoding="utf-8")))
                assert fragment in ids, f"{page.relative_to(site)} links to a missing {href}"
        for load in found.loads:
            assert not re.match(r"^[a-z]+:|^//", load), f"{page} loads {load} from elsewhere"


def test_rdfxml_is_offered_and_linked(site: Path) -> None:
    """Each resource's RDF/XML: served as application/rdf+xml, read by a strict parser, and
    linked from its page (visibly and as an alternate)."""
    found = answer(site, "/doc/ontology.rdf", None)
    assert dict(found.headers)["Content-Type"] == "application/rdf+xml; charset=utf-8"
    assert len(list(ox.parse(found.body, format=ox.RdfFormat.RDF_XML))) > 100
    page = (site / "doc/ontology.html").read_text(encoding="utf-8")
    assert '<a href="ontology.rdf" type="application/rdf+xml">RDF/XML</a>' in page
    assert '<link rel="alternate" type="application/rdf+xml" href="ontology.rdf">' in page


def test_a_claim_page_highlights_its_quote_and_says_negated(release: Path, site: Path) -> None:
    store = ox.Store()
    store.load(path=str(release / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    claim = f"{ROOT}id/pubmed-22870448/claim/no-new-safety-concerns"
    (exact,) = store.query(
        f"SELECT ?e WHERE {{ <{claim}/evidence/quote> <http://www.w3.org/ns/oa#exact> ?e }}"
    )
    page = site / "doc/pubmed-22870448/claim/no-new-safety-concerns.html"
    found = parsed(page)
    assert found.marks == [exact["e"].value]
    assert "negated" in page.read_text(encoding="utf-8")


def test_an_entity_page_lists_its_claims_and_cross_references(site: Path) -> None:
    text = (site / "doc/external/pubchem.compound-65833.html").read_text(encoding="utf-8")
    assert "Claims about it" in text and "Cross-references" in text
    assert 'href="http://rdf.ncbi.nlm.nih.gov/pubchem/compound/CID65833"' in text  # authority
    assert "<h3>negated</h3>" in text and "<h3>asserted</h3>" in text


def test_the_ontology_page_documents_every_term(release: Path, site: Path) -> None:
    """pyLODE's layout: every kgo: term of the ontology under an anchor, with its definition."""
    text = (site / "doc/ontology.html").read_text(encoding="utf-8")
    store = ox.Store()
    store.load(path=str(release / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    terms = {
        q.subject.value.split("#", 1)[1]
        for q in store.quads_for_pattern(
            None,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#isDefinedBy"),
            ox.NamedNode(ROOT + "ontology"),
        )
    }
    assert len(terms) > 40
    for term in terms:
        assert f'<section id="{term}">' in text, term
    assert text.count("<dt>definition</dt>") >= len(terms)


def test_embedded_jsonld_expands_without_fetching(site: Path) -> None:
    found = 0
    for page in sorted(site.rglob("*.html")):
        for data in parsed(page).jsonld:
            with offline():
                graph = Graph().parse(data=data, format="json-ld")
            assert len(graph) >= 3
            assert json.loads(data)["@context"] == {"@vocab": "https://schema.org/"}
            found += 1
    assert found > 3


def test_kg_serve_serves_the_site_with_negotiation(tmp_path: Path) -> None:
    from test_serve import served

    with served(tmp_path) as server:
        index = requests.get(f"{server.url}/", timeout=10)
        assert index.status_code == 200 and "Claims" in index.text
        iri = "/id/pubmed-22870448/claim/snri-class"
        redirect = requests.get(
            server.url + iri, headers={"Accept": "text/turtle"}, allow_redirects=False, timeout=10
        )
        assert redirect.status_code == 303
        document = requests.get(server.url + iri, headers={"Accept": "text/turtle"}, timeout=10)
        assert document.headers["Content-Type"] == "text/turtle; charset=utf-8"
        graph = Graph().parse(data=document.text, format="turtle")
        assert len(graph) > 10
        head = requests.head(server.url + redirect.headers["Location"], timeout=10)
        assert head.status_code == 200 and head.text == ""
        assert requests.get(server.url + "/nope", timeout=10).status_code == 404


def flip_a_byte(path: Path) -> None:
    """The same size, another byte in the middle."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


#: What a release folder from elsewhere may hold that its description (void.ttl) does not say,
#: and the words of the one line that refuses it (issue 19).
UNTRUSTED = [
    ("an extra file", lambda r: (r / "shadow.txt").write_text("x"), "shadow.txt: not a file"),
    ("a symlink", lambda r: (r / "shadow.txt").symlink_to("/etc/hostname"), "shadow.txt: not"),
    (
        "a listed file made a symlink",
        lambda r: ((r / "claims.csv").unlink(), (r / "claims.csv").symlink_to("/etc/hostname")),
        "claims.csv: a symbolic link: refused",
    ),
    ("changed bytes", lambda r: flip_a_byte(r / "claims.csv"), "claims.csv: its SHA-256 is not"),
    (
        "another size",
        lambda r: (r / "graph.nt").write_bytes((r / "graph.nt").read_bytes() + b"\n"),
        "graph.nt: ",
    ),
    ("a listed file missing", lambda r: (r / "mappings.sssom.tsv").unlink(), "but missing"),
    ("no description", lambda r: (r / "void.ttl").unlink(), "void.ttl: missing"),
    (
        "a listed file a folder",
        lambda r: ((r / "kgx_nodes.tsv").unlink(), (r / "kgx_nodes.tsv").mkdir()),
        "not a regular file",
    ),
]


@pytest.mark.parametrize(("what", "change", "said"), UNTRUSTED, ids=[case[0] for case in UNTRUSTED])
def test_only_what_the_release_lists_is_published(
    what: str,
    change: Callable[[Path], object],
    said: str,
    release: Path,
    tmp_path: Path,
    kg: Callable[..., Result],
) -> None:
    """A release folder from elsewhere is published only when it holds exactly the files its
    void.ttl lists, each with the size and SHA-256 listed: anything else refuses the whole
    release in one line (a tampered release is never half published), and no site is written.
    Before, a symlink (shadow.txt -> /etc/shadow) was served, and a changed file copied."""
    import shutil

    hostile = tmp_path / "hostile"
    shutil.copytree(release, hostile)
    assert kg("site", "--release", hostile, "--out", tmp_path / "fine").exit_code == 0
    change(hostile)
    result = kg("site", "--release", hostile, "--out", tmp_path / "site")
    assert result.exit_code == 2, what
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"kg: error: {hostile}/") and said in line, line
    assert not (tmp_path / "site").exists()


def test_an_untrusted_release_cannot_write_outside_the_site(
    release: Path, tmp_path: Path, kg: Callable[..., Result]
) -> None:
    """An IRI with '..' segments in graph.nq, its description written anew to match, is
    refused in one line (it made kg site write files anywhere) (issue 19)."""
    import shutil

    hostile = tmp_path / "hostile"
    shutil.copytree(release, hostile)
    evil = (
        "<https://w3id.org/drugclaims/id/x/../../../escaped> "
        '<http://www.w3.org/2000/01/rdf-schema#label> "x" .\n'
    )
    with (hostile / "graph.nq").open("a", encoding="utf-8") as handle:
        handle.write(evil)
    describe_anew(hostile, "graph.nq")
    result = kg("site", "--release", hostile, "--out", tmp_path / "other")
    assert result.exit_code == 2
    assert "not an IRI kg build mints" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "escaped.html").exists() and not list(tmp_path.rglob("escaped*"))


@pytest.mark.parametrize(
    "host", ["https://kg.example.org\nRewriteRule ^ http://evil/ [R]", "javascript:alert(1)", ""]
)
def test_a_host_that_would_inject_rules_is_refused(
    host: str, release: Path, tmp_path: Path, kg: Callable[..., Result]
) -> None:
    """--host went into the .htaccess as it was: a newline injected RewriteRules (issue 19)."""
    result = kg("site", "--release", release, "--out", tmp_path / "site", "--host", host)
    assert result.exit_code == 2
    assert result.stderr.startswith("kg: error: --host: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "site").exists()


def test_a_licence_that_would_inject_a_directive_is_refused(
    release: Path, tmp_path: Path, kg: Callable[..., Result]
) -> None:
    """A licence IRI with ';' and a quote went into nginx.conf's add_header (issue 19)."""
    import shutil

    hostile = tmp_path / "hostile"
    shutil.copytree(release, hostile)
    graph = hostile / "graph.nq"
    text = graph.read_text(encoding="utf-8")
    licence = "<https://creativecommons.org/licenses/by/4.0/>"
    assert licence in text
    graph.write_text(text.replace(licence, "<https://example.org/4.0/';internal;#>"))
    describe_anew(hostile, "graph.nq")
    result = kg("site", "--release", hostile, "--out", tmp_path / "site")
    assert result.exit_code == 2
    assert "is not an IRI that may go into a server's configuration" in result.stderr
    assert not (tmp_path / "site").exists()


def test_only_a_web_address_is_a_link_out(release: Path, tmp_path: Path) -> None:
    """An outside resource's IRI with a javascript: scheme (a prefix in a tampered lock file)
    is shown on its page, never made a link (issue 19)."""
    import shutil

    hostile = tmp_path / "hostile"
    shutil.copytree(release, hostile)
    with (hostile / "graph.nq").open("a", encoding="utf-8") as handle:
        handle.write(
            '<javascript:alert(1)> <http://www.w3.org/2000/01/rdf-schema#label> "x" '
            "<https://w3id.org/drugclaims/id/graph/catalogue> .\n"
        )
    describe_anew(hostile, "graph.nq")
    site = tmp_path / "site"
    build_site(hostile, site)
    pages = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert 'href="javascript:' not in pages


def test_a_site_written_again_rewrites_only_the_files_that_changed(
    kg: Callable[..., Result], project: Path, tmp_path: Path
) -> None:
    """After one claim is edited and the release rebuilt, ``kg site`` into the same folder
    writes the files whose bytes changed and keeps every other one as it was (the same file:
    linked from the previous site, not written again)."""
    import yaml
    from conftest import ROOT as REPOSITORY
    from conftest import SEED

    out = tmp_path / "site"
    assert kg("--project", project, "site", "--no-pictures", "--out", out).exit_code == 0
    before = {p: (p.stat().st_ino, p.read_bytes()) for p in out.rglob("*") if p.is_file()}
    claims = project / SEED.relative_to(REPOSITORY) / "claims.yaml"
    data = yaml.safe_load(claims.read_text(encoding="utf-8"))
    data["claims"][0]["note"] = "Edited to see which pages change."
    claims.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    assert kg("--project", project, "build").exit_code == 0
    assert kg("--project", project, "site", "--no-pictures", "--out", out).exit_code == 0
    after = {p: (p.stat().st_ino, p.read_bytes()) for p in out.rglob("*") if p.is_file()}
    changed = {p for p in before.keys() & after.keys() if before[p][1] != after[p][1]}
    rewritten = {p for p in before.keys() & after.keys() if before[p][0] != after[p][0]}
    assert changed, "the edit changed no page"
    assert rewritten == changed
    assert len(changed) < len(after) / 10, (len(changed), len(after))


def test_the_pages_index_made_as_the_release_loads_is_the_stores(
    release: Path, tmp_path: Path
) -> None:
    """prepare_site indexes each quad as it goes into the store (a store on disk is read back
    ten times slower than one in memory): the same index as one made by reading the store."""
    from kg.formats.listing import copy_release
    from kg.web.site import prepare_site

    made = prepare_site(release, copy_release(release, tmp_path / "copy"))
    again = index_site(made.site.store)
    found = tables(made.site.pages.index)
    for later in ("listing", "nanopub"):  # added by prepare_site once the index is made
        assert found.pop(later) and not tables(again).get(later)
    assert found == {name: rows for name, rows in tables(again).items() if name in found}


def tables(index: PageIndex) -> dict[str, list[tuple[object, ...]]]:
    db = index._db
    names = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    found = {name: sorted(db.execute(f"SELECT * FROM {name}")) for name in names}
    assert found["page"] and found["subject"] and found["minted"]
    return found


def test_the_graphs_counted_as_the_release_loads_are_the_stores(release: Path) -> None:
    """The named graphs' sizes on the site are counted as graph.nq goes into the store; the
    same statements as counting the store."""
    sizes = GraphSizes()
    store = load_release({"graph.nq": release / "graph.nq"}, each=sizes.add)
    assert sizes.exact and sizes.triples
    assert site_statements(store, "1.0", sizes) == site_statements(store, "1.0")


@pytest.mark.parametrize("twice", ["a line again", "out of order", "from another file"])
def test_graphs_counted_where_a_statement_may_come_twice_are_not_trusted(twice: str) -> None:
    def quad(n: int) -> ox.Quad:
        iri = ox.NamedNode(f"{ROOT}id/s{n}")
        return ox.Quad(iri, iri, iri, ox.NamedNode(f"{ROOT}id/g"))

    sizes = GraphSizes()
    sizes.add("graph.nq", quad(1))
    sizes.add("graph.nq", quad(2))
    assert sizes.exact
    if twice == "a line again":
        sizes.add("graph.nq", quad(2))
    elif twice == "out of order":
        sizes.add("graph.nq", quad(0))
    else:
        sizes.add("nanopubs.trig", quad(3))
    assert not sizes.exact
