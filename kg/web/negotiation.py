"""Content negotiation: which document of a resource a request's ``Accept`` header asks for,
decided the same way by ``kg serve`` (:func:`negotiate`) and by the rules nginx and Apache
(w3id.org's ``.htaccess``) are given (:func:`rules`).

The formats, in the order a tie goes: Turtle, JSON-LD, N-Triples, RDF/XML, HTML. Each is named
by its media type and its aliases (``application/x-turtle``; ``text/plain``, N-Triples' old
type, which rdflib sends; ``application/json``; ``application/xml``, which the OWL API and
Protégé send after ``application/rdf+xml``; ``application/xhtml+xml``). A format's q-value is
the highest q of the ranges that name one of its types; when none does, the q of ``type/*``
for its media type's main type (``text/*``: Turtle and HTML; ``application/*``: JSON-LD,
N-Triples, RDF/XML); when that is absent too, the q of ``*/*``; else 0. A format with q 0 is
not acceptable (``text/html;q=0`` is a refusal); when every format is, the answer is 406.
The most wanted format wins; of equals, one named by its type beats one reached through a
wildcard, HTML beats the other formats reached through a wildcard (``*/*``, as curl and
browsers send, or no header at all: the page for people), and then the order above goes.

**q-values count to their first decimal.** Regular expressions, the only language nginx's
``map`` and Apache's mod_rewrite have, cannot compare two numbers, but they can ask, level by
level from the top, whether a format has a q in that level: so q-values are compared by their
first decimal (0.95 and 0.9 are equal, and the tie goes as above; any q above 0 and below 0.1
is the lowest level, still acceptable). ``kg serve`` does the same, so that all three servers
give one answer; every real client's header we know of (browsers, curl, rdflib, Jena,
Comunica, the OWL API, SPARQLWrapper) gets the answer exact q-values would give. A malformed
q, or two q parameters in one range, makes that range's q 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "FORMATS",
    "HTML",
    "OFFERED",
    "Format",
    "accepted_types",
    "negotiate",
    "rules",
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

    @property
    def wildcard(self) -> str:
        """The ``type/*`` range that reaches this format."""
        return self.media_type.split("/")[0] + "/*"


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
#: The levels a q-value falls in: 0 (not acceptable), 1 (0.001 to 0.099), 2 (0.1 to 0.199),
#: ... 10 (0.9 to 0.999), 11 (1).
TOP = 11


def negotiate(accept: str | None) -> Format | None:
    """The format a request's Accept header prefers, or None when it accepts none (406).

    >>> [negotiate(a).extension for a in (None, "*/*", "text/turtle", "text/plain, */*;q=0.1",
    ...  "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ...  "application/ld+json;q=0.5, text/turtle;q=0.4", "text/*", "application/*",
    ...  "application/rdf+xml", "text/turtle, text/html;q=0.5")]
    ['html', 'html', 'ttl', 'nt', 'html', 'jsonld', 'html', 'jsonld', 'rdf', 'ttl']
    >>> negotiate("image/png") is None, negotiate("text/html;q=0") is None
    (True, True)
    >>> negotiate("application/ld+json;q=0.95, text/turtle;q=0.9").extension  # first decimal
    'ttl'
    """
    if accept is None or not accept.strip(_OWS):
        accept = "*/*"
    ranges = _parse(accept)
    best: tuple[int, int, int] | None = None
    chosen = None
    for order, fmt in enumerate(FORMATS):
        q, named = _quality(fmt, ranges)
        if q == 0:
            continue
        rank = 2 if named else 1 if fmt is HTML else 0
        key = (_level(q), rank, -order)
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
        (-q, index, media) for index, (media, q) in enumerate(_parse(header or "")) if q > 0
    )
    return [media for _, _, media in ranked]


_OWS = " \t"
_QVALUE = re.compile(r"1(?:\.0{0,3})?|0(?:\.[0-9]{0,3})?")


def _parse(header: str) -> list[tuple[str, int]]:
    """(media range, q in thousandths) of each range of the header, in its order; a range
    with a malformed q, or more than one, gets 0."""
    ranges = []
    for item in header.split(","):
        media, *parameters = item.split(";")
        media = media.strip(_OWS).lower()
        if "/" not in media:
            continue
        values = [p.strip(_OWS)[2:] for p in parameters if p.strip(_OWS).lower().startswith("q=")]
        if not values:
            q = 1000
        elif len(values) == 1 and _QVALUE.fullmatch(values[0]):
            whole, _, fraction = values[0].partition(".")
            q = int(whole) * 1000 + int((fraction + "000")[:3])
        else:
            q = 0
        ranges.append((media, q))
    return ranges


def _quality(fmt: Format, ranges: list[tuple[str, int]]) -> tuple[int, bool]:
    """A format's q (in thousandths) and whether a range names one of its types."""
    named = [q for media, q in ranges if media in fmt.accepted]
    if named:
        return max(named), True
    for wildcard in (fmt.wildcard, "*/*"):
        found = [q for media, q in ranges if media == wildcard]
        if found:
            return max(found), False
    return 0, False


def _level(q: int) -> int:
    """The level of a q-value (in thousandths): its first decimal, see :data:`TOP`."""
    return TOP if q >= 1000 else 0 if q == 0 else q // 100 + 1


# -- the same choice as regular expressions, for nginx's map and Apache's mod_rewrite ---------

_SPACE = r"[\t\x20]*"
#: A parameter other than q (the lookahead keeps the spaces from hiding a q).
_OTHER = rf";{_SPACE}(?![\t\x20]|q=)[^,;]*"
_END = "(?:,|$)"


def _q_pattern(level: int) -> str:
    """A q-value of the level, as the header writes it."""
    if level == TOP:
        return r"1(?:\.0{0,3})?"
    if level == 1:
        return r"0\.0(?:[1-9][0-9]?|0[1-9])"
    return rf"0\.{level - 1}[0-9]{{0,2}}"


def _names(media: tuple[str, ...]) -> str:
    return rf"(?:^|,){_SPACE}(?:{'|'.join(re.escape(m) for m in media)}){_SPACE}"


def _named(media: tuple[str, ...]) -> str:
    """A range of the header that names one of ``media``, whatever its q."""
    return _names(media) + f"(?:;[^,]*)?{_END}"


def _ranged(media: tuple[str, ...], level: int) -> str:
    """A range of the header that names one of ``media`` with a q of the level."""
    q = rf";{_SPACE}q={_q_pattern(level)}{_SPACE}"
    if level == TOP:
        q = f"(?:{q})?"  # no q is q=1
    return _names(media) + f"(?:{_OTHER})*{q}(?:{_OTHER})*{_END}"


def _through_wildcard(fmt: Format, level: int) -> str:
    """The header reaches ``fmt`` through ``type/*`` or ``*/*`` only, with a q of the level."""
    main, any_type = (fmt.wildcard,), ("*/*",)
    return (
        f"^(?!.*{_named(fmt.accepted)})"
        f"(?:(?=.*{_ranged(main, level)})|(?!.*{_named(main)})(?=.*{_ranged(any_type, level)}))"
    )


def rules() -> list[tuple[str, str]]:
    """(regular expression, extension) pairs: the first whose expression is found in an Accept
    header (case-insensitively) gives the format :func:`negotiate` chooses; none, 406.
    Written for PCRE (nginx, Apache) and Python's re alike.

    >>> import re
    >>> def first(header):
    ...     return next((e for r, e in rules() if re.search(r, header, re.I)), None)
    >>> first("text/turtle;q=0.5, application/ld+json;q=0.8"), first(""), first("image/png")
    ('jsonld', 'html', None)
    """
    found = [(rf"^{_SPACE}$", HTML.extension)]  # no header: as */*
    for level in range(TOP, 0, -1):
        found += [(_ranged(fmt.accepted, level), fmt.extension) for fmt in FORMATS]
        found.append((_through_wildcard(HTML, level), HTML.extension))
        found += [
            (_through_wildcard(fmt, level), fmt.extension) for fmt in FORMATS if fmt is not HTML
        ]
    return found
