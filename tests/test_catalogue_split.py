"""The catalogue's shapes checked once (kg.validation.catalogue): which shapes a source's unit
may leave out, and that leaving them out never lets a wrong unit pass: a source's line that
one of them would read, or a target of theirs in a source, puts them back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph
from test_shapes import INVALID, SHAPE_FILES, graphs_of, store_of

from kg.build.units import read_shapes, validate_graphs, validation_units
from kg.namespaces import SHAPES
from kg.rdf.lines import terms_of
from kg.rdf.mint import CATALOGUE_GRAPH, DATASET_GRAPH, ONTOLOGY_GRAPH
from kg.validation.catalogue import reads_of, split_catalogue
from kg.validation.shacl import load_shapes, rudof_conforms

SHARED = {str(ONTOLOGY_GRAPH), str(CATALOGUE_GRAPH), str(DATASET_GRAPH)}
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
EXACT = "<http://www.w3.org/2004/02/skos/core#exactMatch>"
CATEGORY = "<https://w3id.org/biolink/vocab/category>"


@pytest.fixture(scope="module")
def graphs(release: Path) -> dict[str, list[str]]:
    return graphs_of(store_of(release), release)


def _source(graphs: dict[str, list[str]]) -> str:
    return next(name for name in sorted(graphs) if name not in SHARED)


def _entity(graphs: dict[str, list[str]], source: str) -> str:
    """An entity of the catalogue (with a category) that the source names."""
    described = {terms_of(line)[0] for line in graphs[str(CATALOGUE_GRAPH)] if CATEGORY in line}
    named = {terms_of(line)[2] for line in graphs[source]}
    return sorted(named & described)[0]


def _base(graphs: dict[str, list[str]]) -> list[str]:
    from kg.build.units import context_lines

    return list(context_lines(graphs[str(ONTOLOGY_GRAPH)], graphs[str(DATASET_GRAPH)]))


def test_the_catalogues_shapes_are_left_to_one_check(graphs: dict[str, list[str]]) -> None:
    shapes = load_shapes(SHAPE_FILES)
    split = split_catalogue(shapes, _base(graphs), graphs[str(CATALOGUE_GRAPH)])
    assert split is not None
    names = {one.name.removeprefix(f"<{SHAPES}").removesuffix(">") for one in split.left}
    assert {"EntityShape", "MappingShape", "CuratedLabelShape", "ExternalEntityShape"} <= names
    # its ?s ?p ?o reads the predicates the records' owl:annotatedProperty names
    assert "MappingRecordShape" in names
    # $this ?predicate ?value reads every predicate of an entity, as a source's lines do
    assert "BackedTripleShape" not in names
    fast = validation_units(read_shapes(SHAPE_FILES), graphs)[-1][2]
    assert fast is not None, "the project's own source leaves nothing to the catalogue's check"
    entity = f"<{SHAPES}EntityShape> <http://www.w3.org/ns/shacl#targetSubjectsOf>"
    assert entity.encode() not in fast.shapes[0][1]
    # the source's article is an entity of its own lines: checked there, by those shapes
    assert fast.focus is not None
    assert (
        f"<{SHAPES}EntityShape> <http://www.w3.org/ns/shacl#targetNode>".encode()
        in (fast.focus[0][1])
    )


@pytest.mark.parametrize(
    "change, shape",
    [
        # a source gives an entity of the catalogue a second label: EntityShape counts labels
        (lambda e: f'{e} {LABEL} "another"@en', "EntityShape-label"),
        # a label with a stray quote, on the catalogue's entity, from a source
        (lambda e: f'{e} <http://www.w3.org/2004/02/skos/core#altLabel> "a\\"b"@en', None),
        # a source maps an entity to an IRI under no declared prefix: a new mapping target
        (lambda e: f"{e} {EXACT} <https://example.org/nowhere/1>", "IdentifierPatternConstraint"),
    ],
    ids=["second-label", "stray-quote", "undeclared-target"],
)
def test_a_source_line_about_a_catalogue_entity_is_still_checked(
    graphs: dict[str, list[str]], change: object, shape: str | None
) -> None:
    changed = {name: list(lines) for name, lines in graphs.items()}
    source = _source(changed)
    line = change(_entity(changed, source))  # type: ignore[operator]
    changed[source].append(line)
    report = validate_graphs(changed, SHAPE_FILES)
    assert not report.conforms, line
    if shape is not None:
        assert any(row.shape.endswith(shape) for row in report.rows), report.text()


@pytest.mark.slow
@pytest.mark.parametrize("fixture", INVALID, ids=[f.stem for f in INVALID])
def test_the_first_pass_never_passes_what_every_shape_fails(fixture: Path, release: Path) -> None:
    """For each invalid fixture, every unit the first pass lets through (the shapes left to the
    catalogue's check out) is one rudof passes with every shape, as before."""
    text = fixture.read_text(encoding="utf-8")
    assert re.search(r"^# expect: (\S+)$", text, re.MULTILINE)
    store = store_of(release)
    store.update(text)
    shapes = read_shapes(SHAPE_FILES)
    for unit, base, fast in validation_units(shapes, graphs_of(store, release)):
        if fast is None:
            continue
        first = rudof_conforms(fast.shapes, unit, base) and (
            fast.focus is None or rudof_conforms(fast.focus, unit, base, each=True)
        )
        if first:
            assert rudof_conforms(shapes, unit, base), fixture.name


def _shape(body: str) -> Graph:
    graph = Graph()
    graph.parse(
        data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
        "ex:prefixes sh:declare [ sh:prefix 'ex' ; sh:namespace 'http://example.org/' ] .\n" + body,
        format="turtle",
    )
    return graph


def _sparql(select: str) -> Graph:
    return _shape(
        "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:t ; sh:sparql ex:C .\n"
        f'ex:C a sh:SPARQLConstraint ; sh:prefixes ex:prefixes ; sh:select """{select}""" .'
    )


@pytest.mark.parametrize(
    "graph",
    [
        _sparql("SELECT $this WHERE { $this ?p ?o }"),
        # bound to a predicate's values only inside a NOT EXISTS: $this ?p ?o reads them all
        _sparql(
            "SELECT $this WHERE { $this ?p ?o . "
            "FILTER NOT EXISTS { ?c ex:subject $this ; ex:predicate ?p } }"
        ),
        _sparql(
            "SELECT $this WHERE { OPTIONAL { $this ex:property ?p } "
            "FILTER NOT EXISTS { $this ?p ?o } }"
        ),
        _sparql(
            "SELECT $this WHERE { $this ex:a ?s . "
            "FILTER NOT EXISTS { OPTIONAL { ?s ?p ?o } $this ex:ap ?p . } }"
        ),
        _sparql(
            "SELECT $this WHERE { $this ex:ap ?p . "
            "OPTIONAL { $this ex:q ?x . OPTIONAL { ?x ?p ?o } } FILTER (!BOUND(?x)) }"
        ),
        _shape(
            "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:t ; sh:nodeKind sh:IRI .\n"
            "ex:f a sh:SPARQLFunction ; sh:select 'SELECT ?r WHERE { ?r ex:a ?o }' ."
        ),
        # an OPTIONAL in an OPTIONAL, or one written first in it: evaluated on its own, a
        # group inside an OPTIONAL's right side is not given what its left side binds
        _sparql(
            "SELECT $this WHERE { $this ex:a ?s . "
            "OPTIONAL { $this ex:q ?x . OPTIONAL { ?s ex:b ?o } } FILTER (!BOUND(?x)) }"
        ),
        _sparql(
            "SELECT $this WHERE { $this ex:a ?s . "
            "OPTIONAL { OPTIONAL { ?s ex:b ?o } $this ex:q ?x } FILTER (!BOUND(?x)) }"
        ),
        _sparql("SELECT $this WHERE { { $this ex:a ?o } UNION { ?x ex:b ?o } }"),
        _sparql("SELECT $this WHERE { $this ex:a ?o MINUS { ?o ex:b ?x } }"),
        _sparql("SELECT $this WHERE { $this ex:a/ex:b ?o }"),
        _sparql("SELECT $this WHERE { FILTER NOT EXISTS { $this ex:a/ex:b ?o } }"),
        _sparql("SELECT $this WHERE { { SELECT ?x WHERE { ?x ex:a ?y } } }"),
        _sparql("SELECT $this WHERE { GRAPH ?g { $this ex:a ?o } }"),
        _shape("ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:t ; sh:closed true ."),
        _shape("ex:S a sh:NodeShape ; sh:targetNode ex:n ; sh:nodeKind sh:IRI ."),
        _shape(
            "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:t ; sh:property ex:P .\n"
            "ex:P sh:path [ sh:inversePath ex:a ] ; sh:minCount 1 ."
        ),
        _shape(
            "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:t ; sh:property ex:P .\n"
            "ex:P sh:path ex:a ; sh:lessThan ex:b ."
        ),
    ],
    ids=[
        "variable-predicate",
        "predicate-bound-in-not-exists",
        "predicate-bound-in-optional",
        "predicate-bound-after-the-optional",
        "predicate-bound-outside-an-inner-optional",
        "sparql-function",
        "optional-in-optional",
        "optional-first-in-optional",
        "union",
        "minus",
        "path",
        "path-in-exists",
        "subquery",
        "graph",
        "closed",
        "target-node",
        "inverse-path",
        "pair-constraint",
    ],
)
def test_what_is_not_followed_is_never_left_out(graph: Graph) -> None:
    from rdflib import URIRef

    assert reads_of(graph, URIRef("http://example.org/S")) is None


def test_what_a_shape_reads() -> None:
    from rdflib import URIRef

    graph = _shape(
        "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:t ; sh:targetClass ex:K ;\n"
        "  sh:property ex:P ; sh:sparql ex:C .\n"
        "ex:P sh:path ex:a ; sh:class ex:Q ; sh:maxCount 1 .\n"
        'ex:C a sh:SPARQLConstraint ; sh:prefixes ex:prefixes ; sh:select """\n'
        "SELECT $this WHERE { ?r ex:of $this . ?r ex:b ?v .\n"
        '  FILTER NOT EXISTS { ?d a ex:Declared ; ex:ns ?n } }""" .'
    )
    reads = reads_of(graph, URIRef("http://example.org/S"))
    assert reads is not None
    ex = "http://example.org/"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    assert reads.subjects_of == {f"<{ex}t>"}
    assert reads.target_classes == {f"<{ex}K>"}
    # ?r is reached into the focus node by ex:of, then read out of by ex:b
    assert reads.out == {f"<{ex}a>", rdf_type, f"<{ex}b>"}
    assert reads.into == {f"<{ex}of>"}
    assert reads.anywhere == {
        ("<http://www.w3.org/2000/01/rdf-schema#subClassOf>", None),
        (rdf_type, f"<{ex}Declared>"),
        (f"<{ex}ns>", None),
    }


def test_a_variable_predicate_bound_to_a_predicates_values() -> None:
    """``$this ex:property ?p`` binds ?p in every solution, so ``?s ?p ?o`` reads the
    predicates ex:property's values name: resolved against the lines given."""
    from rdflib import URIRef

    graph = _sparql(
        "SELECT $this WHERE { $this ex:source ?s ; ex:property ?p ; ex:target ?o . "
        "BIND (EXISTS { ?s ?p ?o } AS ?plain) FILTER (!?plain) }"
    )
    reads = reads_of(graph, URIRef("http://example.org/S"))
    assert reads is not None
    ex = "http://example.org/"
    assert reads.out_values == {f"<{ex}property>"}
    resolved = reads.resolved([f"<{ex}r> <{ex}property> <{ex}match>", f'<{ex}r> <{ex}label> "x"'])
    assert f"<{ex}match>" in resolved.out and not resolved.out_values


def test_only_what_the_shapes_read_must_come_with_a_unit(graphs: dict[str, list[str]]) -> None:
    """A catalogue line that leads from an entity the source names to one it does not, by a
    predicate no shape left out reads, does not put them back (the other entity's lines are
    not in the unit, and need not be); one they read (a mapping record's subject) does."""
    changed = {name: list(lines) for name, lines in graphs.items()}
    source = _source(changed)
    named = _entity(changed, source)
    catalogue = changed[str(CATALOGUE_GRAPH)]
    entities = sorted({terms_of(line)[0] for line in catalogue if CATEGORY in line})
    mentioned = {term for line in changed[source] for term in terms_of(line)}
    other = next(e for e in entities if e not in mentioned)
    catalogue.append(f"{named} <http://www.w3.org/2000/01/rdf-schema#seeAlso> {other}")
    fast = validation_units(read_shapes(SHAPE_FILES), changed)[-1][2]
    assert fast is not None
    entity = f"<{SHAPES}EntityShape> <http://www.w3.org/ns/shacl#targetSubjectsOf>"
    assert entity.encode() not in fast.shapes[0][1]
    # a record whose subject is the named entity's mapping target: the shapes that read an
    # entity's records (into it by owl:annotatedSource) would see it in the whole catalogue
    record = "<https://w3id.org/drugclaims/id/mapping/test-record>"
    target = next(
        terms_of(line)[2]
        for line in catalogue
        if terms_of(line)[0] == named and "skos/core#" in line and "Match>" in line
    )
    catalogue.append(f"{record} <http://www.w3.org/2002/07/owl#annotatedSource> {target}")
    fast = validation_units(read_shapes(SHAPE_FILES), changed)[-1][2]
    assert fast is not None
    for shape in ("MappingRecordShape", "ExternalEntityShape"):
        assert f"<{SHAPES}{shape}> <http://www.w3.org/ns/shacl#target".encode() in fast.shapes[0][1]
    assert entity.encode() not in fast.shapes[0][1]


EX_PREFIXES = "@prefix ex: <http://example.org/> .\n"


@pytest.mark.parametrize(
    "select, out, anywhere",
    [
        # an EXISTS inside an EXISTS: rdflib keeps its translated group as an attribute
        ("FILTER EXISTS { $this ex:k ?k FILTER EXISTS { ?k ex:w ?y } }", {"k", "w"}, set()),
        (
            "BIND (EXISTS { $this ex:k ?k FILTER NOT EXISTS { ?k ex:w ?y } } AS ?e)",
            {"k", "w"},
            set(),
        ),
        # (an OPTIONAL's FILTER is read from what the group around it reaches: anywhere here)
        ("OPTIONAL { $this ex:k ?k FILTER EXISTS { ?k ex:w ?y } }", {"k"}, {"w"}),
        # what only a NOT EXISTS, another EXISTS or an OPTIONAL reaches is not reached outside
        ("?x ex:b ?y . FILTER NOT EXISTS { $this ex:a ?x }", {"a"}, {"b"}),
        ("FILTER NOT EXISTS { $this ex:a ?x } FILTER EXISTS { ?x ex:bad ?y }", {"a"}, {"bad"}),
        ("OPTIONAL { $this ex:a ?x } ?x ex:bad ?y", {"a"}, {"bad"}),
        # what is bound later (bottom-up) is not bound where an OPTIONAL, a BIND's EXISTS, an
        # OPTIONAL's FILTER or a nested group's FILTER is evaluated
        ("$this ex:a ?s . OPTIONAL { ?x ex:b ?y } ?s ex:c ?x", {"a", "c"}, {"b"}),
        (
            "$this ex:a ?s . BIND (EXISTS { ?x ex:b ?y } AS ?e) ?s ex:c ?x . FILTER (?e)",
            {"a", "c"},
            {"b"},
        ),
        (
            "$this ex:a ?s . OPTIONAL { ?s ex:c ?z FILTER EXISTS { ?x ex:b ?y } } ?s ex:c ?x",
            {"a", "c"},
            {"b"},
        ),
        ("$this ex:a ?s . ?s ex:c ?x . { FILTER EXISTS { ?x ex:b ?y } }", {"a", "c"}, {"b"}),
    ],
    ids=[
        "exists-in-exists",
        "exists-in-bind",
        "exists-in-optional",
        "not-exists-binds-nothing",
        "sibling-exists",
        "optional-binds-nothing",
        "optional-before-its-binding",
        "bind-before-its-binding",
        "optional-filter-before-its-binding",
        "nested-group-filter",
    ],
)
def test_each_group_of_a_query_is_read_on_its_own(
    select: str, out: set[str], anywhere: set[str]
) -> None:
    from rdflib import URIRef

    reads = reads_of(_sparql(f"SELECT $this WHERE {{ {select} }}"), URIRef("http://example.org/S"))
    assert reads is not None
    ex = "http://example.org/"
    assert reads.out == {f"<{ex}{name}>" for name in out}
    assert {predicate for predicate, _ in reads.anywhere} == {f"<{ex}{n}>" for n in anywhere}


def test_a_line_only_every_shape_reads_is_never_passed() -> None:
    """A shape whose query reads ex:b anywhere (its ?x reached only in a NOT EXISTS): a
    source's line of ex:b fails the unit with every shape, and so with the split."""
    from kg.rdf.lines import closure_of, closures, named_terms, nt_bytes
    from kg.validation.shacl import check_unit, parse_shapes

    shapes = (
        (
            "s.ttl",
            (
                b"@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                b"@prefix ex: <http://example.org/> .\n"
                b"ex:prefixes sh:declare [ sh:prefix 'ex' ; sh:namespace 'http://example.org/' ] ."
                b"ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:cat ; sh:sparql ex:C .\n"
                b'ex:C a sh:SPARQLConstraint ; sh:prefixes ex:prefixes ; sh:select """\n'
                b'SELECT $this ?x WHERE { ?x ex:b ?y FILTER NOT EXISTS { $this ex:a ?x } }""" .'
            ),
        ),
    )
    ex = "http://example.org/"
    catalogue = [f"<{ex}e1> <{ex}cat> <{ex}C>", f"<{ex}e1> <{ex}a> <{ex}V1>"]
    base = [f"<{ex}onto> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{ex}Ontology>"]
    split = split_catalogue(parse_shapes(shapes), base, catalogue)
    assert split is not None  # ex:S is left to the catalogue's check
    for source, conforms in (
        ([f"<{ex}doc> <{ex}mentions> <{ex}e1>"], True),
        ([f"<{ex}doc> <{ex}mentions> <{ex}e1>", f'<{ex}doc> <{ex}b> "1"'], False),
    ):
        closure = closure_of(named_terms(source), closures(catalogue))
        unit, fast = nt_bytes(source, closure), split.shapes_for(source, closure)
        whole = check_unit(shapes, unit, nt_bytes(base))
        assert whole.conforms is conforms
        assert check_unit(shapes, unit, nt_bytes(base), fast).conforms is conforms


def test_a_prefix_declared_twice_is_not_followed() -> None:
    """Which namespace a query's ex: means would depend on the order rdflib gives: refused."""
    from rdflib import URIRef

    graph = _shape(
        "ex:prefixes sh:declare [ sh:prefix 'ex' ; sh:namespace 'http://example.net/' ] .\n"
        "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:t ; sh:sparql ex:C .\n"
        'ex:C a sh:SPARQLConstraint ; sh:prefixes ex:prefixes ; sh:select """\n'
        'SELECT $this WHERE { $this ex:a ?o }""" .'
    )
    assert reads_of(graph, URIRef("http://example.org/S")) is None


def test_a_blank_node_target_keeps_the_shape_in_the_unit() -> None:
    """sh:targetNode cannot name a blank node of the data: a source line that makes one a
    target keeps the shape's targets in that unit."""
    from kg.rdf.lines import closure_of, closures, named_terms
    from kg.validation.shacl import parse_shapes

    shapes = (
        (
            "s.ttl",
            b"@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
            b"ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:cat ; sh:nodeKind sh:IRI .",
        ),
    )
    ex = "http://example.org/"
    catalogue = [f"<{ex}e1> <{ex}cat> <{ex}C>"]
    base = [f"<{ex}onto> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{ex}Ontology>"]
    split = split_catalogue(parse_shapes(shapes), base, catalogue)
    assert split is not None
    iri, blank = [f"<{ex}doc> <{ex}cat> <{ex}C>"], [f"_:b1 <{ex}cat> <{ex}C>"]
    fast = split.shapes_for(iri, closure_of(named_terms(iri), closures(catalogue)))
    assert fast is not None and fast.focus is not None
    assert split.shapes_for(blank, closure_of(named_terms(blank), closures(catalogue))) is None


def test_the_catalogue_is_checked_once_by_pyshacl() -> None:
    """rudof leaves $this unbound in a nested group, pySHACL binds it: the one check of the
    catalogue is pySHACL's, so a catalogue it fails leaves no shape out."""
    from kg.validation.shacl import parse_shapes, rudof_conforms

    shapes = (
        (
            "s.ttl",
            b"@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
            b"@prefix ex: <http://example.org/> .\n"
            b"ex:prefixes sh:declare [ sh:prefix 'ex' ; sh:namespace 'http://example.org/' ] .\n"
            b"ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:a ; sh:sparql ex:C .\n"
            b'ex:C a sh:SPARQLConstraint ; sh:prefixes ex:prefixes ; sh:select """\n'
            b'SELECT $this WHERE { $this ex:a ?s . { FILTER NOT EXISTS { $this ex:b ?y } } }""" .',
        ),
    )
    ex = "http://example.org/"
    catalogue = [f"<{ex}e1> <{ex}a> <{ex}S1>", f'<{ex}e2> <{ex}b> "1"']
    base = [f"<{ex}onto> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{ex}Ontology>"]
    from kg.rdf.lines import nt_bytes

    if rudof_conforms(shapes, nt_bytes(base, catalogue)) is not True:
        pytest.skip("rudof reads this query as pySHACL does now")
    assert split_catalogue(parse_shapes(shapes), base, catalogue) is None


def test_shapes_with_rules_leave_nothing_out() -> None:
    """A SHACL-AF rule adds lines before validation: on the whole catalogue it may add what a
    shape needs, and not in a unit that lacks the rule's focus node."""
    from kg.validation.shacl import parse_shapes

    shapes = (
        (
            "s.ttl",
            b"@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
            b"@prefix ex: <http://example.org/> .\n"
            b"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
            b"ex:L a sh:NodeShape ; sh:targetSubjectsOf ex:a ;\n"
            b"  sh:property [ sh:path ex:p ; sh:minCount 1 ] .\n"
            b"ex:Thing a rdfs:Class, sh:NodeShape ; sh:rule [ a sh:TripleRule ;\n"
            b"  sh:subject [ sh:path ex:link ] ; sh:predicate ex:p ; sh:object ex:x ] .",
        ),
    )
    ex = "http://example.org/"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    catalogue = [
        f'<{ex}e1> <{ex}a> "1"',
        f"<{ex}m> {rdf_type} <{ex}Thing>",
        f"<{ex}m> <{ex}link> <{ex}e1>",
    ]
    base = [f"<{ex}onto> {rdf_type} <{ex}Ontology>"]
    assert split_catalogue(parse_shapes(shapes), base, catalogue) is None


def test_the_catalogues_check_is_kept_in_the_build_cache(
    graphs: dict[str, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pySHACL's check of the catalogue (half a second) is made once, then read from the
    build's cache by the next build (another process: the memo is emptied here); an entry
    that is damaged is not trusted, but made again."""
    import kg.build.units as units
    from kg.validation.catalogue import conforms

    calls: list[bytes] = []

    def counted(shapes: bytes, data: bytes) -> bool:
        calls.append(shapes)
        return conforms(shapes, data)

    monkeypatch.setattr(units, "conforms", counted)
    cache = tmp_path / "cache"
    found = [_split_anew(graphs, cache, monkeypatch) for _ in range(2)]
    assert len(calls) == 1 and found[0] == found[1]
    (entry,) = (cache / "catalogue-checks").rglob("*.json")
    entry.write_bytes(entry.read_bytes().replace(b"true", b"false"))  # forged
    assert _split_anew(graphs, cache, monkeypatch) == found[0]
    assert len(calls) == 2


def _split_anew(
    graphs: dict[str, list[str]], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, object]]:
    """The shapes left to the catalogue's check, with what each reads, as a new build's
    process splits them (its memo of splits empty) with the build cache ``cache``."""
    import kg.build.units as units

    monkeypatch.setattr(units, "_SPLITS", {})
    shapes, catalogue = read_shapes(SHAPE_FILES), graphs[str(CATALOGUE_GRAPH)]
    split = units.split_of(shapes, _base(graphs), catalogue, cache)
    assert split is not None
    return [(one.name, one.reads) for one in split.left]


def test_what_each_query_reads_is_kept_in_the_build_cache(
    graphs: dict[str, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rdflib's parse of the shapes' SPARQL constraints (a second a build) is made once, then
    read from the build's cache by the next build, which splits the catalogue as the first
    did; an entry that is damaged is not trusted, but made again."""
    import kg.validation.catalogue as catalogue_module

    parsed: list[str] = []
    real = catalogue_module._query_reads

    def counted(text: str, namespaces: dict[str, str]) -> object:
        parsed.append(text)
        return real(text, namespaces)

    monkeypatch.setattr(catalogue_module, "_query_reads", counted)
    cache = tmp_path / "cache"
    splits = [_split_anew(graphs, cache, monkeypatch) for _ in range(2)]
    first = len(parsed)
    assert first > 0 and len(set(parsed)) == first  # each query parsed once, by the first
    assert splits[0] == splits[1]
    entries = sorted((cache / "query-reads").rglob("*.json"))
    assert len(entries) == first
    forged = next(e for e in entries if b'"reads"' in e.read_bytes())  # one the split uses
    forged.write_bytes(forged.read_bytes().replace(b'"reads"', b'"refused"', 1))
    assert _split_anew(graphs, cache, monkeypatch) == splits[0]
    assert len(parsed) == first + 1  # the forged entry's query, parsed again


class _DictMemo(dict[str, object]):
    def put(self, key: str, content: object) -> None:
        self[key] = content


def test_a_query_it_does_not_follow_is_remembered_so() -> None:
    """A query the reading refuses (here one that reads another graph) is kept as refused, with
    its reason; an answer of the wrong shape in the memo is read as no answer."""
    from kg.validation.catalogue import Reads, query_reads

    memo = _DictMemo()
    # a predicate read anywhere with any object, and with one object: kept and read back
    anywhere = "SELECT $this WHERE { $this a ?k . ?a a ex:Article . ?b a ?c }"
    kept = query_reads(anywhere, {"ex": "http://example.org/"}, memo)
    assert isinstance(kept, Reads)
    assert {(p, o) for p, o in kept.anywhere if p.endswith("#type>")} == {
        ("<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", None),
        ("<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", "<http://example.org/Article>"),
    }
    assert query_reads(anywhere, {"ex": "http://example.org/"}, memo) == kept
    memo.clear()
    text = "SELECT $this WHERE { GRAPH ?g { $this ?p ?o } }"
    refused = query_reads(text, {}, memo)
    assert isinstance(refused, str) and refused
    assert query_reads(text, {}, memo) == refused and len(memo) == 1
    followed = "SELECT $this WHERE { $this ex:p ?o . ?o ex:q ?r }"
    reads = query_reads(followed, {"ex": "http://example.org/"}, memo)
    assert isinstance(reads, Reads) and "<http://example.org/p>" in reads.out
    for key in [k for k in memo if memo[k] != {"refused": refused}]:
        kept = memo[key]
        assert isinstance(kept, dict)
        assert query_reads(followed, {"ex": "http://example.org/"}, memo) == reads
        memo[key] = {"reads": {**kept["reads"], "out": [1]}}  # not a term
        assert query_reads(followed, {"ex": "http://example.org/"}, memo) == reads
        assert memo[key] == kept  # made again and kept
