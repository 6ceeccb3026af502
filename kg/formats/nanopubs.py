"""The release as nanopublications: one a claim, with trusty URIs, signed when given a key.

Each nanopublication has the four graphs of the format:

- *assertion*: the claim as the release publishes it: the association (subject, predicate,
  object, epistemic status, ``biolink:negated``, knowledge level, reading, qualifiers and the
  nodes minted for them: doses, study sets), and the direct triple only when this claim itself
  is asserted (its view says so: :mod:`kg.views`), never because another claim of the release
  states the same triple. A negated or hypothesised claim reads so inside the assertion: its
  status and ``biolink:negated`` are there, and there is no direct triple;
- *provenance*: the assertion ``prov:wasDerivedFrom`` the article and the evidence (the Web
  Annotation selectors: the exact quote, its prefix and suffix, its character span in the
  text as received), ``prov:wasGeneratedBy`` the curation (the release's build) and
  ``prov:wasAttributedTo`` the publisher;
- *publication info*: licence, creator, label, and a creation time only from
  ``SOURCE_DATE_EPOCH`` (never the clock).

The trusty URI is a hash of the four graphs, computed offline with the ``nanopub`` library's
own hasher, so it changes exactly when what the nanopublication says changes. The release's
version is not inside a nanopublication (an unchanged claim keeps its URI across releases):
the release lists its nanopublications (``nanopubs.trig`` holds them all). With an RSA key
(``--sign-key FILE``), each is signed with the ``nanopub`` library (the key's public half and
the signature go into the publication info, and the trusty URI covers them).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import BIOLINK, DCTERMS, KGO, NP, OA, PROV, RDF, RDFS
from kg.rdf.lines import nt_bytes
from kg.views import ClaimView

__all__ = ["Settings", "read_key", "source_nanopubs"]

_BIOLINK = str(BIOLINK)
_KGO = str(KGO)
_OA = str(OA)
_NP = str(NP)
_PROV = str(PROV)
_DCT = str(DCTERMS)
_RDF_TYPE = str(RDF.type)
_RDFS_LABEL = str(RDFS.label)
#: The nanopub library's temporary namespace: what its hasher replaces by the trusty URI.
TEMP = "http://purl.org/nanopub/temp/np/"


@dataclass(frozen=True)
class Settings:
    """What every nanopublication's publication info says, and the key to sign with (the
    text of an RSA private key in base64, as the ``nanopub`` library writes it; None: unsigned).
    """

    license: str
    creator: str
    created: str | None = None  # an xsd:dateTime, from SOURCE_DATE_EPOCH
    private_key: str | None = None
    orcid: str = "https://orcid.org/0000-0000-0000-0000"
    name: str = "drugclaims"

    def digest(self) -> str:
        """A hash of the settings (the key's hash, not the key), for cache keys."""
        key = hashlib.sha256((self.private_key or "").encode()).hexdigest()
        fields = (self.license, self.creator, self.created or "", key, self.orcid, self.name)
        return hashlib.sha256("\0".join(fields).encode()).hexdigest()


def source_nanopubs(
    lines: Iterable[str], views: Iterable[ClaimView], settings: Settings
) -> dict[str, str]:
    """The nanopublications of one source's claims (its graph's canonical lines, and the
    claims' views): name (``<source>/<claim>``) -> TriG."""
    store = ox.Store()
    store.load(nt_bytes(lines), format=ox.RdfFormat.N_TRIPLES)
    found = {}
    for view in sorted(views, key=lambda v: str(v.iri)):
        quads = _nanopub(store, view, settings)
        found[f"{view.source}/{view.key}"] = _trig(_trusty(quads, settings)).decode("utf-8")
    return found


def _triples_of(store: ox.Store, subject: str) -> list[ox.Triple]:
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(ox.NamedNode(subject), None, None)
    ]


def _nanopub(store: ox.Store, view: ClaimView, settings: Settings) -> list[ox.Quad]:
    claim, article, label = str(view.iri), str(view.article), view.label
    head, assertion = ox.NamedNode(TEMP + "Head"), ox.NamedNode(TEMP + "assertion")
    provenance, pubinfo = ox.NamedNode(TEMP + "provenance"), ox.NamedNode(TEMP + "pubinfo")
    this = ox.NamedNode(TEMP)
    quads: list[ox.Quad] = []

    def add(graph: ox.NamedNode, s: object, p: str, o: object) -> None:
        subject = s if isinstance(s, ox.NamedNode) else ox.NamedNode(str(s))
        obj = o if isinstance(o, ox.NamedNode | ox.Literal) else ox.NamedNode(str(o))
        quads.append(ox.Quad(subject, ox.NamedNode(p), obj, graph))

    add(head, this, _RDF_TYPE, ox.NamedNode(_NP + "Nanopublication"))
    add(head, this, _NP + "hasAssertion", assertion)
    add(head, this, _NP + "hasProvenance", provenance)
    add(head, this, _NP + "hasPublicationInfo", pubinfo)
    # the claim and what is minted under it, but its evidence (that is provenance)
    evidence = claim + "/evidence"
    todo, seen = [claim], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for t in _triples_of(store, node):
            if str(t.predicate.value) == _KGO + "evidence":
                continue
            quads.append(ox.Quad(t.subject, t.predicate, t.object, assertion))
            value = getattr(t.object, "value", "")
            if isinstance(t.object, ox.NamedNode) and value.startswith(claim + "/"):
                todo.append(value)
    if view.states_triple:  # this claim's own status, never another claim's triple
        add(assertion, str(view.subject), str(view.predicate), str(view.object))
    # provenance: where the assertion comes from
    add(provenance, assertion, _PROV + "wasDerivedFrom", ox.NamedNode(article))
    add(provenance, assertion, _PROV + "wasDerivedFrom", ox.NamedNode(evidence))
    # the curation, named under the claim and not by release: an unchanged claim keeps its URI
    curation = ox.NamedNode(claim + "/curation")
    add(provenance, assertion, _PROV + "wasGeneratedBy", curation)
    add(provenance, curation, _RDF_TYPE, ox.NamedNode(_PROV + "Activity"))
    add(
        provenance, curation, _RDFS_LABEL, ox.Literal("manual curation of the claim", language="en")
    )
    add(provenance, curation, _PROV + "wasAssociatedWith", ox.NamedNode(settings.creator))
    add(provenance, assertion, _PROV + "wasAttributedTo", ox.NamedNode(settings.creator))
    for node in (evidence, evidence + "/quote", evidence + "/position"):
        for t in _triples_of(store, node):
            quads.append(ox.Quad(t.subject, t.predicate, t.object, provenance))
    # publication info
    add(pubinfo, this, _DCT + "license", ox.NamedNode(settings.license))
    add(pubinfo, this, _DCT + "creator", ox.NamedNode(settings.creator))
    add(pubinfo, this, _RDFS_LABEL, ox.Literal(label, language="en"))
    if settings.created:
        xsd = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
        add(pubinfo, this, _DCT + "created", ox.Literal(settings.created, datatype=xsd))
    return quads


def _trusty(quads: list[ox.Quad], settings: Settings) -> list[ox.Quad]:
    """The nanopublication with its trusty URI (and signature). The hash is the ``nanopub``
    library's (:func:`trusty_artefact`; the library signs); the temporary IRIs are then
    replaced as the library replaces them (``…/temp/np/x`` -> ``http://purl.org/np/RA…#x``),
    in IRIs only (:func:`_trusty_term`)."""
    if settings.private_key is not None:
        return _signed(quads, settings)
    uri = NP_PURL + trusty_artefact(quads)
    return [
        ox.Quad(*(_trusty_term(term, uri) for term in quad))  # type: ignore[arg-type]
        for quad in quads
    ]


def _trusty_term(term: object, uri: str) -> object:
    """A term with its temporary URI replaced by ``uri`` (:func:`_renamed`); a literal is left
    as it is, whatever its text."""
    return ox.NamedNode(_renamed(term.value, uri)) if isinstance(term, ox.NamedNode) else term


def trusty_artefact(quads: Sequence[ox.Quad]) -> str:
    """The trusty URI artefact code (``RA…``) of a nanopublication made under :data:`TEMP`:
    what the ``nanopub`` library's ``RdfHasher.make_hash(quads, baseuri=TEMP, hashstr=" ")``
    gives for them as rdflib terms, computed here from the quads' own strings (the library
    compares rdflib terms in Python: a quarter of a source's unit went to it). The library
    computes it when a blank node (which it numbers in its own order) or a quoted triple is
    among the quads, and the tests hold this to its answer on generated nanopublications."""
    if any(
        not isinstance(t, ox.NamedNode | ox.Literal) for q in quads for t in (q.subject, q.object)
    ):
        from nanopub.trustyuri.rdf import RdfHasher

        rdflib_quads = sorted(_rdflib(q) for q in quads)
        return str(RdfHasher.make_hash(rdflib_quads, baseuri=TEMP, hashstr=" "))
    statements = sorted(map(_normalised, quads))
    text, previous = [], ""
    for *_, statement in statements:
        if statement != previous:  # the same statement once
            text.append(statement)
        previous = statement
    digest = hashlib.sha256("".join(text).encode("utf-8")).digest()
    return "RA" + base64.b64encode(digest, b"-_").decode("ascii").rstrip("=")


#: What the library's hasher writes for the nanopublication's own URI (its artefact unknown).
_HASHED = "http://purl.org/np/ "
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _normalised(quad: ox.Quad) -> tuple[str, str, str, tuple[object, ...], str]:
    """A quad as the library's hasher sorts it (graph, subject, predicate, then an object:
    IRIs before literals; literals by lexical form, datatype (none for a language string),
    language) and writes it into the text it hashes (each term on a line)."""
    graph, subject, predicate = (
        _renamed(str(getattr(t, "value", "")), _HASHED)
        for t in (quad.graph_name, quad.subject, quad.predicate)
    )
    term = quad.object
    if isinstance(term, ox.Literal):
        lexical = _lexical(term)
        escaped = lexical.replace("\\", "\\\\").replace("\n", "\\n")
        if term.language:
            key: tuple[object, ...] = (1, lexical, 0, "", 1, term.language)
            written = f"@{term.language.lower()} {escaped}\n"
        else:
            key = (1, lexical, 1, term.datatype.value, 0, "")
            written = f"^{term.datatype.value} {escaped}\n"
    else:
        assert isinstance(term, ox.NamedNode)  # the others are hashed by the library
        iri = _renamed(term.value, _HASHED)
        key, written = (0, iri), f"{iri}\n"
    return graph, subject, predicate, key, f"{graph}\n{subject}\n{predicate}\n{written}"


def _renamed(iri: str, uri: str) -> str:
    """An IRI under :data:`TEMP` renamed under ``uri``, as the library's hasher reads it: the
    nanopublication's own (:data:`TEMP`, with or without its last slash) is ``uri``, any other
    ``uri#…``; another IRI as it is."""
    if iri in (TEMP, TEMP[:-1]):
        return uri
    if iri.startswith(TEMP):
        return f"{uri}#{iri[len(TEMP) :]}"
    return iri


def _lexical(term: ox.Literal) -> str:
    """A literal's lexical form as rdflib makes it (the library hashes rdflib's terms): its
    own for a string, rdflib's normal form for another datatype (``"01"^^xsd:integer`` is
    ``1``)."""
    if term.language or term.datatype.value == _XSD_STRING:
        return term.value
    from rdflib import Literal, URIRef

    return str(Literal(term.value, datatype=URIRef(term.datatype.value)))


#: Where the ``nanopub`` library puts nanopublications made with its temporary namespace.
NP_PURL = "http://purl.org/np/"


def _rdflib(quad: ox.Quad) -> tuple[object, ...]:
    """A quad as the library's hasher reads one from rdflib: (graph, subject, predicate,
    object), literals made as rdflib's parsers make them."""
    from rdflib import Literal, URIRef

    term = quad.object
    if isinstance(term, ox.Literal):
        if term.language:
            obj: object = Literal(term.value, lang=term.language)
        else:
            obj = Literal(term.value, datatype=URIRef(term.datatype.value))
    else:
        obj = URIRef(str(getattr(term, "value", term)))
    graph = URIRef(str(getattr(quad.graph_name, "value", "")))
    return graph, URIRef(str(getattr(quad.subject, "value", ""))), URIRef(quad.predicate.value), obj


def _signed(quads: list[ox.Quad], settings: Settings) -> list[ox.Quad]:
    """Signed and made trusty by the ``nanopub`` library (with rdflib: slower, only when a key
    is given)."""
    from nanopub.nanopub import Nanopub
    from nanopub.nanopub_conf import NanopubConf
    from nanopub.profile import Profile
    from rdflib import ConjunctiveGraph

    graph = ConjunctiveGraph()
    graph.parse(data="".join(f"{q} .\n" for q in quads), format="nquads")
    profile = Profile(settings.orcid, settings.name, private_key=settings.private_key)
    nanopub = Nanopub(rdf=graph, conf=NanopubConf(profile=profile))
    nanopub.sign()
    written = nanopub.rdf.serialize(format="nquads")
    return list(ox.parse(written.encode("utf-8"), format=ox.RdfFormat.N_QUADS))


def _trig(quads: Iterable[ox.Quad]) -> bytes:
    """Quads as TriG, each once, sorted, with the usual prefixes (the quads themselves, not
    written as N-Quads and read back: a tenth of a source's unit went to that)."""
    ordered = sorted(
        set(quads),
        key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)),
    )  # one block a graph: TriG groups consecutive quads of a graph
    written = ox.serialize(ordered, format=ox.RdfFormat.TRIG, prefixes=_PREFIXES)
    assert written is not None
    return written


_PREFIXES = {
    "biolink": _BIOLINK,
    "dcterms": _DCT,
    "kgo": _KGO,
    "np": _NP,
    "npx": "http://purl.org/nanopub/x/",
    "oa": _OA,
    "prov": _PROV,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


#: The largest key file read (a 4,096-bit RSA private key in base64 is about 3 KB).
MAX_KEY_BYTES = 64 * 1024
#: The shortest RSA key accepted (NIST SP 800-131A: 1,024-bit keys are disallowed).
MIN_KEY_BITS = 2048


def read_key(path: Path) -> str:
    """The text of an RSA private key to sign with (base64, as ``nanopub`` writes it), of at
    least :data:`MIN_KEY_BITS` bits.

    :raises InputError: it cannot be read, is larger than a key file can be (``/dev/zero``), or
        is not such a key (a public key, a short one)
    """
    try:
        with path.open("rb") as file:
            data = file.read(MAX_KEY_BYTES + 1)
        if len(data) > MAX_KEY_BYTES:
            raise InputError(
                str(path), None, None, f"larger than a key file can be ({MAX_KEY_BYTES} bytes)"
            )
        text = data.decode("ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), None, None, f"cannot read the key: {error}") from error
    try:
        from base64 import b64decode

        from Crypto.PublicKey import RSA

        key = RSA.import_key(b64decode(text))
    except (ValueError, IndexError, TypeError) as error:
        raise InputError(
            str(path), None, None, "not an RSA private key in base64 (as nanopub writes it)"
        ) from error
    if not key.has_private():
        raise InputError(str(path), None, None, "a public key: signing needs the private key")
    if key.size_in_bits() < MIN_KEY_BITS:
        raise InputError(
            str(path),
            None,
            None,
            f"an RSA key of {key.size_in_bits()} bits: at least {MIN_KEY_BITS} are needed",
        )
    return text
