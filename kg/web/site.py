"""``kg site``: the release as a static site, so that every IRI it mints dereferences.

Every resource the project mints (``…/id/…``, ``…/release/…``, the ontology) and every outside
resource the release describes (entities, articles) gets a page (``doc/<path>.html``) and its
triples in Turtle, JSON-LD, N-Triples and RDF/XML beside it (``doc/<path>.ttl`` …). A
resource's triples are those whose subject is the resource or a node minted under its IRI (a
claim's evidence, quote and position selectors, its dose). The pages link to one another by
relative paths, so the site works from any folder or host; they load nothing from elsewhere (no
CDN, no font, no script but one inline filter on the index, which works without it).
Everything is generated from the release, sorted, so a rebuild writes the same bytes.

Dereferencing (:mod:`kg.web.negotiation`): ``/id/<path>`` answers 303 See Other to
``/doc/<path>.<ext>`` in the format the ``Accept`` header prefers.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2
import pyoxigraph as ox
from curies import Converter

from kg.curation.converter import declared_converter, namespaces
from kg.curation.project import VERSION
from kg.errors import InputError
from kg.formats.files import RELEASE_FILES
from kg.formats.turtle import write_turtle
from kg.namespaces import BIOLINK, OA, OWL, RDF, RDFS, ROOT
from kg.rdf.lines import term_value as _v
from kg.runtime.publish import write_release
from kg.sparql.query import packaged_query, run_query
from kg.views import CLAIM_PROPERTIES
from kg.web.deploy import htaccess, nginx_conf
from kg.web.figures import Pictures, site_pictures
from kg.web.negotiation import FORMATS
from kg.web.pictures import Picture, require_dot

__all__ = ["ROOT", "Site", "build_site", "doc_path"]

_ONTOLOGY = ROOT + "ontology"
_RDF = str(RDF)
_RDFS = str(RDFS)
_KGO = ROOT + "ontology#"
_BIOLINK = str(BIOLINK)
_OA = str(OA)
_OWL = str(OWL)
_SCHEMA_TYPES = {  # schema.org types a page's embedded JSON-LD may take, by the release's types
    "https://schema.org/ScholarlyArticle": "ScholarlyArticle",
    "http://www.w3.org/ns/dcat#Dataset": "Dataset",
    _BIOLINK + "ChemicalEntity": "Drug",
    _BIOLINK + "SmallMolecule": "Drug",
    _BIOLINK + "Drug": "Drug",
    _BIOLINK + "Disease": "MedicalCondition",
    _BIOLINK + "PhenotypicFeature": "MedicalCondition",
}


@dataclass
class Page:
    """One page: its resource, the document path it is written to, and its triples."""

    iri: str
    path: str
    triples: list[ox.Triple] = field(default_factory=list)


@dataclass
class Site:
    """The pages of a release, by resource IRI, and the labels of everything it names."""

    pages: dict[str, Page]
    labels: dict[str, str]
    converter: Converter
    store: ox.Store
    name: str = "drugclaims"  # the dataset's title, from the release (dataset.yaml's title)
    description: str = ""
    # the claims each claim conflicts with (kg/queries/conflicts.rq), with why
    conflicts: Mapping[str, list[tuple[str, str]]] = field(default_factory=dict)

    def page_of(self, iri: str) -> Page | None:
        return self.pages.get(_owner(iri, self.pages))


def doc_path(iri: str, converter: Converter) -> str:
    """The path (without extension) of the document of a resource, from the site's root.

    >>> from curies import Converter
    >>> c = Converter.from_prefix_map({"MONDO": "http://purl.obolibrary.org/obo/MONDO_"})
    >>> doc_path(ROOT + "id/pubmed-1/claim/x", c), doc_path(ROOT + "ontology#Claim", c)
    ('doc/pubmed-1/claim/x', 'doc/ontology')
    >>> doc_path("http://purl.obolibrary.org/obo/MONDO_0000001", c)
    'doc/external/MONDO-0000001'
    """
    if iri.startswith(_ONTOLOGY):
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


def _owner(iri: str, pages: Mapping[str, Page]) -> str:
    """The resource whose page holds ``iri``: the shortest IRI of a page that is ``iri`` or
    an ancestor of it by path segments (the ontology's terms are on the ontology's page)."""
    if iri.startswith(_ONTOLOGY):
        return _ONTOLOGY
    if iri.startswith(ROOT):
        cut = iri.find("/", len(ROOT))
        while cut != -1:
            if iri[:cut] in pages:
                return iri[:cut]
            cut = iri.find("/", cut + 1)
    return iri


def read_site(store: ox.Store) -> Site:
    """Gather the pages of the release in ``store``."""
    converter = declared_converter(store)
    subjects = sorted(
        {_v(q.subject) for q in store if isinstance(q.subject, ox.NamedNode)}, key=len
    )
    pages: dict[str, Page] = {}
    for iri in subjects:  # shortest first: an owner is met before what it owns
        owner = _owner(iri, pages)
        if owner not in pages:
            pages[owner] = Page(owner, doc_path(owner, converter))
    seen: set[ox.Triple] = set()
    for quad in store:
        triple = ox.Triple(quad.subject, quad.predicate, quad.object)
        if triple in seen or not isinstance(quad.subject, ox.NamedNode):
            continue
        seen.add(triple)
        pages[_owner(_v(quad.subject), pages)].triples.append(triple)
    labels: dict[str, str] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(_RDFS + "label"), None):
        if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
            labels.setdefault(_v(quad.subject), _v(quad.object))
    name, description = _dataset_words(store)
    return Site(
        pages, labels, converter, store, name or "drugclaims", description, _conflicts(store)
    )


def _conflicts(store: ox.Store) -> dict[str, list[tuple[str, str]]]:
    """Each claim's conflicting claims (both ways), as ``kg stats`` lists them."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in run_query(store, packaged_query("conflicts")):  # type: ignore[attr-defined]
        claim, other, why = (_v(row[name]) for name in ("claim", "other", "why"))
        found[claim].append((other, why))
        found[other].append((claim, why))
    return dict(found)


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


def build_site(
    release: Path,
    out: Path,
    *,
    public_host: str = "https://example.org",
    sparql_endpoint: str | None = None,
    force: bool = False,
    pictures: bool = True,
) -> tuple[int, str | None]:
    """Write the site of the release in ``release`` (its graph.nq) into ``out``, with the
    nginx.conf and the w3id.org .htaccess that serve it (see :mod:`kg.web.deploy`); returns the
    number of pages and the release's licence. The site is staged beside ``out`` and swapped
    in whole, as a release is (:func:`kg.runtime.publish.write_release`).

    With ``pictures``, each claim and entity page shows a diagram and the index charts
    (:mod:`kg.web.pictures`, drawn by Graphviz's ``dot``).

    :raises OutputError: ``out`` holds other files than a site's, or cannot be written
    :raises GraphvizError: ``pictures`` and Graphviz's ``dot`` is missing or fails
    """
    if pictures:
        require_dot()  # before the work: a missing dot is said at once
    store = ox.Store()
    store.bulk_load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    site = read_site(store)
    drawn = site_pictures(store, site.labels, site.converter) if pictures else Pictures()
    files: dict[str, bytes] = {}
    prefixes = namespaces(site.converter)
    for page in site.pages.values():
        files[page.path + ".ttl"] = write_turtle(page.triples, prefixes)
        files[page.path + ".nt"] = _ntriples(page.triples)
        files[page.path + ".jsonld"] = _jsonld(page.triples)
        files[page.path + ".rdf"] = _rdfxml(page.triples, prefixes)
        picture = drawn.pages.get(page.iri)
        files[page.path + ".html"] = _page_html(site, page, picture).encode("utf-8")
    files["index.html"] = _index_html(site, sparql_endpoint, drawn.charts).encode("utf-8")
    files["404.html"] = _not_found_html(site).encode("utf-8")
    files["style.css"] = _STYLE.encode("utf-8")
    version = _release_version(store)
    if version:  # the release's files, where void.ttl's dcat:downloadURL says they are
        for name in RELEASE_FILES:  # its own files only, never a link to somewhere else
            path = release / name
            if path.is_file() and not path.is_symlink():
                files[f"download/{version}/{name}"] = path.read_bytes()
    root = out.resolve()
    files["nginx.conf"] = nginx_conf(
        root, 8080, license_of(store), prefix=root.parent / f".{root.name}-nginx"
    ).encode("utf-8")
    files[".htaccess"] = htaccess(public_host.rstrip("/")).encode("utf-8")
    write_release(files, out, force=force)
    return len(site.pages), license_of(store)


def _release_version(store: ox.Store) -> str | None:
    """The version of the release in ``store`` (pav:version of its dcat:Dataset)."""
    found = run_query(
        store,
        "SELECT ?v WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
        "<http://purl.org/pav/version> ?v } ORDER BY ?v LIMIT 1",
    )
    for row in found:  # type: ignore[attr-defined]
        value = str(row[0].value)
        return value if VERSION.fullmatch(value) else None
    return None


def license_of(store: ox.Store) -> str | None:
    """The licence of the release in ``store`` (its dct:license)."""
    for quad in store.quads_for_pattern(
        None, ox.NamedNode("http://purl.org/dc/terms/license"), None
    ):
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
    names = {
        name: iri
        for name, iri in prefixes.items()
        if _XML_NAME.fullmatch(name) and any(term.startswith(iri) for term in named)
    }
    written = ox.serialize(ordered, format=ox.RdfFormat.RDF_XML, prefixes=names)
    assert written is not None
    return written if written.endswith(b"\n") else written + b"\n"


_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*", re.ASCII)


# -- HTML ------------------------------------------------------------------------------------

_STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#1a1a1a;background:#fff}a{color:#0b57a4}table{border-collapse:collapse;
width:100%}th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;
vertical-align:top}mark{background:#ffe066;color:#1a1a1a}.status{font-weight:bold}
.negated{color:#a40000}.hypothesis{color:#6b4e00}code{word-break:break-all}
blockquote{border-left:4px solid #ccc;margin:0;padding:0 1rem;white-space:pre-wrap}
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
    layout = {"up": "../" * depth, "site_name": site.name, "alternates": (), "schema_org": ""}
    return _templates().get_template(template).render(**{**layout, **values})


def _depth(path: str) -> int:
    return path.count("/")


def _link(site: Site, iri: str, depth: int) -> Cell:
    """A link to the page of ``iri`` (its label as text), or the IRI itself as code."""
    label = site.labels.get(iri) or site.converter.compress(iri) or iri
    page = site.page_of(iri)
    if page is None:
        return Cell(label, code=True)
    anchor = "#" + iri.split("#", 1)[1] if "#" in iri and page.iri != iri else ""
    return Cell(label, href="../" * depth + page.path + ".html" + anchor)


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
    claims_about, xrefs = _entity(site, page, depth) if outside else ((), ())
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
        formats=[
            (f"{name}.{f.extension}", f.media_type, f.label)
            for f in FORMATS
            if f.extension != "html"
        ],
        claim=_claim(site, page, depth) if _KGO + "Claim" in types else None,
        ontology=_ontology(site, page, depth) if page.iri == _ONTOLOGY else (),
        # only a web address is a link out: a javascript: or data: IRI is shown, never followed
        authority=page.iri if outside and re.match(r"https?://", page.iri) else None,
        claims_about=claims_about,
        xrefs=xrefs,
        triples=_triples(site, page, depth),
        picture=picture,
    )


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
            documented.append(
                {"name": name, "label": site.labels.get(term, name), "fields": fields}
            )
        found.append((title, documented))
    return found


def _status(site: Site, status: str) -> tuple[str, str]:
    """The status of a claim in words, and a CSS class."""
    word = site.labels.get(status, status.rsplit("#", 1)[-1]).lower()
    return word, re.sub(r"[^a-z]", "", word.split()[0]) if word else ""


def _claim(site: Site, page: Page, depth: int) -> dict[str, object]:
    """A claim's summary (its reading, parts, status and every qualifier) and its source's
    text with the quote highlighted at its offsets."""
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
        {_v(t.predicate) for t in page.triples if _v(t.subject) == iri} - CLAIM_PROPERTIES
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
    return {"rows": rows, "negated": word == "negated", "source": _source(site, page, depth)}


def _source(site: Site, page: Page, depth: int) -> dict[str, object] | None:
    evidence = page.iri + "/evidence"
    text_iri = _value(page, evidence, _OA + "hasSource")
    start = _value(page, evidence + "/position", _OA + "start")
    end = _value(page, evidence + "/position", _OA + "end")
    text_page = site.page_of(text_iri) if text_iri else None
    text = _value(text_page, text_iri, _RDF + "value") if text_page else ""
    if not (text and text_page and start.isdigit() and end.isdigit()):
        return None
    s, e = int(start), int(end)
    article = _value(text_page, text_iri, "http://purl.org/dc/terms/source")
    return {
        "article": _link(site, article, depth) if article else None,
        "before": text[:s],
        "quote": text[s:e],
        "after": text[e:],
    }


def _entity(
    site: Site, page: Page, depth: int
) -> tuple[list[tuple[str, list[Cell]]], list[tuple[str, Cell, str, str]]]:
    """Claims about an outside resource, grouped by status, and its cross-references."""
    store = site.store
    groups: dict[str, set[Cell]] = defaultdict(set)
    for role in ("subject", "object"):
        for quad in store.quads_for_pattern(
            None, ox.NamedNode(_BIOLINK + role), ox.NamedNode(page.iri)
        ):
            status = next(
                store.quads_for_pattern(quad.subject, ox.NamedNode(_KGO + "epistemicStatus"), None),
                None,
            )
            word = _status(site, _v(status.object))[0] if status else "unknown"
            groups[word].add(_link(site, _v(quad.subject), depth))
    claims = [
        (word, sorted(groups[word], key=lambda c: (c.text, c.href or "")))
        for word in sorted(groups)
    ]
    rows = []
    for quad in store.quads_for_pattern(
        None, ox.NamedNode(_OWL + "annotatedSource"), ox.NamedNode(page.iri)
    ):
        record = quad.subject

        def one(p: str, record: ox.NamedNode | ox.BlankNode | ox.Triple = record) -> str:
            found = next(store.quads_for_pattern(record, ox.NamedNode(p), None), None)
            return _v(found.object) if found else ""

        rows.append(
            (
                one(_OWL + "annotatedProperty").rsplit("#", 1)[-1],
                _link(site, one(_OWL + "annotatedTarget"), depth),
                one("https://w3id.org/sssom/confidence") or "1 (checked)",
                one(_RDFS + "comment"),
            )
        )
    return claims, sorted(rows, key=lambda r: (r[0], r[1].text, r[2], r[3]))


def _triples(site: Site, page: Page, depth: int) -> list[tuple[str, Cell, str, Cell]]:
    rows = []
    anchored: set[str] = set()
    for t in sorted(page.triples, key=_order):
        subject = _v(t.subject)
        anchor = ""
        if (
            "#" in subject
            and subject != page.iri
            and subject not in anchored
            and page.iri != _ONTOLOGY
        ):
            anchored.add(subject)
            anchor = subject.split("#", 1)[1]
        about = Cell("this") if subject == page.iri else _term(site, t.subject, depth)
        prop = site.converter.compress(_v(t.predicate)) or _v(t.predicate)
        rows.append((anchor, about, prop, _term(site, t.object, depth)))
    return rows


def _schema_org(site: Site, page: Page, types: set[str]) -> str:
    """The page's schema.org JSON-LD, with every ``<``, ``>`` and ``&`` escaped as JSON's
    ``\\u003c``, ``\\u003e``, ``\\u0026``: a label cannot close its script (``</script>``)
    nor turn the rest of the page into script data (``<!--<script>``).

    >>> _escape_script('{"name": "a <!--<script></script> & b"}')
    '{"name": "a \\\\u003c!--\\\\u003cscript\\\\u003e\\\\u003c/script\\\\u003e \\\\u0026 b"}'
    """
    kinds = sorted({_SCHEMA_TYPES[t] for t in types if t in _SCHEMA_TYPES})
    if not kinds:
        return ""
    data = {
        "@context": {"@vocab": "https://schema.org/"},
        "@id": page.iri,
        "@type": kinds[0] if len(kinds) == 1 else kinds,
        "name": site.labels.get(page.iri, page.iri),
        "url": page.iri,
    }
    return _escape_script(json.dumps(data, ensure_ascii=False, sort_keys=True))


def _escape_script(text: str) -> str:
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _index_html(site: Site, sparql_endpoint: str | None, charts: list[Picture]) -> str:
    store = site.store
    rows = []
    for quad in store.quads_for_pattern(
        None, ox.NamedNode(_RDF + "type"), ox.NamedNode(_KGO + "Claim")
    ):
        page = site.page_of(_v(quad.subject))
        if page is None:
            continue
        word, css = _status(site, _value(page, page.iri, _KGO + "epistemicStatus"))
        rows.append(
            [
                _link(site, page.iri, 0),
                *(
                    _link(site, _value(page, page.iri, _BIOLINK + role), 0)
                    for role in ("subject", "predicate", "object")
                ),
                Cell(word, css=css),
            ]
        )
    releases = sorted(p for p in site.pages if p.startswith(ROOT + "release/"))
    return _render(
        "index.html",
        site,
        0,
        title=site.name,
        description=site.description,
        releases=[_link(site, iri, 0) for iri in releases],
        endpoint=sparql_endpoint,
        claims=sorted(rows, key=lambda r: [(c.text, c.href or "") for c in r]),
        charts=charts,
    )


def _not_found_html(site: Site) -> str:
    return _render("404.html", site, 0, title="Not found")
