"""Curation corrections checked against the source text, and the rule that the project stands on
its own: nothing in it reads or cites a file outside the repository."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDFS as RDFS_NS
from rdflib.namespace import SKOS
from test_bad_input import line_of

from kg.namespaces import BIOLINK
from kg.namespaces import KGO as KGO_CODE

KGO = Namespace(str(KGO_CODE._NS))  # open: the tests name terms the code does not use

ROOT = Path(__file__).resolve().parents[1]
CLAIM = "https://w3id.org/drugclaims/id/pubmed-22870448/claim/"
SNRI = URIRef("http://id.nlm.nih.gov/mesh/D000068760")
ATC_N06AX = URIRef("http://www.whocc.no/atc_ddd_index/?code=N06AX")
#: The team's reference folder beside the repository and its identifier table, spelt so that
#: this file does not name them itself.
OUTSIDE_FOLDER, OUTSIDE_TABLE = "../" + "shared", "identifiers" + ".md"
#: What a fresh clone has; a test, the build and the release must not need anything else.
PROJECT_TREES = (
    "README.md",
    "pyproject.toml",
    "dataset.yaml",
    ".ci",
    "bench",
    "catalogue",
    "dist",
    "kg",
    "ontology",
    "queries",
    "shapes",
    "sources",
    "tests",
)


@pytest.fixture(scope="module")
def graph(release: Path) -> Graph:
    return Graph().parse(release / "graph.nt", format="nt")


def _project_files() -> list[Path]:
    files: list[Path] = []
    for name in PROJECT_TREES:
        path = ROOT / name
        files += [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return [p for p in files if "__pycache__" not in p.parts]


def test_nothing_refers_to_files_outside_the_repository() -> None:
    """A user's clone has only the repository: no test, build step or published text may name
    the team's reference folder beside it, or its identifier table."""
    this = Path(__file__).resolve()
    for path in _project_files():
        if path.resolve() == this:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for needle in (OUTSIDE_FOLDER, OUTSIDE_TABLE):
            assert needle not in text, f"{path.relative_to(ROOT)} mentions {needle}"


def test_most_adverse_events_not_all_are_pharmacologic(graph: Graph) -> None:
    """The source says "Most adverse events were ... related to the intrinsic pharmacologic
    properties": the claim carries the quantifier, and its quote the word. "Most" is a share of
    the adverse events (kgo:eventsQuantifier), never of the patients (kgo:patientsQuantifier),
    and the claim's reading says so."""
    for key in ("adverse-events-pharmacologic", "adverse-events-mild-to-moderate"):
        claim = URIRef(CLAIM + key)
        assert graph.value(claim, KGO.eventsQuantifier) == Literal("most")
        assert graph.value(claim, KGO.patientsQuantifier) is None
        assert str(graph.value(claim, BIOLINK.supporting_text)).startswith("Most adverse events")
        assert "most of these events" in str(graph.value(claim, KGO.reading))
        assert "patients" not in str(graph.value(claim, KGO.reading))
    # the patients' share, where the source gives one, is its own qualifier
    heart = URIRef(CLAIM + "heart-rate-increase")
    assert graph.value(heart, KGO.patientsQuantifier) == Literal("some")
    assert graph.value(heart, KGO.eventsQuantifier) is None


def test_atc_other_antidepressants_is_not_broader_than_snri(graph: Graph) -> None:
    assert (SNRI, SKOS.broadMatch, ATC_N06AX) not in graph
    assert (SNRI, SKOS.relatedMatch, ATC_N06AX) in graph


def test_no_published_label_has_a_stray_quote(graph: Graph) -> None:
    labels = [
        str(o)
        for p in (SKOS.altLabel, URIRef("https://w3id.org/sssom/object_label"))
        for o in graph.objects(None, p)
    ]
    assert "Cognitive Dysfunction" in labels
    assert not [label for label in labels if '"' in label]


def test_a_label_typo_fails_the_build(project: Path, kg: Callable[..., Result]) -> None:
    """The typo once published (`label: Cognitive Dysfunction"`) now stops the build."""
    entities = project / "catalogue" / "entities.yaml"
    text = entities.read_text(encoding="utf-8")
    good = "{id: mesh:D060825, label: Cognitive Dysfunction}"
    assert good in text
    entities.write_text(text.replace(good, '{id: mesh:D060825, label: Cognitive Dysfunction"}'))
    before = {p: p.read_bytes() for p in (project / "dist").rglob("*") if p.is_file()}
    result = kg("--project", project, "build")
    assert result.exit_code == 1, result.stderr
    line = line_of(entities, 'label: Cognitive Dysfunction"}')
    where = f"catalogue/entities.yaml:{line}"
    expected = f"{where}: entity 'dyscognition': exact: label: 'Cognitive Dysfunction\"'"
    assert expected in result.stderr
    assert {p: p.read_bytes() for p in (project / "dist").rglob("*") if p.is_file()} == before


def test_the_hypotheses_and_findings_name_fibromyalgia_not_only_pain(graph: Graph) -> None:
    """ "Pain and other fibromyalgia symptoms" (the hypothesis) and "pain and other symptoms"
    (the finding): each has a claim about pain and one about fibromyalgia."""
    pain = URIRef("http://purl.obolibrary.org/obo/HP_0012531")
    fibromyalgia = URIRef("http://purl.obolibrary.org/obo/MONDO_0005546")
    expected = {
        "hypothesized-symptom-improvement": (pain, KGO.Hypothesis),
        "hypothesized-fibromyalgia-improvement": (fibromyalgia, KGO.Hypothesis),
        "pain-improvement-reported": (pain, KGO.Asserted),
        "symptom-improvement-reported": (fibromyalgia, KGO.Asserted),
    }
    for key, (obj, status) in expected.items():
        claim = URIRef(CLAIM + key)
        assert graph.value(claim, BIOLINK.predicate) == BIOLINK.ameliorates_condition, key
        assert (graph.value(claim, BIOLINK.object), graph.value(claim, KGO.epistemicStatus)) == (
            obj,
            status,
        ), key


def test_the_side_effects_hypothesis_says_some_not_all(graph: Graph) -> None:
    """ "Without some of the unpleasant side effects associated with other medications": a
    hypothesis that milnacipran would be without some (not all) of those side effects, with a
    predicate of the project's own (Biolink has none) whose Biolink edge is its superproperty
    (related_to): never a negation, which would say none of them; never asserted."""
    claim = URIRef(CLAIM + "hypothesized-fewer-side-effects")
    predicate = KGO.withoutSomeSideEffectsOf
    assert graph.value(claim, BIOLINK.predicate) == predicate
    assert graph.value(claim, KGO.epistemicStatus) == KGO.Hypothesis
    assert graph.value(claim, BIOLINK.negated) == Literal(False)
    assert str(graph.value(claim, BIOLINK.knowledge_level)) == "prediction"
    assert (predicate, URIRef(str(RDFS_NS) + "subPropertyOf"), BIOLINK.related_to) in graph
    assert str(graph.value(claim, BIOLINK.supporting_text)).startswith("without some of the")
    triple = (graph.value(claim, BIOLINK.subject), predicate, graph.value(claim, BIOLINK.object))
    assert triple not in graph
    assert str(graph.value(claim, KGO.reading)).startswith("hypothesised: milnacipran without some")


def test_the_class_effect_rests_on_words_in_its_quote(graph: Graph) -> None:
    """The class effect (kgo:classEffectOf) rests on "As with other serotonin and
    norepinephrine reuptake inhibitors,": the quote carries those words."""
    for key in ("heart-rate-increase", "blood-pressure-increase"):
        claim = URIRef(CLAIM + key)
        assert graph.value(claim, KGO.classEffectOf) is not None
        assert str(graph.value(claim, BIOLINK.supporting_text)).startswith(
            "As with other serotonin and norepinephrine reuptake inhibitors, increases"
        )


def test_no_published_text_cites_a_file_outside_the_repository(release: Path) -> None:
    """The release is read by people without this repository's design notes: no comment, note
    or label in it names a file they do not have."""
    for path in sorted(release.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for needle in ("DESIGN" + ".md", OUTSIDE_FOLDER):
                assert needle not in text, path.name
