"""The curation fixes of the audit (issue 15): mapping predicates that say what the curators know,
IRIs in the forms the datasets publish, and ontology terms reused or aligned where they should
be. Each test failed on the release before its fix."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import DCMITYPE, RDF, RDFS, SKOS

from kg.curation.prefixes import PrefixMap
from kg.namespaces import BIOLINK
from kg.namespaces import KGO as KGO_CODE

ROOT = Path(__file__).resolve().parents[1]
CHECKED = Path(__file__).parent / "fixtures" / "checked-identifiers.tsv"
MILNACIPRAN = "pubchem.compound:65833"
RACEMATE_KEY = "inchikey:GJJFMKBJSRMPLA-HIFRSBDPSA-N"  # (1R,2S): one enantiomer
STEREO_FREE_KEY = "inchikey:GJJFMKBJSRMPLA-UHFFFAOYSA-N"
KGO = Namespace(str(KGO_CODE._NS))  # open: the tests name terms the code does not use
OBO = Namespace("http://purl.obolibrary.org/obo/")
CLAIM = Namespace("https://w3id.org/drugclaims/id/pubmed-22870448/claim/")


@pytest.fixture(scope="module")
def mappings(release: Path) -> dict[tuple[str, str], dict[str, str]]:
    """The release's SSSOM rows by (subject_id, object_id)."""
    text = (release / "mappings.sssom.tsv").read_text(encoding="utf-8")
    table = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    rows = csv.DictReader(io.StringIO(table), delimiter="\t")
    return {(row["subject_id"], row["object_id"]): row for row in rows}


@pytest.fixture(scope="module")
def graph(release: Path) -> Graph:
    return Graph().parse(release / "graph.nt", format="nt")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology/kgo.ttl", format="turtle")


def checked_status() -> dict[str, str]:
    lines = [x for x in CHECKED.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    return {row["curie"]: row["status"] for row in csv.DictReader(lines, delimiter="\t")}


# --- milnacipran's InChIKeys -------------------------------------------------------------------


def test_the_enantiomer_key_is_only_a_close_match_and_says_why(
    mappings: dict[tuple[str, str], dict[str, str]],
) -> None:
    """The (1R,2S) key names one enantiomer of the racemic drug: close, not exact."""
    row = mappings[(MILNACIPRAN, RACEMATE_KEY)]
    assert row["predicate_id"] == "skos:closeMatch"
    assert "(1R,2S)" in row["comment"] and "relative" in row["comment"]


def test_the_stereo_free_key_is_a_broad_match(
    mappings: dict[tuple[str, str], dict[str, str]],
) -> None:
    """The stereo-free key covers all four stereoisomers, milnacipran's two among them."""
    row = mappings[(MILNACIPRAN, STEREO_FREE_KEY)]
    assert row["predicate_id"] == "skos:broadMatch"
    assert not row["confidence"] and row["comment"]
    assert checked_status()[STEREO_FREE_KEY] == "broad"


# --- MeSH C048107 ------------------------------------------------------------------------------


def test_the_possibly_obsolete_mesh_record_is_not_published(release: Path) -> None:
    """A record flagged obsolete is no match of any kind: a weaker predicate would misstate the
    relation, and a confidence cannot say "this record may no longer exist"."""
    for name in ("graph.nt", "mappings.sssom.tsv"):
        assert "C048107" not in (release / name).read_text(encoding="utf-8"), name
    assert checked_status()["mesh:C048107"] == "check"


# --- noradrenaline -----------------------------------------------------------------------------


def test_both_records_of_r_noradrenaline_are_narrow_matches(
    mappings: dict[tuple[str, str], dict[str, str]],
) -> None:
    """The entity is noradrenaline with no stereochemistry; ChEBI's and PubChem's records of the
    natural (R) form are narrower, both."""
    for record in ("CHEBI:18357", "pubchem.compound:439260"):
        assert mappings[("CHEBI:33569", record)]["predicate_id"] == "skos:narrowMatch", record


# --- IRIs: the dataset's RDF where it has one, never a search page -------------------------------


@pytest.mark.parametrize(
    "curie, iri",
    [
        # BioPortal's RDF of ICD-10-CM (CMS and NCHS publish none); Mondo's ingest uses it too
        ("icd10cm:M79.7", "http://purl.bioontology.org/ontology/ICD10CM/M79.7"),
        # HGNC publishes no RDF; its own page keeps the ID in a "#!" fragment
        ("hgnc:11048", "https://identifiers.org/hgnc:11048"),
        # PubChem RDF names InChIKeys (no registry holds them; the default was a ChemSpider search)
        (RACEMATE_KEY, "http://rdf.ncbi.nlm.nih.gov/pubchem/inchikey/GJJFMKBJSRMPLA-HIFRSBDPSA-N"),
    ],
)
def test_identifiers_expand_to_rdf_or_resolver_iris(
    curie: str, iri: str, prefix_map: PrefixMap, release: Path
) -> None:
    assert str(prefix_map.expand(curie)) == iri
    assert f"<{iri}>" in (release / "graph.nt").read_text(encoding="utf-8")


def test_no_prefix_expands_to_a_search_page_or_a_fragment(prefix_map: PrefixMap) -> None:
    for prefix in prefix_map.prefixes.values():
        if prefix.prefix in ("kgo",) or prefix.uri_prefix.endswith("#"):
            continue  # vocabularies: a hash namespace is their own design
        assert "search?" not in prefix.uri_prefix, prefix  # a query, not a record
        assert "#" not in prefix.uri_prefix, prefix


def test_chembl_targets_use_chembl_rdf_iris(prefix_map: PrefixMap) -> None:
    assert str(prefix_map.expand("chembl.target:CHEMBL222")) == (
        "http://rdf.ebi.ac.uk/resource/chembl/target/CHEMBL222"
    )


def test_inchikeys_use_pubchem_rdf_iris(prefix_map: PrefixMap) -> None:
    assert str(prefix_map.expand(RACEMATE_KEY)) == (
        "http://rdf.ncbi.nlm.nih.gov/pubchem/inchikey/GJJFMKBJSRMPLA-HIFRSBDPSA-N"
    )


# --- the ontology: reuse, and alignments that say what a term is ---------------------------------


def test_severities_are_hpo_terms(graph: Graph, ontology: Graph) -> None:
    """kgo:Mild and kgo:Moderate duplicated HPO's Mild and Moderate: the claims use HPO's."""
    mild, moderate = OBO.HP_0012825, OBO.HP_0012826
    assert set(graph.objects(CLAIM["adverse-events-mild-to-moderate"], KGO.severity)) == {
        mild,
        moderate,
    }
    for term, label in ((mild, "mild"), (moderate, "moderate")):
        assert (term, RDF.type, KGO.QualifierValue) in ontology  # so claims.yaml may use it
        assert [str(x) for x in graph.objects(term, RDFS.label)] == [label]
        assert graph.value(term, SKOS.definition) is not None
    assert not set(ontology.subjects(None, None)) & {KGO.Mild, KGO.Moderate}
    status = checked_status()
    assert status["hp:0012825"] == status["hp:0012826"] == "use"


def test_a_set_of_studies_is_not_a_study(ontology: Graph) -> None:
    """biolink:Study is one investigation; a set of four studies is a collection of them."""
    parents = set(ontology.objects(KGO.StudySet, RDFS.subClassOf))
    assert parents == {DCMITYPE.Collection}
    assert (KGO.StudySet, SKOS.relatedMatch, BIOLINK.Study) in ontology
    assert "not" in str(ontology.value(KGO.StudySet, RDFS.comment))


def test_other_receptor_systems_are_not_a_protein(ontology: Graph, graph: Graph) -> None:
    """A group of receptors named only as a whole: no protein, and no protein family."""
    term = KGO.OtherReceptorSystems
    assert set(ontology.objects(term, RDFS.subClassOf)) == {BIOLINK.BiologicalEntity}
    # BiologicalEntity is abstract in Biolink: a node's category is the nearest concrete class
    assert set(graph.objects(term, BIOLINK.category)) == {BIOLINK.NamedThing}


def test_adverse_event_reuses_established_terms(graph: Graph, ontology: Graph) -> None:
    """NCIt's Adverse Event (the ICH notion: whether or not the drug caused it), close to OAE's
    root class; no term of the project's own."""
    ncit, oae = OBO.NCIT_C41331, OBO.OAE_0000001
    assert (CLAIM["adverse-events-mild-to-moderate"], BIOLINK.object, ncit) in graph
    assert (ncit, SKOS.closeMatch, oae) in graph
    assert not set(ontology.subjects(None, None)) & {KGO.AdverseEvent}
    assert checked_status()["ncit:C41331"] == checked_status()["oae:0000001"] == "use"
