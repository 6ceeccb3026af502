"""A project folder: where its curation files, ontology, shapes and release live, and loading
the inputs its sources share into the plain model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib.term import URIRef

from kg.curation.biolink import load_biolink
from kg.curation.catalogue import Catalogue, Ontology, load_catalogue, load_ontology
from kg.curation.prefixes import PrefixMap, load_prefix_map
from kg.curation.records import (
    Record,
    check_fields,
    check_key,
    http_iri,
    load_yaml,
    optional_text,
    text,
)
from kg.curation.signatures import Signatures, signatures_of
from kg.errors import InputError
from kg.model import DatasetInfo, Input

__all__ = ["VERSION", "Project", "SharedInputs", "check_distinct", "load_shared"]

#: A release version: it names the release's IRI.
VERSION = re.compile(r"[0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*", re.ASCII)


@dataclass(frozen=True)
class Project:
    """The layout of a project folder (by default the current directory)."""

    root: Path

    @property
    def dataset_file(self) -> Path:
        return self.root / "dataset.yaml"

    @property
    def prefixes_file(self) -> Path:
        return self.root / "catalogue" / "prefixes.yaml"

    @property
    def prefixes_lock_file(self) -> Path:
        return self.root / "catalogue" / "prefixes.lock.json"

    @property
    def biolink_lock_file(self) -> Path:
        """The Biolink Model the build checks against, written by ``kg biolink``."""
        return self.root / "catalogue" / "biolink.lock.json"

    @property
    def entities_file(self) -> Path:
        return self.root / "catalogue" / "entities.yaml"

    @property
    def qualifiers_file(self) -> Path:
        return self.root / "catalogue" / "qualifiers.yaml"

    @property
    def hcls_shape_files(self) -> list[Path]:
        """The shapes of the release's void.ttl (the HCLS profile)."""
        return sorted((self.root / "shapes" / "hcls").glob("*.ttl"))

    @property
    def biolink_prefixes_file(self) -> Path:
        """Optional: the prefixes Biolink prefers, for the KGX files."""
        return self.root / "catalogue" / "biolink-prefixes.yaml"

    @property
    def ontology_file(self) -> Path:
        return self.root / "ontology" / "kgo.ttl"

    @property
    def shape_files(self) -> list[Path]:
        return sorted((self.root / "shapes").glob("*.ttl"))

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    def check(self) -> None:
        """Raise InputError unless this looks like a project folder."""
        if not self.dataset_file.is_file():
            raise InputError(
                str(self.root),
                None,
                None,
                "not a kg project: no dataset.yaml "
                "(run kg from the repository's root, or pass --project DIR)",
            )

    def display(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class SharedInputs:
    """The inputs every source of a build shares, read and checked once: the dataset, its
    prefixes, ontology and catalogue, the claim predicates' signatures in Biolink, the source
    folders it lists, and the checksum of each shared input file."""

    dataset: DatasetInfo
    prefixes: PrefixMap
    ontology: Ontology
    catalogue: Catalogue
    signatures: Signatures
    folders: tuple[Path, ...]
    inputs: tuple[Input, ...]


def load_shared(project: Project) -> SharedInputs:
    """Read and check the inputs shared by every source; raise InputError at the first
    mistake. The sources are read one by one, each on its own (see :mod:`kg.build.units`)."""
    project.check()
    dataset_record = load_yaml(project.dataset_file, display="dataset.yaml")
    dataset = _dataset_info(dataset_record)
    prefixes = load_prefix_map(
        project.prefixes_file,
        project.prefixes_lock_file,
        display=project.display(project.prefixes_file),
        lock_display=project.display(project.prefixes_lock_file),
    )
    biolink = load_biolink(
        project.biolink_lock_file, display=project.display(project.biolink_lock_file)
    )
    ontology = load_ontology(project.ontology_file, display=project.display(project.ontology_file))
    catalogue = load_catalogue(
        project.entities_file,
        project.qualifiers_file,
        root=project.root,
        prefixes=prefixes,
        ontology=ontology,
        biolink=biolink,
    )
    signatures = signatures_of(biolink, ontology, catalogue, prefixes.compress)
    if dataset.publisher_key in catalogue.entities:
        raise dataset_record.error("publisher", "key is also an entity's key", key="publisher")
    folders = tuple(_source_folders(project, dataset_record))
    input_files = [
        project.dataset_file,
        project.prefixes_file,
        project.prefixes_lock_file,
        project.biolink_lock_file,
        project.entities_file,
        project.qualifiers_file,
        project.ontology_file,
        *project.shape_files,
    ]
    if project.biolink_prefixes_file.is_file():
        input_files.append(project.biolink_prefixes_file)
    inputs = tuple(
        Input(project.display(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in input_files
    )
    return SharedInputs(dataset, prefixes, ontology, catalogue, signatures, folders, inputs)


def check_distinct(sources: Iterable[tuple[str, str, str]]) -> None:
    """Checks that span sources, given (source.yaml's path, key, article IRI) of each: two
    sources may not share a key (it names their graph and every IRI they mint) nor describe
    the same article.

    :raises InputError: naming both source files
    """
    keys: dict[str, str] = {}
    articles: dict[str, str] = {}
    for where, key, article in sources:
        for seen, value, what in ((keys, key, "key"), (articles, article, "article")):
            if value in seen:
                raise InputError(
                    where,
                    None,
                    "source",
                    f"{what} {value!r} is also the {what} of {seen[value]}: each source has "
                    "its own key and article",
                )
            seen[value] = where


def _dataset_info(record: Record) -> DatasetInfo:
    check_fields(
        record,
        "dataset",
        required=["title", "description", "version", "license", "publisher", "sources"],
        optional=["previous_version", "sparql_endpoint", "shard_sources"],
    )
    publisher = record["publisher"]
    if not isinstance(publisher, Record):
        raise record.error("dataset", "publisher: expected {key, label}", key="publisher")
    check_fields(publisher, "publisher", required=["key", "label"])
    version = text(record, "dataset", "version")
    if not VERSION.fullmatch(version):
        raise record.error(
            "dataset",
            f"version: {version!r} must be letters, digits, dots and hyphens, such as 0.1.0 "
            "(it names the release's IRI)",
            key="version",
        )
    return DatasetInfo(
        title=text(record, "dataset", "title"),
        description=text(record, "dataset", "description"),
        version=version,
        license=URIRef(http_iri(record, "dataset", "license")),
        publisher_key=check_key(publisher, "publisher"),
        publisher_label=text(publisher, "publisher", "label"),
        previous_version=_previous_version(record, version),
        sparql_endpoint=(
            http_iri(record, "dataset", "sparql_endpoint") if "sparql_endpoint" in record else None
        ),
        shard_sources=_shard_sources(record),
        origin=record.origin("dataset", nested=["publisher"]),
    )


def _shard_sources(record: Record) -> int | None:
    """How many sources each shard of the release holds (``shard_sources``), if it is split."""
    value = record.get("shard_sources") if "shard_sources" in record else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise record.error(
            "dataset",
            f"shard_sources: {value!r} must be a whole number of sources of at least 1, such "
            "as 1000 (each shard of graph.nq holds that many sources' graphs)",
            key="shard_sources",
        )
    return value


def _previous_version(record: Record, version: str) -> str | None:
    previous = optional_text(record, "dataset", "previous_version")
    if previous is not None and (not VERSION.fullmatch(previous) or previous == version):
        raise record.error(
            "dataset",
            f"previous_version: {previous!r} must be another release's version, such as 0.0.9",
            key="previous_version",
        )
    return previous


def _source_folders(project: Project, record: Record) -> list[Path]:
    """The source folders dataset.yaml lists: plain relative paths inside the project."""
    folders = record["sources"]
    if not isinstance(folders, list):
        raise record.error("dataset", "sources: expected a list of folders", key="sources")
    found = []
    for index, folder in enumerate(folders):
        parts = folder.split("/") if isinstance(folder, str) else []
        if not parts or any(part in ("", ".", "..") for part in parts) or "\\" in folder:
            raise record.error(
                "dataset",
                f"sources: {folder!r} must be a relative folder inside the project, "
                "such as sources/pubmed-12345",
                key="sources",
                index=index,
            )
        found.append(project.root / folder)
    _check_unlisted(project, record, found)
    return found


def _check_unlisted(project: Project, record: Record, listed: list[Path]) -> None:
    """A folder under sources/ with a source.yaml that dataset.yaml does not list is a mistake
    to say, never a source to ignore in silence."""
    parent = project.root / "sources"
    known = {folder.resolve() for folder in listed}
    try:
        folders = sorted(p for p in parent.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return  # no sources/ folder: every source is elsewhere
    for folder in folders:
        if (folder / "source.yaml").is_file() and folder.resolve() not in known:
            name = folder.relative_to(project.root).as_posix()
            raise record.error(
                "dataset",
                f"sources: {name} holds a source that is not listed: add '- {name}' under "
                "sources: (or move the folder out of sources/)",
                key="sources",
            )
