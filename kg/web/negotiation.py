"""Content negotiation: which document of a resource a request's ``Accept`` header asks for.

The formats, in the order a tie goes: Turtle, JSON-LD, N-Triples, RDF/XML, HTML. Each is
matched by its media types and their aliases (``application/x-turtle``; ``text/plain``,
N-Triples' old type, which rdflib sends; ``application/json``; ``application/xml``, which the
OWL API and Protégé send after ``application/rdf+xml``; ``application/xhtml+xml``), with
q-values, ``type/*`` and ``*/*``. A header that names no format of ours explicitly (``*/*``, as
curl sends, or no header at all) gets the page for people; a browser's header (``text/html``
first, ``*/*;q=0.8``) gets HTML; an RDF client's (``text/turtle, application/x-turtle,
*/*;q=0.1``) gets RDF.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FORMATS",
    "OFFERED",
    "Format",
    "accepted_types",
    "negotiate",
]


@dataclass(frozen=True)
class Format:
    """One document format: its file extension, media type (as served), aliases and name."""

    extension: str
    media_type: str
    accepted: tuple[str, ...]
    label: str

    @property
    def content_type(self) -> str:
        """The Content-Type header: with a charset for the text types."""
        return f"{self.media_type}; charset=utf-8"


FORMATS = (
    Format("ttl", "text/turtle", ("text/turtle", "application/x-turtle"), "Turtle"),
    Format("jsonld", "application/ld+json", ("application/ld+json", "application/json"), "JSON-LD"),
    Format("nt", "application/n-triples", ("application/n-triples", "text/plain"), "N-Triples"),
    Format("rdf", "application/rdf+xml", ("application/rdf+xml", "application/xml"), "RDF/XML"),
    Format("html", "text/html", ("text/html", "application/xhtml+xml"), "HTML"),
)
HTML = FORMATS[-1]
#: The media types a resource's documents are offered in (the body of a 406).
OFFERED = tuple(f.media_type for f in FORMATS)


def negotiate(accept: str | None) -> Format | None:
    """The format a request's Accept header prefers, or None when it accepts none (406).

    >>> [negotiate(a).extension for a in (None, "*/*", "text/turtle", "text/plain, */*;q=0.1",
    ...  "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ...  "application/ld+json;q=0.5, text/turtle;q=0.4", "text/*", "application/rdf+xml")]
    ['html', 'html', 'ttl', 'nt', 'html', 'jsonld', 'html', 'rdf']
    >>> negotiate("image/png") is None
    True
    """
    ranges = _parse(accept or "*/*")
    best: tuple[float, int, int] | None = None
    chosen = None
    for order, fmt in enumerate(FORMATS):
        q, specificity = _quality(fmt, ranges)
        if q <= 0:
            continue
        if fmt is HTML and specificity < 2:
            specificity = 2  # with nothing of ours named, the page for people comes first
        key = (q, specificity, -order)
        if best is None or key > best:
            best, chosen = key, fmt
    return chosen


def accepted_types(header: str | None) -> list[str]:
    """The media ranges of an Accept header, most wanted first (by q, then in the header's
    order), those with q=0 dropped: for answers that are not documents (SPARQL results).

    >>> accepted_types("text/csv;q=0.5, application/sparql-results+json, text/html;q=0")
    ['application/sparql-results+json', 'text/csv']
    """
    ranked = sorted(
        (-q, index, f"{main}/{sub}")
        for index, (main, sub, q) in enumerate(_parse(header or ""))
        if q > 0
    )
    return [media for _, _, media in ranked]


def _parse(header: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) of each media range; a malformed q counts as 0."""
    ranges = []
    for item in header.split(","):
        parts = [part.strip() for part in item.split(";")]
        media = parts[0].lower()
        if "/" not in media:
            continue
        main, sub = media.split("/", 1)
        q = 1.0
        for parameter in parts[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((main, sub, q))
    return ranges


def _quality(fmt: Format, ranges: list[tuple[str, str, float]]) -> tuple[float, int]:
    """The q a format gets from the most specific range that matches one of its media types,
    and that range's specificity (3 exact, 1 ``type/*``, 0 ``*/*``; -1 none)."""
    best = (0.0, -1)
    for media in fmt.accepted:
        main, sub = media.split("/")
        for range_main, range_sub, q in ranges:
            if (range_main, range_sub) == (main, sub):
                specificity = 3
            elif range_main == main and range_sub == "*":
                specificity = 1
            elif (range_main, range_sub) == ("*", "*"):
                specificity = 0
            else:
                continue
            if specificity > best[1] or (specificity == best[1] and q > best[0]):
                best = (q, specificity)
    return best
