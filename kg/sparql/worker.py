"""One query of ``kg serve``, in a process of its own:
``python -m kg.sparql.worker STORE MEMORY_MB``.

It reads ``{"query": ..., "accept": [media types], "allow_service": bool, "prefixes": {...},
"default_graphs": [IRIs] or null, "named_graphs": [IRIs] or null}`` (the prefixes
predeclared, as ``kg query`` declares the release's; the dataset the SPARQL protocol's
``default-graph-uri`` and ``named-graph-uri`` name, if any) as JSON on standard input, opens
the store read-only, limits its own memory, runs the query through
:func:`kg.sparql.query.run_query` (so the same checks apply as for ``kg query``) and writes the
content type on the first line of standard output, then the result. On a refused or malformed
query it writes ``STATUS message`` on standard error and exits 2. The server kills it at the
time limit; the memory limit makes it die on its own.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pyoxigraph as ox

from kg.errors import KGError
from kg.runtime.processes import die_with_parent, limit_memory
from kg.sparql.query import run_query

__all__ = ["FORMAT_NAMES", "RDF_TYPES", "RESULT_TYPES", "main", "negotiate"]

#: Media types of SELECT and ASK results, the first the default.
RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
}
#: Media types of CONSTRUCT and DESCRIBE results, the first the default.
RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}

#: Short names of the media types above, for a ``format`` parameter (a link cannot send Accept).
FORMAT_NAMES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}


def negotiate(accepted: list[str], offered: list[str]) -> str | None:
    """The first media type of ``accepted`` (already in preference order) that is offered;
    ``*/*`` or no preference takes the first offered.

    >>> negotiate(["text/csv", "*/*"], ["application/sparql-results+json", "text/csv"])
    'text/csv'
    >>> negotiate(["image/png"], ["text/turtle"]) is None
    True
    """
    if not accepted:
        return offered[0]
    for media_type in accepted:
        if media_type in offered:
            return media_type
        if media_type in ("*/*", "application/*", "text/*"):
            matching = [o for o in offered if media_type == "*/*" or o.startswith(media_type[:-1])]
            if matching:
                return matching[0]
    return None


def _answer(store: ox.Store, request: dict[str, Any]) -> bytes:
    query, accepted = str(request["query"]), [str(a) for a in request["accept"]]
    result = run_query(
        store,
        query,
        allow_service=bool(request["allow_service"]),
        prefixes={str(k): str(v) for k, v in (request.get("prefixes") or {}).items()},
        default_graphs=request.get("default_graphs"),
        named_graphs=request.get("named_graphs"),
    )
    if isinstance(result, ox.QueryTriples):
        media_type = negotiate(accepted, list(RDF_TYPES))
        if media_type is None:
            raise _Refused(406, f"a CONSTRUCT result is RDF: accept one of {', '.join(RDF_TYPES)}")
        body = result.serialize(format=RDF_TYPES[media_type])
    else:
        media_type = negotiate(accepted, list(RESULT_TYPES))
        if media_type is None:
            raise _Refused(406, f"a result table: accept one of {', '.join(RESULT_TYPES)}")
        assert isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
        body = result.serialize(format=RESULT_TYPES[media_type])
    assert body is not None
    charset = "" if media_type.endswith("+xml") else "; charset=utf-8"
    return f"{media_type}{charset}\n".encode() + body


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def main(argv: list[str] | None = None) -> int:
    """Run one query read from standard input; the exit code says how it went."""
    location, memory_mb = (argv or sys.argv[1:])[:2]
    die_with_parent()
    request = json.loads(sys.stdin.buffer.read())
    try:
        store = ox.Store.read_only(location)
        limit_memory(int(memory_mb))
        output = _answer(store, request)
    except _Refused as error:
        print(f"{error.status} {error}", file=sys.stderr)
        return 2
    except KGError as error:
        print(f"400 {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the engine's own failure, such as a SERVICE it cannot reach
        print(f"500 the query failed: {error}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
