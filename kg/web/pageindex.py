"""Which pages a release's site has, and what each holds, looked up one page at a time.

The site (:mod:`kg.web.site`) has a page for every IRI the release mints (a subject, an object
or a graph's name under the site's root; a ``#`` IRI on the page of the IRI before its ``#``)
and for every outside resource it describes (a subject; a ``#`` IRI on the page of the IRI
before its ``#`` when that one is a subject too). A page holds the triples of its resource and
of every node minted under its IRI by path, and the triples that point to its resource
(:func:`page_triples`).

Deciding which pages exist needs one pass over the release; what a page holds does not: given
the sorted subjects and the objects with a ``#`` (to find the nodes under an IRI by prefix),
the pages and the terms only the ontology's graph describes, each page is read from the store's
own indexes. :func:`make_index` makes that pass and writes those tables into SQLite (in memory
for ``kg site``, a file kept beside the store for ``kg serve``, :mod:`kg.web.kept`), together
with what the pages need from the whole release: each claim's conflicts, each entity's browse
listing and each claim's nanopublication. :class:`PageIndex` reads them; ``kg serve`` renders a
page when it is asked for, so that its start does not grow with the corpus.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from kg.namespaces import RDF, RDFS, ROOT
from kg.rdf.lines import term_value as _v
from kg.rdf.mint import ONTOLOGY_GRAPH

__all__ = [
    "Indexing",
    "Labels",
    "Lookup",
    "Page",
    "PageIndex",
    "Pages",
    "holders",
    "make_index",
    "page_triples",
]

V = TypeVar("V")

_DOWNLOAD = ROOT + "download/"
_TYPE = ox.NamedNode(str(RDF.type))
_LABEL = ox.NamedNode(str(RDFS.label))
_ONTOLOGY_GRAPH = f"<{ONTOLOGY_GRAPH}>"
_RELEASE_VERSION = re.compile(r"release/[^/]+")
_BATCH = 10_000  # rows written at once while the index is made
#: The index's tables. ``subject``: every IRI that is a subject, and whether only the
#: ontology's graph describes it; ``hashed``: every IRI object with a ``#``; ``page``: each
#: page's resource and document path.
_SCHEMA = """
CREATE TABLE subject (iri TEXT PRIMARY KEY, ontology_only INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE minted (iri TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE hashed (iri TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE page (iri TEXT PRIMARY KEY, path TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX page_path ON page (path);
CREATE TABLE conflict (claim TEXT NOT NULL, other TEXT NOT NULL, why TEXT NOT NULL);
CREATE INDEX conflict_claim ON conflict (claim);
CREATE TABLE listing (iri TEXT PRIMARY KEY, path TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE nanopub (claim TEXT PRIMARY KEY, uri TEXT NOT NULL, path TEXT NOT NULL)
  WITHOUT ROWID;
"""


@dataclass
class Page:
    """One page: its resource, the document path it is written to, and its triples."""

    iri: str
    path: str
    triples: list[ox.Triple] = field(default_factory=list)
    inbound: list[ox.Triple] = field(default_factory=list)  # what points to it


def make_index(
    quads: Iterable[ox.Quad], path_of: Callable[[str], str], target: str | Path = ":memory:"
) -> PageIndex:
    """Index the pages of a release (every quad of its store, ``quads``: the store itself, or
    the quads as they are loaded into it, :class:`Indexing`) into the SQLite database
    ``target`` (made new), each page's document path by ``path_of`` (which raises on an IRI
    that may not be a file name). One pass; then each page is found by its IRI or its path."""
    indexing = Indexing(target)
    for quad in quads:
        indexing.add(quad)
    return indexing.finish(path_of)


class Indexing:
    """The pages' index being made (:func:`make_index`), given each quad of the release as it
    is loaded into its store (:meth:`add`; a quad given twice counts once), then finished
    (:meth:`finish`): a store on disk is read back ten times slower than one in memory."""

    def __init__(self, target: str | Path = ":memory:") -> None:
        self._db = sqlite3.connect(str(target), check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._subjects: dict[str, bool] = {}
        self._minted: list[tuple[str]] = []
        self._hashed: list[tuple[str]] = []

    def add(self, quad: ox.Quad) -> None:
        """Index one quad of the release."""
        if isinstance(quad.subject, ox.NamedNode):
            iri = quad.subject.value
            ontology = str(quad.graph_name) == _ONTOLOGY_GRAPH
            self._subjects[iri] = self._subjects.get(iri, True) and ontology
        for term in (quad.subject, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode):
                value = term.value
                if value.startswith(ROOT) and not value.startswith(_DOWNLOAD):
                    self._minted.append((value.split("#", 1)[0],))  # a file is served as it is
        if isinstance(quad.object, ox.NamedNode) and "#" in quad.object.value:
            self._hashed.append((quad.object.value,))
        if len(self._subjects) + len(self._minted) + len(self._hashed) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        db = self._db
        db.executemany(
            "INSERT INTO subject VALUES (?, ?) ON CONFLICT (iri) DO UPDATE "
            "SET ontology_only = ontology_only AND excluded.ontology_only",
            self._subjects.items(),
        )
        db.executemany("INSERT OR IGNORE INTO minted VALUES (?)", self._minted)
        db.executemany("INSERT OR IGNORE INTO hashed VALUES (?)", self._hashed)
        self._subjects.clear()
        self._minted.clear()
        self._hashed.clear()

    def finish(self, path_of: Callable[[str], str]) -> PageIndex:
        """The index, each page's document path by ``path_of``."""
        self._flush()
        db = self._db
        # an outside # IRI is on its document's page when that one is described too
        outside = (
            base if base != iri and _has(db, "subject", base) else iri
            for (iri,) in db.execute(  # not LIKE: it ignores case
                "SELECT iri FROM subject WHERE substr(iri, 1, ?) != ?", (len(ROOT), ROOT)
            )
            for base in [iri.split("#", 1)[0]]
        )
        pages = sorted({*(iri for (iri,) in db.execute("SELECT iri FROM minted")), *outside})
        for start in range(0, len(pages), _BATCH):
            rows = [(iri, path_of(iri)) for iri in pages[start : start + _BATCH]]
            db.executemany("INSERT INTO page VALUES (?, ?)", rows)
        db.commit()
        return PageIndex(db)


def _has(db: sqlite3.Connection, table: str, iri: str) -> bool:
    return db.execute(f"SELECT 1 FROM {table} WHERE iri = ?", (iri,)).fetchone() is not None


class PageIndex:
    """The pages of a release and what they need from all of it (:func:`make_index`), read
    from a SQLite database that several threads may share."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._paths: dict[str, str | None] = {}  # a page links the terms the next one does

    @classmethod
    def open(cls, path: Path) -> PageIndex:
        """The index kept in the file ``path``, read-only."""
        uri = f"{path.resolve().as_uri()}?mode=ro"
        return cls(sqlite3.connect(uri, uri=True, check_same_thread=False))

    def _rows(self, query: str, *values: object) -> list[tuple[str, ...]]:
        with self._lock:
            return self._db.execute(query, values).fetchall()

    def path(self, iri: str) -> str | None:
        """The document path of the page of ``iri``, if it has one."""
        return _remembered(self._paths, iri, self._path)

    def _path(self, iri: str) -> str | None:
        found = self._rows("SELECT path FROM page WHERE iri = ?", iri)
        return found[0][0] if found else None

    def iri_of(self, path: str) -> str | None:
        """The resource whose document is ``path`` (of two with the same path, the one whose
        files a whole site holds: the last in the order of their IRIs)."""
        found = self._rows("SELECT max(iri) FROM page WHERE path = ?", path)
        return found[0][0] if found else None

    def iris(self) -> Iterator[str]:
        """Every page's resource, in order."""
        yield from (iri for (iri,) in self._rows("SELECT iri FROM page ORDER BY iri"))

    def count(self) -> int:
        return int(self._rows("SELECT count(*) FROM page")[0][0])

    def vocabulary(self, iri: str) -> bool:
        """Whether only the ontology's graph describes ``iri``."""
        return bool(self._rows("SELECT 1 FROM subject WHERE iri = ? AND ontology_only", iri))

    def subjects_under(self, prefix: str) -> list[str]:
        """The subjects whose IRI starts with ``prefix`` (``/`` or ``#`` last)."""
        return self._under("subject", prefix)

    def hashed_under(self, prefix: str) -> list[str]:
        """The IRI objects with a ``#`` that start with ``prefix`` (``#`` last)."""
        return self._under("hashed", prefix)

    def pages_under(self, prefix: str) -> list[str]:
        """The resources of the pages whose IRI starts with ``prefix``, in order."""
        return self._under("page", prefix)

    def _under(self, table: str, prefix: str) -> list[str]:
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # the least text past the prefix's
        query = f"SELECT iri FROM {table} WHERE iri >= ? AND iri < ? ORDER BY iri"
        return [iri for (iri,) in self._rows(query, prefix, after)]

    def is_subject(self, iri: str) -> bool:
        return bool(self._rows("SELECT 1 FROM subject WHERE iri = ?", iri))

    # what the pages need from all of the release, recorded once

    def add_conflicts(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Record pairs of conflicting claims (each pair once, both ways)."""
        both = [
            (a, b, why) for claim, other, why in rows for a, b in ((claim, other), (other, claim))
        ]
        self._write("INSERT INTO conflict VALUES (?, ?, ?)", both)

    def conflicts(self, claim: str) -> list[tuple[str, str]]:
        """The claims ``claim`` conflicts with, and why."""
        return [
            (o, w) for o, w in self._rows("SELECT other, why FROM conflict WHERE claim = ?", claim)
        ]

    def add_listings(self, found: Mapping[str, str]) -> None:
        self._write("INSERT INTO listing VALUES (?, ?)", sorted(found.items()))

    def listing(self, iri: str) -> str | None:
        found = self._rows("SELECT path FROM listing WHERE iri = ?", iri)
        return found[0][0] if found else None

    def add_nanopubs(self, found: Iterable[tuple[str, str, str]]) -> None:
        self._write("INSERT INTO nanopub VALUES (?, ?, ?)", sorted(found))

    def nanopub(self, claim: str) -> tuple[str, str] | None:
        found = self._rows("SELECT uri, path FROM nanopub WHERE claim = ?", claim)
        return (found[0][0], found[0][1]) if found else None

    def _write(self, statement: str, rows: Sequence[tuple[str, ...]]) -> None:
        with self._lock:
            self._db.executemany(statement, rows)
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Pages(Mapping[str, Page]):
    """The pages of a site by resource IRI, each read from ``store`` when it is asked for."""

    def __init__(self, index: PageIndex, store: ox.Store) -> None:
        self.index = index
        self.store = store

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and self.index.path(iri) is not None

    def __getitem__(self, iri: str) -> Page:
        path = self.index.path(iri)
        if path is None:
            raise KeyError(iri)
        return _page(self, iri, path)

    def __iter__(self) -> Iterator[str]:
        return self.index.iris()

    def __len__(self) -> int:
        return self.index.count()


def holders(iri: str, pages: Mapping[str, object]) -> list[str]:
    """The pages that hold the triples of ``iri``: its own, and those of the IRIs it is
    minted under (path ancestors with a page), shortest last; but a release's: its build and
    input records and its distributions are resources of their own, which it links to.

    >>> pages = {ROOT + p: None for p in ("id/c", "id/c/e", "release/1")}
    >>> [h[len(ROOT):] for h in holders(ROOT + "id/c/e/quote", pages)]
    ['id/c/e', 'id/c']
    >>> [h[len(ROOT):] for h in holders(ROOT + "release/1/build", pages)], holders("x:y", pages)
    ([], [])
    >>> holders("x:y#z", {"x:y": None}), holders("x:y#z", {"x:y#z": None})
    (['x:y'], ['x:y#z'])
    """
    own = iri.split("#", 1)[0]
    if not iri.startswith(ROOT):
        own = own if own in pages else iri
        return [own] if own in pages else []
    found = [own] if own in pages else []
    cut = own.rfind("/")
    while cut > len(ROOT):
        ancestor = own[:cut]
        if ancestor in pages and not _RELEASE_VERSION.fullmatch(ancestor[len(ROOT) :]):
            found.append(ancestor)
        cut = own.rfind("/", 0, cut)
    return found


def _page(pages: Pages, iri: str, path: str) -> Page:
    page = Page(iri, path)
    page.triples, page.inbound = page_triples(pages, iri)
    return page


def page_triples(pages: Pages, iri: str) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """What the page of ``iri`` holds: the triples of its resource and of every node minted
    under it (the subjects it holds, :func:`holders`), and those that point to it but for
    ``rdf:type`` (a class's instances) and those pointing to a term only the ontology's graph
    describes (a term's document would grow with every claim); each once, sorted."""
    index, store = pages.index, pages.store
    held = [iri] if index.is_subject(iri) else []
    if "#" not in iri:
        held += index.subjects_under(iri + "#")
        if iri.startswith(ROOT) and not _RELEASE_VERSION.fullmatch(iri[len(ROOT) :]):
            held += index.subjects_under(iri + "/")
    triples = _distinct(
        ox.Triple(q.subject, q.predicate, q.object)
        for subject in held
        if iri in holders(subject, pages)
        for q in store.quads_for_pattern(ox.NamedNode(subject), None, None)
    )
    targets = [iri, *(index.hashed_under(iri + "#") if "#" not in iri else ())]
    inbound = _distinct(
        ox.Triple(q.subject, q.predicate, q.object)
        for target in targets
        if _target(target, pages) == iri and not index.vocabulary(target)
        for q in store.quads_for_pattern(None, None, ox.NamedNode(target))
        if isinstance(q.subject, ox.NamedNode)
        and q.predicate != _TYPE
        and iri not in holders(q.subject.value, pages)
    )
    return triples, inbound


def _target(iri: str, pages: Mapping[str, object]) -> str:
    """The page an IRI object points to: its own, or its document's for a ``#`` IRI."""
    base = iri.split("#", 1)[0]
    return base if base in pages else iri


def _distinct(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    return sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


class Labels(Mapping[str, str]):
    """The ``rdfs:label`` of each IRI subject of ``store`` (when it has several, the first in
    the store's order), read when it is asked for and remembered (a bounded number)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._known: dict[str, str | None] = {}

    def _label(self, iri: str) -> str | None:
        return _remembered(self._known, iri, self._read)

    def _read(self, iri: str) -> str | None:
        try:
            subject = ox.NamedNode(iri)
        except ValueError:  # not an IRI: nothing is labelled so
            return None
        for quad in self.store.quads_for_pattern(subject, _LABEL, None):
            if isinstance(quad.object, ox.Literal):
                return _v(quad.object)
        return None

    def __getitem__(self, iri: str) -> str:
        found = self._label(iri) if isinstance(iri, str) else None
        if found is None:
            raise KeyError(iri)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(
            sorted(
                {
                    q.subject.value
                    for q in self.store.quads_for_pattern(None, _LABEL, None)
                    if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal)
                }
            )
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Lookup(Mapping[str, V]):
    """A mapping read one key at a time through ``read`` (None: no such key), never listed:
    what a page looks up in an index of the whole release."""

    def __init__(self, read: Callable[[str], V | None]) -> None:
        self.read = read

    def __getitem__(self, key: str) -> V:
        found = self.read(key) if isinstance(key, str) else None
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a lookup is read one key at a time, not listed")

    def __len__(self) -> int:
        raise TypeError("a lookup is read one key at a time, not counted")


def _remembered(known: dict[str, V], key: str, read: Callable[[str], V]) -> V:
    """``read(key)``, remembered in ``known`` (emptied when it holds 65,536 keys: a page links
    many of the terms the next one does, but a site names more than memory should hold)."""
    if key not in known:
        if len(known) >= 1 << 16:
            known.clear()
        known[key] = read(key)
    return known[key]
