"""The release's files as the site offers them: ``download/<version>/<file>``, each claim's
nanopublication among them, and where the dataset description says each file is published.

Only the files the release's description lists (:func:`kg.formats.listing.read_release`,
each with its size and checksum) are copied, and each claim's ``nanopubs/<source>/<claim>.trig``
when it holds what the listed ``nanopubs.trig`` holds of it (:func:`vouched_nanopubs`), regular
files only: a symlink in a release folder from elsewhere is never followed into the site.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg import namespaces as ns  # rdflib's closed DCAT, imported, upsets doctests
from kg.errors import InputError
from kg.namespaces import KGO, NP, RDF
from kg.rdf.lines import term_value as _v

__all__ = ["Download", "Nanopub", "nanopubs", "read_downloads", "vouched_nanopubs", "web_address"]

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


def vouched_nanopubs(release: Path, collection: bytes | None) -> dict[str, bytes]:
    """Each claim's nanopublication file (``nanopubs/<source>/<claim>.trig``), by its path in
    the release, when ``collection`` (the release's checked ``nanopubs.trig``) holds the same
    quads under the same URI: the release's description lists ``nanopubs.trig`` with its size
    and checksum, not these files, so they are served only as copies of what it vouches for.

    :raises InputError: a file that is not TriG, larger than the collection, or not a
        nanopublication of the collection as the collection holds it
    """
    if not collection:
        return {}
    held: dict[str, set[ox.Quad]] = {}
    quads = list(ox.parse(input=collection, format=ox.RdfFormat.TRIG))
    heads = {
        q.graph_name: _v(q.subject) for q in quads if q.predicate == _TYPE and q.object == _NANOPUB
    }
    graphs: dict[ox.NamedNode | ox.BlankNode | ox.DefaultGraph, str] = {}
    for quad in quads:  # a nanopublication's graphs: its head, and those its head names
        if quad.graph_name in heads and isinstance(quad.object, ox.NamedNode):
            graphs.setdefault(quad.object, heads[quad.graph_name])
    graphs.update(heads)
    for quad in quads:
        uri = graphs.get(quad.graph_name)
        if uri is not None:
            held.setdefault(uri, set()).add(quad)
    found = {}
    for path in _nanopub_files(release):
        shown = path.relative_to(release).as_posix()
        if path.stat().st_size > len(collection):
            raise InputError(shown, None, None, "larger than nanopubs.trig, which it is part of")
        data = path.read_bytes()
        try:
            own = set(ox.parse(input=data, format=ox.RdfFormat.TRIG))
        except SyntaxError as error:
            raise InputError(shown, None, None, f"not a nanopublication in TriG: {error}") from None
        uri = next(
            (_v(q.subject) for q in own if q.predicate == _TYPE and q.object == _NANOPUB), ""
        )
        if held.get(uri) != own:
            raise InputError(
                shown, None, None, "not a nanopublication of nanopubs.trig as it holds it; refused"
            )
        found[shown] = data
    return found


def nanopubs(files: dict[str, bytes], version: str) -> dict[str, Nanopub]:
    """Each claim's nanopublication, by the claim's IRI (the claim its assertion types
    kgo:Claim), with the URI its head graph names (``files``: from :func:`vouched_nanopubs`)."""
    found = {}
    for name, data in sorted(files.items()):
        uri, claim = None, None
        for quad in ox.parse(input=data, format=ox.RdfFormat.TRIG):
            if quad.predicate == _TYPE and quad.object == _NANOPUB:
                uri = _v(quad.subject)
            elif quad.predicate == _TYPE and quad.object == _CLAIM:
                claim = _v(quad.subject)
        if uri and claim and web_address(uri):
            found[claim] = Nanopub(uri, f"download/{version}/{name}")
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
