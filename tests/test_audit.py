"""The curation fixes of the audit (issue 15): mapping predicates that say what the curators know,
IRIs in the forms the datasets publish, and ontology terms reused or aligned where they should
be. Each test failed on the release before its fix."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = Path(__file__).parent / "fixtures" / "checked-identifiers.tsv"
MILNACIPRAN = "pubchem.compound:65833"
RACEMATE_KEY = "inchikey:GJJFMKBJSRMPLA-HIFRSBDPSA-N"  # (1R,2S): one enantiomer
STEREO_FREE_KEY = "inchikey:GJJFMKBJSRMPLA-UHFFFAOYSA-N"


@pytest.fixture(scope="module")
def mappings(release: Path) -> dict[tuple[str, str], dict[str, str]]:
    """The release's SSSOM rows by (subject_id, object_id)."""
    text = (release / "mappings.sssom.tsv").read_text(encoding="utf-8")
    table = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    rows = csv.DictReader(io.StringIO(table), delimiter="\t")
    return {(row["subject_id"], row["object_id"]): row for row in rows}


def checked_status() -> dict[str, str]:
    lines = [x for x in CHECKED.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    return {row["curie"]: row["status"] for row in csv.DictReader(lines, delimiter="\t")}


# --- milnacipran's InChIKeys -------------------------------------------------------------------


def test_the_enantiomer_key_is_only_a_close_match_and_says_why(
    mappings: dict[tuple[str, str], dict[str, str]],
) -> None:
    """The (1R,2S) key names one enantiomer of the racemic drug: close, not exact."""
    row = mappings[(MILNACIPRAN, RACEMATE_KEY)]
    assert row["predicate_id"] == "skos:closeMatch"
    assert "(1R,2S)" in row["comment"] and "relative" in row["comment"]


def test_the_stereo_free_key_is_a_broad_match(
    mappings: dict[tuple[str, str], dict[str, str]],
) -> None:
    """The stereo-free key covers all four stereoisomers, milnacipran's two among them."""
    row = mappings[(MILNACIPRAN, STEREO_FREE_KEY)]
    assert row["predicate_id"] == "skos:broadMatch"
    assert not row["confidence"] and row["comment"]
    assert checked_status()[STEREO_FREE_KEY] == "broad"


# --- MeSH C048107 ------------------------------------------------------------------------------


def test_the_possibly_obsolete_mesh_record_is_not_published(release: Path) -> None:
    """A record flagged obsolete is no match of any kind: a weaker predicate would misstate the
    relation, and a confidence cannot say "this record may no longer exist"."""
    for name in ("graph.nt", "mappings.sssom.tsv"):
        assert "C048107" not in (release / name).read_text(encoding="utf-8"), name
    assert checked_status()["mesh:C048107"] == "check"


# --- noradrenaline -----------------------------------------------------------------------------


def test_both_records_of_r_noradrenaline_are_narrow_matches(
    mappings: dict[tuple[str, str], dict[str, str]],
) -> None:
    """The entity is noradrenaline with no stereochemistry; ChEBI's and PubChem's records of the
    natural (R) form are narrower, both."""
    for record in ("CHEBI:18357", "pubchem.compound:439260"):
        assert mappings[("CHEBI:33569", record)]["predicate_id"] == "skos:narrowMatch", record
