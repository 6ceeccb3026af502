"""Content negotiation, one choice in two forms: :func:`kg.web.negotiation.negotiate` (what
kg serve runs) and :func:`kg.web.negotiation.rules` (the regular expressions nginx and the
.htaccess are given) choose the same format for any header built from the ranges, q-values
and parameters clients write, including malformed ones."""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kg.web.negotiation import FORMATS, negotiate, rules

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
