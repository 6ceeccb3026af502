"""Anchoring quotes: exact offsets on the text as received, whitespace-tolerant matching."""

from __future__ import annotations

import pytest

from kg.curation.spans import locate

TEXT = "AB  - Velmorazine reduced the mean\n      number of headache days (P<0.05).\n"


def test_a_space_in_the_quote_matches_a_line_break_and_its_indent() -> None:
    span = locate(TEXT, "reduced the mean number of headache days")
    assert span.exact == "reduced the mean\n      number of headache days"
    assert TEXT[span.start : span.end] == span.exact


def test_the_exact_is_the_texts_own_slice_never_the_quote_as_typed() -> None:
    span = locate(TEXT, "the  mean number")  # two spaces typed: any run matches any run
    assert span.exact == "the mean\n      number"
    assert (span.prefix, span.suffix) == (TEXT[: span.start][-32:], TEXT[span.end :][:32])


def test_the_prefix_is_whitespace_tolerant_too() -> None:
    text = "cats and\n dogs; birds and dogs"
    assert locate(text, "dogs", before="cats and ").start == 10
    assert locate(text, "dogs", before="birds and ").start == 26


def test_characters_a_pattern_would_read_are_plain() -> None:
    assert locate(TEXT, "(P<0.05).").exact == "(P<0.05)."
    with pytest.raises(ValueError, match="quote not found"):
        locate(TEXT, "days (P.0.05)")


def test_overlapping_occurrences_count() -> None:
    with pytest.raises(ValueError, match="found 2 times"):
        locate("aaa", "aa")


def test_a_quote_of_only_whitespace_is_refused() -> None:
    with pytest.raises(ValueError, match="empty quote"):
        locate(TEXT, "  ")
