"""The content of the graph: the seed source's fifteen claims, their strength and its article;
for every source, its quotes anchored in its text, the identifiers and the vocabulary used."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest
import yaml
from conftest import claim_records, project_claims, project_sources, source_meta
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from kg.namespaces import BIOLINK, DCTERMS, OA, PROV, SCHEMA
from kg.namespaces import KGO as KGO_CODE

ROOT = Path(__file__).resolve().parents[1]
CHECKED = Path(__file__).parent / "fixtures" / "checked-identifiers.tsv"
SOURCE = ROOT / "sources/pubmed-22870448/source.txt"
CLAIM = "https://w3id.org/drugclaims/id/pubmed-22870448/claim/"
MILNACIPRAN = URIRef("http://rdf.ncbi.nlm.nih.gov/pubchem/compound/CID65833")
FIBROMYALGIA = URIRef("http://purl.obolibrary.org/obo/MONDO_0005546")
NET = URIRef("http://purl.uniprot.org/uniprot/P23975")
SERT = URIRef("http://purl.uniprot.org/uniprot/P31645")
PAIN = URIRef("http://purl.obolibrary.org/obo/HP_0012531")
SNRI = URIRef("http://id.nlm.nih.gov/mesh/D000068760")
ADVERSE_EVENT = URIRef("http://purl.obolibrary.org/obo/NCIT_C41331")
KGO = Namespace(str(KGO_CODE._NS))  # open: the tests name terms the code does not use
MATCHES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)

# The source's fifteen claims: number -> (claim key, subject, predicate, object, status).
CLAIMS = {
    1: ("snri-class", MILNACIPRAN, BIOLINK.has_chemical_role, SNRI, KGO.Asserted),
    2: ("inhibits-norepinephrine-reuptake", MILNACIPRAN, BIOLINK.affects, NET, KGO.Asserted),
    3: ("inhibits-serotonin-reuptake", MILNACIPRAN, BIOLINK.affects, SERT, KGO.Asserted),
    4: ("preferential-norepinephrine-inhibition", MILNACIPRAN, BIOLINK.affects, NET, KGO.Asserted),
    5: ("approved-for-fibromyalgia", MILNACIPRAN, BIOLINK.treats, FIBROMYALGIA, KGO.Asserted),
    6: (
        "no-activity-at-other-receptors",
        MILNACIPRAN,
        BIOLINK.affects,
        KGO.OtherReceptorSystems,
        KGO.Negated,
    ),
    7: (
        "hypothesized-symptom-improvement",
        MILNACIPRAN,
        BIOLINK.ameliorates_condition,
        PAIN,
        KGO.Hypothesis,
    ),
    8: (
        "clinical-studies",
        MILNACIPRAN,
        BIOLINK.in_clinical_trials_for,
        FIBROMYALGIA,
        KGO.Asserted,
    ),
    9: (
        "composite-responder-analyses",
        MILNACIPRAN,
        BIOLINK.ameliorates_condition,
        FIBROMYALGIA,
        KGO.Assessed,
    ),
    10: (
        "symptom-domains-assessed",
        MILNACIPRAN,
        BIOLINK.ameliorates_condition,
        FIBROMYALGIA,
        KGO.Assessed,
    ),
    11: (
        "pain-improvement-reported",
        MILNACIPRAN,
        BIOLINK.ameliorates_condition,
        PAIN,
        KGO.Asserted,
    ),
    12: (
        "adverse-events-mild-to-moderate",
        MILNACIPRAN,
        BIOLINK.has_adverse_event,
        ADVERSE_EVENT,
        KGO.Asserted,
    ),
    13: (
        "adverse-events-pharmacologic",
        MILNACIPRAN,
        BIOLINK.has_adverse_event,
        ADVERSE_EVENT,
        KGO.Asserted,
    ),
    14: (
        "no-new-safety-concerns",
        MILNACIPRAN,
        BIOLINK.has_adverse_event,
        KGO.NewSafetyConcern,
        KGO.Negated,
    ),
    15: (
        "heart-rate-increase",
        MILNACIPRAN,
        BIOLINK.has_adverse_event,
        KGO.IncreasedHeartRate,
        KGO.Asserted,
    ),
}


@pytest.fixture(scope="module")
def graph(release: Path) -> Graph:
    return Graph().parse(release / "graph.nt", format="nt")


def claim(key: str) -> URIRef:
    return URIRef(CLAIM + key)


@pytest.mark.parametrize("number", sorted(CLAIMS))
def test_design_claim_is_in_the_graph(number: int, graph: Graph) -> None:
    key, subject, predicate, obj, status = CLAIMS[number]
    node = claim(key)
    assert (node, RDF.type, KGO.Claim) in graph
    assert graph.value(node, BIOLINK.subject) == subject
    assert graph.value(node, BIOLINK.predicate) == predicate
    assert graph.value(node, BIOLINK.object) == obj
    assert graph.value(node, KGO.epistemicStatus) == status
    assert graph.value(node, BIOLINK.negated) == Literal(status == KGO.Negated)
    assert graph.value(node, BIOLINK.knowledge_level) is not None
    assert graph.value(node, BIOLINK.agent_type) == Literal("manual_agent")


def test_strength_as_stated(graph: Graph) -> None:
    """Qualifiers carry what the text says, at the strength it says it."""
    approval = claim("approved-for-fibromyalgia")
    assert graph.value(approval, KGO.jurisdiction) == Literal("US")
    assert graph.value(approval, BIOLINK.clinical_approval_status) == Literal(
        "fda_approved_for_condition"
    )
    assert (
        graph.value(claim("preferential-norepinephrine-inhibition"), KGO.preferentialOver) == SERT
    )
    doses = {
        graph.value(d, SCHEMA.value).toPython()
        for d in graph.objects(claim("clinical-studies"), KGO.dose)
    }
    assert doses == {100, 200}
    sets = {
        (
            graph.value(s, KGO.numberOfStudies).toPython(),
            frozenset(graph.objects(s, KGO.studyDesign)),
        )
        for s in graph.objects(claim("clinical-studies"), KGO.studySet)
    }
    assert sets == {
        (
            4,
            frozenset(
                {
                    URIRef("http://purl.obolibrary.org/obo/OBI_0004001"),
                    URIRef("http://purl.obolibrary.org/obo/OBI_0000793"),
                    SCHEMA.PlaceboControlledTrial,
                }
            ),
        ),
        (3, frozenset({KGO.ExtensionStudy})),
    }
    duration = graph.value(claim("pain-improvement-reported"), KGO.maximumDuration)
    assert graph.value(duration, SCHEMA.value).toPython() == 15
    assert graph.value(duration, SCHEMA.unitCode) == KGO.Month
    assert set(graph.objects(claim("adverse-events-mild-to-moderate"), KGO.severity)) == {
        URIRef("http://purl.obolibrary.org/obo/HP_0012825"),  # HPO's Mild
        URIRef("http://purl.obolibrary.org/obo/HP_0012826"),  # and Moderate
    }
    assert graph.value(claim("heart-rate-increase"), KGO.patientsQuantifier) == Literal("some")
    blood_pressure = claim("blood-pressure-increase")
    assert graph.value(blood_pressure, BIOLINK.object) == URIRef(
        "https://uts.nlm.nih.gov/uts/umls/concept/C0497247"
    )
    assert set(graph.objects(claim("composite-responder-analyses"), KGO.outcomeDomain)) == {
        PAIN,
        KGO.GlobalStatus,
        KGO.PhysicalFunction,
    }


def test_direct_triples_only_for_asserted_claims(graph: Graph) -> None:
    asserted, others = set(), set()
    for node in graph.subjects(RDF.type, KGO.Claim):
        triple = (
            graph.value(node, BIOLINK.subject),
            graph.value(node, BIOLINK.predicate),
            graph.value(node, BIOLINK.object),
        )
        (asserted if graph.value(node, KGO.epistemicStatus) == KGO.Asserted else others).add(triple)
    predicates = set(graph.subjects(RDF.type, KGO.ClaimPredicate))
    direct = {t for t in graph if t[1] in predicates}
    assert direct == asserted
    assert (MILNACIPRAN, BIOLINK.affects, KGO.OtherReceptorSystems) not in graph
    assert (MILNACIPRAN, BIOLINK.has_adverse_event, KGO.NewSafetyConcern) not in graph
    assert (
        MILNACIPRAN,
        KGO.withoutSomeSideEffectsOf,
        KGO.OlderFibromyalgiaMedications,
    ) not in graph
    # The hypotheses about pain and fibromyalgia, and the assessed outcomes, have their triples
    # only because the reported improvements (claim 11) assert the same triples.
    assert (MILNACIPRAN, BIOLINK.ameliorates_condition, PAIN) in asserted & others
    assert (MILNACIPRAN, BIOLINK.ameliorates_condition, FIBROMYALGIA) in asserted & others


def test_every_quote_is_the_source_text_at_its_span(graph: Graph) -> None:
    """Each claim's quote is the text of its own source at its span, as received (read from
    the source folder, not from the graph)."""
    texts = {}
    for folder in project_sources():
        meta = source_meta(folder)
        texts[meta["sha256"]] = (folder / meta["file"]).read_bytes().decode("utf-8")
    evidence = list(graph.objects(None, KGO.evidence))
    assert len(evidence) == project_claims()
    for node in evidence:
        text = texts[str(graph.value(graph.value(node, OA.hasSource), KGO.sha256))]
        selectors = list(graph.objects(node, OA.hasSelector))
        quote = next(s for s in selectors if (s, RDF.type, OA.TextQuoteSelector) in graph)
        span = next(s for s in selectors if (s, RDF.type, OA.TextPositionSelector) in graph)
        start = graph.value(span, OA.start).toPython()
        end = graph.value(span, OA.end).toPython()
        exact = str(graph.value(quote, OA.exact))
        assert text[start:end] == exact
        assert text[:start].endswith(str(graph.value(quote, OA.prefix)))
        assert text[end:].startswith(str(graph.value(quote, OA.suffix)))
    assert "norepinephrfrine" in str(graph.value(claim("snri-class"), BIOLINK.supporting_text))


def test_source_text_is_in_the_graph_as_received(graph: Graph) -> None:
    """Each page is kept byte for byte: the graph carries exactly the bytes of the file, with
    the checksum source.yaml records (which the build checks); the seed's page still has the
    checksum it had when it was received."""
    texts = {
        str(graph.value(text, KGO.sha256)): str(graph.value(text, RDF.value)).encode("utf-8")
        for text in graph.subjects(RDF.type, KGO.SourceText)
    }
    folders = project_sources()
    assert len(texts) == len(folders)
    for folder in folders:
        meta = source_meta(folder)
        data = (folder / meta["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], folder.name
        assert texts[meta["sha256"]] == data, folder.name
    received = "333ea97c5abc4934b1df39419f2910871a90e5a2e7ccbd046cba40af52b4d61d"
    assert hashlib.sha256(SOURCE.read_bytes()).hexdigest() == received


def test_article(graph: Graph) -> None:
    article = URIRef("https://doi.org/10.1177/1759720X10372551")
    assert str(graph.value(article, DCTERMS.title)).startswith("Milnacipran: a selective")
    assert graph.value(article, SCHEMA.datePublished) == Literal("2010-08", datatype=XSD.gYearMonth)
    assert (
        graph.value(article, SCHEMA.volumeNumber),
        graph.value(article, SCHEMA.issueNumber),
        graph.value(article, SCHEMA.pagination),
    ) == (Literal("2"), Literal("4"), Literal("201-20"))
    assert graph.value(article, SCHEMA.isPartOf) == URIRef(
        "https://portal.issn.org/resource/ISSN/1759-720X"
    )
    assert set(graph.objects(article, SKOS.exactMatch)) == {
        URIRef("https://pubmed.ncbi.nlm.nih.gov/22870448"),
        URIRef("http://europepmc.org/articles/PMC3383514"),
    }
    organization = graph.value(article, SCHEMA.sourceOrganization)
    assert graph.value(organization, RDFS.label) == Literal("Forest Research Institute", lang="en")
    assert graph.value(organization, KGO.sector) == KGO.IndustrySector
    keywords = {str(k) for k in graph.objects(article, SCHEMA.keywords)}
    assert keywords == {
        "fatigue",
        "fibromyalgia",
        "milnacipran",
        "pain",
        "physical function",
        "serotonin—norepinephrine reuptake inhibitor",
    }
    assert str(graph.value(article, SCHEMA.abstract)).startswith("Milnacipran, a serotonin")
    # the page's own citation line (the old page names no author: no schema:author)
    assert graph.value(article, DCTERMS.bibliographicCitation) == Literal(
        "Ther Adv Musculoskelet Dis. 2010 Aug;2(4):201-20. doi: 10.1177/1759720X10372551."
    )
    assert graph.value(article, SCHEMA.author) is None


def _checked_identifiers() -> dict[str, str]:
    """CURIE -> status (use, check, broad, related, trap) of the project's checked table."""
    lines = [x for x in CHECKED.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    assert rows and all(r["evidence"] for r in rows), "every checked identifier says its evidence"
    return {row["curie"]: row["status"] for row in rows}


def _catalogue_identifiers() -> list[tuple[str, str, str, dict[str, object]]]:
    """(entity key, kind, CURIE, mapping record) for every identifier the curation files use."""
    found: list[tuple[str, str, str, dict[str, object]]] = []
    catalogue = yaml.safe_load((ROOT / "catalogue/entities.yaml").read_text(encoding="utf-8"))
    for entity in catalogue["entities"]:
        if entity.get("id"):
            found.append((entity["key"], "id", entity["id"], {}))
        for kind in ("exact", "close", "broad", "narrow", "related"):
            for item in entity.get(kind, []):
                record = item if isinstance(item, dict) else {"id": item}
                found.append((entity["key"], kind, record["id"], record))
    for folder in project_sources():
        article = source_meta(folder)["article"]
        found += [
            (folder.name, "article", article[k], {})
            for k in ("id", "pmid", "pmcid")
            if k in article  # pmid and pmcid are optional
        ]
        found += [
            (c["key"], "evidence", c["evidence_type"], {})
            for c in claim_records(folder)
            if "evidence_type" in c
        ]
    return [item for item in found if item[2].split(":", 1)[0] not in ("kgo", "schema")]


def test_identifiers_are_from_the_checked_table(graph: Graph) -> None:
    """Every identifier the curation files use is a row of the project's checked table, used as
    its status allows; no trap (levomilnacipran's identifiers) appears in the release."""
    checked = _checked_identifiers()
    for key, kind, curie, record in _catalogue_identifiers():
        status = checked.get(curie)
        assert status not in (None, "trap"), f"{curie} ({key}) is not a checked identifier"
        if status == "check":
            assert float(str(record.get("confidence", 1))) < 1, f"{curie} needs confidence < 1"
        if status in ("broad", "related"):
            assert kind == status, f"{curie} ({key}) may only be a {status} match, not {kind}"
        if status == "use":
            assert "confidence" not in record, f"{curie} is confirmed: no confidence below 1"
    text = (ROOT / "dist/graph.nt").read_text(encoding="utf-8")
    traps = [curie.split(":", 1)[1] for curie, status in checked.items() if status == "trap"]
    for trap in [*traps, "N0000175696"]:  # and MED-RT's SSRI class, no prefix of ours
        assert trap not in text, f"a trap identifier {trap} is in the release"


def test_biolink_terms_exist_in_the_locked_biolink_model(graph: Graph) -> None:
    """Every biolink: term of the release is a class or slot of the Biolink Model the build
    checked against (catalogue/biolink.lock.json, which tests/test_biolink.py holds to the
    installed package), and every value of an enumerated slot is one of its range's values."""
    from kg.curation.biolink import curie_of, load_biolink

    model = load_biolink(ROOT / "catalogue/biolink.lock.json", display="biolink.lock.json")
    used = {
        t
        for triple in graph
        for t in triple
        if isinstance(t, URIRef) and t.startswith(str(BIOLINK))
    }
    for term in used:
        name = curie_of(term)
        assert name in model.classes or name in model.slots, f"{name} is not in Biolink Model"
    for slot in (
        BIOLINK.knowledge_level,
        BIOLINK.agent_type,
        BIOLINK.clinical_approval_status,
        BIOLINK.causal_mechanism_qualifier,
        BIOLINK.object_aspect_qualifier,
        BIOLINK.object_direction_qualifier,
    ):
        values = model.enums[str(model.slots[curie_of(slot)].range)]
        found = set(graph.objects(None, slot))
        assert found, slot
        for value in found:
            assert str(value) in values, f"{value} is not a value of the range of {slot}"


def test_every_iri_has_a_label_but_cross_references(graph: Graph) -> None:
    labelled = set(graph.subjects(RDFS.label, None))
    mapped = {o for p in (*MATCHES, OWL.annotatedTarget) for o in graph.objects(None, p)}
    unlabelled = (
        {t for triple in graph for t in triple if isinstance(t, URIRef)} - labelled - mapped
    )
    assert unlabelled == set()


def test_ontology_terms_are_defined(graph: Graph) -> None:
    ontology = URIRef("https://w3id.org/drugclaims/ontology")
    for prop in (
        OWL.versionIRI,
        OWL.versionInfo,
        DCTERMS.title,
        DCTERMS.description,
        DCTERMS.license,
    ):
        assert graph.value(ontology, prop) is not None
    terms = set(graph.subjects(RDFS.isDefinedBy, ontology))
    assert len(terms) > 40
    for term in terms:
        assert graph.value(term, RDFS.label) is not None, term
        assert graph.value(term, SKOS.definition) is not None, term
    namespace = str(KGO)
    used = {
        t for triple in graph for t in triple if isinstance(t, URIRef) and t.startswith(namespace)
    }
    assert used <= terms, f"kgo terms used but not defined: {used - terms}"
    code_terms = {KGO[name] for name in KGO_CODE.__annotations__}
    assert code_terms <= terms, f"kg/namespaces.py names undefined terms: {code_terms - terms}"


def test_dataset_description_records_its_inputs(graph: Graph) -> None:
    (release,) = graph.subjects(RDF.type, URIRef("http://www.w3.org/ns/dcat#Dataset"))
    assert graph.value(release, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    build = graph.value(release, PROV.wasGeneratedBy)
    inputs = {
        str(graph.value(i, RDFS.label)): str(graph.value(i, KGO.sha256))
        for i in graph.objects(build, PROV.used)
    }
    assert "sources/pubmed-22870448/source.txt" in inputs and "shapes/claims.ttl" in inputs
    for path, digest in inputs.items():
        assert hashlib.sha256((ROOT / path).read_bytes()).hexdigest() == digest, path
    assert graph.value(release, DCTERMS.issued) is None, "no build time without SOURCE_DATE_EPOCH"


def test_no_fact_about_the_source_in_code() -> None:
    """Code holds no fact about milnacipran: the data files do."""
    for path in (ROOT / "kg").rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        for word in ("milnacipran", "fibromyalgia", "22870448", "0005546", "p23975"):
            assert word not in text, f"{path.name} mentions {word!r}"
    assert re.search(r"\bkgo:\w+", (ROOT / "catalogue/qualifiers.yaml").read_text())


def test_the_descriptions_links_are_the_lines_rdflib_would_give() -> None:
    """The description's links to its articles and inputs are written as lines, not through
    an rdflib graph (issue 20: 13 lines a source); they are the lines the graph gives."""
    from rdflib.namespace import DCTERMS, PROV

    from kg.curation.project import Project, load_shared
    from kg.model import Input
    from kg.namespaces import KGO
    from kg.rdf.lines import nt_lines
    from kg.rdf.mint import RELEASE, description_graph, description_lines

    shared = load_shared(Project(ROOT))
    prefixes = list(shared.prefixes.prefixes.values())
    articles = ["https://doi.org/10.1/x", "https://pubmed.ncbi.nlm.nih.gov/1"]
    inputs = [Input("sources/café/source.yaml", "ab" * 32), Input("shapes/a.ttl", "cd" * 32)]
    graph = description_graph(shared.dataset, prefixes)
    release = RELEASE[shared.dataset.version]
    for article in articles:
        graph.add((release, DCTERMS.source, URIRef(article)))
    for item in inputs:
        node = URIRef(f"{release}/input/{item.path}")
        graph.add((URIRef(f"{release}/build"), PROV.used, node))
        graph.add((node, RDF.type, PROV.Entity))
        graph.add((node, RDFS.label, Literal(item.path)))
        graph.add((node, KGO.sha256, Literal(item.sha256)))
    assert description_lines(shared.dataset, prefixes, articles, inputs) == nt_lines(graph)
