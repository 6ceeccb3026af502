"""The part of a source's text a claim page shows: the abstract, with the quote in it.

A source's text is kept as it was received (a PubMed page saved as text begins with the page's
"Send to" and "Choose Destination" and ends with its links); the claims' spans count in that
whole text. The article's abstract, as the source's parser read it (``schema:abstract``), is
found in the text the way a quote is (:func:`kg.curation.spans.locate`: whitespace matches any
whitespace), so the page shows the abstract alone and marks the quote at its recorded offsets,
never re-found. A quote outside the abstract (in the title), or an abstract the text does not
hold word for word (a parser that joined labelled sections), gets its selector's context
instead: the words just before and after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from kg.curation.spans import CONTEXT, locate

__all__ = ["Excerpt", "excerpt"]


@dataclass(frozen=True)
class Excerpt:
    """What a page shows of a text around a span: ``before + quote + after`` is
    ``text[start:end]`` of the text, and ``quote`` is the span's own slice. ``whole`` says
    whether it is the abstract (else the span's context, elided on either side)."""

    before: str
    quote: str
    after: str
    whole: bool
    start: int
    end: int


def excerpt(text: str, start: int, end: int, abstract: str = "") -> Excerpt:
    """The abstract of ``text`` with the span ``start``-``end`` in it, or the span's context.

    >>> page = "Send to\\n\\nTitle.\\n\\nA drug  helps.\\n\\nLinks"
    >>> e = excerpt(page, 25, 30, "A drug helps.")
    >>> (e.before, e.quote, e.after, e.whole)
    ('A drug  ', 'helps', '.', True)
    >>> e = excerpt(page, 9, 14, "A drug helps.")  # the quote is in the title
    >>> (e.quote, e.whole, e.start)
    ('Title', False, 0)
    """
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span {start}-{end} is outside a text of {len(text)} code points")
    bounds = _abstract_bounds(text, abstract)
    if bounds is not None and bounds[0] <= start and end <= bounds[1]:
        first, last = bounds
        whole = True
    else:
        first, last = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
        whole = False
    return Excerpt(text[first:start], text[start:end], text[end:last], whole, first, last)


@lru_cache(maxsize=1024)  # each claim of a source asks for its abstract
def _abstract_bounds(text: str, abstract: str) -> tuple[int, int] | None:
    """Where the abstract stands in the text, if it stands there once."""
    abstract = abstract.strip()
    if not abstract:
        return None
    at = text.find(abstract)
    if at != -1 and text.find(abstract, at + 1) == -1:  # as the text has it (most parsers')
        return at, at + len(abstract)
    try:  # with other whitespace (an HTML page's indentation)
        span = locate(text, abstract)
    except ValueError:  # not in the text word for word, or more than once
        return None
    return span.start, span.end
