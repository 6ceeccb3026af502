"""Turtle as people read it and machines diff it: written by Oxigraph (which keeps every
literal exactly as built), subjects sorted and grouped, prefixes sorted, a blank line between
subjects, and no prefix whose local names would need backslash escapes."""

from __future__ import annotations

import bisect
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

__all__ = [
    "read_blocks",
    "unusable_prefixes",
    "usable_prefixes",
    "whole_lines",
    "write_ntriples_file_as_turtle",
    "write_turtle",
]

#: A local name Turtle can write after a prefix with no escape.
PLAIN_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.:-]*[A-Za-z0-9_:-])?$")


def write_turtle(triples: Iterable[ox.Triple], namespaces: Mapping[str, str]) -> bytes:
    """Serialise triples as sorted, grouped Turtle with the usable prefixes of ``namespaces``.

    >>> t = ox.Triple(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/b"),
    ...               ox.Literal("100", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")))
    >>> print(write_turtle([t], {"ex": "http://example.org/"}).decode())
    @prefix ex: <http://example.org/> .
    <BLANKLINE>
    ex:a ex:b "100"^^<http://www.w3.org/2001/XMLSchema#decimal> .
    <BLANKLINE>
    """
    ordered = sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    iris = {
        term.value
        for triple in ordered
        for term in (triple.subject, triple.predicate, triple.object)
        if isinstance(term, ox.NamedNode)
    }
    return _write(ordered, usable_prefixes(iris, namespaces))


class _Output(Protocol):
    def write(self, data: bytes, /) -> object: ...


def write_ntriples_file_as_turtle(
    source: Path,
    out: _Output,
    namespaces: Mapping[str, str],
    *,
    block: int = 1 << 20,
    unusable: set[str] | None = None,
) -> None:
    """What :func:`write_turtle` writes, from a file of N-Triples that are already one
    canonical statement a line, sorted, each once (a release's graph.nt), into ``out``, in
    bounded memory: the file is read in blocks to find the usable prefixes (unless
    ``unusable`` gives the prefixes :func:`unusable_prefixes` found in all of it already),
    Oxigraph streams its statements into a temporary file beside it, and that is read back in
    blocks. The IRIs a block's search finds are held at once: blocks of 1 MB keep that to
    about 35 MB in all, where blocks of 16 MB took 165 MB, in the same time (the graph.nt of
    5,001 sources, 2.4M lines)."""
    if unusable is None:
        unusable = set()
        with open(source, "rb") as handle:
            for lines in read_blocks(handle, block):
                unusable.update(unusable_prefixes(lines, namespaces))
    prefixes = {name: ns for name, ns in namespaces.items() if name not in unusable}
    handle_number, name = tempfile.mkstemp(prefix=".turtle-", dir=source.parent)
    os.close(handle_number)
    try:
        ox.serialize(
            ox.parse(path=str(source), format=ox.RdfFormat.N_TRIPLES),
            output=name,
            format=ox.RdfFormat.TURTLE,
            prefixes=dict(prefixes),
        )
        with open(name, "rb") as written:
            _tidy(read_blocks(written, block), prefixes, out)
    finally:
        os.unlink(name)


def unusable_prefixes(lines: bytes, namespaces: Mapping[str, str]) -> set[str]:
    """The prefixes of ``namespaces`` that Turtle cannot use for some IRI of ``lines`` (whole
    lines of N-Triples): a prefix is usable in a file when no block of its lines finds it
    unusable (:func:`usable_prefixes`)."""
    iris = set(chain.from_iterable(_IRIS.findall(lines)))
    iris.discard(b"")
    usable = usable_prefixes((iri.decode("utf-8") for iri in iris), namespaces)
    return set(namespaces) - set(usable)


def read_blocks(handle: _Input, size: int) -> Iterable[bytes]:
    """The file in blocks of whole lines (the last may lack its newline)."""
    return whole_lines(iter(partial(handle.read, size), b""))


def whole_lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """``blocks`` of bytes cut again after their last newline: blocks of whole lines (the
    last may lack its newline).

    >>> list(whole_lines([b"a\\nb", b"c\\nd\\n", b"e"]))
    [b'a\\n', b'bc\\nd\\n', b'e']
    """
    rest = b""
    for data in blocks:
        data = rest + data
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if cut:
            yield data[:cut]
    if rest:
        yield rest


class _Input(Protocol):
    def read(self, size: int, /) -> bytes: ...


def _tidy(blocks: Iterable[bytes], prefixes: Mapping[str, str], out: _Output) -> None:
    """Oxigraph's Turtle, in blocks of whole lines, with its prefixes in an order of our own
    (sorted: Oxigraph writes them in one of its own) and a blank line before each subject
    (Oxigraph escapes newlines in literals, so a line that ends a statement, followed by one
    that does not start with a tab, starts a subject)."""
    header = "".join(f"@prefix {name}: <{ns}> .\n" for name, ns in sorted(prefixes.items()))
    out.write(header.encode("utf-8"))
    in_header = True
    pending = False  # the last block ended a statement: a subject may start the next one
    for data in blocks:
        if in_header:
            start = 0
            while data.startswith(b"@prefix ", start):
                start = data.index(b"\n", start) + 1
            if start == len(data):
                continue
            data = data[start:]
            in_header = False
            pending = bool(header)
        if pending and data[:1] not in (b"\t", b"\n"):
            out.write(b"\n")
        out.write(_SUBJECT.sub(b" .\n\n", data))
        pending = data.endswith(b" .\n")


#: The IRIs of a canonical N-Triples line: its subject (unless blank), its predicate, its object
#: (if an IRI); matched in C over the whole file, not split line by line in Python.
_IRIS = re.compile(rb"^(?:<([^>]*)>|_:\S+) <([^>]*)> (?:<([^>]*)>)?", re.MULTILINE)


def _write(triples: Iterable[ox.Triple] | Iterable[ox.Quad], prefixes: Mapping[str, str]) -> bytes:
    written = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(prefixes))
    assert written is not None
    out = io.BytesIO()
    _tidy([written], prefixes, out)
    return out.getvalue()


_SUBJECT = re.compile(rb" \.\n(?=[^\t\n])")


def usable_prefixes(iris: Iterable[str], namespaces: Mapping[str, str]) -> dict[str, str]:
    """The prefixes under which every one of the IRIs has a plain local name: a prefix whose
    local names would need Turtle's backslash escapes (``doi:10.1177\\/...``) is left out."""
    ordered = sorted(set(iris))
    usable = {}
    for name, namespace in namespaces.items():
        index = bisect.bisect_left(ordered, namespace)
        plain = True
        while index < len(ordered) and ordered[index].startswith(namespace):
            local = ordered[index][len(namespace) :]
            if local and not PLAIN_LOCAL_NAME.match(local):  # "dcterms:" is a fine name
                plain = False
                break
            index += 1
        if plain:
            usable[name] = namespace
    return usable
