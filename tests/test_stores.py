"""Into real triple stores: load, query and serve the release over SPARQL, on Oxigraph's server
and on OpenLink Virtuoso 7, started by the tests on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result
from conftest import source_graphs
from folders import describe_anew
from servers import (
    VIRTUOSO_DBA_PASSWORD,
    VIRTUOSO_LOADER,
    VIRTUOSO_MAX_ROWS,
    Oxigraph,
    Virtuoso,
    free_port,
    listener,
    oxigraph_server,
    virtuoso_server,
)

from kg.rdf.mint import CATALOGUE_GRAPH, DATASET_GRAPH, ONTOLOGY_GRAPH
from kg.sparql.endpoint import Connection
from kg.sparql.query import load_store, run_query, run_remote_query
from kg.stores.graph_store import graph_names, release_iri

ROOT = Path(__file__).resolve().parents[1]
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
RELEASE_IRI = "https://w3id.org/drugclaims/release/0.1.0"

pytestmark = pytest.mark.stores


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oxigraph]:
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as server:
        yield server


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture
def loader_password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KG_PASSWORD", VIRTUOSO_LOADER[1])
    return VIRTUOSO_LOADER[1]


def load_ok(kg: Callable[..., Result], *args: object) -> Result:
    result = kg("--project", ROOT, "load", *args)
    assert result.exit_code == 0, result.stderr
    return result


def test_release_iri_is_the_default_graph() -> None:
    assert release_iri(ROOT / "dist") == RELEASE_IRI


# --- loading -----------------------------------------------------------------------------------


def test_load_into_oxigraph_replaces(kg: Callable[..., Result], oxigraph: Oxigraph) -> None:
    triples = len((ROOT / "dist/graph.nt").read_text().splitlines())
    for _ in range(2):  # reloading replaces, never duplicates
        result = load_ok(kg, oxigraph.store)
        assert f"checked {triples} triples in {RELEASE_IRI}" in result.stderr


def test_load_into_oxigraph_without_transaction(
    kg: Callable[..., Result], oxigraph: Oxigraph
) -> None:
    triples = len((ROOT / "dist/graph.nt").read_text().splitlines())
    for _ in range(2):
        result = load_ok(kg, oxigraph.store, "--no-transaction", "--graph", "https://example.org/f")
        assert f"checked {triples} triples in https://example.org/f" in result.stderr


def test_load_into_an_oxigraph_folder(kg: Callable[..., Result], tmp_path: Path) -> None:
    """The native bulk path (`oxigraph load`), replacing, then checked."""
    triples = len((ROOT / "dist/graph.nt").read_text().splitlines())
    for _ in range(2):
        result = load_ok(kg, "--oxigraph-location", tmp_path / "store")
        assert f"checked {triples} triples in {RELEASE_IRI}" in result.stderr
    named = load_ok(kg, "--oxigraph-location", tmp_path / "store", "--named-graphs")
    for name, count in graph_names(ROOT / "dist/graph.nq").items():
        assert f"checked {count} triples in {name}" in named.stderr


def test_load_into_virtuoso_replaces(
    kg: Callable[..., Result], virtuoso: Virtuoso, loader_password: str
) -> None:
    triples = len((ROOT / "dist/graph.nt").read_text().splitlines())
    for _ in range(2):
        result = load_ok(kg, virtuoso.gsp, "--user", VIRTUOSO_LOADER[0])
        assert f"checked {triples} triples in {RELEASE_IRI}" in result.stderr
        assert loader_password not in result.stdout + result.stderr


def test_named_graphs_into_oxigraph(kg: Callable[..., Result], oxigraph: Oxigraph) -> None:
    expected = graph_names(ROOT / "dist/graph.nq")
    shared = {str(g) for g in (ONTOLOGY_GRAPH, CATALOGUE_GRAPH, DATASET_GRAPH)}
    assert set(expected) == shared | source_graphs()  # and one graph per source
    for _ in range(2):
        result = load_ok(kg, oxigraph.store, "--named-graphs")
    for name, count in expected.items():
        assert f"checked {count} triples in {name}" in result.stderr
    assert_named_graphs_as_in_the_file(oxigraph.query)


def assert_named_graphs_as_in_the_file(query_url: str) -> None:
    """A query over the named graphs answers as over graph.nq."""
    names = " ".join(f"<{name}>" for name in graph_names(ROOT / "dist/graph.nq"))
    query = (
        f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} "
        "FILTER (?p = <http://www.w3.org/2000/01/rdf-schema#label>) }"
    )
    remote = rows(run_remote_query(query_url, query, Connection()))
    local = rows(run_query(load_store([ROOT / "dist/graph.nq"]), query))
    assert local and remote == local


def bulk_load(kg: Callable[..., Result], virtuoso: Virtuoso, *args: object) -> Result:
    """kg load through Virtuoso's bulk loader, as dba, expecting success."""
    return load_ok(
        kg,
        "--virtuoso-bulk",
        virtuoso.isql,
        "--load-dir",
        virtuoso.load_dir,
        "--user",
        "dba",
        *args,
    )


def test_virtuoso_bulk_loader(
    kg: Callable[..., Result], virtuoso: Virtuoso, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_PASSWORD", VIRTUOSO_DBA_PASSWORD)
    triples = len((ROOT / "dist/graph.nt").read_text().splitlines())
    for _ in range(2):
        result = bulk_load(kg, virtuoso, "--graph", "https://example.org/bulk")
        assert f"checked {triples} triples in https://example.org/bulk" in result.stderr
        assert VIRTUOSO_DBA_PASSWORD not in result.stdout + result.stderr
    # the password never stands on isql's command line (every user would see it in ps)
    import subprocess

    from kg.stores import virtuoso as bulk

    calls: list[list[str]] = []
    real = subprocess.run

    def recorded(args: list[str], **kwargs: object) -> object:
        calls.append(list(args))
        return real(args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(bulk.subprocess, "run", recorded)
    named = bulk_load(kg, virtuoso, "--named-graphs")
    assert calls and not any(VIRTUOSO_DBA_PASSWORD in arg for call in calls for arg in call)
    for name, count in graph_names(ROOT / "dist/graph.nq").items():
        assert f"checked {count} triples in {name}" in named.stderr
    assert_named_graphs_as_in_the_file(virtuoso.sparql)


def test_virtuoso_bulk_loader_reports_a_bad_file(
    kg: Callable[..., Result], virtuoso: Virtuoso, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KG_PASSWORD", VIRTUOSO_DBA_PASSWORD)
    release = tmp_path / "release"
    shutil.copytree(ROOT / "dist", release)
    (release / "graph.nt").write_text('<http://a> <http://b> "unterminated .\n')
    describe_anew(release, "graph.nt")  # vouched for by its description: the store judges it
    result = kg(
        "--project",
        ROOT,
        "load",
        "--virtuoso-bulk",
        virtuoso.isql,
        "--load-dir",
        virtuoso.load_dir,
        "--user",
        "dba",
        "--graph",
        "https://example.org/bad",
        "--release",
        release,
    )
    assert result.exit_code == 2
    assert "bulk loader failed" in result.stderr and "Traceback" not in result.stderr
    assert VIRTUOSO_DBA_PASSWORD not in result.stderr


# --- same answers everywhere --------------------------------------------------------------------


def value(term: object) -> object:
    """A term compared by value: numbers as numbers, literals without their datatype's spelling."""
    if isinstance(term, ox.Literal):
        try:
            if term.datatype.value.startswith("http://www.w3.org/2001/XMLSchema#") and any(
                t in term.datatype.value for t in ("integer", "decimal", "double", "float")
            ):
                return Decimal(term.value)
        except InvalidOperation:
            pass
        return (term.value, term.language)
    return str(term)


def rows(result: object) -> Counter[tuple[object, ...]]:
    if isinstance(result, bool | ox.QueryBoolean):
        return Counter({(bool(result),): 1})
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return Counter(tuple(value(s[n]) for n in names) for s in result)


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_same_answers_on_every_engine(
    query: Path,
    kg: Callable[..., Result],
    oxigraph: Oxigraph,
    virtuoso: Virtuoso,
    loader_password: str,
) -> None:
    load_ok(kg, oxigraph.store)
    load_ok(kg, virtuoso.gsp, "--user", VIRTUOSO_LOADER[0])
    text = query.read_text(encoding="utf-8")
    embedded = rows(run_query(load_store([ROOT / "dist/graph.nq"]), text))
    on_oxigraph = rows(
        run_remote_query(oxigraph.query, text, Connection(), default_graphs=[RELEASE_IRI])
    )
    on_virtuoso = rows(
        run_remote_query(virtuoso.sparql, text, Connection(), default_graphs=[RELEASE_IRI])
    )
    # a question only the test corpus answers (tests/test_corpus.py) is answered by no engine
    corpus_only = (ROOT / "tests/fixtures/extra-source/answers" / f"{query.stem}.csv").is_file()
    assert (embedded or corpus_only) and on_oxigraph == embedded
    assert on_virtuoso == embedded


def test_virtuoso_ask_is_answered_as_a_boolean(virtuoso: Virtuoso) -> None:
    """Virtuoso answers ASK with a one-row table (__ASK_RETVAL); kg reads it as the boolean."""
    assert run_remote_query(virtuoso.sparql, "ASK { ?s ?p ?o }", Connection()) is True


# --- honest failures --------------------------------------------------------------------------


def test_truncated_results_are_reported(
    kg: Callable[..., Result], virtuoso: Virtuoso, loader_password: str
) -> None:
    load_ok(kg, virtuoso.gsp, "--user", VIRTUOSO_LOADER[0])
    result = kg(
        "query",
        "SELECT * WHERE { ?s ?p ?o }",
        "--endpoint",
        virtuoso.sparql,
        "--graph",
        RELEASE_IRI,
        "--format",
        "csv",
    )
    assert result.exit_code == 3
    assert f"cut the results at {VIRTUOSO_MAX_ROWS} rows" in result.stderr


def test_wrong_password(
    kg: Callable[..., Result], virtuoso: Virtuoso, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_PASSWORD", "not-the-password")
    result = kg("--project", ROOT, "load", virtuoso.gsp, "--user", VIRTUOSO_LOADER[0])
    assert result.exit_code == 2
    assert "HTTP 401" in result.stderr and "not-the-password" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_password_only_from_the_environment(
    kg: Callable[..., Result], virtuoso: Virtuoso, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KG_PASSWORD", raising=False)
    result = kg("--project", ROOT, "load", virtuoso.gsp, "--user", "kgload")
    assert result.exit_code == 2 and "$KG_PASSWORD" in result.stderr
    inline = kg("--project", ROOT, "load", virtuoso.gsp.replace("http://", "http://kgload:secret@"))
    assert inline.exit_code == 2 and "secret" not in inline.stderr


def test_read_only_endpoint(kg: Callable[..., Result], tmp_path: Path) -> None:
    location = tmp_path / "ro"
    subprocess.run(
        [
            shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph"),
            "load",
            "--location",
            str(location),
            "--file",
            str(ROOT / "dist/graph.nq"),
        ],
        check=True,
        capture_output=True,
    )
    with oxigraph_server(location, read_only=True) as server:
        result = kg("--project", ROOT, "load", server.store)
    assert result.exit_code == 2 and "HTTP 403" in result.stderr


def test_missing_endpoint(kg: Callable[..., Result], oxigraph: Oxigraph) -> None:
    missing = kg(
        "--project", ROOT, "load", f"{oxigraph.url}/nothing-here", "--sparql", oxigraph.query
    )
    assert missing.exit_code == 2 and "HTTP 404" in missing.stderr
    refused = kg("--project", ROOT, "load", f"http://127.0.0.1:{free_port()}/store")
    assert refused.exit_code == 2 and "cannot connect" in refused.stderr


def test_timeout(kg: Callable[..., Result]) -> None:
    """A server that accepts the connection and never answers: a one-line timeout message."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        result = kg("--project", ROOT, "load", f"http://127.0.0.1:{port}/store", "--timeout", "0.5")
    assert result.exit_code == 2 and "no answer within 0.5 s" in result.stderr


def test_store_answering_500(
    kg: Callable[..., Result], virtuoso: Virtuoso, loader_password: str, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    shutil.copytree(ROOT / "dist", release)
    (release / "graph.nt").write_text('<http://a> <http://b> "unterminated .\n')
    describe_anew(release, "graph.nt")  # vouched for by its description: the store judges it
    result = kg(
        "--project",
        ROOT,
        "load",
        virtuoso.gsp,
        "--user",
        VIRTUOSO_LOADER[0],
        "--graph",
        "https://example.org/bad",
        "--release",
        release,
    )
    assert result.exit_code == 2
    assert "HTTP 500" in result.stderr and "Traceback" not in result.stderr


# --- serving ------------------------------------------------------------------------------------


# --- load, then query: no silent empty answer -----------------------------------------------


def expected_rows(name: str) -> list[str]:
    return (ROOT / "queries" / f"{name}.csv").read_text(encoding="utf-8").splitlines()


def query_endpoint(kg: Callable[..., Result], url: str, *args: object) -> list[str]:
    result = kg(
        "--project",
        ROOT,
        "query",
        "--endpoint",
        url,
        "@queries/approved-for.rq",
        *args,
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_load_then_query_oxigraph_with_no_option(
    kg: Callable[..., Result], oxigraph: Oxigraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kg load writes the release's graph; kg query --endpoint reads that graph by default
    (Oxigraph's default graph is not the union of its graphs: it used to answer a header)."""
    monkeypatch.chdir(ROOT)
    load_ok(kg, oxigraph.store)
    assert query_endpoint(kg, oxigraph.query) == expected_rows("approved-for")
    own_default = query_endpoint(kg, oxigraph.query, "--store-default-graph")
    assert own_default == expected_rows("approved-for")[:1]  # documented: only the header


def test_named_graphs_load_then_query_oxigraph(
    kg: Callable[..., Result], oxigraph: Oxigraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    load_ok(kg, oxigraph.store, "--named-graphs")
    assert query_endpoint(kg, oxigraph.query) == expected_rows("approved-for")


def test_load_then_query_virtuoso_with_no_option(
    kg: Callable[..., Result],
    virtuoso: Virtuoso,
    loader_password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    load_ok(kg, virtuoso.gsp, "--user", VIRTUOSO_LOADER[0])
    assert query_endpoint(kg, virtuoso.sparql) == expected_rows("approved-for")


def test_oxigraph_location_held_by_a_server(
    kg: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store folder locked by a running server: one line naming the lock, even when the
    user's environment asks Rust for backtraces."""
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    location = tmp_path / "held"
    with oxigraph_server(location):
        result = kg("--project", ROOT, "load", "--oxigraph-location", location)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"kg: error: {location}: the store folder is locked by another process (an Oxigraph "
        "server?): stop it, or load through its HTTP endpoint (kg load URL)"
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--release", "dist/graph.ttl"], "not a release folder"),
        (["--data", "dist/graph.ttl"], "No such option"),
    ],
)
def test_load_takes_a_release_folder(
    args: list[str],
    message: str,
    kg: Callable[..., Result],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    result = kg("load", "--oxigraph-location", tmp_path / "store", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_graph_name_cannot_end_virtuosos_sql(
    kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Graph names go into isql's SQL: one that could end its clause is refused before isql runs
    (no server is needed: nothing is sent)."""
    monkeypatch.setenv("KG_PASSWORD", "unused")
    result = kg(
        "--project",
        ROOT,
        "load",
        "--virtuoso-bulk",
        f"127.0.0.1:{free_port()}",
        "--load-dir",
        tmp_path / "load",
        "--user",
        "dba",
        "--graph",
        "http://example.org/g> }; DELETE FROM DB.DBA.RDF_QUAD; --",
    )
    assert result.exit_code == 2
    assert "not an IRI Virtuoso can be given" in result.stderr
    assert not (tmp_path / "load").exists()


@pytest.mark.parametrize("tamper", ["changed", "unlisted symlink"])
def test_load_refuses_a_release_that_is_not_what_it_lists(
    kg: Callable[..., Result], tmp_path: Path, tamper: str
) -> None:
    """A release folder from elsewhere is checked against its description before anything is
    sent (as kg site and kg serve check it): a changed file, or a file void.ttl does not list,
    refuses the load in one line, and the store is never contacted."""
    release = tmp_path / "release"
    shutil.copytree(ROOT / "dist", release)
    if tamper == "changed":  # one byte of a literal, same size
        data = (release / "graph.nt").read_bytes()
        (release / "graph.nt").write_bytes(data.replace(b"fibromyalgia", b"fibromyalgiA", 1))
        expected = f"{release}/graph.nt: its SHA-256 is not the one void.ttl lists"
    else:
        (release / "shadow.txt").symlink_to("/etc/hostname")
        expected = f"{release}/shadow.txt: not a file void.ttl lists: refused"
    with listener() as (port, received):
        result = kg("load", f"http://127.0.0.1:{port}/store", "--release", release)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"kg: error: {expected}"), line
    assert received == []
