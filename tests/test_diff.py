"""kg diff: what changed between two releases the test builds, claim by claim, and the release
the changes call for under the version policy."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import project_claims

CLAIMS = "sources/pubmed-22870448/claims.yaml"
CLAIM = "https://w3id.org/drugclaims/id/pubmed-22870448/claim/"


def build(kg: Callable[..., Result], project: Path, out: Path) -> Path:
    result = kg("--project", project, "build", "--out", out, "--no-cache")
    assert result.exit_code == 0, result.stderr
    return out


def edit(project: Path, old: str, new: str) -> None:
    path = project / CLAIMS
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def diff(kg: Callable[..., Result], old: Path, new: Path) -> dict[str, object]:
    result = kg("diff", old, new, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found: dict[str, object] = json.loads(result.stdout)
    return found


@pytest.mark.slow
def test_a_changed_meaning_an_added_and_a_removed_claim(
    project: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    old = build(kg, project, tmp_path / "old")
    # a status changed (a meaning), a claim removed (renamed: the old IRI is gone, a new added)
    edit(
        project,
        "    object: other-receptor-systems\n    status: negated\n",
        "    object: other-receptor-systems\n    status: hypothesis\n",
    )
    edit(project, "  - key: snri-class\n", "  - key: snri-class-renamed\n")
    new = build(kg, project, tmp_path / "new")
    found = diff(kg, old, new)
    assert found["release"] == "major"
    assert [c["claim"] for c in found["added"]] == [CLAIM + "snri-class-renamed"]  # type: ignore[index, union-attr]
    assert [c["claim"] for c in found["removed"]] == [CLAIM + "snri-class"]  # type: ignore[index, union-attr]
    changed = {c["claim"]: c["changes"] for c in found["changed"]}  # type: ignore[union-attr]
    changes = changed[CLAIM + "no-activity-at-other-receptors"]
    assert changes["status"] == {
        "old": "https://w3id.org/drugclaims/ontology#Negated",
        "new": "https://w3id.org/drugclaims/ontology#Hypothesis",
    }
    assert changes["negated"] == {"old": True, "new": False}
    assert changes["knowledge_level"] == {"old": "knowledge_assertion", "new": "prediction"}
    assert set(changed) == {CLAIM + "no-activity-at-other-receptors"}


@pytest.mark.slow
def test_a_new_quote_is_minor_a_new_note_a_patch_nothing_none(
    project: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    first = build(kg, project, tmp_path / "first")
    same = build(kg, project, tmp_path / "same")
    assert diff(kg, first, same)["release"] == "none"
    edit(
        project,
        "    note: The source gives no ratio; none is recorded.\n",
        "    note: The source gives no ratio of the two inhibitions; none is recorded.\n",
    )
    noted = build(kg, project, tmp_path / "noted")
    found = diff(kg, same, noted)
    assert found["release"] == "patch"
    assert [c["claim"] for c in found["changed"]] == [  # type: ignore[union-attr]
        CLAIM + "preferential-norepinephrine-inhibition"
    ]
    edit(
        project,
        "    quote: norepinephrfrine reuptake inhibitor\n",
        "    quote: norepinephrfrine reuptake inhibitor with\n",
    )
    requoted = build(kg, project, tmp_path / "requoted")
    found = diff(kg, noted, requoted)
    assert found["release"] == "minor"
    (change,) = found["changed"]  # type: ignore[misc]
    assert set(change["changes"]) == {"quote", "end"}


def test_the_text_is_for_people_and_a_missing_release_is_one_line(
    project: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    old = build(kg, project, tmp_path / "old")
    shutil.copytree(old, tmp_path / "copy")
    result = kg("diff", old, tmp_path / "copy")
    assert result.exit_code == 0
    count = project_claims()
    first = f"claims: 0 added, 0 removed, 0 changed ({count} -> {count})"
    assert result.stdout.splitlines()[0] == first
    assert result.stdout.splitlines()[-1] == "release: none"
    missing = kg("diff", old, tmp_path / "nowhere")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("kg: error: ") and "graph.nq" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_an_entity_s_changed_categories_are_major_and_the_version_is_said(
    project: Path, kg: Callable[..., Result], tmp_path: Path
) -> None:
    """A query by category answers differently when an entity loses one: that is a change
    (it was reported as none)."""
    old = build(kg, project, tmp_path / "old")
    entities = project / "catalogue/entities.yaml"
    text = entities.read_text(encoding="utf-8")
    drug = "    category: [biolink:SmallMolecule, biolink:Drug]\n"
    assert drug in text
    entities.write_text(text.replace(drug, "    category: [biolink:SmallMolecule]\n", 1))
    new = build(kg, project, tmp_path / "new")
    found = diff(kg, old, new)
    assert found["release"] == "major"
    (change,) = found["entities"]  # type: ignore[misc]
    assert change["entity"] == "http://rdf.ncbi.nlm.nih.gov/pubchem/compound/CID65833"
    assert "https://w3id.org/biolink/vocab/Drug" in change["old"]["categories"]
    assert "https://w3id.org/biolink/vocab/Drug" not in change["new"]["categories"]
    text_out = kg("diff", old, new).stdout
    assert "note: the version did not change; the changes call for a major release" in text_out
