"""A source's unit of work, run directly (kg.build.units.build_source): what kg build does for
each source, on this process, from the bytes of its folder and the shared context."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import claims_in

from kg.build.pipeline import Prepared, prepare
from kg.build.units import SourceResult, build_source
from kg.curation.project import Project
from kg.curation.sources import SourceFiles, read_folder

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "sources" / "pubmed-22870448"
CLAIMS = "claims.yaml"


@pytest.fixture(scope="module")
def prepared() -> Prepared:
    return prepare(Project(ROOT))


@pytest.fixture(scope="module")
def files() -> SourceFiles:
    return read_folder(FOLDER, root=ROOT)


def edited(files: SourceFiles, old: str, new: str) -> SourceFiles:
    text = files.read(CLAIMS).decode("utf-8")
    assert old in text
    return replace(files, files={**files.files, CLAIMS: text.replace(old, new, 1).encode()})


def test_a_unit_gives_every_output_of_its_claims(prepared: Prepared, files: SourceFiles) -> None:
    result = build_source(prepared.context, files)
    assert result.error is None
    assert result.verdict == (True, ())
    count = claims_in(FOLDER)
    assert result.key == "pubmed-22870448" and result.claims == count
    assert len(result.edges) == len(result.rows) == len(result.nanopubs or {}) == count
    assert any("/claim/snri-class>" in line for line in result.lines)
    assert result.nodes  # the source's JSON-LD nodes


def test_a_unit_is_a_pure_function_of_its_bytes(prepared: Prepared, files: SourceFiles) -> None:
    first, again = build_source(prepared.context, files), build_source(prepared.context, files)
    assert first == again


def test_a_curation_mistake_is_the_unit_s_result_not_an_exception(
    prepared: Prepared, files: SourceFiles
) -> None:
    broken = edited(files, "    status: negated\n", "    status: denied\n")
    result = build_source(prepared.context, broken)
    assert result.error is not None
    file, line, record, message = result.error
    assert file.endswith("claims.yaml") and line is not None and "status must be one of" in message
    assert record == "claim 'no-activity-at-other-receptors'"
    with pytest.raises(Exception, match="status must be one of"):
        result.raise_error()


def test_a_claim_that_breaks_a_shape_is_in_the_unit_s_verdict(
    prepared: Prepared, files: SourceFiles
) -> None:
    result: SourceResult = build_source(
        prepared.context,
        edited(files, "    knowledge_level: observation\n", "    knowledge_level: hunch\n"),
    )
    conforms, rows = result.verdict
    assert not conforms
    assert {row.shape for row in rows} == {"kgs:ClaimShape-knowledgeLevel"}


def test_a_folder_that_changes_while_the_build_runs_is_refused(tmp_path: Path) -> None:
    """A build reads each folder once for its cache key and checksums, and again when its unit
    runs (so that it never holds every folder's bytes): a folder changed in between is refused,
    never built from other bytes than its key's."""
    from kg.curation.sources import Folder
    from kg.errors import InputError

    folder = tmp_path / "sources" / "x"
    folder.mkdir(parents=True)
    (folder / "claims.yaml").write_text("claims: []\n")
    known = Folder.of(folder, root=tmp_path)
    assert known.read().files == {"claims.yaml": b"claims: []\n"}
    assert known.checksums["claims.yaml"] == hashlib.sha256(b"claims: []\n").hexdigest()
    (folder / "claims.yaml").write_text("claims: [x]\n")
    with pytest.raises(InputError, match="changed while kg build ran"):
        known.read()


def test_chunks_are_made_as_they_are_sent_a_few_ahead() -> None:
    """The work of a build goes to its workers a few chunks ahead of the results it takes,
    never all at once (each chunk holds its folders' bytes)."""
    from concurrent.futures import ThreadPoolExecutor

    from kg.build.units import _window

    made: list[int] = []

    def chunks():  # type: ignore[no-untyped-def]
        for n in range(100):
            made.append(n)
            yield [n]

    taken = []
    with ThreadPoolExecutor(max_workers=2) as executor:
        for result in _window(executor, lambda context, chunk: chunk[0] * context, 3, chunks(), 8):
            taken.append(result)
            assert len(made) <= len(taken) + 8
    assert taken == [3 * n for n in range(100)]
