"""Serving the static site as linked data: the answer to one request (``kg serve``), and the
same answers from nginx (self-hosting) and from Apache (the w3id.org ``.htaccess``).

- ``/id/<path>``, ``/release/<path>``, ``/ontology`` and ``/ontology/<path>`` (its version
  IRI): the resource, not a document: 303 See Other to ``/doc/<path>.<ext>`` in the format the
  ``Accept`` header prefers (:mod:`kg.web.negotiation`, whose rules nginx and the
  ``.htaccess`` are given); 406 with a short body naming what is offered when it accepts none
  of them; 404 when there is no such resource.
- ``/doc/<path>.<ext>``: the document, 200 with its ``Content-Type``, ``Vary: Accept`` and FAIR
  Signposting ``Link`` headers (``cite-as`` the resource's IRI, none for an outside entity's
  document; ``describedby`` each RDF form, ``license``, ``type``).
- ``/download/<version>/<file>``: the release's files, with their media types;
  ``/.well-known/void``: 303 to the release's VoID description (its ``void.ttl``).
- ``/`` and ``/index.html``: the home page; ``/browse/<listing>/<n>.html``: the pages that
  lead from it to every claim (:mod:`kg.web.browse`); anything else: 404 with a page, never a
  listing.

Every answer may be read by a script on any web page (``Access-Control-Allow-Origin: *``);
documents and downloads carry a strong ``ETag`` of their bytes, ``Last-Modified`` (when the
release was issued, else the file's time) and ``Cache-Control``, and a request that already
has them (``If-None-Match``, ``If-Modified-Since``) gets 304 Not Modified. A file of a MiB or
more (a release's graph.nq can be gigabytes) is sent a block at a time and never read whole
into memory (:class:`Streamed`); its ETag is computed once while it stays the same file.

The ``.htaccess`` serves two places: on w3id.org (a request whose Host is the namespace's) it
redirects every path to the host the site is served from (``kg site --host``), where it cannot
know which resources exist; on an Apache that serves the site folder itself (the file in it,
``AllowOverride All``) it answers as ``kg serve`` and nginx do. The tests send one table of
real clients' Accept headers to all three.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from kg.errors import InputError
from kg.formats.files import FILES, download_types
from kg.namespaces import ROOT
from kg.web.negotiation import FORMATS, OFFERED, negotiate, rules

__all__ = [
    "CORS",
    "NOT_ACCEPTABLE",
    "PREFLIGHT",
    "WELL_KNOWN_VOID",
    "Answer",
    "answer",
    "etag",
    "htaccess",
    "nginx_conf",
    "not_acceptable",
    "not_modified",
    "signposting",
]

_BY_EXTENSION = {f.extension: f for f in FORMATS}
_DOWNLOAD_TYPES = download_types()


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, headers, body (or, for a big file, ``stream``: the body given a
    block at a time, to be closed when the answer is not sent)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stream: Streamed | None = None

    def content(self) -> bytes:
        """The whole body: ``body``, or the stream read to its end (and closed).

        :raises Damaged: the streamed file is not what its ETag says
        """
        return self.body if self.stream is None else b"".join(self.stream)


def _document_of(path: str) -> str | None:
    """The document path (without extension) of a resource path, or None."""
    if path == "/ontology":
        return "/doc/ontology"
    if path.startswith("/id/") and len(path) > 4:
        return "/doc/" + path[4:]
    if path.startswith(("/release/", "/ontology/")) and not path.endswith("/"):
        return "/doc" + path  # a release's records, the ontology's version IRI
    return None


def _resource_of(document: str) -> str | None:
    """The IRI a document describes (for ``cite-as``), or None for an outside resource's."""
    if document.startswith("/doc/external/"):
        return None
    if document == "/doc/ontology":
        return ROOT + "ontology"
    if document.startswith(("/doc/release/", "/doc/ontology/")):
        return ROOT + document[5:]
    return ROOT + "id/" + document[5:]


def safe_iri(iri: str, what: str) -> str:
    """``iri`` if it may go into a header or a server's configuration as it is: an http(s)
    IRI of the characters URLs are written with, none that ends, quotes or comments a directive
    (``; ' " $ { } # \\`` or space).

    >>> safe_iri("https://creativecommons.org/licenses/by/4.0/", "licence")
    'https://creativecommons.org/licenses/by/4.0/'
    >>> safe_iri("https://example.org/4.0/';internal;#", "licence")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: licence: ... is not an IRI that may go into a server's configuration ...

    :raises InputError: it may not
    """
    if not _SAFE_IRI.fullmatch(iri):
        raise InputError(
            what,
            None,
            None,
            f"{iri!r} is not an IRI that may go into a server's configuration (an http(s) IRI "
            "without ; ' \" $ { } # \\ or spaces)",
        )
    return iri


_SAFE_IRI = re.compile(r"https?://[A-Za-z0-9._~:/?@!&()*+,=%\[\]-]+", re.ASCII)
_HOST = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?", re.ASCII)


def signposting(document: str, license_iri: str | None) -> str:
    """The ``Link`` header of a document (path without extension).

    >>> signposting("/doc/release/1.0", None).split(", ")[0]
    '<https://w3id.org/drugclaims/release/1.0>; rel="cite-as"'
    >>> 'cite-as' in signposting("/doc/external/mesh-D000068238", None)
    False

    :raises InputError: the licence IRI may not go into a header
    """
    return _links(document, _resource_of(document), license_iri)


def _links(document: str, resource: str | None, license_iri: str | None) -> str:
    links = [f'<{resource}>; rel="cite-as"'] if resource else []
    for fmt in FORMATS:
        if fmt.extension != "html":
            links.append(
                f'<{document}.{fmt.extension}>; rel="describedby"; type="{fmt.media_type}"'
            )
    if license_iri:
        licence = safe_iri(license_iri, "the release's licence")
        links.append(f'<{licence}>; rel="license"')
    links.append('<https://schema.org/AboutPage>; rel="type"')
    return ", ".join(links)


def answer(
    site: Path,
    path: str,
    accept: str | None,
    *,
    license_iri: str | None = None,
    request: Mapping[str, str] | None = None,
    modified: float | None = None,
    check: Callable[[Path, str], bool] | None = None,
    made: Made | None = None,
) -> Answer:
    """The answer to a GET for ``path`` from the site in folder ``site``: a path the file
    system refuses (a name too long for it) is simply not found. ``request``: the request's
    headers by lower-case name (``If-None-Match``, ``If-Modified-Since`` answer 304);
    ``modified``: when the release was issued (seconds since the epoch), the files'
    ``Last-Modified`` (else each file's own time); ``check(file, sha256)``: whether a file
    about to be served holds the bytes it was written with (a file that does not is not
    served: 500); ``made``: the resources' documents (``doc/…``) when they are made on demand
    rather than files of ``site`` (a document that cannot be made, :class:`Damaged`: 500)."""
    try:
        return _answer(site, path, accept, license_iri, request or {}, modified, check, made)
    except Damaged:
        return _damaged()
    except Unavailable as error:
        body = f"cannot be made now ({error}); try again\n".encode()
        headers = (("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", "5"), *CORS)
        return Answer(503, (*headers, ("Content-Length", str(len(body)))), body)
    except OSError:
        return _not_found(site, check)


class Made(Protocol):
    """A site's documents made when they are asked for (:class:`kg.web.site.Documents`)."""

    def has(self, path: str) -> bool:
        """Whether the site has the document at ``path`` (``doc/….ttl`` …)."""
        ...

    def document(self, path: str) -> bytes | None:
        """The document at ``path``, made now; None when the site has none there.

        :raises Damaged: what it is made from cannot be read
        :raises Unavailable: it cannot be made now
        """
        ...


class Damaged(Exception):
    """What a document is made from cannot be read (a damaged store): it is not served."""


class Unavailable(Exception):
    """A document cannot be made now (its picture could not be drawn): 503, try again."""


#: On every answer of the site: any web page may read the data (it is public), and a script
#: may see the headers that matter to it (a cross-origin read sees only a few otherwise; a
#: 503's Retry-After says when to ask again).
CORS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Link, Location, Retry-After"),
)
#: The answer to a CORS preflight (OPTIONS): what a cross-origin request may do.
PREFLIGHT = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Accept, Content-Type, If-None-Match, If-Modified-Since"),
    ("Access-Control-Max-Age", "86400"),
)
#: How long a cache may keep a document or a download before asking again (with its ETag).
CACHE_CONTROL = "public, max-age=3600"


#: The body of a 500 for a file of the site that is not what was written (a damaged copy).
DAMAGED = "this file of the site is damaged and is not served; the server says why in its log\n"
#: The body of a 406: what a resource's documents come in.
NOT_ACCEPTABLE = "not acceptable: the documents are " + ", ".join(OFFERED)
#: Where the release's VoID description is found (RFC 8615, VoID 7.2).
WELL_KNOWN_VOID = "/.well-known/void"


def not_acceptable() -> Answer:
    """406, with a short body naming the media types a resource's documents come in (and its
    length, so that a client on a kept-alive connection knows where the answer ends)."""
    body = (NOT_ACCEPTABLE + "\n").encode("ascii")
    return Answer(
        406,
        (
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Vary", "Accept"),
            *CORS,
        ),
        body,
    )


def _answer(
    site: Path,
    path: str,
    accept: str | None,
    license_iri: str | None,
    request: Mapping[str, str],
    modified: float | None,
    check: Callable[[Path, str], bool] | None,
    made: Made | None = None,
) -> Answer:
    if "\x00" in path or "/../" in path + "/" or "/./" in path + "/" or "//" in path:
        return _not_found(site, check)
    document = _document_of(path)
    if document is not None:
        fmt = negotiate(accept)
        if fmt is None:
            return not_acceptable()
        name = f"{document[1:]}.{fmt.extension}"
        if not ((site / name).is_file() or (made is not None and made.has(name))):
            return _not_found(site, check)
        return Answer(
            303,
            (
                ("Location", f"{document}.{fmt.extension}"),
                ("Vary", "Accept"),
                ("Cache-Control", CACHE_CONTROL),
                *CORS,
                ("Content-Length", "0"),
            ),
            b"",
        )
    if path == WELL_KNOWN_VOID:
        return _void(site, check)
    file = _File(request, modified, check)
    if path in ("/", "/index.html"):
        return file(site / "index.html", _BY_EXTENSION["html"].content_type)
    if path == "/style.css":
        return file(site / "style.css", "text/css; charset=utf-8")
    if path.startswith("/browse/") and path.endswith(".html") and (site / path[1:]).is_file():
        return file(site / path[1:], _BY_EXTENSION["html"].content_type)
    if path.startswith("/download/") and (site / path[1:]).is_file():
        name = path.rsplit("/", 1)[-1]
        return file(
            site / path[1:],
            _DOWNLOAD_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream"),
        )
    if path.startswith("/doc/") and "." in path.rsplit("/", 1)[-1]:
        stem, extension = path.rsplit(".", 1)
        fmt = _BY_EXTENSION.get(extension)
        target = site / path[1:]
        link = ("Link", signposting(stem, license_iri))
        if fmt is not None and target.is_file():
            return file(target, fmt.content_type, (("Vary", "Accept"), link))
        if fmt is not None and made is not None:
            data = made.document(path[1:])
            if data is not None:
                return file.made(data, fmt.content_type, (("Vary", "Accept"), link))
    return _not_found(site, check)


def _void(site: Path, check: Callable[[Path, str], bool] | None) -> Answer:
    """303 to the release's void.ttl among the site's downloads (one version), else 404."""
    found = sorted(site.glob("download/*/void.ttl"))
    if not found:
        return _not_found(site, check)
    location = "/" + found[-1].relative_to(site).as_posix()
    headers = (("Location", location), ("Cache-Control", CACHE_CONTROL), *CORS)
    return Answer(303, (*headers, ("Content-Length", "0")), b"")


def _open_regular(path: Path) -> io.BufferedReader:
    """The file at ``path``, opened for reading when it is a regular file (a FIFO swapped in
    would hold the thread that opened it until a writer came).

    :raises OSError: it cannot be opened, or is not a regular file
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise IsADirectoryError(errno.EISDIR, "not a regular file", str(path))
    return os.fdopen(descriptor, "rb")


@dataclass(frozen=True)
class _File:
    """Answers with a file of the site: 200 with its validators (a strong ``ETag`` from its
    bytes, ``Last-Modified``), or 304 when the request's validators say the client has it."""

    request: Mapping[str, str]
    modified: float | None
    check: Callable[[Path, str], bool] | None = None

    def __call__(
        self, path: Path, content_type: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> Answer:
        file = _open_regular(path)
        streamed = False
        try:
            found = os.fstat(file.fileno())
            when = self.modified if self.modified is not None else found.st_mtime
            if found.st_size < STREAM_FROM:
                data = file.read()
                tag = etag(data)
                if self.check is not None and not self.check(path, tag.strip('"')):
                    return _damaged()
                return self._answer(data, tag, when, content_type, headers)
            digest = _DIGESTS.of(path, file, found, self.check)
            if digest is None:
                return _damaged()
            sent = self._answer(b"", f'"{digest}"', when, content_type, headers, found.st_size)
            if sent.status != 200:
                return sent
            stream = Streamed(file, found.st_size, digest, self._on_damage(path, found))
            streamed = True  # the file is the stream's to close
            return replace(sent, stream=stream)
        finally:
            if not streamed:
                file.close()

    def _on_damage(self, path: Path, found: os.stat_result) -> Callable[[str], None]:
        """What is done when a streamed file turns out not to hold the bytes of its ETag."""

        def damaged(sha256: str) -> None:
            _DIGESTS.forget(path, found, self.check)
            if self.check is not None:
                self.check(path, sha256)  # says so in the log, and trusts the copy no more

        return damaged

    def made(
        self, data: bytes, content_type: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> Answer:
        """The answer with a document made now (its time: the release's, else now)."""
        when = self.modified if self.modified is not None else time.time()
        return self._answer(data, etag(data), when, content_type, headers)

    def _answer(
        self,
        data: bytes,
        tag: str,
        when: float,
        content_type: str,
        headers: tuple[tuple[str, str], ...],
        length: int | None = None,
    ) -> Answer:
        when = min(when, time.time())  # never a date in the future (RFC 9110 8.8.2.1)
        validators = (
            ("ETag", tag),
            ("Last-Modified", formatdate(when, usegmt=True)),
            ("Cache-Control", CACHE_CONTROL),
        )
        if not_modified(self.request, tag, when):
            # no Content-Length: a WSGI server that sees one and no body closes the connection
            return Answer(304, (*headers, *validators, *CORS), b"")
        return Answer(
            200,
            (
                ("Content-Type", content_type),
                *headers,
                *validators,
                *CORS,
                ("Content-Length", str(len(data) if length is None else length)),
            ),
            data,
        )


#: A file of the site of at least this many bytes is sent a block at a time
#: (:class:`Streamed`), never read whole: a release's graph.nq can be gigabytes.
STREAM_FROM = 1 << 20
#: How much of a streamed file is read, hashed and sent at a time.
_BLOCK = 1 << 16


def _blocks(file: io.BufferedReader, size: int) -> Iterator[bytes]:
    """The first ``size`` bytes of ``file`` (fewer if it ends before), :data:`_BLOCK` at a
    time."""
    left = size
    while left > 0 and (block := file.read(min(_BLOCK, left))):
        left -= len(block)
        yield block


class Streamed:
    """A big file's bytes, read and sent a block at a time and hashed on the way. The last
    block is held back until the hash is the one the answer's ``ETag`` named: a file that
    changed since (a damaged copy) is never sent whole; the answer stops short of its
    ``Content-Length`` and the connection closes, so the client sees the download fail.

    :raises Damaged: (while it is read) the file is not what its ETag says;
        ``damaged`` was called with what it holds
    """

    def __init__(
        self, file: io.BufferedReader, size: int, sha256: str, damaged: Callable[[str], None]
    ) -> None:
        self._file = file
        self._size = size
        self._sha256 = sha256
        self._damaged = damaged

    def __iter__(self) -> Iterator[bytes]:
        digest = hashlib.sha256()
        read = 0
        held = b""
        try:
            for block in _blocks(self._file, self._size):
                read += len(block)
                digest.update(block)
                if held:
                    yield held
                held = block
            if read < self._size or digest.hexdigest() != self._sha256:
                self._damaged(digest.hexdigest())
                raise Damaged("the file changed after its answer began; not sent whole")
            yield held
        finally:
            self.close()

    def close(self) -> None:
        """Let the file go (an answer that is not sent: to a HEAD, or dropped)."""
        self._file.close()


class _Digests:
    """The SHA-256 of the site's big files, each computed once (a block at a time) and kept
    while the file is the same one (its device, inode, size and times), so that a download
    costs one reading of the file, not two."""

    _MOST = 4096

    def __init__(self) -> None:
        self._known: dict[tuple[object, ...], str] = {}
        self._lock = threading.Lock()

    def of(
        self,
        path: Path,
        file: io.BufferedReader,
        found: os.stat_result,
        check: Callable[[Path, str], bool] | None,
    ) -> str | None:
        """The SHA-256 of ``file`` (at ``path``, ``found`` its status), left at its start;
        None when ``check`` refuses it."""
        key = (check, *self._key(path, found))
        with self._lock:
            known = self._known.get(key)
        if known is not None:
            return known
        digest, read = hashlib.sha256(), 0
        for block in _blocks(file, found.st_size):
            digest.update(block)
            read += len(block)
        file.seek(0)
        sha256 = digest.hexdigest()  # of the bytes that will be sent: its size's, no more
        if read < found.st_size:  # shorter than its size: changed since it was opened
            if check is not None:
                check(path, sha256)  # says so, and trusts the copy no more
            return None
        if check is not None and not check(path, sha256):
            return None
        with self._lock:
            if len(self._known) >= self._MOST:
                self._known.pop(next(iter(self._known)))
            self._known[key] = sha256
        return sha256

    def forget(
        self, path: Path, found: os.stat_result, check: Callable[[Path, str], bool] | None
    ) -> None:
        with self._lock:
            self._known.pop((check, *self._key(path, found)), None)

    @staticmethod
    def _key(path: Path, found: os.stat_result) -> tuple[object, ...]:
        times = (found.st_mtime_ns, found.st_ctime_ns)
        return (str(path), found.st_dev, found.st_ino, found.st_size, *times)


_DIGESTS = _Digests()


def _damaged() -> Answer:
    body = DAMAGED.encode("ascii")
    headers = (("Content-Type", "text/plain; charset=utf-8"), *CORS)
    return Answer(500, (*headers, ("Content-Length", str(len(body)))), body)


def etag(data: bytes) -> str:
    """A strong entity tag of ``data``: the same bytes, the same tag.

    >>> etag(b"x")
    '"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"'
    """
    return f'"{hashlib.sha256(data).hexdigest()}"'


def not_modified(request: Mapping[str, str], tag: str, modified: float) -> bool:
    """Whether a GET or HEAD with these headers gets 304 (RFC 9110 13.1.2, 13.1.3, 13.2.2):
    ``If-None-Match`` names the tag (weak comparison) or is ``*``; else, when it is absent,
    ``If-Modified-Since`` is a date not before ``modified`` (to the second).

    >>> not_modified({"if-none-match": 'W/"a", "b"'}, '"a"', 0), not_modified({}, '"a"', 0)
    (True, False)
    >>> not_modified({"if-modified-since": "Thu, 01 Jan 1970 00:00:09 GMT"}, '"a"', 9.5)
    True
    """
    match = request.get("if-none-match")
    if match is not None:
        tags = {item.strip().removeprefix("W/") for item in match.split(",")}
        return "*" in tags or tag in tags
    since = request.get("if-modified-since")
    if since is None:
        return False
    try:
        date = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False  # not a date: ignored (RFC 9110 13.1.3)
    if date.tzinfo is None:
        return False
    return int(modified) <= date.timestamp()


def _not_found(site: Path, check: Callable[[Path, str], bool] | None = None) -> Answer:
    page = site / "404.html"
    data = page.read_bytes() if page.is_file() else b"not found\n"
    if page.is_file() and check is not None and not check(page, etag(data).strip('"')):
        data = b"not found\n"  # the page of a damaged copy is not served
    return Answer(
        404,
        (
            ("Content-Type", "text/html; charset=utf-8"),
            *CORS,
            ("Content-Length", str(len(data))),
        ),
        data,
    )


# -- nginx and .htaccess ---------------------------------------------------------------------

#: The document formats' extensions, as a regular expression.
_DOCUMENTS = "|".join(f.extension for f in FORMATS)
#: What nginx compresses (text/html always): the text and RDF types of the site and downloads.
_GZIP_TYPES = " ".join(
    sorted(
        {f.media_type for f in FORMATS if f.extension != "html"}
        | {f.media_type for f in FILES}
        | {"text/css"}
    )
)


def _void_path(version: str | None) -> str | None:
    """Where the release's void.ttl is among the site's downloads."""
    return f"/download/{version}/void.ttl" if version else None


def nginx_conf(
    site: Path,
    port: int,
    license_iri: str | None,
    *,
    prefix: Path,
    version: str | None = None,
) -> str:
    """An nginx configuration serving ``site`` on 127.0.0.1:``port`` with the rules above
    (``prefix``: the folder for nginx's pid, logs and temporary files; ``version``: the
    release's, whose void.ttl ``/.well-known/void`` leads to)."""
    cases = "\n".join(f'        "~*{pattern}" {ext};' for pattern, ext in rules())
    documents = {"html", "ttl", "jsonld", "nt", "rdf", "nq"}  # written out above
    types_block = "\n".join(
        f"        {item.media_type} {item.extension};"
        for item in sorted({f.extension: f for f in FILES}.values(), key=lambda f: f.extension)
        if item.extension not in documents
    )
    # a static site takes no POST: its preflight offers GET and HEAD (the answer to OPTIONS)
    static = {**dict(CORS + PREFLIGHT), "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS"}
    cors = "\n".join(
        [f'            add_header {name} "{value}" always;' for name, value in static.items()]
        + ["            if ($request_method = OPTIONS) { return 204; }"]
    )
    cors_always = "\n".join(
        f'            add_header {name} "{value}" always;' for name, value in CORS
    )
    void = _void_path(version)
    well_known = (
        f"if (!-f $document_root{void}) {{ return 404; }}\n            return 303 {void};"
        if void
        else "return 404;"
    )
    # one location for each kind of document: its cite-as is its resource's IRI (none for an
    # outside entity's, which is not ours to name)
    kinds = (
        ("external/(?<doc>.+)", "/doc/external/$doc"),
        ("release/(?<doc>.+)", "/doc/release/$doc"),
        ("(?<doc>ontology)", "/doc/ontology"),
        ("ontology/(?<doc>.+)", "/doc/ontology/$doc"),
        ("(?<doc>.+)", "/doc/$doc"),
    )
    document_locations = "\n".join(
        f"""        location ~ ^/doc/{kind}\\.({_DOCUMENTS})$ {{
{cors}
            add_header Cache-Control "{CACHE_CONTROL}";
            add_header Vary Accept always;
            add_header Link '{signposting(document, license_iri)}' always;
            try_files $uri =404;
        }}"""
        for kind, document in kinds
    )
    return f"""# nginx configuration written by `kg site`: serves the site in {site}
# with content negotiation (303 from /id/ to /doc/) and FAIR Signposting headers.
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{}}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{
        text/html html;
        text/turtle ttl;
        application/ld+json jsonld;
        application/n-triples nt;
        application/rdf+xml rdf;
        application/n-quads nq;
{types_block}
        text/css css;
    }}
    charset utf-8;
    charset_types text/html text/plain text/turtle application/ld+json application/n-triples
        application/rdf+xml application/n-quads application/trig text/tab-separated-values
        text/csv text/css;
    gzip on;
    gzip_vary on;
    gzip_types {_GZIP_TYPES};
    # the document a resource's Accept header asks for: the first of these rules that matches
    # (kg.web.negotiation.rules: q-values compared to their first decimal); none: 406
    map $http_accept $ext {{
        default "";
        "" html;  # no Accept header: as */*
{cases}
    }}
    server {{
        listen 127.0.0.1:{port};
        root {site};
        autoindex off;
        error_page 404 /404.html;
        location = /404.html {{
            internal;
{cors_always}
        }}
        location = / {{ try_files /index.html =404; }}
        location = /index.html {{ }}
        location = /style.css {{ }}
        location ~ ^/browse/.+\\.html$ {{
{cors}
            add_header Cache-Control "{CACHE_CONTROL}";
            try_files $uri =404;
        }}
        location ^~ /download/ {{
{cors}
            add_header Cache-Control "{CACHE_CONTROL}";
        }}
        location = {WELL_KNOWN_VOID} {{
{cors}
            add_header Cache-Control "{CACHE_CONTROL}";
            {well_known}
        }}
        location ~ ^/(id/.+|release/.+|ontology(?:/.+)?)$ {{
            set $res $1;
{cors}
            add_header Cache-Control "{CACHE_CONTROL}";  # not on a 404
            add_header Vary Accept always;
            default_type text/plain;
            if ($ext = "") {{ return 406 "{NOT_ACCEPTABLE}\\n"; }}
            if ($res ~ ^id/(.+)$) {{ set $res $1; }}
            if (!-f $document_root/doc/$res.$ext) {{ return 404; }}
            return 303 /doc/$res.$ext;
        }}
{document_locations}
        location / {{ return 404; }}
    }}
}}
"""


def htaccess(host: str, *, version: str | None = None, license_iri: str | None = None) -> str:
    """Apache mod_rewrite rules for w3id.org, where they redirect every path to ``host`` (where
    the site is served), and for an Apache that serves the site folder itself, where they give
    ``kg serve``'s answers (``version``: the release's, for ``/.well-known/void``;
    ``license_iri``: the documents' ``license`` link).

    :raises InputError: ``host`` is not an http(s) origin (with an optional path), or the
        licence IRI may not go into a header
    """
    if not _HOST.fullmatch(host):
        raise InputError(
            "--host",
            None,
            None,
            f"{host!r} is not where a site is served: expected http(s)://NAME[:PORT][/PATH]",
        )
    here = urlsplit(host).path.rstrip("/")  # the site's path on its host
    resource = "^(?:id/.+|release/.+|ontology(?:/.+)?)$"
    lines = [
        "# written by `kg site`: the answers of kg serve and of the site's nginx.conf. On",
        f"# {_W3ID} (copy this file to w3id.org's repository) every path redirects to",
        f"# {host}, where the site is served; on an Apache serving the site folder itself",
        "# (this file in it, AllowOverride All) the documents and downloads are served here.",
        "Options +FollowSymLinks",
        "RewriteEngine on",
        *_apache_types(),
        f'ErrorDocument 406 "{NOT_ACCEPTABLE}"',
        'Header always set Content-Type "text/plain; charset=utf-8" '
        '"expr=%{REQUEST_STATUS} == 406"',
        "Header always set Vary Accept",
        *(f'Header always set {name} "{value}"' for name, value in CORS),
        f'Header always set Cache-Control "{CACHE_CONTROL}" '
        "\"expr=%{REQUEST_STATUS} -in {'200', '303', '304'}\"",
        f'<If "%{{HTTP_HOST}} !~ /{_W3ID_HOST}/i">',
        f"    ErrorDocument 404 {here}/404.html",
        "</If>",
        *_apache_links(here, license_iri),
        "# an error page or an index being served: nothing more to decide",
        "RewriteCond %{ENV:REDIRECT_STATUS} !^$",
        "RewriteRule ^ - [L]",
        f"RewriteCond %{{HTTP_HOST}} {_W3ID_HOST} [NC]",
        "RewriteRule ^ - [E=KG_REDIRECT:1]",
        "# the document format the Accept header prefers (kg.web.negotiation.rules: q-values",
        "# compared to their first decimal); none: 406",
    ]
    for pattern, ext in rules():
        lines += [
            "RewriteCond %{ENV:KG_FORMAT} ^$",
            f"RewriteCond %{{HTTP_ACCEPT}} {pattern} [NC]",
            f"RewriteRule {resource} - [E=KG_FORMAT:{ext}]",
        ]
    lines += ["RewriteCond %{ENV:KG_FORMAT} ^$", f"RewriteRule {resource} - [R=406,L]"]
    for source, target in (("id/(.+)", "$1"), ("(release/.+|ontology(?:/.+)?)", "$1")):
        document = f"doc/{target}.%{{ENV:KG_FORMAT}}"
        lines += [  # where the site is here, a resource without a document is not found
            "RewriteCond %{ENV:KG_REDIRECT} !=1",
            f"RewriteCond %{{DOCUMENT_ROOT}}{here}/{document} !-f",
            f"RewriteRule ^{source}$ - [R=404,L]",
            f"RewriteRule ^{source}$ {host}/{document} [R=303,L]",
        ]
    void = _void_path(version)
    if void:
        lines.append(rf"RewriteRule ^\.well-known/void$ {host}{void} [R=303,L]")
    lines += [
        "# on w3id.org: the documents, downloads and pages are on the host",
        "RewriteCond %{ENV:KG_REDIRECT} =1",
        "RewriteRule ^(.*)$ " + host + "/$1 [R=302,L]",
        "# here: the index, and only the site's documents and downloads",
        "RewriteRule ^$ index.html [L]",
        "RewriteCond %{REQUEST_FILENAME} -d",
        "RewriteRule ^.+$ - [R=404,L]",
        rf"RewriteRule !^(?:index\.html|style\.css|download/.+|doc/.+\.(?:{_DOCUMENTS}))$"
        " - [R=404,L]",
    ]
    return "\n".join(lines) + "\n"


#: The host of the namespace (w3id.org), where the .htaccess only redirects.
_W3ID = urlsplit(ROOT).netloc
_W3ID_HOST = "^" + re.escape(_W3ID) + "(?::[0-9]+)?$"


def _apache_types() -> list[str]:
    """mod_mime's types of the site's documents and downloads: kg serve's Content-Types."""
    documents = {f.extension: f.content_type for f in FORMATS}
    types = {**download_types(), **documents, "css": "text/css; charset=utf-8"}
    return [f'AddType "{value}" .{ext}' for ext, value in sorted(types.items())]


def _apache_links(here: str, license_iri: str | None) -> list[str]:
    """The documents' signposting (as :func:`signposting`), from the path of the document
    served: mod_rewrite names the document and its resource, mod_headers writes the link."""
    documents = rf"\.(?:{_DOCUMENTS})$"
    licence = safe_iri(license_iri, "the release's licence") if license_iri else None
    escaped = licence.replace("%", "%%") if licence else None  # mod_headers' escape
    cited = _links(f"{here}/doc/%{{KG_DOC}}e", ROOT + "%{KG_CITE}e", escaped)
    uncited = _links(f"{here}/doc/%{{KG_UNCITED}}e", None, escaped)
    return [
        "# FAIR Signposting on the documents served here (cite-as: the resource's IRI)",
        "RewriteCond %{REQUEST_FILENAME} -f",
        f"RewriteRule ^doc/(external/.+){documents} - [E=KG_UNCITED:$1]",
        "RewriteCond %{REQUEST_FILENAME} -f",
        f"RewriteRule ^doc/(release/.+|ontology(?:/.+)?){documents} - [E=KG_DOC:$1,E=KG_CITE:$1]",
        "RewriteCond %{REQUEST_FILENAME} -f",
        "RewriteCond %{ENV:KG_DOC}%{ENV:KG_UNCITED} ^$",
        f"RewriteRule ^doc/(.+){documents} - [E=KG_DOC:$1,E=KG_CITE:id/$1]",
        'Header always set Link "' + cited.replace('"', '\\"') + '" env=KG_DOC',
        'Header always set Link "' + uncited.replace('"', '\\"') + '" env=KG_UNCITED',
    ]
