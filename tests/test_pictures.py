"""The site's pictures (kg.web.pictures, kg.web.figures): each claim's diagram names its parts
and its status in words, styled by the status; the index's charts count what the release holds;
labels cannot break a diagram nor inject markup; every picture is well-formed SVG with a text
alternative; without Graphviz's dot, kg site and kg serve say so in one line."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pyoxigraph as ox
import pytest
from click.testing import Result
from folders import describe_anew

from kg.web.pictures import STATUS_STYLES, ClaimFigure, claim_dot, draw
from kg.web.site import ROOT, build_site

KGO = ROOT + "ontology#"
BIOLINK = "https://w3id.org/biolink/vocab/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PREFIXES = f"""PREFIX kgo: <{KGO}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX biolink: <https://w3id.org/biolink/vocab/>
"""
#: A claim's parts and its status, in the release's own words.
CLAIMS = (
    PREFIXES
    + """SELECT ?claim ?subject ?s ?p ?o ?status ?sl ?negated WHERE {
  ?claim a kgo:Claim ; biolink:subject ?subject ; biolink:predicate ?predicate ;
    biolink:object ?object ; kgo:epistemicStatus ?status ; biolink:negated ?negated .
  ?subject rdfs:label ?s . ?predicate rdfs:label ?p . ?object rdfs:label ?o .
  ?status rdfs:label ?sl .
} ORDER BY ?claim"""
)


@pytest.fixture(scope="module")
def site(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pictures") / "site"
    build_site(release, out)
    return out


def store_of(release: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    return store


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    found = store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in found.variables]  # type: ignore[union-attr]
    return [{n: row[n].value for n in names if row[n] is not None} for row in found]  # type: ignore[union-attr]


def page_of(site: Path, iri: str) -> Path:
    assert iri.startswith(ROOT + "id/"), iri
    return site / "doc" / (iri[len(ROOT + "id/") :] + ".html")


def pictures(page: Path) -> list[ET.Element]:
    """Every figure's SVG on a page, parsed as XML (it fails on malformed markup)."""
    html = page.read_text(encoding="utf-8")
    found = re.findall(r'<figure class="picture">(<svg .*?</svg>)', html, flags=re.S)
    return [ET.fromstring(svg) for svg in found]


def tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def texts(svg: ET.Element) -> str:
    """What a picture draws in words: its text elements, joined by spaces."""
    return " ".join(e.text or "" for e in svg.iter() if tag(e) == "text")


def shows(label: str, drawn: str) -> bool:
    """The label is drawn, whole or shortened (its beginning, then "…")."""
    return label in drawn or (label[:12] in drawn and "…" in drawn)


def test_every_claim_page_has_a_diagram_naming_its_parts_and_status(
    release: Path, site: Path
) -> None:
    claims = select(store_of(release), CLAIMS)
    assert claims
    for claim in claims:
        (svg,) = pictures(page_of(site, claim["claim"]))
        drawn = texts(svg)
        for part in ("s", "p", "o"):
            assert shows(claim[part], drawn), (claim["claim"], claim[part], drawn)
        assert f"[{claim['sl']}" in drawn, (claim["claim"], drawn)  # the status in words
        style = STATUS_STYLES[claim["status"].rsplit("#", 1)[1].lower()]
        strokes = {e.get("stroke") for e in svg.iter()}
        assert style.color in strokes  # and styled as that status
        if claim["negated"] == "true":
            assert "not: " in drawn
        (description,) = (e.text or "" for e in svg if tag(e) == "desc")
        for part in ("s", "p", "o", "sl"):
            assert claim[part] in description


def test_every_status_the_ontology_defines_has_a_style_of_its_own(release: Path) -> None:
    statuses = select(store_of(release), PREFIXES + "SELECT ?s WHERE { ?s a kgo:EpistemicStatus }")
    words = {row["s"].rsplit("#", 1)[1].lower() for row in statuses}
    assert len(words) >= 4
    assert words <= set(STATUS_STYLES)
    styles = [STATUS_STYLES[word] for word in words]
    for trait in ("color", "line", "shape"):  # colour is never the only sign
        assert len({getattr(style, trait) for style in styles}) == len(styles), trait


def bars(svg: ET.Element) -> dict[str, int]:
    """A chart's bars: each one's label (from its title) and the number it shows."""
    found = {}
    for row in svg.iter():
        if tag(row) != "g" or row.get("class") != "bar":
            continue
        title = next(e.text or "" for e in row if tag(e) == "title")
        count = next(e.text or "" for e in row if tag(e) == "text" and e.get("class") == "count")
        found[title.rsplit(": ", 1)[0]] = int(count)
    return found


def test_the_index_charts_count_the_release_by_status_and_predicate(
    release: Path, site: Path
) -> None:
    store = store_of(release)
    by_status = select(
        store,
        PREFIXES
        + """SELECT ?label (COUNT(DISTINCT ?claim) AS ?n) WHERE {
          ?status a kgo:EpistemicStatus ; rdfs:label ?label .
          OPTIONAL { ?claim kgo:epistemicStatus ?status } } GROUP BY ?label""",
    )
    by_predicate = select(
        store,
        PREFIXES
        + """SELECT ?label (COUNT(DISTINCT ?claim) AS ?n) WHERE {
          ?claim a kgo:Claim ; biolink:predicate ?p . ?p rdfs:label ?label } GROUP BY ?label""",
    )
    status_chart, predicate_chart = pictures(site / "index.html")
    assert bars(status_chart) == {row["label"]: int(row["n"]) for row in by_status}
    assert bars(predicate_chart) == {row["label"]: int(row["n"]) for row in by_predicate}
    total = select(store, PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?c a kgo:Claim }")
    assert sum(bars(status_chart).values()) == int(total[0]["n"]) > 0


def all_pictures(site: Path) -> Iterator[tuple[Path, ET.Element]]:
    for page in sorted(site.rglob("*.html")):
        for svg in pictures(page):
            yield page, svg


def test_every_picture_is_svg_with_a_text_alternative(release: Path, site: Path) -> None:
    """role="img", labelled by its own title and description, a caption beside it; no
    script, no link, nothing loaded; no id twice on a page."""
    seen = 0
    for page, svg in all_pictures(site):
        seen += 1
        assert tag(svg) == "svg" and svg.get("role") == "img", page
        ids = {e.get("id"): e for e in svg.iter() if e.get("id")}
        named = [ids[i] for i in (svg.get("aria-labelledby") or "").split()]
        assert [tag(e) for e in named] == ["title", "desc"] and all(e.text for e in named)
        assert not {tag(e) for e in svg.iter()} & {"script", "a", "image", "foreignObject"}
        html = page.read_text(encoding="utf-8")
        for ident in ids:
            assert html.count(f'id="{ident}"') == 1, (page, ident)
    claims = select(store_of(release), PREFIXES + "SELECT ?c WHERE { ?c a kgo:Claim }")
    assert seen >= len(claims) + 2  # each claim, the two charts, and the entities


def hostile_release(release: Path, folder: Path, labels: dict[str, str]) -> Path:
    """A copy of the release whose resources in ``labels`` are labelled so instead."""
    shutil.copytree(release, folder)
    quads = [
        ox.Quad(q.subject, q.predicate, ox.Literal(labels[q.subject.value]), q.graph_name)
        if q.predicate.value == LABEL and getattr(q.subject, "value", None) in labels
        else q
        for q in ox.parse(path=str(release / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    ]
    (folder / "graph.nq").write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")
    describe_anew(folder, "graph.nq")  # as whoever wrote the labels could
    return folder


HOSTILE = 'a "b" <script>x</script> &amp; \\N\n} -> evil [label="z"]; {\x01'


def test_hostile_labels_are_escaped_and_long_ones_shortened(release: Path, tmp_path: Path) -> None:
    """A label with a quote, markup, an entity, a backslash escape of dot, a newline, DOT
    syntax and a control character is drawn as it is written (its newline and control
    character spaces) and breaks nothing; a very long one is wrapped and shortened on the
    picture, whole in its description."""
    claim = select(store_of(release), CLAIMS)[0]
    subject = claim["subject"]
    obj = select(
        store_of(release), f"SELECT ?o WHERE {{ <{claim['claim']}> <{BIOLINK}object> ?o }}"
    )[0]["o"]
    long = "the " + "very " * 100 + "long label"
    hostile = hostile_release(release, tmp_path / "hostile", {subject: HOSTILE, obj: long})
    site = tmp_path / "site"
    build_site(hostile, site)
    page = page_of(site, claim["claim"])
    (svg,) = pictures(page)
    drawn = texts(svg)
    assert HOSTILE.replace("\n", " ").replace("\x01", "") in drawn  # XML cannot hold \x01
    nodes = [e for e in svg.iter() if tag(e) == "g" and e.get("class") == "node"]
    assert len(nodes) in (3, 4)  # subject, claim, object (and qualifiers): nothing injected
    assert "<script>" not in page.read_text(encoding="utf-8")
    lines = [e.text or "" for e in svg.iter() if tag(e) == "text"]
    assert max(len(line) for line in lines) <= 48
    assert "…" in drawn and long not in drawn
    (description,) = (e.text or "" for e in svg if tag(e) == "desc")
    assert long in description and HOSTILE.replace("\x01", " ") in description
    drawing = [svg for _, svg in all_pictures(site) if 'a "b" <script>' in texts(svg)]
    assert len(drawing) >= 2  # the claim's and its subject's pictures parse, and say the label


@pytest.fixture
def no_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH on which there is no dot."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None


@pytest.mark.parametrize("command", ["site", "serve"])
def test_without_dot_kg_says_what_to_install_in_one_line(
    command: str, release: Path, tmp_path: Path, no_dot: None, kg: Callable[..., Result]
) -> None:
    extra = ["--out", tmp_path / "site"] if command == "site" else ["--port", "1"]
    result = kg(command, "--release", release, *extra)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "graphviz" in result.stderr and "--no-pictures" in result.stderr
    assert not (tmp_path / "site").exists()


def test_no_pictures_writes_the_site_without_them(
    release: Path, tmp_path: Path, no_dot: None, kg: Callable[..., Result]
) -> None:
    site = tmp_path / "site"
    result = kg("site", "--release", release, "--out", site, "--no-pictures")
    assert result.exit_code == 0, result.stderr
    pages = list(site.rglob("*.html"))
    assert len(pages) > 10
    assert not any("<svg" in page.read_text(encoding="utf-8") for page in pages)


def fake_dot(folder: Path, script: str) -> None:
    """A ``dot`` on PATH that runs ``script`` (a shell script)."""
    folder.mkdir()
    dot = folder / "dot"
    dot.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    dot.chmod(0o755)


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ("echo 'Error: something broke' >&2; exit 3", "dot failed (exit 3): Error: something"),
        ("exec sleep 30", "took more than"),  # stopped at its time, not waited for
        ("cat >/dev/null; echo '<?xml version=\"1.0\"?><svg/>'", "dot drew 1 pictures of"),
    ],
)
def test_a_dot_that_fails_is_one_line(
    script: str,
    said: str,
    release: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kg: Callable[..., Result],
) -> None:
    fake_dot(tmp_path / "bin", script)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.setattr("kg.web.pictures.DOT_TIMEOUT_S", 0.5)
    result = kg("site", "--release", release, "--out", tmp_path / "site")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert said in result.stderr
    assert not (tmp_path / "site").exists()


def test_a_picture_depends_on_its_graph_alone() -> None:
    """One dot process draws many graphs: what is drawn beside a graph, and in what order,
    never changes its picture (so a page changes only when its claim or entity does)."""
    one = claim_dot(ClaimFigure("a", "treats", "b", "asserted", "asserted", False, [("q", ["1"])]))
    other = claim_dot(ClaimFigure("c", "causes", "d", "negated", "negated", True))
    alone = draw({"one": one}, {"one": ("title", "description")})
    titles = {key: ("title", "description") for key in ("one", "other", "again")}
    together = draw({"other": other, "one": one, "again": other + "\n"}, titles)
    assert alone["one"] == together["one"]
    assert together["other"] != together["one"]
