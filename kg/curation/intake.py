"""``kg new``: a received document made into a source folder, ready for claims.

The document is kept byte for byte as received, beside a ``source.yaml`` of what its parser
read (its checksum, parser and identifiers) and a ``claims.yaml`` with the field guide and no
claims yet; the folder is added to ``dataset.yaml``'s ``sources:`` list by a line-level edit
that keeps every comment. Nothing is guessed: a document of no known format, an existing
folder, or a key that cannot name an IRI is refused before anything is written.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from kg.curation.articles import read_document
from kg.curation.documents import FORMATS, DocumentError, DocumentRecord, detect
from kg.curation.project import Project
from kg.curation.records import KEY
from kg.errors import InputError, OutputError
from kg.runtime.publish import write_file

__all__ = ["NewSource", "claims_template", "new_source"]

_SOURCES_LINE = re.compile(r"sources:[ \t]*(?:#.*)?")
_ITEM = re.compile(r"(?P<indent>[ \t]*)- +\S.*")


@dataclass(frozen=True)
class NewSource:
    """What ``kg new`` made: the folder (relative to the project), its files, whether
    dataset.yaml now lists it, and the document's format."""

    folder: str
    files: tuple[str, ...]
    parser: str
    listed: bool
    dataset_line: str


def new_source(
    project: Project, file: Path, *, key: str | None = None, parser: str | None = None
) -> NewSource:
    """Make ``sources/<key>/`` of the document ``file`` (format ``parser``, else detected) and
    list it in dataset.yaml. The key is ``pubmed-<PMID>`` unless given.

    :raises InputError: the file cannot be read or parsed, the key is bad, the folder exists
        (nothing is written); dataset.yaml cannot be edited safely (the folder is made, and the
        message says the line to add)
    """
    project.check()
    display = str(file)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise InputError(display, None, None, f"cannot read: {error.strerror or error}") from error
    if parser is None:
        try:
            parser = detect(data)
        except DocumentError as error:
            raise InputError(display, error.line, None, error.message) from error
    _, record = read_document(parser, data, display)
    key = _key(key, record, display)
    folder = project.root / "sources" / key
    if folder.exists():
        raise InputError(str(folder), None, None, "already exists: choose another --key")
    name = "source" + FORMATS[parser].suffix
    files = {
        name: data,
        "source.yaml": source_yaml(key, name, data, parser, record, file.name).encode(),
        "claims.yaml": claims_template(key, name).encode(),
    }
    _write_folder(folder, files)
    relative = f"sources/{key}"
    line = f"  - {relative}"
    listed = _list_in_dataset(project.dataset_file, relative)
    return NewSource(relative, tuple(files), parser, listed, line)


def _key(key: str | None, record: DocumentRecord | None, display: str) -> str:
    if key is None:
        if record is None or not record.pmid:
            raise InputError(display, None, None, "the document gives no PMID: name its --key")
        key = f"pubmed-{record.pmid}"
    if not KEY.fullmatch(key):
        raise InputError(
            display,
            None,
            None,
            f"key {key!r} must be lower-case ASCII letters and digits with single hyphens "
            "between them (it names the source's IRIs)",
        )
    return key


def _write_folder(folder: Path, files: dict[str, bytes]) -> None:
    """Write the files into a hidden folder beside ``folder``, then rename it: the folder
    appears whole or not at all."""
    parent = folder.parent
    try:
        parent.mkdir(exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}-"))
        for name, data in files.items():
            (staging / name).write_bytes(data)
        os.chmod(staging, 0o755)
        os.rename(staging, folder)
    except OSError as error:
        raise OutputError.from_os_error(folder, error, "check the project folder") from error


def _list_in_dataset(dataset: Path, relative: str) -> bool:
    """Add ``- relative`` after the last item of dataset.yaml's block list ``sources:``,
    keeping every other line as it is; False when that cannot be done safely (no such block
    list, or the edited file would not read as the same dataset plus the folder)."""
    text = dataset.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _SOURCES_LINE.fullmatch(line.rstrip("\r\n"))]
    if len(starts) != 1:
        return False
    last, indent = None, None
    for index in range(starts[0] + 1, len(lines)):
        stripped = lines[index].strip()
        match = _ITEM.fullmatch(lines[index].rstrip("\r\n"))
        if match is not None and indent in (None, match["indent"]):
            last, indent = index, match["indent"]
        elif stripped and not stripped.startswith("#"):
            break
    if last is None or indent is None:
        return False
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines.insert(last + 1, f"{indent}- {relative}\n")
    edited = "".join(lines)
    before, after = yaml.safe_load(text), yaml.safe_load(edited)
    if after != {**before, "sources": [*before["sources"], relative]}:
        return False
    write_file(dataset, edited.encode("utf-8"))
    return True


def source_yaml(
    key: str, name: str, data: bytes, parser: str, record: DocumentRecord | None, received: str
) -> str:
    """The source.yaml of a new source: a header saying what is checked, then the fields."""
    kind = FORMATS[parser]
    header = [
        f"# The source document and what source.yaml adds to it (kg new, from {received}).",
        "#",
        "# `file` is kept byte for byte as received; `sha256` is the checksum it had then, and the",
        "# build stops if the bytes change. Quotes and offsets count in the document's text:",
        f"# {_TEXT_RULE[kind.media_type]}",
    ]
    if record is None:
        header += [
            "# A plain-text document says nothing of its article: fill in `article:` (id, title,",
            "# journal_name, date; optional volume, issue, pages, pmid, pmcid, authors, keywords).",
        ]
    else:
        header += [
            f"# Parser `{parser}`: {kind.description}. It reads the article from the document",
            "# at every build and fails on a document it does not recognise; the identifiers",
            "# below were read from the document and are checked against it at every build.",
        ]
    header += [
        "# Optional under article: `journal` (a key of catalogue/entities.yaml: the journal,",
        "# checked against the document's name or ISSN) and `affiliation` (a key, or a list of",
        "# keys, of the organisations the article is from: the industry-affiliation query reads",
        "# them).",
        *_what_the_document_names(record),
    ]
    fields = {
        "key": key,
        "file": name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "parser": parser,
    }
    body = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n\n" + body + "article:\n" + _article_block(record)


_TEXT_RULE = {
    "text/plain": "the file decoded as UTF-8 (a space in a quote matches a line break and indent).",
    "application/xml": "its character data, tags removed, entities decoded (Web Annotation).",
    "text/html": "its character data without script and style, references decoded.",
}


def _what_the_document_names(record: DocumentRecord | None) -> list[str]:
    if record is None:
        return []
    journal = record.journal + (f" ({record.journal_title})" if record.journal_title else "")
    issns = f", ISSN {', '.join(record.issns)}" if record.issns else ""
    lines = [f"# The document names the journal {_oneline(journal)}{issns}"]
    places = dict.fromkeys(a for author in record.authors for a in author.affiliations)
    places.update(dict.fromkeys(record.affiliations))
    if places:
        lines.append("# and these affiliations:")
        lines += [f"#   {_oneline(place)}" for place in places]
    return lines


def _oneline(text: str) -> str:
    return " ".join(text.split())


def _article_block(record: DocumentRecord | None) -> str:
    if record is None:
        return (
            "  id: ''            # the article's DOI (doi:10...) or PMID (pubmed:...)\n"
            "  title: ''\n"
            "  journal_name: ''  # as a citation writes it\n"
            "  date: ''          # 2014, 2014-11 or 2014-11-21\n"
        )
    ids = {}
    if record.doi:
        ids["id"] = f"doi:{record.doi}"
    elif record.pmid:
        ids["id"] = f"pubmed:{record.pmid}"
    else:
        ids["id"] = ""
    if record.pmid:
        ids["pmid"] = f"pubmed:{record.pmid}"
    if record.pmcid:
        ids["pmcid"] = f"pmc:{record.pmcid}"
    text = yaml.safe_dump({"article": ids}, sort_keys=False, allow_unicode=True, width=100)
    return text.split("\n", 1)[1]


def claims_template(key: str, name: str) -> str:
    """The claims.yaml of a new source: the field guide and no claims."""
    return f"""\
# The claims of {key}, one record each, curated by hand.
#
# Fields (`kg build` rejects anything else, naming file, line and record):
#   key          required; stable within the source (lower case, digits, hyphens): it names the
#                claim's IRI, so do not rename a published claim
#   subject, object   required; keys of catalogue/entities.yaml
#   predicate    required; a CURIE declared kgo:ClaimPredicate in ontology/kgo.ttl
#   status       required; asserted | negated | hypothesis | assessed (kgo:EpistemicStatus)
#                A direct triple (subject predicate object) is published only for `asserted`.
#   negated      optional, only for a hypothesis: true for the hypothesis that the relation
#                does not hold (an asserted claim that does not hold has the status `negated`)
#   knowledge_level   Biolink KnowledgeLevelEnum value of an asserted or negated claim; default
#                knowledge_assertion (a hypothesis is a prediction, an assessed claim's level is
#                not_provided: the status sets them)
#   evidence_type     an ECO CURIE, for claims that report clinical studies
#   quote        required; the exact words of {name}, typos included (for XML and HTML, the words
#                as a reader sees them: no tags, &lt; as <); a space matches any line break and
#                indent. It must occur once; if it occurs more than once, add `prefix`: the text
#                just before the wanted one.
#   qualifiers   optional; names from catalogue/qualifiers.yaml, which says what each takes: the
#                study's results too (population, comparator, intervention, instrument, effect,
#                arm_results, p_value, confidence_interval, dose_range, duration) and links to
#                other claims (conflicts_with, similar_to, compares_with, refines: a claim key,
#                or source-key/claim-key)
#   note         optional; a curator's note on how the claim was read
# The build computes each quote's span (Unicode code points from 0, end exclusive) and states it.

claims: []
"""
