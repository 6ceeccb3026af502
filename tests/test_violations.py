"""Shape violations as a curator reads them: a curation mistake only the shapes catch stops
the build (exit 1) with one line a violation, ``file:line: record: field: value what is wrong
(allowed: ...)``, naming the curated record that made it; and the index that traces a
violation is made from the model's records, only for a graph that does not conform."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from test_bad_input import line_of

from kg.build.pipeline import Prepared, prepare
from kg.build.units import build_source, source_graph_of
from kg.curation.project import Project
from kg.curation.sources import read_folder
from kg.namespaces import BIOLINK, KGO, RDF, RDFS
from kg.rdf.origins import Origins, catalogue_origins, source_origins
from kg.validation.report import ReportRow

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = "sources/pubmed-22870448/claims.yaml"
ENTITIES = "catalogue/entities.yaml"
DIRECTIONS = "increased, upregulated, decreased, downregulated"


@dataclass(frozen=True)
class Case:
    """A curation mistake the loaders let through to the shapes: the file, the change (old
    text -> new, the first occurrence), the text whose line the report names (a ``>`` marks
    the line within it, see test_bad_input.line_of) and the rest of the expected line."""

    name: str
    file: str
    old: str
    new: str
    at: str
    expected: str


CASES = [
    Case(
        "qualifier value outside its enumeration (sh:pattern of alternatives)",
        CLAIMS,
        "object_direction: decreased",
        "object_direction: sideways",
        "object_direction: sideways",
        "claim 'inhibits-norepinephrine-reuptake': object_direction: 'sideways' is not an "
        f"allowed value (allowed: {DIRECTIONS})",
    ),
    Case(
        "two values of a qualifier that takes one",
        CLAIMS,
        "object_direction: decreased",
        "object_direction: [decreased, increased]",
        "object_direction: [decreased, increased]",
        "claim 'inhibits-norepinephrine-reuptake': object_direction: has too many values "
        "(allowed: at most 1 value)",
    ),
    Case(
        "qualifier text outside its pattern",
        CLAIMS,
        "jurisdiction: US",
        "jurisdiction: USA",
        "jurisdiction: USA",
        "claim 'approved-for-fibromyalgia': jurisdiction: 'USA' does not match the pattern "
        "(allowed: ^[A-Z]{2}$)",
    ),
    Case(
        "knowledge level a status does not allow",
        CLAIMS,
        "    object: snri\n    status: asserted\n",
        "    object: snri\n    status: asserted\n    knowledge_level: prediction\n",
        "knowledge_level: prediction",
        "claim 'snri-class': knowledge_level: The knowledge level 'prediction' does not agree "
        "with the epistemic status 'asserted' (allowed: prediction for a hypothesis, "
        "not_provided for an assessed claim, any other level for an asserted or negated claim).",
    ),
    Case(
        "an intervention outside the shape's list (a term of the ontology, not one it allows)",
        CLAIMS,
        "      max_duration: {value: 15, unit: kgo:Month}\n    note: A finding reported",
        "      max_duration: {value: 15, unit: kgo:Month}\n"
        "      intervention: kgo:IntrinsicPharmacologicProperties\n    note: A finding reported",
        "      intervention: kgo:IntrinsicPharmacologicProperties",
        "claim 'pain-improvement-reported': intervention: kgo:IntrinsicPharmacologicProperties "
        "is not an allowed value (allowed: kgo:Withdrawal, kgo:Continuation)",
    ),
    Case(
        "an entity's synonym with an unbalanced bracket",
        ENTITIES,
        "synonyms: [dyscognition]",
        "synonyms: [dyscognition (brain fog]",
        "synonyms: [dyscognition (brain fog]",
        "entity 'dyscognition': synonyms: 'dyscognition (brain fog' does not match the pattern "
        '(allowed: ^(?:[^"()\\[\\]{}]|\\([^"()\\[\\]{}]*\\)|\\[[^"()\\[\\]{}]*\\])+$)',
    ),
    Case(
        "an external entity with no cross-reference",
        ENTITIES,
        "    exact:\n      - {id: mesh:D060825, label: Cognitive Dysfunction}\n"
        "      - umls:C0338656\n    narrow:\n      - {id: hp:0033630, label: Brain fog}\n",
        "",
        "  - key: dyscognition\n>    id: hp:0100543",
        "entity 'dyscognition': id: External entity http://purl.obolibrary.org/obo/HP_0100543 "
        "has no cross-reference, no SSSOM mapping record (allowed: an entity with another "
        "authority's identifier and at least one exact, close, broad, narrow or related "
        "mapping, or one of this project's own, with no id).",
    ),
]


def edit(project: Path, case: Case) -> str:
    """Make the case's change; the line the report should name, with its file."""
    path = project / case.file
    text = path.read_text(encoding="utf-8")
    assert case.old in text, case.name
    path.write_text(text.replace(case.old, case.new, 1), encoding="utf-8")
    return f"{case.file}:{line_of(path, case.at)}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_violation_is_one_line_naming_its_record(
    case: Case, project: Path, kg: Callable[..., Result]
) -> None:
    where = edit(project, case)
    result = kg("--project", project, "build", "--no-cache")
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert f"{where}: {case.expected}" in lines, result.stderr
    assert lines[-2] == "Does not conform: 1 results."
    assert lines[-1] == "kg: the graph does not conform to the shapes; nothing was written."


def test_debug_adds_each_violation_s_shacl_result(project: Path, kg: Callable[..., Result]) -> None:
    where = edit(project, CASES[0])
    result = kg("--project", project, "--debug", "build", "--no-cache")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{where}: "))
    assert lines[index + 1].startswith(
        "  Violation: kgs:ClaimShape-objectDirection (sh:PatternConstraintComponent) on "
        "<https://w3id.org/drugclaims/id/pubmed-22870448/claim/inhibits-norepinephrine-reuptake>"
        " (path biolink:object_direction_qualifier), value 'sideways'"
    )
    assert "DirectionQualifierEnum" in lines[index + 2]


def test_a_cached_verdict_keeps_its_lines(project: Path, kg: Callable[..., Result]) -> None:
    """The second build reads the failing source's verdict from the cache: the same lines."""
    edit(project, CASES[0])
    first = kg("--project", project, "build")
    again = kg("--project", project, "build")
    assert first.exit_code == again.exit_code == 1
    assert first.stderr == again.stderr


def test_validate_traces_the_project_s_release_while_its_curation_is_the_same(
    project: Path, kg: Callable[..., Result]
) -> None:
    """kg validate of the project's own release names the curated record, while the
    curation files are those the release was built from; after an edit, the focus node."""
    nquads = project / "dist" / "graph.nq"
    data = nquads.read_text(encoding="utf-8")
    nquads.write_text(data.replace('"decreased"', '"sideways"', 1), encoding="utf-8")
    traced = kg("--project", project, "validate")
    assert traced.exit_code == 1
    (line,) = traced.stdout.splitlines()[:-1]
    assert line.startswith(f"{CLAIMS}:")
    assert line.endswith(
        f"object_direction: 'sideways' is not an allowed value (allowed: {DIRECTIONS})"
    )
    claims = project / CLAIMS
    claims.write_text(claims.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    untraced = kg("--project", project, "validate")
    assert untraced.exit_code == 1
    (line,) = untraced.stdout.splitlines()[:-1]
    assert line.startswith("<https://w3id.org/drugclaims/id/pubmed-22870448/claim/")
    assert (
        ": kgs:ClaimShape-objectDirection: biolink:object_direction_qualifier: 'sideways'" in line
    )


# --- the index ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prepared() -> Prepared:
    return prepare(Project(ROOT))


def test_a_conforming_source_never_builds_the_index(
    prepared: Prepared, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> Origins:
        raise AssertionError("the index was built for a conforming source")

    monkeypatch.setattr("kg.build.units.source_origins", refuse)
    monkeypatch.setattr("kg.build.units.catalogue_origins", refuse)
    files = read_folder(ROOT / "sources" / "pubmed-22870448", root=ROOT)
    assert build_source(prepared.context, files).verdict == (True, ())


#: The claim's properties no field of its record makes (the build writes them for every claim).
GENERATED = {RDF.type, RDFS.label, KGO.reading, BIOLINK.agent_type, BIOLINK.publications}


def test_every_curated_property_of_a_claim_names_its_field(prepared: Prepared) -> None:
    """Each property the graph states of a claim (but those the build writes for every
    claim) is traced to a field of the claim's record, and each node minted for a claim (its
    evidence, its quantities) to the claim's record: the index and kg.rdf.mint agree."""
    files = read_folder(ROOT / "sources" / "pubmed-22870448", root=ROOT)
    source, views, graph = source_graph_of(prepared.context, files)
    origins = source_origins(source, views).add(catalogue_origins([]))
    claims = {str(view.iri): view.key for view in views}
    for subject, predicate, value in graph:
        name = str(subject)
        claim = next((iri for iri in claims if name == iri or name.startswith(iri + "/")), None)
        if claim is None or (predicate in GENERATED and name == claim):
            continue
        where = origins.where(name, str(predicate), str(value))
        assert where is not None, (subject, predicate)
        assert where.file == "sources/pubmed-22870448/claims.yaml"
        assert where.record == f"claim {claims[claim]!r}"
        assert where.field, (subject, predicate)


def test_an_untraced_violation_keeps_its_focus_node() -> None:
    row = ReportRow(
        severity="Violation",
        shape="kgs:EntityShape-category",
        focus="<https://example.org/thing>",
        path="<https://w3id.org/biolink/vocab/category>",
        message="An entity's category must be a Biolink class.",
        value="<https://example.org/Class>",
        component="PatternConstraintComponent",
        problem="does not match the pattern",
        allowed="^x$",
    )
    assert row.traced(Origins()) == row
    assert row.line() == (
        "<https://example.org/thing>: kgs:EntityShape-category: biolink:category: "
        "<https://example.org/Class> does not match the pattern (allowed: ^x$)"
    )
