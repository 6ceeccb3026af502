"""Reading a PubMed abstract page saved as text: its citation, title, affiliation, abstract and
keywords. The parser knows one layout and fails, naming the line, on any page it does not
recognise: it never guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.curation.documents.record import MONTHS, DocumentRecord
from kg.curation.documents.text import decoded

__all__ = ["PageRecord", "parse_pubmed_page", "read_pubmed_page"]

CITATION = re.compile(
    r"^(?P<journal>[^.]+(?:\.[^.]+)*?)\. (?P<year>\d{4}) (?P<month>[A-Z][a-z]{2})"
    r";(?P<volume>\d+)\((?P<issue>[^)]+)\):(?P<pages>[0-9A-Za-z-]+)\. doi: (?P<doi>10\.\S+)\.$"
)
AUTHOR_INFORMATION = "Author information"
TRAILERS = ("Supplemental Content", "Full text links")


@dataclass(frozen=True)
class PageRecord:
    """What a PubMed abstract page says of its article."""

    citation: str
    journal_abbreviation: str
    year_month: str
    volume: str
    issue: str
    pages: str
    doi: str
    title: str
    affiliation: str
    abstract: str
    keywords: tuple[str, ...]


def parse_pubmed_page(text: str) -> PageRecord:
    """Parse the text of a PubMed abstract page.

    :raises ValueError: the page does not have the expected layout; the message names the line
    """
    lines = text.split("\n")
    cite_at = _citation_line(lines)
    match = CITATION.match(lines[cite_at])
    assert match is not None
    title_at = _next_filled(lines, cite_at + 1, "the title")
    info_at = _next_filled(lines, title_at + 1, f"'{AUTHOR_INFORMATION}'")
    if lines[info_at] != AUTHOR_INFORMATION:
        raise ValueError(
            f"line {info_at + 1}: expected '{AUTHOR_INFORMATION}', found {lines[info_at][:60]!r}"
        )
    affiliation_at = _next_filled(lines, info_at + 1, "the affiliation")
    abstract_at = _next_filled(lines, affiliation_at + 1, "the abstract")
    if lines[abstract_at] in TRAILERS or len(lines[abstract_at]) < 200:
        raise ValueError(
            f"line {abstract_at + 1}: expected the abstract (one paragraph of "
            f"at least 200 characters), found {lines[abstract_at][:60]!r}"
        )
    keywords_at = _next_filled(lines, abstract_at + 1, "the keywords or the page's end")
    keywords = () if lines[keywords_at] in TRAILERS else tuple(lines[keywords_at].split("; "))
    month = MONTHS.index(match["month"]) + 1 if match["month"] in MONTHS else None
    if month is None:
        raise ValueError(f"line {cite_at + 1}: unknown month {match['month']!r}")
    return PageRecord(
        citation=lines[cite_at],
        journal_abbreviation=match["journal"],
        year_month=f"{match['year']}-{month:02d}",
        volume=match["volume"],
        issue=match["issue"],
        pages=match["pages"],
        doi=match["doi"],
        title=lines[title_at].strip(),
        affiliation=lines[affiliation_at].strip(),
        abstract=lines[abstract_at],
        keywords=keywords,
    )


def read_pubmed_page(data: bytes) -> DocumentRecord:
    """The record of a page saved as text (UTF-8), as every parser gives one: the page names
    no author, so its affiliation is the article's."""
    page = parse_pubmed_page(decoded(data))
    return DocumentRecord(
        title=page.title,
        journal=page.journal_abbreviation,
        date=page.year_month,
        citation=page.citation,
        volume=page.volume,
        issue=page.issue,
        pages=page.pages,
        doi=page.doi,
        affiliations=(page.affiliation,),
        abstract=page.abstract,
        keywords=page.keywords,
    )


def _citation_line(lines: list[str]) -> int:
    found = [i for i, line in enumerate(lines) if CITATION.match(line)]
    if len(found) != 1:
        raise ValueError(
            f"expected one citation line ('Journal. YYYY Mon;vol(issue):pages. "
            f"doi: 10...'), found {len(found)}: not a PubMed abstract page"
        )
    return found[0]


def _next_filled(lines: list[str], start: int, what: str) -> int:
    for index in range(start, len(lines)):
        if lines[index].strip():
            return index
    raise ValueError(f"line {start + 1}: expected {what}, found the end of the page")
