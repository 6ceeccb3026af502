"""Property-based tests (hypothesis) of the parts that read what strangers send: the HTTP
request handling of the WSGI application, Accept negotiation, the SPARQL guard's tokens, and
the curation YAML. Whatever they are given, they answer with one of their own outcomes (a
status, a format or None, a refusal, an InputError naming the file), never another exception;
the hostile-input tables (test_bad_input, test_query_input, test_serve) name the known cases."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_app import HOST, call

from kg.errors import InputError, QueryError
from kg.sparql.query import check_query
from kg.sparql.tokens import tokenize, uses_service
from kg.web.app import App, create_app
from kg.web.negotiation import FORMATS, accepted_types, negotiate

#: Text as a stranger may send it: any code point, with the characters of the syntaxes read.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(), st.sampled_from(list(";,=*/+.-\"'\\<>{}#?:\r\n\t \x00SERVICEservice"))
    ),
    max_size=200,
)
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True)


@SETTINGS
@given(TEXT)
def test_any_accept_header_gives_one_of_our_formats_or_none(header: str) -> None:
    chosen = negotiate(header)
    assert chosen is None or chosen in FORMATS
    assert all(isinstance(kind, str) and "," not in kind for kind in accepted_types(header))


@SETTINGS
@given(TEXT)
def test_any_query_text_is_answered_or_refused_by_the_guard(query: str) -> None:
    """The guard never fails on its own: it passes the text to the engine or refuses it."""
    tokenize(query)
    with contextlib.suppress(QueryError):
        check_query(query)


@SETTINGS
@given(TEXT, TEXT)
def test_service_is_found_wherever_it_stands_between_tokens(before: str, after: str) -> None:
    """A SERVICE clause after any prefix of text that leaves the lexer outside a string,
    comment or IRI is always found (the lexer's state is checked by the safe prefix)."""
    safe = before.replace('"', "").replace("'", "").replace("#", "").replace("<", "")
    query = f"SELECT * {{ {safe} }} SERVICE <http://example.org/> {{ ?s ?p ?o }}"
    if "\\" not in safe:
        assert uses_service(query)
    with pytest.raises(QueryError):
        check_query(f"SELECT * WHERE {{ SERVICE <http://example.org/> {{ {after!r} }} }}")


@SETTINGS
@given(st.binary(max_size=300) | TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_curation_file_is_read_or_refused_in_one_line(data: bytes) -> None:
    from kg.curation.records import load_yaml

    try:
        load_yaml(data, display="sources/x/claims.yaml")
    except InputError as error:
        assert str(error).startswith("sources/x/claims.yaml")
        assert "\n" not in str(error).strip()


@pytest.fixture(scope="module")
def app(release: Path) -> Iterator[App]:
    made = create_app(release, hosts=[HOST])
    yield made
    made.close()


PATH = st.text(alphabet=st.characters(codec="latin-1"), max_size=120).map(lambda p: "/" + p)
METHOD = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "BREW", ""])


@pytest.mark.stores
@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(METHOD, PATH, TEXT, st.binary(max_size=64))
def test_any_request_gets_a_status_never_an_exception(
    app: App, method: str, path: str, accept: str, body: bytes
) -> None:
    """Any method, path (latin-1, as WSGI carries it), Accept header and body: the application
    answers with an HTTP status and its headers, and nothing escapes it."""
    status, headers, _ = call(app, method, path, body=body, accept=accept.replace("\n", " "))
    code = int(status.split(" ", 1)[0])
    assert 200 <= code < 600
    assert all("\n" not in value and "\r" not in value for value in headers.values())
