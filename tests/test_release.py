"""The release: what dist/ holds is exactly what `kg build` makes, byte for byte and on every
rebuild; every format parses with both parsers to the same graph; literals are canonical."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result
from conftest import source_graphs
from folders import files_of
from rdflib import Dataset, Graph, Literal
from rdflib.compare import isomorphic

from kg.formats.files import RELEASE_FILES, RELEASE_FOLDERS
from kg.runtime import publish

ROOT = Path(__file__).resolve().parents[1]
FORMATS = {
    "graph.ttl": (ox.RdfFormat.TURTLE, "turtle"),
    "graph.nt": (ox.RdfFormat.N_TRIPLES, "nt"),
    "graph.nq": (ox.RdfFormat.N_QUADS, "nquads"),
    "graph.jsonld": (ox.RdfFormat.JSON_LD, "json-ld"),
}


def test_committed_dist_is_what_kg_build_makes(release: Path) -> None:
    top = {name.split("/", 1)[0] for name in files_of(ROOT / "dist")}
    assert top == set(RELEASE_FILES + RELEASE_FOLDERS)
    assert files_of(ROOT / "dist") == files_of(release), "rebuild and commit dist/ (kg build)"


def test_rebuild_is_byte_identical_across_processes(tmp_path: Path, release: Path) -> None:
    """A build in another process, with another hash seed, writes the same bytes."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env.pop("SOURCE_DATE_EPOCH", None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kg",
            "--project",
            str(ROOT),
            "build",
            "--out",
            str(tmp_path / "out"),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    assert files_of(tmp_path / "out") == files_of(release)


def test_source_date_epoch_sets_the_release_date(
    project: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    out = project / "dated"
    assert kg("--project", project, "build", "--out", out).exit_code == 0
    assert (
        b'"2025-11-24T16:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>'
        in (out / "graph.nt").read_bytes()
    )
    committed = (project / "dist" / "graph.nt").read_bytes()
    assert b'<http://purl.org/dc/terms/issued> "' not in committed


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_parses_strictly_to_the_same_graph(name: str, release: Path) -> None:
    ox_format, rdflib_format = FORMATS[name]
    reference = ox.Dataset(ox.parse(path=str(release / "graph.nt"), format=ox.RdfFormat.N_TRIPLES))
    strict = list(ox.parse(path=str(release / name), format=ox_format))
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in strict}
    assert triples == {ox.Triple(q.subject, q.predicate, q.object) for q in reference}
    graph = Dataset()
    graph.parse(release / name, format=rdflib_format, publicID="https://example.org/unused/")
    union = Graph()
    for s, p, o, _ in graph.quads((None, None, None, None)):
        union.add((s, p, o))
    assert isomorphic(union, Graph().parse(release / "graph.nt", format="nt"))


def test_no_blank_nodes_and_no_relative_iris(release: Path) -> None:
    for quad in ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS):
        for term in (quad.subject, quad.object):
            assert not isinstance(term, ox.BlankNode)
            if isinstance(term, ox.NamedNode):
                assert term.value.startswith(("http://", "https://")), term


def test_named_graphs(release: Path) -> None:
    graphs = {
        q.graph_name.value
        for q in ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    }
    assert graphs == {  # the shared graphs, and one graph per source dataset.yaml lists
        "https://w3id.org/drugclaims/id/graph/ontology",
        "https://w3id.org/drugclaims/id/graph/catalogue",
        "https://w3id.org/drugclaims/id/graph/dataset",
        *source_graphs(),
    }
    lines = (release / "graph.nq").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines) and len(lines) == len(set(lines))
    assert len(lines) == len((release / "graph.nt").read_text(encoding="utf-8").splitlines()), (
        "a triple stands in two named graphs"
    )


def test_literals_survive_a_store_round_trip_unchanged(release: Path) -> None:
    """Typed literals are canonical: Oxigraph's store, which canonicalises, changes none."""
    parsed = set(ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    store = ox.Store()
    store.extend(parsed)
    assert set(store) == parsed


def test_literals_are_well_typed(release: Path) -> None:
    graph = Graph().parse(release / "graph.nt", format="nt")
    for literal in graph.objects():
        if isinstance(literal, Literal):
            assert not literal.ill_typed, literal
            if literal.language:
                assert literal.language == literal.language.lower()


def test_jsonld_is_plain_json_with_the_published_context(release: Path) -> None:
    document = json.loads((release / "graph.jsonld").read_text(encoding="utf-8"))
    context = json.loads((release / "context.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == context["@context"], "the inline context is the published one"
    assert all(isinstance(node, dict) and "@id" in node for node in document["@graph"])
    ids = [node["@id"] for node in document["@graph"]]
    assert ids == sorted(ids)
    assert "@import" not in context["@context"], "the context must not make a reader fetch"


def test_interrupted_build_leaves_the_previous_release(
    project: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C at the last moment, just before the swap: exit 130, dist/ as it was, no staging
    folder left behind."""
    before = files_of(project / "dist")
    claims = project / "sources/pubmed-22870448/claims.yaml"
    claims.write_text(
        claims.read_text().replace("events_quantifier: most", "events_quantifier: many")
    )

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(publish, "_swap", interrupted)
    result = kg("--project", project, "build")
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == ["kg: interrupted; nothing was changed"]
    assert files_of(project / "dist") == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".dist-stage")] == []


def test_not_conforming_build_writes_nothing(project: Path, kg: Callable[..., Result]) -> None:
    """A graph that breaks a shape (a knowledge level outside Biolink's enumeration): exit 1."""
    before = files_of(project / "dist")
    claims = project / "sources/pubmed-22870448/claims.yaml"
    claims.write_text(
        claims.read_text().replace("knowledge_level: observation", "knowledge_level: hunch")
    )
    result = kg("--project", project, "build")
    assert result.exit_code == 1
    assert "claims.yaml:" in result.stderr
    assert "knowledge_level: 'hunch' is not an allowed value (allowed: " in result.stderr
    assert "nothing was written" in result.stderr
    assert files_of(project / "dist") == before


def test_both_forms_of_a_curie_expand_with_the_published_context(release: Path) -> None:
    context = json.loads((release / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    document = json.dumps(
        {
            "@context": context,
            "@graph": [
                {"@id": "mondo:0005546", "rdfs:label": "a"},
                {"@id": "MONDO:0005546", "rdfs:label": "b"},
            ],
        }
    )
    subjects = {q.subject.value for q in ox.parse(document.encode(), format=ox.RdfFormat.JSON_LD)}
    assert subjects == {"http://purl.obolibrary.org/obo/MONDO_0005546"}
    graph = Graph().parse(data=document, format="json-ld")
    assert {str(s) for s in graph.subjects()} == {"http://purl.obolibrary.org/obo/MONDO_0005546"}


@pytest.mark.parametrize("block", [64, 1000, 1 << 20])
def test_graph_ttl_is_the_same_whatever_the_blocks_it_is_read_in(block: int, release: Path) -> None:
    """graph.ttl is written from graph.nt read in blocks of whole lines (the usable prefixes
    found block by block, Oxigraph's Turtle tidied block by block): blocks shorter than a
    line, of a few lines, or of 1 MB (the default) give what one block of the whole file
    gives, byte for byte (the prefixes offered: every one of the release's JSON-LD
    context, some of which the release's IRIs cannot use)."""
    import io

    from kg.formats.turtle import write_ntriples_file_as_turtle

    context = json.loads((release / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    prefixes = {
        name: value if isinstance(value, str) else value["@id"]
        for name, value in context.items()
        if not name.startswith("@")
    }
    written = []
    for size in (block, 1 << 30):  # and the whole file as one block
        out = io.BytesIO()
        write_ntriples_file_as_turtle(release / "graph.nt", out, prefixes, block=size)
        written.append(out.getvalue())
    assert written[0] == written[1]
    assert written[0].count(b"\n\n") > 100  # a blank line before each subject
