"""Serving the static site as linked data: the answer to one request (``kg serve``), and the
same rules for nginx (self-hosting) and for the w3id.org redirect service (``.htaccess``).

- ``/id/<path>``, ``/release/<path>``, ``/ontology``: the resource, not a document: 303 See
  Other to ``/doc/<path>.<ext>`` in the format the ``Accept`` header prefers
  (:mod:`kg.web.negotiation`); 406 when it accepts none of them.
- ``/doc/<path>.<ext>``: the document, 200 with its ``Content-Type``, ``Vary: Accept`` and FAIR
  Signposting ``Link`` headers (``cite-as`` the resource's IRI, ``describedby`` each RDF form,
  ``license``, ``type``).
- ``/`` and ``/index.html``: the index; anything else: 404 with a page, never a listing.

nginx cannot weigh q-values: its rules (like w3id.org's ``.htaccess``) pick the format by the
first media type of ours the header names with no ``q=0``, which agrees with
:func:`kg.web.negotiation.negotiate` for the headers browsers, curl, rdflib and Jena send (the
tests check both on the same table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError
from kg.formats.files import FILES, download_types
from kg.namespaces import ROOT
from kg.web.negotiation import FORMATS, negotiate

__all__ = ["Answer", "answer", "htaccess", "nginx_conf"]

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


def answer(site: Path, path: str, accept: str | None, *, license_iri: str | None = None) -> Answer:
    """The answer to a GET for ``path`` from the site in folder ``site``: a path the file
    system refuses (a name too long for it) is simply not found."""
    try:
        return _answer(site, path, accept, license_iri)
    except OSError:
        return _not_found(site)


def _answer(site: Path, path: str, accept: str | None, license_iri: str | None) -> Answer:
    if "\x00" in path or "/../" in path + "/" or "/./" in path + "/" or "//" in path:
        return _not_found(site)
    document = _document_of(path)
    if document is not None:
        fmt = negotiate(accept)
        if fmt is None:
            return Answer(
                406,
                (("Content-Type", "text/plain; charset=utf-8"), ("Vary", "Accept")),
                b"not acceptable: ask for text/html, text/turtle, application/ld+json "
                b"or application/n-triples\n",
            )
        if not (site / f"{document[1:]}.{fmt.extension}").is_file():
            return _not_found(site)
        return Answer(
            303,
            (
                ("Location", f"{document}.{fmt.extension}"),
                ("Vary", "Accept"),
                ("Content-Length", "0"),
            ),
            b"",
        )
    if path in ("/", "/index.html"):
        return _file(site / "index.html", _BY_EXTENSION["html"].content_type, ())
    if path == "/style.css":
        return _file(site / "style.css", "text/css; charset=utf-8", ())
    if path.startswith("/download/") and (site / path[1:]).is_file():
        name = path.rsplit("/", 1)[-1]
        return _file(
            site / path[1:],
            _DOWNLOAD_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream"),
            (),
        )
    if path.startswith("/doc/") and "." in path.rsplit("/", 1)[-1]:
        stem, extension = path.rsplit(".", 1)
        fmt = _BY_EXTENSION.get(extension)
        target = site / path[1:]
        if fmt is not None and target.is_file():
            return _file(target, fmt.content_type, (("Link", signposting(stem, license_iri)),))
    return _not_found(site)


def _file(path: Path, content_type: str, headers: tuple[tuple[str, str], ...]) -> Answer:
    data = path.read_bytes()
    return Answer(
        200,
        (
            ("Content-Type", content_type),
            ("Vary", "Accept"),
            *headers,
            ("Content-Length", str(len(data))),
        ),
        data,
    )


def _not_found(site: Path) -> Answer:
    page = site / "404.html"
    data = page.read_bytes() if page.is_file() else b"not found\n"
    return Answer(
        404,
        (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))),
        data,
    )


# -- nginx and .htaccess ---------------------------------------------------------------------

#: How nginx and .htaccess choose: the first of these whose media type the Accept header names
#: without q=0 (an RDF client's header), else HTML.
_RULES = (
    ("ttl", r"(text/turtle|application/x-turtle)(?!;\s*q=0(\.0*)?(,|$))"),
    ("jsonld", r"application/ld\+json(?!;\s*q=0(\.0*)?(,|$))"),
    ("nt", r"application/n-triples(?!;\s*q=0(\.0*)?(,|$))"),
)


_TEXT_PLAIN = r"^text/plain(?!;\s*q=0)"


def nginx_conf(site: Path, port: int, license_iri: str | None, *, prefix: Path) -> str:
    """An nginx configuration serving ``site`` on 127.0.0.1:``port`` with the rules above
    (``prefix``: the folder for nginx's pid, logs and temporary files)."""
    cases = "\n".join(f'        "~*^(?!.*text/html).*{pattern}" {ext};' for ext, pattern in _RULES)
    documents = {"html", "ttl", "jsonld", "nt", "nq"}  # written out above, with the pages'
    types_block = "\n".join(
        f"        {item.media_type} {item.extension};"
        for item in sorted({f.extension: f for f in FILES}.values(), key=lambda f: f.extension)
        if item.extension not in documents
    )
    rdflib_nt = f'"~*{_TEXT_PLAIN}" nt;'
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
        application/n-quads nq;
{types_block}
        text/css css;
    }}
    charset utf-8;
    charset_types text/html text/turtle application/ld+json application/n-triples
        application/n-quads application/trig text/tab-separated-values text/csv text/css;
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
        location ^~ /download/ {{ }}
        location = /ontology {{
            add_header Vary Accept always;
            return 303 /doc/ontology.$ext;
        }}
        location ~ ^/(id|release)/(.+)$ {{
            set $res $2;
            set $kind $1;
            add_header Vary Accept always;
            if ($kind = release) {{ set $res release/$res; }}
            if (!-f $document_root/doc/$res.$ext) {{ return 404; }}
            return 303 /doc/$res.$ext;
        }}
        location ~ ^/doc/(?<doc>.+)\\.(html|ttl|jsonld|nt)$ {{
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
