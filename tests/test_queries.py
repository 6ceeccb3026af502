"""The competency questions of queries/: each runs over the release, and over the seed source's
release gives its expected rows (recorded from it: they hold whatever sources are added)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from curies import Converter

from kg.formats.render import format_results
from kg.sparql.query import load_store, run_query

ROOT = Path(__file__).resolve().parents[1]
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
#: The expected answers of the questions asked across sources, over the test corpus (the seed
#: and the invented sources of tests/fixtures/extra-source: tests/test_corpus.py checks them).
CORPUS_ANSWERS = Path(__file__).parent / "fixtures" / "extra-source" / "answers"


def rows(data: bytes) -> list[tuple[str, ...]]:
    return [tuple(row) for row in csv.reader(io.StringIO(data.decode("utf-8")))]


def test_every_question_has_its_expected_answer() -> None:
    assert len(QUERIES) >= 11
    for query in QUERIES:
        assert query.with_suffix(".csv").is_file(), f"{query.name} has no expected answer"
        assert query.read_text().startswith("# Question: "), f"{query.name} states no question"


def answer(release: Path, query: Path) -> list[tuple[str, ...]]:
    """The rows (header first) a query gives over a release, as CSV."""
    store = load_store([release / "graph.nq"])
    result = run_query(store, query.read_text(encoding="utf-8"))
    return rows(format_results(result, "csv", Converter([])))


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_competency_question(query: Path, release: Path, seed_release: Path) -> None:
    """The expected answers are the seed source's (the questions ask about "the source"):
    checked row for row over the seed's release; over the whole release (more sources, more
    rows), the question must still run and answer in the same columns."""
    expected = rows(query.with_suffix(".csv").read_bytes())
    got = answer(seed_release, query)
    assert got[0] == expected[0], "columns differ"
    assert sorted(got[1:]) == sorted(expected[1:])
    # a question the seed does not answer (an effect size, a conflict) is answered over the
    # test corpus instead
    corpus = CORPUS_ANSWERS / f"{query.stem}.csv"
    assert len(got) > 1 or corpus.is_file(), "a competency question must have an answer"
    if release != seed_release:
        whole = answer(release, query)
        assert whole[0] == expected[0] and (len(whole) > 1 or corpus.is_file())
