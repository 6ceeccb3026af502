"""The build, end to end: read and check the shared inputs, run every source's unit of work
(read, check, build, validate: cached, and in parallel), check what spans sources, validate the
shared graphs, and write the release.

Nothing is written unless every input is right and every graph conforms to the shapes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph
from curies import Converter
from pyoxigraph import RdfFormat, Store
from rdflib import Graph

from kg.build.assemble import Assembly, SharedGraph
from kg.build.cache import EntryCache, Verdict
from kg.build.manifest import (
    Fingerprint,
    Manifest,
    read_manifest,
    record_build,
    take_fingerprint,
)
from kg.build.program import program_hash
from kg.build.units import (
    Shapes,
    SourceContext,
    SourceResult,
    build_sources,
    context_digest,
    context_lines,
    merge_verdicts,
    readings_of,
    scheduler_hosts,
    split_of,
    validate_shared,
)
from kg.curation.catalogue import load_biolink_prefixes
from kg.curation.converter import build_converter, namespaces, prefix_map
from kg.curation.project import Project, SharedInputs, check_distinct, load_shared
from kg.curation.sources import Folder
from kg.errors import InputError, NotConformingError, OutputError
from kg.formats import table
from kg.formats.files import ALL_FOLDERS, RELEASE_FILES
from kg.formats.kgx import Ids
from kg.formats.mappings import load_mapping_set, mapping_lines, sssom_tsv
from kg.formats.nanopubs import Settings, read_key
from kg.formats.release import (
    JsonNodes,
    jsonld_context,
    jsonld_nodes_of_part,
    line_parts,
)
from kg.formats.void import Release, Statistics, describe_release
from kg.model import DatasetInfo, Input
from kg.namespaces import BASE
from kg.rdf.lines import closures, nt_bytes, nt_lines
from kg.rdf.mint import (
    CATALOGUE_GRAPH,
    DATASET_GRAPH,
    ONTOLOGY_GRAPH,
    catalogue_graph,
    check_iris,
    description_graph,
    description_lines,
    names_of,
    publisher_iri,
    source_date,
)
from kg.rdf.origins import catalogue_origins, description_origins
from kg.runtime.offline import offline
from kg.runtime.processes import collecting_less
from kg.runtime.publish import check_target, write_release
from kg.runtime.spool import WorkFolder, Written, work_folder
from kg.validation.report import Report, trace
from kg.validation.shacl import check_unit, read_shapes

__all__ = ["SSSOM_FILE", "BuildResult", "Prepared", "build_release", "prepare"]
#: What a release folder holds (a name ending in / a folder): an earlier release, replaced.
_RELEASE_NAMES = (*RELEASE_FILES, *(f"{d}/" for d in ALL_FOLDERS))

#: The release's SSSOM mapping set.
SSSOM_FILE = "mappings.sssom.tsv"
#: The release's dataset description (HCLS profile).
VOID_FILE = "void.ttl"
_HINT = "choose another --out"


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote, for the user."""

    out: Path
    triples: int
    claims: int
    files: tuple[str, ...]
    report: Report


@collecting_less()  # the build's objects are freed by reference counting
def build_release(
    project: Project,
    out: Path | None = None,
    *,
    force: bool = False,
    jobs: int = 1,
    scheduler: str | None = None,
    cache: Path | None = None,
    sign_key: Path | None = None,
    fingerprint: Fingerprint | None = None,
) -> BuildResult:
    """Build, validate and write the release of ``project`` into ``out`` (default: dist/),
    swapped in whole (see :mod:`kg.runtime.publish`); the sources' units run on ``jobs``
    processes, or on the Dask cluster at ``scheduler``; ``cache``: a folder of the units'
    results, so that an unchanged source is not read, built or validated again; ``sign_key``:
    an RSA private key to sign the nanopublications with. The manifest of the build
    (:mod:`kg.build.manifest`) is kept beside the release, under ``fingerprint`` (default:
    taken now, before any input is read).

    :raises InputError: a curation mistake (nothing is written)
    :raises NotConformingError: the graph does not conform to the shapes (nothing is written)
    :raises OutputError: ``out`` is not a folder a release may replace (checked first)
    """
    target = out if out is not None else project.dist
    check_target(target, _RELEASE_NAMES, force=force)
    # the last build's manifest: the inputs it knows are not read again, nor the files of
    # the release being replaced it proves unchanged. Handed on below with no reference kept
    # here: the assembly lets it go once the units are taken (79 MiB at 10,000 sources)
    handed = {"recorded": read_manifest(target)}
    if fingerprint is None:
        fingerprint = take_fingerprint(
            project.root, target, sign_key=sign_key, previous=handed["recorded"]
        )
    with contextlib.ExitStack() as stack:
        try:
            work = stack.enter_context(work_folder(target))
        except OSError as error:  # beside the release: where it is written
            raise OutputError.from_os_error(target, error, _HINT) from error
        with offline(allow=scheduler_hosts(scheduler)):
            try:
                stats, claims, report = _build(
                    project,
                    work,
                    jobs=jobs,
                    scheduler=scheduler,
                    cache=cache,
                    sign_key=sign_key,
                    # the release being replaced: a file of it this build would write again,
                    # byte for byte, is linked from it instead
                    previous=target if target.is_dir() else None,
                    recorded=handed.pop("recorded"),
                )
            except OSError as error:  # the work folder could not be written (a full disk)
                raise OutputError.from_os_error(work.folder, error, _HINT) from error
        changed = work.changed_since_kept()
        if changed:
            raise OutputError(
                f"{target / changed[0]}: changed by another program while kg build ran "
                f"({len(changed)} file(s) of the release); nothing was published; run kg build "
                "again"
            )
        written = dict(work.written)
        target = write_release(work.files(), target, force=force, replaces=_RELEASE_NAMES)
    if fingerprint is not None:
        record_build(target, fingerprint, written)
    names = tuple(sorted({name.split("/", 1)[0] for name in written}))
    return BuildResult(target, stats.triples, claims, names, report)


def _build(
    project: Project,
    work: WorkFolder,
    *,
    jobs: int,
    scheduler: str | None,
    cache: Path | None,
    sign_key: Path | None,
    previous: Path | None,
    recorded: Manifest | None = None,
) -> tuple[Statistics, int, Report]:
    """Write the release's files into ``work``; return the graph's statistics, the number of
    claims and the validation report.

    :raises InputError, NotConformingError: as :func:`build_release`
    """
    prepared = prepare(project, sign_key=sign_key, cache=cache)
    shared, shapes, converter, context = (
        prepared.shared,
        prepared.shapes,
        prepared.converter,
        prepared.context,
    )
    ontology_lines, catalogue_lines = prepared.ontology_lines, prepared.catalogue_lines
    folders = [Folder.of(folder, root=project.root) for folder in shared.folders]
    assembly = Assembly(work, previous=previous, recorded=recorded)
    del recorded  # the assembly's alone now, which lets it go once the units are taken
    with contextlib.closing(assembly.articles):  # the articles' lines wait in a file
        results = build_sources(
            context, folders, jobs=jobs, scheduler=scheduler, cache=cache, take=assembly.take
        )
        for result in results:
            result.raise_error()
        check_distinct((f"{r.folder}/source.yaml", r.key, r.article) for r in results)
        check_links(results)
        graphs = {
            str(ONTOLOGY_GRAPH): ontology_lines,
            str(CATALOGUE_GRAPH): catalogue_lines,
            str(DATASET_GRAPH): description_lines(
                shared.dataset,
                shared.prefixes.prefixes.values(),
                [result.article for result in results],
                _inputs(shared, folders, results),
            ),
        }
        articles = assembly.articles  # on disk
        # the shared graphs are validated in parts of bounded size (the description names every
        # source), on a thread (rudof lets go of the GIL) while the release is assembled
        with ThreadPoolExecutor(max_workers=1) as thread:
            shared_verdict = thread.submit(validate_shared, shapes, graphs, articles, cache)

            assert context.kgx is not None
            # the ranks decide where a statement two graphs hold is kept (the sources' rank 2)
            ranked = ((0, ONTOLOGY_GRAPH), (1, CATALOGUE_GRAPH), (3, DATASET_GRAPH))
            stats = assembly.finish(
                [
                    SharedGraph(
                        str(name),
                        rank,
                        graphs[str(name)],
                        _shared_nodes(graphs[str(name)], context.jsonld_context, converter, cache),
                    )
                    for rank, name in ranked
                ],
                converter=converter,
                context=context.jsonld_context,
                kgx=(_kgx_store(graphs), context.kgx),
                columns=_columns(shared),
                shard_sources=shared.dataset.shard_sources,
                # a build given more than one process writes graph.ttl in one of its own
                separate=jobs > 1 or scheduler is not None,
            )
            work.write(SSSOM_FILE, _sssom(graphs, articles))
            for name, data in _table_files(shared, converter).items():
                work.write(name, data)
            verdicts = [_traced(shared_verdict.result(), shared), *(r.verdict for r in results)]
            report = merge_verdicts(verdicts)
    if not report.conforms:
        raise NotConformingError(report.text(), report.text(verbose=True))
    work.write(VOID_FILE, _described(project, shared, work.written, converter, stats))
    return stats, assembly.claims, report


@dataclass(frozen=True)
class Prepared:
    """The shared inputs, read and checked once a build, and what every source's unit of work
    shares (its :class:`~kg.build.units.SourceContext`)."""

    shared: SharedInputs
    shapes: Shapes
    converter: Converter
    ontology: Graph
    catalogue: Graph
    ontology_lines: list[str]
    catalogue_lines: list[str]
    context: SourceContext


def prepare(
    project: Project, *, sign_key: Path | None = None, cache: Path | None = None
) -> Prepared:
    """Read and check the shared inputs of ``project`` (dataset, prefixes, ontology, catalogue,
    shapes) and make the context every source's unit of work is run with
    (:func:`kg.build.units.build_source`); ``cache``: the build's cache, where what it checks
    once a build is kept for the next.

    :raises InputError: a curation mistake in a shared input
    """
    shared = load_shared(project)
    shapes = read_shapes(project.shape_files)
    converter = build_converter(shared.prefixes.prefixes.values())
    key = read_key(sign_key) if sign_key is not None else None
    path = project.biolink_prefixes_file
    biolink = load_biolink_prefixes(path, project.display(path)) if path.is_file() else {}
    ontology = shared.ontology.graph
    catalogue = catalogue_graph(shared.catalogue.entities.values())
    check_iris(ontology)
    check_iris(catalogue)
    ontology_lines, catalogue_lines = nt_lines(ontology), nt_lines(catalogue)
    context = _source_context(
        shared,
        shapes,
        converter,
        (ontology_lines, catalogue_lines),
        key=key,
        ids=Ids(converter, biolink),
        cache=cache,
    )
    return Prepared(
        shared, shapes, converter, ontology, catalogue, ontology_lines, catalogue_lines, context
    )


def _columns(shared: SharedInputs) -> list[str]:
    """The claims table's columns.

    :raises InputError: a qualifier is named as a column every row has
    """
    try:
        return table.columns(list(shared.catalogue.qualifiers))
    except ValueError as error:
        raise InputError("catalogue/qualifiers.yaml", None, None, str(error)) from error


def _table_files(shared: SharedInputs, converter: Converter) -> dict[str, bytes]:
    """The claims table's schema and package (see :mod:`kg.formats.table`)."""
    props = {
        name: (converter.compress(str(q.property)) or str(q.property), q.kind)
        for name, q in shared.catalogue.qualifiers.items()
    }
    info = shared.dataset
    return {
        table.SCHEMA_FILE: table.table_schema(props),
        table.DATAPACKAGE_FILE: table.datapackage(info.title, str(info.license), info.version),
    }


def _kgx_store(graphs: Mapping[str, list[str]]) -> Store:
    """The ontology and the catalogue, which describe the KGX nodes the sources' edges name."""
    store = Store()
    store.load(
        nt_bytes(graphs[str(ONTOLOGY_GRAPH)], graphs[str(CATALOGUE_GRAPH)]),
        format=RdfFormat.N_TRIPLES,
    )
    return store


def _sssom(graphs: Mapping[str, list[str]], articles: Mapping[str, Sequence[str]]) -> bytes:
    """The SSSOM mapping set: its records are the catalogue's and the articles', so it is read
    from those graphs and the description, not from the whole release (of each article, the
    lines its records are read from: :func:`kg.formats.mappings.mapping_lines`)."""
    store = Store()
    shared = nt_bytes(graphs[str(CATALOGUE_GRAPH)], graphs[str(DATASET_GRAPH)])
    store.load(shared, format=RdfFormat.N_TRIPLES)
    for lines in articles.values():
        store.load(nt_bytes(mapping_lines(lines)), format=RdfFormat.N_TRIPLES)
    return sssom_tsv(load_mapping_set(store))


def _described(
    project: Project,
    shared: SharedInputs,
    files: Written,
    converter: Converter,
    stats: Statistics,
) -> bytes:
    """void.ttl for the release's ``files`` (sizes and hashes) and its graph's statistics,
    checked with the HCLS shapes (shapes/hcls/).

    :raises NotConformingError: the description breaks a shape of the profile
    """
    info = shared.dataset
    release = Release(
        version=info.version,
        title=info.title,
        description=info.description,
        license=str(info.license),
        publisher=_publisher(info),
        issued=_issued(),
        previous=info.previous_version,
        sparql_endpoint=info.sparql_endpoint,
    )
    data = describe_release(release, files, stats, namespaces(converter))
    shapes = read_shapes(project.hcls_shape_files)
    if shapes:  # validated as a unit is: rudof first, pySHACL for a report
        unit = pyoxigraph.serialize(
            pyoxigraph.parse(data, format=RdfFormat.TURTLE), format=RdfFormat.N_TRIPLES
        )
        report = check_unit(shapes, unit or b"")
        if not report.conforms:
            report = report.traced(description_origins(info))
            heading = "void.ttl does not conform to the HCLS shapes (shapes/hcls):\n"
            raise NotConformingError(heading + report.text(), heading + report.text(verbose=True))
    return data


def _traced(verdict: Verdict, shared: SharedInputs) -> Verdict:
    """The shared units' verdict with each violation traced to the catalogue or dataset.yaml
    (the index is made only for a unit that does not conform)."""
    conforms, rows = verdict
    if conforms:
        return verdict
    origins = catalogue_origins(shared.catalogue.entities.values())
    return conforms, trace(rows, origins.add(description_origins(shared.dataset)))


def _publisher(info: DatasetInfo) -> str:
    return str(publisher_iri(info.publisher_key))


def _issued() -> str | None:
    """The release date (an xsd:dateTime) from SOURCE_DATE_EPOCH, or None."""
    issued = source_date()
    return str(issued) if issued is not None else None


def _source_context(
    shared: SharedInputs,
    shapes: Shapes,
    converter: Converter,
    shared_lines: tuple[list[str], list[str]],
    *,
    key: str | None,
    ids: Ids,
    cache: Path | None = None,
) -> SourceContext:
    """What every source's unit of work shares (see :class:`kg.build.units.SourceContext`), given
    the ontology's and the catalogue's lines (its check of the catalogue kept in ``cache``)."""
    info = shared.dataset
    ontology_lines, catalogue_lines = shared_lines
    nanopubs = Settings(
        license=str(info.license),
        creator=_publisher(info),
        created=_issued(),
        private_key=key,
    )
    prefixes = shared.prefixes.prefixes.values()
    declarations = nt_lines(description_graph(shared.dataset, prefixes))
    base = context_lines(ontology_lines, declarations)
    return SourceContext(
        prefixes=shared.prefixes,
        ontology=shared.ontology,
        catalogue=shared.catalogue,
        names=names_of(shared.catalogue.entities.values(), shared.ontology.graph),
        readings=readings_of(shared.catalogue, shared.signatures),
        signatures=shared.signatures,
        context_lines=base,
        closures=closures(catalogue_lines),
        shapes=shapes,
        split=split_of(shapes, base, catalogue_lines, cache),
        jsonld_context=jsonld_context(prefix_map(converter)),
        converter=converter,
        # dataset.yaml is left out: no source's graph depends on it (a new version number
        # does not rebuild every source)
        digest=context_digest(
            [
                *((i.path, i.sha256) for i in shared.inputs if i.path != "dataset.yaml"),
                ("nanopublications", nanopubs.digest()),
            ],
            shapes,
        ),
        nanopubs=nanopubs,
        kgx=ids,
    )


def check_links(results: Sequence[SourceResult]) -> None:
    """Every link from a claim to another (kgo:conflictsWith, kgo:similarTo...) names a claim
    of the release: a claim of its own source is checked when the source is read, one of
    another source only here, where every source is known (each source's unit lists its
    claims and its links: :class:`~kg.build.units.SourceResult`).

    :raises InputError: naming the source's claims.yaml, the claim and the missing target
    """
    claims = {iri for r in results for iri in r.claim_iris}
    for result in results:
        for subject, predicate, target in result.links:
            if target not in claims:
                key = subject.strip("<>").rsplit("/", 1)[-1]
                where = target.strip("<>").removeprefix(str(BASE))
                raise InputError(
                    f"{result.folder}/claims.yaml",
                    None,
                    f"claim {key!r}",
                    f"{predicate.strip('<>').rsplit('#', 1)[-1]}: no claim "
                    f"{where.replace('/claim/', '/')!r} in the release (a link to another "
                    "source's claim is written source-key/claim-key, and that source must "
                    "be listed in dataset.yaml)",
                )


def _shared_nodes(
    lines: Sequence[str], jsonld: Mapping[str, Any], converter: Converter, cache: Path | None
) -> JsonNodes:
    """The JSON-LD nodes of a shared graph, given as its canonical ``lines``, made a part at a
    time (:func:`line_parts`: the description grows with the corpus), each part from the cache
    when it holds it: the ontology's and the catalogue's do not change when a source is edited,
    nor do the description's parts but the one with that source's inputs, and rdflib's JSON-LD
    writer is the slow part of writing them."""
    entries = EntryCache(cache, "nodes")
    common = hashlib.sha256(program_hash().encode())
    common.update(json.dumps([jsonld, converter.prefix_map], sort_keys=True).encode())
    found: JsonNodes = {}
    for part in line_parts(lines):
        digest = common.copy()
        for line in part:
            digest.update(line.encode("utf-8") + b"\n")
        key = digest.hexdigest()
        content = entries.get(key)
        if isinstance(content, dict) and all(isinstance(v, str) for v in content.values()):
            found.update(content)
            continue
        made = jsonld_nodes_of_part(part, jsonld, converter)
        entries.put(key, made)
        found.update(made)
    return found


def _inputs(
    shared: SharedInputs, folders: list[Folder], results: list[SourceResult]
) -> list[Input]:
    """Every input of the build, with its checksum: the shared files, and each source's
    source.yaml, claims.yaml and document."""
    found = list(shared.inputs)
    for folder, result in zip(folders, results, strict=True):
        for name in ("source.yaml", "claims.yaml", result.document):
            found.append(Input(f"{folder.folder}/{name}", folder.checksums[name]))
    return sorted(found)
