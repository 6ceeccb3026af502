"""The parsers of source documents, on invented documents in each format
(tests/fixtures/intake/): what each reads, the text its quotes count in, and the documents
each refuses, in one line naming the line and what was expected."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from kg.curation.documents import FORMATS, DocumentError, DocumentRecord, detect
from kg.curation.spans import locate

FIXTURES = Path(__file__).parent / "fixtures" / "intake"
FILES = {"pubmed-xml": "article.xml", "medline": "article.nbib", "pubmed-html": "article.html"}
AFFILIATIONS = (
    "Department of Clinical Pharmacology, Invented University Hospital, Northtown, Freedonia.",
    "Brindle Therapeutics Ltd, Southport, Freedonia.",
    "Institute of Fictional Medicine, Eastham, Freedonia.",
)


def data_of(name: str) -> bytes:
    return (FIXTURES / FILES[name]).read_bytes()


def read(name: str) -> DocumentRecord:
    parse = FORMATS[name].read
    assert parse is not None
    return parse(data_of(name))


@pytest.mark.parametrize("name", FILES)
def test_each_format_reads_the_article(name: str) -> None:
    record = read(name)
    assert record.title.startswith("Velmorazine for chronic tension-type headache: a randomized")
    assert (record.journal, record.journal_title) == (
        "Fict Clin Pharmacol",
        "Fictional clinical pharmacology",
    )
    assert record.issns == ("0000-0019",)
    # a day in the date, no issue
    assert (record.date, record.volume, record.issue) == ("2019-03-14", "12", None)
    assert record.pages == "301-12"
    assert (record.doi, record.pmid) == ("10.5555/fcp.2019.0042", "99900001")
    assert [a.name for a in record.authors] == ["Ana M Kestrel", "Tomas Brindle", "Ines Oduya"]
    assert [a.affiliations for a in record.authors] == [
        AFFILIATIONS[:1],
        AFFILIATIONS[:2],
        AFFILIATIONS[2:],
    ]
    assert record.keywords == (
        "velmorazine",
        "tension-type headache",
        "randomized controlled trial",
    )
    assert "(P<0.05)" in record.abstract
    assert record.citation.startswith("Fict Clin Pharmacol. 2019 Mar 14;12:301-12. doi: 10.5555/")


def test_pubmed_xml_reads_the_structured_abstract_headings_and_types() -> None:
    record = read("pubmed-xml")
    assert [line.split(":", 1)[0] for line in record.abstract.split("\n")] == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
        "CONCLUSIONS",
    ]
    assert record.pmcid == "PMC9990001"
    assert record.authors[0].given_name == "Ana M" and record.authors[0].family_name == "Kestrel"
    assert [(h.name, h.mesh_id) for h in record.mesh_headings][-1] == (
        "Tension-Type Headache",
        "D018781",
    )
    assert [(t.name, t.mesh_id) for t in record.publication_types] == [
        ("Journal Article", "D016428"),
        ("Randomized Controlled Trial", "D016449"),
    ]


def test_medline_keeps_its_own_citation_with_the_ecollection_trailer() -> None:
    record = read("medline")
    assert record.citation.endswith("doi: 10.5555/fcp.2019.0042. eCollection 2019.")
    assert record.pmcid == "PMC9990001"
    assert record.mesh_headings[-1].name == "Tension-Type Headache/drug therapy"
    assert record.mesh_headings[-1].mesh_id is None  # MEDLINE text names no descriptor ID
    assert record.abstract.startswith("BACKGROUND: Velmorazine is an investigational")


def test_pubmed_html_reads_the_sub_titled_abstract() -> None:
    record = read("pubmed-html")
    assert record.abstract.split("\n")[2].startswith("Results: Velmorazine reduced")
    assert "var ncbi_startTime" not in FORMATS["pubmed-html"].text(data_of("pubmed-html"))


@pytest.mark.parametrize("name", FILES)
def test_offsets_count_in_the_formats_text(name: str) -> None:
    """The quote is found in the text its format gives, and the slice at [start, end) is the
    selector's exact: the text a user gets back with the documented rule."""
    text = FORMATS[name].text(data_of(name))
    span = locate(text, "compared with 1.9 with placebo (P<0.05)")
    assert text[span.start : span.end] == span.exact
    assert " ".join(span.exact.split()) == "compared with 1.9 with placebo (P<0.05)"


def test_the_xml_text_is_what_the_standard_library_gives() -> None:
    data = data_of("pubmed-xml")
    assert FORMATS["pubmed-xml"].text(data) == "".join(ElementTree.fromstring(data).itertext())


def test_a_text_format_is_the_file_decoded() -> None:
    data = data_of("medline")
    assert FORMATS["medline"].text(data) == data.decode("utf-8")


@pytest.mark.parametrize("name", [*FILES, "pubmed-page"])
def test_the_format_is_detected(name: str) -> None:
    root = Path(__file__).resolve().parents[1]
    data = (
        (root / "sources/pubmed-22870448/source.txt").read_bytes()
        if name == "pubmed-page"
        else data_of(name)
    )
    assert detect(data) == name


def test_plain_text_is_not_guessed() -> None:
    with pytest.raises(DocumentError, match="say --format plain"):
        detect((FIXTURES / "article.txt").read_bytes())


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<PubmedArticleSet>&lol3;</PubmedArticleSet>
"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<PubmedArticleSet>&secret;</PubmedArticleSet>
"""
PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<PubmedArticleSet/>
"""


@pytest.mark.parametrize(
    "data, line, message",
    [
        (BILLION_LAUGHS, 3, "refusing the XML: it declares or refers to the entity 'lol'"),
        (EXTERNAL, 2, "refusing the XML: it declares or refers to the entity 'secret'"),
        (PARAMETER, 2, "refusing the XML: it declares or refers to the entity 'remote'"),
        (b"<PubmedArticleSet>\n<PubmedArticle>\n", 3, "not well-formed XML: no element found"),
        (b"<PubmedArticleSet>\n</PubmedArticleSet>", 1, "expected one PubmedArticle"),
        (b"<html/>", 1, "expected the root element PubmedArticleSet"),
    ],
    ids=["billion-laughs", "external-entity", "parameter-entity", "truncated", "empty", "root"],
)
def test_hostile_or_unknown_xml_is_refused(data: bytes, line: int, message: str) -> None:
    with pytest.raises(DocumentError, match=message) as caught:
        read_xml(data)
    assert caught.value.line == line


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL, PARAMETER])
def test_the_text_of_hostile_xml_is_refused_too(data: bytes) -> None:
    with pytest.raises(DocumentError, match="refusing the XML"):
        FORMATS["pubmed-xml"].text(data)


def read_xml(data: bytes) -> DocumentRecord:
    parse = FORMATS["pubmed-xml"].read
    assert parse is not None
    return parse(data)


def test_an_article_without_its_title_names_the_element_and_line() -> None:
    data = data_of("pubmed-xml")
    start = data.index(b"<ArticleTitle>")
    end = data.index(b"</ArticleTitle>") + len(b"</ArticleTitle>")
    with pytest.raises(DocumentError, match="expected ArticleTitle in Article") as caught:
        read_xml(data[:start] + data[end:])
    assert caught.value.line == data[: data.index(b"<Article ")].count(b"\n") + 1


@pytest.mark.parametrize("name", ["medline", "pubmed-html", "pubmed-page", "plain"])
def test_a_text_that_is_not_utf8_is_refused_naming_its_line(name: str) -> None:
    data = b"PMID- 1\nTI  - caf\xe9\n"
    with pytest.raises(DocumentError, match=r"not UTF-8: byte 0xe9") as caught:
        FORMATS[name].text(data)
    assert caught.value.line == 2


@pytest.mark.parametrize(
    "change, line, message",
    [
        (("TI  - Velmorazine", "TI    Velmorazine"), 7, "expected a MEDLINE field"),
        (("DP  - 2019 Mar 14", "DP  - Spring"), 6, "DP: expected a date that starts"),
        (("LID - 10.5555/fcp.2019.0042 [doi]", "LID - 10.5555/fcp"), 10, "expected 'identifier"),
        (("PMID- 99900001\n", "PMID- 99900001\nPMID- 99900002\n"), 2, "expected one record"),
    ],
)
def test_medline_refuses_what_it_does_not_know(
    change: tuple[str, str], line: int, message: str
) -> None:
    text = data_of("medline").decode().replace(*change)
    parse = FORMATS["medline"].read
    assert parse is not None
    with pytest.raises(DocumentError, match=message) as caught:
        parse(text.encode())
    assert caught.value.line == line


def test_html_without_citation_tags_is_refused() -> None:
    parse = FORMATS["pubmed-html"].read
    assert parse is not None
    with pytest.raises(DocumentError, match="citation_journal_title"):
        parse(b"<!DOCTYPE html><html><head><title>x</title></head><body>x</body></html>")
