"""The officer PIN as both sides read it: the scrypt hash kept on the kiosk (or put in a
credential by the council) and the rule a PIN must pass to be hard to guess."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
import secrets
from datetime import date

PIN_MIN_DIGITS = 6
PIN_MAX_DIGITS = 8
# scrypt cost: ~20 ms on a kiosk laptop; enough to make a stolen hash slow to guess
# for a 6-8 digit PIN without making the officer wait.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
# scrypt$N$r$p$ then a 16-byte salt and a 32-byte digest, each in hex.
HASH_PATTERN = (r"^scrypt\$[0-9]{1,7}\$[0-9]{1,3}\$[0-9]{1,3}\$(?:[0-9a-f]{2}){16}"
                r"\$(?:[0-9a-f]{2}){32}$")

# The PINs people choose most often that the other rules below do not already catch
# (keypad shapes, famous numbers, pairs and mirrors), from published PIN studies.
COMMON_PINS = frozenset({
    "112233", "123321", "123654", "147258", "147852", "159357", "159753", "258369",
    "258456", "369258", "456123", "456654", "520520", "654123", "696969", "741852",
    "753951", "789456", "789987", "852456", "963852", "102030", "112358", "142857",
    "314159", "271828", "131313", "100200", "123789", "246810", "135790", "147369",
    "11223344", "12344321", "12348765", "13579246", "14789632", "15975346", "24681357",
    "11235813", "31415926", "27182818", "12121985", "10203040", "11112222", "12301230",
})

WEAK_PIN = ("That PIN is too easy to guess. Choose 6 to 8 digits that are not a date, "
            "not a run like 123456, not one or two digits repeated, and not a well-known PIN.")


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt_hex$hash_hex``, for the kiosk's device meta or a credential."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def is_pin_hash(text: str) -> bool:
    """True when ``text`` has the shape :func:`hash_pin` writes."""
    return re.fullmatch(HASH_PATTERN, text) is not None


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(pin.encode("utf-8"), salt=bytes.fromhex(salt_hex), n=int(n),
                                r=int(r), p=int(p), dklen=len(digest_hex) // 2)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


def _is_run(pin: str) -> bool:
    """Each digit one up (or one down) from the last, wrapping: 123456, 876543, 890123."""
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {9})


def _repeats_a_block(pin: str) -> bool:
    """A short block said again and again: 121212, 123123, 12341234."""
    return any(len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size)
               for size in range(1, len(pin) // 2 + 1))


def _is_mirror(pin: str) -> bool:
    """The same read backwards, built from at most three digits: 123321, 100001."""
    return pin == pin[::-1] and len(set(pin)) <= 3


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _looks_like_a_date(pin: str) -> bool:
    """A birthday or another date in a common order (DDMMYY, MMDDYY, YYMMDD, DDMMYYYY,
    MMDDYYYY, YYYYMMDD). Two-digit years may be any century."""
    def two(i: int) -> int:
        return int(pin[i:i + 2])

    if len(pin) == 6:
        candidates = [(2000 + two(4), two(2), two(0)), (2000 + two(4), two(0), two(2)),
                      (2000 + two(0), two(2), two(4))]
    elif len(pin) == 8:
        candidates = [(int(pin[4:]), two(2), two(0)), (int(pin[4:]), two(0), two(2)),
                      (int(pin[:4]), two(4), two(6))]
        candidates = [(y, m, d) for y, m, d in candidates if 1900 <= y <= 2099]
    else:
        return False
    return any(_real_date(y, m, d) for y, m, d in candidates)


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be the officer PIN, in plain words; None when it can."""
    if not pin.isascii() or not pin.isdigit() or \
            not PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS:
        return f"A PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits."
    if (len(set(pin)) <= 2 or _is_run(pin) or _repeats_a_block(pin) or _is_mirror(pin)
            or pin in COMMON_PINS or _looks_like_a_date(pin)):
        return WEAK_PIN
    return None
