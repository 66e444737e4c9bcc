"""Reference codes: the six characters a participant reads out to withdraw their answers.

A code is read off a screen or a card, written down, and read out over the phone, so its
alphabet never holds both characters of a pair people mistake for each other. Pairs
ruled out (the character kept, if any, is named):

- 0/O, 0/D, O/D, O/Q: keep D;          1/I, 1/L, I/L, 1/7, I/J: keep 7 and J;
- 7/T: keep 7;                         2/Z: keep 2;
- 3/8, 8/B, 3/B, B/E, 3/E: keep 3;     4/A: keep 4;
- 5/S: keep 5;                         6/G, 6/b, G/C: keep 6 and C;
- 9/g, 9/q: keep 9;                    E/F, F/P, P/R, R/B: keep F and R;
- K/X, X/Y, U/V, V/Y: keep K, U, Y;    M/N, M/W, N/H, W/VV: keep M and H.

Left in because nobody reads them as each other, though they can sound alike on a poor
line: C/D, J/K and 5/9. An officer taking a code by phone reads letters back as words
("C for cat").

The council gives each kiosk its own two-character prefix when it enrols it, and the kiosk
draws the other four at random, unique in its own store: a code names one session across
all of a council's kiosks. A kiosk not enrolled yet draws all six at random."""

from __future__ import annotations

import secrets
from typing import Final

REFERENCE_ALPHABET: Final = "2345679CDFHJKMRUY"
REFERENCE_LENGTH: Final = 6
PREFIX_LENGTH: Final = 2
#: How a code is shown: two groups of three, easy to hold in mind while reading it out.
GROUP: Final = 3


def new_reference_code(prefix: str | None = None) -> str:
    """A fresh code: ``prefix`` (the kiosk's, from the council) then random characters."""
    start = prefix if prefix is not None and is_prefix(prefix) else ""
    rest = REFERENCE_LENGTH - len(start)
    return start + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(rest))


def random_prefix() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(PREFIX_LENGTH))


def all_prefixes() -> list[str]:
    """Every prefix a council can hand out (17 x 17 = 289)."""
    return [a + b for a in REFERENCE_ALPHABET for b in REFERENCE_ALPHABET]


def is_prefix(text: str) -> bool:
    return len(text) == PREFIX_LENGTH and all(ch in REFERENCE_ALPHABET for ch in text)


def normalise_reference(code: str) -> str:
    """Upper-case and drop spaces and dashes, as an officer may type it."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def format_reference(code: str) -> str:
    """A code as it is shown and read out: "K7M-4RH". Anything typed is normalised first;
    text that is not six characters is shown as it is."""
    plain = normalise_reference(code)
    if len(plain) != REFERENCE_LENGTH:
        return plain
    return f"{plain[:GROUP]}-{plain[GROUP:]}"
