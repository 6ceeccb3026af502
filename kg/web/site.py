"""``kg site``: the release as a static site, so that every IRI it mints dereferences.

Every IRI the release mints (``…/id/…``, ``…/release/…``, the ontology and its version IRI;
a subject, an object or a graph's name, in graph.nq, void.ttl or the nanopublications: see
:mod:`kg.web.documents`) and every outside resource the release describes (entities,
articles) gets a page (``doc/<path>.html``) and its triples in Turtle, JSON-LD, N-Triples and
RDF/XML beside it (``doc/<path>.ttl`` …). A resource's triples are those whose subject is the
resource or a node minted under its IRI (a claim's evidence, quote and position selectors, its
dose; not a release's records and distributions, which have their own), and the RDF documents
add those that point to it (:func:`kg.web.pageindex.page_triples`). The pages link to one another by
relative paths, so the site works from any folder or host; they load nothing from elsewhere (no
CDN, no font, no script but one inline sort on the browse pages, which work without it). The
index is a short home page, and every claim is reached from it through browse pages of bounded
size (:mod:`kg.web.browse`).
Everything is generated from the release, sorted, so a rebuild writes the same bytes.

What the pages add for people: a claim's page quotes its article's abstract with the quote
marked at its offsets (:mod:`kg.web.excerpt`) and says what its status means; pages link out
to the article's DOI and PubMed addresses and to each cross-reference; every page's footer
links home, the release's files (``download/<version>/``, with each claim's nanopublication:
:mod:`kg.web.downloads`) and its licence; pages embed schema.org JSON-LD for search engines
(:mod:`kg.web.markup`).

Dereferencing (:mod:`kg.web.negotiation`): ``/id/<path>`` answers 303 See Other to
``/doc/<path>.<ext>`` in the format the ``Accept`` header prefers.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import pyoxigraph as ox
from curies import Converter

from kg.curation.converter import declared_converter, namespaces
from kg.curation.project import VERSION
from kg.errors import InputError, OutputError
from kg.formats.files import FILES, RELEASE_FILES
from kg.formats.listing import DESCRIPTION, Copied, copy_release
from kg.formats.turtle import write_turtle
from kg.namespaces import BIOLINK, OA, OWL, RDF, RDFS, ROOT
from kg.rdf.lines import term_value as _v
from kg.rdf.mint import CATALOGUE_GRAPH, DATASET_GRAPH, ONTOLOGY_GRAPH
from kg.runtime.publish import write_release
from kg.runtime.spool import Trees, work_folder
from kg.sparql.query import packaged_query, run_query
from kg.views import CLAIM_PROPERTIES
from kg.web.deploy import htaccess, nginx_conf
from kg.web.documents import (
    SITE_LINKS,
    GraphSizes,
    load_release,
    named_graphs,
    see_also,
    site_statements,
)
from kg.web.downloads import (
    Download,
    Nanopub,
    Vouched,
    nanopubs,
    read_downloads,
    vouched_nanopubs,
    web_address,
)
from kg.web.excerpt import excerpt
from kg.web.figures import Pictures, index_charts, page_picture, site_pictures
from kg.web.markup import KINDS, article_markup, dataset_markup, entity_markup, script_text
from kg.web.negotiation import FORMATS
from kg.web.pageindex import (
    Indexing,
    Labels,
    Lookup,
    Page,
    PageIndex,
    Pages,
    holders,
    make_index,
)
from kg.web.pictures import Picture, require_dot

if TYPE_CHECKING:
    from kg.web.browse import ClaimRow

#: What gives the claims' nanopublication files that nanopubs.trig vouches for, when asked
#: (:func:`kg.web.downloads.vouched_nanopubs`).
Vouching = Callable[[], dict[str, Vouched]]

__all__ = [
    "ROOT",
    "STORE_IN_MEMORY",
    "Documents",
    "Prepared",
    "Site",
    "Vouching",
    "build_site",
    "doc_path",
    "front_files",
    "index_site",
    "offer",
    "open_served",
    "open_site",
    "prepare_site",
    "write_served",
]

_ONTOLOGY = ROOT + "ontology"
_DOWNLOAD = ROOT + "download/"
_RELEASE = ROOT + "release/"
_RDF = str(RDF)
_RDFS = str(RDFS)
_KGO = ROOT + "ontology#"
_BIOLINK = str(BIOLINK)
_OA = str(OA)
_OWL = str(OWL)
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_DCT = "http://purl.org/dc/terms/"


@dataclass
class Site:
    """The pages of a release, by resource IRI, and the labels of everything it names: each
    page read from the store when it is needed (:mod:`kg.web.pageindex`)."""

    pages: Pages
    labels: Mapping[str, str]
    converter: Converter
    store: ox.Store
    name: str = "drugclaims"  # the dataset's title, from the release (dataset.yaml's title)
    description: str = ""
    # the claims each claim conflicts with (kg/queries/conflicts.rq), with why
    conflicts: Mapping[str, list[tuple[str, str]]] = field(default_factory=dict)
    license: str | None = None  # the release's licence (dct:license)
    version: str | None = None  # the release's version, which names its download folder
    files: tuple[str, ...] = ()  # the release's files the site offers in download/<version>/
    downloads: tuple[Download, ...] = ()  # where void.ttl says they are published
    nanopubs: Mapping[str, Nanopub] = field(default_factory=dict)  # by claim
    # the terms only the ontology's graph describes (its own, the outside terms it labels)
    vocabulary: Container[str] = frozenset()
    # where the claims about an entity are listed in full (kg.web.browse), by its IRI
    listings: Mapping[str, str] = field(default_factory=dict)

    def page_of(self, iri: str) -> Page | None:
        """The page that shows ``iri``: the page of the shortest IRI it is minted under."""
        found = self.place_of(iri)
        return self.pages[found.iri] if found else None

    def place_of(self, iri: str) -> Page | None:
        """The page that shows ``iri`` by its resource and path alone, without its triples
        (what a link to it needs)."""
        found = holders(iri, self.pages)
        path = self.pages.index.path(found[-1]) if found else None
        return Page(found[-1], path) if path is not None else None


def doc_path(iri: str, converter: Converter) -> str:
    """The path (without extension) of the document of a resource, from the site's root.

    >>> from curies import Converter
    >>> c = Converter.from_prefix_map({"MONDO": "http://purl.obolibrary.org/obo/MONDO_"})
    >>> doc_path(ROOT + "id/pubmed-1/claim/x", c), doc_path(ROOT + "ontology#Claim", c)
    ('doc/pubmed-1/claim/x', 'doc/ontology')
    >>> doc_path(ROOT + "ontology/0.1.0", c), doc_path(ROOT + "release/0.1.0/build", c)
    ('doc/ontology/0.1.0', 'doc/release/0.1.0/build')
    >>> doc_path("http://purl.obolibrary.org/obo/MONDO_0000001", c)
    'doc/external/MONDO-0000001'
    """
    if iri == _ONTOLOGY or iri.startswith(_ONTOLOGY + "#"):
        return "doc/ontology"
    if iri.startswith(ROOT):
        rest = iri[len(ROOT) + 3 :] if iri.startswith(ROOT + "id/") else iri[len(ROOT) :]
        return "doc/" + _safe_path(rest, iri)
    curie = converter.compress(iri)
    name = curie if curie else iri.split("://", 1)[-1]
    return "doc/external/" + "".join(c if c.isalnum() or c in "._-" else "-" for c in name)


def _safe_path(rest: str, iri: str) -> str:
    """A minted IRI's path as a relative path in the site, or an error: a release from
    elsewhere may hold an IRI with ``..`` segments that would write outside the site.

    >>> _safe_path("pubmed-1/claim/x", "…")
    'pubmed-1/claim/x'
    >>> _safe_path("pubmed-1/../../etc/x", "https://w3id.org/drugclaims/id/pubmed-1/../../etc/x")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: graph.nq: not an IRI kg build mints ...
    """
    segments = rest.split("#", 1)[0].split("/")
    if any(s in ("", ".", "..") or not _SEGMENT.fullmatch(s) for s in segments):
        raise InputError(
            "graph.nq",
            None,
            None,
            "not an IRI kg build mints (a path segment '..', '.' or empty, or a character not "
            f"allowed in a file name): {iri!r}",
        )
    return "/".join(segments)


_SEGMENT = re.compile(r"[A-Za-z0-9._~-]{1,200}")


def index_site(
    store: ox.Store, target: str | Path = ":memory:", *, indexing: Indexing | None = None
) -> PageIndex:
    """Index the pages of the release in ``store`` (:func:`kg.web.pageindex.make_index`) into
    ``target``, with each claim's conflicts, as ``kg stats`` lists them; or finish
    ``indexing``, which was given every quad of the store as it was loaded.

    :raises InputError: a minted IRI that may not be a file name (``..`` …)
    """
    converter = declared_converter(store)

    def path_of(iri: str) -> str:
        return doc_path(iri, converter)

    index = indexing.finish(path_of) if indexing else make_index(store, path_of, target)
    index.add_conflicts(
        (_v(row["claim"]), _v(row["other"]), _v(row["why"]))
        for row in run_query(store, packaged_query("conflicts"))  # type: ignore[attr-defined]
    )
    return index


def open_site(store: ox.Store, index: PageIndex) -> Site:
    """The site of the release in ``store``, its pages found by ``index`` (:func:`index_site`).

    A page holds the triples of its resource and of every node minted under its IRI by path (a
    claim's page its evidence, quote and position selectors, its dose: what its page shows),
    and the triples that point to its resource (:attr:`Page.inbound`): an entity's claims and
    mapping records, a claim's evidence's claim (:func:`kg.web.pageindex.page_triples`)."""
    name, description = _dataset_words(store)
    return Site(
        Pages(index, store),
        Labels(store),
        declared_converter(store),
        store,
        name or "drugclaims",
        description,
        Lookup(lambda claim: index.conflicts(claim) or None),
        license=license_of(store),
        version=_release_version(store),
        nanopubs=Lookup(lambda claim: _found_nanopub(index.nanopub(claim))),
        vocabulary=Lookup(lambda iri: index.vocabulary(iri) or None),
        listings=Lookup(index.listing),
    )


def _found_nanopub(found: tuple[str, str] | None) -> Nanopub | None:
    return Nanopub(*found) if found else None


def _dataset_words(store: ox.Store) -> tuple[str, str]:
    """The release's title and description, as dataset.yaml gives them."""
    found = run_query(
        store,
        "SELECT ?title ?description WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
        "<http://purl.org/dc/terms/title> ?title . "
        "OPTIONAL { ?d <http://purl.org/dc/terms/description> ?description } } "
        "ORDER BY ?title LIMIT 1",
    )
    for row in found:  # type: ignore[attr-defined]
        description = row["description"]
        return str(row["title"].value), str(description.value) if description else ""
    return "", ""


#: The largest graph.nq (bytes) whose store ``kg site`` holds in memory (a few times its size:
#: about 300 MB for the 118 MB of 1,000 sources); a larger release's store and pages' index
#: are on disk, which makes the site a third to a half slower to write (measured at 101
#: sources: 27-32 s against 19.5 s).
STORE_IN_MEMORY = 64 << 20


def build_site(
    release: Path,
    out: Path,
    *,
    public_host: str = "https://example.org",
    sparql_endpoint: str | None = None,
    force: bool = False,
    page_size: int | None = None,
    pictures: bool = True,
) -> tuple[int, str | None]:
    """Write the site of the release in ``release`` (its graph.nq) into ``out``, with the
    nginx.conf and the w3id.org .htaccess that serve it (see :mod:`kg.web.deploy`); returns the
    number of pages and the release's licence. The site is staged beside ``out`` and swapped
    in whole, as a release is (:func:`kg.runtime.publish.write_release`). Only the files the
    release's description lists, each with its listed size and checksum, are read: copied
    (:func:`kg.formats.listing.copy_release`) into a folder beside ``out`` as they are checked,
    the site is made from the copies, and the copies are moved into it as its downloads. A
    browse page shows at most ``page_size`` rows (default: :data:`kg.web.browse.PAGE_SIZE`).

    With ``pictures``, each claim and entity page shows a diagram and the index charts
    (:mod:`kg.web.pictures`, drawn by Graphviz's ``dot``).

    :raises InputError: the release folder is not what its description lists
    :raises OutputError: ``out`` holds other files than a site's, is inside the release's
        folder, or cannot be written
    :raises GraphvizError: ``pictures`` and Graphviz's ``dot`` is missing or fails
    """
    if pictures:
        require_dot()  # before the work: a missing dot is said at once
    inside = Path(os.path.realpath(release))
    if inside in Path(os.path.realpath(out)).parents:
        raise OutputError(
            f"{out}: inside the release's folder {release}, which holds only the files its "
            "description lists; write the site elsewhere"
        )
    # the copies are made in a work folder beside out (one that a killed kg site left is
    # removed by the next), so that they are moved into the site, not copied again
    with work_folder(out) as work:
        checked = copy_release(release, work.path("release"))
        if checked["graph.nq"].stat().st_size <= STORE_IN_MEMORY:
            made = prepare_site(release, checked)
        else:  # on disk: memory that does not grow with the corpus, but slower
            store, index = work.path("store"), work.path("pages.sqlite")
            made = prepare_site(release, checked, store=store, index=index)
        previous = Path(os.path.realpath(out))  # its unchanged pages are linked, not written
        pages = Trees(work.path("pages"), previous if previous.is_dir() else None)
        return _write_site(
            made, pages, out, public_host, sparql_endpoint, force, page_size, pictures
        )


def _write_site(
    made: Prepared,
    pages: Trees,
    out: Path,
    public_host: str,
    sparql_endpoint: str | None,
    force: bool,
    page_size: int | None,
    pictures: bool,
) -> tuple[int, str | None]:
    site = made.site
    drawn = site_pictures(site.store, site.labels, site.converter) if pictures else Pictures()
    files: dict[str, bytes | Path] = {**made.downloads}
    documents = Documents(site, made.graphs, drawn.pages.get)
    for iri in site.pages:  # each written to disk as it is made, not held (GBs of them)
        for name, data in documents.of(site.pages[iri]).items():
            pages.write(name, data)
    files |= front_files(site, made.claims, drawn.charts, page_size, sparql_endpoint)
    root = out.resolve()
    files["nginx.conf"] = nginx_conf(
        root, 8080, site.license, prefix=root.parent / f".{root.name}-nginx", version=site.version
    ).encode("utf-8")
    files[".htaccess"] = htaccess(
        public_host.rstrip("/"), version=site.version, license_iri=site.license
    ).encode("utf-8")
    write_release(files, out, force=force, trees=pages.folders())
    return len(site.pages), site.license


def write_served(
    release: Path,
    checked: Copied,
    folder: Path,
    *,
    pictures: bool = True,
    vouching: Vouching | None = None,
) -> None:
    """Write into ``folder`` what ``kg serve`` serves the release in ``release`` from (``checked``:
    its files as :func:`kg.formats.listing.copy_release` copied them, on ``folder``'s file
    system: they are moved into the site's downloads): ``site/``, the front
    pages and the downloads (:func:`front_files`; the SPARQL endpoint at ``/query``);
    ``pages/`` and ``pages.sqlite``, the store and index each resource's documents are made
    from when they are asked for (:func:`open_served`). Not the documents themselves (their
    number grows with the corpus, and so would the time to the first answer), but those of the
    few entities that more than :data:`HUB_CLAIMS` claims are about. ``vouching``: as
    :func:`prepare_site`'s.

    :raises InputError: as :func:`prepare_site`
    :raises GraphvizError: ``pictures`` and Graphviz's ``dot`` is missing or fails
    """
    _write_served(release, checked, folder, pictures, vouching)
    gc.collect()  # the pages' store is closed with its last reference: before it is recorded


def _write_served(
    release: Path, checked: Copied, folder: Path, pictures: bool, vouching: Vouching | None
) -> None:
    pages, index = folder / "pages", folder / "pages.sqlite"
    made = prepare_site(release, checked, store=pages, index=index, vouching=vouching)
    site = made.site
    charts = index_charts(site.store, site.labels, site.converter) if pictures else []
    files: dict[str, bytes | Path] = {**made.downloads}
    files |= front_files(site, made.claims, charts, None, "/query")
    documents = Documents(site, made.graphs, _picture(site, pictures))
    for iri in _hubs(site):  # made once here: each would take seconds on demand
        files |= documents.of(site.pages[iri])
    write_release(files, folder / "site")
    site.pages.index.close()
    site.store.flush()


#: The number of claims about an entity above which ``kg serve`` makes its documents when it
#: starts, not when they are asked for (its page counts and draws them all).
HUB_CLAIMS = 1000


def _hubs(site: Site) -> list[str]:
    """The entities with a page that more than :data:`HUB_CLAIMS` claims are about."""
    found = run_query(
        site.store,
        f"SELECT ?e WHERE {{ ?c a <{_KGO}Claim> ; <{_BIOLINK}subject>|<{_BIOLINK}object> ?e }} "
        f"GROUP BY ?e HAVING (COUNT(DISTINCT ?c) > {HUB_CLAIMS}) ORDER BY ?e",
    )
    hubs = (_v(row["e"]) for row in found)  # type: ignore[attr-defined]
    return [iri for iri in hubs if iri in site.pages]


def _picture(site: Site, pictures: bool) -> Callable[[str], Picture | None]:
    """A page's picture, drawn when it is made (none without ``pictures``)."""

    def picture(iri: str) -> Picture | None:
        return page_picture(site.store, iri, site.labels, site.converter) if pictures else None

    return picture


def open_served(
    folder: Path,
    *,
    pictures: bool = True,
    check: Callable[[Path, str], bool] | None = None,
) -> Documents:
    """The documents of the resources of the release that :func:`write_served` wrote into
    ``folder``, each made when it is asked for (with its picture, drawn then, with
    ``pictures``); ``check(file, sha256)``: whether a file of the site holds the bytes it was
    written with (the downloads' void.ttl, which every page's links are read from).

    :raises OSError, RuntimeError: the store or the index cannot be read, or void.ttl is not
        what was written (damaged)
    """
    store = ox.Store.read_only(str(folder / "pages"))
    index = PageIndex.open(folder / "pages.sqlite")
    site = open_site(store, index)
    if site.version:
        offered = folder / "site" / "download" / site.version
        names = [p.name for p in offered.iterdir() if p.is_file()] if offered.is_dir() else []
        void = offered / "void.ttl"
        data = void.read_bytes() if void.is_file() else None
        sound = data is None or check is None or check(void, hashlib.sha256(data).hexdigest())
        if not sound:
            raise OSError(f"{void}: not the bytes it was written with (damaged)")
        offer(site, names, data)

    return Documents(site, named_graphs(store), _picture(site, pictures))


@dataclass
class Prepared:
    """What a site is made from: the site, the release's named graphs, its claims, and the
    files it offers for download (``download/<version>/…``: the release's and each claim's
    nanopublication), by path."""

    site: Site
    graphs: set[str]
    claims: list[ClaimRow]
    downloads: dict[str, Path]


def prepare_site(
    release: Path,
    checked: Copied,
    *,
    store: Path | None = None,
    index: str | Path = ":memory:",
    vouching: Vouching | None = None,
) -> Prepared:
    """The site of the release in ``release`` (``checked``: its files as
    :func:`kg.formats.listing.copy_release` copied them, and where each claim's
    nanopublication file is copied): its store (in memory, or on disk at
    ``store``) and its pages' index (:func:`index_site`, into ``index``), with each entity's
    browse listing and each claim's nanopublication recorded in it. ``vouching``: what gives
    :func:`kg.web.downloads.vouched_nanopubs` of the release when it is needed (made
    elsewhere meanwhile: ``kg serve``'s preparing process); by default it is made then.

    :raises InputError: a file of the release is not valid RDF, a minted IRI may not be a
        file name, a nanopublication file is not one of ``nanopubs.trig``
    """
    from kg.web.browse import claim_rows, entity_listings  # built on this module

    # the pages' index and the graphs' sizes are given each quad as it is loaded, not read
    # back from the store
    indexing, sizes = Indexing(index), GraphSizes()

    def each(name: str, quad: ox.Quad) -> None:
        indexing.add(quad)
        sizes.add(name, quad)

    loaded = load_release(checked, store, each=each)
    version = _release_version(loaded)
    graphs = named_graphs(loaded)
    statements = site_statements(loaded, version, sizes)
    loaded.bulk_extend(statements)
    for quad in statements:
        indexing.add(quad)
    site = open_site(loaded, index_site(loaded, indexing=indexing))
    claims = claim_rows(loaded)
    site.pages.index.add_listings(entity_listings(site, claims))
    downloads: dict[str, Path] = {}
    if site.version:  # the release's files, where void.ttl's dcat:downloadURL says they are
        if vouching is None:
            vouched = vouched_nanopubs(release, checked.get("nanopubs.trig"), checked.folder)
        else:
            vouched = vouching()
        copies = {name: found.copy for name, found in vouched.items()}
        for name, path in (*checked.items(), *copies.items()):
            downloads[f"download/{site.version}/{name}"] = path
        found = nanopubs(vouched, site.version)
        site.pages.index.add_nanopubs((claim, n.uri, n.path) for claim, n in found.items())
        offer(site, checked, checked[DESCRIPTION].read_bytes())
    return Prepared(site, graphs, claims, downloads)


def offer(site: Site, names: Iterable[str], void: bytes | None) -> None:
    """Let the site offer the release's files of these ``names`` for download, where its
    description (the bytes of its ``void.ttl``, if any) says they are published."""
    named = set(names)
    site.files = tuple(n for n in RELEASE_FILES if n in named)
    site.downloads = tuple(read_downloads(void))


def front_files(
    site: Site,
    claims: Sequence[ClaimRow],
    charts: Sequence[Picture],
    page_size: int | None,
    endpoint: str | None,
) -> dict[str, bytes]:
    """The site's files that are not a resource's documents: the home page and the browse
    pages (:mod:`kg.web.browse`), the page for a path the site does not have, the style."""
    from kg.web.browse import PAGE_SIZE, browse_files  # built on this module

    files = {"404.html": _not_found_html(site).encode("utf-8"), "style.css": _STYLE.encode()}
    # the release's own files (not each claim's nanopublication: the home page stays small)
    downloads = sorted(f"download/{site.version}/{name}" for name in site.files)
    return files | browse_files(
        site,
        page_size=PAGE_SIZE if page_size is None else page_size,
        endpoint=endpoint,
        downloads=downloads,
        charts=charts,
        claims=claims,
    )


#: The extensions of a resource's documents, in the order a site writes them.
_EXTENSIONS = ("ttl", "nt", "jsonld", "rdf", "html")


class Documents:
    """The documents of the pages of ``site``: each resource's page and its triples in Turtle,
    N-Triples, JSON-LD and RDF/XML (``graphs``: the release's named graphs, whose documents
    lead to the outside terms' as the ontology's does; ``picture``: a page's picture, by its
    resource)."""

    def __init__(
        self, site: Site, graphs: Container[str], picture: Callable[[str], Picture | None]
    ) -> None:
        self.site = site
        self.graphs = graphs
        self.picture = picture
        self.prefixes = namespaces(site.converter)

    def of(self, page: Page, extensions: Iterable[str] = _EXTENSIONS) -> dict[str, bytes]:
        """The documents of ``page`` with these extensions, by their paths in the site."""
        triples = sorted(set(page.triples + page.inbound), key=_order)
        vocabulary = page.iri == _ONTOLOGY or page.iri in self.graphs
        site = self.site

        def outside(iri: str) -> str | None:  # an outside resource's document, if described
            path = site.pages.index.path(iri)
            return path if path is not None and path.startswith("doc/external/") else None

        def entity(iri: str) -> str | None:  # the same, but a term of the ontology's
            return None if iri in site.vocabulary else outside(iri)

        triples += see_also(triples, Lookup(outside if vocabulary else entity), page.iri)
        found = {}
        for extension in extensions:
            if extension == "html":
                data = _page_html(self.site, page, self.picture(page.iri)).encode("utf-8")
            else:
                data = self._rdf(extension, triples)
            found[f"{page.path}.{extension}"] = data
        return found

    def _rdf(self, extension: str, triples: list[ox.Triple]) -> bytes:
        if extension == "ttl":
            return write_turtle(triples, self.prefixes)
        if extension == "nt":
            return _ntriples(triples)
        if extension == "jsonld":
            return _jsonld(triples)
        return _rdfxml(triples, self.prefixes)

    def has(self, path: str) -> bool:
        """Whether the site has a document at ``path`` (``doc/….html``, ``.ttl`` …)."""
        return self._resource(path) is not None

    def document(self, path: str) -> bytes | None:
        """The document at ``path`` in the site, made now; None when it has no such one."""
        iri = self._resource(path)
        if iri is None:
            return None
        return self.of(self.site.pages[iri], (path.rpartition(".")[2],))[path]

    def _resource(self, path: str) -> str | None:
        stem, _, extension = path.rpartition(".")
        return self.site.pages.index.iri_of(stem) if extension in _EXTENSIONS else None


def _release_version(store: ox.Store) -> str | None:
    """The version of the release in ``store`` (pav:version of its dcat:Dataset)."""
    value = dataset_value(store, "http://purl.org/pav/version")
    return value if value is not None and VERSION.fullmatch(value) else None


def dataset_value(store: ox.Store, predicate: str, *, latest: bool = False) -> str | None:
    """The least (or, ``latest``, the greatest) value of ``predicate`` on the release's
    dcat:Dataset in ``store`` (its version's description), as text; None if it has none."""
    order = "DESC(?v)" if latest else "?v"
    found = run_query(
        store,
        "SELECT ?v WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
        f"<{predicate}> ?v }} ORDER BY {order} LIMIT 1",
    )
    for row in found:  # type: ignore[attr-defined]
        return str(row[0].value)
    return None


def license_of(store: ox.Store) -> str | None:
    """The licence of the release in ``store``: the dct:license its graph's description
    (graph.nq's dataset graph) gives, else any dct:license."""
    licence = ox.NamedNode("http://purl.org/dc/terms/license")
    for graph in (ox.NamedNode(str(DATASET_GRAPH)), None):
        for quad in store.quads_for_pattern(None, licence, None, graph):
            if isinstance(quad.object, ox.NamedNode):
                return _v(quad.object)
    return None


def _order(triple: ox.Triple) -> tuple[str, str, str]:
    return str(triple.subject), str(triple.predicate), str(triple.object)


def _ntriples(triples: Iterable[ox.Triple]) -> bytes:
    lines = sorted(f"{t.subject} {t.predicate} {t.object} .\n" for t in set(triples))
    return "".join(lines).encode("utf-8")


def _jsonld(triples: Iterable[ox.Triple]) -> bytes:
    """Expanded JSON-LD, written by pyoxigraph from the sorted triples: reads with no context
    to fetch."""
    ordered = sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    written = ox.serialize(ordered, format=ox.RdfFormat.JSON_LD)
    assert written is not None
    return written if written.endswith(b"\n") else written + b"\n"


def _rdfxml(triples: Iterable[ox.Triple], prefixes: Mapping[str, str]) -> bytes:
    """RDF/XML, written by pyoxigraph from the sorted triples, with the release's prefixes of the
    properties and classes it names (those prefixes that are XML names)."""
    ordered = sorted(set(triples), key=_order)
    named = {_v(t.predicate) for t in ordered} | {
        _v(t.object) for t in ordered if _v(t.predicate) == _RDF + "type"
    }
    by_namespace = _xml_prefixes(tuple(prefixes.items()))
    found = {  # each namespace a term starts with, looked up by the term's leading parts
        name
        for term in named
        for k in range(len(term) + 1)
        for name in by_namespace.get(term[:k], ())
    }
    names = {name: iri for name, iri in prefixes.items() if name in found}
    written = ox.serialize(ordered, format=ox.RdfFormat.RDF_XML, prefixes=names)
    assert written is not None
    return written if written.endswith(b"\n") else written + b"\n"


_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*", re.ASCII)


@cache
def _xml_prefixes(prefixes: tuple[tuple[str, str], ...]) -> dict[str, tuple[str, ...]]:
    """The prefixes that are XML names, by namespace (computed once a site, not once a page)."""
    found: dict[str, tuple[str, ...]] = {}
    for name, iri in prefixes:
        if _XML_NAME.fullmatch(name):
            found[iri] = (*found.get(iri, ()), name)
    return found


# -- HTML ------------------------------------------------------------------------------------

# Narrow screens: long words and IRIs wrap anywhere; a table wider than the page scrolls inside
# its own box (.wide), never the page.
_STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#1a1a1a;background:#fff;overflow-wrap:anywhere}a{color:#0b57a4}
h1{font-size:1.75rem;line-height:1.25}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
.wide{max-width:100%;overflow-x:auto}mark{background:#ffe066;color:#1a1a1a}
.status{font-weight:bold}.negated{color:#a40000}.hypothesis{color:#6b4e00}
code{word-break:break-all}blockquote{border-left:4px solid #ccc;margin:0;padding:0 1rem;
white-space:pre-wrap}.elided::before{content:"… "}.elided::after{content:" …"}
footer{border-top:1px solid #ccc;margin-top:2rem;font-size:.9rem}
.scroll{overflow-x:auto;max-width:100%}.pager{margin:.5rem 0}.pager a{margin-right:.5rem}
.counts{width:auto}th button{font:inherit;font-weight:bold;background:none;border:0;padding:0;
color:#0b57a4;cursor:pointer;text-decoration:underline}
.picture{margin:1rem 0}.picture svg{max-width:100%;height:auto}
.picture figcaption{font-size:.9rem;color:#444}
"""


@dataclass(frozen=True)
class Cell:
    """A value as a page shows it (templates/macros.html): a link to the page of a resource, a
    claim's status, an IRI with no page (as code), or text."""

    text: str
    href: str | None = None
    code: bool = False
    css: str | None = None


@cache
def _templates() -> jinja2.Environment:
    """The pages' templates (kg/web/templates), autoescaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("kg.web", "templates"),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _render(template: str, site: Site, depth: int, **values: object) -> str:
    """A page from its template, in the layout every page shares (templates/base.html): the
    way home, the release's downloads and its licence. ``up`` leads to the site's root: a
    relative path by the page's depth, or ``/`` for a page served at any path (the 404)."""
    up = str(values.get("up", "../" * depth))
    release = site.pages.index.path(f"{ROOT}release/{site.version}") if site.version else None
    licence = site.license or ""
    layout = {
        "up": up,
        "site_name": site.name,
        "alternates": (),
        "schema_org": "",
        "style": None,
        "downloads": f"{up}{release}.html#downloads" if release and site.files else None,
        "licence": Cell(site.labels.get(licence, licence), web_address(licence)),
    }
    return _templates().get_template(template).render(**{**layout, **values})


def _depth(path: str) -> int:
    return path.count("/")


def _link(site: Site, iri: str, depth: int) -> Cell:
    """A link to the page of ``iri`` (its label as text), or the IRI itself as code."""
    label = site.labels.get(iri) or site.converter.compress(iri) or iri
    page = site.place_of(iri)
    if page is None:  # an outside IRI the release says nothing of: a link out, if it may be
        address = web_address(iri)
        return Cell(label, href=address) if address else Cell(label, code=True)
    anchor = _anchor(page, iri)
    if anchor and not page.iri.startswith(ROOT):  # an outside page has anchors of its subjects
        anchor = anchor if site.pages.index.is_subject(iri) else ""
    return Cell(label, href="../" * depth + page.path + ".html" + ("#" + anchor if anchor else ""))


def _anchor(page: Page, iri: str) -> str:
    """The id, on ``page``, of what it holds of ``iri``: the IRI's fragment, or its path below
    the page's resource (a claim's ``evidence/quote`` is ``evidence-quote``).

    >>> _anchor(Page("https://x/c", "doc/c"), "https://x/c/evidence/quote")
    'evidence-quote'
    """
    if iri == page.iri:
        return ""
    if "#" in iri:
        return iri.split("#", 1)[1]
    if page.iri == _ONTOLOGY or not iri.startswith(page.iri + "/"):
        return ""  # the ontology's page anchors its terms, not its version IRI
    return iri[len(page.iri) + 1 :].replace("/", "-")


def _term(site: Site, term: object, depth: int) -> Cell:
    if isinstance(term, ox.NamedNode):
        return _link(site, term.value, depth)
    assert isinstance(term, ox.Literal)
    return Cell(term.value)


def _values(page: Page, subject: str, predicate: str) -> list[object]:
    return sorted(
        (
            t.object
            for t in page.triples
            if _v(t.subject) == subject and _v(t.predicate) == predicate
        ),
        key=str,
    )


def _value(page: Page, subject: str, predicate: str) -> str:
    found = _values(page, subject, predicate)
    return getattr(found[0], "value", "") if found else ""


def _page_html(site: Site, page: Page, picture: Picture | None = None) -> str:
    depth = _depth(page.path)
    title = site.labels.get(page.iri) or site.converter.compress(page.iri) or page.iri
    types = {
        _v(t.object)
        for t in page.triples
        if _v(t.subject) == page.iri
        and _v(t.predicate) == _RDF + "type"
        and isinstance(t.object, ox.NamedNode)
    }
    name = page.path.rsplit("/", 1)[-1]
    outside = not page.iri.startswith(ROOT)
    claims_about, about_total, about_all = (
        _claims_about(site, page, depth) if outside else ([], 0, None)
    )
    return _render(
        "page.html",
        site,
        depth,
        title=title,
        iri=page.iri,
        alternates=[
            (f.media_type, f"{name}.{f.extension}") for f in FORMATS if f.extension != "html"
        ],
        schema_org=_schema_org(site, page, types),
        description=_value(page, page.iri, _SKOS + "definition")
        or _value(page, page.iri, _DCT + "description"),
        formats=[
            (f"{name}.{f.extension}", f.media_type, f.label)
            for f in FORMATS
            if f.extension != "html"
        ],
        claim=_claim(site, page, depth) if _KGO + "Claim" in types else None,
        ontology=_ontology(site, page, depth) if page.iri == _ONTOLOGY else (),
        outside_terms=_outside_terms(site, ONTOLOGY_GRAPH, depth) if page.iri == _ONTOLOGY else (),
        catalogue=_outside_terms(site, CATALOGUE_GRAPH, depth)
        if _downloads_here(site, page)
        else (),
        # only a web address is a link out: a javascript: or data: IRI is shown, never followed
        authority=web_address(page.iri) if outside else None,
        claims_about=claims_about,
        about_total=about_total,
        about_all=about_all,
        claims_from=_claims_citing(site, page.iri, depth),
        xrefs=_cross_references(site, page.iri, depth),
        files=_downloads(site, page, depth),
        triples=_triples(site, page, depth),
        picture=picture,
    )


def _links_out(site: Site, iri: str) -> list[Cell]:
    """An outside resource's own address and its exact matches' (an article's DOI, PubMed
    and PMC pages), each named by its CURIE: web addresses only."""
    found = {iri} | {_v(t.object) for t in _quads(site.store, iri, _SKOS + "exactMatch")}
    cells = []
    for target in sorted(found):
        address = web_address(target)
        if address:
            cells.append(Cell(site.converter.compress(target) or target, address))
    return cells


def _first(store: ox.Store, subject: str, predicate: str) -> str:
    """The least value of ``predicate`` on ``subject``, as text ("" when it has none)."""
    found = _quads(store, subject, predicate)
    return _v(found[0].object) if found else ""


def _quads(store: ox.Store, subject: str, predicate: str) -> list[ox.Triple]:
    """The distinct triples of ``subject`` and ``predicate`` in any graph of the release."""
    return sorted(
        {
            ox.Triple(q.subject, q.predicate, q.object)
            for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)
        },
        key=_order,
    )


def _downloads_here(site: Site, page: Page) -> bool:
    """Whether ``page`` is the release's, which lists its files and its catalogue."""
    return bool(site.version) and page.iri == f"{ROOT}release/{site.version}"


def _downloads(site: Site, page: Page, depth: int) -> list[tuple[Cell, str]]:
    """The release's files, on the page of the release they belong to."""
    if not _downloads_here(site, page):
        return []
    types = {f.name: f.media_type for f in FILES}
    up = "../" * depth
    return [(Cell(name, f"{up}download/{site.version}/{name}"), types[name]) for name in site.files]


_KINDS = (
    ("http://www.w3.org/2002/07/owl#Class", "Classes"),
    ("http://www.w3.org/2002/07/owl#ObjectProperty", "Object properties"),
    ("http://www.w3.org/2002/07/owl#DatatypeProperty", "Datatype properties"),
    (_KGO + "EpistemicStatus", "Epistemic statuses"),
    (_KGO + "ClaimPredicate", "Claim predicates"),
)
_TERM_FIELDS = (
    ("http://www.w3.org/2004/02/skos/core#definition", "definition"),
    (_RDFS + "comment", "comment"),
    (_RDFS + "subClassOf", "subclass of"),
    (_RDFS + "subPropertyOf", "subproperty of"),
    (_RDFS + "domain", "domain"),
    (_RDFS + "range", "range"),
    ("http://www.w3.org/2004/02/skos/core#exactMatch", "same as"),
    ("http://www.w3.org/2004/02/skos/core#closeMatch", "close to"),
)


def _ontology(site: Site, page: Page, depth: int) -> list[tuple[str, list[dict[str, object]]]]:
    """The ontology's documentation: its terms by kind, each with its definition, comment,
    superclasses, domain and range, under an anchor of its local name (the term's IRI
    fragment), as pyLODE lays it out."""
    by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
    for triple in page.triples:
        by_subject[_v(triple.subject)].append(triple)
    placed: set[str] = set()
    groups = []
    for kind, title in _KINDS:
        terms = sorted(
            subject
            for subject, triples in by_subject.items()
            if subject.startswith(_KGO)
            and subject not in placed
            and any(_v(t.predicate) == _RDF + "type" and _v(t.object) == kind for t in triples)
        )
        placed.update(terms)
        groups.append((title, terms))
    groups.append(
        ("Other terms", sorted(s for s in by_subject if s.startswith(_KGO) and s not in placed))
    )
    found = []
    for title, terms in groups:
        if not terms:
            continue
        documented: list[dict[str, object]] = []
        for term in terms:
            name = term.split("#", 1)[1]
            fields = [
                (field_name, _term(site, value, depth))
                for predicate, field_name in _TERM_FIELDS
                for value in sorted(
                    (t.object for t in by_subject[term] if _v(t.predicate) == predicate), key=str
                )
            ]
            fields += [  # the records of its cross-references, as an outside entity's page has
                ("mapping record", record) for *_, record in _cross_references(site, term, depth)
            ]
            documented.append(
                {"name": name, "label": site.labels.get(term, name), "fields": fields}
            )
        found.append((title, documented))
    return found


def _outside_terms(site: Site, graph: object, depth: int) -> list[Cell]:
    """The outside resources a shared graph describes (the ontology's: the labels of the
    terms it uses; the catalogue's: its entities), each a link to its page, by label."""
    terms = {
        _v(q.subject)
        for q in site.store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph)))
        if isinstance(q.subject, ox.NamedNode) and not q.subject.value.startswith(ROOT)
    }
    return sorted(
        (cell for cell in (_link(site, term, depth) for term in terms) if cell.href),
        key=lambda c: (c.text.lower(), c.href or ""),
    )


def _status(site: Site, status: str) -> tuple[str, str]:
    """The status of a claim in words, and a CSS class."""
    word = site.labels.get(status, status.rsplit("#", 1)[-1]).lower()
    return word, re.sub(r"[^a-z]", "", word.split()[0]) if word else ""


def _meaning(site: Site, status: str) -> str:
    """What a status means, as the ontology defines it (its skos:definition)."""
    found = _quads(site.store, status, _SKOS + "definition")
    return _v(found[0].object) if found else ""


def _claim(site: Site, page: Page, depth: int) -> dict[str, object]:
    """A claim's summary (its reading, parts, status and every qualifier), what its status
    means, its source's abstract with the quote highlighted at its offsets, and where else it
    is published (its article, its nanopublication)."""
    iri = page.iri
    status = _value(page, iri, _KGO + "epistemicStatus")
    word, css = _status(site, status)
    if _value(page, iri, _BIOLINK + "negated") == "true" and css != "negated":
        word += " (negated: that the relation does not hold)"
    rows: list[tuple[str, list[Cell]]] = [
        ("in words", [Cell(_value(page, iri, _KGO + "reading"))]),
        *(
            (role, [_link(site, _value(page, iri, _BIOLINK + role), depth)])
            for role in ("subject", "predicate", "object")
        ),
        ("status", [Cell(word, css=css)]),
    ]
    qualifiers = sorted(
        {_v(t.predicate) for t in page.triples if _v(t.subject) == iri}
        - CLAIM_PROPERTIES
        - SITE_LINKS
    )
    for prop in qualifiers:  # each qualifier, with its values
        label = site.labels.get(prop) or site.converter.compress(prop) or prop
        cells = [  # a node minted for the claim (a dose, a study set) by its label
            Cell(site.labels.get(_v(value), _v(value)))
            if _v(value).startswith(iri + "/")
            else _term(site, value, depth)
            for value in _values(page, iri, prop)
        ]
        rows.append((label, cells))
    conflicts = site.conflicts.get(iri, [])
    if conflicts:  # found by kg/queries/conflicts.rq across every source
        rows.append(
            (
                "in conflict with",
                [
                    Cell(f"{cell.text} ({why})", cell.href, cell.code, cell.css)
                    for other, why in sorted(set(conflicts))
                    for cell in [_link(site, other, depth)]
                ],
            )
        )
    evidence = iri + "/evidence"
    return {
        "rows": rows,
        "negated": word == "negated",
        "status": _link(site, status, depth),
        "meaning": _meaning(site, status),
        "source": _source(site, page, depth),
        "evidence": "#" + _anchor(page, evidence) if _values(page, evidence, _RDF + "type") else "",
        "nanopub": _nanopub(site, iri, depth),
    }


def _nanopub(site: Site, claim: str, depth: int) -> tuple[Cell, Cell] | None:
    """A claim's nanopublication: its URI (a link out) and its file in the site."""
    found = site.nanopubs.get(claim)
    if found is None:
        return None
    return Cell(found.uri, found.uri), Cell("TriG", "../" * depth + found.path)


def _source(site: Site, page: Page, depth: int) -> dict[str, object] | None:
    """The claim's source as its page shows it: the abstract (not the page it came in) with
    the quote marked at its recorded offsets, and the article, on this site and elsewhere."""
    evidence = page.iri + "/evidence"
    text_iri = _value(page, evidence, _OA + "hasSource")
    start = _value(page, evidence + "/position", _OA + "start")
    end = _value(page, evidence + "/position", _OA + "end")
    shown_on = site.place_of(text_iri) if text_iri else None
    text = _first(site.store, text_iri, _RDF + "value") if shown_on else ""
    if not (text and start.isdigit() and end.isdigit()):
        return None
    article = _first(site.store, text_iri, _DCT + "source")
    abstract = _quads(site.store, article, "https://schema.org/abstract") if article else []
    try:
        shown = excerpt(text, int(start), int(end), _v(abstract[0].object) if abstract else "")
    except ValueError:  # offsets outside the text: the shapes refuse such a release
        return None
    return {
        "article": _link(site, article, depth) if article else None,
        "links": _links_out(site, article) if article else [],
        "text": _link(site, text_iri, depth),
        "excerpt": shown,
        "start": int(start),
        "end": int(end),
    }


#: How many claims of each status an entity's page lists; its browse listing has them all.
SHOWN = 20


def _claims_about(
    site: Site, page: Page, depth: int
) -> tuple[list[tuple[str, list[Cell]]], int, Cell | None]:
    """Claims whose subject or object is an outside resource, grouped by status, at most
    :data:`SHOWN` of each (a drug of a large corpus is in thousands: its page would grow with
    the corpus); how many there are; and a link to the browse pages that list them all."""
    groups: dict[str, set[Cell]] = defaultdict(set)
    for role in ("subject", "object"):
        for quad in site.store.quads_for_pattern(
            None, ox.NamedNode(_BIOLINK + role), ox.NamedNode(page.iri)
        ):
            groups[_status_of(site, quad.subject)].add(_link(site, _v(quad.subject), depth))
    total = sum(len(found) for found in groups.values())
    listing = site.listings.get(page.iri)
    shown = [(word, found[:SHOWN]) for word, found in _grouped(groups)]
    more = Cell(f"all {total} claims about it", "../" * depth + listing) if listing else None
    return shown, total, more if total > sum(len(found) for _, found in shown) else None


def _claims_citing(site: Site, iri: str, depth: int) -> list[tuple[str, list[Cell]]]:
    """The claims an article supports (their biolink:publications), grouped by status."""
    groups: dict[str, set[Cell]] = defaultdict(set)
    for quad in site.store.quads_for_pattern(
        None, ox.NamedNode(_BIOLINK + "publications"), ox.NamedNode(iri)
    ):
        if site.place_of(_v(quad.subject)) is not None:
            groups[_status_of(site, quad.subject)].add(_link(site, _v(quad.subject), depth))
    return _grouped(groups)


def _status_of(site: Site, claim: object) -> str:
    status = next(
        site.store.quads_for_pattern(claim, ox.NamedNode(_KGO + "epistemicStatus"), None),  # type: ignore[arg-type]
        None,
    )
    return _status(site, _v(status.object))[0] if status else "unknown"


def _grouped(groups: Mapping[str, set[Cell]]) -> list[tuple[str, list[Cell]]]:
    return [
        (word, sorted(groups[word], key=lambda c: (c.text, c.href or "")))
        for word in sorted(groups)
    ]


def _cross_references(site: Site, iri: str, depth: int) -> list[tuple[str, Cell, str, str, Cell]]:
    """A resource's cross-references: each mapping record's predicate, target (a link out
    to it), confidence and comment, and a link to the record's own page."""
    store = site.store
    rows = []
    records = {
        q.subject
        for q in store.quads_for_pattern(
            None, ox.NamedNode(_OWL + "annotatedSource"), ox.NamedNode(iri)
        )
    }
    for record in sorted(records, key=str):

        def one(p: str, record: ox.NamedNode | ox.BlankNode | ox.Triple = record) -> str:
            found = next(store.quads_for_pattern(record, ox.NamedNode(p), None), None)
            return _v(found.object) if found else ""

        target = one(_OWL + "annotatedTarget")
        rows.append(
            (
                one(_OWL + "annotatedProperty").rsplit("#", 1)[-1],
                Cell(site.converter.compress(target) or target, web_address(target)),
                one("https://w3id.org/sssom/confidence") or "1 (checked)",
                one(_RDFS + "comment"),
                _link(site, _v(record), depth),
            )
        )
    return sorted(rows, key=lambda r: (r[0], r[1].text, r[2], r[3]))


def _triples(site: Site, page: Page, depth: int) -> list[tuple[str, Cell, Cell, Cell]]:
    """Every triple the page owns: each node minted under the resource anchored at its first
    row, each property a link to its page."""
    rows = []
    anchored: set[str] = set()
    for t in sorted(page.triples, key=_order):
        subject = _v(t.subject)
        anchor = "" if subject in anchored or page.iri == _ONTOLOGY else _anchor(page, subject)
        anchored.add(subject)
        about = Cell("this") if subject == page.iri else _term(site, t.subject, depth)
        predicate = _v(t.predicate)
        link = _link(site, predicate, depth)
        prop = Cell(site.converter.compress(predicate) or predicate, link.href, link.code)
        rows.append((anchor, about, prop, _term(site, t.object, depth)))
    return rows


def _schema_org(site: Site, page: Page, types: set[str]) -> str:
    """The page's schema.org JSON-LD (:mod:`kg.web.markup`), by its resource's types."""
    kinds = sorted({KINDS[t] for t in types if t in KINDS})
    if "http://www.w3.org/ns/dcat#Distribution" in types:  # one file: its version's Dataset
        kinds = [k for k in kinds if k != "Dataset"]  # lists it as a DataDownload
    if "Dataset" in kinds:
        data = dataset_markup(site.store, page.iri, site.downloads)
    elif "ScholarlyArticle" in kinds:
        data = article_markup(site.store, page.iri, site.converter)
    elif kinds:
        data = entity_markup(site.store, page.iri, kinds, site.converter)
    else:
        return ""
    return script_text(data)


def _dataset_of(site: Site) -> str | None:
    """The dataset the release is a version of (or the release, when it names none)."""
    if not site.version:
        return None
    release = f"{ROOT}release/{site.version}"
    found = _quads(site.store, release, _DCT + "isVersionOf")
    return _v(found[0].object) if found else release


def _not_found_html(site: Site) -> str:
    """The page for any path the site does not have, at any depth: its links lead from the
    root and its style is inline, so that neither depends on where it is served."""
    return _render("404.html", site, 0, title="Not found", up="/", style=_STYLE)
