"""Curation files: YAML read with the line of every record, and the checks every record shares.

Every mapping read here is a :class:`Record`, a ``dict`` that knows the file and line it came from,
so that an error can name both.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from kg.errors import InputError

__all__ = ["Record", "as_list", "check_fields", "load_yaml", "records_of"]


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


class _Loader(yaml.SafeLoader):
    """A safe loader whose mappings are :class:`Record` and refuse duplicate keys."""

    file = "?"


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


def load_yaml(path: Path, *, display: str) -> Record:
    """Read a YAML file whose top level is a mapping; every string must be in NFC.

    :param path: the file to read
    :param display: how to name the file in messages (a path relative to the project)
    :raises InputError: malformed YAML (with its line), a top level that is not a mapping, or a
        string not in Unicode normal form C
    """
    loader_class = type("Loader", (_Loader,), {"file": display})
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(display, None, None, f"cannot read: {error}") from error
    try:
        data = yaml.load(text, Loader=loader_class)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(display, line, None, f"malformed YAML: {error.problem}") from error
    except yaml.YAMLError as error:
        raise InputError(display, None, None, f"malformed YAML: {error}") from error
    if not isinstance(data, Record):
        raise InputError(display, 1, None, "expected a mapping at the top level")
    _check_nfc(data, data)
    return data


def _check_nfc(value: Any, record: Record, key: str | None = None) -> None:
    if isinstance(value, Record):
        for item_key, item in value.items():
            _check_nfc(item, value, str(item_key))
    elif isinstance(value, list):
        for item in value:
            _check_nfc(item, record, key)
    elif isinstance(value, str) and not unicodedata.is_normalized("NFC", value):
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
