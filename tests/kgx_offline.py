"""The kgx library, loaded offline: the Biolink model and the prefix maps from the
``biolink-model`` package, never from the network.

kgx fetches at import: ``bmt.Toolkit()`` with its default schema and predicate map (URLs), and
its JSON-LD contexts (``kgx.config``'s URLs). Before ``kgx.transformer`` is first imported, the
toolkit's defaults are pointed at the package's ``schema/biolink_model.yaml`` with an empty
predicate map, and kgx's context map is filled from the package's prefix map; the tests run
under kg's offline guard, so anything left that would fetch fails loudly instead.
"""

from __future__ import annotations

import json
from importlib.resources import files
from types import ModuleType
from typing import Any

from kg.runtime.offline import offline

__all__ = ["kgx_transformer", "read_kgx"]

_loaded: ModuleType | None = None


def kgx_transformer() -> ModuleType:
    """``kgx.transformer``, imported offline (once)."""
    global _loaded
    if _loaded is None:
        import bmt

        package = files("biolink_model")
        schema = str(package.joinpath("schema").joinpath("biolink_model.yaml"))
        init = bmt.Toolkit.__init__
        init.__defaults__ = (schema, {"predicate mappings": []})  # type: ignore[attr-defined]
        prefixes = json.loads(
            package.joinpath("prefixmaps").joinpath("biolink_model_prefix_map.json").read_text()
        )
        with offline():
            import kgx.config

            for name in ("biolink", "monarch_context", "obo_context"):
                kgx.config.jsonld_context_map[name] = prefixes
            import kgx.transformer

        _loaded = kgx.transformer
    return _loaded


def read_kgx(
    filenames: list[str], file_format: str, *, stream: bool
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The nodes (by id) and the edges kgx reads from ``filenames``: in graph mode (its
    in-memory store, where it merges edges) or streamed (record by record) into JSON Lines.
    """
    transformer_module = kgx_transformer()
    with offline():
        transformer = transformer_module.Transformer(stream=stream)
        if stream:
            import tempfile
            from pathlib import Path

            with tempfile.TemporaryDirectory() as folder:
                out = str(Path(folder) / "out")
                transformer.transform(
                    input_args={"filename": filenames, "format": file_format},
                    output_args={"filename": out, "format": "jsonl"},
                )
                nodes = _lines(Path(f"{out}_nodes.jsonl"))
                edges = _lines(Path(f"{out}_edges.jsonl"))
        else:
            transformer.transform(input_args={"filename": filenames, "format": file_format})
            graph = transformer.store.graph
            nodes = [dict(data, id=node) for node, data in graph.nodes(data=True)]
            edges = [dict(data) for _, _, data in graph.edges(data=True)]
    return {node["id"]: node for node in nodes}, edges


def _lines(path: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
