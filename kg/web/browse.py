"""The site's front door and browse pages: an index that stays small however many claims there
are.

``index.html`` is a short home page (what the dataset is, its counts, the downloads, the SPARQL
endpoint); every claim is reached from it through browse pages, each of at most ``page_size``
rows: all claims (by label, or newest source first), and one facet each by source, entity,
status and predicate: a listing of the facet's values with their number of claims, and for each
value its claims. Every browse page links the previous and next page and says which rows it
shows ("Claims 101-200 of 11230"); an inline script sorts the page's table by a column when a
header is pressed, and the page is usable and ordered without it. Paths are relative, and
everything is sorted, so the site works from any folder and a rebuild writes the same bytes.

The pages of one listing are ``browse/<listing>/<n>.html``, numbered from 1.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import pyoxigraph as ox

from kg.namespaces import BIOLINK
from kg.rdf.lines import term_value as _v
from kg.web.markup import dataset_markup, script_text
from kg.web.pictures import Picture
from kg.web.site import (
    _KGO,
    _ONTOLOGY,
    _RDF,
    _RELEASE,
    Cell,
    Site,
    _dataset_of,
    _link,
    _render,
    _status,
    doc_path,
)

__all__ = ["PAGE_SIZE", "ClaimRow", "browse_files", "claim_rows", "pages_of"]

PAGE_SIZE = 100  # rows a browse page shows: about 70 KB of HTML for a page of claims
_DATE = "https://schema.org/datePublished"
_BIOLINK = str(BIOLINK)


@dataclass(frozen=True)
class ClaimRow:
    """What a browse page shows of one claim: IRIs, and its source's date of publication."""

    iri: str
    subject: str
    predicate: str
    object: str
    status: str
    sources: tuple[str, ...]
    date: str


@dataclass(frozen=True)
class Facet:
    """One way to group the claims: its listing's folder, its values' folder, its heading,
    the heading of one value's claims, the values of a claim (a claim may have several: its
    subject and its object) and a value in words."""

    name: str
    folder: str
    title: str
    phrase: str
    values: Callable[[ClaimRow], Iterable[str]]
    label: Callable[[Site, str], str]


def _label(site: Site, iri: str) -> str:
    return site.labels.get(iri) or site.converter.compress(iri) or iri


def _status_word(site: Site, iri: str) -> str:
    """A status as the claim pages say it."""
    return _status(site, iri)[0]


FACETS = (
    Facet("sources", "source", "Claims by source", "Claims from", lambda c: c.sources, _label),
    Facet(
        "entities",
        "entity",
        "Claims by entity",
        "Claims about",
        lambda c: sorted({c.subject, c.object} - {""}),
        _label,
    ),
    Facet(
        "statuses",
        "status",
        "Claims by status",
        "Claims whose status is",
        lambda c: [c.status] if c.status else [],
        _status_word,
    ),
    Facet(
        "predicates",
        "predicate",
        "Claims by predicate",
        "Claims whose predicate is",
        lambda c: [c.predicate] if c.predicate else [],
        _label,
    ),
)


def entity_listings(site: Site, claims: Sequence[ClaimRow]) -> dict[str, str]:
    """Where the claims about each entity are listed in full: the first browse page of the
    entity facet's listing of it (``browse/entity/<slug>/1.html``), by the entity's IRI
    (``claims``: :func:`claim_rows`)."""
    entities = FACETS[1]
    values = {value for row in claims for value in entities.values(row)}
    slugs = _slugs(site, values)
    return {value: f"browse/{entities.folder}/{slug}/1.html" for value, slug in slugs.items()}


def pages_of(rows: int, page_size: int) -> int:
    """How many pages a listing of ``rows`` rows takes (one, even when empty).

    >>> pages_of(0, 100), pages_of(100, 100), pages_of(101, 100)
    (1, 1, 2)
    """
    return max(1, math.ceil(rows / page_size))


def claim_rows(store: ox.Store) -> list[ClaimRow]:
    """Every claim of the release, with its parts, status, sources and their latest date."""
    dates: dict[str, str] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(_DATE), None):
        key = _v(quad.subject)
        dates[key] = max(dates.get(key, ""), _v(quad.object))

    def values(claim: ox.NamedNode, predicate: str) -> list[str]:
        found = store.quads_for_pattern(claim, ox.NamedNode(predicate), None)
        return sorted({_v(q.object) for q in found})

    def one(claim: ox.NamedNode, predicate: str) -> str:
        found = values(claim, predicate)
        return found[0] if found else ""

    rows = []
    claims = {
        q.subject
        for q in store.quads_for_pattern(
            None, ox.NamedNode(_RDF + "type"), ox.NamedNode(_KGO + "Claim")
        )
        if isinstance(q.subject, ox.NamedNode)
    }
    for claim in claims:
        sources = tuple(values(claim, _BIOLINK + "publications"))
        rows.append(
            ClaimRow(
                claim.value,
                one(claim, _BIOLINK + "subject"),
                one(claim, _BIOLINK + "predicate"),
                one(claim, _BIOLINK + "object"),
                one(claim, _KGO + "epistemicStatus"),
                sources,
                max((dates.get(s, "") for s in sources), default=""),
            )
        )
    return sorted(rows, key=lambda r: r.iri)


def browse_files(
    site: Site,
    *,
    page_size: int = PAGE_SIZE,
    endpoint: str | None = None,
    downloads: Sequence[str] = (),
    charts: Sequence[Picture] = (),
    claims: Sequence[ClaimRow] | None = None,
) -> dict[str, bytes]:
    """The home page (``index.html``) and every browse page of ``site``, by path.

    :param page_size: the most rows a browse page shows
    :param endpoint: the SPARQL endpoint's address, linked from the home page
    :param downloads: the paths of the release's files in the site
    :param charts: the home page's charts of the claims (:mod:`kg.web.pictures`)
    :param claims: the release's claims (:func:`claim_rows`), when the caller has them
    """
    if page_size < 1:
        raise ValueError(f"a browse page shows at least one row, not {page_size}")
    claims = claim_rows(site.store) if claims is None else claims
    by_label = sorted(claims, key=lambda r: (_label(site, r.iri).casefold(), r.iri))
    by_date = sorted(by_label, key=lambda r: r.date, reverse=True)  # stable: then by label
    files: dict[str, bytes] = {}
    cells = _Cells(site)
    files |= _claim_pages(cells, "claims/by-label", "All claims, by label", by_label, page_size)
    files |= _claim_pages(
        cells, "claims/by-date", "All claims, newest source first", by_date, page_size
    )
    facets = []
    for facet in FACETS:
        grouped: dict[str, list[ClaimRow]] = defaultdict(list)
        for row in by_label:
            for value in facet.values(row):
                grouped[value].append(row)
        slugs = _slugs(site, grouped)
        ordered = sorted(grouped, key=lambda v: (facet.label(site, v).casefold(), v))
        for value in ordered:
            title = f"{facet.phrase} {facet.label(site, value)}"
            listing = f"{facet.folder}/{slugs[value]}"
            files |= _claim_pages(cells, listing, title, grouped[value], page_size, about=value)
        rows = [(value, f"{facet.folder}/{slugs[value]}", len(grouped[value])) for value in ordered]
        files |= _value_pages(cells, facet, rows, page_size)
        facets.append((facet, len(ordered)))
    home = _home(site, claims, facets, endpoint, downloads, charts)
    files["index.html"] = home.encode("utf-8")
    return files


class _Cells:
    """The cells of the values a browse page shows, each value's label and page looked up once
    (a value is on many pages, at several depths)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._links: dict[str, Cell] = {}
        self._identifiers: dict[str, Cell] = {}

    def link(self, iri: str, depth: int) -> Cell:
        """A link to the page of ``iri`` from a page ``depth`` folders down (see ``_link``)."""
        found = self._links.get(iri)
        if found is None:
            found = self._links[iri] = _link(self.site, iri, 0)
        return found if found.href is None else replace(found, href="../" * depth + found.href)

    def identifier(self, iri: str, depth: int) -> Cell:
        """A value by its short identifier, a link to its page when it has one."""
        found = self._identifiers.get(iri)
        if found is None:
            link = self.link(iri, 0)
            text = self.site.converter.compress(iri) or iri
            found = self._identifiers[iri] = Cell(text, link.href, code=link.href is None)
        return found if found.href is None else replace(found, href="../" * depth + found.href)


def _slugs(site: Site, values: Iterable[str]) -> dict[str, str]:
    """A folder name for each value, unique among them: its document's path (a term of the
    ontology: its name), with ``-2``, ``-3`` … after a name already taken.

    >>> from kg.web.site import index_site, open_site
    >>> site = open_site(ox.Store(), index_site(ox.Store()))
    >>> found = _slugs(site, [_KGO + "Asserted", "http://x.org/a-b", "http://x.org/a#b"])
    >>> [found[_KGO + "Asserted"], found["http://x.org/a#b"], found["http://x.org/a-b"]]
    ['Asserted', 'external/x.org-a-b', 'external/x.org-a-b-2']
    """
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for value in sorted(values):
        if value.startswith(_ONTOLOGY + "#"):
            base = re.sub(r"[^A-Za-z0-9._-]", "-", value.split("#", 1)[1]) or "term"
        else:
            base = doc_path(value, site.converter).removeprefix("doc/")
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs[value] = slug
    return slugs


def _chunks(rows: Sequence[object], page_size: int) -> Iterator[tuple[int, int, int]]:
    """Each page's number (from 1), and the first and last row it shows (from 1; 0, 0 when
    there is no row)."""
    for n in range(pages_of(len(rows), page_size)):
        first = n * page_size
        yield n + 1, min(first + 1, len(rows)), min(first + page_size, len(rows))


def _pager(number: int, pages: int, shown: str) -> dict[str, object]:
    """The links of a page to its neighbours (relative to its own folder), and its position."""
    return {
        "first": "1.html" if number > 1 else None,
        "previous": f"{number - 1}.html" if number > 1 else None,
        "next": f"{number + 1}.html" if number < pages else None,
        "last": f"{pages}.html" if number < pages else None,
        "shown": shown,
        "number": number,
        "pages": pages,
    }


def _claim_pages(
    cells: _Cells,
    listing: str,
    title: str,
    rows: Sequence[ClaimRow],
    page_size: int,
    *,
    about: str | None = None,
) -> dict[str, bytes]:
    files = {}
    for number, first, last in _chunks(rows, page_size):
        path = f"browse/{listing}/{number}.html"
        depth = path.count("/")
        shown = f"Claims {first}\N{EN DASH}{last} of {len(rows)}"
        pager = _pager(number, pages_of(len(rows), page_size), shown)
        html = _render(
            "browse.html",
            cells.site,
            depth,
            title=f"{title} ({number} of {pager['pages']})" if number > 1 else title,
            heading=title,
            about=cells.identifier(about, depth) if about else None,
            pager=pager,
            columns=("claim", "subject", "predicate", "object", "status", "source", "date"),
            rows=[_claim_cells(cells, row, depth) for row in rows[first - 1 : last] if first],
        )
        files[path] = html.encode("utf-8")
    return files


def _claim_cells(cells: _Cells, row: ClaimRow, depth: int) -> list[Cell]:
    word, css = _status(cells.site, row.status)
    parts = (row.subject, row.predicate, row.object)
    return [
        cells.link(row.iri, depth),
        *(cells.link(iri, depth) if iri else Cell("") for iri in parts),
        Cell(word, css=css),
        # its first source by its identifier: an article's title is long, and may be another's
        cells.identifier(row.sources[0], depth) if row.sources else Cell(""),
        Cell(row.date),
    ]


def _value_pages(
    cells: _Cells, facet: Facet, rows: Sequence[tuple[str, str, int]], page_size: int
) -> dict[str, bytes]:
    files = {}
    for number, first, last in _chunks(rows, page_size):
        path = f"browse/{facet.name}/{number}.html"
        depth = path.count("/")
        pages = pages_of(len(rows), page_size)
        pager = _pager(
            number, pages, f"{facet.folder.title()} {first}\N{EN DASH}{last} of {len(rows)}"
        )
        shown = [
            [
                Cell(facet.label(cells.site, value), href=f"../{listing}/1.html"),
                cells.identifier(value, depth),
                Cell(str(count)),
            ]
            for value, listing, count in rows[first - 1 : last]
            if first
        ]
        html = _render(
            "browse.html",
            cells.site,
            depth,
            title=facet.title + (f" ({number} of {pages})" if number > 1 else ""),
            heading=facet.title,
            about=None,
            pager=pager,
            columns=(facet.folder, "identifier", "claims"),
            rows=shown,
        )
        files[path] = html.encode("utf-8")
    return files


def _home(
    site: Site,
    claims: Sequence[ClaimRow],
    facets: Sequence[tuple[Facet, int]],
    endpoint: str | None,
    downloads: Sequence[str],
    charts: Sequence[Picture],
) -> str:
    statuses: dict[str, int] = defaultdict(int)
    for row in claims:
        if row.status:
            statuses[row.status] += 1
    slugs = _slugs(site, statuses)
    by_status = [  # the same folders as the status facet's
        (Cell(_status_word(site, s), href=f"browse/status/{slugs[s]}/1.html"), statuses[s])
        for s in sorted(statuses, key=lambda s: (_status_word(site, s).casefold(), s))
    ]
    releases = [  # the versions, not their records (release/<version>/build ...)
        p for p in site.pages.index.pages_under(_RELEASE) if "/" not in p[len(_RELEASE) :]
    ]
    dataset = _dataset_of(site)
    return _render(
        "index.html",
        site,
        0,
        title=site.name,
        description=site.description,
        claims=len(claims),
        by_status=by_status,
        facets=[
            (f"browse/{f.name}/1.html", f.title, n, f.folder if n == 1 else f.name)
            for f, n in facets
        ],
        releases=[_link(site, iri, 0) for iri in releases],
        release_files=[(path, path.rsplit("/", 1)[-1]) for path in sorted(downloads)],
        endpoint=endpoint,
        charts=charts,
        schema_org=script_text(dataset_markup(site.store, dataset, site.downloads))
        if dataset
        else "",
    )
