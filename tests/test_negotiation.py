"""Content negotiation: the table of real clients' Accept headers (tests/fixtures/accept.tsv,
which tests/test_deploy.py sends to kg serve, nginx and Apache) is what kg chooses; and one
choice in two forms: :func:`kg.web.negotiation.negotiate` (what kg serve runs) and
:func:`kg.web.negotiation.rules` (the regular expressions nginx and the .htaccess are given)
choose the same format for any header built from the ranges, q-values and parameters clients
write, including malformed ones."""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.web.negotiation import FORMATS, negotiate, rules

TABLE = Path(__file__).parent / "fixtures" / "accept.tsv"


@dataclass(frozen=True)
class Client:
    """One row of the table: a client, the Accept header it sends (None: none), and the
    document format it must get ("406": none)."""

    name: str
    accept: str | None
    format: str


def read_clients(table: Path = TABLE) -> list[Client]:
    """The rows of the Accept table (lines starting with # are comments)."""
    lines = [line for line in table.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    return [
        Client(row["client"], None if row["accept"] == "(none)" else row["accept"], row["format"])
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    ]


CLIENTS = read_clients()


@pytest.mark.parametrize("client", CLIENTS, ids=[c.name for c in CLIENTS])
def test_each_client_gets_its_format(client: Client) -> None:
    chosen = negotiate(client.accept)
    assert (chosen.extension if chosen else "406") == client.format


def test_the_table_has_every_kind_of_client() -> None:
    """Distinct headers, every format and 406 among the answers."""
    assert len({c.accept for c in CLIENTS}) >= 30
    assert {c.format for c in CLIENTS} == {f.extension for f in FORMATS} | {"406"}


MEDIA = [
    *(media for fmt in FORMATS for media in fmt.accepted),
    "*/*",
    "text/*",
    "application/*",
    "image/*",
    "image/png",
    "application/n-quads",
    "application/trig",
    "text/n3",
    "text/xml",
    "TEXT/Turtle",
    "text/turtles",
    "xtext/turtle",
]
PARAMETERS = [
    "",
    ";q=0",
    ";q=1",
    ";q=1.0",
    ";q=1.000",
    ";q=0.5",
    ";q=0.55",
    ";q=0.95",
    ";q=0.9",
    ";q=0.05",
    ";q=0.009",
    ";q=0.",
    ";q=0.0000",
    ";q=1.5",
    ";q=abc",
    ";q=",
    "; q=0.3",
    " ;q=0.3 ",
    ";\tq=0.7",
    "; q =0.4",
    ";q= 0.4",
    ";Q=0.7",
    ";level=1",
    ";q=0.9;v=b3",
    ";v=b3;q=0.2",
    ";q=0.2;q=0.3",
    ";qs=0.1",
    ";q",
    ";",
]
SEPARATORS = [",", ", ", " , ", ",\t", ",,"]


def header_of(pieces: list[tuple[str, str]], separator: str) -> str:
    return separator.join(media + parameter for media, parameter in pieces)


def first_rule(header: str) -> str | None:
    return next((ext for pattern, ext in RULES if pattern.search(header)), None)


RULES = [(re.compile(pattern, re.IGNORECASE), ext) for pattern, ext in rules()]
HEADERS = st.builds(
    header_of,
    st.lists(st.tuples(st.sampled_from(MEDIA), st.sampled_from(PARAMETERS)), max_size=6),
    st.sampled_from(SEPARATORS),
)


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(HEADERS)
def test_the_rules_choose_as_negotiate_does(header: str) -> None:
    chosen = negotiate(header)
    assert first_rule(header) == (chosen.extension if chosen else None)


def sample_headers(count: int, seed: int = 18) -> list[str]:
    """``count`` headers built as above, the same ones every run (for the real servers)."""
    pick = random.Random(seed)
    return [
        header_of(
            [(pick.choice(MEDIA), pick.choice(PARAMETERS)) for _ in range(pick.randint(1, 6))],
            pick.choice(SEPARATORS),
        )
        for _ in range(count)
    ]


def test_the_sample_covers_every_outcome() -> None:
    """The sample the servers are sent reaches every format and 406."""
    outcomes = {(negotiate(h).extension if negotiate(h) else None) for h in sample_headers(300)}
    assert outcomes == {fmt.extension for fmt in FORMATS} | {None}
