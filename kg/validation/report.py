"""A validation's report, read for a curator: one line a violation, naming the file and line
where it was made (once traced to the curated record, see :mod:`kg.rdf.origins`), the field,
the bad value, what is wrong and what the shape allows; the SHACL result itself on request.

    sources/x/claims.yaml:38: claim 'k': object_direction: 'sideways' is not an allowed value
    (allowed: increased, upregulated, decreased, downregulated)

is one line (wrapped here). A result no curated record made keeps its focus node and shape in
place of file, line and record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node
from rdflib.util import from_n3

from kg.namespaces import BIOLINK, IDOT, KGO, OA, PAV, SEMAPV, SHAPES, SSSOM
from kg.rdf.origins import Origins, Where

__all__ = ["BINDINGS", "Report", "ReportRow", "merge_rows", "show", "term_text", "trace"]

#: The prefixes a report writes IRIs with (besides rdflib's own: rdf, rdfs, xsd, sh, skos...).
BINDINGS = (
    ("kgs", str(SHAPES)),
    ("hcls", "https://w3id.org/drugclaims/shapes/hcls#"),
    ("kgo", str(KGO._NS)),
    ("biolink", str(BIOLINK)),
    ("oa", str(OA)),
    ("pav", str(PAV)),
    ("sssom", str(SSSOM)),
    ("semapv", str(SEMAPV)),
    ("idot", str(IDOT)),
)
_NAMES = NamespaceManager(Graph(), bind_namespaces="rdflib")
for _prefix, _namespace in BINDINGS:
    _NAMES.bind(_prefix, _namespace, replace=True)
_LONGEST = 80  # characters of a literal shown in a line


def show(term: Node | str) -> str:
    """A term as a line shows it: an IRI as a CURIE of a known prefix (else ``<IRI>``), a
    literal as its quoted text (cut short when long); a term in N3 form is read first.

    >>> show("<https://w3id.org/biolink/vocab/object_direction_qualifier>"), show('"up"@en')
    ('biolink:object_direction_qualifier', "'up'")
    """
    node = term if isinstance(term, Node) else from_n3(term) if term else None
    if isinstance(node, URIRef):
        return _NAMES.normalizeUri(node)
    if isinstance(node, Literal):
        text = str(node)
        return repr(text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…")
    return "" if node in (None, "") else "[]" if isinstance(node, BNode) else str(node)


def term_text(term: str) -> str:
    """The text of a term in N3 form: an IRI, or a literal's lexical form (``""``: none)."""
    node = from_n3(term) if term else None
    return "" if node is None or isinstance(node, BNode) else str(node)


@dataclass(frozen=True)
class ReportRow:
    """One validation result: its severity, its shape (or SPARQL constraint), its focus node,
    path and value (RDF terms in N3 form; ``""`` for none), its message, its constraint
    component, what is wrong and what the shape allows in words (see
    :mod:`kg.validation.constraints`), and, once traced, where a curator made it."""

    severity: str
    shape: str
    focus: str
    path: str
    message: str
    value: str = ""
    component: str = ""
    problem: str = ""
    allowed: str = ""
    where: Where | None = None

    def traced(self, origins: Origins) -> ReportRow:
        """This row with where its focus node (or its value) was curated, if ``origins``
        knows."""
        where = origins.where(term_text(self.focus), term_text(self.path), term_text(self.value))
        return self if where is None else replace(self, where=where)

    def line(self) -> str:
        """The one line a curator reads: ``file:line: record: field: value what is wrong
        (allowed: ...)``; untraced, the focus node and the shape in place of file, line and
        record. A SPARQL constraint's own message says what is wrong (and names the value)."""
        where = self.where
        if self.component == "SPARQLConstraintComponent":
            what = self.message
        else:
            value = (where.word and repr(where.word) if where else "") or show(self.value)
            allowed = f" (allowed: {self.allowed})" if self.allowed else ""
            what = " ".join(part for part in (value, self.problem or self.message) if part)
            what += allowed
        if where is None:
            parts = [show(self.focus), self.shape, show(self.path)]
        else:
            place = where.file if where.line is None else f"{where.file}:{where.line}"
            parts = [place, where.record, where.field or show(self.path)]
        return ": ".join(part for part in (*parts, what) if part)

    def detail(self) -> str:
        """The SHACL result, for an expert: severity, shape, component, focus, path, value
        and message."""
        path = f" (path {show(self.path)})" if self.path else ""
        value = f", value {show(self.value)}" if self.value else ""
        return (
            f"{self.severity}: {self.shape} (sh:{self.component}) on {show(self.focus)}"
            f"{path}{value}\n  {self.message}"
        )

    def sort_key(self) -> tuple[object, ...]:
        """Traced rows first, by file, line and record; then the others, by focus and shape."""
        where = self.where
        if where is None:
            return (1, self.focus, "", self.shape, self.path, self.value, self.message)
        return (0, where.file, where.line or 0, where.record, where.field, self.value, self.shape)


@dataclass(frozen=True)
class Report:
    """The outcome of a validation: whether the graph conforms, the rows, the SHACL report."""

    conforms: bool
    rows: tuple[ReportRow, ...]
    graph: Graph

    def text(self, *, verbose: bool = False) -> str:
        """One line a violation (see :meth:`ReportRow.line`), sorted, then a count; with
        ``verbose``, each line followed by its SHACL result, indented."""
        lines = []
        for row in sorted(self.rows, key=ReportRow.sort_key):
            lines.append(row.line())
            if verbose:
                lines.append("  " + row.detail().replace("\n", "\n  "))
        verdict = "Conforms." if self.conforms else f"Does not conform: {len(self.rows)} results."
        return "\n".join([*lines, verdict]) + "\n"

    def traced(self, origins: Origins) -> Report:
        """This report with each row traced to the curated record that made it."""
        return replace(self, rows=trace(self.rows, origins))


def trace(rows: Iterable[ReportRow], origins: Origins) -> tuple[ReportRow, ...]:
    """Each row traced to the curated record that made its focus node (or its value)."""
    return tuple(row.traced(origins) for row in rows)


def merge_rows(rows: Iterable[ReportRow]) -> tuple[ReportRow, ...]:
    """The rows of several units, each result once: one found by two units (an entity's, by
    the catalogue's unit and by a source's) is kept once, traced if either unit traced it."""
    found: dict[ReportRow, ReportRow] = {}
    for row in rows:
        fact = replace(row, where=None)
        if found.get(fact) is None or found[fact].where is None:
            found[fact] = row
    return tuple(sorted(found.values(), key=ReportRow.sort_key))
