"""The release's files as the site offers them: ``download/<version>/<file>``, each claim's
nanopublication among them, and where the dataset description says each file is published.

Only the release's own files are copied (those :data:`kg.formats.files.RELEASE_FILES` names,
and ``nanopubs/<source>/<claim>.trig``), regular files only: a symlink in a release folder from
elsewhere is never followed into the site.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg import namespaces as ns  # rdflib's closed DCAT, imported, upsets doctests
from kg.errors import InputError
from kg.formats.files import RELEASE_FILES
from kg.namespaces import KGO, NP, RDF
from kg.rdf.lines import term_value as _v

__all__ = ["Download", "Nanopub", "nanopubs", "read_downloads", "release_files", "web_address"]

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


def release_files(release: Path, version: str) -> dict[str, bytes]:
    """The release's files, by their path in the site."""
    files = {}
    for name in RELEASE_FILES:
        path = release / name
        if _regular(path, release):
            files[f"download/{version}/{name}"] = path.read_bytes()
    for path in _nanopub_files(release):
        files[f"download/{version}/{path.relative_to(release).as_posix()}"] = path.read_bytes()
    return files


def nanopubs(release: Path, version: str) -> dict[str, Nanopub]:
    """Each claim's nanopublication, by the claim's IRI (the claim its assertion types
    kgo:Claim), with the URI its head graph names.

    :raises InputError: a nanopublication that is not TriG (in a release from elsewhere)
    """
    found = {}
    for path in _nanopub_files(release):
        uri, claim = None, None
        try:
            for quad in ox.parse(path=str(path), format=ox.RdfFormat.TRIG):
                if quad.predicate == _TYPE and quad.object == _NANOPUB:
                    uri = _v(quad.subject)
                elif quad.predicate == _TYPE and quad.object == _CLAIM:
                    claim = _v(quad.subject)
        except SyntaxError as error:
            shown = path.relative_to(release).as_posix()
            raise InputError(shown, None, None, f"not a nanopublication in TriG: {error}") from None
        if uri and claim and web_address(uri):
            found[claim] = Nanopub(
                uri, f"download/{version}/{path.relative_to(release).as_posix()}"
            )
    return found


def read_downloads(void: Path) -> list[Download]:
    """The release's files as its ``void.ttl`` lists them (dcat:downloadURL, dcat:mediaType),
    sorted by name; none when there is no such file."""
    if not _regular(void, void.parent):
        return []
    store = ox.Store()
    store.bulk_load(path=str(void), format=ox.RdfFormat.TURTLE)
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


def _regular(path: Path, release: Path) -> bool:
    """A regular file inside the release folder (no symlink on the way)."""
    return _file(path) and path.resolve().is_relative_to(release.resolve())


def _file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()
