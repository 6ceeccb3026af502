"""Biolink Model, locked: catalogue/biolink.lock.json is what the installed biolink-model
package says (and what Biolink's own toolkit says of it), the build reads it and never the
package, and a lock that is missing, damaged or edited is refused in one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from folders import fingerprint

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
    missing = kg("--project", project, "build")
    assert missing.exit_code == 2
    assert missing.stderr.startswith(f"kg: error: {LOCK}: missing: run `kg biolink`")
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


# --- a damaged or edited lock is refused, in one line, and nothing is written ----------------


def _replace(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, f"fixture out of date: {old!r}"
        return text.replace(old, new, 1)

    return change


DAMAGED = [
    # name, change of the lock's text, fragments the message holds, the line it names (text)
    ("cut short", lambda text: text[: len(text) // 2], ("not valid JSON",), None),
    (
        "not an object",
        lambda text: "[]\n",
        ("malformed lock: expected an object of about, biolink_version",),
        None,
    ),
    (
        "a section of the wrong type",
        lambda text: json.dumps({**json.loads(text), "enums": []}, indent=2),
        ("entry 'enums': malformed lock: enums must be an object",),
        '  "enums": ',
    ),
    (
        "an entry of the wrong shape",
        _replace('"biolink:Drug": {"ancestors": [', '"biolink:Drug": {"ancestor": ['),
        ("entry 'biolink:Drug': malformed lock: expected a biolink: CURIE to an object",),
        '    "biolink:Drug": ',
    ),
    (
        "an ancestor that is not in the lock",
        _replace('"biolink:Drug": {"ancestors": [', '"biolink:Drug": {"ancestors": ["biolink:X", '),
        ("entry 'biolink:Drug': malformed lock: expected a list of entries of the same section",),
        '    "biolink:Drug": ',
    ),
]


@pytest.mark.parametrize("name, change, expected, line", DAMAGED, ids=[d[0] for d in DAMAGED])
def test_a_damaged_lock_is_refused(
    name: str,
    change: Callable[[str], str],
    expected: tuple[str, ...],
    line: str | None,
    project: Path,
    kg: Callable[..., Result],
) -> None:
    lock = project / LOCK
    text = change(lock.read_text(encoding="utf-8"))
    lock.write_text(text, encoding="utf-8")
    if name != "cut short" and name != "not an object":
        _reseal(lock)  # a well-formed checksum: the shape is what is wrong
    _refused(project, kg, expected, line)


def test_a_lock_edited_by_hand_is_refused(project: Path, kg: Callable[..., Result]) -> None:
    """A class added by hand (so that a misspelt category would pass) breaks the checksum."""
    lock = project / LOCK
    text = lock.read_text(encoding="utf-8")
    lock.write_text(
        text.replace(
            '  "classes": {\n', '  "classes": {\n    "biolink:Drugs": {"ancestors": []},\n'
        ),
        encoding="utf-8",
    )
    _refused(project, kg, ("edited: the content does not match its checksum",), '  "content')


def _reseal(lock: Path) -> None:
    """Write the checksum of the lock's (damaged) content, as `kg biolink` would have."""
    from kg.curation.biolink import _checksum

    data = json.loads(lock.read_text(encoding="utf-8"))
    if isinstance(data, dict) and "content_sha256" in data:
        text = lock.read_text(encoding="utf-8")
        old = data["content_sha256"]
        lock.write_text(text.replace(old, _checksum(data)), encoding="utf-8")


def _refused(
    project: Path, kg: Callable[..., Result], expected: tuple[str, ...], line: str | None
) -> None:
    before = fingerprint(project / "dist")
    result = kg("--project", project, "build")
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert message.startswith(f"kg: error: {LOCK}"), message
    assert len(message.strip().splitlines()) == 1, message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "run `kg biolink`" in message
    if line is not None:
        lines = (project / LOCK).read_text(encoding="utf-8").splitlines()
        number = next(n for n, text in enumerate(lines, start=1) if text.startswith(line))
        assert message.startswith(f"kg: error: {LOCK}:{number}: "), message
    assert fingerprint(project / "dist") == before
