"""What a source document says of its article: one record, whatever the format it came in.

The parsers (:mod:`kg.curation.documents`) fill it from the document alone; the dates and
citations they share are worked out here, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.model import Person

__all__ = [
    "MONTHS",
    "Author",
    "DocumentError",
    "DocumentRecord",
    "Heading",
    "citation_of",
    "iso_date",
]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PUBMED_DATE = re.compile(r"(?P<year>\d{4})(?: (?P<month>[A-Z][a-z]{2})(?: (?P<day>\d{1,2}))?)?")
_ISO_DATE = re.compile(r"(?P<year>\d{4})(?:[-/](?P<month>\d{2})(?:[-/](?P<day>\d{2}))?)?")


class DocumentError(ValueError):
    """A document a parser does not recognise: what was expected, and the line (from 1) where
    it was not found, when the document has lines to name."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message, self.line = message, line
        super().__init__(message if line is None else f"line {line}: {message}")


#: An author as the document lists them: the model's Person, as the article publishes them.
Author = Person


@dataclass(frozen=True)
class Heading:
    """A MeSH heading or publication type: its name, and its MeSH descriptor's unique ID when
    the document gives it (PubMed XML's ``UI`` attribute); never looked up."""

    name: str
    mesh_id: str | None = None


@dataclass(frozen=True)
class DocumentRecord:
    """What a document says of its article. ``date`` is ISO 8601 with as much as the document
    gives (``2014``, ``2014-11``, ``2014-11-21``); ``citation`` is the document's own citation
    line when it has one, else one made of its parts (:func:`citation_of`)."""

    title: str
    journal: str  # the journal's name as the citation writes it (an abbreviation, usually)
    date: str
    citation: str
    journal_title: str | None = None
    issns: tuple[str, ...] = ()
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    authors: tuple[Author, ...] = ()
    affiliations: tuple[str, ...] = ()  # of no author in particular (an old page's only one)
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    mesh_headings: tuple[Heading, ...] = ()
    publication_types: tuple[Heading, ...] = ()


def iso_date(text: str) -> str:
    """A publication date as ISO 8601, with no more precision than it has: PubMed's
    ``2014 Nov 21``, ``2014 Nov``, ``2014``, or ISO's ``2014-11-21`` (``/`` too). A date with
    more words (``2010 Jul-Aug``, ``2012 Winter``, PubMed's MedlineDate) is its first year: the
    code never guesses a month.

    >>> iso_date("2014 Nov 21"), iso_date("2010 Aug"), iso_date("2010 Jul-Aug")
    ('2014-11-21', '2010-08', '2010')
    >>> iso_date("2014/11/05")
    '2014-11-05'
    >>> iso_date("Winter")
    Traceback (most recent call last):
    ...
    ValueError: expected a date that starts with its year (2014 Nov 21, 2014-11-21), found 'Winter'
    """
    text = text.strip()
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = match["year"], match["month"], match["day"]
    elif match := _PUBMED_DATE.fullmatch(text):
        year, day = match["year"], match["day"]
        month = f"{MONTHS.index(match['month']) + 1:02d}" if match["month"] in MONTHS else None
        if match["month"] and month is None:
            raise ValueError(f"unknown month {match['month']!r} in {text!r}")
    elif match := re.match(r"(\d{4})\b", text):
        return match[1]
    else:
        raise ValueError(
            f"expected a date that starts with its year (2014 Nov 21, 2014-11-21), found {text!r}"
        )
    return _checked(year, month, day, text)


def _checked(year: str, month: str | None, day: str | None, text: str) -> str:
    if month is not None and not 1 <= int(month) <= 12:
        raise ValueError(f"no month {month} in {text!r}")
    if day is not None and not 1 <= int(day) <= 31:
        raise ValueError(f"no day {day} in {text!r}")
    return "-".join(part.zfill(2) for part in (year, month, day) if part is not None)


def citation_of(
    journal: str,
    date: str,
    volume: str | None,
    issue: str | None,
    pages: str | None,
    doi: str | None,
) -> str:
    """A citation in PubMed's layout, of the parts a document gives (none made up).

    >>> citation_of("J Invented Res", "2014-11-21", "7", None, "679-87", "10.5555/x")
    'J Invented Res. 2014 Nov 21;7:679-87. doi: 10.5555/x.'
    >>> citation_of("J Invented Res", "2010", None, None, None, None)
    'J Invented Res. 2010.'
    """
    parts = date.split("-")
    when = " ".join([parts[0], *([MONTHS[int(parts[1]) - 1]] if len(parts) > 1 else [])])
    when += f" {int(parts[2])}" if len(parts) > 2 else ""
    where = (volume or "") + (f"({issue})" if issue else "")
    text = f"{journal}. {when}" + (f";{where}" if where else "") + (f":{pages}" if pages else "")
    return text + "." + (f" doi: {doi}." if doi else "")
