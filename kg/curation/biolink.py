"""Biolink Model as a build knows it: catalogue/biolink.lock.json, written by ``kg biolink`` from
the installed biolink-model package and read by every build, which never imports the package.

The lock holds the whole model, one entry a line, sorted: each class with its ancestors (mixins
included), each slot with its ancestors, domain, range and inverse (as Biolink states them or
as LinkML induces them from the slot's ancestors), and each enumeration with its values. A
checksum of that content lets a build refuse a lock edited by hand.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import InputError, KGError
from kg.namespaces import BIOLINK

__all__ = ["RELATED_TO", "BiolinkModel", "Slot", "curie_of", "load_biolink", "lock_text"]

#: The root of Biolink's predicates: a slot is a predicate when it is this one or under it.
RELATED_TO = "biolink:related_to"
_KEYS = ("about", "biolink_version", "content_sha256", "classes", "enums", "slots")
_SLOT_FIELDS = ("ancestors", "domain", "range", "inverse", "uri")
_RERUN = "run `kg biolink` to write it again from the biolink-model package"


@dataclass(frozen=True)
class Slot:
    """A Biolink slot as locked (CURIEs): its ancestors, and its domain, range and inverse
    where Biolink gives one; ``uri`` where Biolink's own IRI of it is not ``biolink:<name>``."""

    ancestors: frozenset[str]
    domain: str | None = None
    range: str | None = None
    inverse: str | None = None
    uri: str | None = None


@dataclass(frozen=True)
class BiolinkModel:
    """The locked model: classes (CURIE -> ancestors), slots and enumerations (CURIE -> values);
    ``source`` names the lock in messages."""

    version: str
    classes: Mapping[str, frozenset[str]]
    slots: Mapping[str, Slot]
    enums: Mapping[str, tuple[str, ...]]
    source: str

    def is_predicate(self, curie: str) -> bool:
        """Whether a slot is a Biolink predicate: ``related_to`` or a slot under it."""
        slot = self.slots.get(curie)
        return slot is not None and (curie == RELATED_TO or RELATED_TO in slot.ancestors)

    def check_class(self, iri: str) -> str:
        """The CURIE of a Biolink class.

        :raises ValueError: naming the term and what is allowed
        """
        curie = curie_of(iri)
        if curie not in self.classes:
            raise ValueError(
                f"{curie} is not a class {self._of} ({self.allowed(curie, 'classes')})"
            )
        return curie

    def check_slot(self, iri: str) -> str:
        """The CURIE of a Biolink slot.

        :raises ValueError: naming the term and what is allowed
        """
        curie = curie_of(iri)
        if curie not in self.slots:
            raise ValueError(f"{curie} is not a slot {self._of} ({self.allowed(curie, 'slots')})")
        return curie

    def check_predicate(self, iri: str) -> str:
        """The CURIE of a Biolink predicate.

        :raises ValueError: naming the term and what is allowed
        """
        curie = curie_of(iri)
        if not self.is_predicate(curie):
            what = "a slot but not a predicate" if curie in self.slots else "not a predicate"
            allowed = self.allowed(curie, "predicates")
            raise ValueError(f"{curie} is {what} {self._of} ({allowed})")
        return curie

    def allowed(self, near: str, kind: str) -> str:
        """What is allowed of a ``kind`` (classes, slots or predicates), with the name nearest
        to ``near``: ``allowed: the 335 classes listed in <lock>; the nearest is biolink:Drug``.
        """
        if kind == "predicates":
            names = sorted(name for name in self.slots if self.is_predicate(name))
        else:
            names = sorted(self.classes if kind == "classes" else self.slots)
        what = f"predicates (slots under {RELATED_TO})" if kind == "predicates" else kind
        nearest = difflib.get_close_matches(near, names, n=1) if near else []
        hint = f"; the nearest is {nearest[0]}" if nearest else ""
        return f"allowed: the {len(names)} {what} listed in {self.source}{hint}"

    def lineage(self, curie: str) -> frozenset[str]:
        """A class and its ancestors: the classes an entity of that category falls under."""
        return frozenset({curie, *self.classes.get(curie, ())})

    def descendants(self, curie: str) -> list[str]:
        """The classes under a class: those right under it first (no class between), then
        the others, each group sorted."""
        under = {name for name, ancestors in self.classes.items() if curie in ancestors}
        return sorted(under, key=lambda name: (bool(self.classes[name] & under), name))

    @property
    def _of(self) -> str:
        return f"of Biolink Model {self.version}"


def curie_of(iri: str) -> str:
    """``https://w3id.org/biolink/vocab/Drug`` -> ``biolink:Drug`` (other IRIs as they are).

    >>> curie_of("https://w3id.org/biolink/vocab/treats")
    'biolink:treats'
    """
    return "biolink:" + iri[len(BIOLINK) :] if iri.startswith(str(BIOLINK)) else iri


def load_biolink(path: Path, *, display: str) -> BiolinkModel:
    """The Biolink Model as locked in ``path``, checked entry by entry.

    :raises InputError: the lock is missing, is not JSON, is not shaped as ``kg biolink``
        writes it, or was edited (its content does not match its checksum); at the line of the
        entry when there is one
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError(
            display, None, None, f"missing: {_RERUN} (the build reads Biolink from the lock)"
        ) from error
    except (OSError, UnicodeError) as error:
        raise InputError(display, None, None, f"cannot read: {error}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            display, error.lineno, None, f"not valid JSON: {error.msg}; {_RERUN}"
        ) from error
    return _Reader(text, display).model(data)


class _Reader:
    """Checks the shape of a parsed lock, naming the line of the entry that is wrong."""

    def __init__(self, text: str, display: str) -> None:
        self.text, self.display = text, display

    def error(self, key: str | None, message: str) -> InputError:
        line = None
        if key is not None:
            found = re.search(rf"^\s*{re.escape(json.dumps(key))}\s*:", self.text, re.M)
            line = self.text.count("\n", 0, found.start()) + 1 if found else None
        record = f"entry {key!r}" if key else None
        return InputError(self.display, line, record, f"{message}; {_RERUN}")

    def model(self, data: Any) -> BiolinkModel:
        if not isinstance(data, dict) or sorted(data) != sorted(_KEYS):
            raise self.error(None, f"malformed lock: expected an object of {', '.join(_KEYS)}")
        if data["content_sha256"] != _checksum(data):
            raise self.error(
                "content_sha256",
                "edited: the content does not match its checksum (the lock says what Biolink "
                "says, and is never edited by hand)",
            )
        version = data["biolink_version"]
        classes = self.table(data, "classes", ("ancestors",))
        slots = self.table(data, "slots", _SLOT_FIELDS)
        enums = self.table(data, "enums", None)
        if not isinstance(version, str) or RELATED_TO not in slots:
            raise self.error("biolink_version", f"malformed lock: no version, or no {RELATED_TO}")
        model = BiolinkModel(
            version,
            {name: self.names(name, row["ancestors"], classes) for name, row in classes.items()},
            {name: self.slot(name, row, classes, slots) for name, row in slots.items()},
            {name: self.names(name, values, None) for name, values in enums.items()},
            self.display,
        )
        return model

    def table(self, data: dict[str, Any], section: str, fields: tuple[str, ...] | None) -> Any:
        """A section: biolink: CURIEs to objects of ``fields`` (``ancestors`` required), or to
        lists (``fields`` None)."""
        rows = data[section]
        if not isinstance(rows, dict):
            raise self.error(section, f"malformed lock: {section} must be an object")
        for name, row in rows.items():
            shaped = (
                isinstance(row, list)
                if fields is None
                else isinstance(row, dict) and "ancestors" in row and set(row) <= set(fields)
            )
            if not name.startswith("biolink:") or not shaped:
                expected = "a list" if fields is None else f"an object of {', '.join(fields)}"
                raise self.error(name, f"malformed lock: expected a biolink: CURIE to {expected}")
        return rows

    def names(self, name: str, values: Any, known: Mapping[str, Any] | None) -> Any:
        """A list of texts (of keys of ``known``, unless it is None)."""
        if not isinstance(values, list) or not all(
            isinstance(v, str) and (known is None or v in known) for v in values
        ):
            what = "texts" if known is None else "entries of the same section"
            raise self.error(name, f"malformed lock: expected a list of {what}")
        return frozenset(values) if known is not None else tuple(values)

    def slot(
        self, name: str, row: dict[str, Any], classes: Mapping[str, Any], slots: Mapping[str, Any]
    ) -> Slot:
        """A slot's row: its ancestors, domain and inverse entries of the lock, its range and
        uri texts."""
        expected = {"domain": (classes, "a class"), "inverse": (slots, "a slot")}
        for field in ("domain", "range", "inverse", "uri"):
            value = row.get(field)
            known, what = expected.get(field, (None, "text"))
            if field in row and not (isinstance(value, str) and (known is None or value in known)):
                raise self.error(name, f"malformed lock: {field} {value!r} is not {what} of it")
        return Slot(
            self.names(name, row["ancestors"], slots),
            row.get("domain"),
            row.get("range"),
            row.get("inverse"),
            row.get("uri"),
        )


def _checksum(data: Mapping[str, Any]) -> str:
    """The SHA-256 of the lock's content (all but its about and checksum), as canonical JSON."""
    content = {k: data[k] for k in _KEYS if k not in ("about", "content_sha256")}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def lock_text() -> bytes:
    """The lock of the installed biolink-model package's schema (schema/biolink_model.yaml),
    read with LinkML's SchemaView, offline (the schema imports only LinkML's bundled types).

    :raises KGError: the biolink-model package is not installed
    """
    view = _schema_view()
    slot_names = {name: "biolink:" + name.replace(" ", "_") for name in view.all_slots()}

    def uri(name: str | None) -> str | None:
        """The CURIE of a class, enumeration or type (a range may be any of them)."""
        if name is None:
            return None
        element = view.get_class(name) or view.get_enum(name) or view.get_type(name)
        return str(view.get_uri(element, expand=False)) if element is not None else name

    ancestors: dict[str, set[str]] = {}
    for name in view.all_classes():  # two names may share an IRI (KnowledgeGraph in 4.4.6)
        found = ancestors.setdefault(str(uri(name)), set())
        found.update(str(uri(a)) for a in view.class_ancestors(name, reflexive=False))
    classes = {curie: {"ancestors": sorted(found - {curie})} for curie, found in ancestors.items()}
    slots = {}
    for name, curie in slot_names.items():
        slot, induced = view.get_slot(name), view.induced_slot(name)
        own = str(view.get_uri(slot, expand=False))
        row: dict[str, Any] = {
            "ancestors": sorted(slot_names[a] for a in view.slot_ancestors(name, reflexive=False)),
            "domain": uri(induced.domain),
            "range": uri(induced.range),
            "inverse": slot_names.get(slot.inverse) if slot.inverse else None,
            "uri": own if own != curie else None,
        }
        slots[curie] = {k: v for k, v in row.items() if v is not None}
    enums = {uri(name): sorted(e.permissible_values) for name, e in view.all_enums().items()}
    lock: dict[str, Any] = {
        "about": "Written by `kg biolink` from the biolink-model package: do not edit. The "
        "build checks categories, predicates, qualifiers, domains and ranges against it.",
        "biolink_version": str(view.schema.version),
        "content_sha256": "",
        "classes": dict(sorted(classes.items())),
        "enums": dict(sorted(enums.items())),
        "slots": dict(sorted(slots.items())),
    }
    lock["content_sha256"] = _checksum(lock)
    return _dump(lock).encode("utf-8")


def _schema_view() -> Any:
    try:
        from importlib.resources import files

        from linkml_runtime.utils.schemaview import SchemaView

        schema = files("biolink_model").joinpath("schema").joinpath("biolink_model.yaml")
    except ModuleNotFoundError as error:
        raise KGError(
            "kg biolink reads the Biolink Model from the biolink-model package, which is not "
            "installed: pip install 'drugclaims-kg[biolink]'"
        ) from error
    return SchemaView(str(schema))


def _dump(lock: Mapping[str, Any]) -> str:
    """JSON with one entry of each section a line, so that a diff shows what changed."""
    parts = []
    for key, value in lock.items():
        if isinstance(value, dict):
            rows = ",\n".join(f"    {_json(k)}: {_json(v)}" for k, v in value.items())
            parts.append(f"  {_json(key)}: {{\n{rows}\n  }}")
        else:
            parts.append(f"  {_json(key)}: {_json(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
