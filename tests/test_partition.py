"""The shared graphs validated in parts (kg.validation.partition, issue 20): the parts' merged
verdict is the whole unit's, for a valid release and for each kind of violation the shared
graphs can hold (in a part: an article, an author, an input; in what every part shares: the
dataset; a link to what is not an article); shapes that look at a node's links together, and
parts that name one another, are validated whole.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from folders import built_corpus
from rdflib import Graph

from kg.build.units import (
    _validate_unit,
    article_closure,
    graphs_of_release,
    merge_verdicts,
    read_shapes,
)
from kg.rdf.lines import closures, nt_bytes, subjects_typed, terms_of
from kg.rdf.mint import CATALOGUE_GRAPH, DATASET_GRAPH, ONTOLOGY_GRAPH
from kg.validation.partition import shared_parts, splits_soundly
from kg.validation.shacl import parse_shapes

ROOT = Path(__file__).resolve().parents[1]
SHAPES = read_shapes(sorted((ROOT / "shapes").glob("*.ttl")))
BIOLINK = "https://w3id.org/biolink/vocab/"
DCT = "http://purl.org/dc/terms/"

Shared = tuple[list[str], list[str], list[str], dict[str, list[str]]]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """A generated corpus's shared graphs (ontology, catalogue, description) and articles."""
    release = built_corpus(tmp_path_factory.mktemp("partition") / "project", 6, seed=3)
    store = ox.Store()
    store.bulk_load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    graphs = graphs_of_release(store)
    assert graphs is not None
    articles: dict[str, list[str]] = {}
    for name, lines in graphs.items():
        if name in (str(ONTOLOGY_GRAPH), str(CATALOGUE_GRAPH), str(DATASET_GRAPH)):
            continue
        found = closures(lines)
        for article in subjects_typed(lines, BIOLINK + "Article"):
            articles[article] = article_closure([article], found)
    assert len(articles) == 7
    return (
        list(graphs[str(ONTOLOGY_GRAPH)]),
        list(graphs[str(CATALOGUE_GRAPH)]),
        list(graphs[str(DATASET_GRAPH)]),
        articles,
    )


def _whole(shared: Shared) -> tuple[bool, tuple[object, ...]]:
    ontology, catalogue, description, articles = shared
    unit = nt_bytes(ontology, catalogue, description, *articles.values())
    merged = merge_verdicts([_validate_unit(SHAPES, unit)])
    return merged.conforms, tuple(merged.rows)


def _parted(shared: Shared) -> tuple[bool, tuple[object, ...]]:
    made = shared_parts(*shared, parse_shapes(SHAPES), part_lines=50)
    assert made is not None
    parts = list(made)
    assert len(parts) >= 3  # several parts, each with every link
    merged = merge_verdicts([_validate_unit(SHAPES, unit, base) for unit, base in parts])
    return merged.conforms, tuple(merged.rows)


def _drop(lines: list[str], wanted: Callable[[str], bool]) -> list[str]:
    found = [line for line in lines if wanted(line)]
    assert found
    return [line for line in lines if line not in found[:1]]


def _first_article(shared: Shared) -> str:
    return sorted(shared[3])[0]


def _an_article_without_its_title(shared: Shared) -> Shared:
    ontology, catalogue, description, articles = shared
    article = _first_article(shared)
    changed = dict(articles)
    changed[article] = _drop(articles[article], lambda x: terms_of(x)[1] == f"<{DCT}title>")
    return ontology, catalogue, description, changed


def _a_journal_outside_the_catalogue(shared: Shared) -> Shared:
    ontology, catalogue, description, articles = shared
    article = sorted(articles)[-1]
    journal = "<https://schema.org/isPartOf>"
    changed = dict(articles)
    changed[article] = [
        f"{article} {journal} <http://example.org/journal>" if terms_of(x)[1] == journal else x
        for x in articles[article]
    ]
    assert changed[article] != articles[article]
    return ontology, catalogue, description, changed


def _an_author_who_is_no_person(shared: Shared) -> Shared:
    ontology, catalogue, description, articles = shared
    article = sorted(articles)[1]
    changed = dict(articles)
    changed[article] = [*articles[article], f"{article} <https://schema.org/author> <{DCT}x>"]
    return ontology, catalogue, description, changed


def _an_input_with_a_bad_checksum(shared: Shared) -> Shared:
    ontology, catalogue, description, articles = shared
    line = next(x for x in sorted(description) if "ontology#sha256>" in x)
    subject, predicate, _ = terms_of(line)
    bad = f'{subject} {predicate} "not a checksum"'
    return ontology, catalogue, [bad if x == line else x for x in description], articles


def _a_dataset_with_two_titles(shared: Shared) -> Shared:
    ontology, catalogue, description, articles = shared
    subject, predicate, _ = terms_of(next(x for x in description if f"<{DCT}title>" in x))
    return ontology, catalogue, [*description, f'{subject} {predicate} "another"@en'], articles


def _a_source_that_is_no_article(shared: Shared) -> Shared:
    ontology, catalogue, description, articles = shared
    subject, predicate, _ = terms_of(next(x for x in description if f"<{DCT}source>" in x))
    return (
        ontology,
        catalogue,
        [*description, f"{subject} {predicate} <http://example.org/x>"],
        articles,
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda shared: shared,
        _an_article_without_its_title,
        _a_journal_outside_the_catalogue,
        _an_author_who_is_no_person,
        _an_input_with_a_bad_checksum,
        _a_dataset_with_two_titles,
        _a_source_that_is_no_article,
    ],
    ids=["valid", "article", "journal", "author", "input", "dataset", "link"],
)
def test_the_parts_give_the_whole_units_verdict(
    shared: Shared, change: Callable[[Shared], Shared]
) -> None:
    changed = change(shared)
    whole = _whole(changed)
    assert whole[0] == (changed is shared)  # valid only unchanged
    assert _parted(changed) == whole


SHAPE_PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix ex: <http://example.org/> .
"""


@pytest.mark.parametrize(
    "shape",
    [
        "ex:S a sh:NodeShape ; sh:property [ sh:path dcterms:source ; sh:maxCount 5 ] .",
        "ex:S a sh:NodeShape ; sh:property [ sh:path dcterms:source ; sh:minCount 2 ] .",
        "ex:S a sh:NodeShape ; sh:property [ sh:path ( prov:used ex:p ) ; sh:minCount 1 ] .",
        "ex:S a sh:NodeShape ; sh:property [ sh:path dcterms:source ; sh:hasValue ex:a ] .",
        "ex:S a sh:NodeShape ; sh:property [ sh:path dcterms:source ; sh:node ex:T ] .",
        "ex:S a sh:NodeShape ; sh:sparql [ sh:select 'SELECT $this WHERE { $this "
        "dcterms:source ?a }' ] .",
    ],
    ids=["maxCount", "minCount 2", "sequence path", "hasValue", "node", "sparql"],
)
def test_shapes_that_read_links_together_are_not_split(shared: Shared, shape: str) -> None:
    shapes = Graph().parse(data=SHAPE_PREFIXES + shape, format="turtle")
    assert not splits_soundly(shapes)
    assert shared_parts(*shared, shapes, part_lines=50) is None


def test_the_projects_shapes_split(shared: Shared) -> None:
    assert splits_soundly(parse_shapes(SHAPES))
    ontology, catalogue, description, articles = shared
    made = shared_parts(*shared, parse_shapes(SHAPES), part_lines=50)
    assert made is not None
    parts = list(made)
    # every line of the whole is in some part, and each part is far smaller than the whole
    whole = set(nt_bytes(ontology, catalogue, description, *articles.values()).splitlines())
    held = {line for unit, base in parts for line in (unit + base).splitlines()}
    assert held == whole
    assert max(len(unit) for unit, _ in parts[1:]) < len(b"".join(u for u, _ in parts)) / 2


def test_parts_that_name_one_another_are_not_split(shared: Shared) -> None:
    ontology, catalogue, description, articles = shared
    first, second = sorted(articles)[:2]
    changed = dict(articles)
    changed[first] = [*articles[first], f"{first} <{DCT}relation> {second}"]
    assert shared_parts(ontology, catalogue, description, changed, parse_shapes(SHAPES)) is None


PROV = "http://www.w3.org/ns/prov#"
KGO = "https://w3id.org/drugclaims/ontology#"
SHA = '"' + "0" * 64 + '"'


def _linked(description: list[str], predicate: str) -> tuple[str, str]:
    subject, _, obj = terms_of(next(x for x in description if terms_of(x)[1] == predicate))
    return subject, obj


def _a_core_line_naming_a_links_object(shared: Shared) -> Shared:
    """The software agent is also an input of the build: its lines would go to one part, while
    pav:createdWith and prov:wasAssociatedWith, in every part, need its type."""
    ontology, catalogue, description, articles = shared
    build, software = _linked(description, f"<{PROV}wasAssociatedWith>")
    changed = [*description, f"{build} <{PROV}used> {software}", f"{software} <{KGO}sha256> {SHA}"]
    return ontology, catalogue, changed, articles


def _a_second_subject_of_a_link(shared: Shared) -> Shared:
    """A second activity with one prov:used: sh:minCount 1 would fail for it in every part
    but one."""
    ontology, catalogue, description, articles = shared
    build, software = _linked(description, f"<{PROV}wasAssociatedWith>")
    convert, used = build[:-1] + "/convert>", build[:-1] + "/input/extra>"
    changed = [
        *description,
        f"<http://example.org/distribution> <{PROV}wasGeneratedBy> {convert}",
        f"{convert} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{PROV}Activity>",
        f"{convert} <{PROV}wasAssociatedWith> {software}",
        f"{convert} <{PROV}used> {used}",
        f"{used} <{KGO}sha256> {SHA}",
    ]
    return ontology, catalogue, changed, articles


def _a_node_two_articles_describe(shared: Shared) -> Shared:
    """One author IRI in two articles, each with its name and position: the whole unit finds
    two of each (maxCount), and no part would."""
    ontology, catalogue, description, articles = shared
    first, second = sorted(articles)[:2]
    person, schema = "<http://example.org/person>", "https://schema.org/"
    changed = dict(articles)
    for article, name, position in ((first, "A", 1), (second, "B", 2)):
        changed[article] = [
            *articles[article],
            f"{article} <{schema}author> {person}",
            f"{person} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{schema}Person>",
            f'{person} <{schema}name> "{name}"',
            f'{person} <{schema}position> "{position}"^^<http://www.w3.org/2001/XMLSchema#integer>',
        ]
    return ontology, catalogue, description, changed


def _an_article_naming_a_node_another_describes(shared: Shared) -> Shared:
    ontology, catalogue, description, articles = shared
    first, second = sorted(articles)[:2]
    person, schema = "<http://example.org/person>", "https://schema.org/"
    changed = dict(articles)
    changed[first] = [*articles[first], f"{first} <{schema}author> {person}"]
    changed[second] = [
        *articles[second],
        f"{person} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{schema}Person>",
    ]
    return ontology, catalogue, description, changed


@pytest.mark.parametrize(
    "change",
    [
        _a_core_line_naming_a_links_object,
        _a_second_subject_of_a_link,
        _a_node_two_articles_describe,
        _an_article_naming_a_node_another_describes,
    ],
    ids=["core names a part", "two subjects", "shared node", "named elsewhere"],
)
def test_what_parts_would_judge_otherwise_is_validated_whole(
    shared: Shared, change: Callable[[Shared], Shared]
) -> None:
    """Found by review: each of these splits gave another verdict than the whole unit."""
    assert shared_parts(*change(shared), parse_shapes(SHAPES), part_lines=50) is None


def test_the_parts_are_the_same_from_articles_on_disk_and_made_one_at_a_time(
    shared: Shared, tmp_path: Path
) -> None:
    """The build keeps each source's article's lines on disk (SpilledLines), not in memory;
    the parts are made from them one when it is taken (issue 20: at 20,000 sources the parts
    together are the size of every article)."""
    from kg.runtime.spool import SpilledLines

    ontology, catalogue, description, articles = shared
    spilled = SpilledLines(tmp_path / "articles.sqlite")
    for term, lines in articles.items():
        spilled.add(term, lines)
    shapes = parse_shapes(SHAPES)
    from_memory = shared_parts(ontology, catalogue, description, articles, shapes, part_lines=50)
    from_disk = shared_parts(ontology, catalogue, description, spilled, shapes, part_lines=50)
    assert from_memory is not None and from_disk is not None
    assert not isinstance(from_disk, (list, tuple))  # an iterator: a part at a time
    first = next(from_disk)
    assert [first, *from_disk] == list(from_memory)
    spilled.close()
