"""The site behind three servers, one answer: ``kg serve``, a real nginx running the
configuration ``kg site`` writes, and a real Apache httpd evaluating the ``.htaccess`` it writes
(in the site folder, as its DocumentRoot), each sent the whole table of real clients' Accept
headers (tests/fixtures/accept.tsv) for every kind of path, and each required to give the same
status, Location, Content-Type and Link relations; the .htaccess on w3id.org (redirects only);
then what nginx adds (gzip, CORS preflight, 304)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
import pytest
import requests
from servers import apache_server, executable, free_port, stop, wait_for
from test_negotiation import CLIENTS, Client

from kg.namespaces import ROOT
from kg.web.deploy import WELL_KNOWN_VOID, answer, htaccess, nginx_conf
from kg.web.negotiation import FORMATS as DOCUMENT_FORMATS
from kg.web.negotiation import OFFERED, negotiate
from kg.web.site import build_site, license_of

pytestmark = pytest.mark.stores

SERVERS = ("kg serve", "nginx", "apache")

#: One resource of each kind: (resource path, document path)
RESOURCES = [
    (
        "/id/pubmed-22870448/claim/no-new-safety-concerns",
        "/doc/pubmed-22870448/claim/no-new-safety-concerns",
    ),
    ("/id/pubmed-22870448/text", "/doc/pubmed-22870448/text"),
    ("/id/entity/forest-research-institute", "/doc/entity/forest-research-institute"),
    ("/release/0.1.0", "/doc/release/0.1.0"),
    ("/ontology", "/doc/ontology"),
]


@pytest.fixture(scope="module")
def apache_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def site(release: Path, tmp_path_factory: pytest.TempPathFactory, apache_port: int) -> Path:
    """The site, its .htaccess written for the Apache that serves it (its own host)."""
    out = tmp_path_factory.mktemp("deploy") / "site"
    build_site(release, out, public_host=f"http://127.0.0.1:{apache_port}")
    return out


def version_of(site: Path) -> str:
    """The release's version: the one folder of the site's downloads."""
    (folder,) = (site / "download").iterdir()
    return folder.name


@contextmanager
def nginx(site: Path, licence: str | None) -> Iterator[str]:
    binary = executable("nginx")
    port = free_port()
    prefix = site.parent / "nginx"
    for sub in ("", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    text = nginx_conf(site.resolve(), port, licence, prefix=prefix, version=version_of(site))
    if os.geteuid() == 0:  # nginx's workers would run as nobody: the test's folders are 0700
        text = "user root;\n" + text
    conf.write_text(text, encoding="utf-8")
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/index.html", process)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def licence(release: Path) -> str | None:
    store = ox.Store()
    store.load(path=str(release / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    return license_of(store)


@pytest.fixture(scope="module")
def server(site: Path, licence: str | None) -> Iterator[str]:
    """nginx, running the configuration kg site writes."""
    with nginx(site, licence) as url:
        yield url


@pytest.fixture(scope="module", params=SERVERS)
def each_server(
    request: pytest.FixtureRequest,
    site: Path,
    release: Path,
    apache_port: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """kg serve, nginx and Apache in turn, each serving the same release."""
    if request.param == "nginx":
        yield request.getfixturevalue("server")
    elif request.param == "apache":
        with apache_server(site, apache_port) as url:
            yield url
    else:
        from test_serve import served

        with served(tmp_path_factory.mktemp("serve"), "--release", str(release)) as running:
            yield running.url


# -- one table, three servers ------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the table compares: status, Location (as a path on the server), Content-Type (not
    for a 303, whose body is the server's own), and the Link header's (rel, target) pairs."""

    status: int
    location: str | None = None
    content_type: str | None = None
    links: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    cached: bool = False  # Cache-Control with a max-age: on every 200 and 303, never an error


@dataclass(frozen=True)
class Paths:
    """One path of each kind, from the site (any corpus)."""

    claim: str  # /id/..., a claim
    entity: str  # /id/entity/..., an entity of the catalogue
    external: str  # /doc/external/..., an outside entity's document (no IRI of ours)
    version: str

    @property
    def release(self) -> str:
        return f"/release/{self.version}"


@pytest.fixture(scope="module")
def paths(site: Path) -> Paths:
    def first(pattern: str) -> str:
        found = sorted(site.glob(pattern))
        assert found, pattern
        return "/" + found[0].relative_to(site).as_posix().removesuffix(".ttl")

    return Paths(
        claim="/id/" + first("doc/*/claim/*.ttl").removeprefix("/doc/"),
        entity="/id/" + first("doc/entity/*.ttl").removeprefix("/doc/"),
        external=first("doc/external/*.ttl"),
        version=version_of(site),
    )


CONTENT_TYPES = {f.extension: f.content_type for f in DOCUMENT_FORMATS}
HTML_PAGE = CONTENT_TYPES["html"]


def document_links(document: str, cite_as: str | None, licence: str | None) -> frozenset:
    """The signposting a document must carry: written out here, not taken from kg."""
    found = {("describedby", f"{document}.{ext}") for ext in ("ttl", "jsonld", "nt", "rdf")}
    found.add(("type", "https://schema.org/AboutPage"))
    if cite_as:
        found.add(("cite-as", cite_as))
    if licence:
        found.add(("license", licence))
    return frozenset(found)


def expected(kind: str, client: Client, paths: Paths, licence: str | None) -> tuple[str, Answer]:
    """The request path of a kind of path, and the answer every server must give."""
    resources = {
        "claim": (paths.claim, "/doc/" + paths.claim.removeprefix("/id/")),
        "entity": (paths.entity, "/doc/" + paths.entity.removeprefix("/id/")),
        "ontology": ("/ontology", "/doc/ontology"),
        "release": (paths.release, f"/doc/release/{paths.version}"),
    }
    if kind in resources or kind == "unknown resource":
        # negotiation comes first: nothing acceptable is 406 whether the resource is or not
        # (w3id.org cannot know which are)
        path, document = resources.get(kind, ("/id/nothing-here", ""))
        if client.format == "406":
            return path, Answer(406, content_type="text/plain; charset=utf-8")
        if kind == "unknown resource":
            return path, Answer(404, None, HTML_PAGE)
        return path, Answer(303, f"{document}.{client.format}")
    documents = {  # (document, extension, cite-as)
        "entity document": (resources["entity"][1], "html", ROOT + paths.entity[1:]),
        "claim document": (resources["claim"][1], "ttl", ROOT + paths.claim[1:]),
        "ontology document": ("/doc/ontology", "rdf", ROOT + "ontology"),
        "release document": (f"/doc/release/{paths.version}", "jsonld", ROOT + paths.release[1:]),
        "outside entity's document": (paths.external, "nt", None),
    }
    if kind in documents:
        document, ext, cite_as = documents[kind]
        links = document_links(document, cite_as, licence)
        return f"{document}.{ext}", Answer(200, None, CONTENT_TYPES[ext], links)
    download = f"/download/{paths.version}"
    return {
        "download": (
            f"{download}/graph.nt",
            Answer(200, None, "application/n-triples; charset=utf-8"),
        ),
        "VoID": ("/.well-known/void", Answer(303, f"{download}/void.ttl")),
        "unknown path": ("/nothing-here", Answer(404, None, HTML_PAGE)),
    }[kind]


KINDS = (
    "claim",
    "entity",
    "ontology",
    "release",
    "claim document",
    "entity document",
    "ontology document",
    "release document",
    "outside entity's document",
    "download",
    "VoID",
    "unknown resource",
    "unknown path",
)


def links_of(header: str | None) -> frozenset[tuple[str, str]]:
    """The (rel, target) pairs of a Link header."""
    return frozenset(
        (rel, target)
        for target, parameters in re.findall(r"<([^>]*)>([^<]*)", header or "")
        for rel in re.findall(r'rel="([^"]*)"', parameters)
    )


def answer_of(server: str, path: str, found: requests.Response) -> Answer:
    location = found.headers.get("Location")
    if location is not None:
        absolute = urlsplit(urljoin(server + path, location))
        assert f"{absolute.scheme}://{absolute.netloc}" == server, location
        location = absolute.path
    content_type = None if found.status_code == 303 else found.headers.get("Content-Type")
    return Answer(
        found.status_code,
        location,
        normal(content_type),
        links_of(found.headers.get("Link")),
        "max-age=" in found.headers.get("Cache-Control", ""),
    )


def normal(content_type: str | None) -> str | None:
    """A Content-Type as compared: lower case, no spaces."""
    return content_type.lower().replace(" ", "") if content_type else None


@pytest.mark.parametrize("client", CLIENTS, ids=[c.name for c in CLIENTS])
def test_every_server_gives_each_client_the_same_answer(
    each_server: str, client: Client, paths: Paths, licence: str | None
) -> None:
    """The whole table, for every kind of path: the answer kg serve, nginx and Apache must
    all give, and CORS and Vary on each."""
    wrong = []
    for kind in KINDS:
        path, want = expected(kind, client, paths, licence)
        found = requests.get(
            each_server + path,
            headers={"Accept": client.accept},  # None: no Accept header at all
            allow_redirects=False,
            timeout=10,
        )
        got = answer_of(each_server, path, found)
        want = replace(
            want, content_type=normal(want.content_type), cached=want.status in (200, 303)
        )
        if got != want:
            wrong.append(f"{kind} {path}: got {got}, expected {want}")
        if found.headers.get("Access-Control-Allow-Origin") != "*":
            wrong.append(f"{kind} {path}: no CORS")
        negotiated = got.status in (303, 406) and kind != "VoID"
        if negotiated and "accept" not in found.headers.get("Vary", "").lower():
            wrong.append(f"{kind} {path}: no Vary: Accept")
        if got.status == 406 and not all(media in found.text for media in OFFERED):
            wrong.append(f"{kind} {path}: the 406 does not say what is offered: {found.text!r}")
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def apache(site: Path, apache_port: int) -> Iterator[str]:
    with apache_server(site, apache_port) as url:
        yield url


def test_the_htaccess_on_w3id_redirects_everything_to_the_host(apache: str, paths: Paths) -> None:
    """Where the Host is the namespace's (w3id.org), nothing is served: resources are
    negotiated (303, or 406) to the host's documents, and every other path, downloads too,
    redirects to the same path on the host."""
    w3id = urlsplit(ROOT).netloc
    download = f"/download/{paths.version}"

    def get(path: str, accept: str | None = None) -> requests.Response:
        headers = {"Host": w3id, "Accept": accept}
        return requests.get(apache + path, headers=headers, allow_redirects=False, timeout=10)

    for path, accept, status, location in [
        (paths.claim, "text/turtle", 303, "/doc/" + paths.claim[4:] + ".ttl"),
        (paths.claim, None, 303, "/doc/" + paths.claim[4:] + ".html"),
        ("/ontology", "application/rdf+xml", 303, "/doc/ontology.rdf"),
        ("/id/nothing-here", "text/turtle", 303, "/doc/nothing-here.ttl"),  # it cannot know
        (f"{download}/graph.nt", None, 302, f"{download}/graph.nt"),
        ("/.well-known/void", None, 303, f"{download}/void.ttl"),
        (paths.external + ".nt", None, 302, paths.external + ".nt"),
        ("/", None, 302, "/"),
    ]:
        found = get(path, accept)
        assert (found.status_code, found.headers.get("Location")) == (status, apache + location)
        assert found.headers["Access-Control-Allow-Origin"] == "*"
    refused = get(paths.claim, "image/png")
    assert refused.status_code == 406 and all(media in refused.text for media in OFFERED)


@pytest.mark.parametrize("kind", ["nginx", "apache"])
def test_nginx_and_apache_choose_as_kg_does_for_many_headers(
    request: pytest.FixtureRequest, kind: str
) -> None:
    """300 headers built from the pieces clients write (tests/test_negotiation.py), sent to
    the real servers: their regular expression engines (PCRE) agree with kg's choice."""
    from test_negotiation import sample_headers

    url = request.getfixturevalue("server" if kind == "nginx" else "apache")
    wrong = []
    for header in sample_headers(300):
        chosen = negotiate(header)
        found = requests.get(
            url + "/ontology", headers={"Accept": header}, allow_redirects=False, timeout=10
        )
        want = (303, f"/doc/ontology.{chosen.extension}") if chosen else (406, None)
        location = found.headers.get("Location")
        got = (found.status_code, location and urlsplit(location).path)
        if got != want:
            wrong.append(f"{header!r}: got {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_without_a_release_version_there_is_no_void_to_lead_to(tmp_path: Path) -> None:
    """A site without downloads: /.well-known/void is 404 in kg serve, and the configurations
    lead nowhere either."""
    assert answer(tmp_path, WELL_KNOWN_VOID, None).status == 404
    conf = nginx_conf(tmp_path, 8080, None, prefix=tmp_path)
    block = conf.split("location = /.well-known/void {")[1].split("\n        }")[0]
    assert "return 404;" in block and "303" not in block
    assert "well-known" not in htaccess("https://example.org")
    assert r"RewriteRule ^\.well-known/void$" in htaccess("https://example.org", version="1.0.0")


def test_nginx_cors_on_redirects_documents_and_downloads(server: str, paths: Paths) -> None:
    """What nginx adds beside the table: CORS preflights (204) on resources, documents and
    downloads."""
    download = f"/download/{paths.version}/graph.nt"
    for path in (paths.claim, "/doc/" + paths.claim[4:] + ".ttl", download):
        preflight = requests.options(
            server + path,
            headers={
                "Origin": "https://elsewhere.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "accept",
            },
            timeout=10,
        )
        assert preflight.status_code == 204, path
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
        assert "Accept" in preflight.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("nanopubs.trig", "application/trig; charset=utf-8"),
        ("kgx_nodes.jsonl", "application/jsonl"),
        ("graph.nq", "application/n-quads; charset=utf-8"),
        ("mappings.sssom.tsv", "text/tab-separated-values; charset=utf-8"),
    ],
)
def test_nginx_serves_downloads_with_their_types_compressed(
    server: str, release: Path, paths: Paths, name: str, content_type: str
) -> None:
    url = f"{server}/download/{paths.version}/{name}"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert plain.status_code == 200
    assert plain.headers["Content-Type"].replace(" ", "") == content_type.replace(" ", "")
    assert "Content-Encoding" not in plain.headers
    assert plain.content == (release / name).read_bytes()
    packed = requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert packed.content == plain.content  # requests undoes the gzip
    assert packed.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("ext", [f.extension for f in DOCUMENT_FORMATS])
def test_nginx_compresses_documents_and_answers_304(server: str, paths: Paths, ext: str) -> None:
    url = f"{server}/doc/{paths.claim[4:]}.{ext}"
    packed = requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    tag = plain.headers["ETag"]
    again = requests.get(url, headers={"If-None-Match": tag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    since = requests.get(
        url, headers={"If-Modified-Since": plain.headers["Last-Modified"]}, timeout=10
    )
    assert since.status_code == 304
    assert "max-age=" in plain.headers["Cache-Control"]


def test_nginx_and_kg_serve_serve_every_browse_page(server: str, site: Path) -> None:
    """The pages that lead from the home page to every claim (kg/web/browse.py), as HTML, by
    nginx and kg serve alike; nothing else under /browse/."""
    pages = sorted(p.relative_to(site).as_posix() for p in (site / "browse").rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        found = requests.get(f"{server}/{page}", timeout=10)
        assert found.status_code == 200, page
        assert found.headers["Content-Type"].startswith("text/html")
        assert found.content == (site / page).read_bytes()
        served = answer(site, f"/{page}", None)
        assert served.status == 200 and served.content() == found.content
    for path in ("/browse/", "/browse/claims/by-label/1.ttl", "/browse/nothing.html"):
        assert requests.get(server + path, timeout=10).status_code == 404, path
        assert answer(site, path, None).status == 404, path
