"""The shapes: the release conforms; each invalid fixture (a SPARQL Update of the release in
tests/shapes/invalid/) breaks exactly one constraint, and exactly that one is reported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Store
from pyoxigraph import parse as ox_parse
from pyshacl import validate as pyshacl_validate
from rdflib import Graph

from kg.build.units import read_shapes, validate_graphs, validation_units
from kg.namespaces import KGO, SH, SHAPES
from kg.rdf.mint import CATALOGUE_GRAPH
from kg.validation.report import Report
from kg.validation.shacl import load_shapes, rudof_conforms, validate

ROOT = Path(__file__).resolve().parents[1]
SHAPE_FILES = sorted((ROOT / "shapes").glob("*.ttl"))
INVALID = sorted((Path(__file__).parent / "shapes" / "invalid").glob("*.ru"))


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(SHAPE_FILES)


def store_of(release: Path) -> Store:
    store = Store()
    store.load(path=str(release / "graph.nt"), format=RdfFormat.N_TRIPLES)
    return store


def reported(report: Report) -> set[str]:
    return {row.shape for row in report.rows}


def test_release_conforms(release: Path, shapes: Graph) -> None:
    report = validate(store_of(release), shapes)
    assert report.conforms, report.text()
    assert report.rows == ()


@pytest.mark.parametrize("fixture", INVALID, ids=[f.stem for f in INVALID])
def test_invalid_fixture_breaks_exactly_its_shape(
    fixture: Path, release: Path, shapes: Graph
) -> None:
    text = fixture.read_text(encoding="utf-8")
    expected = re.search(r"^# expect: (\S+)$", text, re.MULTILINE)
    assert expected, f"{fixture.name} does not say which shape it breaks"
    store = store_of(release)
    before = set(store)
    store.update(text)
    assert set(store) != before, f"{fixture.name} changed nothing"
    report = validate(store, shapes)
    assert not report.conforms
    assert reported(report) == {expected.group(1)}, report.text()
    for row in report.rows:  # a core constraint's line says what it allows
        assert row.allowed or row.component == "SPARQLConstraintComponent", row


def test_every_shape_is_named_and_documented(shapes: Graph) -> None:
    shape_nodes = set(shapes.subjects(SH.path, None)) | set(
        shapes.subjects(predicate=None, object=SH.NodeShape)
    )
    assert len(shape_nodes) > 40
    for shape in shape_nodes:
        assert str(shape).startswith(str(SHAPES)), f"unnamed shape {shape}"
        for prop in (SH.name, SH.description, SH.severity):
            assert shapes.value(shape, prop) is not None, f"{shape} has no {prop}"
    for shape in set(shapes.subjects(SH.path, None)):
        assert shapes.value(shape, SH.message) is not None, f"{shape} has no sh:message"


def test_every_constraint_is_exercised_by_a_fixture(shapes: Graph) -> None:
    """Each property shape and SPARQL constraint has an invalid fixture that trips it."""
    covered = {
        re.search(r"^# expect: kgs:(\S+)$", f.read_text(), re.MULTILINE).group(1)  # type: ignore[union-attr]
        for f in INVALID
    }
    constraints = {str(s).removeprefix(str(SHAPES)) for s in shapes.subjects(SH.path, None)}
    constraints |= {
        str(s).removeprefix(str(SHAPES)) for s in shapes.subjects(None, SH.SPARQLConstraint)
    }
    untested = constraints - covered
    # Reported only inside the result of the shape that nests it (sh:node), as sh:detail.
    allowed_untested = {"CatalogueEntityShape-category"}
    assert untested <= allowed_untested, f"constraints with no invalid fixture: {untested}"
    assert len(covered) >= 50


def test_shapes_pass_shacl_for_shacl(shapes: Graph) -> None:
    """The shapes themselves conform to the SHACL-for-SHACL shapes (pyshacl's meta-shacl)."""
    conforms, _, text = pyshacl_validate(Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def graphs_of(store: Store, release: Path) -> dict[str, list[str]]:
    """The graphs the build validates, recovered from a (changed) release: each triple goes to
    the named graph it has in graph.nq; a new one to the graph of a triple with the same subject
    and predicate, else to the graph of its subject."""
    home: dict[str, str] = {}
    graph_of: dict[tuple[str, ...], str] = {}
    for quad in ox_parse(path=str(release / "graph.nq"), format=RdfFormat.N_QUADS):
        key = (str(quad.subject), str(quad.predicate), str(quad.object))
        graph_of[key] = graph_of[key[:2]] = quad.graph_name.value
        home.setdefault(str(quad.subject), quad.graph_name.value)
    graphs: dict[str, list[str]] = {}
    for quad in store:
        key = (str(quad.subject), str(quad.predicate), str(quad.object))
        name = graph_of.get(key) or graph_of.get(key[:2]) or home.get(key[0])
        graphs.setdefault(name or str(CATALOGUE_GRAPH), []).append(" ".join(key))
    return graphs


@pytest.mark.slow
@pytest.mark.parametrize("fixture", INVALID, ids=[f.stem for f in INVALID])
def test_the_build_validating_part_by_part_finds_the_same(
    fixture: Path, release: Path, shapes: Graph
) -> None:
    """The build validates each source with what its shapes need, not the whole graph: every
    invalid fixture still trips exactly its shape that way."""
    text = fixture.read_text(encoding="utf-8")
    expected = re.search(r"^# expect: (\S+)$", text, re.MULTILINE)
    assert expected
    store = store_of(release)
    store.update(text)
    report = validate_graphs(graphs_of(store, release), SHAPE_FILES)
    assert not report.conforms
    assert reported(report) == {expected.group(1)}, report.text()


@pytest.mark.slow
@pytest.mark.parametrize("fixture", INVALID, ids=[f.stem for f in INVALID])
def test_rudof_sends_every_invalid_fixture_to_pyshacl(fixture: Path, release: Path) -> None:
    """rudof is the build's first pass: a unit it passes is not validated again. It must find
    each fixture's unit not conforming (False: not None, which would mean rudof failed and
    pySHACL judged alone), and pass the units of the valid release."""
    shapes = read_shapes(SHAPE_FILES)
    store = store_of(release)
    units = validation_units(shapes, graphs_of(store, release))
    assert {rudof_conforms(shapes, u[0], u[1]) for u in units} == {True}
    store.update(fixture.read_text(encoding="utf-8"))
    units = validation_units(shapes, graphs_of(store, release))
    verdicts = [rudof_conforms(shapes, u[0], u[1]) for u in units]
    assert None not in verdicts
    assert False in verdicts


def test_the_release_conforms_part_by_part(release: Path, shapes: Graph) -> None:
    report = validate_graphs(graphs_of(store_of(release), release), SHAPE_FILES)
    assert report.conforms, report.text()


#: The constraints that say what type a value must be.
VALUE_TYPE = ("datatype", "class", "node", "in", "pattern", "nodeKind", "or")


def test_every_qualifier_has_its_value_type_enforced(shapes: Graph) -> None:
    """Every qualifier of catalogue/qualifiers.yaml (the properties a claim may carry, read from
    the data file, so a qualifier added there needs a shape too) is the path of a property shape
    of the claim shape that constrains its values' type."""
    import yaml

    table = yaml.safe_load((ROOT / "catalogue" / "qualifiers.yaml").read_text(encoding="utf-8"))
    prefixes = {"biolink": "https://w3id.org/biolink/vocab/", "kgo": str(KGO)}
    claim = SHAPES["ClaimShape"]
    typed = {
        str(path)
        for prop in shapes.objects(claim, SH.property)
        for path in shapes.objects(prop, SH.path)
        if any(shapes.value(prop, SH[c]) is not None for c in VALUE_TYPE)
    }
    assert len(table["qualifiers"]) >= 30
    missing = []
    for name, row in table["qualifiers"].items():
        prefix, local = row["property"].split(":", 1)
        if prefixes[prefix] + local not in typed:
            missing.append(name)
    assert missing == [], f"qualifiers with no shape enforcing their values' type: {missing}"
