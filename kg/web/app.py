"""The release as a WSGI application: its site (every IRI dereferences, by content negotiation)
and a read-only SPARQL endpoint at ``/query``, around one pure function from a request to its
answer (:func:`respond`). ``kg serve`` runs this application; so can any WSGI server:

    gunicorn --threads 8 'kg.web.app:create_app("dist", hosts=["kg.example.org"])'
    KG_RELEASE=dist KG_HOSTS=kg.example.org waitress-serve --call kg.web.app:create_app

The endpoint follows the SPARQL 1.1 Protocol: a request's ``default-graph-uri`` and
``named-graph-uri`` name its dataset (over the query's FROM), the release's prefixes are
predeclared, and a GET without a query gives an RDF client the Service Description
(:mod:`kg.sparql.service`) and a browser the query page (:mod:`kg.web.query_page`), where a
query's result is a table.

Each query runs in a process of its own (:mod:`kg.sparql.worker`) within a time and a memory
limit, at most ``Limits.concurrent`` at once; a request whose ``Host`` is not one the
application answers for is refused (421: no DNS rebinding); updates and ``SERVICE`` are refused
from the query's tokens. :func:`create_app` loads the release into a store, and writes its
site's front pages and downloads and indexes its pages (:func:`kg.web.site.write_served`),
kept for the next start of the same release (:mod:`kg.web.kept`), or, where no copy can be
kept, in a temporary folder that :meth:`App.close` or the normal end of the process removes
(the next :func:`create_app` removes what a process killed outright left behind). Each
resource's page and RDF documents are made when they are asked for (the last few kept in
memory, :data:`MADE_BYTES`), so that a start does not write a document for every resource.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pyoxigraph as ox
from curies import Converter

from kg.curation.converter import declared_converter, namespaces, prefix_map
from kg.formats.listing import DESCRIPTION, Copied, check_release_files, copy_release
from kg.runtime.processes import die_with_parent, kg_environment, kg_module
from kg.sparql import tokens
from kg.sparql.endpoint import EndpointError
from kg.sparql.query import run_query
from kg.sparql.service import PREFIXES, Sizes, describe_service, graph_sizes
from kg.web.deploy import CORS, PREFLIGHT, Answer, Damaged, Made, Unavailable, answer
from kg.web.kept import Kept, kept_copy
from kg.web.negotiation import accepted_types, negotiate
from kg.web.pictures import GraphvizError
from kg.web.protocol import Operation, answer_accept, read_operation, wants_html
from kg.web.query_page import WORKER_TYPES, Example, query_page, read_examples, results_table
from kg.web.site import (
    Documents,
    Vouching,
    dataset_value,
    license_of,
    open_served,
    write_served,
)

__all__ = [
    "LOOPBACK",
    "App",
    "Endpoint",
    "InProcess",
    "LimitError",
    "Limits",
    "Making",
    "Preparing",
    "QuerySlots",
    "allowed_hosts",
    "check_limit",
    "create_app",
    "examples_folder",
    "hosts_wanted",
    "make_served",
    "release_issued",
    "remove_orphans",
    "respond",
]

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_QUERY = 1 << 20  # bytes of query text a request may send
PREFIX = "kg-serve-"
OWNER = "kg.pid"
_TEXT = "text/plain; charset=utf-8"
_METHODS = "GET, HEAD, POST, OPTIONS"
#: The answer to a CORS preflight: a script elsewhere may GET, HEAD and POST.
_PREFLIGHT = Answer(int(HTTPStatus.NO_CONTENT), (*PREFLIGHT, ("Allow", _METHODS)), b"")
_OTHER_HOST = "this server does not answer for that host\n"

T = TypeVar("T")
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class LimitError(ValueError):
    """A limit outside the values it may take (below, it would refuse everything; above, it is
    a slip of the keyboard, not a choice): names the limit."""

    def __init__(self, limit: str, value: float, least: float, most: float, why: str = "") -> None:
        self.limit = limit
        self.reason = f"{_number(value)} is not between {_number(least)} and {_number(most)}"
        self.reason += f" ({why})" if why else ""
        super().__init__(f"{limit}: {self.reason}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def check_limit(limit: str, value: float, least: float, most: float, why: str = "") -> None:
    """Refuse a limit outside [least, most] (``why``: what decides those bounds).

    >>> check_limit("threads", 0, 1, 1024)
    Traceback (most recent call last):
    ...
    kg.web.app.LimitError: threads: 0 is not between 1 and 1024

    :raises LimitError: it is outside
    """
    if not least <= value <= most:
        raise LimitError(limit, value, least, most, why)


@dataclass(frozen=True)
class Limits:
    """What one query may use, how many run at once, and how long one waits for its turn: at
    most ``concurrent`` queries run, and as many more wait, each ``wait_s`` seconds at most
    (then, or when that many wait already, 503 with ``Retry-After``), so that queries waiting
    their turn never hold every thread of the server.

    :raises LimitError: a limit outside the values it may take
    """

    timeout_s: float = 30.0
    memory_mb: int = 1024
    concurrent: int = 4
    allow_service: bool = False
    wait_s: float = 5.0

    def __post_init__(self) -> None:
        check_limit("timeout_s", self.timeout_s, 0.001, 86400)
        check_limit("memory_mb", self.memory_mb, 16, 1 << 20)
        check_limit("concurrent", self.concurrent, 1, 256)
        check_limit("wait_s", self.wait_s, 0, 3600)


class QuerySlots:
    """The queries' turns (:class:`Limits`): ``running`` at once, and at most as many waiting,
    each for ``wait_s`` seconds at most."""

    def __init__(self, running: int, wait_s: float) -> None:
        self._free = threading.Semaphore(running)
        self._room = threading.Semaphore(running)  # places to wait in
        self._count = threading.Lock()
        self.wait_s = wait_s
        self.waiting = 0  # queries waiting for their turn now

    def take(self) -> bool:
        """Take a turn, waiting for one if need be; False when none came in time, or when too
        many wait already."""
        if self._free.acquire(blocking=False):
            return True
        if not self._room.acquire(blocking=False):
            return False
        self._add_waiting(1)
        try:
            return self._free.acquire(timeout=self.wait_s)
        finally:
            self._add_waiting(-1)
            self._room.release()

    def _add_waiting(self, change: int) -> None:
        with self._count:
            self.waiting += change

    def give(self) -> None:
        """Give back a turn taken."""
        self._free.release()


@dataclass
class Endpoint:
    """What answering a request needs: the store the workers open, the site, the licence, the
    limits, the Host names answered for, and the running workers."""

    store: Path
    site: Path
    license: str | None
    limits: Limits
    hosts: frozenset[str]
    slots: QuerySlots
    prefixes: Mapping[str, str] = field(default_factory=dict)  # predeclared in every query
    issued: float | None = None  # the release's dct:issued (seconds): its files' Last-Modified
    #: the running workers, each with the thread that started it
    workers: dict[subprocess.Popen[bytes], int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    examples: tuple[Example, ...] = ()  # the project's example queries, for the query page
    graphs: Sizes = field(default_factory=Sizes)  # of the default and each named graph
    converter: Converter = field(default_factory=lambda: Converter([]))  # CURIEs on the page
    title: str = "drugclaims"  # the release's title, on the query page
    #: whether a file of the site holds the bytes it was written with (a kept copy's check)
    check: Callable[[Path, str], bool] | None = None
    #: the resources' documents, made when they are asked for
    made: Made | None = None

    def stop_workers(self) -> None:
        """Kill every query still running."""
        with self.lock:
            for worker in list(self.workers):
                worker.kill()

    def stop_queries_of(self, thread: int) -> bool:
        """Kill the queries the thread ``thread`` started (its client went away); whether
        there were any."""
        with self.lock:
            found = [worker for worker, owner in self.workers.items() if owner == thread]
        for worker in found:
            with suppress(OSError):
                worker.kill()
        return bool(found)


def respond(
    endpoint: Endpoint,
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    scheme: str = "http",
) -> Answer:
    """The answer to one request (``headers`` by lower-case name; ``body`` for a POST;
    ``scheme`` the request's, for the endpoint's own IRI in its service description)."""
    if headers.get("host", "").lower() not in endpoint.hosts:
        return _text(HTTPStatus.MISDIRECTED_REQUEST, _OTHER_HOST)
    if method == "OPTIONS":  # a CORS preflight: a script elsewhere may GET, HEAD and POST
        return _PREFLIGHT
    if method not in ("GET", "HEAD", "POST"):
        return _text(HTTPStatus.METHOD_NOT_ALLOWED, "use GET, HEAD, POST or OPTIONS\n", _METHODS)
    if path == "/update":
        return _text(HTTPStatus.FORBIDDEN, "this endpoint is read-only\n")
    if path != "/query":
        if method == "POST":
            return _text(HTTPStatus.NOT_FOUND, "not found: the SPARQL endpoint is /query\n")
        return answer(
            endpoint.site,
            path,
            headers.get("accept"),
            license_iri=endpoint.license,
            request=headers,
            modified=endpoint.issued,
            check=endpoint.check,
            made=endpoint.made,
        )
    operation = read_operation(query_string, headers.get("content-type", ""), body)
    if operation.update:
        return _text(HTTPStatus.FORBIDDEN, "this endpoint is read-only\n")
    query = operation.query
    if query is None and body is None:  # a person, or a client asking what the endpoint is
        return _no_query(endpoint, operation, headers, scheme)
    if query is None:
        return _text(HTTPStatus.BAD_REQUEST, "no query: send query=... (GET or POST)\n")
    try:
        accept = answer_accept(operation, headers.get("accept"))
    except ValueError as error:
        return _text(HTTPStatus.BAD_REQUEST, f"{error}\n")
    html = wants_html(accept)
    if tokens.query_form(query) in tokens.UPDATE_KEYWORDS:
        return _refused(endpoint, query, html, HTTPStatus.FORBIDDEN, "this endpoint is read-only")
    if not endpoint.limits.allow_service and tokens.uses_service(query):
        message = "SERVICE is not allowed on this endpoint"
        return _refused(endpoint, query, html, HTTPStatus.FORBIDDEN, message)
    if not endpoint.slots.take():
        return _busy(endpoint.limits)
    accepted = WORKER_TYPES if html else accepted_types(accept)
    try:
        status, content_type, output = run_worker(endpoint, query, accepted, operation.dataset)
    finally:
        endpoint.slots.give()
    if html:
        return _result_page(endpoint, query, operation.dataset, (status, content_type, output))
    return Answer(int(status), _headers(content_type, output), output)


def _no_query(
    endpoint: Endpoint, operation: Operation, headers: Mapping[str, str], scheme: str
) -> Answer:
    """A GET without a query: an example's page, the service description in the RDF format
    the client asks for, else the query page (a browser's, or a client's that asks only for
    a format of results)."""
    if operation.example is not None:
        found = [e for e in endpoint.examples if e.name == operation.example]
        if not found:
            return _text(HTTPStatus.NOT_FOUND, "no example query of that name\n")
        return _page(endpoint, HTTPStatus.OK, query=found[0].text)
    chosen = negotiate(headers.get("accept"))
    if chosen is None or chosen.extension == "html":  # the page, also for a results type
        return _page(endpoint, HTTPStatus.OK)
    iri = f"{scheme}://{headers['host']}/query"
    triples = describe_service(iri, endpoint.graphs, allow_service=endpoint.limits.allow_service)
    rdf_format = ox.RdfFormat.from_media_type(chosen.media_type)
    data = ox.serialize(triples, format=rdf_format, prefixes=PREFIXES)
    assert data is not None  # serialized to bytes, not to a file
    return Answer(200, _headers(chosen.content_type, data), data)


def _refused(endpoint: Endpoint, query: str, html: bool, status: HTTPStatus, why: str) -> Answer:
    if html:
        return _page(endpoint, status, query=query, error=why)
    return _text(status, f"{why}\n")


def _result_page(
    endpoint: Endpoint,
    query: str,
    dataset: tuple[list[str], list[str]] | None,
    answered: tuple[HTTPStatus, str, bytes],
) -> Answer:
    """The query page with the query (and dataset) in its form, and its result as a table or
    its error."""
    status, content_type, output = answered
    if status != HTTPStatus.OK:
        error = output.decode("utf-8").strip()
        return _page(endpoint, status, query=query, dataset=dataset, error=error)
    media_type = content_type.split(";")[0].strip()
    result = results_table(output, media_type, endpoint.converter)
    return _page(endpoint, status, query=query, dataset=dataset, result=result)


def _page(endpoint: Endpoint, status: HTTPStatus, **values: Any) -> Answer:
    data = query_page(
        site_name=endpoint.title,
        examples=endpoint.examples,
        allow_service=endpoint.limits.allow_service,
        prefixes=namespaces(endpoint.converter),
        licence=endpoint.license,
        **values,
    )
    return Answer(int(status), _headers("text/html; charset=utf-8", data), data)


class App:
    """The WSGI application of one :class:`Endpoint`."""

    def __init__(
        self, endpoint: Endpoint, folder: Path | None = None, kept: Kept | None = None
    ) -> None:
        self.endpoint = endpoint
        self.folder = folder  # the temporary folder create_app made, removed by close()
        self.kept = kept  # the kept copy of the site and store it serves, if any

    def __call__(
        self, environ: Mapping[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        headers = _request_headers(environ)
        body: bytes | None = None
        if headers.get("host", "").lower() not in self.endpoint.hosts:  # before any body
            found = _text(HTTPStatus.MISDIRECTED_REQUEST, _OTHER_HOST)
            return _start(start_response, found, head=method == "HEAD")
        if "transfer-encoding" in headers:
            found = _text(HTTPStatus.LENGTH_REQUIRED, "send the query with a Content-Length\n")
            return _start(start_response, found, head=False)
        if method == "POST":
            length = _content_length(environ)
            if length is None:
                found = _text(HTTPStatus.BAD_REQUEST, "a POST needs a Content-Length\n")
                return _start(start_response, found, head=False)
            if length > MAX_QUERY:
                found = _text(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "the query is too long\n")
                return _start(start_response, found, head=False)
            body = environ["wsgi.input"].read(length)
        found = respond(
            self.endpoint,
            method,
            _path(environ),
            str(environ.get("QUERY_STRING", "")),
            headers,
            body,
            scheme="https" if environ.get("wsgi.url_scheme") == "https" else "http",
        )
        return _start(start_response, found, head=method == "HEAD")

    def stop_queries_of(self, thread: int) -> bool:
        """Stop the queries the thread ``thread`` runs for its request (a server calls it when
        that request's client went away); whether there were any."""
        return self.endpoint.stop_queries_of(thread)

    def close(self) -> None:
        """Stop the running queries and remove what :func:`create_app` wrote."""
        self.endpoint.stop_workers()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self.kept is not None:
            self.kept.close()


class Preparing:
    """The WSGI application of ``kg serve`` while it prepares a release it has not served
    before (:mod:`kg.web.preparing`): every request for one of ``hosts`` is answered 503
    Service Unavailable with ``Retry-After``, a browser's with a page that reloads itself, so
    that a client that waits and asks again gets the release's answer once it is ready; a
    request for another host, 421, as :class:`App` answers it."""

    #: Seconds a client is asked to wait before it asks again.
    RETRY_S = 2

    def __init__(self, hosts: frozenset[str]) -> None:
        self.hosts = hosts

    def __call__(
        self, environ: Mapping[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        headers = _request_headers(environ)
        if headers.get("host", "").lower() not in self.hosts:
            found = _text(HTTPStatus.MISDIRECTED_REQUEST, _OTHER_HOST)
            return _start(start_response, found, head=method == "HEAD")
        if method == "OPTIONS":  # a CORS preflight, answered as the application will
            return _start(start_response, _PREFLIGHT, head=True)
        accept = headers.get("accept", "")
        chosen = negotiate(accept) if "html" in accept.lower() else None
        if chosen is not None and chosen.extension == "html":
            data = _PREPARING_HTML.format(seconds=self.RETRY_S).encode()
            page = Answer(503, _headers("text/html; charset=utf-8", data), data)
        else:
            page = _text(HTTPStatus.SERVICE_UNAVAILABLE, _PREPARING)
        return _start(start_response, _retry(page, self.RETRY_S), head=method == "HEAD")


_PREPARING = (
    "kg serve is preparing this release (its store and its pages: the first start of a "
    "release takes a while); ask again shortly\n"
)
_PREPARING_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="{seconds}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Preparing the release</title>
</head>
<body>
<main>
<h1>Preparing the release</h1>
<p>kg serve is preparing this release: its store and its pages. The first start of a release
takes a while; this page reloads itself every {seconds} seconds until the release is ready.</p>
</main>
</body>
</html>
"""


def create_app(
    release: str | os.PathLike[str] | None = None,
    *,
    hosts: Iterable[str] = (),
    limits: Limits | None = None,
    bound: tuple[str, int] | None = None,
    examples: str | os.PathLike[str] | None = None,
    pictures: bool = True,
    making: Making | None = None,
) -> App:
    """The application of the release folder ``release`` (default: ``$KG_RELEASE``, else
    ``dist``): its store and site, kept from an earlier start or made now (kept for the
    next, :mod:`kg.web.kept`, else in a new temporary folder; only a copy made now reads and
    checks every file of the release). It answers requests
    whose Host is one of ``hosts`` (default: ``$KG_HOSTS``, names separated by commas, each
    with or without its port) and, when ``bound`` to an address and port, that address's
    names; nothing else. The query page offers the ``*.rq`` files of the folder ``examples``
    (default: ``$KG_QUERIES``, else the ``queries`` folder beside the release's, if any). Its
    pages have ``pictures`` (:func:`kg.web.site.build_site`). What it serves is made by
    ``making`` (default: :func:`make_served`, in this process; ``kg serve`` makes it in a
    process of its own that it can stop, :mod:`kg.web.preparing`).

    :raises EndpointError: the release cannot be loaded
    :raises InputError: an example query cannot be read
    :raises GraphvizError: ``pictures`` and Graphviz's dot is missing or fails
    """
    folder = Path(release or os.environ.get("KG_RELEASE") or "dist")
    offered = read_examples(examples_folder(folder, examples))
    remove_orphans()
    work = Path(tempfile.mkdtemp(prefix=PREFIX))
    (work / OWNER).write_text(str(os.getpid()), encoding="ascii")
    kept: Kept | None = None
    making = making or InProcess()
    try:
        description = _description(folder)

        def make(target: Path) -> None:
            making.make(folder, target, description, pictures)

        for attempt in (1, 2):
            kept = kept_copy(description, pictures, make, say, making.check)
            if kept is not None:
                made = kept.folder
                if not kept.made:
                    say(f"kg: the site and store kept from an earlier start ({kept.folder})")
            else:
                made = work / "made"
                made.mkdir()
                make(made)
            try:
                facts = _facts(made / "store")
                documents = open_served(made, pictures=pictures, check=_checker(kept))
                break
            except (OSError, RuntimeError, sqlite3.Error) as error:  # damaged storage
                if kept is None or attempt == 2:
                    raise EndpointError(f"the release's store cannot be read: {error}") from error
                say(f"kg: the kept store cannot be read ({error}): made again")
                kept.discard()
                kept.close()
                kept = None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if kept is not None:
            kept.close()
        raise
    chosen = limits or Limits()
    wanted = hosts_wanted(hosts)
    names = allowed_hosts(*bound, wanted) if bound else frozenset(h.lower() for h in wanted)
    endpoint = Endpoint(
        made / "store",
        made / "site",
        facts.licence,
        chosen,
        names,
        QuerySlots(chosen.concurrent, chosen.wait_s),
        prefix_map(facts.converter),  # the prefixes kg query predeclares, by the same function
        facts.issued,
        examples=offered,
        graphs=facts.graphs,
        converter=facts.converter,
        title=facts.title or "drugclaims",
        check=_checker(kept),
        made=_Served(documents, kept),
    )
    app = App(endpoint, work, kept)
    atexit.register(app.close)
    return app


class Making(Protocol):
    """What makes what the application serves a release from."""

    def make(self, folder: Path, target: Path, description: bytes, pictures: bool) -> None:
        """Write into the new folder ``target`` what :func:`make_served` writes."""

    def check(self) -> None:
        """Called while the application waits for another process to make it; raises to stop
        waiting."""


class InProcess:
    """The making of :func:`make_served` in this process (:func:`create_app`'s default)."""

    def make(self, folder: Path, target: Path, description: bytes, pictures: bool) -> None:
        make_served(folder, target, description, pictures)

    def check(self) -> None:
        """Nothing stops it."""


def make_served(
    folder: Path,
    target: Path,
    description: bytes,
    pictures: bool,
    *,
    vouching: Callable[[Copied], Vouching] | None = None,
) -> None:
    """Write into the new folder ``target`` what the application serves the release in
    ``folder`` from: the endpoint's store (``store/``) and what
    :func:`kg.web.site.write_served` writes, both from copies of the release's files checked
    as they are copied, which must be the release that ``description`` (its void.ttl) lists.
    ``vouching``: given the copies, starts checking the claims' nanopublication files
    elsewhere (:func:`kg.web.downloads.vouched_nanopubs`; ``kg serve``: in a second process)
    and gives what asks for its result; by default they are checked when they are needed.

    :raises EndpointError: the release changed meanwhile, or its graph cannot be loaded
    :raises InputError: a file of the release is not what its description lists
    :raises GraphvizError: ``pictures`` and Graphviz's dot is missing or fails
    """
    copies = target / "release"
    checked = copy_release(folder, copies)  # every listed file, as listed
    if checked[DESCRIPTION].read_bytes() != description:
        raise EndpointError(f"{folder}: the release changed while kg serve read it")
    vouched = vouching(checked) if vouching is not None else None
    load_store(checked["graph.nq"], target / "store")
    write_served(folder, checked, target, pictures=pictures, vouching=vouched)  # moves copies
    shutil.rmtree(copies)


def hosts_wanted(hosts: Iterable[str] = ()) -> list[str]:
    """The host names an application answers for besides those it is bound to: ``hosts``,
    else ``$KG_HOSTS`` (names separated by commas)."""
    return list(hosts) or [h.strip() for h in os.environ.get("KG_HOSTS", "").split(",") if h]


def examples_folder(release: Path, examples: str | os.PathLike[str] | None = None) -> Path:
    """The folder of the example queries the query page offers: ``examples``, else
    ``$KG_QUERIES``, else the ``queries`` folder beside the release's."""
    return Path(examples or os.environ.get("KG_QUERIES") or release.resolve().parent / "queries")


def _description(folder: Path) -> bytes:
    """The release's description (void.ttl, which lists every other file with its size and
    SHA-256): what names its kept copy. Only a copy to be made reads the other files.

    :raises InputError: the folder is no release (as :func:`check_release_files` says why)
    """
    try:
        return (folder / DESCRIPTION).read_bytes()
    except OSError:
        check_release_files(folder)  # says what is wrong with the folder
        raise


class _Served:
    """The resources' documents, made when asked for and the last few kept in memory (at
    most :data:`MADE_BYTES`); a document that cannot be made from the kept copy (its store or
    index damaged) is refused, and the copy is made again at the next start."""

    def __init__(self, documents: Documents, kept: Kept | None) -> None:
        self.documents = documents
        self.kept = kept
        self._made: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def has(self, path: str) -> bool:
        return self._read(self.documents.has, path)

    def document(self, path: str) -> bytes | None:
        with self._lock:
            found = self._made.get(path)
            if found is not None:
                self._made.move_to_end(path)
                return found
        data = self._read(self.documents.document, path)
        if data is not None and len(data) <= MADE_BYTES // 8:
            with self._lock:
                if path not in self._made:
                    self._made[path] = data
                    self._size += len(data)
                while self._size > MADE_BYTES:
                    _, dropped = self._made.popitem(last=False)
                    self._size -= len(dropped)
        return data

    def _read(self, read: Callable[[str], T], path: str) -> T:
        try:
            return read(path)
        except GraphvizError as error:  # a picture not drawn now: not the copy's fault
            say(f"kg: {path}: {error}")
            raise Unavailable(str(error)) from error
        except (OSError, RuntimeError, sqlite3.Error) as error:
            say(f"kg: {path}: cannot be made from the kept store ({error}); not served")
            if self.kept is not None:
                self.kept.discard()
            raise Damaged(path) from error


#: How many bytes of documents made on demand are kept in memory for the next request.
MADE_BYTES = 64 << 20


def remove_orphans() -> None:
    """Remove the temporary stores of earlier applications whose process was killed outright
    (SIGKILL leaves no chance to clean up): those whose owner process is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((folder / OWNER).read_text(encoding="ascii"))
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):
            continue  # not ours, or its owner lives (another user's, or still running)


def load_store(nquads: Path, store: Path) -> None:
    """Bulk-load the release's graph.nq (its checked copy) into an on-disk store that the
    workers open read-only.

    :raises EndpointError: the store cannot be written or the data parsed
    """
    try:
        loader = ox.Store(str(store))
        loader.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        loader.flush()
        del loader  # closes the database: the workers open it read-only
    except (OSError, SyntaxError, ValueError) as error:
        raise EndpointError(f"graph.nq: cannot load the release: {error}") from error


def release_issued(store: Path) -> float | None:
    """When the release in the on-disk ``store`` was issued (its version's ``dct:issued``), in
    seconds since the epoch; None when it does not say (a build without SOURCE_DATE_EPOCH)."""
    reader = ox.Store.read_only(str(store))
    try:
        return _issued(reader)
    finally:
        del reader


def _issued(reader: ox.Store) -> float | None:
    text = dataset_value(reader, "http://purl.org/dc/terms/issued", latest=True)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True)
class _Facts:
    """What the application reads once from the release's store."""

    issued: float | None  # its dct:issued (seconds): its files' Last-Modified
    graphs: Sizes  # of the default and each named graph
    title: str
    converter: Converter  # of its prefix declarations (the CURIEs kg query predeclares)
    licence: str | None


def _facts(store: Path) -> _Facts:
    """The facts of the release in the on-disk ``store``, in one read-only opening of it."""
    reader = ox.Store.read_only(str(store))
    try:
        rows = run_query(
            reader,
            "SELECT ?title WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
            "<http://purl.org/dc/terms/title> ?title } ORDER BY ?title LIMIT 1",
        )
        titles = [str(row[0].value) for row in rows]  # type: ignore[attr-defined]
        return _Facts(
            _issued(reader),
            graph_sizes(reader),
            titles[0] if titles else "",
            declared_converter(reader),
            license_of(reader),
        )
    finally:
        del reader


def _checker(kept: Kept | None) -> Callable[[Path, str], bool] | None:
    """The check of each file served from a kept copy (:meth:`Kept.check`), which says in the
    log what it refuses; None for a copy made for this run alone."""
    if kept is None:
        return None

    def check(path: Path, sha256: str) -> bool:
        if kept.check(path, sha256):
            return True
        say(
            f"kg: {path}: not the bytes kg serve kept it with (damaged): not served; "
            "the next start makes the kept site again"
        )
        return False

    return check


def say(line: str) -> None:
    """One line on standard error (a WSGI server's log)."""
    print(line, file=sys.stderr, flush=True)


def allowed_hosts(host: str, port: int, more: Iterable[str] = ()) -> frozenset[str]:
    """The Host header values a request may carry: the bound name and ``more``, and loopback's
    names when bound to loopback (a browser sends ``localhost:PORT`` for 127.0.0.1)."""
    names = {host, f"[{host}]"} if ":" in host else {host}
    names |= {name.lower() for name in more}
    if host in LOOPBACK:
        names |= {"localhost", "127.0.0.1", "[::1]"}
    return frozenset({*names, *(f"{name}:{port}" for name in names)})


def run_worker(
    endpoint: Endpoint,
    query: str,
    accepted: list[str],
    dataset: tuple[list[str], list[str]] | None = None,
) -> tuple[HTTPStatus, str, bytes]:
    """Run one query in a worker process within the limits; (status, content type, body).
    ``dataset``: the default and named graphs the request names (the protocol's
    ``default-graph-uri`` and ``named-graph-uri``), None when it names none."""
    limits = endpoint.limits
    parent = os.getpid()
    worker = subprocess.Popen(
        kg_module("kg.sparql.worker", str(endpoint.store), str(limits.memory_mb)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=kg_environment(RUST_BACKTRACE="0"),
        preexec_fn=lambda: die_with_parent(parent),
    )
    with endpoint.lock:
        endpoint.workers[worker] = threading.get_ident()
    request = json.dumps(
        {
            "query": query,
            "accept": accepted,
            "allow_service": limits.allow_service,
            "prefixes": dict(endpoint.prefixes),
            "default_graphs": dataset[0] if dataset else None,
            "named_graphs": dataset[1] if dataset else None,
        }
    )
    try:
        out, err = worker.communicate(request.encode("utf-8"), timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        return (
            HTTPStatus.SERVICE_UNAVAILABLE,
            _TEXT,
            f"the query took longer than {limits.timeout_s:g} s and was stopped\n".encode(),
        )
    finally:
        with endpoint.lock:
            endpoint.workers.pop(worker, None)
    if worker.returncode == 0:
        content_type, _, body = out.partition(b"\n")
        return HTTPStatus.OK, content_type.decode("ascii"), body
    if worker.returncode == 2:
        status, _, message = err.decode("utf-8", errors="replace").strip().partition(" ")
        return HTTPStatus(int(status)), _TEXT, f"{message}\n".encode()
    return (
        HTTPStatus.SERVICE_UNAVAILABLE,
        _TEXT,
        f"the query needed more than {limits.memory_mb} MB of memory and was stopped\n".encode(),
    )


def _busy(limits: Limits) -> Answer:
    """503: no turn for the query came within its wait; when to ask again."""
    found = _text(HTTPStatus.SERVICE_UNAVAILABLE, "too many queries at once; retry\n")
    return _retry(found, max(1, math.ceil(limits.wait_s)))


def _retry(found: Answer, seconds: int) -> Answer:
    """``found`` saying when to ask again (``Retry-After``)."""
    return Answer(found.status, (*found.headers, ("Retry-After", str(seconds))), found.body)


def _text(status: HTTPStatus, message: str, allow: str | None = None) -> Answer:
    data = message.encode("utf-8")
    headers = _headers(_TEXT, data) + ((("Allow", allow),) if allow else ())
    return Answer(int(status), headers, data)


def _headers(content_type: str, body: bytes) -> tuple[tuple[str, str], ...]:
    return (
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Vary", "Accept"),
        *CORS,
    )


def _start(start_response: StartResponse, found: Answer, *, head: bool) -> Iterable[bytes]:
    status = HTTPStatus(found.status)
    start_response(f"{status.value} {status.phrase}", list(found.headers))
    if found.stream is not None:
        if not head:
            return found.stream  # the server closes it when the answer ends, sent or not
        found.stream.close()
    return [] if head else [found.body]


def _request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers by lower-case name, from the WSGI environ."""
    found = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        found["content-type"] = str(environ["CONTENT_TYPE"])
    return found


def _content_length(environ: Mapping[str, Any]) -> int | None:
    """The request body's length: None when absent, negative or not a number."""
    text = str(environ.get("CONTENT_LENGTH") or "").strip()
    return int(text) if text.isdigit() else None


def _path(environ: Mapping[str, Any]) -> str:
    """PATH_INFO as the client sent it (WSGI gives it decoded as Latin-1)."""
    raw = str(environ.get("PATH_INFO", "/"))
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw
