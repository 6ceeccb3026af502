"""Linked data a crawler can walk (issue 18): from the dataset's IRI, following links only, an
RDF client reaches every subject and every triple of the release; and every IRI the release
mints answers 303 and then 200 in each format (or is a ``#`` IRI of a resource that does).

The crawl runs rdflib against ``kg serve``, as a client would; the every-format check reads the
built site through :func:`kg.web.deploy.answer`, the function ``kg serve`` answers with.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from click.testing import Result
from folders import describe_anew
from rdflib import Graph, URIRef

from kg.web.deploy import answer
from kg.web.negotiation import FORMATS
from kg.web.site import ROOT, build_site

DOWNLOAD = ROOT + "download/"
_RDF_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
}


def release_quads(release: Path) -> list[ox.Quad]:
    """The release's graph, its dataset description and its nanopublications."""
    quads = list(ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    quads += ox.parse(path=str(release / "void.ttl"), format=ox.RdfFormat.TURTLE)
    quads += ox.parse(path=str(release / "nanopubs.trig"), format=ox.RdfFormat.TRIG)
    return quads


def minted(quads: list[ox.Quad]) -> set[str]:
    """Every IRI under the site's root the release names: subjects, predicates, objects and
    the names of graphs."""
    return {
        term.value
        for quad in quads
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name)
        if isinstance(term, ox.NamedNode) and term.value.startswith(ROOT)
    }


def crawl(base: str, start: str) -> tuple[Graph, set[str]]:
    """Dereference ``start`` with rdflib (``text/turtle``, following 303s), then every IRI
    under the site's root that a document names, until none is new; a ``#`` IRI is its
    document's, and a download is a file, not a resource's document (``graph.nq`` would hold
    everything: the walk is from document to document). Returns what was read and the IRIs
    dereferenced."""
    graph = Graph()
    todo, done = [start], set()
    while todo:
        iri = todo.pop()
        if iri in done:
            continue
        done.add(iri)
        read = Graph().parse(base + iri[len(ROOT) - 1 :], format="turtle")
        graph += read
        for triple in read:
            for term in triple:
                if isinstance(term, URIRef) and str(term).startswith(ROOT):
                    found = str(term).split("#", 1)[0]
                    if found not in done and not found.startswith(DOWNLOAD):
                        todo.append(found)
    return graph, done


def test_a_crawler_reaches_every_subject_and_triple_from_the_dataset_iri(
    release: Path, tmp_path: Path
) -> None:
    from test_serve import served

    quads = list(ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    dataset = next(
        q.subject.value
        for q in ox.parse(path=str(release / "void.ttl"), format=ox.RdfFormat.TURTLE)
        if q.predicate.value == "http://purl.org/pav/hasCurrentVersion"
    )
    with served(tmp_path, "--release", str(release)) as server:
        graph, visited = crawl(server.url, dataset)
    read = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(graph.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    }
    subjects = {q.subject for q in quads}
    missing = subjects - {t.subject for t in read}
    assert not missing, (
        f"{len(missing)} of {len(subjects)} subjects unreached: {sorted(map(str, missing))[:5]}"
    )
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    assert triples <= read, f"{len(triples - read)} triples unreached"
    assert len(visited) > len({s for s in subjects if str(s).startswith(f"<{ROOT}")})


def test_the_dataset_iri_leads_to_its_versions_distributions_and_description(
    release: Path, site: Path
) -> None:
    """The HCLS summary at the dataset's IRI, its versions, its VoID file; the version's
    distributions with what a harvester needs to download and check each."""
    summary = document(site, "/id/dataset")
    version = ox.NamedNode(
        one(summary, ox.NamedNode(ROOT + "id/dataset"), PAV + "hasCurrentVersion")
    )
    dataset = ox.NamedNode(ROOT + "id/dataset")
    for predicate in ("title", "description", "license", "publisher"):
        assert one(summary, dataset, DCT + predicate)
    assert version.value in values(summary, dataset, DCT + "hasVersion")
    (void,) = values(summary, dataset, RDFS + "seeAlso")
    assert void.startswith(DOWNLOAD) and void.endswith("/void.ttl")
    assert answer(site, void[len(ROOT) - 1 :], None).status == 200
    distributions = values(
        document(site, version.value[len(ROOT) - 1 :]), version, DCAT + "distribution"
    )
    assert distributions
    for node in map(ox.NamedNode, distributions):  # each at its own IRI
        described = document(site, node.value[len(ROOT) - 1 :])
        url = one(described, node, DCAT + "downloadURL")
        for predicate in (DCAT + "mediaType", DCAT + "byteSize", SPDX + "checksum"):
            assert one(described, node, predicate), (node, predicate)
        checksum = ox.NamedNode(one(described, node, SPDX + "checksum"))
        found = answer(site, url[len(ROOT) - 1 :], None)
        assert found.status == 200, url
        body = found.content()  # a big file comes as a stream
        assert str(len(body)) == one(described, node, DCAT + "byteSize")
        assert hashlib.sha256(body).hexdigest() == one(described, checksum, SPDX + "checksumValue")


def test_a_named_graph_iri_describes_the_graph(release: Path, site: Path) -> None:
    quads = list(ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    assert len(graphs) >= 4
    for name in graphs:
        found = document(site, name[len(ROOT) - 1 :])
        size = sum(1 for q in quads if q.graph_name == ox.NamedNode(name))
        assert one(found, ox.NamedNode(name), VOID + "triples") == str(size)
        assert one(found, ox.NamedNode(name), VOID + "dataDump").startswith(DOWNLOAD)
        assert one(found, ox.NamedNode(name), RDFS + "label")


def test_entities_link_their_claims_and_mappings_and_claims_their_parts(
    release: Path, site: Path
) -> None:
    """In the RDF served: an entity's document names the claims about it and its mapping
    records; a claim's, its evidence, quote and position selectors and its nanopublication,
    and where the entities it names are described (rdfs:seeAlso, which dereferences)."""
    store = ox.Store()
    store.load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    links = [
        (row["s"], ox.NamedNode(row["p"].value), row["o"])
        for row in store.query(  # type: ignore[union-attr]
            "SELECT DISTINCT ?s ?p ?o WHERE { { ?s a kgo:Claim ; ?p ?o . "
            "VALUES ?p { biolink:subject biolink:object } } UNION "
            "{ ?s owl:annotatedSource ?o BIND(owl:annotatedSource AS ?p) } }",
            prefixes=PREFIXES,
            use_default_graph_as_union=True,
        )
    ]
    assert len(links) > 10
    for subject, predicate, entity in links:
        here = document(site, subject.value[len(ROOT) - 1 :])
        # an outside entity's record on the site; one of ours (a term of the ontology) itself
        own = entity.value.startswith(ROOT)
        record = entity.value if own else one(here, entity, RDFS + "seeAlso")
        assert ox.Triple(subject, predicate, entity) in document(
            site, record.split("#", 1)[0][len(ROOT) - 1 :]
        )
        if predicate.value == BIOLINK + "subject":
            evidence = one(here, subject, KGO + "evidence")
            assert len(values(here, ox.NamedNode(evidence), OA + "hasSelector")) == 2
            assert values(here, subject, DCT + "isReferencedBy")  # its nanopublication


def test_every_minted_iri_answers_303_then_200_in_every_format(release: Path, site: Path) -> None:
    """Every IRI under the site's root that the release names, in each format: 303 to its
    document, which answers 200 with the format's type and, in RDF, names the IRI; a ``#``
    IRI by its document's; a download is the file itself."""
    iris = minted(release_quads(release))
    assert len(iris) > 100
    downloads = {iri for iri in iris if iri.startswith(DOWNLOAD)}
    for iri in sorted(downloads):
        assert answer(site, iri[len(ROOT) - 1 :], None).status == 200, iri
    for iri in sorted(iris - downloads) + records(site):  # and each outside resource's record
        path = iri.split("#", 1)[0][len(ROOT) - 1 :]
        for fmt in FORMATS:
            redirect = answer(site, path, fmt.media_type)
            assert redirect.status == 303, (iri, fmt.extension, redirect.status)
            location = dict(redirect.headers)["Location"]
            assert location.endswith("." + fmt.extension)
            found = answer(site, location, fmt.media_type)
            assert found.status == 200, (iri, location)
            assert dict(found.headers)["Content-Type"] == fmt.content_type
            if fmt.extension in _RDF_FORMATS:
                named = {
                    term.value
                    for t in ox.parse(found.body, format=_RDF_FORMATS[fmt.extension])
                    for term in (t.subject, t.predicate, t.object)
                    if isinstance(term, ox.NamedNode)
                }
                if not iri.startswith(ROOT + "id/external/"):  # a record names its resource
                    assert iri in named or iri.split("#", 1)[0] in named, (iri, location)


# -- helpers ---------------------------------------------------------------------------------

PAV = "http://purl.org/pav/"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
VOID = "http://rdfs.org/ns/void#"
SPDX = "http://spdx.org/rdf/terms#"
OA = "http://www.w3.org/ns/oa#"
OWL = "http://www.w3.org/2002/07/owl#"
KGO = ROOT + "ontology#"
BIOLINK = "https://w3id.org/biolink/vocab/"
PREFIXES = {"kgo": KGO, "biolink": BIOLINK, "owl": OWL}


@pytest.fixture(scope="module")
def site(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crawl") / "site"
    build_site(release, out)
    return out


def parse(site: Path, location: str) -> set[ox.Triple]:
    found = answer(site, location, "text/turtle")
    assert found.status == 200, location
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(found.body, format=ox.RdfFormat.TURTLE)
    }


def document(site: Path, path: str) -> set[ox.Triple]:
    """The Turtle document of the resource at ``path`` (``/id/…``), through its 303."""
    redirect = answer(site, path, "text/turtle")
    assert redirect.status == 303, path
    return parse(site, dict(redirect.headers)["Location"])


def values(triples: set[ox.Triple], subject: ox.NamedNode | None, predicate: str) -> list[str]:
    return sorted(
        t.object.value
        for t in triples
        if (subject is None or t.subject == subject) and t.predicate.value == predicate
    )


def one(triples: set[ox.Triple], subject: ox.NamedNode, predicate: str) -> str:
    found = values(triples, subject, predicate)
    assert found, (subject, predicate)
    return found[0]


@pytest.mark.stores
def test_nginx_and_apache_send_every_minted_iri_where_kg_serve_does(
    release: Path, tmp_path: Path
) -> None:
    """The generated nginx.conf (run by a real nginx) and the .htaccess (evaluated by a real
    Apache, serving the site itself and as w3id.org) redirect every IRI the release mints, an
    outside resource's record too, to the document kg serve redirects it to, for an RDF client
    and for a browser."""
    import requests
    from servers import apache_server, free_port
    from test_deploy import nginx
    from test_site import BROWSER

    port = free_port()
    site = tmp_path / "site"
    build_site(release, site, public_host=f"http://127.0.0.1:{port}")
    quads = release_quads(release)
    paths = {
        iri.split("#", 1)[0][len(ROOT) - 1 :]
        for iri in minted(quads)
        if not iri.startswith(DOWNLOAD)
    }
    paths |= {record[len(ROOT) - 1 :] for record in records(site)}
    w3id = urlsplit(ROOT).netloc
    with (
        nginx(site, None) as url,
        apache_server(site, port) as apache,
        requests.Session() as session,
    ):
        for path in sorted(paths):
            for accept in ("text/turtle, application/x-turtle, */*;q=0.1", BROWSER):
                ours = dict(answer(site, path, accept).headers).get("Location")
                assert ours, path
                for base, host in ((url, None), (apache, None), (apache, w3id)):
                    headers = {"Accept": accept} | ({"Host": host} if host else {})
                    found = session.get(base + path, headers=headers, allow_redirects=False)
                    location = found.headers.get("Location", "").removeprefix(base)
                    assert (found.status_code, location) == (303, ours), (base, host, path)


@pytest.mark.parametrize("name", ["void.ttl", "nanopubs.trig"])
def test_a_damaged_description_or_nanopublication_file_is_one_line(
    release: Path, tmp_path: Path, kg: Callable[..., Result], name: str
) -> None:
    """kg site reads void.ttl and nanopubs.trig too: a damaged one is named, with its line,
    and nothing is written."""
    damaged = tmp_path / "release"
    shutil.copytree(release, damaged)
    with (damaged / name).open("a", encoding="utf-8") as file:
        file.write("\n<not an IRI> <x> .\n")
    if name != "void.ttl":  # as whoever damaged it could: void.ttl lists it as it is now
        describe_anew(damaged, name)
    result = kg("site", "--release", damaged, "--out", tmp_path / "site")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    if name == "void.ttl":  # the description is read first, to check the files it lists
        assert line.startswith("kg: error: ") and "void.ttl: not the release's description" in line
    else:
        assert line.startswith(f"kg: error: {name}:") and "not valid RDF" in line
    assert not (tmp_path / "site").exists()


def records(site: Path) -> list[str]:
    """The IRIs of the site's records of outside resources (``…/id/external/<name>``)."""
    return sorted(
        ROOT + "id/" + p.relative_to(site / "doc").with_suffix("").as_posix()
        for p in (site / "doc/external").glob("*.nt")
    )
