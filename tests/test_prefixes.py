"""Prefixes: the project's agree with Bioregistry; CURIEs expand and are checked against the
local-ID patterns Bioregistry gives."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import bioregistry
import pytest
from click.testing import Result

from kg import namespaces
from kg.curation.converter import namespaces as converter_namespaces
from kg.curation.prefixes import PrefixMap

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "name, namespace",
    [
        ("biolink", namespaces.BIOLINK),
        ("oa", namespaces.OA),
        ("pav", namespaces.PAV),
        ("idot", namespaces.IDOT),
        ("schema", namespaces.SCHEMA),
        ("skos", namespaces.SKOS),
        ("dcterms", namespaces.DCTERMS),
        ("prov", namespaces.PROV),
        ("dcat", namespaces.DCAT),
        ("void", namespaces.VOID),
        ("sh", namespaces.SH),
        ("owl", namespaces.OWL),
        ("rdfs", namespaces.RDFS),
        ("rdf", namespaces.RDF),
        ("xsd", namespaces.XSD),
        ("dcmitype", namespaces.DCMITYPE),
    ],
)
def test_code_namespaces_agree_with_bioregistry(
    name: str, namespace: object, prefix_map: PrefixMap
) -> None:
    assert prefix_map.prefixes[name].uri_prefix == str(namespace)


#: Prefixes whose URI prefix prefixes.yaml gives itself (uri_prefix, with a why).
REVIEWED = {
    "chembl.target": "http://rdf.ebi.ac.uk/resource/chembl/target/",
    "inchikey": "http://rdf.ncbi.nlm.nih.gov/pubchem/inchikey/",
}


def test_every_prefix_comes_from_bioregistry(prefix_map: PrefixMap) -> None:
    for prefix in prefix_map.prefixes.values():
        if prefix.prefix in ("kgo", "kgr"):
            continue
        resource = bioregistry.get_resource(prefix.prefix)
        assert resource is not None
        assert prefix.pattern == resource.get_pattern()
        formats = dict(bioregistry.get_providers_list(prefix.prefix, "ID"))
        if prefix.prefix in REVIEWED:  # the dataset's own RDF IRIs, which Bioregistry lacks
            assert prefix.uri_prefix == REVIEWED[prefix.prefix]
            continue
        assert prefix.uri_prefix + "ID" in formats.values(), prefix.prefix


def test_identifiers_use_the_rdf_uri_format_where_there_is_one(prefix_map: PrefixMap) -> None:
    assert str(prefix_map.expand("mesh:D005356")) == "http://id.nlm.nih.gov/mesh/D005356"
    assert str(prefix_map.expand("pubchem.compound:65833")) == (
        "http://rdf.ncbi.nlm.nih.gov/pubchem/compound/CID65833"
    )
    assert str(prefix_map.expand("chembl.compound:CHEMBL252923")) == (
        "http://rdf.ebi.ac.uk/resource/chembl/molecule/CHEMBL252923"
    )
    assert str(prefix_map.expand("uniprot:P31645")) == "http://purl.uniprot.org/uniprot/P31645"
    assert str(prefix_map.expand("MONDO:0005546")) == "http://purl.obolibrary.org/obo/MONDO_0005546"
    assert str(prefix_map.expand("doi:10.1177/1759720X10372551")) == (
        "https://doi.org/10.1177/1759720X10372551"
    )


@pytest.mark.parametrize(
    "curie, message",
    [
        ("mondo:12", "does not match the pattern"),
        ("uniprot:not-an-accession", "does not match the pattern"),
        ("nosuchprefix:1", "unknown CURIE prefix"),
        ("no-colon", "not a CURIE"),
        ("mondo:", "not a CURIE"),
    ],
)
def test_bad_curies(curie: str, message: str, prefix_map: PrefixMap) -> None:
    with pytest.raises(ValueError, match=message):
        prefix_map.expand(curie)


def test_output_prefixes_are_the_preferred_ones(prefix_map: PrefixMap) -> None:
    names = converter_namespaces(prefix_map.converter)
    assert names["MONDO"] == "http://purl.obolibrary.org/obo/MONDO_"
    assert "mondo" not in names
    assert list(names) == sorted(names)


# --- the lock file: Bioregistry is read once, by `kg prefixes`, never by a build --------------


def test_the_lock_is_what_bioregistry_gives_now(kg: Callable[..., Result]) -> None:
    """Fails when a Bioregistry upgrade would change a published namespace or pattern: run
    `kg prefixes`, review the diff, commit it."""
    result = kg("--project", ROOT, "prefixes", "--check")
    assert result.exit_code == 0, result.stderr


def test_kg_prefixes_writes_the_committed_lock(project: Path, kg: Callable[..., Result]) -> None:
    lock = project / "catalogue/prefixes.lock.json"
    committed = lock.read_bytes()
    lock.unlink()
    missing = kg("--project", project, "build")
    assert missing.exit_code == 2 and "missing: run `kg prefixes`" in missing.stderr
    assert kg("--project", project, "prefixes").exit_code == 0
    assert lock.read_bytes() == committed


def test_an_unknown_prefix_is_reported_when_locking(
    project: Path, kg: Callable[..., Result]
) -> None:
    prefixes = project / "catalogue/prefixes.yaml"
    prefixes.write_text(prefixes.read_text().replace("  orpha: {}", "  orphanet: {}"))
    result = kg("--project", project, "prefixes")
    assert result.exit_code == 2
    assert "catalogue/prefixes.yaml:" in result.stderr
    assert "'orphanet' is not a Bioregistry prefix (Bioregistry calls it 'orpha')" in result.stderr


@pytest.mark.parametrize(
    "options",
    [
        "{uri_prefix: 'http://rdf.ebi.ac.uk/resource/chembl/target/'}",  # no why
        "{uri_prefix: 'javascript:alert(1)//', why: x}",
        "{uri_prefix: 'http://example.org/target?id=', why: x}",
        "{uri_prefix: 'http://example.org/a b/', why: x}",
        "{uri_prefix: 'http://example.org/', uri_format: default, why: x}",
    ],
)
def test_a_bad_reviewed_uri_prefix_is_reported_when_locking(
    options: str, project: Path, kg: Callable[..., Result]
) -> None:
    prefixes = project / "catalogue/prefixes.yaml"
    text = prefixes.read_text()
    start = text.index("  chembl.target:\n")
    end = text.index("  chemspider:")
    prefixes.write_text(text[:start] + f"  chembl.target: {options}\n" + text[end:])
    result = kg("--project", project, "prefixes")
    assert result.exit_code == 2
    assert "catalogue/prefixes.yaml:" in result.stderr
    assert "prefix 'chembl.target'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_build_does_not_import_bioregistry(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from kg.build.pipeline import build_release; "
        "from kg.curation.project import Project; "
        f"build_release(Project(Path({str(ROOT)!r})), Path({str(tmp_path / 'out')!r})); "
        "print('bioregistry' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("uri_prefix", ["javascript:alert(1)//", "data:text/html,", "http://a b/"])
def test_a_tampered_lock_is_refused_at_build(
    uri_prefix: str, project: Path, kg: Callable[..., Result]
) -> None:
    """The lock is read, never trusted: a URI prefix that is not an http(s) IRI (which a page
    would make a javascript: link of) stops the build in one line naming the lock and prefix."""
    import json

    lock = project / "catalogue/prefixes.lock.json"
    data = json.loads(lock.read_text(encoding="utf-8"))
    row = next(r for r in data["prefixes"] if r["prefix"] == "mesh")
    row["uri_prefix"] = uri_prefix
    lock.write_text(json.dumps(data, indent=1), encoding="utf-8")
    result = kg("--project", project, "build", "--out", project / "out")
    assert result.exit_code == 2, result.output
    assert "catalogue/prefixes.lock.json" in result.stderr
    assert "prefix 'mesh'" in result.stderr and "not an http(s) IRI" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (project / "out").exists()


@pytest.mark.parametrize("corpus", ["release", "extra"])
def test_the_declarations_are_the_rows_of_their_query(
    corpus: str, release: Path, tmp_path: Path
) -> None:
    """declared_converter finds the prefix declarations by index lookups (the SPARQL query of
    them scans a large store); what it finds is that query's rows, in that query's order."""
    import pyoxigraph as ox

    from kg.curation import converter
    from kg.sparql.query import run_query

    store = ox.Store()
    store.load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    if corpus == "extra":  # declarations with and without a preferred prefix, in two graphs
        graph = ox.NamedNode("http://example.org/other-graph")
        sh = "http://www.w3.org/ns/shacl#"
        for name, preferred in (("zz", None), ("aa", "AA"), ("aa", "Ab")):
            node = ox.NamedNode(f"http://example.org/declaration/{name}-{preferred}")
            store.add(
                ox.Quad(node, converter._RDF_TYPE, ox.NamedNode(sh + "PrefixDeclaration"), graph)
            )
            store.add(ox.Quad(node, ox.NamedNode(sh + "prefix"), ox.Literal(name), graph))
            namespace = ox.Literal(f"http://example.org/{name}/")
            store.add(ox.Quad(node, ox.NamedNode(sh + "namespace"), namespace, graph))
            if preferred:
                store.add(ox.Quad(node, converter._PREFERRED, ox.Literal(preferred), graph))
    rows = [
        (row["prefix"], row["preferred"], row["namespace"])
        for row in run_query(store, converter._DECLARATIONS)  # type: ignore[attr-defined]
    ]
    assert rows
    assert converter._declarations(store) == rows
