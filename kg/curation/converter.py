"""The one CURIE converter of kg: CURIE to IRI and back, for every command.

It is a :class:`curies.Converter`, built in one of two ways from the same records:

- at build time, from the project's prefixes (catalogue/prefixes.yaml, resolved with
  Bioregistry): :func:`build_converter`;
- everywhere else, from the prefix declarations the release carries in its dataset description
  (``sh:PrefixDeclaration`` with ``sh:prefix``, ``sh:namespace`` and ``idot:preferredPrefix``):
  :func:`declared_converter`. ``kg show``, ``kg xrefs``, ``kg stats`` and ``kg query`` thus
  write CURIEs exactly as the release does (``MONDO:``, ``GO:``, ``NCBIGene:``) and accept both
  the preferred and Bioregistry's own prefix (``MONDO:`` and ``mondo:``).

This module imports neither rdflib nor Bioregistry, so that a query starts fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import curies
import pyoxigraph as ox

from kg.errors import QueryError

__all__ = [
    "PrefixRecord",
    "build_converter",
    "declared_converter",
    "expand_resource",
    "namespaces",
    "prefix_map",
    "release_converter",
    "shorten",
]

_DECLARATIONS = """
PREFIX idot: <http://identifiers.org/idot/>
PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT DISTINCT ?prefix ?preferred ?namespace WHERE {
  ?declaration a sh:PrefixDeclaration ; sh:prefix ?prefix ; sh:namespace ?namespace .
  OPTIONAL { ?declaration idot:preferredPrefix ?preferred }
}
ORDER BY ?prefix ?namespace ?preferred
"""
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_PREFIX_DECLARATION = ox.NamedNode("http://www.w3.org/ns/shacl#PrefixDeclaration")
_SH_PREFIX = ox.NamedNode("http://www.w3.org/ns/shacl#prefix")
_SH_NAMESPACE = ox.NamedNode("http://www.w3.org/ns/shacl#namespace")
_PREFERRED = ox.NamedNode("http://identifiers.org/idot/preferredPrefix")
_DECLARATION_PREDICATES = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "http://www.w3.org/ns/shacl#prefix",
    "http://www.w3.org/ns/shacl#namespace",
    "http://identifiers.org/idot/preferredPrefix",
)
_IRI = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


class PrefixRecord(Protocol):
    """What a converter is built from: Bioregistry's prefix, the prefix the release writes
    (``synonyms[0]`` when there is one) and the URI prefix (kg.model.Prefix is one)."""

    @property
    def prefix(self) -> str: ...

    @property
    def uri_prefix(self) -> str: ...

    @property
    def synonyms(self) -> tuple[str, ...]: ...


def build_converter(records: Iterable[PrefixRecord]) -> curies.Converter:
    """A converter whose preferred prefixes are those the release writes.

    >>> from kg.model import Prefix
    >>> c = build_converter([Prefix("mondo", "http://purl.obolibrary.org/obo/MONDO_", None, None,
    ...                             ("MONDO",))])
    >>> c.compress("http://purl.obolibrary.org/obo/MONDO_0000001"), c.expand("mondo:0000001")
    ('MONDO:0000001', 'http://purl.obolibrary.org/obo/MONDO_0000001')
    """
    return _converter(
        (r.synonyms[0] if r.synonyms else r.prefix, r.prefix, r.uri_prefix) for r in records
    )


def declared_converter(store: ox.Store) -> curies.Converter:
    """The converter of the prefixes a release declares (empty for data without declarations).

    The declarations are the rows of :data:`_DECLARATIONS`, in its order, found by lookups in
    the store's indexes: Oxigraph's plan for that query scans, and took 36 s on a store of 10M
    quads (the release's index at 20,000 sources), where this takes milliseconds."""
    return _converter(
        ((preferred or prefix).value, prefix.value, namespace.value)
        for prefix, preferred, namespace in _declarations(store)
    )


def _declarations(store: ox.Store) -> list[tuple[ox.Literal, ox.Literal | None, ox.Literal]]:
    """(prefix, preferred prefix or None, namespace) of every sh:PrefixDeclaration of every
    graph, without repeats, ordered as :data:`_DECLARATIONS` orders them (an unbound preferred
    prefix first)."""
    found = set()
    for typed in store.quads_for_pattern(None, _RDF_TYPE, _PREFIX_DECLARATION, None):
        declaration = typed.subject
        if isinstance(declaration, ox.Triple):
            continue

        def values(predicate: ox.NamedNode, of: object = declaration) -> set[ox.Literal]:
            found_values = store.quads_for_pattern(of, predicate, None, None)  # type: ignore[arg-type]
            return {q.object for q in found_values if isinstance(q.object, ox.Literal)}

        preferred: set[ox.Literal | None] = set(values(_PREFERRED)) or {None}
        for prefix in values(_SH_PREFIX):
            for namespace in values(_SH_NAMESPACE):
                for chosen in preferred:
                    found.add((prefix, chosen, namespace))
    return sorted(
        found,
        key=lambda row: (
            row[0].value,
            row[2].value,
            row[1] is not None,
            row[1].value if row[1] is not None else "",
        ),
    )


def release_converter(nquads: Path) -> curies.Converter:
    """The converter of a release file's prefix declarations, read in one streamed pass that
    keeps only the declarations (for ``kg query --endpoint``, which loads no release)."""
    wanted = {ox.NamedNode(iri) for iri in _DECLARATION_PREDICATES}
    store = ox.Store()
    store.extend(
        quad
        for quad in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        if quad.predicate in wanted
    )
    return declared_converter(store)


def _converter(rows: Iterable[tuple[str, str, str]]) -> curies.Converter:
    """One record per URI prefix: (preferred prefix, another prefix, URI prefix) rows merged."""
    records: dict[str, curies.Record] = {}
    taken: set[str] = set()
    for preferred, other, uri_prefix in rows:
        record = records.get(uri_prefix)
        if record is None:
            if preferred in taken:
                continue  # a prefix declared twice with two namespaces: the first one holds
            record = records[uri_prefix] = curies.Record(prefix=preferred, uri_prefix=uri_prefix)
            taken.add(preferred)
        for name in (preferred, other):
            if name not in taken:
                record.prefix_synonyms.append(name)
                taken.add(name)
    return curies.Converter(list(records.values()))


def prefix_map(converter: curies.Converter) -> dict[str, str]:
    """Every prefix a reader may type, preferred ones and synonyms, sorted: for SPARQL queries
    and the JSON-LD context, so that ``MONDO:`` and ``mondo:`` both expand."""
    names = {}
    for record in converter.records:
        for name in (record.prefix, *record.prefix_synonyms):
            names[name] = record.uri_prefix
    return dict(sorted(names.items()))


def namespaces(converter: curies.Converter) -> dict[str, str]:
    """The preferred prefix of every namespace, sorted: what the release is written with."""
    return dict(sorted((r.prefix, r.uri_prefix) for r in converter.records))


def shorten(converter: curies.Converter, iri: str) -> str:
    """The CURIE of an IRI under a known prefix, else the IRI in angle brackets.

    >>> shorten(curies.Converter.from_prefix_map({"GO": "http://purl.obolibrary.org/obo/GO_"}),
    ...         "http://purl.obolibrary.org/obo/GO_0051610")
    'GO:0051610'
    """
    curie = converter.compress(iri)
    return curie if curie is not None else f"<{iri}>"


def expand_resource(converter: curies.Converter, resource: str) -> str:
    """The IRI a user means: ``<IRI>``, an absolute IRI, or a CURIE (its prefix in any case).

    :raises QueryError: a CURIE whose prefix the release does not declare

    >>> c = curies.Converter.from_prefix_map({"GO": "http://purl.obolibrary.org/obo/GO_"})
    >>> expand_resource(c, "go:0051610"), expand_resource(c, "<http://example.org/a>")
    ('http://purl.obolibrary.org/obo/GO_0051610', 'http://example.org/a')
    """
    if resource.startswith("<") and resource.endswith(">"):
        return resource[1:-1]
    name, sep, local = resource.partition(":")
    if sep:
        by_case = {n.lower(): ns for n, ns in reversed(prefix_map(converter).items())}
        exact = prefix_map(converter).get(name)
        namespace = exact if exact is not None else by_case.get(name.lower())
        if namespace is not None:
            return namespace + local
    if _IRI.match(resource) and "//" in resource:
        return resource
    raise QueryError(
        f"cannot resolve {resource!r}: not an IRI, and {name!r} is not a prefix the release "
        "declares"
    )
