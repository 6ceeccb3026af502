"""kg new: a received document made a source folder, listed in dataset.yaml, that builds with
no claims and then with one; and the documents and folders it refuses, in one line naming
the file, with exit code 2."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from kg.namespaces import KGO, SCHEMA

FIXTURES = Path(__file__).parent / "fixtures" / "intake"
ARTICLE = URIRef("https://doi.org/10.5555/fcp.2019.0042")
BASE = "https://w3id.org/drugclaims/id/pubmed-99900001/"
ENTITIES = """
  - key: velmorazine
    label: velmorazine
    category: [biolink:SmallMolecule]
    description: An invented drug of the test suite.

  - key: tension-type-headache
    label: chronic tension-type headache
    category: [biolink:Disease]
    description: An invented disease entity of the test suite.
"""
CLAIM = """claims:
  - key: fewer-headache-days
    subject: velmorazine
    predicate: biolink:ameliorates_condition
    object: tension-type-headache
    status: asserted
    quote: >-
      reduced the mean number of headache days per month by 4.1, compared with 1.9 with
      placebo (P<0.05)
"""


def add_claim(project: Path, folder: str) -> None:
    with (project / "catalogue/entities.yaml").open("a", encoding="utf-8") as f:
        f.write(ENTITIES)
    claims = project / folder / "claims.yaml"
    claims.write_text(claims.read_text().replace("claims: []\n", CLAIM), encoding="utf-8")


def test_kg_new_then_build_then_a_claim(project: Path, kg: Callable[..., Result]) -> None:
    received = FIXTURES / "article.xml"
    dataset_before = (project / "dataset.yaml").read_text(encoding="utf-8")
    result = kg("--project", project, "new", received)
    assert result.exit_code == 0, result.stderr
    assert "made sources/pubmed-99900001/" in result.stderr
    assert "next: add claims to sources/pubmed-99900001/claims.yaml" in result.stderr
    folder = project / "sources/pubmed-99900001"
    assert sorted(p.name for p in folder.iterdir()) == ["claims.yaml", "source.xml", "source.yaml"]
    assert (folder / "source.xml").read_bytes() == received.read_bytes()
    meta = yaml.safe_load((folder / "source.yaml").read_text(encoding="utf-8"))
    assert meta == {
        "key": "pubmed-99900001",
        "file": "source.xml",
        "sha256": hashlib.sha256(received.read_bytes()).hexdigest(),
        "parser": "pubmed-xml",
        "article": {
            "id": "doi:10.5555/fcp.2019.0042",
            "pmid": "pubmed:99900001",
            "pmcid": "pmc:PMC9990001",
        },
    }
    assert yaml.safe_load((folder / "claims.yaml").read_text()) == {"claims": []}
    dataset = (project / "dataset.yaml").read_text(encoding="utf-8")
    assert dataset == dataset_before.replace(
        "  - sources/pubmed-22870448\n",
        "  - sources/pubmed-22870448\n  - sources/pubmed-99900001\n",
    )  # a line added, every comment kept

    built = kg("--project", project, "build", "--no-cache")
    assert built.exit_code == 0, built.stderr
    graph = Graph().parse(project / "dist/graph.nt", format="nt")
    check_article(graph)

    add_claim(project, "sources/pubmed-99900001")
    built = kg("--project", project, "build", "--no-cache")
    assert built.exit_code == 0, built.stderr
    graph = Graph().parse(project / "dist/graph.nt", format="nt")
    text = str(graph.value(URIRef(BASE + "text"), RDF.value))
    position = URIRef(BASE + "claim/fewer-headache-days/evidence/position")
    start, end = (int(graph.value(position, p)) for p in (URIRef(str(OA) + "start"), OA_END))
    exact = graph.value(URIRef(BASE + "claim/fewer-headache-days/evidence/quote"), OA_EXACT)
    assert text[start:end] == str(exact)
    assert str(exact).endswith("(P<0.05)")


OA = "http://www.w3.org/ns/oa#"
OA_END, OA_EXACT = URIRef(OA + "end"), URIRef(OA + "exact")


def check_article(graph: Graph) -> None:
    """The article as the XML says it: date with its day, no issue, authors in order with
    their affiliations, headings and types by MeSH IRI, the citation; the text as received."""
    assert graph.value(ARTICLE, SCHEMA.datePublished) == Literal("2019-03-14", datatype=XSD.date)
    assert graph.value(ARTICLE, SCHEMA.issueNumber) is None
    assert graph.value(ARTICLE, SCHEMA.volumeNumber) == Literal("12")
    assert str(graph.value(ARTICLE, DCTERMS.bibliographicCitation)).startswith(
        "Fict Clin Pharmacol. 2019 Mar 14;12:301-12."
    )
    authors = sorted(graph.objects(ARTICLE, SCHEMA.author))
    assert authors == [URIRef(f"{BASE}author/{n}") for n in (1, 2, 3)]
    assert [str(graph.value(a, SCHEMA.name)) for a in authors] == [
        "Ana M Kestrel",
        "Tomas Brindle",
        "Ines Oduya",
    ]
    assert [int(graph.value(a, SCHEMA.position)) for a in authors] == [1, 2, 3]
    places = sorted(graph.objects(authors[1], SCHEMA.affiliation))
    assert places == [URIRef(f"{BASE}affiliation/1"), URIRef(f"{BASE}affiliation/2")]
    assert graph.value(places[1], SCHEMA.name) == Literal(
        "Brindle Therapeutics Ltd, Southport, Freedonia."
    )
    mesh = URIRef("http://id.nlm.nih.gov/mesh/D018781")
    assert (ARTICLE, DCTERMS.subject, mesh) in graph
    assert graph.value(mesh, RDFS.label) == Literal("Tension-Type Headache", lang="en")
    assert (ARTICLE, SCHEMA.genre, URIRef("http://id.nlm.nih.gov/mesh/D016449")) in graph
    text = URIRef(BASE + "text")
    assert graph.value(text, DCTERMS["format"]) == Literal("application/xml")
    data = (FIXTURES / "article.xml").read_bytes()
    assert graph.value(text, KGO.sha256) == Literal(hashlib.sha256(data).hexdigest())
    assert "P<0.05" in str(graph.value(text, RDF.value))


@pytest.mark.slow
@pytest.mark.parametrize(
    "fixture, parser, fmt",
    [("article.nbib", "medline", "text/plain"), ("article.html", "pubmed-html", "text/html")],
)
def test_kg_new_of_each_text_and_page_format_builds_with_a_claim(
    fixture: str, parser: str, fmt: str, project: Path, kg: Callable[..., Result]
) -> None:
    result = kg("--project", project, "new", FIXTURES / fixture)
    assert result.exit_code == 0, result.stderr
    assert f"parser {parser}" in result.stderr
    add_claim(project, "sources/pubmed-99900001")
    built = kg("--project", project, "build", "--no-cache")
    assert built.exit_code == 0, built.stderr
    graph = Graph().parse(project / "dist/graph.nt", format="nt")
    assert graph.value(URIRef(BASE + "text"), DCTERMS["format"]) == Literal(fmt)
    quote = graph.value(URIRef(BASE + "claim/fewer-headache-days/evidence/quote"), OA_EXACT)
    assert " ".join(str(quote).split()).startswith("reduced the mean number of headache days")


@pytest.mark.slow
def test_a_plain_text_source_is_described_in_its_source_yaml(
    project: Path, kg: Callable[..., Result]
) -> None:
    result = kg("--project", project, "new", FIXTURES / "article.txt", "--format", "plain")
    assert result.exit_code == 2 and "no PMID: name its --key" in result.stderr
    result = kg(
        "--project", project, "new", FIXTURES / "article.txt", "--format", "plain", "--key", "vel"
    )
    assert result.exit_code == 0, result.stderr
    source = project / "sources/vel/source.yaml"
    built = kg("--project", project, "build", "--no-cache")
    assert built.exit_code == 2 and "sources/vel/source.yaml" in built.stderr  # fill it in
    text = source.read_text(encoding="utf-8").split("article:\n")[0]
    source.write_text(
        text
        + "article:\n  id: doi:10.5555/fcp.2019.0042\n  title: An invented trial\n"
        + "  journal_name: Fict Clin Pharmacol\n  date: 2019-03\n  volume: 12\n"
        + "  authors:\n    - {name: Ana M Kestrel, affiliations: [Invented University]}\n",
        encoding="utf-8",
    )
    built = kg("--project", project, "build", "--no-cache")
    assert built.exit_code == 0, built.stderr
    graph = Graph().parse(project / "dist/graph.nt", format="nt")
    assert graph.value(ARTICLE, SCHEMA.datePublished) == Literal("2019-03", datatype=XSD.gYearMonth)
    assert str(graph.value(ARTICLE, DCTERMS.bibliographicCitation)) == (
        "Fict Clin Pharmacol. 2019 Mar;12. doi: 10.5555/fcp.2019.0042."
    )


def test_a_pmid_the_document_contradicts_stops_the_build(
    project: Path, kg: Callable[..., Result]
) -> None:
    assert kg("--project", project, "new", FIXTURES / "article.xml").exit_code == 0
    source = project / "sources/pubmed-99900001/source.yaml"
    lines = source.read_text().splitlines(keepends=True)
    (at,) = [n for n, line in enumerate(lines, start=1) if "pmid: pubmed:99900001" in line]
    source.write_text("".join(lines).replace("pubmed:99900001", "pubmed:99900002"))
    result = kg("--project", project, "build", "--no-cache")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"kg: error: sources/pubmed-99900001/source.yaml:{at}: article: pmid 'pubmed:99900002' "
        "does not match the document, which says pubmed:99900001"
    ]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<PubmedArticleSet>&lol2;</PubmedArticleSet>
"""


@pytest.mark.parametrize(
    "name, data, args, message",
    [
        ("bomb.xml", BILLION_LAUGHS, (), "bomb.xml:3: parser 'pubmed-xml': refusing the XML"),
        (
            "external.xml",
            b'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM '
            b'"file:///etc/passwd">]>\n<PubmedArticleSet>&x;</PubmedArticleSet>\n',
            (),
            "external.xml:2: parser 'pubmed-xml': refusing the XML",
        ),
        (
            "truncated.xml",
            (FIXTURES / "article.xml").read_bytes()[:900],
            (),
            "truncated.xml:20: parser 'pubmed-xml': not well-formed XML",
        ),
        (
            "latin1.nbib",
            b"PMID- 1\nTI  - Caf\xe9 trial.\n",
            (),
            "latin1.nbib:2: parser 'medline': not UTF-8: byte 0xe9",
        ),
        ("notes.txt", b"Some notes.\n", (), "notes.txt: cannot tell the document's format"),
        ("a.xml", (FIXTURES / "article.xml").read_bytes(), ("--key", "Bad_Key"), "key 'Bad_Key'"),
    ],
    ids=["billion-laughs", "external-entity", "truncated", "not-utf8", "unknown", "bad-key"],
)
def test_kg_new_refuses_in_one_line_and_writes_nothing(
    name: str,
    data: bytes,
    args: tuple[str, ...],
    message: str,
    project: Path,
    tmp_path: Path,
    kg: Callable[..., Result],
) -> None:
    received = tmp_path / name
    received.write_bytes(data)
    before = sorted(p.name for p in (project / "sources").iterdir())
    dataset = (project / "dataset.yaml").read_bytes()
    result = kg("--project", project, "new", received, *args)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("kg: error: ") and message in line, line
    assert str(tmp_path) in line
    assert sorted(p.name for p in (project / "sources").iterdir()) == before
    assert (project / "dataset.yaml").read_bytes() == dataset


def test_kg_new_refuses_an_existing_folder_and_a_missing_file(
    project: Path, tmp_path: Path, kg: Callable[..., Result]
) -> None:
    assert kg("--project", project, "new", FIXTURES / "article.xml").exit_code == 0
    again = kg("--project", project, "new", FIXTURES / "article.nbib")
    assert again.exit_code == 2
    assert "sources/pubmed-99900001: already exists: choose another --key" in again.stderr
    missing = kg("--project", project, "new", tmp_path / "nowhere.xml")
    assert missing.exit_code == 2 and "nowhere.xml: cannot read" in missing.stderr


def test_a_dataset_it_cannot_edit_safely_gets_the_line_to_add(
    project: Path, kg: Callable[..., Result]
) -> None:
    dataset = project / "dataset.yaml"
    dataset.write_text(
        dataset.read_text().replace(
            "sources:\n  - sources/pubmed-22870448\n", "sources: [sources/pubmed-22870448]\n"
        )
    )
    result = kg("--project", project, "new", FIXTURES / "article.xml")
    assert result.exit_code == 2
    assert "add this line under sources: yourself: - sources/pubmed-99900001" in result.stderr
    assert (project / "sources/pubmed-99900001/source.xml").is_file()
    assert "pubmed-99900001" not in dataset.read_text()
