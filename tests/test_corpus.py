"""What holds for any corpus: a copy of the project with an invented source added (from
tests/fixtures/extra-source) builds and conforms, and every format publishes every claim of
every source, each source in its named graph. What the checks expect (the claims, their IRIs,
the sources) is read from the copy's own dataset.yaml and curation files, never counted here.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import ROOT, claim_iris, copy_project, project_claims, project_sources, source_graphs
from test_one_meaning import check_release

import kg
from kg.cli import main
from kg.rdf.mint import CATALOGUE_GRAPH, DATASET_GRAPH, ONTOLOGY_GRAPH

EXTRA = Path(__file__).parent / "fixtures" / "extra-source"
CLAIM_CLASS = ox.NamedNode("https://w3id.org/drugclaims/ontology#Claim")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
VOID = "http://rdfs.org/ns/void#"
GRAPHS = {
    "graph.nt": ox.RdfFormat.N_TRIPLES,
    "graph.nq": ox.RdfFormat.N_QUADS,
    "graph.ttl": ox.RdfFormat.TURTLE,
    "graph.jsonld": ox.RdfFormat.JSON_LD,
    "nanopubs.trig": ox.RdfFormat.TRIG,
}


def add_extra_sources(project: Path) -> list[Path]:
    """Add the source folders of tests/fixtures/extra-source to a copy of the project, listed
    in its dataset.yaml, with the catalogue entities they need; returns the folders added."""
    entities = project / "catalogue" / "entities.yaml"
    catalogue = yaml.safe_load(entities.read_text(encoding="utf-8"))
    extra = yaml.safe_load((EXTRA / "catalogue" / "entities.yaml").read_text(encoding="utf-8"))
    catalogue["entities"] += extra["entities"]
    entities.write_text(yaml.safe_dump(catalogue, sort_keys=False, allow_unicode=True))
    dataset = yaml.safe_load((project / "dataset.yaml").read_text(encoding="utf-8"))
    added = []
    for folder in sorted((EXTRA / "sources").iterdir()):
        added.append(shutil.copytree(folder, project / "sources" / folder.name))
        dataset["sources"].append(f"sources/{folder.name}")
    (project / "dataset.yaml").write_text(yaml.safe_dump(dataset, sort_keys=False))
    return added


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Result]:
    """A copy of the project with the extra source, its release and what `kg build` said."""
    project = copy_project(tmp_path_factory.mktemp("corpus") / "project")
    add_extra_sources(project)
    out = project / "release"
    result = CliRunner().invoke(main, ["--project", str(project), "build", "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    return project, out, result


def claims_typed_in(path: Path, rdf_format: ox.RdfFormat) -> set[str]:
    """The subjects an RDF file types kgo:Claim."""
    return {
        q.subject.value
        for q in ox.parse(path=str(path), format=rdf_format)
        if q.predicate == RDF_TYPE and q.object == CLAIM_CLASS
    }


def test_the_invented_source_is_not_in_the_project() -> None:
    """The extra source is test data only: no folder, listing or text of it in the project."""
    for folder in (EXTRA / "sources").iterdir():
        assert not (ROOT / "sources" / folder.name).exists()
        assert folder.name not in (ROOT / "dataset.yaml").read_text(encoding="utf-8")
        text = (folder / "source.txt").read_text(encoding="utf-8")
        doi = yaml.safe_load((folder / "source.yaml").read_text())["article"]["id"]
        assert doi.split(":", 1)[1] in text
        assert doi.split(":", 1)[1] not in (ROOT / "dist" / "graph.nt").read_text()


@pytest.mark.slow
def test_a_larger_corpus_builds_and_conforms(corpus: tuple[Path, Path, Result]) -> None:
    """The build conforms source by source, and the assembled graph (where a triple two sources
    state is kept once) conforms as a whole."""
    project, release, result = corpus
    added = list((EXTRA / "sources").iterdir())
    assert len(project_sources(project)) == len(project_sources()) + len(added)
    assert f"built {project_claims(project)} claims" in result.stderr
    assert "conforms" in result.stderr
    whole = kg.validate(release / "graph.nt", project=project)
    assert whole.conforms, whole.text()


@pytest.mark.slow
def test_every_format_holds_every_claim(corpus: tuple[Path, Path, Result]) -> None:
    project, release, _ = corpus
    expected = claim_iris(project)
    assert len(expected) == project_claims(project) > project_claims()
    for name, rdf_format in GRAPHS.items():
        assert claims_typed_in(release / name, rdf_format) == expected, name
    with (release / "claims.csv").open(encoding="utf-8", newline="") as table:
        rows = [row["claim"] for row in csv.DictReader(table)]
    assert sorted(rows) == sorted(expected)
    edges = [json.loads(line)["id"] for line in (release / "kgx_edges.jsonl").open()]
    assert sorted(edges) == sorted(expected)
    tsv = (release / "kgx_edges.tsv").read_text(encoding="utf-8")
    assert sorted(r["id"] for r in csv.DictReader(io.StringIO(tsv), delimiter="\t")) == sorted(
        expected
    )
    nanopubs = sorted((release / "nanopubs").glob("*/*.trig"))
    assert {iri for path in nanopubs for iri in claims_typed_in(path, ox.RdfFormat.TRIG)} == (
        expected
    )
    assert len(nanopubs) == len(expected)
    void = list(ox.parse(path=str(release / "void.ttl"), format=ox.RdfFormat.TURTLE))
    classes = {q.subject: q.object for q in void if q.predicate.value == VOID + "class"}
    counted = [  # the class partition of kgo:Claim of each RDF file of the release
        int(q.object.value)
        for q in void
        if q.predicate.value == VOID + "entities" and classes.get(q.subject) == CLAIM_CLASS
    ]
    assert counted and set(counted) == {len(expected)}


@pytest.mark.slow
def test_each_source_has_its_named_graph(corpus: tuple[Path, Path, Result]) -> None:
    project, release, _ = corpus
    quads = list(ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    shared = {str(g) for g in (ONTOLOGY_GRAPH, CATALOGUE_GRAPH, DATASET_GRAPH)}
    sources = source_graphs(project)
    assert len(sources) == len(project_sources(project))
    assert {q.graph_name.value for q in quads} == shared | sources
    for quad in quads:  # each claim is typed in the graph of its own source
        if quad.predicate == RDF_TYPE and quad.object == CLAIM_CLASS:
            assert quad.subject.value.startswith(quad.graph_name.value.removesuffix("graph"))


@pytest.mark.slow
def test_every_output_says_the_same_of_every_claim(corpus: tuple[Path, Path, Result]) -> None:
    """One claim, one meaning (tests/test_one_meaning.py) in the larger corpus too, where two
    sources assert the same triple and two claims share a key."""
    _, release, _ = corpus
    assert check_release(release, None) == []
