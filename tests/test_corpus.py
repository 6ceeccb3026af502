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


CORPUS_ANSWERS = EXTRA / "answers"
ID = "https://w3id.org/drugclaims/id/"


@pytest.mark.slow
@pytest.mark.parametrize("answers", sorted(CORPUS_ANSWERS.glob("*.csv")), ids=lambda p: p.stem)
def test_questions_across_sources(corpus: tuple[Path, Path, Result], answers: Path) -> None:
    """The questions a pharmacologist asks across sources (effects on pain with their
    p-values, adverse effects per drug, conflicting claims, the longest duration across units)
    give, over the corpus, the answers recorded for it, row for row."""
    from test_queries import answer, rows

    _, out, _ = corpus
    got = answer(out, ROOT / "queries" / f"{answers.stem}.rq")
    expected = rows(answers.read_bytes())
    assert got[0] == expected[0]
    assert sorted(got[1:]) == sorted(expected[1:])
    assert len(got) > 1


@pytest.mark.slow
def test_results_are_typed_numbers(corpus: tuple[Path, Path, Result]) -> None:
    """A negative effect, a p-value with its operator, a confidence interval and a subgroup's
    size are typed literals a query can compare, not strings; durations in years, months and
    weeks compare in days."""
    _, out, _ = corpus
    store = ox.Store()
    store.bulk_load(path=str(out / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    found = store.query(
        """PREFIX kgo: <https://w3id.org/drugclaims/ontology#>
        PREFIX schema: <https://schema.org/>
        SELECT ?effect ?p ?op ?lower ?n WHERE {
          ?claim kgo:effect/schema:value ?effect ; kgo:pValue ?pv ;
                 kgo:confidenceInterval/kgo:lowerLimit ?lower ; kgo:population/kgo:size ?n .
          ?pv schema:value ?p ; kgo:operator ?op .
          FILTER (?lower < 0 && ?p > 0.05 && ?n > 60)
        }""",
        use_default_graph_as_union=True,
    )
    (row,) = list(found)  # type: ignore[arg-type]
    assert (row["effect"].value, row["p"].value, row["op"].value) == ("2.1", "0.43", "=")
    assert row["lower"].datatype.value.endswith("#decimal")
    assert row["n"].value == "61"
    days = {
        (b["v"].value, b["d"].value)
        for b in store.query(  # type: ignore[union-attr]
            "PREFIX kgo: <https://w3id.org/drugclaims/ontology#> "
            "PREFIX schema: <https://schema.org/> "
            "SELECT ?v ?d WHERE { ?q kgo:normalValue ?d ; schema:value ?v }",
            use_default_graph_as_union=True,
        )
    }
    assert {("15", "456.5625"), ("3.25", "1187.0625"), ("12", "84")} <= days


@pytest.mark.slow
def test_conflicts_are_published_not_refused(corpus: tuple[Path, Path, Result]) -> None:
    """Claims that disagree (a subgroup against the responders, one source against another)
    all publish; kg stats lists the pairs, and each claim's page says which it conflicts
    with. The direct triple stays: an asserted claim states it."""
    from kg.web.site import build_site

    project, out, _ = corpus
    stats = CliRunner().invoke(
        main, ["--project", str(project), "stats", "--data", str(out / "graph.nq")]
    )
    assert stats.exit_code == 0, stats.output
    section = stats.output.split("Claims that conflict:")[1].split("\n\n")[0]
    assert "invented-withdrawal/claim/subgroup-pain-not-improved" in section
    assert "pubmed-22870448/claim/pain-improvement-reported" in section
    assert "(8 rows)" in section
    nt = (out / "graph.nt").read_text(encoding="utf-8")
    milnacipran = "<http://rdf.ncbi.nlm.nih.gov/pubchem/compound/CID65833>"
    assert (
        f"{milnacipran} <https://w3id.org/biolink/vocab/ameliorates_condition> "
        "<http://purl.obolibrary.org/obo/HP_0012531> ." in nt
    )
    site = project / "site"
    build_site(out, site)
    page = site / "doc" / "invented-withdrawal" / "claim" / "subgroup-pain-not-improved.html"
    html = page.read_text(encoding="utf-8")
    assert "in conflict with" in html
    assert "same triple, opposite negation" in html and "stated by a curator" in html
    # the other source's claim is linked to its page
    assert 'doc/pubmed-22870448/claim/pain-improvement-reported.html"' in html


def test_a_link_to_a_claim_nowhere_is_refused(tmp_path: Path) -> None:
    """A link to another source's claim that the release does not hold is one line naming the
    source's claims.yaml, the claim and the missing target."""
    project = copy_project(tmp_path / "project")
    add_extra_sources(project)
    claims = project / "sources" / "invented-withdrawal" / "claims.yaml"
    text = claims.read_text(encoding="utf-8")
    claims.write_text(
        text.replace("pubmed-22870448/pain-improvement-reported", "pubmed-22870448/no-such-claim"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["--project", str(project), "build", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    message = result.stderr.strip().splitlines()[-1]
    assert "sources/invented-withdrawal/claims.yaml" in message
    assert "subgroup-pain-not-improved" in message
    assert "pubmed-22870448/no-such-claim" in message
    assert not (tmp_path / "o").exists()
