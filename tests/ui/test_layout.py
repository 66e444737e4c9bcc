"""Every screen in every look at 1024x768, 1366x768 and 1920x1080: no words clipped, every
touch target big enough (64 px for children and older people, 48 px for adults) and 12 px
from the next, the video a wide 16:9."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QLayout, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from booth.pack import LOOKS, Look
from booth.ui.widgets import button
from tests.helpers.layout import every_screen, layout_problems
from tests.helpers.ui import build_window, close_rig, shipped_look_style

SIZES = [(1024, 768), (1366, 768), (1920, 1080)]

# Every screen and overlay the walk must reach, so a walk cut short cannot pass quietly.
SCREENS = {"failsafe", "attract", "welcome", "consent", "choose a question", "get ready",
           "recording", "recording, the last seconds", "review", "asked before trying again",
           "asked before stopping", "priorities, saved and all ticked",
           "choose another question, a video kept", "tally, too few people", "tally",
           "thank you", "thank you, the last second", "still there?", "goodbye after Stop",
           "goodbye after No thanks"}


@pytest.mark.slow
@pytest.mark.parametrize("look", LOOKS)
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_screen_fits_every_size(
    qtbot: QtBot, data_dir: Path, size: tuple[int, int], look: Look
) -> None:
    rig = build_window(qtbot, data_dir, size=size)
    try:
        seen: list[str] = []
        problems: list[str] = []
        for name, roots in every_screen(rig, look):
            seen.append(name)
            style = rig.window.look_style()
            assert style.look == look or name in ("failsafe", "attract", "welcome")
            problems += [f"{name}: {p}" for root in roots for p in layout_problems(root, style)]
        assert set(seen) >= SCREENS, SCREENS - set(seen)
        if look == "child":
            assert "countdown" in seen and "consent, the grown-up said yes" in seen
        if look != "child":
            assert any(name.startswith("about you") for name in seen)
        assert problems == []
    finally:
        close_rig(rig)


@pytest.mark.slow
@pytest.mark.parametrize("look", LOOKS)
@pytest.mark.parametrize("language", ["pl", "ur", "ar"])
def test_every_screen_fits_in_long_words_and_tall_scripts(
    qtbot: QtBot, data_dir: Path, language: str, look: Look
) -> None:
    """At 1024x768, in Polish (long words), Urdu (Nastaliq's tall lines) and Arabic (right
    to left): nothing clipped, targets big enough and apart (English is above)."""
    rig = build_window(qtbot, data_dir, size=SIZES[0], language=language)
    try:
        problems: list[str] = []
        for name, roots in every_screen(rig, look):
            assert rig.window.language() == language
            style = rig.window.look_style()
            problems += [f"{name}: {p}" for root in roots for p in layout_problems(root, style)]
        assert problems == []
    finally:
        close_rig(rig)


def test_the_check_finds_clipped_words_small_targets_and_crowding(qtbot: QtBot) -> None:
    """The layout test can fail: a label too narrow for a word, a button too short, and
    two buttons too close are each reported."""
    style = shipped_look_style("older")
    page = QWidget()
    qtbot.addWidget(page)
    layout = QVBoxLayout(page)
    layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # no size hints to pass
    layout.setSpacing(2)
    word = QLabel("Supercalifragilistic")
    word.setWordWrap(True)
    word.setFixedWidth(40)
    first, second = button("One"), button("Two")
    for control in (first, second):
        control.setFixedHeight(40)
    for widget in (word, first, second):
        layout.addWidget(widget)
    page.resize(300, 300)
    page.show()
    qtbot.waitExposed(page)
    found = [str(problem) for problem in layout_problems(page, style)]
    assert any("Supercalifragilistic" in p and "clipped" in p for p in found), found
    assert any("'One'" in p and "only 40 px tall" in p for p in found), found
    assert any("'One'" in p and "'Two'" in p and "apart" in p for p in found), found


@pytest.mark.slow
def test_screens_still_fit_after_other_looks_used_them(qtbot: QtBot, data_dir: Path) -> None:
    """One booth, one person of each look after another (as at a public event): nothing a
    look left behind (a grid's columns, a size) spoils the next look's screens."""
    rig = build_window(qtbot, data_dir, size=SIZES[0])
    try:
        problems: list[str] = []
        for look in (*LOOKS, "child"):
            for name, roots in every_screen(rig, look):  # type: ignore[arg-type]
                style = rig.window.look_style()
                problems += [f"{look} {name}: {p}" for root in roots
                             for p in layout_problems(root, style)]
        assert problems == []
    finally:
        close_rig(rig)
