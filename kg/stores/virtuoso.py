"""Virtuoso's bulk loader (``ld_dir``, ``rdf_loader_run``) through its ``isql`` client.

Every value put into the SQL is quoted: paths as SQL strings, graph names as checked IRIs, so a
file or graph name cannot end the statement it stands in.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from kg.sparql.endpoint import EndpointError

__all__ = ["bulk_load", "sql_iri", "sql_string"]

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\\']')


def sql_string(text: str) -> str:
    """A SQL string literal (``'`` doubled; no NUL, no line break).

    >>> sql_string("/srv/it's")
    "'/srv/it''s'"
    """
    if any(c in text for c in "\x00\r\n"):
        raise EndpointError(f"{text!r}: a control character cannot go into Virtuoso's SQL")
    return "'" + text.replace("'", "''") + "'"


def sql_iri(iri: str) -> str:
    """An IRI for a SPARQL clause inside SQL: ``<iri>``, refused if it could end the clause.

    >>> sql_iri("https://w3id.org/drugclaims/release/0.1.0")
    '<https://w3id.org/drugclaims/release/0.1.0>'
    """
    if not iri or _IRI_FORBIDDEN.search(iri) or ":" not in iri:
        raise EndpointError(f"not an IRI Virtuoso can be given: {iri!r}")
    return f"<{iri}>"


def bulk_load(
    address: str,
    user: str,
    password: str,
    source: Path,
    load_dir: Path,
    expected: dict[str, int],
    *,
    graph: str,
    isql: str = "isql-vt",
) -> dict[str, int]:
    """Load ``source`` with Virtuoso's bulk loader, replacing the graphs of ``expected``;
    return what the store then holds in each of them.

    ``load_dir`` must be one of the server's DirsAllowed. Errors of the loader, which raises
    none itself, are read from DB.DBA.LOAD_LIST.ll_error.
    """
    if graph:
        sql_iri(graph)  # refused here if it is no IRI, before anything is copied
    target = load_dir.resolve() / f"kg-release{source.suffix}"
    try:
        shutil.copyfile(source, target)
    except OSError as error:
        raise EndpointError(f"{load_dir}: cannot copy the release there: {error}") from error
    file, folder = sql_string(str(target)), sql_string(str(target.parent))
    script = [  # one statement a line: isql reads a line as one statement
        f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = {file}",
        *(f"SPARQL CLEAR GRAPH {sql_iri(name)}" for name in expected),
        f"ld_dir({folder}, {sql_string(target.name)}, {sql_string(graph)})",
        "rdf_loader_run()",
        "checkpoint",
        f"SELECT 'LL_ERROR', ll_error FROM DB.DBA.LOAD_LIST WHERE ll_file = {file}",
    ]
    output = _isql(isql, address, user, password, script)
    errors = re.findall(r"^LL_ERROR[ \t]+(.+)$", output, re.MULTILINE)
    if not errors:
        raise EndpointError(f"{address}: the bulk loader did not register {target.name}")
    if errors[0].strip() not in ("NULL", ""):
        raise EndpointError(f"{address}: the bulk loader failed: {errors[0].strip()[:200]}")
    return {name: _count(isql, address, user, password, name) for name in expected}


def _count(isql: str, address: str, user: str, password: str, graph: str) -> int:
    output = _isql(
        isql,
        address,
        user,
        password,
        [f"SPARQL SELECT 'COUNT', COUNT(*) FROM {sql_iri(graph)} WHERE {{ ?s ?p ?o }}"],
    )
    found = re.search(r"^COUNT[ \t]+(\d+)", output, re.MULTILINE)
    return int(found.group(1)) if found else -1


def _isql(isql: str, address: str, user: str, password: str, script: list[str]) -> str:
    """Run the statements of ``script`` with isql as ``user``, one a line. The password goes
    to isql's prompt on standard input, never on its command line (where every user of the
    machine sees it in ``ps``): isql first tries no password, says "Bad login", asks, and
    reads it; the statements follow."""
    try:
        result = subprocess.run(
            [isql, address, user],
            input="".join(f"{line}\n" for line in [password, *(f"{s};" for s in script)]),
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    except FileNotFoundError as error:
        raise EndpointError(
            f"{isql} not found (apt-get install virtuoso-opensource-7-bin)"
        ) from error
    except subprocess.TimeoutExpired as error:
        raise EndpointError(f"{address}: isql did not finish within an hour") from error
    errors = result.stderr.split(_PROMPT, 1)[1] if _PROMPT in result.stderr else result.stderr
    output = result.stdout + errors
    if result.returncode != 0 or "*** Error" in output:
        line = next((x for x in output.splitlines() if "Error" in x), output.strip()[:200])
        raise EndpointError(f"{address}: isql failed: {line.replace(password, '***')}")
    return result.stdout + result.stderr


#: isql's prompt for the password (after its attempt with none, whose "Bad login" is expected).
_PROMPT = "Enter password for"
