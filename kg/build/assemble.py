"""The release's files assembled from the sources' results as they come, in memory that does
not grow with the corpus.

Each source's result hands its parts on to disk at once (its graph's lines, JSON-LD nodes,
claims-table rows and KGX edges to external sorters, its nanopublications as files, its
article's lines to a file they are read again from) and only what is small is kept: what the
build checks across sources.
The whole-graph files are then written by merging the sorted runs, each statement, node and
row once, byte for byte what sorting them all in memory would write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from itertools import repeat
from pathlib import Path
from typing import Any

from curies import Converter
from pyoxigraph import Store

from kg.build.beside import Beside, graph_beside
from kg.build.manifest import Manifest
from kg.build.units import SourceResult
from kg.curation.converter import namespaces
from kg.errors import InputError
from kg.formats import table
from kg.formats.files import shard_name
from kg.formats.kgx import Ids, write_kgx
from kg.formats.release import JsonNodes, json_bytes, write_graphs, write_jsonld
from kg.formats.void import Counting, Statistics
from kg.namespaces import BIOLINK, KGO
from kg.rdf.mint import source_graph
from kg.runtime.spool import Sorter, SpilledLines, WorkFolder

__all__ = ["SORT_MEMORY", "Assembly", "SharedGraph", "sort_budget"]

#: What a row's or an edge's field costs in memory besides its text, in characters against a
#: sorter's budget (its entry in the dict; its key is shared with the source's other rows).
_FIELD = 32


@dataclasses.dataclass(frozen=True)
class SharedGraph:
    """A graph of the release that is no source's: its IRI, its rank (where a statement that
    two graphs hold is kept: the lowest; the sources' graphs rank 2), lines and nodes."""

    iri: str
    rank: int
    lines: Sequence[str]
    nodes: JsonNodes


class Assembly:
    """The release's parts, taken from each source's result (:meth:`take`) and written as
    files into ``work`` (:meth:`finish`)."""

    def __init__(
        self,
        work: WorkFolder,
        *,
        budget: int | None = None,
        previous: Path | None = None,
        recorded: Manifest | None = None,
    ) -> None:
        if budget is None:
            budget = sort_budget()
        self.work = work
        spool = work.path("spool")
        self._spool = spool
        self._budget = budget
        self._lines = Sorter(spool, budget=budget)
        self._nodes = Sorter(spool, budget=budget // 2, size=_second)
        self._rows = Sorter(spool, budget=budget // 4, size=_record)
        self._edges = Sorter(spool, budget=budget // 4, size=_record)
        self._keys: set[str] = set()
        self._named: set[str] = set()
        self._nanopubs: set[str] = set()
        self._previous = previous  # the release being replaced, whose unchanged files stay
        self._recorded = recorded  # its manifest: a file it proves unchanged is not read
        self._order: dict[str, int] = {}  # each source's graph: its place in dataset.yaml
        self.claims = 0
        #: each source's article's lines, by the article's IRI as a term (``<…>``)
        self.articles = SpilledLines(spool / "articles.sqlite")

    def take(self, index: int, result: SourceResult) -> SourceResult:
        """Hand the parts of the ``index``-th source's result on; the rest is returned."""
        if result.error is not None:
            return result
        graph = str(source_graph(result.key))
        self._order[graph] = index
        self.articles.add(f"<{result.article}>", result.article_lines)
        rank = (2, graph)
        lines = result.lines  # counted as the sorter counts them: each line's length
        self._lines.add_all(list(zip(lines, repeat(rank), repeat(graph))), sum(map(len, lines)))
        self._nodes.extend((result.nodes or {}).items())
        # the index and position keep equal keys in the order of the sources, as a stable
        # sort of them all would
        self._rows.extend(
            (row["claim"], index, position, row) for position, row in enumerate(result.rows)
        )
        for position, edge in enumerate(result.edges):
            self._edges.add((str(edge["id"]), index, position, edge))
            self._keys.update(edge)
        self._named.update(result.named)
        for name, text in (result.nanopubs or {}).items():
            file = f"nanopubs/{name}.trig"
            before = self._previous / file if self._previous is not None else None
            proven = None
            if before is not None and self._recorded is not None:
                proven = partial(self._recorded.holds, file)
            self.work.keep(file, text.encode("utf-8"), before, proven)
            self._nanopubs.add(name)
        self.claims += result.claims
        return dataclasses.replace(
            result,
            lines=(),
            article_lines=(),
            nodes=None,
            nanopubs=None,
            edges=(),
            named=(),
            rows=(),
        )

    def finish(
        self,
        shared: Iterable[SharedGraph],
        *,
        converter: Converter,
        context: Mapping[str, Any],
        kgx: tuple[Store, Ids],
        columns: Sequence[str],
        shard_sources: int | None = None,
        separate: bool = False,
    ) -> Statistics:
        """Write the graph in every format, the nanopublications, KGX and the claims table;
        return the graph's VoID statistics. ``context``: the release's JSON-LD context;
        ``kgx``: a store of the ontology and the catalogue, and the KGX identifiers;
        ``columns``: the claims table's; ``shard_sources``: graph.nq is also written in
        shards of that many sources each, and one of the shared graphs
        (:func:`kg.formats.files.shard_name`); ``separate``: graph.ttl and the statistics are
        made in a process of their own while the rest is written (:mod:`kg.build.beside`)."""
        self._recorded = None  # every unit is taken: the last manifest is no longer needed
        for graph in shared:
            rank = (graph.rank, "")
            self._lines.extend((line, rank, graph.iri) for line in graph.lines)
            self._nodes.extend(graph.nodes.items())

        def shard(graph: str) -> str:
            index = self._order.get(graph)
            return shard_name(None if index is None else index // (shard_sources or 1) + 1)

        sharded = shard if shard_sources else None
        examples = (str(KGO.Claim), str(BIOLINK.Article))
        beside: contextlib.AbstractContextManager[Beside]
        each: Callable[[str], object] | None = None
        if separate:  # graph.ttl and the statistics, read from graph.nt as it is written
            beside = graph_beside(
                self.work, namespaces(converter), budget=self._budget // 4, examples=examples
            )
        else:
            counting = Counting(Sorter(self._spool, budget=self._budget // 4))
            each = counting.add
            made = partial(counting.result, example_classes=examples)
            beside = contextlib.nullcontext(Beside(lambda: None, made))
        with beside as turtle:
            write_graphs(
                self.work, self._lines, converter, each=each, shard=sharded, turtle=not separate
            )
            turtle.written()
            write_jsonld(self.work, context, self._nodes)
            self.work.write("context.jsonld", json_bytes(context))
            with self.work.open("nanopubs.trig") as out:  # TriG documents concatenated
                files = self.work.files()
                for name in sorted(self._nanopubs):
                    out.write(files[f"nanopubs/{name}.trig"].read_bytes())
            store, ids = kgx
            edges = (item[3] for item in self._edges)
            write_kgx(self.work, edges, self._keys, self._named, store, ids)
            with self.work.open(table.CLAIMS_FILE) as out:
                table.write_claims_csv(out, (item[3] for item in self._rows), columns)
            return turtle.statistics()


#: The environment variable that sets how many MB of text the assembly sorts in memory.
SORT_MEMORY = "KG_SORT_MEMORY"


def sort_budget() -> int:
    """Characters of text the assembly's sorters hold in memory before they spill a run to
    disk: ``$KG_SORT_MEMORY`` MB (default 64; each character held costs a few bytes; a
    larger budget spills fewer runs, but merging them costs little: at 1,001 sources an edit
    takes the same 8.6 s with 64 and with 128, which holds every line, and half the memory).

    :raises InputError: the variable is set to no positive number
    """
    value = os.environ.get(SORT_MEMORY, "64")
    try:
        megabytes = float(value)
    except ValueError:
        megabytes = 0.0
    if not megabytes > 0:
        raise InputError(SORT_MEMORY, None, None, f"{value!r}: a number of MB above 0 was expected")
    return max(1, int(megabytes * 1_000_000))


def _second(item: Any) -> int:
    return len(item[1])


def _record(item: Any) -> int:
    """A row or an edge (the last of the ``item``) as characters against a sorter's budget:
    its text and what each field costs besides (:data:`_FIELD`)."""
    return sum(
        len(key) + (len(value) if isinstance(value, str) else len(str(value))) + _FIELD
        for key, value in item[-1].items()
    )
