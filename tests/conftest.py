"""Shared fixtures: the repository, a throw-away copy of the project, a fresh release."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from servers import HAS_DOT, NO_DOT, skip_without_dot

from kg.cli import main
from kg.curation.prefixes import PrefixMap, load_prefix_map

ROOT = Path(__file__).resolve().parents[1]
PROJECT_ITEMS = ("dataset.yaml", "catalogue", "ontology", "shapes", "sources", "dist", "queries")
#: The project's first source. Tests of its own claims (the fifteen of the design), its page and
#: its article name it; a test of the whole release reads what it expects from dataset.yaml and
#: the curation files instead, so that adding a source breaks none.
SEED = ROOT / "sources" / "pubmed-22870448"
#: Where the IRIs a source mints begin: <ID_BASE><source key>/graph, .../claim/<claim key>.
ID_BASE = "https://w3id.org/drugclaims/id/"


#: The temporary folder of this run's pytest_configure, removed by pytest_unconfigure.
_RUN_FOLDER: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """The build cache's secret and the copies kg serve keeps in a temporary folder of the run,
    not the user's home (every kg the tests start, in this process or another, inherits them;
    a test's own fixtures then choose a folder of its own for the copies)."""
    from kg.build.cache import SECRET_ENV

    folder = tempfile.mkdtemp(prefix="kg-tests-")
    _RUN_FOLDER.append(folder)
    if SECRET_ENV not in os.environ:
        os.environ[SECRET_ENV] = str(Path(folder) / "cache.key")
    if "KG_SERVE_CACHE" not in os.environ:
        os.environ["KG_SERVE_CACHE"] = str(Path(folder) / "kept")


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _RUN_FOLDER:
        shutil.rmtree(folder, ignore_errors=True)


def _without_dot(error: BaseException) -> bool:
    """Whether ``error`` is kg saying Graphviz's dot is missing, on a machine without it."""
    from kg.web.pictures import GraphvizError

    return isinstance(error, GraphvizError) and "not installed" in str(error) and not HAS_DOT


def _skipped_without_dot(item: pytest.Item) -> Generator[None, object, object]:
    """Without dot, a test whose site (or server) draws pictures is skipped and says why, as a
    test whose server is not installed is; in CI (which installs dot) it fails. For a test's
    setup (its fixtures) and its call alike."""
    try:
        return (yield)
    except Exception as error:
        if _without_dot(error) and not os.environ.get("CI"):
            pytest.skip(NO_DOT)
        raise


pytest_runtest_setup = pytest.hookimpl(wrapper=True)(_skipped_without_dot)
pytest_runtest_call = pytest.hookimpl(wrapper=True)(_skipped_without_dot)


def copy_project(target: Path) -> Path:
    """Copy the project's inputs and release to ``target`` (a place tests may break)."""
    target.mkdir(parents=True)
    for item in PROJECT_ITEMS:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, target / item)
        else:
            shutil.copy2(source, target / item)
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the project, with its committed release in dist/."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release freshly built from the committed sources (built once per test session)."""
    out = tmp_path_factory.mktemp("release")
    result = CliRunner().invoke(main, ["--project", str(ROOT), "build", "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    return out


@pytest.fixture(scope="session")
def seed_release(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release of the seed source alone, the corpus the expected answers of queries/ were
    recorded from: the project's own release while the seed is its only source, else a copy of
    the project built with the other sources taken out."""
    if project_sources() == [SEED]:
        return release
    project = copy_project(tmp_path_factory.mktemp("seed") / "project")
    for folder in project_sources(project):
        if folder.name != SEED.name:
            shutil.rmtree(folder)  # a folder dataset.yaml does not list is an error
    dataset = yaml.safe_load((project / "dataset.yaml").read_text(encoding="utf-8"))
    dataset["sources"] = [SEED.relative_to(ROOT).as_posix()]
    (project / "dataset.yaml").write_text(yaml.safe_dump(dataset, sort_keys=False))
    out = project / "seed-release"
    result = CliRunner().invoke(main, ["--project", str(project), "build", "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    return out


@pytest.fixture
def kg() -> Callable[..., Result]:
    """Run the kg command line in-process: kg("--project", p, "build").

    Every run is checked for what no user may see: a traceback without --debug, or an exit
    code click makes up for an exception kg did not turn into its own (1 with no report).
    """
    runner = CliRunner()

    def run(*args: object) -> Result:
        argv = [str(a) for a in args]
        result = runner.invoke(main, argv)
        if result.exit_code == 2:
            skip_without_dot(result.stderr)
        if "--debug" not in argv:
            assert "Traceback" not in result.stderr, result.stderr
            assert not (result.exception and not isinstance(result.exception, SystemExit)), (
                f"kg raised {result.exception!r} instead of reporting it"
            )
        return result

    return run


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test has a temporary folder of its own (TMPDIR, and tempfile's cached default), so
    that what one test leaves behind is never seen by another."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    # and the copies kg serve keeps between runs (kg.web.kept), never the user's own cache
    monkeypatch.setenv("KG_SERVE_CACHE", str(tmp_path / "kept"))


@pytest.fixture(scope="module")
def prefix_map() -> PrefixMap:
    """The project's prefixes, as the build reads them (from the lock)."""
    return load_prefix_map(
        ROOT / "catalogue/prefixes.yaml",
        ROOT / "catalogue/prefixes.lock.json",
        display="catalogue/prefixes.yaml",
        lock_display="catalogue/prefixes.lock.json",
    )


def project_sources(root: Path = ROOT) -> list[Path]:
    """The source folders dataset.yaml lists, in its order."""
    dataset = yaml.safe_load((root / "dataset.yaml").read_text(encoding="utf-8"))
    return [root / folder for folder in dataset["sources"]]


def source_meta(folder: Path) -> dict[str, Any]:
    """A source folder's source.yaml: its key, file, checksum and article."""
    data: dict[str, Any] = yaml.safe_load((folder / "source.yaml").read_text(encoding="utf-8"))
    return data


def claim_records(*folders: Path) -> list[dict[str, Any]]:
    """The claim records of these source folders' claims.yaml files, in order."""
    found: list[dict[str, Any]] = []
    for folder in folders:
        data = yaml.safe_load((folder / "claims.yaml").read_text(encoding="utf-8"))
        found += data["claims"] or []
    return found


def claims_in(*folders: Path) -> int:
    """How many claims the curation files of these source folders hold (so that a test's
    counts follow the project's data, not a constant)."""
    return len(claim_records(*folders))


def project_claims(root: Path = ROOT) -> int:
    """How many claims the sources dataset.yaml lists hold."""
    return claims_in(*project_sources(root))


def source_graphs(root: Path = ROOT) -> set[str]:
    """The IRI of the named graph of every source dataset.yaml lists."""
    return {f"{ID_BASE}{source_meta(folder)['key']}/graph" for folder in project_sources(root)}


def claim_iris(root: Path = ROOT) -> set[str]:
    """The IRI of every claim of the sources dataset.yaml lists, from the curation files: a
    claim key is unique within its source, so the IRI names the source's key and the claim's."""
    return {
        f"{ID_BASE}{source_meta(folder)['key']}/claim/{record['key']}"
        for folder in project_sources(root)
        for record in claim_records(folder)
    }
