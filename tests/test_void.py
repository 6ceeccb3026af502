"""void.ttl: the release described after the HCLS profile, every statistic as a SPARQL count
over the release finds it, every file's size and checksum as they are on disk."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result
from conftest import copy_project

from kg.validation.shacl import load_shapes, validate

ROOT = Path(__file__).resolve().parents[1]
HCLS = sorted((ROOT / "shapes" / "hcls").glob("*.ttl"))
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"


def description(release: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(release / "void.ttl"), format=ox.RdfFormat.TURTLE)
    return store


def graph(release: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(release / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    return store


def one(store: ox.Store, query: str) -> int:
    (row,) = store.query(query)
    return int(row[0].value)


def test_the_description_conforms_to_the_hcls_shapes(release: Path) -> None:
    report = validate(description(release), load_shapes(HCLS))
    assert report.conforms and report.rows == (), report.text()


def test_every_file_is_a_distribution_with_its_size_and_checksum(release: Path) -> None:
    store = description(release)
    rows = store.query(
        f"SELECT ?d ?size ?sum WHERE {{ ?d a <{DCAT}Distribution> ; <{DCAT}byteSize> ?size ; "
        f"<{SPDX}checksum>/<{SPDX}checksumValue> ?sum }}"
    )
    found = {
        row["d"].value.rsplit("/", 1)[1]: (int(row["size"].value), row["sum"].value) for row in rows
    }
    files = {p.name for p in release.iterdir() if p.is_file()} - {"void.ttl"}
    assert set(found) == files
    for name, (size, checksum) in found.items():
        data = (release / name).read_bytes()
        assert (size, checksum) == (len(data), hashlib.sha256(data).hexdigest()), name


STATISTICS = {
    "triples": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "distinctSubjects": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }",
    "distinctObjects": "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }",
    "properties": "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }",
    "classes": "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }",
    "entities": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o "
    'FILTER(STRSTARTS(STR(?s), "https://w3id.org/drugclaims/id/")) }',
}


@pytest.mark.parametrize("name", sorted(STATISTICS))
def test_each_statistic_is_a_sparql_count_over_the_release(release: Path, name: str) -> None:
    described = description(release)
    expected = one(graph(release), STATISTICS[name])
    values = {
        int(row[0].value)
        for row in described.query(
            f"SELECT ?n WHERE {{ ?d a <{DCAT}Distribution> ; <{VOID}{name}> ?n }}"
        )
    }
    assert values == {expected}


def test_each_partition_is_a_sparql_count_over_the_release(release: Path) -> None:
    described, data = description(release), graph(release)
    classes = described.query(
        f"SELECT DISTINCT ?c ?n WHERE {{ ?d <{VOID}classPartition> ?p . "
        f"?p <{VOID}class> ?c ; <{VOID}entities> ?n }}"
    )
    checked = 0
    for row in classes:
        count = one(data, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{row['c'].value}> }}")
        assert int(row["n"].value) == count, row["c"]
        checked += 1
    properties = described.query(
        f"SELECT DISTINCT ?q ?n WHERE {{ ?d <{VOID}propertyPartition> ?p . "
        f"?p <{VOID}property> ?q ; <{VOID}triples> ?n }}"
    )
    for row in properties:
        count = one(data, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{row['q'].value}> ?o }}")
        assert int(row["n"].value) == count, row["q"]
        checked += 1
    assert checked == one(data, STATISTICS["classes"]) + one(data, STATISTICS["properties"])


@pytest.mark.parametrize(
    ("update", "shape"),
    [
        (
            "DELETE { ?s <http://purl.org/dc/terms/title> ?t } WHERE { "
            "?s <http://purl.org/pav/hasCurrentVersion> ?v ; <http://purl.org/dc/terms/title> ?t }",
            "hcls:Titled-title",
        ),
        (
            "INSERT { ?v a <http://rdfs.org/ns/void#Dataset> } WHERE { "
            "?v <http://purl.org/dc/terms/isVersionOf> ?s }",
            "hcls:VersionShape",
        ),
        (
            "DELETE { ?d <http://purl.org/dc/terms/format> ?f } WHERE { "
            "?d <http://purl.org/dc/terms/format> ?f }",
            "hcls:DistributionShape-format",
        ),
        (
            'INSERT { ?v <http://purl.org/pav/version> "9" } WHERE { '
            "?v <http://purl.org/pav/hasCurrentVersion> ?x }",
            "hcls:SummaryShape-notVersioned",
        ),
    ],
)
def test_the_hcls_shapes_catch_a_broken_description(release: Path, update: str, shape: str) -> None:
    store = description(release)
    store.update(update)
    report = validate(store, load_shapes(HCLS))
    assert not report.conforms
    assert shape in {row.shape for row in report.rows}, report.text()


def test_previous_version_and_endpoint_when_configured(
    tmp_path: Path, kg: Callable[..., Result]
) -> None:
    project = copy_project(tmp_path / "project")
    dataset = project / "dataset.yaml"
    dataset.write_text(
        dataset.read_text(encoding="utf-8")
        + "previous_version: 0.0.9\nsparql_endpoint: https://sparql.example.org/drugclaims\n",
        encoding="utf-8",
    )
    result = kg("--project", project, "build")
    assert result.exit_code == 0, result.stderr
    store = description(project / "dist")
    (row,) = store.query(
        "SELECT ?e ?p WHERE { ?s <http://rdfs.org/ns/void#sparqlEndpoint> ?e . "
        "?v <http://purl.org/pav/previousVersion> ?p }"
    )
    assert row["e"].value == "https://sparql.example.org/drugclaims"
    assert row["p"].value == "https://w3id.org/drugclaims/release/0.0.9"
    assert validate(store, load_shapes(HCLS)).conforms


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("previous_version: 0.1.0", "must be another release's version"),
        ("previous_version: ../x", "must be another release's version"),
        ("sparql_endpoint: ftp://x", "is not an http(s) IRI"),
    ],
)
def test_a_wrong_previous_version_or_endpoint_is_one_line(
    tmp_path: Path, kg: Callable[..., Result], line: str, message: str
) -> None:
    project = copy_project(tmp_path / "project")
    dataset = project / "dataset.yaml"
    dataset.write_text(dataset.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    result = kg("--project", project, "build")
    assert result.exit_code == 2
    assert "dataset.yaml" in result.stderr and message in result.stderr
