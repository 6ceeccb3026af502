"""CURIE prefixes: which ones the project accepts (catalogue/prefixes.yaml) and, from Bioregistry,
their URI prefixes and local-ID patterns. The one place a CURIE becomes an IRI.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

from rdflib.term import URIRef

from kg.curation.converter import build_converter
from kg.curation.records import Record, load_yaml
from kg.errors import InputError
from kg.model import Prefix
from kg.namespaces import BASE, KGO

_PLACEHOLDER = "\x00"

__all__ = ["PROJECT_PREFIXES", "PrefixMap", "load_prefix_map", "lock_text"]

#: The project's own prefixes: the ontology and the minted data IRIs.
PROJECT_PREFIXES = (
    Prefix("kgo", str(KGO), r"^[A-Za-z][A-Za-z0-9]*$", None),
    Prefix("kgr", str(BASE), r"^[a-z0-9][a-z0-9/-]*$", None),
)


class PrefixMap:
    """Expands CURIEs with the accepted prefixes, checking each local ID against its pattern.

    >>> pm = PrefixMap([Prefix("mondo", "http://purl.obolibrary.org/obo/MONDO_", r"^\\d{7}$",
    ...                        None, ("MONDO",))])
    >>> pm.expand("MONDO:0000001")
    rdflib.term.URIRef('http://purl.obolibrary.org/obo/MONDO_0000001')
    >>> pm.expand("mondo:123")
    Traceback (most recent call last):
    ...
    ValueError: local ID '123' does not match the pattern of 'mondo' (^\\d{7}$)
    """

    def __init__(self, prefixes: Iterable[Prefix]) -> None:
        self.prefixes: dict[str, Prefix] = {}
        self._lookup: dict[str, Prefix] = {}
        for prefix in prefixes:
            self.prefixes[prefix.prefix] = prefix
            for name in (prefix.prefix, *prefix.synonyms):
                self._lookup[name.lower()] = prefix
        #: The one CURIE converter of the build (the release is written with its prefixes).
        self.converter = build_converter(self.prefixes.values())

    def resolve(self, curie: str) -> tuple[Prefix, str]:
        """Split a CURIE into its accepted prefix and its local ID; raise ValueError if unknown."""
        name, sep, local = curie.partition(":")
        if not sep or not name or not local:
            raise ValueError(f"not a CURIE: {curie!r} (expected prefix:local_id)")
        prefix = self._lookup.get(name.lower())
        if prefix is None:
            raise ValueError(
                f"unknown CURIE prefix {name!r} in {curie!r} "
                "(accepted prefixes are listed in catalogue/prefixes.yaml)"
            )
        return prefix, local

    def expand(self, curie: str) -> URIRef:
        """Return the IRI of a CURIE; raise ValueError for an unknown prefix or a bad local ID."""
        prefix, local = self.resolve(curie)
        # A full match in ASCII: Bioregistry's patterns end in `$`, which re.search lets match
        # before a trailing newline, and `\d` matches fullwidth digits unless re.ASCII is set.
        if prefix.pattern and not re.fullmatch(prefix.pattern, local, re.ASCII):
            raise ValueError(
                f"local ID {local!r} does not match the pattern of "
                f"{prefix.prefix!r} ({prefix.pattern})"
            )
        return URIRef(prefix.uri_prefix + local)

    def compress(self, iri: str) -> str:
        """Return the CURIE of an IRI (with the prefix the release writes), or the IRI itself."""
        return self.converter.compress(iri, passthrough=True)


def load_prefix_map(path: Path, lock: Path, *, display: str, lock_display: str) -> PrefixMap:
    """The accepted prefixes, as resolved into the lock file: no Bioregistry at build time.

    :raises InputError: the lock is missing, malformed, or stale (prefixes.yaml has changed
        since it was written: ``kg prefixes`` writes it again)
    """
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(
            lock_display, None, None, f"missing: run `kg prefixes` ({_WHY})"
        ) from error
    except (OSError, UnicodeError, ValueError) as error:
        raise InputError(lock_display, None, None, f"cannot read: {error}") from error
    if not isinstance(data, dict) or data.get("prefixes_yaml_sha256") != _sha256(path):
        raise InputError(
            lock_display,
            None,
            None,
            f"stale: {display} has changed since the lock was written; run `kg prefixes` "
            "to resolve it again with Bioregistry (and review the diff)",
        )
    try:
        locked = [
            Prefix(
                row["prefix"],
                row["uri_prefix"],
                row["pattern"],
                row["registry"],
                tuple(row["synonyms"]),
            )
            for row in data["prefixes"]
        ]
    except (KeyError, TypeError) as error:
        raise InputError(lock_display, None, None, f"malformed lock: {error!r}") from error
    for prefix in locked:  # a tampered lock must not put a javascript: or data: IRI in a page
        if not isinstance(prefix.uri_prefix, str) or not _HTTP.fullmatch(prefix.uri_prefix):
            raise InputError(
                lock_display,
                None,
                f"prefix {prefix.prefix!r}",
                f"uri_prefix {prefix.uri_prefix!r} is not an http(s) IRI (run `kg prefixes`)",
            )
    return PrefixMap([*PROJECT_PREFIXES, *locked])


#: What a locked URI prefix must be: an http(s) IRI with no character an IRI may not hold.
_HTTP = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


def lock_text(path: Path, *, display: str) -> bytes:
    """The lock file of catalogue/prefixes.yaml: every prefix resolved with Bioregistry (URI
    prefix, local-ID pattern, preferred prefix), and the checksum of the file it resolves."""
    import bioregistry

    data = load_yaml(path, display=display, top_level=["identifiers", "vocabularies"])
    rows = []
    for section in ("identifiers", "vocabularies"):
        entries = data.get(section) or {}
        if not isinstance(entries, Record):
            raise data.error(None, f"expected '{section}:' to be a mapping", key=section)
        for name, options in entries.items():
            prefix = _bioregistry_prefix(bioregistry, entries, str(name), options)
            rows.append(
                {
                    "prefix": prefix.prefix,
                    "uri_prefix": prefix.uri_prefix,
                    "pattern": prefix.pattern,
                    "registry": prefix.registry_iri,
                    "synonyms": list(prefix.synonyms),
                }
            )
    lock = {
        "about": f"Written by `kg prefixes` from {display} with Bioregistry: do not edit.",
        "bioregistry_version": version("bioregistry"),
        "prefixes_yaml_sha256": _sha256(path),
        "prefixes": sorted(rows, key=lambda row: str(row["prefix"])),
    }
    return (json.dumps(lock, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise InputError(str(path), None, None, f"cannot read: {error}") from error


_WHY = "the prefixes resolved with Bioregistry, so that a build need not import it"


def _bioregistry_prefix(bioregistry: object, entries: Record, name: str, options: object) -> Prefix:
    br = bioregistry
    normal = br.normalize_prefix(name)  # type: ignore[attr-defined]
    if normal is None or normal != name:
        hint = f" (Bioregistry calls it {normal!r})" if normal else ""
        raise entries.error(None, f"{name!r} is not a Bioregistry prefix{hint}", key=name)
    options = options or Record()
    if (
        not isinstance(options, Record)
        or set(options) - {"uri_format", "uri_prefix", "why"}
        or {"uri_format", "uri_prefix"} <= set(options)
    ):
        raise entries.error(
            f"prefix {name!r}",
            "expected {}, {uri_format: PROVIDER, why: ...} or {uri_prefix: IRI, why: ...}",
            key=name,
        )
    resource = br.get_resource(name)  # type: ignore[attr-defined]
    if "uri_prefix" in options:
        uri_prefix = _reviewed_uri_prefix(entries, name, options)
    else:
        uri_prefix = _provider_uri_prefix(br, entries, name, options)
    preferred = br.get_preferred_prefix(name)  # type: ignore[attr-defined]
    synonyms = (preferred,) if preferred and preferred != name else ()
    return Prefix(
        name,
        uri_prefix,
        resource.get_pattern(),
        f"https://bioregistry.io/registry/{name}",
        synonyms,
    )


def _reviewed_uri_prefix(entries: Record, name: str, options: Record) -> str:
    """A URI prefix the curator gives (the dataset's own RDF IRIs, where Bioregistry lists no
    such format): an http(s) IRI that ends where the local ID begins, with a ``why``."""
    uri_prefix = options.get("uri_prefix")
    if (
        not isinstance(uri_prefix, str)
        or not re.fullmatch(r"https?://[^\s<>\"{}|\\^`#?]+[/_=:]", uri_prefix)
        or not options.get("why")
    ):
        raise entries.error(
            f"prefix {name!r}",
            "uri_prefix must be an http(s) IRI ending in / _ = or : (where the local ID "
            "begins), with no query or fragment, and with a 'why'",
            key=name,
        )
    return uri_prefix


def _provider_uri_prefix(br: object, entries: Record, name: str, options: Record) -> str:
    """The URI prefix of one of Bioregistry's providers of ``name`` (its RDF format unless
    ``uri_format`` names another)."""
    providers = dict(br.get_providers_list(name, _PLACEHOLDER))  # type: ignore[attr-defined]
    wanted = options.get("uri_format", "rdf" if "rdf" in providers else "default")
    if wanted not in providers or (
        wanted != "rdf" and "uri_format" in options and not options.get("why")
    ):
        raise entries.error(
            f"prefix {name!r}",
            f"uri_format must be one of Bioregistry's "
            f"providers ({', '.join(sorted(providers))}), with a 'why'",
            key=name,
        )
    uri_format = providers[wanted]
    if not uri_format.endswith(_PLACEHOLDER) or uri_format.count(_PLACEHOLDER) != 1:
        raise entries.error(
            f"prefix {name!r}",
            f"the {wanted!r} URI format does not end with "
            "the local ID, so it cannot be a namespace; choose another uri_format",
            key=name,
        )
    return str(uri_format[: -len(_PLACEHOLDER)])
