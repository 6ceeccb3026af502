"""Queries as people type them: without PREFIX lines, without the @ before a file, an update by
mistake, an undeclared prefix; and what they get back (JSON with a final newline, SELECT * in
the query's order, Turtle and CURIEs written as the release writes them). And SERVICE, refused
however it is spelt, decided from SPARQL tokens: a listener on 127.0.0.1 must receive nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from servers import listener

ROOT = Path(__file__).resolve().parents[1]
TREATS = "SELECT ?claim WHERE { ?claim biolink:predicate biolink:treats }"


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.stderr
    return result.stdout


def error_line(result: Result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_release_prefixes_are_predeclared(kg: Callable[..., Result]) -> None:
    out = ok(kg("--project", ROOT, "query", TREATS, "--format", "csv"))
    assert out.splitlines()[1].endswith("/claim/approved-for-fibromyalgia")
    for curie in ("MONDO:0005546", "mondo:0005546"):
        query = f"ASK {{ ?claim biolink:object {curie} }}"
        assert ok(kg("--project", ROOT, "query", query, "--format", "csv")) == "true\n"


def test_a_declared_prefix_wins(kg: Callable[..., Result]) -> None:
    query = "PREFIX biolink: <http://example.org/not-biolink/> " + TREATS
    assert ok(kg("--project", ROOT, "query", query, "--format", "csv")).splitlines() == ["claim"]


def test_a_file_name_without_at(kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    line = error_line(kg("query", "queries/approved-for.rq"))
    assert "did you mean @queries/approved-for.rq?" in line


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "PREFIX ex: <http://example.org/>\ndelete where { ?s ex:p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "DROP ALL",
        "CLEAR DEFAULT",
        "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ],
)
def test_updates_are_refused(update: str, kg: Callable[..., Result]) -> None:
    line = error_line(kg("--project", ROOT, "query", update))
    assert "updates are not accepted" in line


def test_an_undeclared_prefix_is_one_short_line(kg: Callable[..., Result]) -> None:
    line = error_line(kg("--project", ROOT, "query", "SELECT * WHERE { ?s foo:p ?o }"))
    assert line == "kg: error: unknown prefix foo: at 1:21 (declare it: PREFIX foo: <...>)"


def test_a_syntax_error_lists_no_unicode_ranges(kg: Callable[..., Result]) -> None:
    line = error_line(kg("--project", ROOT, "query", "SELECT ?s WHERE { ?s ?p }"))
    assert line.startswith("kg: error: SPARQL syntax error at 1:")
    assert "\\u{" not in line and len(line) < 250


def test_json_ends_with_a_newline(kg: Callable[..., Result]) -> None:
    for query in (TREATS, "ASK { ?s ?p ?o }"):
        out = ok(kg("--project", ROOT, "query", query, "--format", "json"))
        assert out.endswith("}\n")
        json.loads(out)


def test_select_star_keeps_the_query_order(kg: Callable[..., Result]) -> None:
    query = "SELECT * WHERE { ?claim biolink:subject ?subject ; biolink:object ?object } LIMIT 1"
    head = json.loads(ok(kg("--project", ROOT, "query", query, "--format", "json")))["head"]
    assert head["vars"] == ["claim", "subject", "object"]
    csv = ok(kg("--project", ROOT, "query", query, "--format", "csv"))
    assert csv.splitlines()[0] == "claim,subject,object"


def test_construct_turtle_uses_the_release_prefixes(kg: Callable[..., Result]) -> None:
    query = "CONSTRUCT { ?s biolink:treats ?o } WHERE { ?s biolink:treats ?o }"
    out = ok(kg("--project", ROOT, "query", query))
    assert "@prefix biolink: <https://w3id.org/biolink/vocab/> ." in out
    assert "pubchem.compound:65833 biolink:treats MONDO:0005546 ." in out


def test_show_writes_curies_as_the_release_does(kg: Callable[..., Result]) -> None:
    out = ok(kg("--project", ROOT, "show", "uniprot:P23975"))
    assert "GO:0051620" in out and "NCBIGene:6530" in out
    assert "go:0051620" not in out and "ncbigene:6530" not in out
    assert ok(kg("--project", ROOT, "show", "UniProt:P23975")) == out


# --- SERVICE: refused from the tokens, however it is written -----------------------------------


EVASIONS = {
    "plain": "SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "lower case": "select * {{ service <{url}> {{ ?s ?p ?o }} }}",
    "comment ended by CR": "SELECT * {{ #x\rSERVICE <{url}> {{ ?s ?p ?o }} }}",
    "codepoint escape": "SELECT * {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "silent": "SELECT * {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "subquery": "SELECT * {{ {{ SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "exists": "ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "optional": "SELECT * {{ ?a ?b ?c OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} LIMIT 1",
    "variable endpoint": ("SELECT * {{ BIND (<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}"),
    "apostrophe escape": "SELECT * {{ ?a ?b '\\u0027' SERVICE <{url}> {{ ?s ?p ?o }} '\\u0027' }}",
    "construct": "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
}


@pytest.mark.parametrize("name", sorted(EVASIONS))
@pytest.mark.parametrize("command", ["query", "query-file"])
def test_service_is_refused_however_spelt(
    name: str, command: str, kg: Callable[..., Result], tmp_path: Path
) -> None:
    with listener() as (port, received):
        query = EVASIONS[name].format(url=f"http://127.0.0.1:{port}/sparql")
        argument = query
        if command == "query-file":
            (tmp_path / "q.rq").write_text(query, encoding="utf-8")
            argument = f"@{tmp_path / 'q.rq'}"
        result = kg("--project", ROOT, "query", argument)
    assert "--allow-service" in error_line(result)
    assert received == [], f"the listener was reached: {received!r}"


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/>" } LIMIT 1',
        "SELECT * WHERE { ?s ?p ?o } LIMIT 1 # SERVICE <http://127.0.0.1:9/>",
        "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o } LIMIT 1",
        "SELECT ?SERVICE WHERE { ?SERVICE ?p ?o } LIMIT 1",
    ],
)
def test_service_in_a_string_comment_or_name_is_not_refused(
    query: str, kg: Callable[..., Result]
) -> None:
    ok(kg("--project", ROOT, "query", query, "--format", "csv"))


def test_every_query_kg_runs_goes_through_the_guard() -> None:
    """Only kg/sparql/query.py calls the engine's query method: kg query, show, stats, xrefs,
    mappings, the build's mapping set and the bulk loader's count all pass run_query's checks."""
    import re

    calls = {
        path.relative_to(ROOT / "kg").as_posix()
        for path in (ROOT / "kg").rglob("*.py")
        if re.search(r"(?<!kg)\.query\(", path.read_text(encoding="utf-8"))  # not kg.query()
    }
    assert calls == {"sparql/query.py"}


def test_terminal_output_escapes_control_characters(
    kg: Callable[..., Result], tmp_path: Path
) -> None:
    """A label with an ESC sequence (retitle the window, clear the screen) and a bidi override
    is shown escaped by the table and by kg show, never passed to the terminal."""
    data = tmp_path / "hostile.nt"
    data.write_text(
        "<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"x\\u001B]0;owned\\u0007\\u001B[2J \\u202Egnp.exe" .\n',
        encoding="utf-8",
    )
    table = ok(kg("query", "SELECT ?l WHERE { ?s ?p ?l }", "--data", data, "--format", "table"))
    shown = ok(kg("show", "http://example.org/a", "--data", data))
    for out in (table, shown):
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "\\x1b]0;owned\\x07\\x1b[2J \\u202egnp.exe" in out


def test_a_minted_iri_that_no_serialiser_should_see_is_refused() -> None:
    from rdflib import Dataset, URIRef

    from kg.errors import InputError
    from kg.namespaces import BASE
    from kg.rdf.mint import check_iris

    for bad in (f"{BASE}pubmed-1/claim/../../../evil", f"{BASE}entity/a b", f"{BASE}x/{{y}}"):
        dataset = Dataset()
        dataset.add((URIRef(bad), URIRef("http://example.org/p"), URIRef("http://example.org/o")))
        with pytest.raises(InputError, match="refusing to publish the IRI"):
            check_iris(dataset)


def test_a_redirect_is_not_followed_with_the_credentials() -> None:
    """A store that answers 307 to another host is not followed: the other host never gets a
    request (so never kg's digest or basic answer), and the user is told where it led."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from kg.errors import KGError
    from kg.sparql.endpoint import Connection
    from kg.sparql.query import run_remote_query

    seen: list[dict[str, str]] = []

    class Elsewhere(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Digest realm="elsewhere", nonce="n", qop="auth"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    target = f"http://127.0.0.1:{other.server_address[1]}/sparql"

    class Redirecting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(307)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    store = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    for server in (other, store):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{store.server_address[1]}/sparql"
        with pytest.raises(KGError, match="redirects to") as caught:
            run_remote_query(url, "ASK { ?s ?p ?o }", Connection("loader", "secret", "digest"))
        assert target in str(caught.value)
        assert seen == []
    finally:
        for server in (other, store):
            server.shutdown()
            server.server_close()


def test_the_data_are_loaded_within_the_memory_limit(
    kg: Callable[..., Result], tmp_path: Path
) -> None:
    """--memory bounds the loading of --data too, not only the query: a file larger than the
    limit stops the command in one line instead of growing it first."""
    data = tmp_path / "big.nt"
    with data.open("w", encoding="ascii") as out:
        for n in range(400_000):
            out.write(f'<urn:s{n}> <urn:p> "{"x" * 100} {n}" .\n')
    result = kg("query", "--data", data, "--memory", "32", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert result.exit_code != 0
    assert "needed more than 32 MB of memory and was stopped (--memory)" in result.stderr
    assert "Traceback" not in result.stderr
