"""Bad input: each curation mistake gives a clear message (file, line, record), exit code 2,
and leaves the published release untouched."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from folders import fingerprint

CLAIMS = "sources/pubmed-22870448/claims.yaml"
SOURCE = "sources/pubmed-22870448/source.yaml"
TEXT = "sources/pubmed-22870448/source.txt"
ENTITIES = "catalogue/entities.yaml"
QUALIFIERS = "catalogue/qualifiers.yaml"
ONTOLOGY = "ontology/kgo.ttl"
#: Nine levels of nine aliases: a few hundred bytes that expand to 9^9 nodes.
BOMB = (
    "aliases:\n  a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"  {b}: &{b} [{', '.join(['*' + a] * 9)}]\n"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "entities:\n"
)


@dataclass(frozen=True)
class Case:
    """One bad input: the file to change, the change (old text -> new text), what to expect."""

    name: str
    file: str
    old: str
    new: str
    expected: tuple[str, ...]
    at: str | None = ""  # the text whose line the message names ("" = the new text; None: any)


#: Where result qualifiers are added to a claim of the seed in the cases below.
_RESULT_AT = "      max_duration: {value: 15, unit: kgo:Month}\n"


def result_case(name: str, qualifier: str, *expected: str) -> Case:
    """A bad result qualifier (``name: value``) added to the claim pain-improvement-reported."""
    return Case(
        name,
        CLAIMS,
        _RESULT_AT + "    note: A finding reported",
        f"{_RESULT_AT}      {qualifier}\n    note: A finding reported",
        (CLAIMS, "claim 'pain-improvement-reported'", *expected),
        at=qualifier,
    )


def line_of(path: Path, text: str) -> int:
    """The line (from 1) where ``text`` starts in ``path``; a ``>`` in ``text`` marks the line
    meant within it (``"broad:\n>- doid:631"``: the line of ``- doid:631``)."""
    content = path.read_text(encoding="utf-8")
    before, _, after = text.partition(">")
    start = content.index(before + after) if after else content.index(text)
    return content[:start].count("\n") + 1 + (before.count("\n") if after else 0)


CASES = [
    Case(
        "malformed YAML",
        CLAIMS,
        "  - key: snri-class\n",
        "  - key: [snri-class\n",
        (CLAIMS, "malformed YAML"),
        at=None,
    ),
    Case(
        "unknown field",
        CLAIMS,
        "    quote: Milnacipran, a serotonin",
        "    qoute: Milnacipran, a serotonin",
        (CLAIMS, "claim 'snri-class'", "unknown field 'qoute'"),
    ),
    Case(
        "missing required field",
        CLAIMS,
        "    object: snri\n",
        "",
        (CLAIMS, "claim 'snri-class'", "missing required field 'object'"),
        at="  - key: snri-class\n",
    ),
    Case(
        "unknown CURIE prefix",
        CLAIMS,
        "predicate: biolink:has_chemical_role",
        "predicate: biolinc:has_chemical_role",
        (CLAIMS, "claim 'snri-class'", "unknown CURIE prefix 'biolinc'"),
    ),
    Case(
        "local ID fails its prefix's pattern",
        ENTITIES,
        "id: mondo:0005546",
        "id: mondo:5546",
        (ENTITIES, "entity 'fibromyalgia'", "does not match the pattern of 'mondo'"),
    ),
    Case(
        "predicate outside the allowed set",
        CLAIMS,
        "predicate: biolink:has_chemical_role",
        "predicate: biolink:related_to",
        (CLAIMS, "claim 'snri-class'", "outside the allowed set"),
    ),
    Case(
        "quote not found",
        CLAIMS,
        "quote: Milnacipran, a serotonin and norepinephrfrine",
        "quote: Milnacipran, a serotonin and norepinephrine",
        (CLAIMS, "claim 'snri-class'", "quote not found"),
    ),
    Case(
        "quote found twice without a prefix",
        CLAIMS,
        "quote: Milnacipran, a serotonin and norepinephrfrine reuptake inhibitor\n",
        "quote: fibromyalgia\n",
        (CLAIMS, "claim 'snri-class'", "found 6 times", "prefix"),
    ),
    Case(
        "dose not a positive number",
        CLAIMS,
        "{value: 100, unit: kgo:MilligramPerDay}",
        "{value: -100, unit: kgo:MilligramPerDay}",
        (CLAIMS, "claim 'clinical-studies'", "'doses'", "positive number"),
    ),
    Case(
        "dose without a unit",
        CLAIMS,
        "{value: 100, unit: kgo:MilligramPerDay}",
        "{value: 100}",
        (CLAIMS, "claim 'clinical-studies'", "missing required field 'unit'"),
    ),
    Case(
        "dose with a unit that is not a unit",
        CLAIMS,
        "{value: 100, unit: kgo:MilligramPerDay}",
        "{value: 100, unit: hp:0012825}",
        (CLAIMS, "hp:0012825", "is not a kgo:Unit"),
    ),
    Case(
        "duplicate claim key",
        CLAIMS,
        "  - key: inhibits-serotonin-reuptake\n",
        "  - key: inhibits-norepinephrine-reuptake\n",
        (CLAIMS, "claim 'inhibits-norepinephrine-reuptake'", "duplicate claim key"),
        at=(
            "  - key: inhibits-norepinephrine-reuptake\n    subject: milnacipran\n"
            "    predicate: biolink:affects\n    object: serotonin-transporter"
        ),
    ),
    Case(
        "entity referenced but not defined",
        CLAIMS,
        "    object: snri\n",
        "    object: snri-class\n",
        (CLAIMS, "claim 'snri-class'", "entity 'snri-class' is not defined"),
    ),
    Case(
        "text in NFD form",
        ENTITIES,
        "label: Forest Research Institute",
        "label: " + unicodedata.normalize("NFD", "Forêt Research Institute"),
        (ENTITIES, "normal form NFC"),
    ),
    Case(
        "duplicate key in a mapping",
        CLAIMS,
        "    status: asserted\n    quote: Milnacipran,",
        "    status: asserted\n    status: negated\n    quote: Milnacipran,",
        (CLAIMS, "duplicate key 'status'"),
        at="    status: negated",
    ),
    Case(
        "unknown qualifier",
        CLAIMS,
        "      jurisdiction: US",
        "      country: US",
        (CLAIMS, "claim 'approved-for-fibromyalgia'", "unknown qualifier 'country'"),
    ),
    Case(
        "contradictory mapping",
        ENTITIES,
        "      - doid:631\n",
        "      - doid:631\n    broad:\n      - doid:631\n",
        (ENTITIES, "entity 'fibromyalgia'", "contradictory (exact and broad) mapping"),
        at="    broad:\n>      - doid:631",
    ),
    Case(
        "mapping confidence out of range",
        ENTITIES,
        "        confidence: 0.8\n",
        "        confidence: 1.5\n",
        (ENTITIES, "entity 'milnacipran'", "between 0 and 1"),
    ),
    Case(
        "uncertain mapping without a comment",
        ENTITIES,
        "        confidence: 0.7\n        comment: MONDO's exact match",
        "        confidence: 0.7\n        see_also: MONDO's exact match",
        (ENTITIES, "needs a comment saying why"),
        at="        confidence: 0.7\n        see",
    ),
    Case(
        "mapping local ID fails its pattern",
        ENTITIES,
        "      - mesh:D005356\n",
        "      - mesh:X005356\n",
        (ENTITIES, "entity 'fibromyalgia'", "does not match the pattern of 'mesh'"),
    ),
    Case(
        "unknown field in a mapping",
        ENTITIES,
        "{id: hp:0033630, label: Brain fog}",
        "{id: hp:0033630, lable: Brain fog}",
        (ENTITIES, "unknown field 'lable'"),
    ),
    Case(
        "prefixes changed since they were locked",
        "catalogue/prefixes.yaml",
        "  orpha: {}",
        "  orphanet: {}",
        ("catalogue/prefixes.lock.json", "stale", "run `kg prefixes`"),
        at=None,
    ),
    # --- Biolink, as locked in catalogue/biolink.lock.json -----------------------------------
    Case(
        "a category that is no Biolink class",
        ENTITIES,
        "category: [biolink:SmallMolecule, biolink:Drug]",
        "category: [biolink:SmallMolecule, biolink:Drugs]",
        (
            ENTITIES,
            "entity 'milnacipran': category: biolink:Drugs is not a class of Biolink Model",
            "(allowed: the 335 classes listed in catalogue/biolink.lock.json; "
            "the nearest is biolink:Drug)",
        ),
    ),
    Case(
        "ameliorates a condition that is a clinical attribute (the predicate's range)",
        CLAIMS,
        "    predicate: biolink:ameliorates_condition\n    object: pain\n    status: asserted",
        "    predicate: biolink:ameliorates_condition\n    object: physical-function\n"
        "    status: asserted",
        (
            CLAIMS,
            "claim 'pain-improvement-reported': object: entity 'physical-function' "
            "(biolink:ClinicalAttribute) does not fit the range of "
            "biolink:ameliorates_condition in Biolink Model",
            "(allowed: a category that is biolink:DiseaseOrPhenotypicFeature or under it, "
            "such as biolink:Disease, biolink:PhenotypicFeature",
        ),
        at="  - key: pain-improvement-reported\n    subject: milnacipran\n"
        "    predicate: biolink:ameliorates_condition\n>    object: physical-function",
    ),
    Case(
        "a hypothesis whose subject is outside the predicate's domain (checked alike)",
        CLAIMS,
        "  - key: hypothesized-symptom-improvement\n    subject: milnacipran\n",
        "  - key: hypothesized-symptom-improvement\n    subject: fibromyalgia\n",
        (
            CLAIMS,
            "claim 'hypothesized-symptom-improvement': subject: entity 'fibromyalgia' "
            "(biolink:Disease) does not fit the domain of biolink:ameliorates_condition",
            "(allowed: a category that is biolink:ChemicalOrDrugOrTreatment or under it",
        ),
        at="  - key: hypothesized-symptom-improvement\n>    subject: fibromyalgia",
    ),
    Case(
        "a negated claim whose object is outside the predicate's range (checked alike)",
        CLAIMS,
        "    object: new-safety-concern\n",
        "    object: snri\n",
        (
            CLAIMS,
            "claim 'no-new-safety-concerns': object: entity 'snri' (biolink:ChemicalRole) "
            "does not fit the range of biolink:has_adverse_event",
        ),
        at="  - key: no-new-safety-concerns\n    subject: milnacipran\n"
        "    predicate: biolink:has_adverse_event\n>    object: snri",
    ),
    Case(
        "an assessed claim whose object its Biolink edge (in_clinical_trials_for) cannot take",
        CLAIMS,
        "    predicate: biolink:ameliorates_condition\n    object: fibromyalgia\n"
        "    status: assessed\n    evidence_type: eco:0006017",
        "    predicate: biolink:affects\n    object: norepinephrine-transporter\n"
        "    status: assessed\n    evidence_type: eco:0006017",
        (
            CLAIMS,
            "claim 'composite-responder-analyses': object: entity 'norepinephrine-transporter' "
            "(biolink:Protein) does not fit the range of biolink:in_clinical_trials_for, "
            "the Biolink edge of an assessed claim",
        ),
        at="  - key: composite-responder-analyses\n    subject: milnacipran\n"
        "    predicate: biolink:affects\n>    object: norepinephrine-transporter",
    ),
    Case(
        "a project predicate's object outside the rdfs:range the ontology gives it",
        CLAIMS,
        "    object: older-fibromyalgia-medications\n",
        "    object: pain\n",
        (
            CLAIMS,
            "claim 'hypothesized-fewer-side-effects': object: entity 'pain' "
            "(biolink:PhenotypicFeature) does not fit the rdfs:range of "
            "kgo:withoutSomeSideEffectsOf in ontology/kgo.ttl",
            "(allowed: a category that is biolink:ChemicalEntity or under it",
        ),
        at="    predicate: kgo:withoutSomeSideEffectsOf\n>    object: pain",
    ),
    Case(
        "a qualifier's entity outside the range of its Biolink slot",
        CLAIMS,
        "      disease_context: fibromyalgia\n",
        "      disease_context: pain\n",
        (
            CLAIMS,
            "qualifier 'disease_context': entity 'pain' (biolink:PhenotypicFeature) does not "
            "fit the range of biolink:disease_context_qualifier in Biolink Model",
            "(allowed: a category that is biolink:Disease or under it",
        ),
    ),
    Case(
        "a claim predicate that is no Biolink term",
        ONTOLOGY,
        "biolink:treats a kgo:ClaimPredicate",
        "biolink:treatz a kgo:ClaimPredicate",
        (
            ONTOLOGY,
            "claim predicate biolink:treatz: biolink:treatz is not a predicate of Biolink Model",
            "(allowed: the 247 predicates (slots under biolink:related_to) listed in "
            "catalogue/biolink.lock.json; the nearest is biolink:treats)",
        ),
    ),
    Case(
        "a claim predicate that is a Biolink slot but no predicate",
        ONTOLOGY,
        'biolink:has_side_effect a kgo:ClaimPredicate ; rdfs:label "has side effect"@en .',
        'biolink:publications a kgo:ClaimPredicate ; rdfs:label "publications"@en .',
        (
            ONTOLOGY,
            "claim predicate biolink:publications: biolink:publications is a slot but not a "
            "predicate of Biolink Model",
            "(allowed: the 247 predicates",
        ),
    ),
    Case(
        "a project claim predicate with no Biolink predicate above it",
        ONTOLOGY,
        '    rdfs:subPropertyOf biolink:related_to ;\n    skos:definition "The subject does not',
        '    rdfs:subPropertyOf biolink:qualifier ;\n    skos:definition "The subject does not',
        (
            ONTOLOGY,
            "claim predicate kgo:withoutSomeSideEffectsOf: needs a Biolink predicate as "
            "rdfs:subPropertyOf, the edge it becomes in Biolink (biolink:qualifier is no "
            "Biolink predicate) (allowed: the 247 predicates",
        ),
        at="kgo:withoutSomeSideEffectsOf a owl:ObjectProperty",
    ),
    Case(
        "a qualifier whose Biolink slot does not exist",
        QUALIFIERS,
        "property: biolink:object_aspect_qualifier,",
        "property: biolink:object_aspect_qualifer,",
        (
            QUALIFIERS,
            "qualifier 'object_aspect': property: biolink:object_aspect_qualifer is not a slot "
            "of Biolink Model",
            "(allowed: the 583 slots listed in catalogue/biolink.lock.json; "
            "the nearest is biolink:object_aspect_qualifier)",
        ),
    ),
    Case(
        "article DOI differs from the page",
        SOURCE,
        "id: doi:10.1177/1759720X10372551",
        "id: doi:10.1177/1759720X10372552",
        (SOURCE, "does not match the document, which says doi:10.1177"),
    ),
    # --- hostile input: keys that would mint IRIs outside their place ---------------------
    *[
        Case(
            f"claim key {label}",
            CLAIMS,
            "  - key: snri-class\n",
            f"  - key: {key}\n",
            (CLAIMS, "must be lower-case ASCII letters and digits"),
        )
        for label, key in (
            ("with a path", "../../../evil"),
            ("with a hash", "'x#y'"),
            ("with a Cyrillic look-alike", "snri-\u0441lass"),
            ("with a space", "'snri class'"),
            ("with a trailing newline", '"snri-class\\n"'),
        )
    ],
    Case(
        "entity key with a trailing newline",
        ENTITIES,
        "  - key: milnacipran\n",
        '  - key: "milnacipran\\n"\n',
        (ENTITIES, "must be lower-case ASCII letters and digits"),
    ),
    Case(
        "source key with a path",
        SOURCE,
        "key: pubmed-22870448\n",
        "key: ../pubmed-22870448\n",
        (SOURCE, "source", "must be lower-case ASCII"),
    ),
    Case(
        "publisher key with a slash",
        "dataset.yaml",
        "  key: drugclaims-project\n",
        "  key: drugclaims/project\n",
        ("dataset.yaml", "publisher", "must be lower-case ASCII"),
    ),
    Case(
        "release version with a path",
        "dataset.yaml",
        "version: 0.1.0\n",
        "version: 0.1.0/../../x\n",
        ("dataset.yaml", "version", "names the release's IRI"),
    ),
    Case(
        "source folder outside the project",
        "dataset.yaml",
        "  - sources/pubmed-22870448\n",
        "  - ../../etc\n",
        ("dataset.yaml", "must be a relative folder inside the project"),
    ),
    Case(
        "source file outside its folder",
        SOURCE,
        "file: source.txt\n",
        "file: ../../../../etc/passwd\n",
        (SOURCE, "must be a file name in"),
    ),
    # --- identifiers that only look right ------------------------------------------------
    Case(
        "fullwidth digits in an identifier",
        ENTITIES,
        "      - mesh:D005356\n",
        "      - mesh:D\uff10\uff10\uff15\uff13\uff15\uff16\n",
        (ENTITIES, "does not match the pattern of 'mesh'"),
    ),
    Case(
        "trailing newline in an identifier",
        ENTITIES,
        "      - mesh:D005356\n",
        '      - "mesh:D005356\\n"\n',
        (ENTITIES, "does not match the pattern of 'mesh'"),
    ),
    # --- fields that must be text ----------------------------------------------------------
    Case(
        "quote is a list",
        CLAIMS,
        "    quote: Milnacipran, a serotonin and norepinephrfrine reuptake inhibitor\n",
        "    quote: [Milnacipran, a serotonin]\n",
        (CLAIMS, "claim 'snri-class'", "quote: expected text, got a list"),
    ),
    Case(
        "note is a mapping",
        CLAIMS,
        "    note: The source gives no ratio; none is recorded.\n",
        "    note: {text: The source gives no ratio}\n",
        (CLAIMS, "note: expected text, got a mapping"),
    ),
    Case(
        "a date instead of text",
        ENTITIES,
        "    description: Harborside Financial Center",
        "    description: 2010-08-01\n    comment: Harborside Financial Center",
        (ENTITIES, "a date or time (quote it to make it text) is not accepted"),
    ),
    Case(
        "binary data",
        ENTITIES,
        "    description: Harborside Financial Center",
        "    description: !!binary aGVsbG8=\n    comment: Harborside Financial Center",
        (ENTITIES, "binary data (!!binary) is not accepted"),
    ),
    Case(
        "a set",
        ENTITIES,
        "    synonyms: [dyscognition]\n",
        "    synonyms: !!set {dyscognition, brain fog}\n",
        (ENTITIES, "a set (!!set) is not accepted"),
    ),
    Case(
        "an infinite dose",
        CLAIMS,
        "        - {value: 100, unit: kgo:MilligramPerDay}\n",
        "        - {value: .inf, unit: kgo:MilligramPerDay}\n",
        (CLAIMS, "'.inf' is not a finite number"),
    ),
    Case(
        "a lone surrogate",
        ENTITIES,
        "    synonyms: [dyscognition]\n",
        '    synonyms: ["dys\\ud800cognition"]\n',
        (ENTITIES,),  # libyaml: "invalid Unicode character escape"; PyYAML: "lone surrogate"
    ),
    Case(
        "licence that is not an http IRI",
        "dataset.yaml",
        "license: https://creativecommons.org/licenses/by/4.0/\n",
        "license: javascript:alert(1)\n",
        ("dataset.yaml", "license: 'javascript:alert(1)' is not an http(s) IRI"),
    ),
    Case(
        "alias bomb",
        ENTITIES,
        "entities:\n",
        BOMB,
        (ENTITIES, "aliases (*name) are not accepted"),
        at="  b: &b",
    ),
    Case(
        "a negated claim that is not a hypothesis",
        CLAIMS,
        "    object: snri\n    status: asserted\n",
        "    object: snri\n    status: asserted\n    negated: true\n",
        (CLAIMS, "claim 'snri-class'", "only a hypothesis may be negated"),
        at="    negated: true",
    ),
    Case(
        "a knowledge level the status sets",
        CLAIMS,
        "    status: hypothesis\n    quote: it was hypothesized that milnacipran would provide "
        "improvements in pain\n",
        "    status: hypothesis\n    knowledge_level: knowledge_assertion\n    quote: it was "
        "hypothesized that milnacipran would provide improvements in pain\n",
        (CLAIMS, "a hypothesis claim's level is 'prediction', set by its status"),
        at="    knowledge_level: knowledge_assertion",
    ),
    Case(
        "a qualifier's reading with no place for its values",
        "catalogue/qualifiers.yaml",
        'reading: "by {}"',
        'reading: "by {0}"',
        ("catalogue/qualifiers.yaml", "qualifier 'causal_mechanism'", "reading: expected a phrase"),
        at="  causal_mechanism:",
    ),
    Case(
        "a qualifier named as a column of the claims table",
        "catalogue/qualifiers.yaml",
        "qualifiers:\n",
        "qualifiers:\n  status: {property: kgo:exposure, kind: text}\n",
        ("catalogue/qualifiers.yaml", "columns of the claims table: ['status']"),
        at=None,
    ),
    Case(
        "a prefix with a trailing space (said once, not wrapped in the quote's error)",
        CLAIMS,
        "    quote: norepinephrfrine reuptake inhibitor\n",
        "    quote: norepinephrfrine reuptake inhibitor\n    prefix: 'a '\n",
        (CLAIMS, "claim 'inhibits-norepinephrine-reuptake': prefix: text with a leading"),
        at="    prefix: 'a '",
    ),
    Case(
        "unknown top-level key",
        CLAIMS,
        "claims:\n",
        "claimz: []\nclaims:\n",
        (CLAIMS, "unknown key 'claimz' (expected: claims)"),
    ),
    result_case(
        "p-value above 1",
        "p_value: {value: 1.5, operator: '<'}",
        "p_value",
        "value",
        "a number in [0, 1]",
        "1.5",
    ),
    result_case(
        "p-value operator unknown",
        "p_value: {value: 0.01, operator: '<<'}",
        "operator",
        "'<<'",
        "< <= = >= >",
    ),
    result_case(
        "p-value as text",
        "p_value: '<0.001'",
        "p_value",
        "kind 'p_value'",
        "'<0.001'",
    ),
    result_case(
        "interval reversed",
        "confidence_interval: {lower: 3, upper: 2, level: 0.95}",
        "lower 3 is greater than upper 2",
    ),
    result_case(
        "interval level as a percentage",
        "confidence_interval: {lower: -1, upper: 2, level: 95}",
        "level",
        "(0, 1)",
        "95",
    ),
    result_case(
        "statistic not a statistic",
        "effect: {statistic: kgo:Month, value: -2, unit: kgo:Point}",
        "statistic",
        "kgo:Month",
        "kgo:Statistic",
    ),
    result_case(
        "population of no patients",
        "population: {label: nobody, size: 0}",
        "size must be a positive integer",
        "0",
    ),
    result_case(
        "dose range reversed",
        "dose_range: {min: 200, max: 50, unit: kgo:MilligramPerDay}",
        "min 200 is greater than max 50",
    ),
    result_case(
        "link to a claim the source lacks",
        "similar_to: no-such-claim",
        "similar_to",
        "no claim 'no-such-claim' in this source",
        "known:",
    ),
    result_case(
        "link to itself",
        "refines: pain-improvement-reported",
        "refines",
        "cannot link to itself",
    ),
    result_case(
        "link not a claim key",
        "conflicts_with: '../x'",
        "conflicts_with",
        "'../x'",
        "source/claim",
    ),
]


def expected_line(path: Path, case: Case) -> int:
    """The line the message must name, in the changed file."""
    at = case.at or case.new.strip("\n").split("\n")[0] or case.old.split("\n")[0]
    return line_of(path, at)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_reported_and_nothing_is_written(
    case: Case, project: Path, kg: Callable[..., Result]
) -> None:
    path = project / case.file
    text = path.read_text(encoding="utf-8")
    assert text.count(case.old) >= 1, f"fixture out of date: {case.old!r} not in {case.file}"
    path.write_text(text.replace(case.old, case.new, 1), encoding="utf-8")
    before = fingerprint(project / "dist")

    result = kg("--project", project, "build")

    assert result.exit_code == 2, result.output
    message = result.stderr
    assert message.startswith("kg: error: "), message
    assert len(message.strip().splitlines()) == 1, message
    assert "Traceback" not in message
    for fragment in case.expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert message.count(f"{case.file}:") <= 1, f"the place is said twice: {message!r}"
    if case.at is not None:
        line = expected_line(path, case)
        assert f"{case.file}:{line}:" in message, f"message does not name line {line}: {message!r}"
    assert fingerprint(project / "dist") == before


def test_source_bytes_changed_is_reported(project: Path, kg: Callable[..., Result]) -> None:
    text = project / TEXT
    text.write_bytes(text.read_bytes().replace(b"norepinephrfrine", b"norepinephrine"))
    before = fingerprint(project / "dist")
    result = kg("--project", project, "build")
    assert result.exit_code == 2
    assert f"{SOURCE}:{line_of(project / SOURCE, 'sha256:')}:" in result.stderr
    assert "no longer as received" in result.stderr
    assert fingerprint(project / "dist") == before


def test_unrecognised_page_is_reported(project: Path, kg: Callable[..., Result]) -> None:
    text = project / TEXT
    data = text.read_bytes().replace(b"Author information", b"Authors")
    text.write_bytes(data)
    source = project / SOURCE
    source.write_text(
        source.read_text().replace(
            "333ea97c5abc4934b1df39419f2910871a90e5a2e7ccbd046cba40af52b4d61d",
            hashlib.sha256(data).hexdigest(),
        )
    )
    result = kg("--project", project, "build")
    assert result.exit_code == 2
    assert TEXT in result.stderr and "expected 'Author information'" in result.stderr


def test_not_a_project(tmp_path: Path, kg: Callable[..., Result]) -> None:
    result = kg("--project", tmp_path, "build")
    assert result.exit_code == 2
    assert "not a kg project: no dataset.yaml" in result.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback_and_exits_2(
    where: str, project: Path, kg: Callable[..., Result]
) -> None:
    """--debug adds the traceback; the exit code stays 2 (it was 1, click's crash code)."""
    (project / CLAIMS).write_text("claims: [", encoding="utf-8")
    args = ["--debug", "build"] if where == "before" else ["build", "--debug"]
    result = kg("--project", project, *args)
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "kg.errors.InputError" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("kg: error: ")


@pytest.mark.parametrize("rename", [False, True])
def test_two_sources_may_not_share_a_key_or_an_article(
    rename: bool, project: Path, kg: Callable[..., Result]
) -> None:
    """A copied source folder: with the same key (it names the graph and every IRI the
    source mints) or, renamed, the same article: one line naming both, exit 2."""
    import shutil

    shutil.copytree(project / "sources/pubmed-22870448", project / "sources/copy")
    if rename:
        meta = project / "sources/copy/source.yaml"
        meta.write_text(meta.read_text().replace("key: pubmed-22870448", "key: copy-of-it"))
    dataset = project / "dataset.yaml"
    dataset.write_text(dataset.read_text() + "  - sources/copy\n")
    before = fingerprint(project / "dist")
    result = kg("--project", project, "build")
    assert result.exit_code == 2
    what = "article 'https://doi.org/" if rename else "key 'pubmed-22870448'"
    assert result.stderr.startswith(f"kg: error: sources/copy/source.yaml: source: {what}")
    assert "is also the" in result.stderr and "sources/pubmed-22870448/source.yaml" in result.stderr
    assert fingerprint(project / "dist") == before


@pytest.mark.parametrize("parser", ["libyaml", "pyyaml"])
def test_an_alias_bomb_is_refused_by_either_parser(parser: str) -> None:
    """Aliases are refused whether PyYAML parses with libyaml (the tree is checked once, each
    node visited once) or with its own parser (each alias where it stands)."""
    import yaml

    from kg.curation import records
    from kg.errors import InputError

    base = yaml.CSafeLoader if parser == "libyaml" else yaml.SafeLoader
    loader = type("Loader", (records._NoAliases, base), {"file": "bomb.yaml"})
    with pytest.raises(InputError, match=r"bomb\.yaml:3: aliases \(\*name\) are not accepted"):
        yaml.load(BOMB, Loader=loader)


def test_an_unlisted_source_folder_is_an_error_not_ignored(
    project: Path, kg: Callable[..., Result]
) -> None:
    """A source folder that dataset.yaml does not list was ignored in silence: now one line
    says which folder and what to do, and nothing is written."""
    import shutil

    shutil.copytree(project / "sources/pubmed-22870448", project / "sources/pubmed-99999999")
    before = fingerprint(project / "dist")
    result = kg("--project", project, "build")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("kg: error: dataset.yaml:") and len(line.splitlines()) == 1
    assert "sources/pubmed-99999999 holds a source that is not listed" in line
    assert "add '- sources/pubmed-99999999' under sources:" in line
    assert fingerprint(project / "dist") == before
