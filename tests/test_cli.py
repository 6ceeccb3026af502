"""The command line contract: exit codes, stdout for data, stderr for messages."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import project_claims

from kg.formats.files import RELEASE_FILES, RELEASE_FOLDERS

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = project_claims()  # the claims the project's sources hold
ASK_APPROVED = (
    "ASK { ?c <https://w3id.org/biolink/vocab/predicate> <https://w3id.org/biolink/vocab/treats> }"
)
SELECT_CLAIMS = (
    "SELECT ?claim WHERE { ?claim a <https://w3id.org/drugclaims/ontology#Claim> } ORDER BY ?claim"
)


def test_help_documents_exit_codes(kg: Callable[..., Result]) -> None:
    for command in ([], ["build"], ["validate"], ["query"], ["show"], ["stats"]):
        result = kg(*command, "--help")
        assert result.exit_code == 0
        assert "Exit codes: 0" in result.output and "1 the graph does not conform" in result.output


def test_build_writes_the_release(project: Path, kg: Callable[..., Result]) -> None:
    out = project / "out"
    result = kg("--project", project, "build", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"{CLAIMS} claims" in result.stderr and "conforms" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(RELEASE_FILES + RELEASE_FOLDERS)


def test_validate_the_release(kg: Callable[..., Result], tmp_path: Path) -> None:
    report = tmp_path / "report.ttl"
    result = kg("--project", ROOT, "validate", "--report", report)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("Conforms.")
    assert "ValidationReport" in report.read_text()


@pytest.mark.parametrize("name", ["graph.ttl", "graph.nt", "graph.nq", "graph.jsonld"])
def test_validate_each_format(name: str, kg: Callable[..., Result]) -> None:
    result = kg("--project", ROOT, "validate", ROOT / "dist" / name)
    assert result.exit_code == 0, result.output


def test_validate_a_graph_that_does_not_conform(kg: Callable[..., Result], tmp_path: Path) -> None:
    data = (ROOT / "dist/graph.nt").read_text(encoding="utf-8")
    broken = tmp_path / "broken.nt"
    broken.write_text(data.replace('"knowledge_assertion"', '"a guess"'), encoding="utf-8")
    result = kg("--project", ROOT, "validate", broken)
    assert result.exit_code == 1
    assert "kgs:ClaimShape-knowledgeLevel" in result.stdout
    assert "Does not conform" in result.stdout


def test_validate_bad_files(kg: Callable[..., Result], tmp_path: Path) -> None:
    missing = kg("--project", ROOT, "validate", tmp_path / "missing.ttl")
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;\n ex:d .\n")
    result = kg("--project", ROOT, "validate", bad)
    assert result.exit_code == 2
    assert str(bad) in result.stderr and "Traceback" not in result.stderr
    odd = tmp_path / "graph.xml"
    odd.write_text("<rdf/>")
    assert kg("--project", ROOT, "validate", odd).exit_code == 2


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json"])
def test_query_formats(fmt: str, kg: Callable[..., Result]) -> None:
    result = kg("--project", ROOT, "query", SELECT_CLAIMS, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    if fmt == "json":
        bindings = json.loads(result.stdout)["results"]["bindings"]
        assert len(bindings) == CLAIMS
    elif fmt == "table":
        assert f"({CLAIMS} rows)" in result.stdout
        assert "kgr:pubmed-22870448/claim/snri-class" in result.stdout
    else:
        assert len(result.stdout.strip().splitlines()) == CLAIMS + 1


def test_query_ask_construct_and_file(kg: Callable[..., Result], tmp_path: Path) -> None:
    ask = kg("--project", ROOT, "query", ASK_APPROVED, "--format", "json")
    assert json.loads(ask.stdout) == {"head": {}, "boolean": True}
    construct = kg(
        "--project",
        ROOT,
        "query",
        "CONSTRUCT { ?s <http://example.org/p> ?o } WHERE { ?s "
        "<https://w3id.org/biolink/vocab/treats> ?o }",
    )
    assert construct.exit_code == 0
    assert "<http://example.org/p>" in construct.stdout
    query_file = tmp_path / "q.rq"
    query_file.write_text(SELECT_CLAIMS)
    from_file = kg("--project", ROOT, "query", f"@{query_file}", "--format", "csv")
    assert from_file.exit_code == 0 and from_file.stdout.count("\n") == CLAIMS + 1
    wrong = kg("--project", ROOT, "query", SELECT_CLAIMS, "--format", "turtle")
    assert wrong.exit_code == 2 and "table" in wrong.stderr


def test_query_data_files(kg: Callable[..., Result]) -> None:
    result = kg("query", SELECT_CLAIMS, "--data", ROOT / "dist/graph.ttl", "--format", "csv")
    assert result.exit_code == 0 and result.stdout.count("\n") == CLAIMS + 1


def test_query_errors(kg: Callable[..., Result]) -> None:
    syntax = kg("--project", ROOT, "query", "SELECT WHERE {")
    assert syntax.exit_code == 2 and "SPARQL syntax error" in syntax.stderr
    service = kg(
        "--project",
        ROOT,
        "query",
        "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }",
    )
    assert service.exit_code == 2 and "--allow-service" in service.stderr
    missing = kg("--project", ROOT, "query", "@no-such-file.rq")
    assert missing.exit_code == 2 and "no-such-file.rq" in missing.stderr


def test_show(kg: Callable[..., Result]) -> None:
    result = kg("--project", ROOT, "show", "MONDO:0005546")
    assert result.exit_code == 0
    assert result.stdout.startswith("<http://purl.obolibrary.org/obo/MONDO_0005546>  fibromyalgia")
    assert "skos:exactMatch  DOID:631" in result.stdout
    assert "referenced by:" in result.stdout and "biolink:treats" in result.stdout
    by_iri = kg("--project", ROOT, "show", "http://purl.obolibrary.org/obo/MONDO_0005546")
    assert by_iri.stdout == result.stdout
    unknown = kg("--project", ROOT, "show", "nope:123")
    assert unknown.exit_code == 2 and "not a prefix" in unknown.stderr
    absent = kg("--project", ROOT, "show", "MONDO:0000001")
    assert absent.exit_code == 2 and "says nothing about" in absent.stderr


def statuses_in_project() -> dict[str, int]:
    """How many claims of each status the project's sources hold."""
    import collections

    import yaml

    dataset = yaml.safe_load((ROOT / "dataset.yaml").read_text(encoding="utf-8"))
    found: collections.Counter[str] = collections.Counter()
    for folder in dataset["sources"]:
        data = yaml.safe_load((ROOT / folder / "claims.yaml").read_text(encoding="utf-8"))
        found.update(claim["status"] for claim in data["claims"])
    return dict(found)


def test_stats(kg: Callable[..., Result]) -> None:
    result = kg("--project", ROOT, "stats")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "Claims per epistemic status:" in lines
    for status, count in statuses_in_project().items():  # from the curation files
        assert [f"kgo:{status.capitalize()}", str(count)] in [line.split() for line in lines]
    assert "Triples per predicate:" in lines


def test_query_without_a_release(project: Path, kg: Callable[..., Result]) -> None:
    shutil.rmtree(project / "dist")
    result = kg("--project", project, "query", SELECT_CLAIMS)
    assert result.exit_code == 2 and "build it first (kg build)" in result.stderr


def test_validate_a_file_without_the_ontology(kg: Callable[..., Result], tmp_path: Path) -> None:
    """A file with the claims but not the ontology graph validates: kg adds ontology/kgo.ttl."""
    lines = (ROOT / "dist/graph.nq").read_text(encoding="utf-8").splitlines(keepends=True)
    claims_only = tmp_path / "claims.nq"
    claims_only.write_text("".join(line for line in lines if "/graph/ontology>" not in line))
    result = kg("--project", ROOT, "validate", claims_only)
    assert result.exit_code == 0, result.stdout


def test_every_option_is_in_the_help_and_the_readme() -> None:
    """Each option of each command is shown by --help and named in the README's row for the
    command (--project, --debug and --help once, for all)."""
    from click.testing import CliRunner

    from kg.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for option in ("--project DIR", "`--debug`", "`--help`"):
        assert option in readme
    for name, command in main.commands.items():
        rows = " ".join(line for line in readme.splitlines() if line.startswith(f"| `kg {name}"))
        assert rows, f"no README row for kg {name}"
        shown = CliRunner().invoke(main, [name, "--help"]).output
        for param in command.params:
            for option in (o for o in param.opts if o.startswith("--")):
                assert option in shown, f"kg {name} --help does not show {option}"
                if option not in ("--project", "--debug"):
                    assert option in rows, f"the README's kg {name} row does not name {option}"


def test_progress_shows_on_a_terminal_only() -> None:
    import io

    from kg.runtime.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, shown in ((io.StringIO(), False), (Terminal(), True)):
        progress = Progress(3, "sources validated", stream=stream, every=0)
        for _ in range(3):
            progress.step()
        progress.done()
        text = stream.getvalue()
        assert bool(text) is shown
        if shown:
            assert text.endswith("\n") and "3/3 sources validated" in text and "left" in text


def test_validate_a_release_part_by_part(kg: Callable[..., Result], tmp_path: Path) -> None:
    """graph.nq is validated source by source, as kg build does; the SHACL report is one
    sh:ValidationReport with every result."""
    data = (ROOT / "dist/graph.nq").read_text(encoding="utf-8")
    broken = tmp_path / "broken.nq"
    broken.write_text(data.replace('"knowledge_assertion"', '"a guess"'), encoding="utf-8")
    report = tmp_path / "report.ttl"
    result = kg("--project", ROOT, "--debug", "validate", broken, "--report", report, "--jobs", 2)
    assert result.exit_code == 1
    assert "kgs:ClaimShape-knowledgeLevel" in result.stdout
    from rdflib import Graph
    from rdflib.namespace import RDF, SH

    graph = Graph().parse(report)
    (node,) = graph.subjects(RDF.type, SH.ValidationReport)
    assert len(list(graph.objects(node, SH.result))) == result.stdout.count("Violation: ")


def test_a_closed_pipe_is_silent() -> None:
    """``kg stats | head -1``: the reader goes away; kg stops with the shell's code for SIGPIPE
    (141) and says nothing (it said "kg: error: Broken pipe" and exited 2). The reader here,
    ``true``, is gone before kg writes, so the pipe is closed for certain."""
    import subprocess
    import sys

    script = f'"{sys.executable}" -m kg --project "{ROOT}" stats | true; exit ${{PIPESTATUS[0]}}'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stderr == ""
    assert done.returncode == 141
