"""The PubMed page parser: reads the page it knows, refuses any other loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.curation.documents.pubmed_page import parse_pubmed_page

PAGE = (Path(__file__).resolve().parents[1] / "sources/pubmed-22870448/source.txt").read_text(
    encoding="utf-8"
)


def test_reads_the_page() -> None:
    record = parse_pubmed_page(PAGE)
    assert record.journal_abbreviation == "Ther Adv Musculoskelet Dis"
    assert (record.year_month, record.volume, record.issue, record.pages) == (
        "2010-08",
        "2",
        "4",
        "201-20",
    )
    assert record.doi == "10.1177/1759720X10372551"
    assert record.title.startswith("Milnacipran: a selective serotonin")
    assert record.affiliation.startswith("Forest Research Institute")
    assert record.abstract.startswith("Milnacipran, a serotonin and norepinephrfrine")
    assert record.abstract.endswith("with milnacipran treatment.")
    assert len(record.keywords) == 6


@pytest.mark.parametrize(
    "change, message",
    [
        (("doi: 10.1177/1759720X10372551.", "doi: none."), "expected one citation line"),
        (("Author information", "Affiliations"), "expected 'Author information'"),
        (("2010 Aug;", "2010 Xyz;"), "unknown month"),
        (
            ("Milnacipran, a serotonin and norepinephrfrine reuptake inhibitor with", "Short."),
            "expected the abstract",
        ),
    ],
)
def test_refuses_a_page_it_does_not_know(change: tuple[str, str], message: str) -> None:
    page = PAGE.replace(change[0], change[1], 1)
    if message == "expected the abstract":
        page = page[: page.index("Short.") + 6] + "\n\nSupplemental Content\n"
    with pytest.raises(ValueError, match=message):
        parse_pubmed_page(page)


def test_refuses_an_empty_page() -> None:
    with pytest.raises(ValueError, match="not a PubMed abstract page"):
        parse_pubmed_page("")
