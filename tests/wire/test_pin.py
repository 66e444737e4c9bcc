"""The officer PIN's rule and hash, as the kiosk and the council's enrol share them."""

from __future__ import annotations

import random

import pytest

from booth.wire.pin import WEAK_PIN, hash_pin, is_pin_hash, pin_problem, verify_pin


@pytest.mark.parametrize("pin", [
    "111111", "000000", "99999999",  # one digit repeated
    "123456", "654321", "12345678", "890123", "098765",  # runs, wrapping too
    "121212", "123123", "12341234", "112112",  # a block said again
    "123321", "100001", "11223344",  # mirrors and pairs
    "147258", "159753", "696969", "112358", "314159",  # well-known PINs
    "140385", "031485", "850314", "14031985", "19850314", "03141985",  # dates
])
def test_a_weak_pin_is_refused(pin: str) -> None:
    assert pin_problem(pin) == WEAK_PIN


@pytest.mark.parametrize("pin", ["1234", "12345", "123456789", "12a456", "", "１２３４５６"])
def test_a_pin_that_is_not_6_to_8_digits_is_refused(pin: str) -> None:
    assert pin_problem(pin) == "A PIN is 6 to 8 digits."


@pytest.mark.parametrize("pin", ["394817", "7260493", "58203917", "904172"])
def test_a_pin_hard_to_guess_is_accepted(pin: str) -> None:
    assert pin_problem(pin) is None


def test_the_rule_leaves_most_random_pins_to_choose_from() -> None:
    """The rule refuses the guessable ones, not a big share of all PINs (an officer who
    has to try ten times will write it on the laptop)."""
    draw = random.Random(7)
    pins = [f"{draw.randrange(10**6):06d}" for _ in range(4000)]
    refused = sum(pin_problem(pin) is not None for pin in pins) / len(pins)
    assert 0.02 < refused < 0.25


def test_the_hash_verifies_the_pin_and_nothing_else() -> None:
    stored = hash_pin("394817")
    assert is_pin_hash(stored) and "394817" not in stored
    assert verify_pin("394817", stored)
    assert not verify_pin("394818", stored)
    assert not verify_pin("394817", "md5$whatever")
    assert not verify_pin("394817", "scrypt$not$a$hash$at$all")
    assert not is_pin_hash("scrypt$16384$8$1$zz$00")
