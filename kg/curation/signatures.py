"""Claim signatures: what the subject and the object of each claim predicate must be, in
Biolink's classes, worked out once a build from the lock (:mod:`kg.curation.biolink`), the
ontology and the catalogue, so that checking a claim costs a few look-ups.

The rules:

- a ``biolink:`` claim predicate must be a Biolink predicate (``related_to`` or under it); any
  other claim predicate (the project's own) must have exactly one Biolink predicate among its
  ``rdfs:subPropertyOf``: the Biolink edge it becomes;
- a claim's subject must fit the domain, and its object the range, of its predicate: of the
  Biolink predicate itself, or, for a predicate of the project's own, of its Biolink edge and
  of the ``rdfs:domain``/``rdfs:range`` the ontology gives it when that is a Biolink class;
- an entity fits a class when one of its categories is that class or under it (mixins
  included); a predicate with no domain (range) takes any entity;
- an entity that is the value of a Biolink qualifier must fit the qualifier's range, when that
  is a class (``disease_context_qualifier``: a disease);
- every claim is checked alike, whatever its status: a negated claim or a hypothesis states
  the same edge, negated or predicted; an assessed claim is also checked against the edge it
  becomes in Biolink (:data:`kg.views.ASSESSED_EDGE`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rdflib.namespace import RDFS
from rdflib.term import URIRef

from kg.curation.biolink import BiolinkModel, curie_of
from kg.curation.catalogue import Catalogue, Ontology
from kg.errors import InputError
from kg.namespaces import BIOLINK, KGO
from kg.views import ASSESSED_EDGE

__all__ = ["Constraint", "Signatures", "signatures_of"]

#: How many of the classes under a domain or range a message names.
_EXAMPLES = 4
_ROLES = {"subject": (RDFS.domain, "domain"), "object": (RDFS.range, "range")}


@dataclass(frozen=True)
class Constraint:
    """A class a claim's subject or object must fall under, where the rule comes from, and what
    it allows, in words."""

    cls: str
    why: str
    allowed: str


@dataclass(frozen=True)
class Signatures:
    """Each claim predicate's Biolink edge and constraints, the range of each Biolink
    qualifier whose values are entities, and what each category of the catalogue falls under
    (itself and its ancestors)."""

    edges: Mapping[URIRef, URIRef]
    constraints: Mapping[tuple[URIRef, str], tuple[Constraint, ...]]
    assessed: Mapping[str, tuple[Constraint, ...]]
    qualifiers: Mapping[URIRef, Constraint]
    lineages: Mapping[URIRef, frozenset[str]]

    def check(
        self, predicate: URIRef, role: str, categories: Sequence[URIRef], *, assessed: bool
    ) -> None:
        """Check that an entity of ``categories`` may be the ``role`` (subject or object) of a
        claim of ``predicate`` (and of the assessed edge when ``assessed``).

        :raises ValueError: naming the categories, the rule broken and what it allows
        """
        found = self.constraints.get((predicate, role), ())
        self._fit((*found, *self.assessed[role]) if assessed else found, categories)

    def check_value(self, prop: URIRef, categories: Sequence[URIRef]) -> None:
        """Check that an entity of ``categories`` may be a value of the qualifier ``prop``.

        :raises ValueError: naming the categories, the range and what it allows
        """
        rule = self.qualifiers.get(prop)
        self._fit((rule,) if rule else (), categories)

    def _fit(self, rules: Sequence[Constraint], categories: Sequence[URIRef]) -> None:
        under = frozenset().union(*(self.lineages.get(c, frozenset()) for c in categories))
        for rule in rules:
            if rule.cls not in under:
                named = ", ".join(curie_of(c) for c in categories)
                raise ValueError(f"({named}) does not fit {rule.why} (allowed: {rule.allowed})")


def signatures_of(
    biolink: BiolinkModel,
    ontology: Ontology,
    catalogue: Catalogue,
    compress: Callable[[str], str],
) -> Signatures:
    """The signatures of the ontology's claim predicates; ``compress`` writes an IRI as a CURIE.

    :raises InputError: a claim predicate that is no Biolink predicate nor under one, at its
        line of ontology/kgo.ttl (or, for the assessed edge, in the lock)
    """
    edges: dict[URIRef, URIRef] = {}
    constraints: dict[tuple[URIRef, str], tuple[Constraint, ...]] = {}
    for predicate in sorted(ontology.instances(KGO.ClaimPredicate)):
        edges[predicate] = _edge(biolink, ontology, predicate, compress)
        for role in _ROLES:
            constraints[predicate, role] = _constraints(
                biolink, ontology, predicate, edges[predicate], role, compress
            )
    assessed = {role: _assessed(biolink, role) for role in _ROLES}
    categories = {c for entity in catalogue.entities.values() for c in entity.categories}
    lineages = {c: biolink.lineage(curie_of(c)) for c in categories}
    return Signatures(edges, constraints, assessed, _qualifiers(biolink, catalogue), lineages)


def _qualifiers(biolink: BiolinkModel, catalogue: Catalogue) -> dict[URIRef, Constraint]:
    """The range of each Biolink qualifier of the catalogue whose values are entities, when
    that range is a class (the catalogue has checked that each is a Biolink slot)."""
    found = {}
    for spec in catalogue.qualifiers.values():
        slot = biolink.slots.get(curie_of(spec.property))
        cls = slot.range if slot is not None and spec.kind == "entity" else None
        if cls in biolink.classes:
            why = f"the range of {curie_of(spec.property)} in Biolink Model {biolink.version}"
            found[spec.property] = _constraint(biolink, str(cls), why)
    return found


def _edge(
    biolink: BiolinkModel, ontology: Ontology, predicate: URIRef, compress: Callable[[str], str]
) -> URIRef:
    """The Biolink predicate a claim predicate becomes as an edge: itself, or its one Biolink
    superproperty."""
    name = f"claim predicate {compress(predicate)}"
    if predicate.startswith(str(BIOLINK)):
        try:
            biolink.check_predicate(predicate)
        except ValueError as error:
            raise ontology.error(predicate, name, str(error)) from error
        return predicate
    parents = sorted(
        p
        for p in ontology.graph.objects(predicate, RDFS.subPropertyOf)
        if isinstance(p, URIRef) and p.startswith(str(BIOLINK))
    )
    edges = [p for p in parents if biolink.is_predicate(curie_of(p))]
    if len(edges) == 1:
        return edges[0]
    if edges:
        found = ", ".join(map(curie_of, edges))
        problem = f"its Biolink edge must be one predicate, and its rdfs:subPropertyOf has {found}"
    else:
        others = ", ".join(map(curie_of, parents))
        which = f" ({others} is no Biolink predicate)" if parents else ""
        near = curie_of(parents[0]) if parents else ""
        problem = (
            "needs a Biolink predicate as rdfs:subPropertyOf, the edge it becomes in "
            f"Biolink{which} ({biolink.allowed(near, 'predicates')})"
        )
    raise ontology.error(predicate, name, problem)


def _constraints(
    biolink: BiolinkModel,
    ontology: Ontology,
    predicate: URIRef,
    edge: URIRef,
    role: str,
    compress: Callable[[str], str],
) -> tuple[Constraint, ...]:
    """The classes the ``role`` of a claim of ``predicate`` must fall under."""
    declared, word = _ROLES[role]
    slot = biolink.slots[curie_of(edge)]
    cls = slot.domain if role == "subject" else slot.range
    of = f"{curie_of(edge)} in Biolink Model {biolink.version}"
    if edge != predicate:
        of = f"{curie_of(edge)}, the Biolink edge of {compress(predicate)}"
    found = [_constraint(biolink, cls, f"the {word} of {of}")] if cls else []
    owns = (o for o in ontology.graph.objects(predicate, declared) if isinstance(o, URIRef))
    for own in sorted(owns):
        if edge != predicate and own.startswith(str(BIOLINK)):
            try:
                curie = biolink.check_class(own)
            except ValueError as error:
                message = f"rdfs:{word}: {error}"
                name = f"claim predicate {compress(predicate)}"
                raise ontology.error(predicate, name, message) from error
            why = f"the rdfs:{word} of {compress(predicate)} in {ontology.display}"
            found.append(_constraint(biolink, curie, why))
    return tuple(found)


def _assessed(biolink: BiolinkModel, role: str) -> tuple[Constraint, ...]:
    """The constraints of the edge an assessed claim becomes (a fixed Biolink predicate).

    :raises InputError: the lock has no such predicate
    """
    try:
        curie = biolink.check_predicate(ASSESSED_EDGE)
    except ValueError as error:
        raise InputError(
            biolink.source, None, "the edge of an assessed claim", str(error)
        ) from error
    word = _ROLES[role][1]
    cls = biolink.slots[curie].domain if role == "subject" else biolink.slots[curie].range
    why = f"the {word} of {curie}, the Biolink edge of an assessed claim"
    return (_constraint(biolink, cls, why),) if cls else ()


def _constraint(biolink: BiolinkModel, cls: str, why: str) -> Constraint:
    """``biolink:X or a class under it, such as ...``."""
    under = biolink.descendants(cls)
    examples = _examples(under)
    return Constraint(cls, why, f"a category that is {cls} or under it{examples}")


def _examples(names: Iterable[str]) -> str:
    found = list(names)
    if not found:
        return ""
    shown = ", ".join(found[:_EXAMPLES])
    more = f", ... ({len(found)} in all)" if len(found) > _EXAMPLES else ""
    return f", such as {shown}{more}"
