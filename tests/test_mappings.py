"""Cross-references: the SSSOM mapping set (valid by the reference validator), the right
predicates and IRIs, kg mappings and kg xrefs, and joins with other datasets' RDF that match."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from curies import Converter
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, SKOS
from rdflib.plugins.sparql import prepareQuery

from kg.formats.mappings import load_mapping_set
from kg.formats.render import format_results
from kg.sparql.query import load_store, run_query

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = sorted((Path(__file__).parent / "fixtures" / "external").glob("*.ttl"))
JOINS = sorted((ROOT / "queries" / "joins").glob("*.rq"))
FEDERATED = sorted((ROOT / "queries" / "federated").glob("*.rq"))

# The mappings of the entities of the graph, from tests/fixtures/checked-identifiers.tsv: subject
# -> {(predicate, object)}; confidence None for rows marked use, below 1 for rows marked check.
EXPECTED = {
    "pubchem.compound:65833": {  # milnacipran
        ("skos:exactMatch", "drugbank:DB04896", None),
        ("skos:exactMatch", "atc:N06AX17", None),
        ("skos:exactMatch", "chembl.compound:CHEMBL252923", None),
        ("skos:exactMatch", "unii:G56VK1HF36", None),
        ("skos:exactMatch", "cas:92623-85-3", None),
        ("skos:exactMatch", "kegg.drug:D08222", None),
        ("skos:exactMatch", "chemspider:59245", None),
        ("skos:closeMatch", "inchikey:GJJFMKBJSRMPLA-HIFRSBDPSA-N", None),
        ("skos:broadMatch", "inchikey:GJJFMKBJSRMPLA-UHFFFAOYSA-N", None),
        ("skos:exactMatch", "umls:C1533126", None),
        ("skos:exactMatch", "wikidata:Q421058", "0.8"),
        ("skos:relatedMatch", "cas:101152-94-7", None),
        ("skos:relatedMatch", "umls:C0066529", None),
    },
    "MONDO:0005546": {  # fibromyalgia
        ("skos:exactMatch", "DOID:631", None),
        ("skos:exactMatch", "mesh:D005356", None),
        ("skos:exactMatch", "umls:C0016053", None),
        ("skos:exactMatch", "icd10cm:M79.7", None),
        ("skos:exactMatch", "NCIT:C87497", None),
        ("skos:exactMatch", "EFO:0005687", None),
        ("skos:exactMatch", "medgen:42018", None),
        ("skos:exactMatch", "ORPHA:41842", None),
        ("skos:exactMatch", "wikidata:Q540571", "0.8"),
        ("skos:exactMatch", "snomedct:203082005", "0.7"),
    },
    "uniprot:P23975": {  # norepinephrine transporter
        ("skos:closeMatch", "chembl.target:CHEMBL222", None),
        ("skos:relatedMatch", "NCBIGene:6530", None),
        ("skos:relatedMatch", "hgnc:11048", None),
        ("skos:relatedMatch", "ensembl:ENSG00000103546", None),
        ("skos:relatedMatch", "GO:0051620", None),
    },
    "HP:0012531": {
        ("skos:exactMatch", "mesh:D010146", None),
        ("skos:exactMatch", "umls:C0030193", None),
    },
    "kgo:IncreasedHeartRate": {
        ("skos:closeMatch", "HP:0001649", None),
        ("skos:closeMatch", "mesh:D013610", None),
        ("skos:closeMatch", "umls:C0039231", None),
    },
}


@pytest.fixture(scope="module")
def mapping_rows(release: Path) -> list[dict[str, str]]:
    text = (release / "mappings.sssom.tsv").read_text(encoding="utf-8")
    table = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(table), delimiter="\t"))


@pytest.mark.parametrize("subject", sorted(EXPECTED))
def test_every_checked_identifier_is_a_mapping(
    subject: str, mapping_rows: list[dict[str, str]]
) -> None:
    got = {
        (r["predicate_id"], r["object_id"], r["confidence"] or None)
        for r in mapping_rows
        if r["subject_id"] == subject
    }
    assert EXPECTED[subject] <= got, EXPECTED[subject] - got


def test_sssom_rows_carry_justification_and_labels(mapping_rows: list[dict[str, str]]) -> None:
    assert len(mapping_rows) >= 60
    for row in mapping_rows:
        assert row["mapping_justification"] == "semapv:ManualMappingCuration"
        assert row["subject_label"] and row["subject_id"] and row["object_id"]
        if row["confidence"]:
            assert 0 < float(row["confidence"]) < 1 and row["comment"], row
    tachycardia = next(r for r in mapping_rows if r["object_id"] == "HP:0001649")
    assert tachycardia["object_label"] == "Tachycardia"


def test_sssom_metadata(release: Path) -> None:
    head = [
        line[1:]
        for line in (release / "mappings.sssom.tsv").read_text().splitlines()
        if line.startswith("#")
    ]
    import yaml

    metadata = yaml.safe_load("\n".join(head))
    assert metadata["mapping_set_id"] == (
        "https://w3id.org/drugclaims/release/0.1.0/mappings.sssom.tsv"
    )
    assert metadata["mapping_set_version"] == "0.1.0"
    assert metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert metadata["creator_id"] == ["kgr:agent/drugclaims-project"]
    assert metadata["curie_map"]["MONDO"] == "http://purl.obolibrary.org/obo/MONDO_"
    assert metadata["curie_map"]["semapv"] == "https://w3id.org/semapv/vocab/"


def sssom_command() -> list[str]:
    executable = shutil.which("sssom", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.fail("the SSSOM reference validator is not installed (pip install -e '.[test]')")
    return [executable]


@pytest.mark.slow
def test_sssom_reference_validator_accepts_the_release(release: Path) -> None:
    result = subprocess.run(
        [*sssom_command(), "validate", str(release / "mappings.sssom.tsv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_sssom_reference_validator_can_fail(release: Path, tmp_path: Path) -> None:
    """The validator really checks: a justification outside SEMAPV is refused."""
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text(
        (release / "mappings.sssom.tsv")
        .read_text()
        .replace("semapv:ManualMappingCuration", "semapv:GutFeeling")
    )
    result = subprocess.run(
        [*sssom_command(), "validate", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0


def test_plain_skos_triples_only_for_checked_mappings(release: Path) -> None:
    graph = Graph().parse(release / "graph.nt", format="nt")
    milnacipran = URIRef("http://rdf.ncbi.nlm.nih.gov/pubchem/compound/CID65833")
    assert (milnacipran, SKOS.exactMatch, URIRef("https://go.drugbank.com/drugs/DB04896")) in graph
    assert (
        milnacipran,
        SKOS.exactMatch,
        URIRef("http://www.wikidata.org/entity/Q421058"),
    ) not in graph
    records = set(
        graph.subjects(OWL.annotatedTarget, URIRef("http://www.wikidata.org/entity/Q421058"))
    )
    assert len(records) == 1


def test_the_sssom_file_and_the_graph_agree(
    release: Path, mapping_rows: list[dict[str, str]]
) -> None:
    store = load_store([release / "graph.nq"])
    assert [dict(r) for r in load_mapping_set(store).rows] == [
        {k: v for k, v in r.items()} for r in mapping_rows
    ]


def test_kg_mappings(
    kg: Callable[..., Result], tmp_path: Path, mapping_rows: list[dict[str, str]]
) -> None:
    tsv = kg("--project", ROOT, "mappings")
    assert tsv.exit_code == 0
    assert tsv.stdout == (ROOT / "dist/mappings.sssom.tsv").read_text(encoding="utf-8")
    out = tmp_path / "m.ttl"
    rdf = kg("--project", ROOT, "mappings", "--format", "rdf", "--out", out)
    assert rdf.exit_code == 0 and rdf.stdout == ""
    graph = Graph().parse(out, format="turtle")
    assert len(set(graph.subjects(None, OWL.Axiom))) == len(mapping_rows)
    checked = sum(1 for row in mapping_rows if not row["confidence"])
    plain = sum(
        1
        for p in (
            SKOS.exactMatch,
            SKOS.closeMatch,
            SKOS.broadMatch,
            SKOS.narrowMatch,
            SKOS.relatedMatch,
        )
        for _ in graph.triples((None, p, None))
    )
    assert plain == checked


def test_kg_xrefs(kg: Callable[..., Result]) -> None:
    by_entity = kg("--project", ROOT, "xrefs", "pubchem.compound:65833", "--format", "tsv")
    assert by_entity.exit_code == 0
    lines = by_entity.stdout.splitlines()
    assert lines[0].split("\t")[:3] == ["subject_id", "predicate_id", "object_id"]
    assert "pubchem.compound:65833\tskos:exactMatch\twikidata:Q421058\t\t0.8\t" in by_entity.stdout
    by_xref = kg("--project", ROOT, "xrefs", "drugbank:DB04896", "--format", "tsv")
    assert by_xref.stdout == by_entity.stdout
    by_iri = kg(
        "--project",
        ROOT,
        "xrefs",
        "http://purl.obolibrary.org/obo/MONDO_0005546",
        "--format",
        "tsv",
    )
    assert "MONDO:0005546\tskos:exactMatch\tDOID:631" in by_iri.stdout
    table = kg("--project", ROOT, "xrefs", "mondo:0005546", "--format", "table")
    assert "(10 rows)" in table.stdout
    unknown = kg("--project", ROOT, "xrefs", "drugbank:DB08918")
    assert unknown.exit_code == 2 and "no entity of the graph" in unknown.stderr
    bad_prefix = kg("--project", ROOT, "xrefs", "nope:1")
    assert bad_prefix.exit_code == 2


def csv_rows(data: bytes) -> list[tuple[str, ...]]:
    return [tuple(row) for row in csv.reader(io.StringIO(data.decode("utf-8")))]


def test_at_least_three_datasets_are_joined() -> None:
    assert len(EXTERNAL) >= 3 and len(JOINS) >= 3
    for fixture in EXTERNAL:
        assert fixture.read_text().startswith("# An extract shaped like"), fixture.name


def joined(release: Path, query: Path) -> list[tuple[str, ...]]:
    """The rows (header first) a query gives over a release and the other datasets' extracts."""
    store = load_store([release / "graph.nq", *EXTERNAL])
    return csv_rows(format_results(run_query(store, query.read_text()), "csv", Converter([])))


@pytest.mark.parametrize("query", JOINS, ids=[q.stem for q in JOINS])
def test_join_with_another_dataset(query: Path, release: Path, seed_release: Path) -> None:
    """The expected answers are the seed source's: checked row for row over its release; over
    the whole release the join must still answer, in the same columns."""
    got = joined(seed_release, query)
    expected = csv_rows(query.with_suffix(".csv").read_bytes())
    assert got[0] == expected[0]
    assert sorted(got[1:]) == sorted(expected[1:])
    assert len(got) > 1
    if release != seed_release:
        whole = joined(release, query)
        assert whole[0] == expected[0] and len(whole) > 1


@pytest.mark.parametrize("query", FEDERATED, ids=[q.stem for q in FEDERATED])
def test_federated_queries_parse_and_need_allow_service(
    query: Path, kg: Callable[..., Result]
) -> None:
    text = query.read_text(encoding="utf-8")
    prepareQuery(text)  # syntax only: nothing is sent anywhere
    assert "SERVICE <https://" in text
    refused = kg("--project", ROOT, "query", f"@{query}")
    assert refused.exit_code == 2 and "--allow-service" in refused.stderr


def test_the_mapping_set_is_the_same_from_the_lines_its_records_are_read_from(
    release: Path,
) -> None:
    """The build reads the mapping set from each article's mapping records and categories
    only (issue 20: an abstract is most of an article's lines): the same set as from every
    line of the release."""
    import pyoxigraph as ox

    from kg.formats.mappings import mapping_lines
    from kg.rdf.mint import CATALOGUE_GRAPH, DATASET_GRAPH

    shared, sources = [], []
    for quad in ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS):
        line = str(ox.Triple(quad.subject, quad.predicate, quad.object))
        graph = str(getattr(quad.graph_name, "value", ""))
        (shared if graph in (str(CATALOGUE_GRAPH), str(DATASET_GRAPH)) else sources).append(line)
    kept = mapping_lines(sorted(sources))
    assert 0 < len(kept) < len(sources) / 2
    whole, part = ox.Store(), ox.Store()
    for store, lines in ((whole, [*shared, *sources]), (part, [*shared, *kept])):
        store.load("".join(f"{x} .\n" for x in lines).encode(), format=ox.RdfFormat.N_TRIPLES)
    found = load_mapping_set(part)
    assert found.rows and found == load_mapping_set(whole)
