"""Reading an article page saved as HTML: today's PubMed page (pubmed.ncbi.nlm.nih.gov/PMID/),
or any page with Highwire Press ``citation_*`` meta tags (as PMC's pages and most journals'
have). The record comes from the meta tags (title, journal, date, volume, issue, pages, DOI,
PMID, authors and their institutions, keywords) and the abstract from the page's abstract
element, its sub-titles (``Background:``) heading its sections. Parsed with the standard
library's ``html.parser``; a page without the tags every article has is refused, naming them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from kg.curation.documents.record import (
    Author,
    DocumentError,
    DocumentRecord,
    citation_of,
    iso_date,
)
from kg.curation.documents.text import decoded

__all__ = ["parse_pubmed_html"]

_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_SPACES = re.compile(r"\s+")


class _PageReader(HTMLParser):
    """Collects the ``citation_*`` meta tags in order, and the abstract's paragraphs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str, int]] = []  # (name, content, line)
        self.depth = 0  # of open elements, while inside the abstract
        self.paragraphs: list[list[str]] = []
        self.label: list[str] | None = None  # the sub-title being read
        self.labels: dict[int, str] = {}
        self.heading: str | None = None  # a section heading (h3, h4) for the next paragraph
        self.keywords: list[str] | None = None  # a "Keywords:" paragraph after the abstract
        self.outside: list[str] | None = None  # a sub-title outside the abstract
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta" and values.get("name", "").startswith("citation_"):
            self.meta.append((values["name"], values.get("content", ""), self.getpos()[0]))
        if tag in ("script", "style"):
            self.skip += 1
        if tag in _VOID:
            return
        classes = values.get("class", "").split()
        if self.depth:
            self.depth += 1
            if tag == "p":
                self.paragraphs.append([])
                if self.heading is not None:
                    self.labels[len(self.paragraphs) - 1], self.heading = self.heading, None
            if "sub-title" in classes or tag in ("h3", "h4"):
                self.label = []
        elif "abstract-content" in classes and not self.paragraphs:
            self.depth = 1
        elif "sub-title" in classes and self.keywords is None:
            self.outside = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        if self.outside is not None and tag in ("strong", "b"):
            is_keywords = "".join(self.outside).strip().lower().startswith("keywords")
            self.keywords, self.outside = ([] if is_keywords else None), None
        elif self.keywords is not None and tag == "p":
            self.keywords.append("\0")  # the paragraph's end
        if not self.depth or tag in _VOID:
            return
        self.depth -= 1
        if self.label is not None and tag in ("h3", "h4"):
            self.heading, self.label = "".join(self.label), None
        elif self.label is not None and tag in ("strong", "b") and self.paragraphs:
            self.labels[len(self.paragraphs) - 1], self.label = "".join(self.label), None

    def handle_data(self, data: str) -> None:
        if self.outside is not None:
            self.outside.append(data)
        elif self.keywords is not None and "\0" not in self.keywords:
            self.keywords.append(data)
        if not self.depth or self.skip:
            return
        if self.label is not None:
            self.label.append(data)
        elif self.paragraphs:
            self.paragraphs[-1].append(data)

    def keyword_list(self) -> tuple[str, ...]:
        """The words of a "Keywords:" paragraph (``a; b; c.``)."""
        text = "".join(self.keywords or []).split("\0", 1)[0]
        text = _SPACES.sub(" ", text).strip().removesuffix(".")
        return tuple(word.strip() for word in text.split(";") if word.strip())

    def abstract(self) -> str:
        sections = []
        for index, parts in enumerate(self.paragraphs):
            text = _SPACES.sub(" ", "".join(parts)).strip()
            label = _SPACES.sub(" ", self.labels.get(index, "")).strip().rstrip(":")
            if text or label:
                sections.append(f"{label}: {text}" if label else text)
        return "\n".join(sections)


def parse_pubmed_html(data: bytes) -> DocumentRecord:
    """Parse an article page saved as HTML (UTF-8).

    :raises DocumentError: no title, journal or date meta tag; a date it cannot read
    """
    reader = _PageReader()
    reader.feed(decoded(data))
    reader.close()
    tags = _Tags(reader.meta)
    journal = tags.first("citation_journal_abbrev") or tags.required("citation_journal_title")
    date = tags.date()
    volume, issue = tags.first("citation_volume"), tags.first("citation_issue")
    first, last = tags.first("citation_firstpage"), tags.first("citation_lastpage")
    pages = "-".join(p for p in (first, last) if p) or None
    doi = tags.first("citation_doi")
    doi = doi.removeprefix("doi:") if doi else None
    return DocumentRecord(
        title=tags.required("citation_title"),
        journal=journal,
        date=date,
        citation=citation_of(journal, date, volume, issue, pages, doi),
        journal_title=tags.first("citation_journal_title"),
        issns=tuple(tags.all("citation_issn")),
        volume=volume,
        issue=issue,
        pages=pages,
        doi=doi,
        pmid=tags.first("citation_pmid"),
        pmcid=tags.first("citation_pmcid"),
        authors=tags.authors(),
        abstract=reader.abstract(),
        keywords=tuple(
            k.strip() for v in tags.all("citation_keywords") for k in v.split(";") if k.strip()
        )
        or reader.keyword_list(),
    )


class _Tags:
    def __init__(self, meta: list[tuple[str, str, int]]) -> None:
        self.meta = [
            (name, _SPACES.sub(" ", content).strip(), line) for name, content, line in meta
        ]

    def all(self, name: str) -> list[str]:
        return [content for n, content, _ in self.meta if n == name and content]

    def first(self, name: str) -> str | None:
        found = self.all(name)
        return found[0] if found else None

    def required(self, name: str) -> str:
        value = self.first(name)
        if value is None:
            raise DocumentError(
                f"expected a <meta name={name!r}> tag with content: not an article page "
                "with Highwire citation tags"
            )
        return value

    def date(self) -> str:
        for name in ("citation_publication_date", "citation_date"):
            for n, content, line in self.meta:
                if n == name and content:
                    try:
                        return iso_date(content)
                    except ValueError as error:
                        raise DocumentError(f"{name}: {error}", line) from error
        raise DocumentError(
            "expected a <meta name='citation_publication_date'> or 'citation_date' tag"
        )

    def authors(self) -> tuple[Author, ...]:
        """Each ``citation_author`` with the ``citation_author_institution`` tags after it;
        else the names of ``citation_authors`` (``;``-separated, with no institutions)."""
        authors: list[tuple[str, list[str]]] = []
        for name, content, line in self.meta:
            if name == "citation_author" and content:
                authors.append((content, []))
            elif name == "citation_author_institution" and content:
                if not authors:
                    raise DocumentError("an author institution before any citation_author", line)
                authors[-1][1].append(content)
        if not authors:
            listed = self.first("citation_authors") or ""
            authors = [(n.strip(), []) for n in listed.split(";") if n.strip()]
        return tuple(Author(name, tuple(institutions)) for name, institutions in authors)
