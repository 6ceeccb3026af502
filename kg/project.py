"""A project folder: where its curation files, ontology, shapes and release live, and loading
all of its inputs into the plain model in one call.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib.term import URIRef

from kg.catalogue import load_catalogue, load_ontology
from kg.errors import InputError
from kg.model import Corpus, DatasetInfo, Input, Source
from kg.prefixes import load_prefix_map
from kg.records import Record, check_fields, check_key, http_iri, load_yaml, text
from kg.sources import load_source

__all__ = ["VERSION", "Project", "load_corpus"]

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
    def entities_file(self) -> Path:
        return self.root / "catalogue" / "entities.yaml"

    @property
    def qualifiers_file(self) -> Path:
        return self.root / "catalogue" / "qualifiers.yaml"

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


def load_corpus(project: Project) -> Corpus:
    """Read and check every input of a build; raise InputError at the first mistake."""
    project.check()
    dataset_record = load_yaml(project.dataset_file, display="dataset.yaml")
    dataset = _dataset_info(dataset_record)
    prefixes = load_prefix_map(
        project.prefixes_file,
        project.prefixes_lock_file,
        display=project.display(project.prefixes_file),
        lock_display=project.display(project.prefixes_lock_file),
    )
    ontology = load_ontology(project.ontology_file)
    catalogue = load_catalogue(
        project.entities_file,
        project.qualifiers_file,
        root=project.root,
        prefixes=prefixes,
        ontology=ontology,
    )
    if dataset.publisher_key in catalogue.entities:
        raise dataset_record.error("publisher", "key is also an entity's key", key="publisher")
    folders = _source_folders(project, dataset_record)
    sources = tuple(
        load_source(
            folder, root=project.root, prefixes=prefixes, ontology=ontology, catalogue=catalogue
        )
        for folder in folders
    )
    _check_distinct(sources)
    input_files = [
        project.dataset_file,
        project.prefixes_file,
        project.prefixes_lock_file,
        project.entities_file,
        project.qualifiers_file,
        project.ontology_file,
        *project.shape_files,
    ]
    for folder in folders:
        input_files += [folder / "source.yaml", folder / "claims.yaml"]
    input_files += [project.root / source.path for source in sources]
    inputs = tuple(
        sorted(
            Input(project.display(p), hashlib.sha256(p.read_bytes()).hexdigest())
            for p in input_files
        )
    )
    return Corpus(
        dataset,
        tuple(prefixes.prefixes.values()),
        tuple(catalogue.entities.values()),
        sources,
        ontology.graph,
        inputs,
    )


def _check_distinct(sources: tuple[Source, ...]) -> None:
    """Checks that span sources: two sources may not share a key (it names their graph and
    every IRI they mint) nor describe the same article.

    :raises InputError: naming both source files
    """
    keys: dict[str, str] = {}
    articles: dict[str, str] = {}
    for source in sources:
        where = source.path.rsplit("/", 1)[0] + "/source.yaml"
        for seen, value, what in (
            (keys, source.key, "key"),
            (articles, str(source.article.iri), "article"),
        ):
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
    )


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
    return found
