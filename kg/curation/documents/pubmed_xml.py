"""Reading PubMed's XML (efetch's ``PubmedArticleSet``, the PubMed DTD): one article's title,
journal, date, identifiers, authors and their affiliations, abstract, keywords, MeSH headings
and publication types. Anything else in the file is left alone; a file that lacks what every
article has (its PMID, title, journal, date) is refused, naming the element and its line.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from kg.curation.documents.record import (
    Author,
    DocumentError,
    DocumentRecord,
    Heading,
    citation_of,
    iso_date,
)
from kg.curation.documents.text import XmlDocument, parse_xml

__all__ = ["parse_pubmed_xml"]


def parse_pubmed_xml(data: bytes) -> DocumentRecord:
    """Parse a PubMed XML file holding one article.

    :raises DocumentError: not PubMed XML of one article, or hostile XML (naming the line)
    """
    document = parse_xml(data)
    root = document.root
    if root.tag != "PubmedArticleSet":
        raise DocumentError(
            f"expected the root element PubmedArticleSet, found {root.tag!r}", document.line(root)
        )
    found = root.findall("PubmedArticle")
    if len(found) != 1:
        raise DocumentError(
            f"expected one PubmedArticle in the PubmedArticleSet, found {len(found)}",
            document.line(root),
        )
    return _Reader(document).article(found[0])


class _Reader:
    def __init__(self, document: XmlDocument) -> None:
        self.document = document

    def one(self, parent: Element, path: str) -> Element:
        found = parent.find(path)
        if found is None:
            raise DocumentError(f"expected {path} in {parent.tag}", self.document.line(parent))
        return found

    def text(self, parent: Element, path: str) -> str:
        value = _words(self.one(parent, path))
        if not value:
            raise DocumentError(f"{path} is empty", self.document.line(self.one(parent, path)))
        return value

    def article(self, entry: Element) -> DocumentRecord:
        citation = self.one(entry, "MedlineCitation")
        article = self.one(citation, "Article")
        journal = self.one(article, "Journal")
        issue = self.one(journal, "JournalIssue")
        ids = _article_ids(entry)
        abbreviation = _optional(journal, "ISOAbbreviation")
        name = abbreviation or self.text(journal, "Title")
        date = self.date(self.one(issue, "PubDate"))
        volume, number = _optional(issue, "Volume"), _optional(issue, "Issue")
        pages = _pages(article)
        doi = _doi(article) or ids.get("doi")
        return DocumentRecord(
            title=self.text(article, "ArticleTitle"),
            journal=name,
            date=date,
            citation=citation_of(name, date, volume, number, pages, doi),
            journal_title=_optional(journal, "Title"),
            issns=tuple(_words(e) for e in journal.findall("ISSN") if _words(e)),
            volume=volume,
            issue=number,
            pages=pages,
            doi=doi,
            pmid=self.text(citation, "PMID"),
            pmcid=ids.get("pmc"),
            authors=tuple(self.author(a) for a in article.findall("AuthorList/Author")),
            abstract=_abstract(article),
            keywords=tuple(_words(k) for k in citation.iterfind("KeywordList/Keyword")),
            mesh_headings=tuple(
                _heading(d) for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")
            ),
            publication_types=tuple(
                _heading(t) for t in article.iterfind("PublicationTypeList/PublicationType")
            ),
        )

    def date(self, element: Element) -> str:
        medline = _optional(element, "MedlineDate")
        parts = [_optional(element, tag) for tag in ("Year", "Month", "Day")]
        text = medline or " ".join(p for p in parts if p)
        if parts[1] and parts[1].isdigit():  # a numeric month: 2014 11 21
            text = "-".join(p.zfill(2) for p in parts if p)
        try:
            return iso_date(text)
        except ValueError as error:
            raise DocumentError(f"PubDate: {error}", self.document.line(element)) from error

    def author(self, element: Element) -> Author:
        family, given = _optional(element, "LastName"), _optional(element, "ForeName")
        suffix = _optional(element, "Suffix")
        name = " ".join(p for p in (given, family, suffix) if p) or _optional(
            element, "CollectiveName"
        )
        if not name:
            raise DocumentError(
                "expected an Author with a LastName or a CollectiveName",
                self.document.line(element),
            )
        affiliations = tuple(
            _words(a) for a in element.iterfind("AffiliationInfo/Affiliation") if _words(a)
        )
        return Author(name, affiliations, given, family)


def _words(element: Element | None) -> str:
    """An element's text, its inline markup (<i>, <sup>) dropped, its spaces as written."""
    return "" if element is None else "".join(element.itertext()).strip()


def _optional(parent: Element, path: str) -> str | None:
    return _words(parent.find(path)) or None


def _pages(article: Element) -> str | None:
    pages = _optional(article, "Pagination/MedlinePgn")
    if pages:
        return pages
    start, end = (
        _optional(article, "Pagination/StartPage"),
        _optional(article, "Pagination/EndPage"),
    )
    return "-".join(p for p in (start, end) if p) or None


def _doi(article: Element) -> str | None:
    for location in article.iterfind("ELocationID"):
        if location.get("EIdType") == "doi" and _words(location):
            return _words(location)
    return None


def _article_ids(entry: Element) -> dict[str, str]:
    return {
        str(e.get("IdType")): _words(e)
        for e in entry.iterfind("PubmedData/ArticleIdList/ArticleId")
        if e.get("IdType") and _words(e)
    }


def _abstract(article: Element) -> str:
    """The abstract, one paragraph a section, each headed by its label (``BACKGROUND: ...``)."""
    sections = []
    for section in article.iterfind("Abstract/AbstractText"):
        label = section.get("Label")
        sections.append(f"{label}: {_words(section)}" if label else _words(section))
    return "\n".join(sections)


def _heading(element: Element) -> Heading:
    return Heading(_words(element), element.get("UI") or None)
