"""Pictures of the release, drawn when ``kg site`` writes it: a diagram of each claim and of
each entity's claims, laid out by Graphviz's ``dot``, and the index's bar charts of claims by
status and by predicate, written here as plain SVG. No script: each picture is an SVG element
with ``role="img"``, a ``<title>`` and a ``<desc>``, and a caption in words beside it.

A claim's diagram is its subject, its claim node (the predicate, the status in words) and its
object in a row, its qualifiers in a note below. Each status the ontology defines has a style of
its own (:data:`STATUS_STYLES`: colour, line and shape, so colour is never the only sign) and
its name in words on the picture.

``dot`` runs once for many pictures (it reads several graphs from standard input and writes
their SVG in order), a process a core, each bounded in time, with identical graphs drawn once:
about a third of a millisecond a picture, where a process for each cost twenty. Labels are
wrapped and shortened, and escaped for DOT (a quote, a backslash, ``&``); ``dot`` escapes them
for XML. Its SVG is stripped of what varies or is not needed (the version comment, ids, node
titles), so a rebuild writes the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from xml.etree import ElementTree as ET

from defusedxml.ElementTree import fromstring
from markupsafe import Markup

from kg.errors import KGError

__all__ = [
    "MAX_ENDS",
    "STATUS_STYLES",
    "Bar",
    "ClaimFigure",
    "End",
    "EntityFigure",
    "GraphvizError",
    "Picture",
    "Style",
    "bar_chart",
    "claim_dot",
    "draw",
    "entity_dot",
    "require_dot",
    "wrap",
    "xml_text",
]

SVG = "http://www.w3.org/2000/svg"
#: Graphs given to one ``dot`` process, the seconds it may take for them, and how many run at
#: once (at most one a core).
BATCH = 500
DOT_TIMEOUT_S = 120.0
MAX_DOTS = 4
#: At most this many other ends (entities) in an entity's picture (its page lists every claim).
MAX_ENDS = 12
_FONT = "Helvetica,Arial,sans-serif"
_INK = "#1a1a1a"


class GraphvizError(KGError):
    """Graphviz's ``dot`` is missing, failed or ran out of time: says what to do."""


@dataclass(frozen=True)
class Style:
    """How a status looks in a picture: its colour, its line (a DOT style) and the shape of
    the claim's node; its name is on the picture too, in words."""

    color: str
    line: str
    shape: str


#: The look of each status the ontology defines (kgo:EpistemicStatus), by its local name in
#: lower case (:func:`kg.views.status_word`). A status without an entry is drawn as
#: :data:`OTHER`, with its label in words.
STATUS_STYLES: Mapping[str, Style] = {
    "asserted": Style("#1b5e20", "solid", "box"),
    "negated": Style("#a40000", "dashed", "octagon"),
    "hypothesis": Style("#6b4e00", "dotted", "ellipse"),
    "assessed": Style("#0d47a1", "bold", "hexagon"),
}
OTHER = Style("#424242", "solid", "box")


@dataclass(frozen=True)
class Picture:
    """An SVG element (markup to insert as it is) and its text alternative."""

    svg: Markup
    caption: str


@dataclass(frozen=True)
class ClaimFigure:
    """What a claim's diagram shows: labels, the status (its word and its label), whether it is
    negated, and its qualifiers as (name, value labels)."""

    subject: str
    predicate: str
    object: str
    status: str  # the status's local name in lower case: asserted, negated ...
    status_label: str
    negated: bool = False
    qualifiers: Sequence[tuple[str, Sequence[str]]] = ()


@dataclass(frozen=True)
class End:
    """An entity's claims whose other end (its IRI and label), predicate, direction and status
    are the same, and how many they are."""

    other: str
    label: str
    predicate: str
    status: str
    status_label: str
    outgoing: bool  # the entity is the claims' subject
    count: int = 1


@dataclass(frozen=True)
class EntityFigure:
    """What an entity's picture shows: its label and its claims' other ends."""

    label: str
    ends: Sequence[End] = field(default_factory=tuple)


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, its number, and a colour."""

    label: str
    count: int
    color: str = "#455a64"


# -- DOT --------------------------------------------------------------------------------------


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with each character XML cannot hold (most control characters, a lone
    surrogate, U+FFFE) as a space: a label from a release may carry any of them.

    >>> xml_text("a\x01b\x0bc\td")
    'a b c\td'
    """
    return _NOT_XML.sub(" ", text)


def wrap(text: str, width: int = 26, lines: int = 3) -> list[str]:
    """``text`` on at most ``lines`` lines of about ``width`` characters, shortened with "…";
    control characters (which XML cannot hold) become spaces.

    >>> wrap("velmorazine inhibits the reuptake of norepinephrine", 20)
    ['velmorazine inhibits', 'the reuptake of', 'norepinephrine']
    >>> wrap("a\\nb" + " c" * 40, 10, 2)
    ['a b c c c', 'c c c c c…']
    """
    found = textwrap.wrap(xml_text(text), width, break_on_hyphens=False) or [""]
    if len(found) > lines:
        found = found[:lines]
        found[-1] = found[-1][: width - 1].rstrip() + "…"
    return found


def _label(*parts: tuple[str, int, int], left: bool = False) -> str:
    r"""A DOT string of each ``(text, width, lines)`` of ``parts``, wrapped (:func:`wrap`), on
    lines of its own (left-justified if ``left``): a quote and a backslash escaped for DOT,
    and ``&`` as ``&amp;`` (``dot`` would read ``&lt;`` as an entity and draw ``<``).

    >>> print(_label(('say "a" \\N & <b>', 30, 1), ("x", 9, 1)))
    "say \"a\" \\N &amp; <b>\nx"
    """
    lines = [
        line.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
        for text, width, count in parts
        for line in wrap(text, width, count)
    ]
    return '"' + "\\l".join(lines) + '\\l"' if left else '"' + "\\n".join(lines) + '"'


def _style(status: str) -> Style:
    return STATUS_STYLES.get(status, OTHER)


def claim_dot(figure: ClaimFigure) -> str:
    r"""The DOT graph of a claim: subject -> claim (predicate, status in words) -> object in
    one row, styled by the status; the qualifiers in a note below the claim.

    >>> text = claim_dot(ClaimFigure("a", "treats", "b", "negated", "negated", True))
    >>> 'shape=octagon' in text and '"not: treats\\n[negated]"' in text
    True
    """
    style = _style(figure.status)
    words = figure.status_label
    if figure.negated and figure.status != "negated":  # a negated hypothesis says both
        words += ", negated"
    predicate = ("not: " if figure.negated else "") + figure.predicate
    claim = _label((predicate, 24, 3), (f"[{words}]", 28, 2))
    edge = f'color="{style.color}", style="{style.line}", penwidth=1.6'
    lines = [
        "digraph claim {",
        f'graph [fontname="{_FONT}", bgcolor="transparent", pad=0.1, nodesep=0.3, ranksep=0.3];',
        f'node [fontname="{_FONT}", fontsize=12, shape=box, style=rounded, color="{_INK}"];',
        f'edge [fontname="{_FONT}", fontsize=10, color="{_INK}"];',
        f"s [label={_label((figure.subject, 26, 3))}];",
        f"o [label={_label((figure.object, 26, 3))}];",
        f'c [label={claim}, shape={style.shape}, style="{_node_line(style)}", '
        f'color="{style.color}", fontcolor="{style.color}", penwidth=2];',
        "{rank=same; s; c; o}",
        f"s -> c [{edge}, arrowhead=none];",
        f"c -> o [{edge}];",
    ]
    if figure.qualifiers:
        rows = _label(
            *((f"{name}: {' and '.join(values)}", 48, 3) for name, values in figure.qualifiers),
            left=True,
        )
        lines += [
            f'q [label={rows}, shape=note, style=solid, fontsize=11, color="#616161"];',
            'c -> q [arrowhead=none, style=dashed, color="#616161", label=" qualifiers"];',
        ]
    return "\n".join([*lines, "}", ""])


def _node_line(style: Style) -> str:
    """The style of a claim's node: its status's line, and round corners on a box."""
    return f"{style.line},rounded" if style.shape == "box" else style.line


def entity_dot(figure: EntityFigure) -> str:
    r"""The DOT graph of an entity's claims: the entity in the middle, the subjects of claims
    about it on its left, the objects of its claims on its right; an edge for each predicate
    and status, styled by the status and labelled with it in words.

    >>> end = End("http://y", "y", "treats", "asserted", "asserted", True)
    >>> print(entity_dot(EntityFigure("x", [end, end])).splitlines()[-3])
    e -> n0 [label="treats\n[asserted]", color="#1b5e20", ...];
    """
    lines = [
        "digraph entity {",
        f'graph [rankdir=LR, fontname="{_FONT}", bgcolor="transparent", pad=0.1, ranksep=0.6];',
        f'node [fontname="{_FONT}", fontsize=12, shape=box, style=rounded, color="{_INK}"];',
        f'edge [fontname="{_FONT}", fontsize=10];',
        f'e [label={_label((figure.label, 26, 3))}, style="rounded,bold", penwidth=2.5];',
    ]
    nodes: dict[str, str] = {}
    for end in figure.ends:
        if end.other not in nodes and len(nodes) < MAX_ENDS:
            nodes[end.other] = f"n{len(nodes)}"
            lines.append(f"{nodes[end.other]} [label={_label((end.label, 24, 2))}];")
        if end.other not in nodes:
            continue
        style = _style(end.status)
        times = f" ({end.count} claims)" if end.count > 1 else ""
        label = _label((end.predicate + times, 22, 2), (f"[{end.status_label}]", 30, 1))
        pair = ("e", nodes[end.other]) if end.outgoing else (nodes[end.other], "e")
        lines.append(
            f'{pair[0]} -> {pair[1]} [label={label}, color="{style.color}", '
            f'fontcolor="{style.color}", style="{style.line}", penwidth=1.6];'
        )
    return "\n".join([*lines, "}", ""])


# -- running dot ------------------------------------------------------------------------------


def require_dot() -> str:
    """The path of Graphviz's ``dot``.

    :raises GraphvizError: it is not installed
    """
    found = shutil.which("dot")
    if found is None:
        raise GraphvizError(
            "Graphviz's dot is not installed and kg draws the site's pictures with it: install "
            "graphviz (apt-get install graphviz; brew install graphviz) or pass --no-pictures"
        )
    return found


def draw(
    graphs: Mapping[str, str], titles: Mapping[str, tuple[str, str]], ident: str = "picture"
) -> dict[str, Markup]:
    """Each DOT graph of ``graphs`` (by key) drawn as an inline SVG element whose title and
    description are ``titles[key]`` (with ids ``<ident>-title`` and ``<ident>-desc``: one
    picture a page); identical graphs are laid out once. A picture's bytes depend on its graph
    alone, never on the others drawn with it.

    :raises GraphvizError: ``dot`` is missing, fails or runs past its time
    """
    dot = require_dot()
    unique = sorted(set(graphs.values()))
    batches = [unique[start : start + BATCH] for start in range(0, len(unique), BATCH)]
    drawn: dict[str, str] = {}
    workers = max(1, min(len(batches), os.cpu_count() or 1, MAX_DOTS))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # a dot process a core
        for batch, svgs in zip(batches, pool.map(partial(_run_dot, dot), batches), strict=True):
            drawn.update(zip(batch, svgs, strict=True))
    return {key: _inline(drawn[source], ident, *titles[key]) for key, source in graphs.items()}


def _run_dot(dot: str, sources: Sequence[str]) -> list[str]:
    """The SVG of each graph, from one ``dot`` process."""
    try:
        done = subprocess.run(
            [dot, "-Tsvg"],
            input="".join(sources).encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise GraphvizError(
            f"dot: drawing {len(sources)} pictures took more than {DOT_TIMEOUT_S:.0f} s"
        ) from error
    except OSError as error:  # it could not be started (no process or file left, say)
        raise GraphvizError(f"dot could not be run: {error.strerror or error}") from error
    reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
    if done.returncode != 0:
        raise GraphvizError(f"dot failed (exit {done.returncode}): {(reason or ['?'])[0]}")
    svgs = ["<?xml" + part for part in done.stdout.decode("utf-8").split("<?xml")[1:]]
    if len(svgs) != len(sources):
        raise GraphvizError(f"dot drew {len(svgs)} pictures of {len(sources)}")
    return svgs


def _inline(svg: str, ident: str, title: str, description: str) -> Markup:
    """``dot``'s SVG as an element to put in a page: no declaration, comments, ids or node
    titles (they vary from run to run or mean nothing to a reader), ``role="img"`` with a
    title and a description."""
    root = fromstring(svg)
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
        element.attrib.pop("id", None)
        element.tail = "\n" if element.tail and not element.tail.strip() else element.tail
        for child in [c for c in element if c.tag.endswith("title")]:
            element.remove(child)
    return _accessible(root, ident, title, description)


def _accessible(root: ET.Element, ident: str, title: str, description: str) -> Markup:
    """``root`` as markup, with ``role="img"``, its title and its description first."""
    root.attrib = {
        "xmlns": SVG,
        "role": "img",
        "aria-labelledby": f"{ident}-title {ident}-desc",
        **{k: v for k, v in root.attrib.items() if k not in ("xmlns", "role")},
    }
    head = ET.Element("title", id=f"{ident}-title")
    head.text = xml_text(title)
    desc = ET.Element("desc", id=f"{ident}-desc")
    desc.text = xml_text(description)
    root.insert(0, desc)
    root.insert(0, head)
    return Markup(ET.tostring(root, encoding="unicode"))


# -- charts -----------------------------------------------------------------------------------


def bar_chart(title: str, bars: Iterable[Bar], ident: str, unit: str = "claims") -> Picture:
    """A horizontal bar chart in plain SVG: a label, a bar and its number on each row.

    >>> chart = bar_chart("Claims by status", [Bar("asserted", 3), Bar("<negated>", 1)], "c")
    >>> print(chart.caption)
    Claims by status: asserted 3, <negated> 1.
    >>> "&lt;negated&gt;" in chart.svg and 'role="img"' in chart.svg
    True
    """
    rows = list(bars)
    shown = [wrap(bar.label, 40, 1)[0] for bar in rows]
    left = 12 + 7 * max((len(s) for s in shown), default=1)
    most = max((bar.count for bar in rows), default=0) or 1
    width, height = left + 300, 24 * len(rows) + 8
    root = ET.Element("svg", width=str(width), height=str(height), viewBox=f"0 0 {width} {height}")
    root.set("font-family", _FONT)
    root.set("font-size", "13")
    for i, (bar, label) in enumerate(zip(rows, shown, strict=True)):
        y = 4 + 24 * i
        row = ET.SubElement(root, "g", {"class": "bar"})
        ET.SubElement(row, "title").text = xml_text(f"{bar.label}: {bar.count} {unit}")
        text = ET.SubElement(row, "text", {"class": "label", "x": str(left - 8), "y": str(y + 15)})
        text.set("text-anchor", "end")
        text.set("fill", _INK)
        text.text = label
        length = round(240 * bar.count / most)
        ET.SubElement(
            row, "rect", x=str(left), y=str(y + 3), width=str(length), height="16", fill=bar.color
        )
        count = ET.SubElement(
            row,
            "text",
            {"class": "count", "x": str(left + length + 6), "y": str(y + 15), "fill": _INK},
        )
        count.text = str(bar.count)
    words = ", ".join(f"{bar.label} {bar.count}" for bar in rows)
    caption = f"{title}: {words}."
    return Picture(_accessible(root, ident, title, caption), caption)
