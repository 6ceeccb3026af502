"""Nanopublications: one a claim, well-formed and with a valid trusty URI by the nanopub
library's own checks (offline), signed when given a key; a tampered one fails; they load into
Oxigraph as four named graphs each and give back the claims of the release."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import yaml
from click.testing import Result
from conftest import copy_project
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.runtime.offline import offline

KGO = "https://w3id.org/drugclaims/ontology#"
BIOLINK = "https://w3id.org/biolink/vocab/"
NP = "http://www.nanopub.org/nschema#"


def nanopub_of(path: Path) -> object:
    nanopub = pytest.importorskip("nanopub.nanopub")
    with offline():
        return nanopub.Nanopub(rdf=path)


def checks(path: Path) -> tuple[bool, bool]:
    """The nanopub library's verdicts: well-formed, and trusty URI valid (the library raises
    MalformedNanopubError for a wrong trusty URI: that is a failed check)."""
    from nanopub.utils import MalformedNanopubError

    found = nanopub_of(path)
    with offline():
        try:
            return found.is_valid, found.has_valid_trusty  # type: ignore[attr-defined]
        except MalformedNanopubError:
            return found.is_valid, False  # type: ignore[attr-defined]


def test_every_claim_is_a_valid_nanopub_with_a_trusty_uri(release: Path) -> None:
    files = sorted((release / "nanopubs").rglob("*.trig"))
    store = ox.Store()
    store.load(path=str(release / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    claims = list(store.quads_for_pattern(None, rdf_type, ox.NamedNode(KGO + "Claim")))
    assert len(files) == len(claims) > 10
    for path in files:
        assert checks(path) == (True, True), path


def test_a_tampered_nanopub_fails_its_trusty_check(release: Path, tmp_path: Path) -> None:
    path = release / "nanopubs/pubmed-22870448/no-new-safety-concerns.trig"
    tampered = tmp_path / "tampered.trig"
    text = path.read_text(encoding="utf-8")
    changed = re.sub(r"biolink:negated true", "biolink:negated false", text, count=1)
    assert changed != text
    tampered.write_text(changed, encoding="utf-8")
    assert checks(tampered)[1] is False


def test_a_negated_claim_reads_negated_inside_its_assertion(release: Path) -> None:
    store = ox.Store()
    store.load(
        path=str(release / "nanopubs/pubmed-22870448/no-new-safety-concerns.trig"),
        format=ox.RdfFormat.TRIG,
    )
    (row,) = store.query(
        f"SELECT ?a WHERE {{ GRAPH ?h {{ ?np <{NP}hasAssertion> ?a }} }}",
        use_default_graph_as_union=True,
    )
    assertion = row["a"]
    negated = list(
        store.quads_for_pattern(None, ox.NamedNode(BIOLINK + "negated"), None, assertion)
    )
    assert [q.object.value for q in negated] == ["true"]
    status = list(
        store.quads_for_pattern(None, ox.NamedNode(KGO + "epistemicStatus"), None, assertion)
    )
    assert [q.object.value for q in status] == [KGO + "Negated"]
    direct = list(
        store.quads_for_pattern(None, ox.NamedNode(BIOLINK + "has_adverse_event"), None, assertion)
    )
    assert direct == []  # a negated claim has no direct triple


def test_the_nanopubs_load_into_oxigraph_and_give_back_the_claims(release: Path) -> None:
    nanopubs = ox.Store()
    nanopubs.load(path=str(release / "nanopubs.trig"), format=ox.RdfFormat.TRIG)
    heads = list(nanopubs.quads_for_pattern(None, None, ox.NamedNode(NP + "Nanopublication")))
    for head in heads:
        parts = {
            q.predicate.value
            for q in nanopubs.quads_for_pattern(head.subject, None, None, head.graph_name)
        }
        assert {NP + "hasAssertion", NP + "hasProvenance", NP + "hasPublicationInfo"} <= parts
    query = (
        f"SELECT ?c ?s ?p ?o ?st ?n WHERE {{ {{}} GRAPH ?g {{ ?c a <{KGO}Claim> ; "
        f"<{BIOLINK}subject> ?s ; <{BIOLINK}predicate> ?p ; <{BIOLINK}object> ?o ; "
        f"<{KGO}epistemicStatus> ?st ; <{BIOLINK}negated> ?n }} }}"
    )
    graph = ox.Store()
    graph.load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)

    def rows(store: ox.Store) -> set[tuple[str, ...]]:
        return {
            tuple(str(row[v]) for v in ("c", "s", "p", "o", "st", "n"))
            for row in store.query(query)
        }

    assert rows(nanopubs) == rows(graph)
    assert len(heads) == len(rows(graph))


def test_a_changed_claim_changes_only_its_nanopub_uri(
    tmp_path: Path, kg: Callable[..., Result]
) -> None:
    project = copy_project(tmp_path / "project")
    assert kg("--project", project, "build", "--no-cache").exit_code == 0
    before = uris(project / "dist")
    claims = project / "sources/pubmed-22870448/claims.yaml"
    data = yaml.safe_load(claims.read_text(encoding="utf-8"))
    data["claims"][0]["note"] = "Edited: this claim's nanopublication must get a new URI."
    claims.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert kg("--project", project, "build", "--no-cache").exit_code == 0
    after = uris(project / "dist")
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {data["claims"][0]["key"]}


def uris(release: Path) -> dict[str, str]:
    found = {}
    for path in sorted((release / "nanopubs").rglob("*.trig")):
        (uri,) = set(re.findall(r"<(http://purl\.org/np/RA[\w-]+)>", path.read_text()))
        found[path.stem] = uri
    return found


@pytest.mark.slow
def test_signed_with_a_key_it_generates(tmp_path: Path, kg: Callable[..., Result]) -> None:
    profile = pytest.importorskip("nanopub.profile")
    keys = tmp_path / "keys"
    profile.generate_keyfiles(keys)
    project = copy_project(tmp_path / "project")
    result = kg("--project", project, "build", "--no-cache", "--sign-key", keys / "id_rsa")
    assert result.exit_code == 0, result.stderr
    path = project / "dist/nanopubs/pubmed-22870448/snri-class.trig"
    signed = nanopub_of(path)
    with offline():
        assert signed.is_valid and signed.has_valid_trusty  # type: ignore[attr-defined]
        assert signed.has_valid_signature  # type: ignore[attr-defined]
    tampered = tmp_path / "tampered.trig"
    tampered.write_text(path.read_text().replace("milnacipran", "milnaciprin", 1))
    assert checks(tampered)[1] is False
    assert not list((project).rglob("id_rsa"))  # the key is not copied into the project


def test_a_bad_key_is_one_line(tmp_path: Path, kg: Callable[..., Result]) -> None:
    key = tmp_path / "key"
    key.write_text("not a key\n")
    project = copy_project(tmp_path / "project")
    result = kg("--project", project, "build", "--sign-key", key)
    assert result.exit_code == 2
    assert "not an RSA private key" in result.stderr
    shutil.rmtree(project)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda rsa: rsa.generate(2048).public_key().export_key(format="DER"), "a public key"),
        (lambda rsa: rsa.generate(1024).export_key(format="DER"), "1024 bits: at least 2048"),
        (None, "larger than a key file can be"),
    ],
    ids=["public key", "1024-bit key", "endless file"],
)
def test_a_key_that_cannot_sign_safely_is_one_line(
    tmp_path: Path, kg: Callable[..., Result], make: Any, expected: str
) -> None:
    """A public key, a key shorter than 2,048 bits, or a file that never ends (``/dev/zero``)
    is refused in one line before anything is built, never an internal error or a read that
    fills the memory."""
    from base64 import b64encode

    from Crypto.PublicKey import RSA

    if make is None:
        key = Path("/dev/zero")
    else:
        key = tmp_path / "key"
        key.write_bytes(b64encode(make(RSA)))
    project = copy_project(tmp_path / "project")
    result = kg("--project", project, "build", "--sign-key", key)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "internal error" not in result.stderr


# --- the trusty URI's hash, computed as the library computes it --------------------------------

_TEMP = "http://purl.org/nanopub/temp/np/"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_iris = st.sampled_from(
    [
        _TEMP,
        _TEMP[:-1],
        _TEMP + "assertion",
        _TEMP + "x/y",
        "http://purl.org/nanopub/temp/npx",
        "http://example.org/a",
        "http://example.org/a~b",
        "http://example.org/a#b",
        "http://example.org/é",
        "https://w3id.org/drugclaims/id/claim/1",
    ]
)
_graphs = st.sampled_from([_TEMP + n for n in ("Head", "assertion", "provenance", "pubinfo")])
_typed = st.sampled_from(
    [
        ("01", "integer"),
        ("abc", "integer"),
        ("1.50", "decimal"),
        ("1", "boolean"),
        ("1E0", "double"),
        ("2024-01-02T03:04:05Z", "dateTime"),
        ("2024-1-2", "date"),
        ("x", "anyURI"),
    ]
)
_literals = st.one_of(
    st.text(max_size=12).map(ox.Literal),
    st.tuples(st.text(max_size=8), st.sampled_from(["en", "en-gb", "de"])).map(
        lambda t: ox.Literal(t[0], language=t[1])
    ),
    _typed.map(lambda t: ox.Literal(t[0], datatype=ox.NamedNode(_XSD + t[1]))),
    st.sampled_from(["a\\b", "line\nbreak", 'tab\tquote"', "ü ß 中"]).map(ox.Literal),
)
_quads = st.lists(
    st.tuples(_iris, _iris, st.one_of(_iris.map(ox.NamedNode), _literals), _graphs).map(
        lambda t: ox.Quad(ox.NamedNode(t[0]), ox.NamedNode(t[1]), t[2], ox.NamedNode(t[3]))
    ),
    min_size=1,
    max_size=12,
)


def _librarys_hash(quads: list[ox.Quad]) -> str:
    """The artefact the nanopub library's hasher gives the quads, as rdflib terms."""
    from nanopub.trustyuri.rdf import RdfHasher

    from kg.formats.nanopubs import TEMP, _rdflib

    return str(RdfHasher.make_hash(sorted(_rdflib(q) for q in quads), baseuri=TEMP, hashstr=" "))


@settings(max_examples=300, deadline=None)
@given(quads=_quads)
def test_the_trusty_hash_is_the_librarys(quads: list[ox.Quad]) -> None:
    """kg computes the trusty URI's artefact from the quads' strings (issue 20: the library's
    hasher, on rdflib terms, took a quarter of a source's unit); it must be the library's,
    whatever the IRIs (under the temporary namespace or not), literals (escapes, languages,
    datatypes rdflib writes in another form), order and repeats."""
    from kg.formats.nanopubs import trusty_artefact

    expected = _librarys_hash(quads)
    assert trusty_artefact(quads) == expected
    assert trusty_artefact([*reversed(quads), quads[0]]) == expected


def test_a_nanopublication_with_a_blank_node_is_hashed_by_the_library() -> None:
    from kg.formats.nanopubs import trusty_artefact

    head = ox.NamedNode(_TEMP + "Head")
    quads = [
        ox.Quad(
            ox.NamedNode(_TEMP), ox.NamedNode("http://example.org/p"), ox.BlankNode("b1"), head
        ),
        ox.Quad(ox.BlankNode("b1"), ox.NamedNode("http://example.org/q"), ox.Literal("v"), head),
    ]
    expected = _librarys_hash(quads)
    assert trusty_artefact(quads) == expected


def test_literals_of_one_lexical_form_are_hashed_in_the_librarys_order() -> None:
    """Ties the generated cases rarely reach: one lexical form as a string, a language string
    and two typed literals (rdflib writes "01"^^xsd:integer as 1), in one statement's place."""
    from kg.formats.nanopubs import trusty_artefact

    graph, subject, predicate = (ox.NamedNode(_TEMP + n) for n in ("assertion", "s", "p"))
    objects = [
        ox.Literal("1"),
        ox.Literal("1", language="en"),
        ox.Literal("1", language="de"),
        ox.Literal("01", datatype=ox.NamedNode(_XSD + "integer")),
        ox.Literal("1", datatype=ox.NamedNode(_XSD + "decimal")),
        ox.NamedNode(_TEMP + "1"),
    ]
    for order in (objects, objects[::-1], objects[2:] + objects[:2]):
        quads = [ox.Quad(subject, predicate, o, graph) for o in order]
        assert trusty_artefact(quads) == _librarys_hash(quads)


def test_a_literal_that_names_the_temporary_namespace_is_left_as_it_is() -> None:
    """Found by review: the temporary URIs were replaced in the N-Quads text, so a quote that
    held ``<http://purl.org/nanopub/temp/np/…`` was rewritten after it was hashed (and the
    trusty URI no longer held); IRIs only are replaced, the namespace without its last slash
    too (the hasher reads it as the nanopublication's own URI)."""
    from kg.formats.nanopubs import Settings, _trusty

    head, assertion = (ox.NamedNode(_TEMP + n) for n in ("Head", "assertion"))
    text = f"a quote naming <{_TEMP}x> and <{_TEMP}>"
    quads = [
        ox.Quad(ox.NamedNode(_TEMP), ox.NamedNode(f"{_TEMP}p"), assertion, head),
        ox.Quad(ox.NamedNode(_TEMP[:-1]), ox.NamedNode(f"{_TEMP}q"), ox.Literal(text), assertion),
    ]
    made = _trusty(quads, Settings(license="http://l.example", creator="http://c.example"))
    lines = [str(quad) for quad in made]
    (uri,) = {line.split(" ", 1)[0] for line in lines if line.startswith("<http://purl.org/np/")}
    assert any(f'"{text}"' in line for line in lines)
    assert all(line.startswith(uri) for line in lines)  # both subjects: the nanopublication
    assert not any(_TEMP in line.replace(f'"{text}"', "") for line in lines)
