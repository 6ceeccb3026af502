"""Biolink Model, locked: catalogue/biolink.lock.json is what the installed biolink-model
package says (and what Biolink's own toolkit says of it)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from kg.curation.biolink import BiolinkModel, load_biolink
from kg.runtime.offline import offline

ROOT = Path(__file__).resolve().parents[1]
LOCK = "catalogue/biolink.lock.json"


#: bmt's ancestors as the lock holds them (not reflexive: bmt spells some names its own way,
#: FDA_adverse_event_level as f_d_a_adverse_event_level).
ANCESTORS = {"mixin": True, "formatted": True, "reflexive": False}


@pytest.fixture(scope="module")
def model() -> BiolinkModel:
    return load_biolink(ROOT / LOCK, display=LOCK)


@pytest.fixture(scope="module")
def toolkit() -> Any:
    """Biolink's own toolkit on the package's schema, offline (its defaults are URLs)."""
    bmt = pytest.importorskip("bmt")
    schema = files("biolink_model").joinpath("schema").joinpath("biolink_model.yaml")
    with offline():
        return bmt.Toolkit(schema=str(schema), predicate_map={"predicate mappings": []})


# --- the lock says what the package says -----------------------------------------------------


def test_the_lock_is_what_the_installed_package_gives(kg: Callable[..., Result]) -> None:
    """Fails after an upgrade of biolink-model: run `kg biolink`, review the diff, commit it."""
    result = kg("--project", ROOT, "biolink", "--check")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"kg: {LOCK} is current\n"


def test_kg_biolink_writes_the_committed_lock(project: Path, kg: Callable[..., Result]) -> None:
    lock = project / LOCK
    committed = lock.read_bytes()
    lock.unlink()
    stale = kg("--project", project, "biolink", "--check")
    assert stale.exit_code == 2 and "stale: run `kg biolink` and review the diff" in stale.stderr
    assert kg("--project", project, "biolink").exit_code == 0
    assert lock.read_bytes() == committed


def test_without_the_package_kg_biolink_says_how_to_install_it(
    project: Path, kg: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "linkml_runtime.utils.schemaview", None)
    result = kg("--project", project, "biolink")
    assert result.exit_code == 2
    assert "the biolink-model package, which is not installed" in result.stderr
    assert "pip install 'drugclaims-kg[biolink]'" in result.stderr


def test_the_lock_agrees_with_biolinks_toolkit(model: BiolinkModel, toolkit: Any) -> None:
    """Read with LinkML's SchemaView, the lock gives what bmt gives: each class's ancestors
    (mixins included), each slot's, the predicates, and the domain and range a predicate
    states (one it does not state is inherited as LinkML induces it: catalyzes has the domain
    of participates_in, Occurrent, where bmt's get_slot_domain joins every ancestor's)."""
    for name, ancestors in model.classes.items():
        assert ancestors == set(toolkit.get_ancestors(name, **ANCESTORS)), name
    for name, slot in model.slots.items():
        assert slot.ancestors == set(toolkit.get_ancestors(name, **ANCESTORS)), name
    predicates = {name for name in model.slots if model.is_predicate(name)}
    assert predicates == set(toolkit.get_descendants("biolink:related_to", formatted=True))
    for name in sorted(predicates):  # where Biolink states them (the others are inherited)
        slot, element = model.slots[name], toolkit.get_element(name)
        for mine, stated in ((slot.domain, element.domain), (slot.range, element.range)):
            if stated:
                assert toolkit.get_element(mine).name == stated, name


def test_the_lock_can_say_no(model: BiolinkModel) -> None:
    """The checks the build makes with it refuse what Biolink does not have."""
    biolink = "https://w3id.org/biolink/vocab/"
    assert model.check_class(biolink + "Drug") == "biolink:Drug"
    with pytest.raises(ValueError, match=r"the nearest is biolink:Drug\)"):
        model.check_class(biolink + "Drugs")
    with pytest.raises(ValueError, match="is a slot but not a predicate"):
        model.check_predicate(biolink + "publications")
    with pytest.raises(ValueError, match="is not a slot"):
        model.check_slot(biolink + "object_aspect_qualifer")
    assert "biolink:DiseaseOrPhenotypicFeature" in model.lineage("biolink:Disease")
    assert "biolink:ChemicalOrDrugOrTreatment" in model.lineage("biolink:SmallMolecule")  # mixin
    assert "biolink:ChemicalOrDrugOrTreatment" not in model.lineage("biolink:ClinicalAttribute")


def test_the_lock_is_one_entry_a_line_and_sorted() -> None:
    """Reviewable: a diff of the lock shows the classes and slots that changed."""
    text = (ROOT / LOCK).read_text(encoding="utf-8")
    data = json.loads(text)
    lines = {line.rstrip(",") for line in text.splitlines()}
    for section in ("classes", "enums", "slots"):
        assert list(data[section]) == sorted(data[section])
        for name, entry in data[section].items():
            assert f"    {json.dumps(name)}: {json.dumps(entry)}" in lines
