"""Reference codes: no look-alike characters, shown in two groups, typed any way."""

from __future__ import annotations

import pytest

from booth.wire import reference

# Pairs people read as each other on a screen, a card or a handwritten note. Written out
# here rather than taken from the module, so the test holds the alphabet to account.
LOOK_ALIKES = [
    "0O", "0D", "OD", "OQ", "0Q", "1I", "1L", "IL", "17", "IJ", "1J", "7T", "2Z", "38", "8B",
    "3B", "BE", "3E", "4A", "5S", "6G", "6B", "GC", "9G", "9Q", "EF", "FP", "PR", "RB", "KX",
    "XY", "UV", "VY", "MN", "MW", "NH", "WV", "CO", "DQ", "8S", "B6", "Z7",
]


def test_the_alphabet_holds_no_look_alike_pair() -> None:
    alphabet = set(reference.REFERENCE_ALPHABET)
    both = [pair for pair in LOOK_ALIKES if set(pair) <= alphabet]
    assert both == []
    assert len(alphabet) == len(reference.REFERENCE_ALPHABET) >= 16


@pytest.mark.parametrize("prefix", [None, "K7", "2Y"])
def test_codes_never_contain_a_look_alike_pair(prefix: str | None) -> None:
    codes = {reference.new_reference_code(prefix) for _ in range(2000)}
    assert len(codes) > 1900  # random, not a counter
    for code in codes:
        assert len(code) == reference.REFERENCE_LENGTH == 6
        assert set(code) <= set(reference.REFERENCE_ALPHABET)
        assert not [pair for pair in LOOK_ALIKES if set(pair) <= set(code)], code
        if prefix is not None:
            assert code.startswith(prefix)


def test_a_prefix_not_from_the_alphabet_is_not_used() -> None:
    code = reference.new_reference_code("O0")
    assert not code.startswith("O0") and set(code) <= set(reference.REFERENCE_ALPHABET)
    assert len(reference.all_prefixes()) == len(set(reference.all_prefixes())) == 17 * 17
    assert all(reference.is_prefix(p) for p in reference.all_prefixes())


def test_codes_are_shown_in_two_groups_and_typed_any_way() -> None:
    assert reference.format_reference("K7M4RH") == "K7M-4RH"
    for typed in ("k7m-4rh", " K7M 4RH ", "k 7 m - 4 r h", "K7M-4RH"):
        assert reference.normalise_reference(typed) == "K7M4RH"
        assert reference.format_reference(typed) == "K7M-4RH"
    assert reference.format_reference("") == ""
    assert reference.format_reference("R00001") == "R00-001"


@pytest.mark.parametrize("prefix", [None, "K7"])
def test_the_shown_form_holds_no_look_alike_pair_either(prefix: str | None) -> None:
    """What the thank-you screen and the printed card show ("K7M-4RH"): the code's own
    characters and one dash between two groups of three, which looks like none of them."""
    for _ in range(2000):
        shown = reference.format_reference(reference.new_reference_code(prefix))
        assert len(shown) == 7 and shown[3] == "-" and shown.count("-") == 1
        assert set(shown) <= set(reference.REFERENCE_ALPHABET) | {"-"}
        assert not [pair for pair in LOOK_ALIKES if set(pair) <= set(shown)], shown
    assert not any(ch in "-_" for ch in reference.REFERENCE_ALPHABET)
