"""Serving the static site as linked data: the answer to one request (``kg serve``), and the
same rules for nginx (self-hosting) and for the w3id.org redirect service (``.htaccess``).

- ``/id/<path>``, ``/release/<path>``, ``/ontology``: the resource, not a document: 303 See
  Other to ``/doc/<path>.<ext>`` in the format the ``Accept`` header prefers
  (:mod:`kg.web.negotiation`); 406 when it accepts none of them.
- ``/doc/<path>.<ext>``: the document, 200 with its ``Content-Type``, ``Vary: Accept`` and FAIR
  Signposting ``Link`` headers (``cite-as`` the resource's IRI, ``describedby`` each RDF form,
  ``license``, ``type``).
- ``/download/<version>/<file>``: the release's files, with their media types.
- ``/`` and ``/index.html``: the home page; ``/browse/<listing>/<n>.html``: the pages that
  lead from it to every claim (:mod:`kg.web.browse`); anything else: 404 with a page, never a
  listing.

Every answer may be read by a script on any web page (``Access-Control-Allow-Origin: *``);
documents and downloads carry a strong ``ETag`` of their bytes, ``Last-Modified`` (when the
release was issued, else the file's time) and ``Cache-Control``, and a request that already
has them (``If-None-Match``, ``If-Modified-Since``) gets 304 Not Modified.

nginx cannot weigh q-values: its rules (like w3id.org's ``.htaccess``) pick the format by the
first media type of ours the header names with no ``q=0``, which agrees with
:func:`kg.web.negotiation.negotiate` for the headers browsers, curl, rdflib and Jena send (the
tests check both on the same table).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from kg.errors import InputError
from kg.formats.files import FILES, download_types
from kg.namespaces import ROOT
from kg.web.negotiation import FORMATS, OFFERED, negotiate

__all__ = [
    "CORS",
    "PREFLIGHT",
    "Answer",
    "answer",
    "etag",
    "htaccess",
    "nginx_conf",
    "not_acceptable",
    "not_modified",
]

_BY_EXTENSION = {f.extension: f for f in FORMATS}
_DOWNLOAD_TYPES = download_types()


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, headers, body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _document_of(path: str) -> str | None:
    """The document path (without extension) of a resource path, or None."""
    if path == "/ontology":
        return "/doc/ontology"
    if path.startswith("/id/") and len(path) > 4:
        return "/doc/" + path[4:]
    if path.startswith("/release/") and len(path) > 9:
        return "/doc" + path
    return None


def _resource_of(document: str) -> str | None:
    """The IRI a document describes (for ``cite-as``), or None for an outside resource's."""
    if document.startswith("/doc/external/"):
        return None
    if document == "/doc/ontology":
        return ROOT + "ontology"
    if document.startswith("/doc/release/"):
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

    :raises InputError: the licence IRI may not go into a header
    """
    links = []
    resource = _resource_of(document)
    if resource:
        links.append(f'<{resource}>; rel="cite-as"')
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
) -> Answer:
    """The answer to a GET for ``path`` from the site in folder ``site``: a path the file
    system refuses (a name too long for it) is simply not found. ``request``: the request's
    headers by lower-case name (``If-None-Match``, ``If-Modified-Since`` answer 304);
    ``modified``: when the release was issued (seconds since the epoch), the files'
    ``Last-Modified`` (else each file's own time)."""
    try:
        return _answer(site, path, accept, license_iri, request or {}, modified)
    except OSError:
        return _not_found(site)


#: On every answer of the site: any web page may read the data (it is public), and a script
#: may see the headers that matter to it (a cross-origin read sees only a few otherwise).
CORS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Link, Location"),
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


def not_acceptable() -> Answer:
    """406, with a short body naming the media types a resource's documents come in (and its
    length, so that a client on a kept-alive connection knows where the answer ends)."""
    body = ("not acceptable: the documents are " + ", ".join(OFFERED) + "\n").encode("ascii")
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
) -> Answer:
    if "\x00" in path or "/../" in path + "/" or "/./" in path + "/" or "//" in path:
        return _not_found(site)
    document = _document_of(path)
    if document is not None:
        fmt = negotiate(accept)
        if fmt is None:
            return not_acceptable()
        if not (site / f"{document[1:]}.{fmt.extension}").is_file():
            return _not_found(site)
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
    file = _File(request, modified)
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
        if fmt is not None and target.is_file():
            link = ("Link", signposting(stem, license_iri))
            return file(target, fmt.content_type, (("Vary", "Accept"), link))
    return _not_found(site)


@dataclass(frozen=True)
class _File:
    """Answers with a file of the site: 200 with its validators (a strong ``ETag`` from its
    bytes, ``Last-Modified``), or 304 when the request's validators say the client has it."""

    request: Mapping[str, str]
    modified: float | None

    def __call__(
        self, path: Path, content_type: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> Answer:
        data = path.read_bytes()
        when = self.modified if self.modified is not None else path.stat().st_mtime
        when = min(when, time.time())  # never a date in the future (RFC 9110 8.8.2.1)
        tag = etag(data)
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
                ("Content-Length", str(len(data))),
            ),
            data,
        )


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


def _not_found(site: Path) -> Answer:
    page = site / "404.html"
    data = page.read_bytes() if page.is_file() else b"not found\n"
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

#: How nginx and .htaccess choose: the first of these whose media type the Accept header names
#: without q=0 (an RDF client's header), else HTML.
_RULES = (
    ("ttl", r"(text/turtle|application/x-turtle)(?!;\s*q=0(\.0*)?(,|$))"),
    ("jsonld", r"application/ld\+json(?!;\s*q=0(\.0*)?(,|$))"),
    ("nt", r"application/n-triples(?!;\s*q=0(\.0*)?(,|$))"),
    ("rdf", r"application/(rdf\+)?xml(?!;\s*q=0(\.0*)?(,|$))"),
)


_TEXT_PLAIN = r"^text/plain(?!;\s*q=0)"
#: What nginx compresses (text/html always): the text and RDF types of the site and downloads.
_GZIP_TYPES = " ".join(
    sorted(
        {f.media_type for f in FORMATS if f.extension != "html"}
        | {f.media_type for f in FILES}
        | {"text/css"}
    )
)


def nginx_conf(site: Path, port: int, license_iri: str | None, *, prefix: Path) -> str:
    """An nginx configuration serving ``site`` on 127.0.0.1:``port`` with the rules above
    (``prefix``: the folder for nginx's pid, logs and temporary files)."""
    cases = "\n".join(f'        "~*^(?!.*text/html).*{pattern}" {ext};' for ext, pattern in _RULES)
    documents = {"html", "ttl", "jsonld", "nt", "rdf", "nq"}  # written out above
    types_block = "\n".join(
        f"        {item.media_type} {item.extension};"
        for item in sorted({f.extension: f for f in FILES}.values(), key=lambda f: f.extension)
        if item.extension not in documents
    )
    rdflib_nt = f'"~*{_TEXT_PLAIN}" nt;'
    # a static site takes no POST: its preflight offers GET and HEAD (the answer to OPTIONS)
    static = {**dict(CORS + PREFLIGHT), "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS"}
    cors = "\n".join(
        [f'            add_header {name} "{value}" always;' for name, value in static.items()]
        + ["            if ($request_method = OPTIONS) { return 204; }"]
    )
    link = signposting("/doc/$doc", license_iri)
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
    charset_types text/html text/turtle application/ld+json application/n-triples
        application/rdf+xml application/n-quads application/trig text/tab-separated-values
        text/csv text/css;
    gzip on;
    gzip_vary on;
    gzip_types {_GZIP_TYPES};
    map $http_accept $ext {{
        default html;
{cases}
        {rdflib_nt}
    }}
    server {{
        listen 127.0.0.1:{port};
        root {site};
        autoindex off;
        error_page 404 /404.html;
        location = /404.html {{ internal; }}
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
        location = /ontology {{
{cors}
            add_header Cache-Control "{CACHE_CONTROL}";
            add_header Vary Accept always;
            return 303 /doc/ontology.$ext;
        }}
        location ~ ^/(id|release)/(.+)$ {{
            set $res $2;
            set $kind $1;
{cors}
            add_header Cache-Control "{CACHE_CONTROL}";  # not on a 404
            add_header Vary Accept always;
            if ($kind = release) {{ set $res release/$res; }}
            if (!-f $document_root/doc/$res.$ext) {{ return 404; }}
            return 303 /doc/$res.$ext;
        }}
        location ~ ^/doc/(?<doc>.+)\\.(html|ttl|jsonld|nt|rdf)$ {{
{cors}
            add_header Cache-Control "{CACHE_CONTROL}";
            add_header Vary Accept always;
            add_header Link '{link}' always;
            try_files $uri =404;
        }}
        location / {{ return 404; }}
    }}
}}
"""


def htaccess(host: str) -> str:
    """The w3id.org redirect rules (Apache mod_rewrite): the same choice of format as nginx's,
    redirecting to the documents on ``host`` (where the site is served).

    :raises InputError: ``host`` is not an http(s) origin (with an optional path)
    """
    if not _HOST.fullmatch(host):
        raise InputError(
            "--host",
            None,
            None,
            f"{host!r} is not where a site is served: expected http(s)://NAME[:PORT][/PATH]",
        )
    lines = [
        "# w3id.org/drugclaims: written by `kg site`; the same rules as its nginx.conf",
        "Options +FollowSymLinks",
        "RewriteEngine on",
        "Header always set Vary Accept",
        'Header always set Access-Control-Allow-Origin "*"',
    ]
    for source, target in (("id/(.+)", "$1"), ("(release/.+)", "$1"), ("(ontology)", "$1")):
        for ext, pattern in _RULES:
            lines += [
                r"RewriteCond %{HTTP_ACCEPT} !text/html",
                rf"RewriteCond %{{HTTP_ACCEPT}} {pattern} [NC]",
                rf"RewriteRule ^{source}$ {host}/doc/{target}.{ext} [R=303,L]",
            ]
        lines += [  # rdflib's N-Triples: text/plain, N-Triples' old media type
            r"RewriteCond %{HTTP_ACCEPT} !text/html",
            rf"RewriteCond %{{HTTP_ACCEPT}} {_TEXT_PLAIN} [NC]",
            rf"RewriteRule ^{source}$ {host}/doc/{target}.nt [R=303,L]",
            rf"RewriteRule ^{source}$ {host}/doc/{target}.html [R=303,L]",
        ]
    lines.append(rf"RewriteRule ^$ {host}/index.html [R=303,L]")
    return "\n".join(lines) + "\n"
