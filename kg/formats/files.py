"""The files of a release, in one place: their names, media types, and which are RDF (those get
VoID statistics in the dataset description). The build checks its target against this list, the
dataset description gives each file its media type from it, and the site and the server serve
each download with it (``kg.web.deploy``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError

__all__ = [
    "ALL_FOLDERS",
    "FILES",
    "RELEASE_FILES",
    "RELEASE_FOLDERS",
    "SHARDS",
    "ReleaseFile",
    "check_release",
    "download_types",
    "is_shard",
    "shard_name",
]


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release."""

    name: str
    media_type: str
    rdf: bool = False  # described with VoID statistics

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1]


FILES = (
    ReleaseFile("claims.csv", "text/csv"),
    ReleaseFile("claims.schema.json", "application/json"),
    ReleaseFile("context.jsonld", "application/ld+json"),
    ReleaseFile("datapackage.json", "application/json"),
    ReleaseFile("graph.jsonld", "application/ld+json", rdf=True),
    ReleaseFile("graph.nq", "application/n-quads", rdf=True),
    ReleaseFile("graph.nt", "application/n-triples", rdf=True),
    ReleaseFile("graph.ttl", "text/turtle", rdf=True),
    ReleaseFile("kgx_edges.jsonl", "application/jsonl"),
    ReleaseFile("kgx_edges.tsv", "text/tab-separated-values"),
    ReleaseFile("kgx_nodes.jsonl", "application/jsonl"),
    ReleaseFile("kgx_nodes.tsv", "text/tab-separated-values"),
    ReleaseFile("mappings.sssom.tsv", "text/tab-separated-values"),
    ReleaseFile("nanopubs.trig", "application/trig"),
    ReleaseFile("void.ttl", "text/turtle"),
)
#: The names of the release's files.
RELEASE_FILES = tuple(f.name for f in FILES)
#: The folder of the release's shards, when dataset.yaml's ``shard_sources`` asks for them:
#: graph.nq in parts, shards/shared.nq (the ontology, catalogue and description) and
#: shards/sources-00001.nq … (each the graphs of ``shard_sources`` sources, in dataset.yaml's
#: order), each listed in void.ttl with its size and SHA-256.
SHARDS = "shards"
#: The release's folders: one nanopublication a claim, nanopubs/<source>/<claim>.trig.
RELEASE_FOLDERS = ("nanopubs",)
#: Every folder a release may hold: its own, and the shards' when it is split.
ALL_FOLDERS = (*RELEASE_FOLDERS, SHARDS)
_SHARD = re.compile(rf"{SHARDS}/(shared|sources-[0-9]{{5,}})\.nq")


def shard_name(number: int | None) -> str:
    """The name of a shard: the shared graphs' (None), or the ``number``-th of the sources'.

    >>> shard_name(None), shard_name(3)
    ('shards/shared.nq', 'shards/sources-00003.nq')
    """
    return f"{SHARDS}/shared.nq" if number is None else f"{SHARDS}/sources-{number:05d}.nq"


def is_shard(name: str) -> bool:
    """Whether ``name`` (a path in the release) is a shard's.

    >>> is_shard("shards/sources-00001.nq"), is_shard("shards/../graph.nq")
    (True, False)
    """
    return _SHARD.fullmatch(name) is not None


def download_types() -> dict[str, str]:
    """The ``Content-Type`` of a release file by its extension (text types in UTF-8).

    >>> download_types()["trig"], download_types()["json"]
    ('application/trig; charset=utf-8', 'application/json')
    """
    found = {}
    for item in FILES:
        textual = item.media_type.startswith("text/") or item.media_type in _UTF8
        found[item.extension] = item.media_type + ("; charset=utf-8" if textual else "")
    return found


#: Types that are text without saying so, served with their charset.
_UTF8 = {"application/ld+json", "application/n-quads", "application/n-triples", "application/trig"}


def check_release(release: Path) -> None:
    """Refuse what is not a release folder as ``kg build`` writes it (``--release DIR``).

    :raises InputError: not a folder, or no graph.nt and graph.nq in it
    """
    if not release.is_dir():
        raise InputError(
            str(release),
            None,
            None,
            "not a release folder (--release names a folder such as dist/, not an RDF file)",
        )
    for name in ("graph.nt", "graph.nq"):
        if not (release / name).is_file():
            raise InputError(str(release), None, None, f"no {name} in it (build it: kg build)")
