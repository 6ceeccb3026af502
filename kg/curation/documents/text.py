"""The text a source's quotes and offsets count in, one rule per kind of document.

Web Annotation's rule for markup: a TextQuoteSelector or TextPositionSelector of an XML or HTML
document counts in the document's character data, its tags removed and its character
references decoded. So:

- a text document (MEDLINE, a saved page, plain text): the file decoded as UTF-8, nothing
  removed or changed (line breaks and indentation included);
- an XML document: ``''.join(ElementTree.fromstring(data).itertext())`` with Python's standard
  library: the character data of the root element, entities such as ``&lt;`` decoded, no
  comment, processing instruction or DOCTYPE;
- an HTML document: the character data of the page as Python's ``html.parser`` reads it
  (character references decoded), without the content of ``script`` and ``style`` elements,
  comments or the doctype.

A user reproduces a release's ``rdf:value`` of a source text with these few lines, and the
offsets with Python's string indices (code points).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from kg.curation.documents.record import DocumentError

__all__ = ["XmlDocument", "decoded", "html_text", "parse_xml", "xml_text"]

_HIDDEN = frozenset({"script", "style"})


def decoded(data: bytes) -> str:
    """The text of a text document: its bytes decoded as UTF-8.

    >>> decoded("P<0.05\\n      é".encode())
    'P<0.05\\n      é'

    :raises DocumentError: the bytes are not UTF-8 (naming the line)
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DocumentError(
            f"not UTF-8: byte 0x{data[error.start]:02x} at offset {error.start} "
            "(save the document as UTF-8)",
            line,
        ) from error


def xml_text(data: bytes) -> str:
    """The character data of an XML document (Web Annotation's text of a markup document).

    >>> xml_text(b"<a>P&lt;0.05 <b>and</b> &#233;</a>")
    'P<0.05 and é'

    :raises DocumentError: not well-formed, or hostile (entity declarations, external entities)
    """
    return "".join(parse_xml(data).root.itertext())


class XmlDocument:
    """A parsed XML document: its root element and the line each element starts on."""

    def __init__(self) -> None:
        self.builder = TreeBuilder()
        self.lines: dict[Element, int] = {}
        self.parser = DefusedXMLParser(
            target=self, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
        self.root = Element("")

    def line(self, element: Element) -> int | None:
        """The line (from 1) on which ``element`` starts."""
        return self.lines.get(element)

    # the parser's target: a TreeBuilder that notes where each element starts
    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = self.builder.start(tag, attrs)
        self.lines[element] = self.parser.parser.CurrentLineNumber
        return element

    def end(self, tag: str) -> Element:
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> Element:
        return self.builder.close()


def parse_xml(data: bytes) -> XmlDocument:
    """Parse an XML document, refusing what could make parsing unbounded or reach outside: any
    entity declaration (the "billion laughs"), any external entity, and so any DTD fetch;
    nothing is ever read from the network or another file. A DOCTYPE that only names its DTD
    (as PubMed's files do) is kept and not read.

    :raises DocumentError: not well-formed, or hostile; naming the line
    """
    document = XmlDocument()
    try:
        document.parser.feed(data)
        document.root = document.parser.close()
    except DefusedXmlException as error:
        name = getattr(error, "name", None) or getattr(error, "sysid", None) or "?"
        raise DocumentError(
            f"refusing the XML: it declares or refers to the entity {name!r}; entity "
            "declarations and external references are never read (they can expand without "
            "bound, or reach other files and the network)",
            _line_of(data, b"<!ENTITY"),
        ) from error
    except SyntaxError as error:  # xml.etree's ParseError
        line, column = getattr(error, "position", (None, None))
        reason = re.sub(r": line \d+, column \d+$", "", str(error.msg))
        where = f" (column {column + 1})" if column is not None else ""
        raise DocumentError(f"not well-formed XML: {reason}{where}", line) from error
    return document


def _line_of(data: bytes, needle: bytes) -> int | None:
    at = data.find(needle)
    return None if at < 0 else data[:at].count(b"\n") + 1


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in _HIDDEN

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in _HIDDEN and self.hidden > 0

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(data: bytes) -> str:
    """The character data of an HTML page, decoded as UTF-8: what ``html.parser`` gives as
    data (character references decoded), outside ``script`` and ``style`` elements.

    >>> html_text(b"<p>P&lt;0.05 <b>and</b></p><script>var x;</script>&amp; more")
    'P<0.05 and& more'

    :raises DocumentError: the bytes are not UTF-8
    """
    collector = _TextCollector()
    collector.feed(decoded(data))
    collector.close()
    return "".join(collector.parts)
