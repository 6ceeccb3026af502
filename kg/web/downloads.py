"""The release's files as the site offers them: ``download/<version>/<file>``, each claim's
nanopublication among them, and where the dataset description says each file is published.

Only the files the release's description lists (:func:`kg.formats.listing.copy_release`,
each with its size and checksum) are copied, and each claim's ``nanopubs/<source>/<claim>.trig``
when it holds what the listed ``nanopubs.trig`` holds of it (:func:`vouched_nanopubs`), regular
files only: a symlink in a release folder from elsewhere is never followed into the site.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from pathlib import Path

import pyoxigraph as ox

from kg import namespaces as ns  # rdflib's closed DCAT, imported, upsets doctests
from kg.errors import InputError
from kg.formats.listing import read_regular
from kg.namespaces import KGO, NP, RDF
from kg.rdf.lines import term_value as _v
from kg.runtime.spool import Sorter

__all__ = [
    "Download",
    "Nanopub",
    "Vouched",
    "nanopubs",
    "read_downloads",
    "vouched_nanopubs",
    "web_address",
]

_MEDIA_TYPES = "http://www.iana.org/assignments/media-types/"
_TYPE = ox.NamedNode(str(RDF.type))
_NANOPUB = ox.NamedNode(str(NP.Nanopublication))
_CLAIM = ox.NamedNode(str(KGO.Claim))


@dataclass(frozen=True)
class Download:
    """One file of a release as its dataset description gives it: its download URL and type."""

    name: str
    url: str
    media_type: str


@dataclass(frozen=True)
class Nanopub:
    """A claim's nanopublication: its trusty URI and its file in the site (from the root)."""

    uri: str
    path: str


def web_address(iri: str) -> str | None:
    """``iri`` if it is a web address a page may link to, else None (a ``javascript:`` or
    ``data:`` IRI is shown, never followed).

    >>> web_address("https://doi.org/10.1/x"), web_address("javascript:alert(1)")
    ('https://doi.org/10.1/x', None)
    """
    head, _, rest = iri.partition("://")
    if head not in ("http", "https") or not rest or any(c in iri for c in ' <>"\n\t'):
        return None
    return iri


@dataclass(frozen=True)
class Vouched:
    """A claim's nanopublication file that nanopubs.trig vouches for: its copy, the URI its
    head graph names, and the claim its assertion types kgo:Claim (None if none)."""

    copy: Path
    uri: str
    claim: str | None


def vouched_nanopubs(release: Path, collection: Path | None, into: Path) -> dict[str, Vouched]:
    """Each claim's nanopublication file (``nanopubs/<source>/<claim>.trig``), by its path in
    the release, copied into the folder ``into`` under that path, when ``collection`` (the
    checked copy of the release's ``nanopubs.trig``) holds the same quads under the same URI:
    the release's description lists ``nanopubs.trig`` with its size and checksum, not these
    files, so they are served only as copies of what it vouches for.

    The collection is read as a stream, never held whole: what it holds of each URI is kept
    as the SHA-256 of its quads' set (:func:`_set_digest`; the quads sorted on disk), compared
    with the file's own.

    :raises InputError: a file that is not TriG, larger than the collection, not a regular
        file, or not a nanopublication of the collection as the collection holds it
    """
    if collection is None or not collection.stat().st_size:
        return {}
    into.mkdir(parents=True, exist_ok=True)
    held = _held_digests(collection, into)
    limit = collection.stat().st_size
    found = {}
    for path in _nanopub_files(release):
        shown = path.relative_to(release).as_posix()
        try:
            data = read_regular(path, limit)
        except InputError:
            raise InputError(
                shown,
                None,
                None,
                "not a regular file of at most the size of "
                "nanopubs.trig, which it is part of; refused",
            ) from None
        try:
            own = list(ox.parse(input=data, format=ox.RdfFormat.TRIG))
        except SyntaxError as error:
            raise InputError(shown, None, None, f"not a nanopublication in TriG: {error}") from None
        uri = next(
            (_v(q.subject) for q in own if q.predicate == _TYPE and q.object == _NANOPUB), ""
        )
        if held.get(uri) != _set_digest(sorted(map(str, own))):
            raise InputError(
                shown, None, None, "not a nanopublication of nanopubs.trig as it holds it; refused"
            )
        copy = into / shown
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(data)
        claim = next(
            (_v(q.subject) for q in own if q.predicate == _TYPE and q.object == _CLAIM), None
        )
        found[shown] = Vouched(copy, uri, claim)
    return found


def _set_digest(quads: Iterable[str]) -> str:
    """The SHA-256 of a set of quads, given as their sorted N-Quads texts (a text repeated
    counts once)."""
    digest = hashlib.sha256()
    previous = None
    for text in quads:
        if text != previous:
            data = text.encode("utf-8")
            digest.update(len(data).to_bytes(8, "big") + data)
        previous = text
    return digest.hexdigest()


def _held_digests(collection: Path, work: Path) -> dict[str, str]:
    """For each nanopublication's URI in the TriG file ``collection``, :func:`_set_digest` of
    its quads (those of its head graph, whose type names it, and of the graphs its head names),
    read as three streams (the heads; the graphs they name; the quads, sorted on disk in a
    folder made in ``work``)."""
    heads = {
        q.graph_name: _v(q.subject)
        for q in ox.parse(path=str(collection), format=ox.RdfFormat.TRIG)
        if q.predicate == _TYPE and q.object == _NANOPUB
    }
    graphs: dict[ox.NamedNode | ox.BlankNode | ox.DefaultGraph, str] = {}
    for quad in ox.parse(path=str(collection), format=ox.RdfFormat.TRIG):
        if quad.graph_name in heads and isinstance(quad.object, ox.NamedNode):
            graphs.setdefault(quad.object, heads[quad.graph_name])
    graphs.update(heads)
    with tempfile.TemporaryDirectory(dir=work, prefix=".nanopubs-") as runs:
        quads = Sorter(Path(runs), budget=_SORT_BUDGET, size=_texts)
        for quad in ox.parse(path=str(collection), format=ox.RdfFormat.TRIG):
            uri = graphs.get(quad.graph_name)
            if uri is not None:
                quads.add((uri, str(quad)))
        return {
            uri: _set_digest(text for _, text in group)
            for uri, group in groupby(quads, key=itemgetter(0))
        }


#: Characters of quads sorted in memory before a run is spilled to disk.
_SORT_BUDGET = 8_000_000


def _texts(item: tuple[str, str]) -> int:
    return len(item[0]) + len(item[1])


def nanopubs(files: Mapping[str, Vouched], version: str) -> dict[str, Nanopub]:
    """Each claim's nanopublication, by the claim's IRI (the claim its assertion types
    kgo:Claim), with the URI its head graph names (``files``: from :func:`vouched_nanopubs`,
    which read them)."""
    found = {}
    for name, vouched in sorted(files.items()):
        if vouched.uri and vouched.claim and web_address(vouched.uri):
            found[vouched.claim] = Nanopub(vouched.uri, f"download/{version}/{name}")
    return found


def read_downloads(void: bytes | None) -> list[Download]:
    """The release's files as its ``void.ttl`` lists them (dcat:downloadURL, dcat:mediaType),
    sorted by name; none when there is no such file."""
    if not void:
        return []
    store = ox.Store()
    store.bulk_load(input=void, format=ox.RdfFormat.TURTLE)
    found = set()
    for quad in store.quads_for_pattern(None, ox.NamedNode(str(ns.DCAT.downloadURL)), None):
        url = _v(quad.object)
        media = next(
            store.quads_for_pattern(quad.subject, ox.NamedNode(str(ns.DCAT.mediaType)), None), None
        )
        if web_address(url) and media is not None:
            name = url.rstrip("/").rsplit("/", 1)[-1]
            found.add(Download(name, url, _v(media.object).removeprefix(_MEDIA_TYPES)))
    return sorted(found, key=lambda d: (d.name, d.url))


def _nanopub_files(release: Path) -> Iterator[Path]:
    """``nanopubs/<source>/<claim>.trig``, regular files inside the release, sorted."""
    folder = release / "nanopubs"
    if not folder.is_dir() or folder.is_symlink():
        return
    for source in sorted(folder.iterdir()):
        if source.is_dir() and not source.is_symlink():  # so inside the release, as is its file
            yield from (p for p in sorted(source.glob("*.trig")) if _file(p))


def _file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()
