"""What the site describes: the release's graph, its dataset description and its
nanopublications in one store, with the few statements that let a client walk from one
document to the next (which the release's files say only as files).

Loaded from a release folder (:func:`load_release`):

- ``graph.nq``, each triple in its named graph, as the release has it;
- ``void.ttl`` (the dataset description: the dataset's IRI, its versions and distributions);
- ``nanopubs.trig``, but each nanopublication's assertion (the claim, which ``graph.nq``
  holds already): the nanopublication's head, provenance (the claim's curation) and
  publication info;

and, in the default graph, statements the site adds (:func:`site_statements`), never a
change to what the release says:

- each named graph of the release described: what it holds in words, every resource it
  describes (``foaf:topic``: a crawler that reads the graphs' documents meets every subject of
  the release), its size and the file it is in;
- each claim ``dct:isReferencedBy`` its nanopublication.

Every document also says where to read more about each outside resource it names that the
site describes (:func:`see_also`): ``rdfs:seeAlso`` the resource's record on the site,
``…/id/external/<name>``, which answers 303 to that resource's document by the same rule as
every ``…/id/<path>`` (``/doc/external/<name>.<ext>``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import DCTERMS, KGO, NP, RDF, RDFS, ROOT, VOID
from kg.rdf.lines import term_value as _v
from kg.rdf.mint import CATALOGUE_GRAPH, DATASET_GRAPH, ONTOLOGY_GRAPH

__all__ = [
    "GRAPH_WORDS",
    "SITE_LINKS",
    "GraphSizes",
    "load_release",
    "named_graphs",
    "see_also",
    "site_statements",
]

_TYPE = ox.NamedNode(str(RDF.type))
_LABEL = ox.NamedNode(str(RDFS.label))
_SEE_ALSO = ox.NamedNode(str(RDFS.seeAlso))
_TOPIC = "http://xmlns.com/foaf/0.1/topic"
#: What each of the release's shared named graphs holds (a source's graph: its claims).
GRAPH_WORDS = {
    str(ONTOLOGY_GRAPH): "the project's ontology and the labels of the outside terms it uses",
    str(CATALOGUE_GRAPH): "the catalogue: the entities the claims name, and their mappings",
    str(DATASET_GRAPH): "the release's own description: version, licence, build and inputs",
}
_SOURCE_WORDS = "the claims of one source, their evidence and the source's text"


#: The properties of a claim the site adds (not the release's): a claim's page and diagram
#: show them as links of their own, never as the claim's qualifiers.
SITE_LINKS = frozenset({str(DCTERMS.isReferencedBy)})


def load_release(
    files: Mapping[str, Path],
    path: Path | None = None,
    *,
    each: Callable[[str, ox.Quad], object] | None = None,
) -> ox.Store:
    """The store the site is written from (in memory, or on disk in the new folder ``path``):
    ``graph.nq``, ``void.ttl`` and the nanopublications (but their assertions) of a release
    (``files``: its checked copies, by name, as :func:`kg.formats.listing.copy_release` makes
    them), each read as a stream; ``each`` is given every quad as it goes in, with the name
    of the file it comes from.

    :raises InputError: one of them is not valid RDF (the file, the line, what is wrong)
    """
    store = ox.Store(str(path)) if path is not None else ox.Store()
    if each is None:
        store.bulk_load(path=str(files["graph.nq"]), format=ox.RdfFormat.N_QUADS)
    else:  # as fast: the parser's quads are handed on as they come
        graph = _parse("graph.nq", files["graph.nq"], ox.RdfFormat.N_QUADS)
        store.bulk_extend(_given("graph.nq", graph, each))
    if "void.ttl" in files:
        void = (
            ox.Quad(q.subject, q.predicate, q.object)
            for q in _parse("void.ttl", files["void.ttl"], ox.RdfFormat.TURTLE)
        )
        store.bulk_extend(_given("void.ttl", void, each))
    if "nanopubs.trig" in files:
        nanopubs = _nanopub_quads(files["nanopubs.trig"])
        store.bulk_extend(_given("nanopubs.trig", nanopubs, each))
    return store


def _given(
    name: str, quads: Iterable[ox.Quad], each: Callable[[str, ox.Quad], object] | None
) -> Iterator[ox.Quad]:
    """``quads`` (of the file ``name``), each given to ``each`` on its way."""
    for quad in quads:
        if each is not None:
            each(name, quad)
        yield quad


def _parse(name: str, path: Path, rdf_format: ox.RdfFormat) -> Iterator[ox.Quad]:
    """The quads of the file ``path``, read as a stream.

    :raises InputError: it is not valid RDF (raised as the quads are read)
    """
    try:
        yield from ox.parse(path=str(path), format=rdf_format)
    except SyntaxError as error:
        raise InputError(name, error.lineno, None, f"not valid RDF: {error.msg}") from error


def _nanopub_quads(collection: Path) -> Iterator[ox.Quad]:
    """The nanopublications' quads but their assertions, and each claim of an assertion
    ``dct:isReferencedBy`` its nanopublication (in the default graph): the collection read
    twice as a stream, its assertions' graphs first."""
    has_assertion = str(NP.hasAssertion)
    assertions = {
        _v(q.object): q.subject
        for q in _parse("nanopubs.trig", collection, ox.RdfFormat.TRIG)
        if _v(q.predicate) == has_assertion and isinstance(q.subject, ox.NamedNode)
    }
    referenced = ox.NamedNode(str(DCTERMS.isReferencedBy))
    for quad in _parse("nanopubs.trig", collection, ox.RdfFormat.TRIG):
        nanopub = assertions.get(_v(quad.graph_name))
        if nanopub is None:
            yield quad
        elif quad.predicate == _TYPE and _v(quad.object) == str(KGO.Claim):
            yield ox.Quad(quad.subject, referenced, nanopub, ox.DefaultGraph())


def named_graphs(store: ox.Store) -> set[str]:
    """The named graphs of the release under the site's root."""
    return {
        name.value
        for name in store.named_graphs()
        if isinstance(name, ox.NamedNode) and name.value.startswith(ROOT)
    }


class GraphSizes:
    """The triples and subjects of each named graph under the site's root, counted as the
    release goes into its store (:func:`load_release`'s ``each``), not read back from it (a
    store on disk is read ten times slower than one in memory). They are the store's only
    when no statement can have come twice (:attr:`exact`): graph.nq's quads strictly
    increasing, as kg build writes them (sorted, each once), and no other file's quad in
    such a graph."""

    def __init__(self) -> None:
        self.triples: Counter[str] = Counter()
        self.subjects: dict[str, set[ox.NamedNode | ox.BlankNode | ox.Triple]] = defaultdict(set)
        self.exact = True
        self._last = ""

    def add(self, name: str, quad: ox.Quad) -> None:
        """Count one quad of the file ``name`` as it goes into the store."""
        if not self.count(quad):
            return
        text = str(quad)
        if name != "graph.nq" or text <= self._last:
            self.exact = False  # it may be in the store already: counted from the store
        self._last = text

    def count(self, quad: ox.Quad) -> bool:
        """Count ``quad`` if it is in a named graph under the site's root; whether it is."""
        graph = quad.graph_name
        if not (isinstance(graph, ox.NamedNode) and graph.value.startswith(ROOT)):
            return False
        self.triples[graph.value] += 1
        self.subjects[graph.value].add(quad.subject)
        return True


def site_statements(
    store: ox.Store, version: str | None, sizes: GraphSizes | None = None
) -> list[ox.Quad]:
    """A description of each named graph of the release under the site's root: what it
    holds, the resources it describes (its subjects), its triples and distinct subjects, the
    file it is in (``graph.nq`` of the release ``version``), and that file's dataset has it as
    a subset. ``sizes``: the graphs counted as the store was loaded, used when exact."""
    if sizes is None or not sizes.exact:
        sizes = GraphSizes()
        for quad in store:
            sizes.count(quad)
    triples, subjects = sizes.triples, sizes.subjects
    found: list[ox.Quad] = []

    def add(subject: str, predicate: str, obj: ox.NamedNode | ox.Literal) -> None:
        found.append(ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), obj))

    dump = f"{ROOT}download/{version}/graph.nq" if version else None
    for graph in sorted(triples):
        words = GRAPH_WORDS.get(graph, _SOURCE_WORDS)
        add(graph, str(RDF.type), ox.NamedNode(str(VOID.Dataset)))
        add(graph, str(RDFS.label), ox.Literal(f"named graph: {words}", language="en"))
        add(graph, str(VOID.triples), _integer(triples[graph]))
        add(graph, str(VOID.distinctSubjects), _integer(len(subjects[graph])))
        for subject in sorted(subjects[graph], key=str):
            if isinstance(subject, ox.NamedNode):
                add(graph, _TOPIC, subject)
        if dump:
            add(graph, str(VOID.dataDump), ox.NamedNode(dump))
            add(f"{ROOT}release/{version}/graph.nq", str(VOID.subset), ox.NamedNode(graph))
    return found


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))


def see_also(
    triples: Iterable[ox.Triple], described: Mapping[str, str], itself: str
) -> list[ox.Triple]:
    """For each outside resource the ``triples`` name that the site describes (``described``:
    its IRI -> its document's path, ``doc/external/<name>``; a ``#`` IRI by the IRI before its
    ``#``), but ``itself``: ``rdfs:seeAlso`` its record on the site, ``…/id/external/<name>``.

    >>> iri = "http://purl.obolibrary.org/obo/MONDO_1"
    >>> t = ox.Triple(ox.NamedNode(ROOT + "id/c"), _LABEL, ox.NamedNode(iri))
    >>> [str(x) for x in see_also([t], {iri: "doc/external/MONDO-1"}, ROOT + "id/c")]
    ['<http://purl.obolibrary.org/obo/MONDO_1> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <https://w3id.org/drugclaims/id/external/MONDO-1>']
    """
    named = {
        _v(term)
        for triple in triples
        for term in (triple.subject, triple.object)
        if isinstance(term, ox.NamedNode)
    }
    found = []
    for iri in sorted(named):
        key = iri if iri in described else iri.split("#", 1)[0]  # a # IRI: its document's
        if key != itself and key in described:
            record = ROOT + "id/" + described[key][4:]
            found.append(ox.Triple(ox.NamedNode(iri), _SEE_ALSO, ox.NamedNode(record)))
    return found
