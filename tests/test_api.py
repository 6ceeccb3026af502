"""The Python API (kg.api, re-exported as kg): the front door a notebook uses, and its reference
built from the docstrings. The README's example runs as a doctest (pytest --doctest-glob)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEED, claim_iris, project_claims, source_meta

import kg
from kg.errors import InputError, QueryError

ROOT = Path(__file__).resolve().parents[1]


def test_the_api_is_the_package_s_front_door() -> None:
    assert set(kg.__all__) >= {"build_release", "validate", "query", "claims", "diff"}
    for name in kg.__all__:
        assert getattr(kg, name) is not None, name
    with pytest.raises(AttributeError):
        kg.no_such_thing  # noqa: B018


def test_importing_kg_stays_light() -> None:
    """``import kg`` (which the kg command does) loads neither rdflib nor pySHACL: the API is
    loaded when first used."""
    code = "import sys, kg; print(sorted(m for m in ('rdflib', 'pyshacl') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_claims_are_typed(release: Path) -> None:
    every = list(kg.claims(release))
    assert len(every) == project_claims()
    assert {claim.iri for claim in every} == claim_iris()
    seed = source_meta(SEED)["key"]
    claims = {claim.key: claim for claim in every if claim.source == seed}  # its own claims
    doses = claims["clinical-studies"]
    assert doses.qualifiers["doses"] == ("100 milligram per day", "200 milligram per day")
    assert isinstance(doses.start, int) and doses.end > doses.start
    assert claims["no-activity-at-other-receptors"].negated is True
    assert claims["composite-responder-analyses"].edge_predicate == "biolink:in_clinical_trials_for"


def test_bad_input_raises_kg_errors(
    release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InputError, match="no claims table"):
        kg.claims(tmp_path)  # at once, not at the first claim
    with pytest.raises(InputError, match="no such file or release folder"):
        kg.validate(tmp_path / "nowhere.ttl", project=ROOT)
    monkeypatch.chdir(tmp_path)  # not a project: said as such, not as a missing ontology
    with pytest.raises(InputError, match=r"dataset\.yaml"):
        kg.validate(release)
    with pytest.raises(InputError, match="no release here"):
        kg.query("ASK {}", release=tmp_path)
    with pytest.raises(QueryError):
        kg.query("DELETE WHERE { ?s ?p ?o }", release=release)
    with pytest.raises(QueryError, match="SERVICE"):
        kg.query("SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }", release=release)
    with pytest.raises(QueryError, match="SELECT and ASK"):
        kg.query("CONSTRUCT WHERE { ?s ?p ?o }", release=release)


def test_the_reference_builds(tmp_path: Path) -> None:
    import pdoc

    pdoc.pdoc(
        "kg.api", "kg.views", "kg.model", "kg.errors", "kg.formats.diff", output_directory=tmp_path
    )
    page = (tmp_path / "kg" / "api.html").read_text(encoding="utf-8")
    for name in ("build_release", "validate", "query", "claims", "diff", "ReleaseClaim"):
        assert f'id="{name}"' in page, name


def test_a_build_collects_less_while_it_runs_and_gives_the_thresholds_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cyclic garbage collector runs less often while a build runs (its thresholds
    raised: the build's objects are freed by reference counting), and the caller's thresholds
    are given back after, even when the build fails."""
    import gc

    from kg.build import pipeline
    from kg.curation.project import Project
    from kg.runtime.processes import FEWER_COLLECTIONS

    seen = []

    def failing(*args: object, **kwargs: object) -> None:
        seen.append(gc.get_threshold())
        raise InputError("dataset.yaml", None, None, "a mistake")

    monkeypatch.setattr(pipeline, "check_target", failing)  # the build's first step
    before = gc.get_threshold()
    gc.set_threshold(900, 11, 12)
    try:
        with pytest.raises(InputError):
            pipeline.build_release(Project(tmp_path))  # what kg.build_release runs
        assert seen == [FEWER_COLLECTIONS]
        assert gc.get_threshold() == (900, 11, 12)
    finally:
        gc.set_threshold(*before)
