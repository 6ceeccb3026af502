"""What changed between two releases: claims added, removed and changed (by claim IRI), and
cross-references added and removed, with the release the changes call for under the version
policy (README, *Versions*):

- **major**: a claim removed, or its meaning changed (subject, predicate, object, status,
  negation, knowledge level, qualifiers), or a cross-reference removed: a user's query or join
  may now answer differently;
- **minor**: a claim added, a claim's quote or span changed, a cross-reference added;
- **patch**: only wording changed (a claim's label, reading or note);
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
from kg.namespaces import BIOLINK, KGO, OA, OWL, RDF, RDFS, SSSOM
from kg.views import ASSOCIATION_SLOTS, CLAIM_PROPERTIES

__all__ = ["ReleaseDiff", "diff_releases", "read_release_claims"]

#: What a claim says (a change is a change of meaning) and how it is anchored and worded.
MEANING = ("subject", "predicate", "object", "status", "negated", "knowledge_level", "qualifiers")
ANCHOR = ("quote", "start", "end")
WORDING = ("label", "reading", "note")
_OA = str(OA)
_BIOLINK = str(BIOLINK)

Claims = dict[str, dict[str, Any]]
Mappings = set[tuple[str, str, str, str]]  # subject, predicate, target, confidence


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

    def as_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
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
        lines.append(f"release: {self.release}")
        return "\n".join(lines) + "\n"


def diff_releases(old: Path, new: Path) -> ReleaseDiff:
    """The differences between the releases in the folders ``old`` and ``new``.

    :raises InputError: a folder holds no readable ``graph.nq``
    """
    (old_claims, old_maps), (new_claims, new_maps) = (read_release_claims(p) for p in (old, new))
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
        release=_release(added, removed, changed, maps_added, maps_removed),
    )


def _release(
    added: tuple[str, ...],
    removed: tuple[str, ...],
    changed: Mapping[str, Mapping[str, Any]],
    maps_added: tuple[Any, ...],
    maps_removed: tuple[Any, ...],
) -> str:
    kinds = {name for fields in changed.values() for name in fields}
    if removed or maps_removed or kinds & set(MEANING):
        return "major"
    if added or maps_added or kinds & set(ANCHOR):
        return "minor"
    return "patch" if kinds else "none"


def read_release_claims(folder: Path) -> tuple[Claims, Mappings]:
    """Every claim of a release (IRI -> what it says) and its cross-references.

    :raises InputError: no readable graph.nq in ``folder``
    """
    path = folder / "graph.nq"
    try:
        quads = list(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
    except (OSError, SyntaxError, ValueError) as error:
        raise InputError(str(path), None, None, f"not a release's graph: {error}") from error
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
