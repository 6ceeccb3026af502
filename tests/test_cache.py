"""The build cache and the source's unit of work, tested directly (the end-to-end builds are in
test_scale.py): an entry is trusted only when it is the one written for its key, byte for
byte, and a unit's result survives the cache's JSON whole."""

from __future__ import annotations

import hashlib
import json
import marshal
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from kg.build.cache import (
    CODECS,
    EntryCache,
    _mac,
    cache_secret,
    program_hash,
    verdict_content,
    verdict_of,
)
from kg.build.units import SourceResult
from kg.rdf.origins import Where
from kg.validation.report import ReportRow

KEY = "ab" + "0" * 62
CONTENT = {"verdict": {"conforms": False, "rows": []}, "lines": ["<a> <b> <c>"]}


def entry_of(cache: EntryCache, key: str) -> Path:
    assert cache.folder is not None
    (path,) = (cache.folder / cache.kind).rglob(f"{key}.{cache.codec}")
    return path


@pytest.mark.parametrize("codec", CODECS)
def test_an_entry_comes_back_as_it_was_put(codec: str, tmp_path: Path) -> None:
    cache = EntryCache(tmp_path, "sources", codec=codec)
    assert cache.get(KEY) is None
    cache.put(KEY, CONTENT)
    assert cache.get(KEY) == CONTENT
    assert cache.hits == 1


@pytest.mark.parametrize(
    "damage", ["truncated", "tampered", "forged", "foreign", "not json", "empty"]
)
@pytest.mark.parametrize("codec", CODECS)
def test_a_damaged_entry_is_never_trusted(codec: str, damage: str, tmp_path: Path) -> None:
    cache = EntryCache(tmp_path, "sources", codec=codec)
    cache.put(KEY, CONTENT)
    path = entry_of(cache, KEY)
    header = path.read_bytes().split(b"\n", 1)[0]
    forged = json.dumps({**CONTENT, "verdict": {"conforms": True, "rows": []}}).encode()
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:40])
    elif damage == "tampered":  # the content changed, the checksum did not
        path.write_bytes(header + b"\n" + forged)
    elif damage == "forged":  # the content changed and a checksum recomputed, without the secret
        entry = {"key": KEY, "mac": hashlib.sha256(forged).hexdigest()}
        path.write_bytes(json.dumps(entry).encode() + b"\n" + forged)
    elif damage == "foreign":  # an entry of another key, its MAC right for what it holds
        secret = cache_secret()
        assert secret is not None
        other = "cd" + "0" * 62
        entry = {"key": other, "mac": _mac(secret, other, forged)}
        path.write_bytes(json.dumps(entry).encode() + b"\n" + forged)
    elif damage == "not json":
        path.write_bytes(b"\x00\xff not json")
    else:
        path.write_bytes(b"")
    assert cache.get(KEY) is None
    assert cache.hits == 0
    cache.put(KEY, CONTENT)  # written again
    assert cache.get(KEY) == CONTENT


def test_no_folder_keeps_nothing_and_a_read_only_folder_is_skipped(tmp_path: Path) -> None:
    nothing = EntryCache(None, "sources")
    nothing.put(KEY, CONTENT)
    assert nothing.get(KEY) is None
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    cache = EntryCache(blocked, "sources")
    cache.put(KEY, CONTENT)  # cannot be written: skipped, no error
    assert cache.get(KEY) is None


def test_a_verdict_survives_json_and_a_wrong_one_is_refused() -> None:
    row = ReportRow("Violation", "kgs:Shape", "<urn:focus>", "<urn:path>", "message", '"v"')
    where = Where("sources/x/claims.yaml", 12, "claim 'k'", "object_direction", "")
    verdict = (False, (row, replace(row, focus="<urn:other>", where=where)))
    assert verdict_of(json.loads(json.dumps(verdict_content(verdict)))) == verdict
    for wrong in (
        {"conforms": "yes", "rows": []},
        {"conforms": True, "rows": [["a", "b"]]},
        {"rows": []},
    ):
        with pytest.raises((ValueError, KeyError, TypeError)):
            verdict_of(wrong)


def test_a_source_result_survives_the_cache_whole() -> None:
    result = SourceResult(
        folder="sources/x",
        key="x",
        article="https://doi.org/10.1/x",
        document="source.txt",
        claims=2,
        lines=("<a> <b> <c>",),
        article_lines=("<d> <e> <f>",),
        verdict=(True, ()),
        nodes={"<a>": "{}"},
        nanopubs={"x/one": "@prefix np: <http://www.nanopub.org/nschema#> ."},
        edges=({"id": "a", "negated": False, "publications": ["PMID:1"]},),
        named=("https://example.org/a",),
        rows=({"claim": "a", "status": "asserted"},),
    )
    assert SourceResult.of(json.loads(json.dumps(result.content()))) == result
    assert SourceResult.of(marshal.loads(marshal.dumps(result.content()))) == result
    failed = SourceResult("sources/y", error=("claims.yaml", 3, "claim 'k'", "unknown field"))
    back = SourceResult.of(json.loads(json.dumps(failed.content())))
    assert back == failed
    assert SourceResult.of(marshal.loads(marshal.dumps(failed.content()))) == failed
    with pytest.raises(Exception, match="unknown field"):
        back.raise_error()


def test_the_program_hash_covers_every_stage_of_kg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit anywhere in kg (not only in the build's own folder) invalidates the cache."""
    import shutil

    import kg
    from kg.build import program

    copy = tmp_path / "kg"
    shutil.copytree(Path(kg.__file__).parent, copy)
    monkeypatch.setattr(program, "__file__", str(copy / "build" / "program.py"))
    program_hash.cache_clear()  # computed once a process; here once an edit
    before = program_hash()
    for edited in ("rdf/mint.py", "formats/kgx.py", "views.py"):
        with (copy / edited).open("a", encoding="utf-8") as handle:
            handle.write("\n# edited\n")
        program_hash.cache_clear()
        after = program_hash()
        assert after != before, edited
        before = after
    program_hash.cache_clear()


def test_the_secret_is_the_users_own_and_outside_the_cache(tmp_path: Path) -> None:
    """The key that signs the entries is a file of mode 0600 outside the cache folder: one who
    can write the cache cannot sign an entry. Without a secret nothing is cached."""
    import os
    import stat

    from kg.build.cache import SECRET_ENV

    secret = Path(os.environ[SECRET_ENV])
    cache = EntryCache(tmp_path / "cache", "sources")
    cache.put(KEY, CONTENT)
    assert secret.is_file() and stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert not secret.is_relative_to(tmp_path / "cache")
    assert len(secret.read_bytes()) == 32
    link = tmp_path / "link.key"
    link.symlink_to(secret)
    os.environ[SECRET_ENV] = str(link)
    try:  # a secret reached through a symlink is not used: nothing is cached or trusted
        assert cache_secret() is None
        assert EntryCache(tmp_path / "cache", "sources").get(KEY) is None
    finally:
        os.environ[SECRET_ENV] = str(secret)
    assert cache.get(KEY) == CONTENT


@pytest.mark.parametrize("codec", ["marshal 4 python 2.7", None, 4])
def test_a_marshal_entry_of_another_python_is_not_read(codec: object, tmp_path: Path) -> None:
    """An entry in marshal's format whose header names another Python (or none), even with
    its HMAC right: marshal's format is Python's own, so it is not read, and is written again."""
    cache = EntryCache(tmp_path, "sources", codec="marshal")
    cache.put(KEY, CONTENT)
    path = entry_of(cache, KEY)
    header, text = path.read_bytes().split(b"\n", 1)
    entry = json.loads(header)
    assert entry["codec"].startswith(f"marshal {marshal.version} python ")
    if codec is None:
        del entry["codec"]
    else:
        entry["codec"] = codec
    path.write_bytes(json.dumps(entry).encode() + b"\n" + text)
    assert cache.get(KEY) is None
    cache.put(KEY, CONTENT)
    assert cache.get(KEY) == CONTENT


def test_a_codec_that_is_not_known_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pickle"):
        EntryCache(tmp_path, "sources", codec="pickle")


def test_a_json_entry_is_never_read_as_marshal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON entry (its HMAC right for its bytes and key) put where a marshal entry of the
    same key goes, its header saying marshal: the HMAC signs the format too, so it is not
    trusted, and marshal never reads bytes it did not write."""
    as_json = EntryCache(tmp_path, "sources")
    as_json.put(KEY, CONTENT)
    header, text = entry_of(as_json, KEY).read_bytes().split(b"\n", 1)
    as_marshal = EntryCache(tmp_path, "sources", codec="marshal")
    entry = {**json.loads(header), "codec": f"marshal {marshal.version} python "}
    entry["codec"] += ".".join(map(str, sys.version_info[:2]))
    path = entry_of(as_json, KEY).with_suffix(".marshal")
    path.write_bytes(json.dumps(entry).encode() + b"\n" + text)
    read: list[bytes] = []
    monkeypatch.setattr(marshal, "loads", read.append)
    assert as_marshal.get(KEY) is None
    assert read == []
