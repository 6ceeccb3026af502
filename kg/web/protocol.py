"""What a request asks of the SPARQL endpoint, by the SPARQL 1.1 Protocol: a query (or an
update, refused), the dataset it names, the format a link asks for, or an example query for
the page; and whether a query's result should be a page for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from kg.sparql.worker import FORMAT_NAMES, RDF_TYPES, RESULT_TYPES
from kg.web.negotiation import accepted_types

__all__ = ["Operation", "answer_accept", "read_operation", "wants_html"]


@dataclass(frozen=True)
class Operation:
    """What a request asks of the endpoint by the SPARQL protocol: a query's text (None when it
    sends none), whether it is an update (refused: the endpoint is read-only), the dataset it
    names (default and named graphs; None when it names none), the example query it asks
    for (for the page) and the format it asks for (a media type or its short name)."""

    query: str | None
    update: bool
    dataset: tuple[list[str], list[str]] | None = None
    example: str | None = None
    format: str | None = None


def read_operation(query_string: str, content_type: str, body: bytes | None) -> Operation:
    """The operation of a request: by the protocol, the query's text is the body of a POST of
    ``application/sparql-query`` (its other parameters in the URL), else the ``query``
    parameter of the URL (GET) or of the form sent (POST); the dataset's parameters may repeat.
    ``format`` (a media type, or ``csv``, ``json`` ...) stands for the Accept header, so that a
    link can ask for a download.

    >>> read_operation("default-graph-uri=http://a&default-graph-uri=http://b", "", b"").dataset
    (['http://a', 'http://b'], [])
    """
    kind = content_type.split(";")[0].strip().lower()
    if body is not None and kind == "application/sparql-update":
        return Operation(None, True)
    form = parse_qs(query_string)
    if body is not None and kind == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", errors="replace"))
    values = form.get("query")
    query = values[0] if values else None
    if body is not None and kind == "application/sparql-query":
        query = body.decode("utf-8", errors="replace")
    defaults, named = form.get("default-graph-uri"), form.get("named-graph-uri")
    dataset = (defaults or [], named or []) if defaults or named else None
    example, chosen = form.get("example"), form.get("format")
    return Operation(
        query,
        "update" in form,
        dataset,
        example[0] if example else None,
        chosen[0].strip().lower() if chosen else None,
    )


def wants_html(accept: str | None) -> bool:
    """Whether a query's results should be a page: the Accept header prefers HTML to every
    result format it names (a browser's does; ``*/*`` alone, or none, gets JSON as before).

    >>> wants_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> [wants_html(a) for a in (None, "*/*", "text/csv", "text/csv, text/html;q=0.5")]
    [False, False, False, False]
    """
    offered = {*RESULT_TYPES, *RDF_TYPES, "text/html", "application/xhtml+xml"}
    for media_type in accepted_types(accept):
        if media_type in offered:
            return media_type in ("text/html", "application/xhtml+xml")
    return False


def answer_accept(operation: Operation, header: str | None) -> str | None:
    """The Accept header a query's answer is chosen by: the ``format`` the request names (a
    link cannot send Accept), else its own.

    :raises ValueError: a format the endpoint does not answer in

    >>> answer_accept(read_operation("format=csv", "", None), "text/html")
    'text/csv'
    """
    if operation.format is None:
        return header
    media_type = FORMAT_NAMES.get(operation.format, operation.format)
    if media_type not in {*RESULT_TYPES, *RDF_TYPES}:
        raise ValueError(f"format: expected one of {', '.join(FORMAT_NAMES)}")
    return media_type
