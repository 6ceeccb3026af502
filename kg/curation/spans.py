"""Anchoring a quote in its source text: the span a Web Annotation selector states."""

from __future__ import annotations

from kg.model import Span

__all__ = ["CONTEXT", "locate"]

#: How many code points of context a TextQuoteSelector's prefix and suffix carry.
CONTEXT = 32


def locate(text: str, quote: str, *, before: str | None = None) -> Span:
    """Find the one place ``quote`` stands in ``text`` (after ``before``, if given).

    Positions count Unicode code points from 0, end exclusive, as Web Annotation's
    TextPositionSelector does; Python's ``str`` indexes code points, so they are plain indices.

    >>> locate("a cat and a cat", "cat", before="and a ")
    Span(start=12, end=15, exact='cat', prefix='a cat and a ', suffix='')
    >>> locate("a cat and a cat", "cat")
    Traceback (most recent call last):
    ...
    ValueError: quote found 2 times in the source; add a 'prefix' ...
    """
    if not quote:
        raise ValueError("empty quote")
    starts = _occurrences(text, quote)
    if before is not None:
        starts = [s for s in starts if text[:s].endswith(before)]
    if not starts:
        where = f" after {before!r}" if before is not None else ""
        raise ValueError(
            f"quote not found in the source{where}: {quote!r} (it must be the "
            "exact words of the source, typos included)"
        )
    if len(starts) > 1:
        raise ValueError(
            f"quote found {len(starts)} times in the source; add a 'prefix' "
            "(the text just before the one meant)"
        )
    start = starts[0]
    end = start + len(quote)
    return Span(start, end, quote, text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT])


def _occurrences(text: str, quote: str) -> list[int]:
    found, index = [], text.find(quote)
    while index != -1:
        found.append(index)
        index = text.find(quote, index + 1)
    return found
