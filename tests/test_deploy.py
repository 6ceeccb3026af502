"""The site behind three servers, one answer: ``kg serve``, a real nginx running the
configuration ``kg site`` writes, and a real Apache httpd evaluating the ``.htaccess`` it writes
(in the site folder, as its DocumentRoot), each sent the whole table of real clients' Accept
headers (tests/fixtures/accept.tsv) for every kind of path, and each required to give the same
status, Location, Content-Type and Link relations; the .htaccess on w3id.org (redirects only);
then what nginx adds (gzip, CORS preflight, 304)."""

from __future__ import annotations

import csv
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

from kg.namespaces import ROOT
from kg.web.deploy import nginx_conf
from kg.web.negotiation import FORMATS as DOCUMENT_FORMATS
from kg.web.negotiation import OFFERED, negotiate
from kg.web.site import build_site, license_of

pytestmark = pytest.mark.stores

TABLE = Path(__file__).parent / "fixtures" / "accept.tsv"


@dataclass(frozen=True)
class Client:
    """One row of the table: a client, the Accept header it sends (None: none), and the
    document format it must get ("406": none)."""

    name: str
    accept: str | None
    format: str


def read_clients(table: Path = TABLE) -> list[Client]:
    """The rows of the Accept table (lines starting with # are comments)."""
    lines = [line for line in table.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    return [
        Client(row["client"], None if row["accept"] == "(none)" else row["accept"], row["format"])
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    ]


CLIENTS = read_clients()
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
        found.status_code, location, normal(content_type), links_of(found.headers.get("Link"))
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
        if got != replace(want, content_type=normal(want.content_type)):
            wrong.append(f"{kind} {path}: got {got}, expected {want}")
        if found.headers.get("Access-Control-Allow-Origin") != "*":
            wrong.append(f"{kind} {path}: no CORS")
        negotiated = got.status in (303, 406) and kind != "VoID"
        if negotiated and "accept" not in found.headers.get("Vary", "").lower():
            wrong.append(f"{kind} {path}: no Vary: Accept")
        if got.status == 406 and not all(media in found.text for media in OFFERED):
            wrong.append(f"{kind} {path}: the 406 does not say what is offered: {found.text!r}")
    assert not wrong, "\n".join(wrong)


def test_the_table_is_what_kg_negotiation_chooses() -> None:
    """The table's expectations are kg's own choice (the servers are checked against it)."""
    assert len({c.accept for c in CLIENTS}) >= 25
    for client in CLIENTS:
        chosen = negotiate(client.accept)
        assert (chosen.extension if chosen else "406") == client.format, client.name


FORMATS = {
    "ttl": ("text/turtle; charset=utf-8", ox.RdfFormat.TURTLE),
    "nt": ("application/n-triples; charset=utf-8", ox.RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json; charset=utf-8", ox.RdfFormat.JSON_LD),
    "rdf": ("application/rdf+xml; charset=utf-8", ox.RdfFormat.RDF_XML),
}


@pytest.mark.parametrize("ext", sorted(FORMATS))
@pytest.mark.parametrize(("resource", "document"), RESOURCES)
def test_nginx_documents_are_the_resources_triples(
    server: str, site: Path, resource: str, document: str, ext: str
) -> None:
    content_type, rdf_format = FORMATS[ext]
    found = requests.get(
        server + resource, headers={"Accept": content_type.split(";")[0]}, timeout=10
    )
    assert found.status_code == 200
    assert found.headers["Content-Type"].replace(" ", "") == content_type.replace(" ", "")
    assert "Accept" in found.headers["Vary"]
    link = found.headers["Link"]
    assert 'rel="describedby"' in link and 'rel="license"' in link and 'rel="type"' in link
    assert 'rel="cite-as"' in link
    assert found.headers["Access-Control-Allow-Origin"] == "*"
    assert found.headers["ETag"] and found.headers["Last-Modified"]
    got = set(ox.parse(found.content, format=rdf_format))
    expected = set(ox.parse(path=str(site / f"{document[1:]}.nt"), format=ox.RdfFormat.N_TRIPLES))
    assert got == expected and got
    head = requests.head(server + document + "." + ext, timeout=10)
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize(
    "path", ["/id/nothing-here", "/doc/", "/secret", "/nginx.conf", "/.htaccess"]
)
def test_nginx_unknown_paths_are_404_pages(server: str, path: str) -> None:
    found = requests.get(server + path, timeout=10)
    assert found.status_code == 404
    assert "Not found" in found.text and "Index of" not in found.text


def test_nginx_serves_the_release_files_void_links_to(server: str, release: Path) -> None:
    found = requests.get(f"{server}/download/0.1.0/graph.nt", timeout=10)
    assert found.status_code == 200 and found.content == (release / "graph.nt").read_bytes()


def test_nginx_cors_on_redirects_documents_and_downloads(server: str) -> None:
    resource, document = RESOURCES[0]
    answers = [
        requests.get(server + resource, allow_redirects=False, timeout=10),
        requests.get(server + document + ".ttl", timeout=10),
        requests.get(server + "/download/0.1.0/graph.nt", timeout=10),
        requests.head(server + "/download/0.1.0/graph.nt", timeout=10),
    ]
    assert [a.status_code for a in answers] == [303, 200, 200, 200]
    assert all("max-age=" in a.headers["Cache-Control"] for a in answers)
    missing = requests.get(server + "/id/nothing-here", allow_redirects=False, timeout=10)
    assert missing.status_code == 404 and "Cache-Control" not in missing.headers
    for found in answers:
        assert found.headers["Access-Control-Allow-Origin"] == "*"
    for path in (resource, document + ".ttl", "/download/0.1.0/graph.nt"):
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
    server: str, release: Path, name: str, content_type: str
) -> None:
    url = f"{server}/download/0.1.0/{name}"
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


@pytest.mark.parametrize("ext", [*sorted(FORMATS), "html"])
def test_nginx_compresses_documents_and_answers_304(server: str, ext: str) -> None:
    url = f"{server}{RESOURCES[0][1]}.{ext}"
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
