"""Reading MEDLINE text (PubMed's "MEDLINE" format, the ``.nbib`` a citation manager saves):
one field a line, ``TAG - value``, the tag padded to four characters; a value that goes on is
continued on lines indented six spaces. The parser knows the line layout and the fields it
reads; a line of another layout is refused, naming it, and so is a file without the fields
every record has (PMID, TI, TA or JT, DP).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from kg.curation.documents.record import (
    Author,
    DocumentError,
    DocumentRecord,
    Heading,
    citation_of,
    iso_date,
)

__all__ = ["parse_medline"]

_FIELD = re.compile(r"(?P<tag>[A-Z][A-Z0-9]{1,3}) *- (?P<value>.*)")
_CONTINUATION = "      "
_TAGGED_ID = re.compile(r"(?P<id>\S+) \[(?P<kind>[a-z]+)\]")


@dataclass
class _Field:
    tag: str
    value: str
    line: int


def parse_medline(text: str) -> DocumentRecord:
    """Parse the MEDLINE text of one article.

    >>> record = parse_medline("PMID- 1\\nTI  - A title\\n      on two lines.\\nTA  - J Inv\\n"
    ...                        "DP  - 2014 Nov 21\\nVI  - 7\\nPG  - 679-87\\n")
    >>> record.title, record.date, record.citation
    ('A title on two lines.', '2014-11-21', 'J Inv. 2014 Nov 21;7:679-87.')

    :raises DocumentError: a line of another layout, a missing field, two records
    """
    fields = _fields(text)
    by_tag: dict[str, list[_Field]] = defaultdict(list)
    for field in fields:
        by_tag[field.tag].append(field)
    if len(by_tag["PMID"]) != 1:
        line = by_tag["PMID"][1].line if by_tag["PMID"] else None
        raise DocumentError(
            f"expected one record (one PMID line), found {len(by_tag['PMID'])}", line
        )
    journal = _first(by_tag, "TA") or _required(by_tag, "JT")
    date = _date(by_tag)
    volume, issue, pages = (_first(by_tag, t) for t in ("VI", "IP", "PG"))
    ids = _tagged_ids(by_tag["LID"] + by_tag["AID"])
    doi = ids.get("doi")
    source = _first(by_tag, "SO")
    return DocumentRecord(
        title=_required(by_tag, "TI"),
        journal=journal,
        date=date,
        citation=source or citation_of(journal, date, volume, issue, pages, doi),
        journal_title=_first(by_tag, "JT"),
        issns=tuple(f.value.split(" ", 1)[0] for f in by_tag["IS"]),
        volume=volume,
        issue=issue,
        pages=pages,
        doi=doi,
        pmid=by_tag["PMID"][0].value,
        pmcid=_first(by_tag, "PMC") or ids.get("pmc"),
        authors=_authors(fields),
        abstract=_first(by_tag, "AB") or "",
        keywords=tuple(f.value for f in by_tag["OT"]),
        mesh_headings=tuple(Heading(f.value.removeprefix("*")) for f in by_tag["MH"]),
        publication_types=tuple(Heading(f.value) for f in by_tag["PT"]),
    )


def _fields(text: str) -> list[_Field]:
    """The fields of the text, each continuation line joined to its value with one space."""
    fields: list[_Field] = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        if line.startswith(_CONTINUATION) and fields:
            fields[-1].value += " " + line.strip()
            continue
        match = _FIELD.fullmatch(line)
        if match is None:
            raise DocumentError(
                "expected a MEDLINE field ('TAG - value', the tag padded to four characters) "
                f"or a continuation line (six spaces), found {line[:60]!r}",
                number,
            )
        fields.append(_Field(match["tag"], match["value"].strip(), number))
    return fields


def _first(by_tag: dict[str, list[_Field]], tag: str) -> str | None:
    return by_tag[tag][0].value if by_tag.get(tag) else None


def _required(by_tag: dict[str, list[_Field]], tag: str) -> str:
    value = _first(by_tag, tag)
    if not value:
        raise DocumentError(f"expected a {tag} field ({_NAMES[tag]}), found none")
    return value


_NAMES = {"TI": "the title", "JT": "the journal", "DP": "the date of publication"}


def _date(by_tag: dict[str, list[_Field]]) -> str:
    text = _required(by_tag, "DP")
    try:
        return iso_date(text)
    except ValueError as error:
        raise DocumentError(f"DP: {error}", by_tag["DP"][0].line) from error


def _tagged_ids(fields: list[_Field]) -> dict[str, str]:
    """``10.5555/x [doi]``, ``S0000 [pii]``: the identifiers by kind (the first of each)."""
    found: dict[str, str] = {}
    for field in fields:
        match = _TAGGED_ID.fullmatch(field.value)
        if match is None:
            raise DocumentError(
                f"{field.tag}: expected 'identifier [kind]', found {field.value[:60]!r}",
                field.line,
            )
        found.setdefault(match["kind"], match["id"])
    return found


def _authors(fields: list[_Field]) -> tuple[Author, ...]:
    """The authors in order: a full name (FAU) starts one, its short name (AU) follows it (or
    starts one on its own), and each affiliation (AD) is of the author before it."""
    authors: list[tuple[str | None, str | None, list[str]]] = []
    for field in fields:
        if field.tag == "FAU" or (field.tag == "AU" and (not authors or authors[-1][1])):
            authors.append((None, None, []))
        if field.tag == "FAU":
            authors[-1] = (field.value, None, authors[-1][2])
        elif field.tag == "AU":
            authors[-1] = (authors[-1][0], field.value, authors[-1][2])
        elif field.tag == "AD":
            if not authors:
                raise DocumentError("AD: an affiliation before any author (FAU, AU)", field.line)
            authors[-1][2].append(field.value)
    return tuple(_author(full, short, affiliations) for full, short, affiliations in authors)


def _author(full: str | None, short: str | None, affiliations: list[str]) -> Author:
    if full and ", " in full:
        family, given = full.split(", ", 1)
        return Author(f"{given} {family}", tuple(affiliations), given, family)
    return Author(str(full or short), tuple(affiliations))
