"""The site behind a real nginx with the configuration kg site writes, and the w3id.org
.htaccess rules evaluated on the same table: status, Location, Content-Type, Vary and Link for
every kind of resource and the Accept headers real clients send."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from servers import executable, free_port, stop, wait_for
from test_site import ACCEPT

from kg.web.deploy import answer, nginx_conf
from kg.web.negotiation import negotiate
from kg.web.site import build_site, license_of

pytestmark = pytest.mark.stores

#: Headers whose choice rests on comparing q-values of two of our formats: kg serve weighs
#: them, nginx and .htaccess rules cannot (they take our first format the header names).
WEIGHED = {"application/ld+json;q=0.5, text/turtle;q=0.4"}
REAL = [(accept, ext) for accept, ext in ACCEPT if accept not in WEIGHED]

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
def site(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deploy") / "site"
    build_site(release, out, public_host="https://docs.example.org")
    return out


@contextmanager
def nginx(site: Path, licence: str | None) -> Iterator[str]:
    binary = executable("nginx")
    port = free_port()
    prefix = site.parent / "nginx"
    for sub in ("", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    text = nginx_conf(site.resolve(), port, licence, prefix=prefix)
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
def server(site: Path, release: Path) -> Iterator[str]:
    store = ox.Store()
    store.load(path=str(release / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    with nginx(site, license_of(store)) as url:
        yield url


@pytest.mark.parametrize(("accept", "expected"), REAL)
@pytest.mark.parametrize(("resource", "document"), RESOURCES)
def test_nginx_answers_303_to_the_negotiated_document(
    server: str, resource: str, document: str, accept: str | None, expected: str
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    if accept is None:
        headers["Accept"] = ""
    found = requests.get(server + resource, headers=headers, allow_redirects=False, timeout=10)
    assert found.status_code == 303
    assert found.headers["Location"].endswith(f"{document}.{expected}")
    assert "Accept" in found.headers["Vary"]
    assert negotiate(accept or None).extension == expected  # kg serve agrees


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


def htaccess_target(rules: str, path: str, accept: str) -> str | None:
    """Apache mod_rewrite's answer to one request, for the subset of it kg site writes."""
    conditions: list[tuple[bool, str]] = []
    for line in rules.splitlines():
        if line.startswith("RewriteCond %{HTTP_ACCEPT} "):
            body = line[len("RewriteCond %{HTTP_ACCEPT} ") :].removesuffix(" [NC]")
            negated = body.startswith("!")
            conditions.append((negated, body.lstrip("!")))
        elif line.startswith("RewriteRule "):
            _, pattern, target, _flags = line.split(" ")
            matched = re.match(pattern, path)
            ok = all(
                (re.search(regex, accept, re.I) is None) == negated for negated, regex in conditions
            )
            conditions = []
            if matched and ok:
                return matched.expand(target.replace("$1", r"\1"))
    return None


@pytest.mark.parametrize(("accept", "expected"), REAL)
@pytest.mark.parametrize(("resource", "document"), RESOURCES)
def test_the_htaccess_rules_choose_as_nginx_does(
    site: Path, resource: str, document: str, accept: str | None, expected: str
) -> None:
    rules = (site / ".htaccess").read_text(encoding="utf-8")
    target = htaccess_target(rules, resource.lstrip("/"), accept or "")
    assert target == f"https://docs.example.org{document}.{expected}"


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


def test_the_htaccess_lets_scripts_follow_its_redirects(site: Path) -> None:
    rules = (site / ".htaccess").read_text(encoding="utf-8")
    assert 'Header always set Access-Control-Allow-Origin "*"' in rules


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
        assert served.status == 200 and served.body == found.content
    for path in ("/browse/", "/browse/claims/by-label/1.ttl", "/browse/nothing.html"):
        assert requests.get(server + path, timeout=10).status_code == 404, path
        assert answer(site, path, None).status == 404, path
