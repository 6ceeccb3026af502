"""Curation files: YAML read with the line of every record, and the checks every record shares.

Every mapping read here is a :class:`Record`, a ``dict`` that knows the file and line it came from,
so that an error can name both.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from kg.errors import InputError
from kg.model import Origin

__all__ = [
    "KEY",
    "Record",
    "as_list",
    "check_fields",
    "check_key",
    "http_iri",
    "load_yaml",
    "optional_text",
    "records_of",
    "text",
]

#: A key that names an IRI: lower-case ASCII letters and digits, single hyphens between them.
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)
#: YAML types no curation field takes: refused at their line, never published as Python's repr.
_REFUSED_TAGS = {
    "tag:yaml.org,2002:timestamp": "a date or time (quote it to make it text)",
    "tag:yaml.org,2002:binary": "binary data (!!binary)",
    "tag:yaml.org,2002:set": "a set (!!set)",
    "tag:yaml.org,2002:omap": "an ordered map (!!omap)",
    "tag:yaml.org,2002:pairs": "pairs (!!pairs)",
}


class Record(dict[str, Any]):
    """A YAML mapping with the file and the line (from 1) where it starts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file: str = "?"
        self.line: int | None = None
        self.key_lines: dict[str, int] = {}
        self.item_lines: dict[str, list[int]] = {}

    def error(
        self, record: str | None, message: str, *, key: str | None = None, index: int | None = None
    ) -> InputError:
        """Return an :class:`InputError` at this record (or at the line of one of its keys)."""
        line = self.key_lines.get(key, self.line) if key else self.line
        if key and index is not None and index < len(self.item_lines.get(key, [])):
            line = self.item_lines[key][index]
        return InputError(self.file, line, record, message)

    def origin(self, name: str, *, nested: Iterable[str] = ()) -> Origin:
        """Where this record was curated, named ``name`` in messages (see
        :class:`~kg.model.Origin`): the lines the loader read, and those of each ``nested``
        mapping's fields as ``<field>.<its key>``.

        >>> text = b"key: a\\nqualifiers:\\n  doses:\\n    - 1\\n    - 2\\n"
        >>> origin = load_yaml(text, display="c.yaml").origin("claim 'a'", nested=["qualifiers"])
        >>> origin.line_of("qualifiers.doses"), origin.line_of("qualifiers.doses", 1)
        (3, 5)
        """
        fields = dict(self.key_lines)
        items = {key: tuple(lines) for key, lines in self.item_lines.items()}
        for outer in nested:
            inner = self.get(outer)
            if isinstance(inner, Record):
                fields.update((f"{outer}.{key}", line) for key, line in inner.key_lines.items())
                items.update((f"{outer}.{key}", tuple(ls)) for key, ls in inner.item_lines.items())
        return Origin(self.file, self.line, name, tuple(fields.items()), tuple(items.items()))


#: libyaml's parser where PyYAML has it (several times faster), else PyYAML's own.
_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _NoAliases:
    """Refuses aliases (an alias bomb is a few bytes that expand to billions of nodes), with
    libyaml's parser (once the tree is composed) and with PyYAML's own (as each is read)."""

    file = "?"

    def get_single_node(self) -> Any:
        """The document's node tree, refused if any node stands in it twice (an alias)."""
        node = super().get_single_node()  # type: ignore[misc]
        if node is not None:
            _refuse_aliases(node, self.file)
        return node

    def compose_node(self, parent: Any, index: Any) -> Any:
        """PyYAML's own parser: an alias is refused where it stands, before it is expanded."""
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            mark = self.peek_event().start_mark  # type: ignore[attr-defined]
            raise InputError(
                self.file,
                mark.line + 1,
                None,
                "aliases (*name) are not accepted in curation files: write the value out",
            )
        return super().compose_node(parent, index)  # type: ignore[misc]


class _Loader(_NoAliases, _BASE):  # type: ignore[misc]
    """A safe loader whose mappings are :class:`Record`, that refuses duplicate keys, aliases,
    dates, binary data, sets, and numbers that are not finite."""


def _refuse_aliases(root: yaml.Node, file: str) -> None:
    """Walk the node tree once; a node met a second time is an alias: refuse it at the line of
    the collection that holds it. Each node is visited once, so a bomb costs nothing."""
    seen = {id(root)}
    todo: deque[yaml.Node] = deque([root])
    while todo:  # breadth first, in document order: the first alias is the one reported
        node = todo.popleft()
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            continue
        for child in children:
            if id(child) in seen:
                raise InputError(
                    file,
                    node.start_mark.line + 1,
                    None,
                    "aliases (*name) are not accepted in curation files: write the value out",
                )
            seen.add(id(child))
            todo.append(child)


def _refuse(what: str) -> Any:
    def construct(loader: _Loader, node: yaml.Node) -> Any:
        raise InputError(loader.file, node.start_mark.line + 1, None, f"{what} is not accepted")

    return construct


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    value = loader.construct_yaml_float(node)
    if not math.isfinite(value):
        raise InputError(
            loader.file, node.start_mark.line + 1, None, f"{node.value!r} is not a finite number"
        )
    return float(value)


def _construct_record(loader: _Loader, node: yaml.MappingNode) -> Record:
    record = Record()
    record.file, record.line = loader.file, node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in record:
            raise InputError(
                loader.file,
                key_node.start_mark.line + 1,
                None,
                f"duplicate key {key!r} in one mapping",
            )
        record[key] = loader.construct_object(value_node, deep=True)
        record.key_lines[str(key)] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.SequenceNode):
            record.item_lines[str(key)] = [item.start_mark.line + 1 for item in value_node.value]
    return record


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_record)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
for _tag, _what in _REFUSED_TAGS.items():
    _Loader.add_constructor(_tag, _refuse(_what))


def load_yaml(
    path: Path | bytes, *, display: str, top_level: Iterable[str] | None = None
) -> Record:
    """Read a YAML file whose top level is a mapping; every string must be in NFC.

    :param path: the file to read, or its bytes (read already)
    :param display: how to name the file in messages (a path relative to the project)
    :param top_level: the keys the top level may have (None: any)
    :raises InputError: malformed YAML (with its line), a top level that is not a mapping or has
        an unknown key, a string not in Unicode normal form C or with a lone surrogate, an alias,
        a date, binary data, a set or a number that is not finite
    """
    loader_class = type("Loader", (_Loader,), {"file": display})
    try:
        raw = path if isinstance(path, bytes) else path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(display, None, None, f"cannot read: {error}") from error
    try:
        data = yaml.load(text, Loader=loader_class)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(display, line, None, f"malformed YAML: {error.problem}") from error
    except yaml.reader.ReaderError as error:  # a character YAML does not allow, at its line
        line = text[: error.position].count("\n") + 1
        what = f"#x{error.character:04x}" if isinstance(error.character, int) else "a character"
        raise InputError(
            display, line, None, f"malformed YAML: {what} is not allowed ({error.reason})"
        ) from error
    except yaml.YAMLError as error:
        message = " ".join(str(error).split())
        raise InputError(display, None, None, f"malformed YAML: {message}") from error
    if not isinstance(data, Record):
        raise InputError(display, 1, None, "expected a mapping at the top level")
    if top_level is not None:
        allowed = list(top_level)
        for key in data:
            if key not in allowed:
                raise data.error(
                    None, f"unknown key {key!r} (expected: {', '.join(allowed)})", key=str(key)
                )
    _check_text(data, data)
    return data


def _check_text(value: Any, record: Record, key: str | None = None) -> None:
    """Every string (keys too) is valid Unicode in NFC; each node is visited once."""
    if isinstance(value, Record):
        for item_key, item in value.items():
            _check_text(item_key, value, str(item_key))
            _check_text(item, value, str(item_key))
    elif isinstance(value, list):
        for item in value:
            _check_text(item, record, key)
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise record.error(None, f"text with a lone surrogate: {value!r}", key=key) from error
        if not unicodedata.is_normalized("NFC", value):
            raise record.error(
                None,
                f"text not in Unicode normal form NFC: {value!r} (normalise the file to NFC)",
                key=key,
            )


def records_of(data: Record, key: str, *, file: str) -> list[Record]:
    """Return ``data[key]``, which must be a list of mappings."""
    items = data.get(key)
    if not isinstance(items, list) or not all(isinstance(item, Record) for item in items):
        raise InputError(
            file,
            data.key_lines.get(key, data.line),
            None,
            f"expected '{key}:' to be a list of mappings",
        )
    return items


def check_fields(
    record: Record, name: str, *, required: Iterable[str], optional: Iterable[str] = ()
) -> None:
    """Refuse unknown fields and missing required ones, naming the record.

    >>> r = Record(key="a", qoute="x")
    >>> check_fields(r, "claim 'a'", required=["key", "quote"])
    Traceback (most recent call last):
    ...
    kg.errors.InputError: ?: claim 'a': unknown field 'qoute' (expected: key, quote)
    """
    required, optional = list(required), list(optional)
    allowed = required + optional
    for field in record:
        if field not in allowed:
            raise record.error(
                name, f"unknown field {field!r} (expected: {', '.join(allowed)})", key=str(field)
            )
    for field in required:
        if record.get(field) in (None, "", []):
            raise record.error(name, f"missing required field {field!r}")


def as_list(record: Mapping[str, Any], field: str) -> list[Any]:
    """Return a field that may be one value or a list of values, as a list."""
    value = record.get(field)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def optional_text(record: Record, name: str, field: str) -> str | None:
    """A field that, when present, must be text; None when absent."""
    return None if record.get(field) is None else text(record, name, field)


def text(record: Record, name: str, field: str) -> str:
    """A field that must be text: a YAML string, with no leading or trailing space.

    >>> text(Record(note=["a"]), "claim 'x'", "note")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: ?: claim 'x': note: expected text, got a list
    """
    value = record.get(field)
    if not isinstance(value, str) or not value.strip():
        kind = "nothing" if value is None else f"a {_kind(value)}"
        raise record.error(name, f"{field}: expected text, got {kind}", key=field)
    if value != value.strip():
        raise record.error(name, f"{field}: text with a leading or trailing space", key=field)
    return value


def _kind(value: object) -> str:
    names = {Record: "mapping", dict: "mapping", list: "list", bool: "boolean"}
    return names.get(type(value), "number" if isinstance(value, int | float) else "text")


def check_key(record: Record, name: str, field: str = "key") -> str:
    """A key that will name an IRI: it must match :data:`KEY` in full.

    >>> check_key(Record(key="../evil"), "claim", "key")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: ?: claim: key: '../evil' must be lower-case ASCII letters and ...
    """
    value = record.get(field)
    if not isinstance(value, str) or not KEY.fullmatch(value):
        raise record.error(
            name,
            f"{field}: {value!r} must be lower-case ASCII letters and digits with single "
            "hyphens between them (it names an IRI)",
            key=field,
        )
    return value


def http_iri(record: Record, name: str, field: str) -> str:
    """A field that must be an absolute http(s) IRI with no character an IRI may not hold."""
    value = text(record, name, field)
    if not _HTTP_IRI.fullmatch(value):
        raise record.error(name, f"{field}: {value!r} is not an http(s) IRI", key=field)
    return value


_HTTP_IRI = re.compile(r"https?://[^\x00-\x20<>\"{}|^`\\]+", re.ASCII)
