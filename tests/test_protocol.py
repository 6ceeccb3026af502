"""The endpoint by the SPARQL 1.1 Protocol (kg.web.app at /query): the dataset a request names
(``default-graph-uri``, ``named-graph-uri``, by GET and POST, repeated, winning over FROM and
FROM NAMED), the Service Description, the release's prefixes predeclared as ``kg query``
declares them, and the query page people use: the form, the example queries of queries/ one
click away, and results as an HTML table whose IRIs are links. Every count comes from the
release's own files, so the tests hold for any corpus."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest
import rdflib
from test_app import HOST, call

from kg.curation.converter import declared_converter, namespaces, prefix_map
from kg.errors import InputError
from kg.sparql.query import load_store, run_query
from kg.web.app import App, create_app, respond
from kg.web.query_page import MAX_ROWS, read_examples

pytestmark = pytest.mark.stores
ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"


@pytest.fixture(scope="module")
def app(release: Path) -> Iterator[App]:
    made = create_app(release, hosts=[HOST], examples=QUERIES)
    yield made
    made.close()


@pytest.fixture(scope="module")
def graphs(release: Path) -> dict[str, set[ox.Triple]]:
    """The triples of each named graph of the release, read from its N-Quads."""
    found: dict[str, set[ox.Triple]] = {}
    for quad in ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS):
        assert isinstance(quad.graph_name, ox.NamedNode), "the release has only named graphs"
        found.setdefault(quad.graph_name.value, set()).add(quad.triple)
    return found


def csv_rows(app: App, path: str, **headers: str) -> list[list[str]]:
    status, _, body = call(app, "GET", path, accept="text/csv", **headers)
    assert status.startswith("200"), body
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))[1:]


def get(query: str, *pairs: tuple[str, str]) -> str:
    return "/query?" + urlencode([("query", query), *pairs])


def count(app: App, query: str, *pairs: tuple[str, str]) -> int:
    return int(csv_rows(app, get(query, *pairs))[0][0])


def result_rows(page: bytes) -> int:
    """The rows of the result table of a page."""
    table = re.search(r'<table id="results">(.*?)</table>', page.decode(), re.S)
    assert table is not None, "no result table"
    return len(re.findall(r"<tr><td>", table.group(1)))


def post(app: App, body: bytes, content_type: str, query_string: str = "") -> list[list[str]]:
    status, _, answer = call(
        app,
        "POST",
        "/query" + (f"?{query_string}" if query_string else ""),
        body=body,
        content_length=str(len(body)),
        content_type=content_type,
        accept="text/csv",
    )
    assert status.startswith("200"), answer
    return list(csv.reader(io.StringIO(answer.decode("utf-8"))))[1:]


# --- the dataset of a request ------------------------------------------------------------------


def test_without_dataset_parameters_the_default_graph_is_the_union(
    app: App, graphs: dict[str, set[ox.Triple]]
) -> None:
    everything = set().union(*graphs.values())
    assert count(app, COUNT) == len(everything)
    assert [row[0] for row in csv_rows(app, get(GRAPHS))] == sorted(graphs)


def test_default_graph_uri_names_the_default_graph(
    app: App, graphs: dict[str, set[ox.Triple]]
) -> None:
    names = sorted(graphs)
    for name in names:
        assert count(app, COUNT, ("default-graph-uri", name)) == len(graphs[name]), name
    # repeated: their merge; and no named graph, since the request names none
    two = [("default-graph-uri", names[0]), ("default-graph-uri", names[-1])]
    assert count(app, COUNT, *two) == len(graphs[names[0]] | graphs[names[-1]])
    assert csv_rows(app, get(GRAPHS, *two)) == []


def test_named_graph_uri_names_the_named_graphs(
    app: App, graphs: dict[str, set[ox.Triple]]
) -> None:
    names = sorted(graphs)
    chosen = [("named-graph-uri", names[0]), ("named-graph-uri", names[-1])]
    assert [row[0] for row in csv_rows(app, get(GRAPHS, *chosen))] == [names[0], names[-1]]
    assert count(app, COUNT, *chosen) == 0  # the default graph: none was named
    per_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    found = {row[0]: int(row[1]) for row in csv_rows(app, get(per_graph, *chosen))}
    assert found == {name: len(graphs[name]) for name in (names[0], names[-1])}


def test_the_protocol_s_dataset_wins_over_from_and_from_named(
    app: App, graphs: dict[str, set[ox.Triple]]
) -> None:
    first, last = sorted(graphs)[0], sorted(graphs)[-1]
    from_first = f"SELECT (COUNT(*) AS ?n) FROM <{first}> WHERE {{ ?s ?p ?o }}"
    assert count(app, from_first) == len(graphs[first])  # FROM holds when the request is silent
    assert count(app, from_first, ("default-graph-uri", last)) == len(graphs[last])
    assert count(app, from_first, ("named-graph-uri", last)) == 0
    named_first = f"SELECT DISTINCT ?g FROM NAMED <{first}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert csv_rows(app, get(named_first)) == [[first]]
    assert csv_rows(app, get(named_first, ("named-graph-uri", last))) == [[last]]


def test_kg_query_honours_from_too(release: Path, graphs: dict[str, set[ox.Triple]]) -> None:
    """Regression: run_query (the path of kg query and of the endpoint's workers) read the
    union of every graph even when the query said FROM."""
    store = load_store([release / "graph.nq"])
    for name, triples in graphs.items():
        found = run_query(store, f"SELECT (COUNT(*) AS ?n) FROM <{name}> WHERE {{ ?s ?p ?o }}")
        assert int(next(found)["n"].value) == len(triples), name


def test_an_unknown_graph_is_an_empty_one(app: App) -> None:
    nowhere = "https://example.org/no-such-graph"
    assert count(app, COUNT, ("default-graph-uri", nowhere)) == 0
    assert csv_rows(app, get(GRAPHS, ("named-graph-uri", nowhere))) == []


def test_a_graph_name_that_is_no_iri_is_one_line_and_400(app: App) -> None:
    status, _, body = call(app, "GET", get(COUNT, ("default-graph-uri", "not an IRI")))
    assert status.startswith("400")
    assert body.decode() == "default-graph-uri: 'not an IRI' is not an IRI\n"


def test_the_dataset_parameters_by_post(app: App, graphs: dict[str, set[ox.Triple]]) -> None:
    name = sorted(graphs)[0]
    form = urlencode([("query", COUNT), ("default-graph-uri", name)]).encode()
    assert post(app, form, "application/x-www-form-urlencoded") == [[str(len(graphs[name]))]]
    # a query sent as the body: its dataset's parameters are in the URL
    in_url = urlencode([("default-graph-uri", name)])
    found = post(app, COUNT.encode(), "application/sparql-query", in_url)
    assert found == [[str(len(graphs[name]))]]


# --- the service description -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml, application/xml; q=0.7, text/xml; q=0.6, */*; q=0.09", "xml"),
    ],
)
def test_the_service_description_names_the_endpoint_and_its_graphs(
    app: App, graphs: dict[str, set[ox.Triple]], accept: str, rdf_format: str
) -> None:
    status, headers, body = call(app, "GET", "/query", accept=accept)
    assert status.startswith("200") and headers["Vary"] == "Accept"
    described = rdflib.Graph().parse(data=body, format=rdf_format)
    endpoint = rdflib.URIRef(f"http://{HOST}/query")
    assert (endpoint, rdflib.RDF.type, SD.Service) in described
    assert (endpoint, SD.endpoint, endpoint) in described
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in described
    assert (endpoint, SD.feature, SD.UnionDefaultGraph) in described
    simple = rdflib.URIRef("http://www.w3.org/ns/entailment/Simple")
    assert (endpoint, SD.defaultEntailmentRegime, simple) in described
    formats = {str(o).rsplit("/", 1)[1] for o in described.objects(endpoint, SD.resultFormat)}
    assert {"SPARQL_Results_JSON", "SPARQL_Results_CSV", "Turtle", "RDF_XML"} <= formats
    (dataset,) = described.objects(endpoint, SD.defaultDataset)
    default = described.value(dataset, SD.defaultGraph)
    assert described.value(default, VOID.triples).toPython() == len(set().union(*graphs.values()))
    sizes = {
        str(described.value(named, SD.name)): int(
            described.value(described.value(named, SD.graph), VOID.triples)
        )
        for named in described.objects(dataset, SD.namedGraph)
    }
    assert sizes == {name: len(triples) for name, triples in graphs.items()}


def test_a_browser_and_curl_get_the_page_and_head_the_same(app: App) -> None:
    for accept in (BROWSER, "*/*"):
        status, headers, body = call(app, "GET", "/query", accept=accept)
        assert status.startswith("200") and headers["Content-Type"].startswith("text/html")
        assert b'<textarea id="query" name="query"' in body
    status, headers, body = call(app, "HEAD", "/query", accept="text/turtle")
    assert status.startswith("200") and body == b"" and int(headers["Content-Length"]) > 0
    # a client that asks for results, not a description, gets the page (as it did)
    status, headers, _ = call(app, "GET", "/query", accept="application/sparql-results+json")
    assert status.startswith("200") and headers["Content-Type"].startswith("text/html")


def test_behind_https_the_endpoint_says_https(app: App) -> None:
    headers = {"host": HOST, "accept": "text/turtle"}
    found = respond(app.endpoint, "GET", "/query", "", headers, None, scheme="https")
    assert found.status == 200 and f"<https://{HOST}/query>".encode() in found.body


# --- the release's prefixes --------------------------------------------------------------------


def test_every_prefix_kg_query_declares_works_undeclared(app: App, release: Path) -> None:
    """The endpoint predeclares what kg query does (one function gives both), and a query
    may use any of them without a PREFIX line."""
    store = load_store([release / "graph.nq"])
    declared = prefix_map(declared_converter(store))
    assert dict(app.endpoint.prefixes) == declared and declared
    names = [name for name in declared if re.fullmatch(r"[A-Za-z][\w.-]*(?<!\.)", name)]
    values = " ".join(f"{name}:" for name in names)
    query = f"SELECT ?x WHERE {{ VALUES ?x {{ {values} }} }}"
    assert sorted(row[0] for row in csv_rows(app, get(query))) == sorted(
        declared[name] for name in names
    )
    # a PREFIX the query declares wins over the predeclared one
    mine = (
        f"PREFIX {names[0]}: <https://example.org/m/> SELECT ?x {{ VALUES ?x {{ {names[0]}:a }} }}"
    )
    assert csv_rows(app, get(mine)) == [["https://example.org/m/a"]]


# --- the query page ----------------------------------------------------------------------------


def test_the_page_offers_every_example_and_each_fills_the_form(app: App) -> None:
    examples = read_examples(QUERIES)
    assert len(examples) == len(list(QUERIES.glob("*.rq"))) > 0
    _, _, page = call(app, "GET", "/query", accept=BROWSER)
    text = page.decode()
    assert '<label for="query">' in text and "<h1>" in text
    for name in namespaces(app.endpoint.converter):  # the predeclared prefixes, listed
        assert f"<code>{html.escape(name)}:</code>" in text, name
    for example in examples:
        link = re.search(f'<a href="/query\\?example={quote(example.name)}">(.*?)</a>', text)
        assert link is not None, example.name
        assert html.unescape(link.group(1)) == example.title
        status, _, filled = call(app, "GET", f"/query?example={quote(example.name)}")
        assert status.startswith("200")
        textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", filled.decode(), re.S)
        assert textarea is not None
        assert html.unescape(textarea.group(1)) == example.text
    assert call(app, "GET", "/query?example=no-such-example")[0].startswith("404")


def test_an_example_that_cannot_be_read_is_one_line(release: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.rq").write_bytes(b"# Question: \xff?\nASK {}\n")
    with pytest.raises(InputError) as raised:
        create_app(release, hosts=[HOST], examples=tmp_path)
    assert str(raised.value).startswith(f"{tmp_path / 'broken.rq'}: cannot read the query: ")
    assert "\n" not in str(raised.value)


def test_results_for_a_browser_are_a_table_with_links(app: App, release: Path) -> None:
    query = "SELECT ?claim ?label WHERE { ?claim a kgo:Claim ; rdfs:label ?label } ORDER BY ?claim"
    expected = csv_rows(app, get(query))
    status, headers, page = call(app, "GET", get(query), accept=BROWSER)
    assert status.startswith("200") and headers["Content-Type"].startswith("text/html")
    text = page.decode()
    assert '<th scope="col">claim</th><th scope="col">label</th>' in text
    assert result_rows(page) == min(len(expected), MAX_ROWS)
    minted = expected[0][0]
    path = "/" + minted.split("/drugclaims/", 1)[1]
    assert f'<a href="{path}" title="{minted}">' in text  # to its page on this server
    assert call(app, "GET", path, accept=BROWSER)[0].startswith("303")
    # the query stays in the form, to be edited
    assert html.escape(query) in text


def test_outside_iris_link_to_themselves_and_everything_is_escaped(app: App) -> None:
    query = (
        "SELECT ?iri ?text WHERE { VALUES (?iri ?text) { "
        '(<https://example.org/a?b=1&c=2> "<script>alert(1)</script>") } }'
    )
    _, _, page = call(app, "GET", get(query), accept=BROWSER)
    text = page.decode()
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>" not in text


def test_construct_ask_and_errors_on_the_page(app: App) -> None:
    construct = "CONSTRUCT { ?c a kgo:Claim } WHERE { ?c a kgo:Claim }"
    claims = len(csv_rows(app, get("SELECT ?c WHERE { ?c a kgo:Claim }")))
    _, _, page = call(app, "GET", get(construct), accept=BROWSER)
    assert '<th scope="col">subject</th>' in page.decode()
    assert result_rows(page) == min(claims, MAX_ROWS)
    _, _, page = call(app, "GET", get("ASK { ?c a kgo:Claim }"), accept=BROWSER)
    assert "The answer is <strong>yes</strong>" in page.decode()
    status, _, page = call(app, "GET", get("SELECT * WHERE { ?s nope:p ?o }"), accept=BROWSER)
    assert status.startswith("400") and "unknown prefix nope:" in page.decode()
    assert 'role="alert"' in page.decode()
    status, _, page = call(app, "GET", get("CLEAR ALL"), accept=BROWSER)
    assert status.startswith("403") and "read-only" in page.decode()


def test_clients_still_get_the_formats_they_ask_for(app: App) -> None:
    query = get("SELECT ?c WHERE { ?c a kgo:Claim }")
    for accept, media_type in (
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv, text/html;q=0.5", "text/csv"),
    ):
        status, headers, _ = call(app, "GET", query, accept=accept)
        assert status.startswith("200") and headers["Content-Type"].startswith(media_type)
    _, headers, _ = call(app, "GET", query)  # no Accept at all
    assert headers["Content-Type"].startswith("application/sparql-results+json")


def test_the_query_the_form_starts_with_runs(app: App) -> None:
    _, _, page = call(app, "GET", "/query", accept=BROWSER)
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", page.decode(), re.S)
    assert textarea is not None
    status, _, result = call(app, "GET", get(html.unescape(textarea.group(1))), accept=BROWSER)
    assert status.startswith("200") and result_rows(result) > 0


def test_the_page_keeps_the_dataset_in_its_form_and_links(
    app: App, graphs: dict[str, set[ox.Triple]]
) -> None:
    name = sorted(graphs)[0]
    _, _, page = call(app, "GET", get(COUNT, ("default-graph-uri", name)), accept=BROWSER)
    text = page.decode()
    assert f'<input type="hidden" name="default-graph-uri" value="{name}">' in text
    csv_link = re.search(r'<a href="(/query\?[^"]*format=csv)">CSV</a>', text)
    assert csv_link is not None
    assert csv_rows(app, html.unescape(csv_link.group(1))) == [[str(len(graphs[name]))]]


def test_a_link_may_ask_for_a_format_and_the_page_links_each(app: App) -> None:
    query = "SELECT ?c WHERE { ?c a kgo:Claim } ORDER BY ?c"
    expected = csv_rows(app, get(query))
    _, _, page = call(app, "GET", get(query), accept=BROWSER)
    links = dict(
        (text, html.unescape(href))
        for href, text in re.findall(
            r'<a href="(/query\?[^"]*format=[^"]*)">([^<]+)</a>', page.decode()
        )
    )
    assert set(links) == {"CSV", "TSV", "JSON", "XML"}
    for text, media_type in (("CSV", "text/csv"), ("JSON", "application/sparql-results+json")):
        status, headers, body = call(app, "GET", links[text], accept=BROWSER)
        assert status.startswith("200") and headers["Content-Type"].startswith(media_type)
    status, _, body = call(app, "GET", links["CSV"], accept=BROWSER)
    assert list(csv.reader(io.StringIO(body.decode())))[1:] == expected
    status, headers, _ = call(app, "GET", get(query, ("format", "text/tab-separated-values")))
    assert headers["Content-Type"].startswith("text/tab-separated-values")
    status, _, body = call(app, "GET", get(query, ("format", "png")))
    assert status.startswith("400") and body.decode().startswith("format: expected one of")
    construct = "CONSTRUCT { ?c a kgo:Claim } WHERE { ?c a kgo:Claim }"
    _, _, page = call(app, "GET", get(construct), accept=BROWSER)
    turtle = re.search(r'<a href="(/query\?[^"]*format=turtle)">Turtle</a>', page.decode())
    assert turtle is not None
    status, headers, body = call(app, "GET", html.unescape(turtle.group(1)))
    assert headers["Content-Type"].startswith("text/turtle")
    assert len(rdflib.Graph().parse(data=body, format="turtle")) == len(expected)


# --- real clients, through kg serve -------------------------------------------------------------


def test_rdflib_and_requests_as_clients_of_kg_serve(
    tmp_path: Path, graphs: dict[str, set[ox.Triple]]
) -> None:
    """rdflib's SPARQL store queries kg serve by GET and by POST, rdflib's Graph.parse reads
    the service description at the endpoint's own address, and the dataset's parameters pass
    through the server (repeated, in the URL and in a form)."""
    import requests
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    from test_serve import served

    with served(tmp_path) as server:
        endpoint = f"{server.url}/query"
        claims = len(csv_rows_of(server.query("SELECT ?c WHERE { ?c a kgo:Claim }").text))
        for method in ("GET", "POST"):
            store = SPARQLStore(endpoint, method=method, returnFormat="xml")
            (row,) = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?c a kgo:Claim }")
            assert int(row[0]) == claims, method
        described = rdflib.Graph().parse(endpoint)
        assert (rdflib.URIRef(endpoint), SD.endpoint, rdflib.URIRef(endpoint)) in described
        assert {str(name) for name in described.objects(None, SD.name)} == set(graphs)
        first, last = sorted(graphs)[0], sorted(graphs)[-1]
        dataset = [("query", COUNT), ("default-graph-uri", first), ("default-graph-uri", last)]
        headers = {"Accept": "text/csv"}
        by_get = requests.get(endpoint, params=dataset, headers=headers, timeout=60)
        by_post = requests.post(endpoint, data=dataset, headers=headers, timeout=60)
        for answer in (by_get, by_post):
            assert csv_rows_of(answer.text) == [[str(len(graphs[first] | graphs[last]))]]


def csv_rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))[1:]


def test_a_long_result_shows_its_first_rows_and_says_so(app: App) -> None:
    side = int(MAX_ROWS**0.5) + 2  # side * side rows, more than the page shows
    values = " ".join(str(n) for n in range(side))
    query = f"SELECT ?a ?b WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} }}"
    _, _, page = call(app, "GET", get(query), accept=BROWSER)
    assert result_rows(page) == MAX_ROWS
    assert f"{side * side} rows; the first {MAX_ROWS} are shown" in page.decode()
    assert len(csv_rows(app, get(query))) == side * side  # a client gets them all


def test_a_form_posted_by_a_client_that_goes_away_stops_its_query(tmp_path: Path) -> None:
    """A POST (the form of a page elsewhere, asking for HTML) whose client closes its
    connection while the query runs: the worker is stopped at once, one line, no traceback."""
    import socket

    from test_serve import CROSS_PRODUCT, alive, children_of, served, wait_until

    with served(tmp_path, "--timeout", "60") as server:
        body = urlencode({"query": CROSS_PRODUCT}).encode()
        head = (
            f"POST /query HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAccept: {BROWSER}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(head.encode() + body)
        workers: list[int] = []
        assert wait_until(lambda: bool(workers.extend(children_of(server.process.pid)) or workers))
        client = f"127.0.0.1:{sock.getsockname()[1]}: "
        sock.close()
        # stopped within 10 s of its client going: not left to its 60 s limit
        assert wait_until(lambda: not any(alive(w) for w in workers), 10)
        server.process.terminate()
        _, err = server.process.communicate(timeout=30)
    lines = [line for line in err.decode().splitlines() if client in line]
    assert lines == [f"kg: {client}the client went away before its answer; its query was stopped"]
    assert "Traceback" not in err.decode()
