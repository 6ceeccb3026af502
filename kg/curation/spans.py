"""Anchoring a quote in its source text: the span a Web Annotation selector states.

A curator types a quote as the words read, one space between words; the text as received may
break a line there (a MEDLINE continuation line, an HTML page's indentation). So a run of
whitespace in a quote matches any run of whitespace in the text, and the selector's ``exact``
is always the text's own slice, never the quote as typed.
"""

from __future__ import annotations

import re

from kg.model import Span

__all__ = ["CONTEXT", "locate"]

#: How many code points of context a TextQuoteSelector's prefix and suffix carry.
CONTEXT = 32
_SPACE = re.compile(r"\s+")


def locate(text: str, quote: str, *, before: str | None = None) -> Span:
    """Find the one place ``quote`` stands in ``text`` (after ``before``, if given).

    Positions count Unicode code points from 0, end exclusive, as Web Annotation's
    TextPositionSelector does; Python's ``str`` indexes code points, so they are plain indices.
    Whitespace in ``quote`` and ``before`` matches any run of whitespace in ``text``.

    >>> locate("a cat and a cat", "cat", before="and a ")
    Span(start=12, end=15, exact='cat', prefix='a cat and a ', suffix='')
    >>> locate("a black\\n      cat", "black cat").exact
    'black\\n      cat'
    >>> locate("a cat and a cat", "cat")
    Traceback (most recent call last):
    ...
    ValueError: quote found 2 times in the source; add a 'prefix' ...
    """
    if not quote.strip():
        raise ValueError("empty quote")
    found = _occurrences(text, _pattern(quote))
    if before is not None:
        ending = re.compile(f"(?:{_pattern(before).pattern})$")
        found = [(s, e) for s, e in found if ending.search(text, 0, s)]
    if not found:
        where = f" after {before!r}" if before is not None else ""
        raise ValueError(
            f"quote not found in the source{where}: {quote!r} (it must be the "
            "exact words of the source, typos included)"
        )
    if len(found) > 1:
        raise ValueError(
            f"quote found {len(found)} times in the source; add a 'prefix' "
            "(the text just before the one meant)"
        )
    start, end = found[0]
    return Span(
        start,
        end,
        text[start:end],
        text[max(0, start - CONTEXT) : start],
        text[end : end + CONTEXT],
    )


def _pattern(words: str) -> re.Pattern[str]:
    """``words`` as a pattern in which each run of whitespace matches any run of whitespace."""
    parts = _SPACE.split(words)
    return re.compile(r"\s+".join(re.escape(part) for part in parts))


def _occurrences(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Every match, overlapping ones too (a quote may occur inside its own repetition)."""
    found, match = [], pattern.search(text)
    while match is not None:
        found.append(match.span())
        match = pattern.search(text, match.start() + 1)
    return found
