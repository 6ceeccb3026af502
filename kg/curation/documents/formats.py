"""The kinds of document a source may be, by the name ``source.yaml``'s ``parser:`` gives:
each with its media type, the rule that gives the text its quotes count in
(:mod:`kg.curation.documents.text`) and its parser. One table: ``kg new``'s ``--format``
choices, the build's parsers and the media type a source text publishes all come from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kg.curation.documents.medline import parse_medline
from kg.curation.documents.pubmed_html import parse_pubmed_html
from kg.curation.documents.pubmed_page import read_pubmed_page
from kg.curation.documents.pubmed_xml import parse_pubmed_xml
from kg.curation.documents.record import DocumentError, DocumentRecord
from kg.curation.documents.text import decoded, html_text, xml_text

__all__ = ["FORMATS", "DocumentFormat", "detect"]


@dataclass(frozen=True)
class DocumentFormat:
    """A kind of source document. ``read`` is None for plain text, whose article is described
    in ``source.yaml`` itself."""

    name: str
    media_type: str
    suffix: str  # of the file kg new keeps the document in: source.xml
    text: Callable[[bytes], str]
    read: Callable[[bytes], DocumentRecord] | None
    description: str


def _read_medline(data: bytes) -> DocumentRecord:
    return parse_medline(decoded(data))


FORMATS = {
    f.name: f
    for f in (
        DocumentFormat(
            "pubmed-xml",
            "application/xml",
            ".xml",
            xml_text,
            parse_pubmed_xml,
            "PubMed XML (efetch: PubmedArticleSet)",
        ),
        DocumentFormat(
            "medline",
            "text/plain",
            ".txt",
            decoded,
            _read_medline,
            "MEDLINE text (PubMed's .nbib: PMID- TI  - ...)",
        ),
        DocumentFormat(
            "pubmed-html",
            "text/html",
            ".html",
            html_text,
            parse_pubmed_html,
            "an article page saved as HTML (PubMed, PMC: Highwire citation_* meta tags)",
        ),
        DocumentFormat(
            "pubmed-page",
            "text/plain",
            ".txt",
            decoded,
            read_pubmed_page,
            "the old PubMed abstract page saved as text",
        ),
        DocumentFormat(
            "plain",
            "text/plain",
            ".txt",
            decoded,
            None,
            "plain text (the article described in source.yaml)",
        ),
    )
}

_XML = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!DOCTYPE\s+)?<?PubmedArticleSet\b"
)
_HTML = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)
_MEDLINE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*PMID- ")


def detect(data: bytes) -> str:
    """The format of a document by its first bytes (the old page by its parser's verdict).

    >>> detect(b"PMID- 1\\n"), detect(b"<!DOCTYPE html><html>"), detect(b"<PubmedArticleSet/>")
    ('medline', 'pubmed-html', 'pubmed-xml')

    :raises DocumentError: a document of none of these (plain text must be named: --format)
    """
    for name, pattern in (("pubmed-xml", _XML), ("pubmed-html", _HTML), ("medline", _MEDLINE)):
        if pattern.match(data):
            return name
    try:
        read_pubmed_page(data)
    except ValueError:
        pass
    else:
        return "pubmed-page"
    raise DocumentError(
        "cannot tell the document's format: it is not PubMed XML, MEDLINE text or an HTML "
        "page (for plain text, say --format plain)"
    )
