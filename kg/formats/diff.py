"""What changed between two releases: claims added, removed and changed (by claim IRI), and
cross-references added and removed, with the release the changes call for under the version
policy (README, *Versions*):

- **major**: a claim removed, or its meaning changed (subject, predicate, object, status,
  negation, knowledge level, qualifiers), a cross-reference removed, an entity removed or its
  categories changed: a user's query or join may now answer differently;
- **minor**: a claim or an entity added, a claim's quote or span changed, a cross-reference
  added;
- **patch**: only wording changed (a claim's label, reading or note, an entity's label);
- **none**: the releases say the same.

Each release is read from its ``graph.nq`` (every graph, with the source graphs' claims).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import BIOLINK, KGO, OA, OWL, RDF, RDFS, RELEASE, SSSOM
from kg.views import ASSOCIATION_SLOTS, CLAIM_PROPERTIES

__all__ = [
    "ReleaseDiff",
    "diff_releases",
    "read_release_claims",
    "read_release_entities",
    "release_quads",
]

#: What a claim says (a change is a change of meaning) and how it is anchored and worded.
MEANING = ("subject", "predicate", "object", "status", "negated", "knowledge_level", "qualifiers")
ANCHOR = ("quote", "start", "end")
WORDING = ("label", "reading", "note")
_OA = str(OA)
_BIOLINK = str(BIOLINK)

Claims = dict[str, dict[str, Any]]
Mappings = set[tuple[str, str, str, str]]  # subject, predicate, target, confidence
Entities = dict[str, tuple[tuple[str, ...], str]]  # IRI -> (categories, label)
_CATEGORY = _BIOLINK + "category"
_VERSION = "http://purl.org/pav/version"


@dataclass(frozen=True)
class ReleaseDiff:
    """The differences between two releases (IRIs in full)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: Mapping[str, Mapping[str, tuple[Any, Any]]]  # claim -> field -> (old, new)
    labels: Mapping[str, str]  # claim -> its label (the new one, or the old for a removed claim)
    mappings_added: tuple[tuple[str, str, str, str], ...] = ()
    mappings_removed: tuple[tuple[str, str, str, str], ...] = ()
    counts: tuple[int, int] = (0, 0)  # claims in the old and the new release
    release: str = field(default="none")
    entities: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # IRI -> (old, new)
    versions: tuple[str, str] = ("", "")

    def as_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "versions": {"old": self.versions[0], "new": self.versions[1]},
            "claims": {"old": self.counts[0], "new": self.counts[1]},
            "added": [{"claim": c, "label": self.labels[c]} for c in self.added],
            "removed": [{"claim": c, "label": self.labels[c]} for c in self.removed],
            "changed": [
                {
                    "claim": claim,
                    "label": self.labels[claim],
                    "changes": {
                        name: {"old": _jsonable(old), "new": _jsonable(new)}
                        for name, (old, new) in fields.items()
                    },
                }
                for claim, fields in self.changed.items()
            ],
            "mappings": {
                "added": [_mapping_json(m) for m in self.mappings_added],
                "removed": [_mapping_json(m) for m in self.mappings_removed],
            },
            "entities": [
                {"entity": iri, "old": _entity_json(old), "new": _entity_json(new)}
                for iri, (old, new) in self.entities.items()
            ],
        }

    def text(self, short: Callable[[str], str] = str) -> str:
        """The differences for people, IRIs shortened by ``short``."""
        lines = [
            f"claims: {len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.changed)} changed ({self.counts[0]} -> {self.counts[1]})"
        ]
        lines += [f"+ {short(c)}  {self.labels[c]}" for c in self.added]
        lines += [f"- {short(c)}  {self.labels[c]}" for c in self.removed]
        for claim, fields in self.changed.items():
            lines.append(f"~ {short(claim)}  {self.labels[claim]}")
            for name, (old, new) in fields.items():
                lines.append(f"    {name}: {_show(old, short)} -> {_show(new, short)}")
        lines.append(
            f"cross-references: {len(self.mappings_added)} added, "
            f"{len(self.mappings_removed)} removed"
        )
        for sign, found in (("+", self.mappings_added), ("-", self.mappings_removed)):
            for subject, predicate, target, confidence in found:
                weight = f" (confidence {confidence})" if confidence else ""
                lines.append(f"{sign} {short(subject)} {short(predicate)} {short(target)}{weight}")
        lines.append(f"entities: {len(self.entities)} added, removed or changed")
        for iri, (old, new) in self.entities.items():
            lines.append(
                f"~ {short(iri)}: {_show_entity(old, short)} -> {_show_entity(new, short)}"
            )
        old_version, new_version = self.versions
        lines.append(f"version: {old_version or '?'} -> {new_version or '?'}")
        if self.release != "none" and old_version == new_version:
            lines.append(
                f"note: the version did not change; the changes call for a {self.release} release"
            )
        lines.append(f"release: {self.release}")
        return "\n".join(lines) + "\n"


def diff_releases(old: Path, new: Path) -> ReleaseDiff:
    """The differences between the releases in the folders ``old`` and ``new``.

    :raises InputError: a folder holds no readable ``graph.nq``
    """
    old_quads, new_quads = release_quads(old), release_quads(new)  # each parsed once
    (old_claims, old_maps), (new_claims, new_maps) = (
        read_release_claims(q) for q in (old_quads, new_quads)
    )
    (old_entities, old_version), (new_entities, new_version) = (
        read_release_entities(q) for q in (old_quads, new_quads)
    )
    entities = {
        iri: (old_entities.get(iri), new_entities.get(iri))
        for iri in sorted(set(old_entities) | set(new_entities))
        if old_entities.get(iri) != new_entities.get(iri)
    }
    added = tuple(sorted(set(new_claims) - set(old_claims)))
    removed = tuple(sorted(set(old_claims) - set(new_claims)))
    changed: dict[str, dict[str, tuple[Any, Any]]] = {}
    for claim in sorted(set(old_claims) & set(new_claims)):
        before, after = old_claims[claim], new_claims[claim]
        fields = {
            name: (before[name], after[name])
            for name in (*MEANING, *ANCHOR, *WORDING)
            if before[name] != after[name]
        }
        if fields:
            changed[claim] = fields
    labels = {c: str(v["label"]) for c, v in {**old_claims, **new_claims}.items()}
    maps_added = tuple(sorted(new_maps - old_maps))
    maps_removed = tuple(sorted(old_maps - new_maps))
    return ReleaseDiff(
        added=added,
        removed=removed,
        changed=changed,
        labels=labels,
        mappings_added=maps_added,
        mappings_removed=maps_removed,
        counts=(len(old_claims), len(new_claims)),
        release=_release(added, removed, changed, maps_added, maps_removed, entities),
        entities=entities,
        versions=(old_version, new_version),
    )


def _release(
    added: tuple[str, ...],
    removed: tuple[str, ...],
    changed: Mapping[str, Mapping[str, Any]],
    maps_added: tuple[Any, ...],
    maps_removed: tuple[Any, ...],
    entities: Mapping[str, tuple[Any, Any]] = {},
) -> str:
    kinds = {name for fields in changed.values() for name in fields}
    gone = any(
        new is None or (old is not None and old[0] != new[0]) for old, new in entities.values()
    )
    if removed or maps_removed or kinds & set(MEANING) or gone:
        return "major"
    if (
        added
        or maps_added
        or kinds & set(ANCHOR)
        or any(old is None for old, _ in entities.values())
    ):
        return "minor"
    return "patch" if kinds or entities else "none"


def release_quads(folder: Path) -> list[ox.Quad]:
    """The quads of a release folder's graph.nq.

    :raises InputError: no readable graph.nq in ``folder``
    """
    path = folder / "graph.nq"
    try:
        return list(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
    except (OSError, SyntaxError, ValueError) as error:
        raise InputError(str(path), None, None, f"not a release's graph: {error}") from error


def read_release_claims(quads: list[ox.Quad]) -> tuple[Claims, Mappings]:
    """Every claim of a release's quads (IRI -> what it says) and its cross-references."""
    by_subject: dict[str, list[ox.Quad]] = defaultdict(list)
    for quad in quads:
        by_subject[_value(quad.subject)].append(quad)
    claims = {
        subject: _claim(subject, by_subject)
        for subject, found in by_subject.items()
        if any(
            q.predicate.value == str(RDF.type) and _value(q.object) == str(KGO.Claim) for q in found
        )
    }
    return claims, _mappings(by_subject)


def read_release_entities(quads: list[ox.Quad]) -> tuple[Entities, str]:
    """Every entity of a release's quads (a subject with a Biolink category: its categories and
    label) and the release's version."""
    categories: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    version = ""
    for quad in quads:
        subject, predicate = _value(quad.subject), quad.predicate.value
        if predicate == _CATEGORY:
            categories[subject].add(_value(quad.object))
        elif predicate == str(RDFS.label):
            labels.setdefault(subject, _value(quad.object))
        elif predicate == _VERSION and subject.startswith(str(RELEASE)):
            version = max(version, _value(quad.object))
    claims = {s for s, found in categories.items() if _BIOLINK + "Association" in found}
    entities = {
        iri: (tuple(sorted(found)), labels.get(iri, ""))
        for iri, found in categories.items()
        if iri not in claims
    }
    return entities, version


def _entity_json(entity: tuple[tuple[str, ...], str] | None) -> dict[str, Any] | None:
    return None if entity is None else {"categories": list(entity[0]), "label": entity[1]}


def _show_entity(entity: tuple[tuple[str, ...], str] | None, short: Callable[[str], str]) -> str:
    if entity is None:
        return "(none)"
    return f"{json.dumps(entity[1], ensure_ascii=False)} [{', '.join(map(short, entity[0]))}]"


def _claim(iri: str, by_subject: Mapping[str, list[ox.Quad]]) -> dict[str, Any]:
    values: dict[str, list[str]] = defaultdict(list)
    for quad in by_subject[iri]:
        obj = _value(quad.object)
        minted = isinstance(quad.object, ox.NamedNode) and obj.startswith(iri + "/")
        if minted and quad.predicate.value not in CLAIM_PROPERTIES:
            obj = _label(obj, by_subject) or obj  # a dose, a study set: by its label
        values[quad.predicate.value].append(obj)
    evidence = values.get(str(KGO.evidence), [""])[0]
    selectors = [
        _value(q.object)
        for q in by_subject.get(evidence, [])
        if q.predicate.value.endswith("#hasSelector")
    ]
    anchor = {
        name: _value(q.object)
        for selector in selectors
        for q in by_subject.get(selector, [])
        for name in ("exact", "start", "end")
        if q.predicate.value == _OA + name
    }
    one = {slot: sorted(values.get(_BIOLINK + slot, [""]))[0] for slot in ASSOCIATION_SLOTS}
    return {
        "subject": one["subject"],
        "predicate": one["predicate"],
        "object": one["object"],
        "status": sorted(values.get(str(KGO.epistemicStatus), [""]))[0],
        "negated": one["negated"] == "true",
        "knowledge_level": one["knowledge_level"],
        "qualifiers": tuple(
            sorted(
                (prop, value)
                for prop, found in values.items()
                if prop not in CLAIM_PROPERTIES
                for value in found
            )
        ),
        "quote": anchor.get("exact", ""),
        "start": int(anchor.get("start", "-1")),
        "end": int(anchor.get("end", "-1")),
        "label": sorted(values.get(str(RDFS.label), [""]))[0],
        "reading": sorted(values.get(str(KGO.reading), [""]))[0],
        "note": sorted(values.get(str(RDFS.comment), [""]))[0],
    }


def _mappings(by_subject: Mapping[str, list[ox.Quad]]) -> Mappings:
    """Every cross-reference, from its SSSOM record (checked ones and the others alike)."""
    found: Mappings = set()
    for quads in by_subject.values():
        fields = {q.predicate.value: _value(q.object) for q in quads}
        if fields.get(str(RDF.type)) != str(OWL.Axiom) or str(OWL.annotatedTarget) not in fields:
            continue
        found.add(
            (
                fields.get(str(OWL.annotatedSource), ""),
                fields.get(str(OWL.annotatedProperty), ""),
                fields[str(OWL.annotatedTarget)],
                fields.get(str(SSSOM.confidence), ""),
            )
        )
    return found


def _label(iri: str, by_subject: Mapping[str, list[ox.Quad]]) -> str | None:
    return next(
        (_value(q.object) for q in by_subject.get(iri, []) if q.predicate.value == str(RDFS.label)),
        None,
    )


def _value(term: object) -> str:
    return str(getattr(term, "value", term))


def _jsonable(value: Any) -> Any:
    return [list(item) for item in value] if isinstance(value, tuple) else value


def _mapping_json(mapping: tuple[str, str, str, str]) -> dict[str, str]:
    subject, predicate, target, confidence = mapping
    found = {"subject": subject, "predicate": predicate, "object": target}
    return {**found, "confidence": confidence} if confidence else found


def _show(value: Any, short: Callable[[str], str]) -> str:
    if isinstance(value, tuple):
        return "[" + "; ".join(f"{short(p)} {_show(v, short)}" for p, v in value) + "]"
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return short(value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)
