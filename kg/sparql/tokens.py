"""SPARQL query text, tokenized: what kg needs to know of a query before it runs it.

A lexer of the SPARQL 1.1 grammar's terminals, not a search over the text: codepoint escapes
(``\\u0053ERVICE``) are decoded first, as the grammar says (19.2); comments end at a line feed or
a carriage return; strings, IRIs, variables and prefixed names are single tokens, so a word inside
one of them is never mistaken for a keyword. From the tokens: the query form (an update is not a
query), the prefixes declared and used, the order variables appear in, and whether the query
asks another server for data (``SERVICE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "UPDATE_KEYWORDS",
    "Token",
    "declared_prefixes",
    "names_dataset",
    "query_form",
    "selects_all",
    "tokenize",
    "undeclared_prefixes",
    "uses_service",
    "variables_in_order",
]

#: The words an update operation starts with (SPARQL 1.1 Update).
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_NAME_START = (
    r"A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
    r"\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
)
_NAME_CHAR = _NAME_START + r"0-9_\-\u00B7\u0300-\u036F\u203F-\u2040"
_LOCAL_CHAR = _NAME_CHAR + r":%\\"
_TOKEN = re.compile(
    rf"""
    (?P<ws>[\x20\t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |\"(?:[^\"\\\n\r]|\\.)*\"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>\"{{}}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][{_NAME_CHAR}]+)
  | (?P<bnode>_:[{_NAME_CHAR}](?:[{_NAME_CHAR}]|\.(?=[{_NAME_CHAR}]))*)
  | (?P<pname>(?:[{_NAME_START}](?:[{_NAME_CHAR}]|\.(?=[{_NAME_CHAR}]))*)?:
               (?:[{_LOCAL_CHAR}](?:[{_LOCAL_CHAR}]|\.(?=[{_LOCAL_CHAR}]))*)?)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>\^\^|&&|\|\||<=|>=|!=|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """One terminal of the query: its kind (``word``, ``var``, ``pname``, ``iri``, ``string``,
    ``punct`` ...) and its text, after codepoint escapes are decoded."""

    kind: str
    text: str


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def tokenize(query: str, *, decode: bool = True) -> list[Token]:
    """The significant tokens of a query (no whitespace, no comments); ``decode=False`` lexes
    the text as written, with codepoint escapes left in place (as some engines read it).

    >>> [t.text for t in tokenize('SELECT ?s { #x\\rSERVICE <http://a> { ?s ?p "#" } }')]
    ['SELECT', '?s', '{', 'SERVICE', '<http://a>', '{', '?s', '?p', '"#"', '}', '}']
    """
    found = []
    for match in _TOKEN.finditer(_unescape(query) if decode else query):
        kind = match.lastgroup or "punct"
        if kind not in ("ws", "comment"):
            found.append(Token(kind, match.group()))
    return found


def _body(tokens: list[Token]) -> list[Token]:
    """The tokens after the prologue (BASE <iri>, PREFIX p: <iri>)."""
    index = 0
    while index < len(tokens) and tokens[index].text.upper() in ("BASE", "PREFIX"):
        index += 2 if tokens[index].text.upper() == "BASE" else 3
    return tokens[index:]


def query_form(query: str) -> str:
    """The first keyword after the prologue, upper-cased: SELECT, ASK, INSERT, DROP ...

    >>> query_form("PREFIX a: <http://a/> # c\\n insert data { a:b a:c a:d }")
    'INSERT'
    """
    body = _body(tokenize(query))
    return body[0].text.upper() if body and body[0].kind == "word" else ""


def declared_prefixes(query: str) -> set[str]:
    """The prefixes the query declares itself (``PREFIX name: <...>``)."""
    tokens = tokenize(query)
    return {
        tokens[i + 1].text[:-1]
        for i, token in enumerate(tokens[:-1])
        if token.text.upper() == "PREFIX" and tokens[i + 1].kind == "pname"
    }


def undeclared_prefixes(query: str) -> set[str]:
    """The prefixes the query uses in prefixed names but does not declare.

    >>> sorted(undeclared_prefixes("PREFIX a: <http://a/> SELECT * { ?s a:p MONDO:0000001 }"))
    ['MONDO']
    """
    tokens = tokenize(query)
    used = {
        t.text.split(":", 1)[0]
        for i, t in enumerate(tokens)
        if t.kind == "pname" and not (i and tokens[i - 1].text.upper() == "PREFIX")
    }
    return used - declared_prefixes(query)


def selects_all(query: str) -> bool:
    """Whether the query is ``SELECT [DISTINCT|REDUCED] *``."""
    body = [t.text.upper() for t in _body(tokenize(query))[:3]]
    return bool(body) and body[0] == "SELECT" and "*" in body[1:3]


def variables_in_order(query: str) -> list[str]:
    """The names of the query's variables in the order they first appear.

    >>> variables_in_order("SELECT * { ?z ?y $x . ?z ?w 1 }")
    ['z', 'y', 'x', 'w']
    """
    names: dict[str, None] = {}
    for token in tokenize(query):
        if token.kind == "var":
            names.setdefault(token.text[1:], None)
    return list(names)


def names_dataset(query: str) -> bool:
    """Whether the query names its own dataset (``FROM`` or ``FROM NAMED``).

    >>> names_dataset("SELECT * FROM <http://a/g> { ?s ?p ?o }")
    True
    >>> names_dataset("SELECT * { ?s <http://a/FROM> 'FROM' } # FROM")
    False
    """
    return any(t.kind == "word" and t.text.upper() == "FROM" for t in tokenize(query))


def uses_service(query: str) -> bool:
    """Whether the query has a ``SERVICE`` clause, however it is spelt (any case, codepoint
    escapes, after a comment that ends at a carriage return), in any nested group, subquery or
    ``EXISTS``. A ``SERVICE`` inside a string, an IRI, a comment or a name is not one.

    >>> uses_service("SELECT * { #x\\rSERVICE <http://a/> { ?s ?p ?o } }")
    True
    >>> uses_service('SELECT * { ?s ?p "SERVICE" } # SERVICE')
    False

    The text is lexed twice, with codepoint escapes decoded (as the grammar says) and as
    written (as Oxigraph reads it), and either reading that finds ``SERVICE`` counts: a string
    such as ``'\\u0027'`` closes in one reading and not in the other.
    """
    return any(
        t.kind == "word" and t.text.upper() == "SERVICE"
        for decode in (True, False)
        for t in tokenize(query, decode=decode)
    )
