"""Each screen draws the journey's view; the three looks differ; nothing stays behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from booth.journey import State
from booth.ui.screens.base import Choice
from booth.ui.screens.camera import ReviewScreen
from booth.ui.screens.choices import PrioritiesScreen
from booth.ui.window import LONG_PRESS_MS
from tests.helpers.sync import tiny_mp4_bytes
from tests.helpers.ui import (
    NO_MEDIA_HARDWARE,
    WindowRig,
    build_window,
    camera_card,
    click,
    close_rig,
    shipped_look_style,
    visible_buttons,
)


def _all_named(rig: WindowRig) -> None:
    screen = rig.window.stack.currentWidget()
    buttons = visible_buttons(screen)
    assert buttons, f"{screen} shows no controls"
    for control in buttons:
        assert control.accessibleName(), f"{control.text()!r} has no accessible name"


def _count_down(rig: WindowRig) -> None:
    """Press "Start", then let the countdown run out."""
    rig.window.ready.start.click()
    rig.clock.advance(rig.pack.countdown_for("adult") + 0.1)
    rig.journey.tick()


def _walk_to_get_ready(qtbot: QtBot, rig: WindowRig, look: str) -> None:
    w = rig.window
    click(qtbot, w.attract.invite)
    assert w.stack.currentWidget() is w.welcome
    _all_named(rig)
    click(qtbot, w.welcome.tiles[look])
    assert w.stack.currentWidget() is w.consent
    _all_named(rig)
    if look == "child":
        assert w.consent.adult.isVisible()
        assert not w.consent.yes.isEnabled()  # the grown-up must say yes too
        click(qtbot, w.consent.adult)
    else:
        assert not w.consent.adult.isVisible()
    click(qtbot, w.consent.yes)
    assert w.stack.currentWidget() is w.choose
    _all_named(rig)
    prompts = rig.pack.prompts_for(look)  # type: ignore[arg-type]
    assert set(w.choose.tiles) == {p.id for p in prompts}
    click(qtbot, w.choose.tiles[prompts[0].id])
    assert w.stack.currentWidget() is w.ready
    assert w.ready.question.text() == prompts[0].text


@pytest.mark.parametrize("look", ["child", "older"])
def test_every_screen_renders_its_view(qtbot: QtBot, data_dir: Path, look: str) -> None:
    rig = build_window(qtbot, data_dir)
    w = rig.window
    _walk_to_get_ready(qtbot, rig, look)
    w.show_camera_frame(camera_card())
    w.show_level(0.7)
    assert w.ready.preview.has_frame()
    assert w.ready.meter.level() == pytest.approx(0.7)
    assert not w.ready.count.isVisible() and w.ready.start.isVisible()
    click(qtbot, w.ready.start)  # nothing records before "Start", in any look
    if look != "older":
        assert w.ready.count.isVisible() and w.ready.count.text() == "3"
        assert not w.ready.start.isVisible()
        rig.clock.advance(1.0)
        rig.journey.tick()
        assert w.ready.count.text() == "2"
        rig.clock.advance(2.0)
        rig.journey.tick()
    assert w.stack.currentWidget() is w.recording
    rig.clock.advance(5.2)
    rig.journey.tick()
    assert w.recording.timer.text() == "0:05"
    assert "left" in w.recording.left.text()
    _all_named(rig)
    click(qtbot, w.recording.stop)
    assert w.stack.currentWidget() is w.review
    assert rig.backend.asked_review  # the window asked for the take to play back
    _all_named(rig)
    click(qtbot, w.review.keep)
    assert w.stack.currentWidget() is w.priorities
    _all_named(rig)
    plist = rig.pack.priority_list_for(look)  # type: ignore[arg-type]
    assert w.priorities.title.text() == plist.title
    ids = [item.id for item in plist.items]
    for item_id in ids[: plist.max_ticks + 1]:
        click(qtbot, w.priorities.tiles[item_id])
    assert w.priorities.chosen() == ids[: plist.max_ticks]
    assert f"{plist.max_ticks} of {plist.max_ticks}" in w.priorities.count.text() or \
        "Untick" in w.priorities.count.text()
    rig.backend.counts = {ids[0]: 4, ids[1]: 2}
    rig.backend.people = 5
    click(qtbot, w.priorities.done)
    assert w.stack.currentWidget() is w.tally
    rows = w.tally.bars.rows()
    assert rows[0][2] == 4 and rows[0][3] is True
    assert "5 people" in w.tally.note.text()
    click(qtbot, w.tally.next)
    assert w.stack.currentWidget() is w.about
    _all_named(rig)
    options = w.about.current_options()
    assert any(o.text() == "Prefer not to say" for o in options)
    click(qtbot, w.about.skip)
    assert w.stack.currentWidget() is w.thanks
    code = rig.effects.args_of("finish_session")
    assert code and w.thanks.code.text() == "R00-001"  # shown in two groups of three
    click(qtbot, w.thanks.finish)
    assert w.stack.currentWidget() is w.attract
    close_rig(rig)


def test_attract_shows_nothing_of_the_last_person(qtbot: QtBot, data_dir: Path) -> None:
    rig = build_window(qtbot, data_dir)
    w = rig.window
    _walk_to_get_ready(qtbot, rig, "adult")
    w.show_camera_frame(camera_card())
    _count_down(rig)
    w.show_camera_frame(camera_card())
    click(qtbot, w.recording.stop)
    click(qtbot, w.review.keep)
    first = next(iter(w.priorities.tiles))
    click(qtbot, w.priorities.tiles[first])
    click(qtbot, w.priorities.done)
    click(qtbot, w.tally.next)
    click(qtbot, w.about.current_options()[0])
    click(qtbot, w.about.skip)
    assert w.thanks.code.text()
    rig.clock.advance(60)
    rig.journey.tick()  # the thank-you screen goes back by itself
    assert w.stack.currentWidget() is w.attract
    assert not w.ready.preview.has_frame() and not w.recording.preview.has_frame()
    assert not w.review.has_take()
    assert w.priorities.chosen() == []
    assert w.about.answers() == {}
    assert w.thanks.code.text() == ""
    assert w.tally.bars.rows() == []
    texts = " ".join(label.text() for label in w.attract.findChildren(QLabel))
    assert rig.pack.priority_list_for("adult").items[0].label not in texts
    close_rig(rig)


def test_walking_away_asks_then_returns_to_attract(qtbot: QtBot, data_dir: Path) -> None:
    rig = build_window(qtbot, data_dir)
    w = rig.window
    _walk_to_get_ready(qtbot, rig, "adult")
    _count_down(rig)
    click(qtbot, w.recording.stop)
    assert w.stack.currentWidget() is w.review
    idle = rig.pack.idle_for("adult")
    rig.clock.advance(idle.idle_seconds + 1)
    rig.journey.tick()
    assert w.still_there.isVisible()
    assert w.still_there.count.text() == str(idle.still_there_seconds)
    click(qtbot, w.still_there.here)
    assert not w.still_there.isVisible() and w.stack.currentWidget() is w.review
    rig.clock.advance(idle.idle_seconds + 1)
    rig.journey.tick()
    rig.clock.advance(idle.still_there_seconds + 1)
    rig.journey.tick()
    assert not w.still_there.isVisible()
    assert w.stack.currentWidget() is w.attract
    assert rig.effects.names()[-2:] == ["discard_take", "abandon_session"]
    close_rig(rig)


def test_tick_limit_is_enforced_by_the_widget(qtbot: QtBot) -> None:
    screen = PrioritiesScreen(shipped_look_style("adult"))
    qtbot.addWidget(screen)
    screen.resize(1000, 700)
    screen.show_list("Pick two", [Choice(f"i{n}", f"Item {n}", "⭐") for n in range(5)], 2)
    screen.show()
    toggled: list[str] = []
    screen.itemToggled.connect(toggled.append)
    for n in range(4):
        click(qtbot, screen.tiles[f"i{n}"])
    assert screen.chosen() == ["i0", "i1"]
    assert toggled == ["i0", "i1"]
    assert "Untick" in screen.count.text()
    click(qtbot, screen.tiles["i0"])
    click(qtbot, screen.tiles["i3"])
    assert screen.chosen() == ["i1", "i3"]
    with qtbot.waitSignal(screen.submitted) as blocker:
        click(qtbot, screen.done)
    assert blocker.args == [["i1", "i3"]]


def test_the_three_looks_differ(qtbot: QtBot, data_dir: Path) -> None:
    rig = build_window(qtbot, data_dir)
    sizes = {}
    for look in ("child", "adult", "older"):
        rig.journey.touch()
        rig.journey.choose_look(look)  # type: ignore[arg-type]
        title = rig.window.consent.title
        title.ensurePolished()
        sizes[look] = (title.font().pixelSize(), rig.window.consent.yes.minimumHeight())
        rig.journey.decline_consent()
        rig.journey.finish()  # past the goodbye
    assert sizes["older"][0] > sizes["adult"][0]
    assert sizes["child"][0] > sizes["adult"][0]
    assert sizes["older"][1] > sizes["adult"][1] and sizes["child"][1] > sizes["adult"][1]
    assert LONG_PRESS_MS >= 3000
    close_rig(rig)


def test_child_look_reads_controls_aloud_on_focus(qtbot: QtBot, data_dir: Path) -> None:
    rig = build_window(qtbot, data_dir)
    rig.journey.touch()
    rig.journey.choose_look("child")
    rig.journey.give_consent(adult_confirmed=True)
    assert rig.journey.state is State.CHOOSE_PROMPT
    prompts = rig.pack.prompts_for("child")
    assert rig.speaker.said[-1].startswith("Pick a question.")
    assert all(p.text in rig.speaker.said[-1] for p in prompts)  # the choices, read out
    said_before = len(rig.speaker.said)
    tiles = list(rig.window.choose.tiles.values())
    rig.window.activateWindow()
    tiles[1].setFocus()
    qtbot.waitUntil(lambda: len(rig.speaker.said) > said_before, timeout=1000)
    assert rig.speaker.said[-1] == tiles[1].accessibleName()
    close_rig(rig)


def test_a_child_can_hear_the_questions_again_and_speech_stops_before_a_take(
    qtbot: QtBot, data_dir: Path
) -> None:
    rig = build_window(qtbot, data_dir)
    w = rig.window
    rig.journey.touch()
    rig.journey.choose_look("child")
    rig.journey.give_consent(adult_confirmed=True)
    assert w.nav.hear.isVisible()
    listed = rig.speaker.said[-1]
    assert listed.startswith("Pick a question.")
    stops = rig.speaker.stops
    click(qtbot, w.nav.hear)
    assert rig.speaker.said[-1] == listed and rig.speaker.said.count(listed) == 2
    assert rig.speaker.stops == stops + 1  # said again from the start, not on top
    # Picking a question stops the list being read, and so does the take starting:
    # the booth's voice must not run on into the answer.
    rig.journey.choose_prompt(rig.pack.prompts_for("child")[0].id)
    assert rig.journey.state is State.GET_READY
    assert rig.speaker.stops == stops + 2
    _count_down(rig)  # "Start", then the countdown
    assert rig.journey.state is State.RECORDING
    assert rig.speaker.stops == stops + 3
    close_rig(rig)


@pytest.mark.parametrize("look", ["adult", "older"])
def test_grown_up_looks_are_read_to_only_when_they_ask(
    qtbot: QtBot, data_dir: Path, look: str
) -> None:
    """Issue 12 gives every look "Read it to me" (it was the child look's alone): the
    grown-up looks still hear nothing by themselves."""
    rig = build_window(qtbot, data_dir)
    try:
        rig.journey.touch()
        rig.journey.choose_look(look)  # type: ignore[arg-type]
        rig.journey.give_consent()
        assert rig.journey.state is State.CHOOSE_PROMPT
        hear = rig.window.nav.hear
        assert rig.window.nav.isVisible() and hear.isVisible()
        assert hear.accessibleName() == "Read it to me"
        assert rig.speaker.said == []
        click(qtbot, hear)
        said = rig.speaker.said
        assert len(said) == 1 and said[0].startswith("Pick a question.")
        assert all(p.text in said[0] for p in rig.pack.prompts_for(look))  # type: ignore[arg-type]
    finally:
        close_rig(rig)


@pytest.mark.qt_log_ignore(*NO_MEDIA_HARDWARE)
def test_review_plays_from_memory_plays_again_and_stops_when_cleared(qtbot: QtBot) -> None:
    # The player is told what to do through queued native calls (a direct stop() from
    # Python could deadlock with the backend's renderer threads): it must still play,
    # play again from the start, stop when cleared, and play the next take after that.
    screen = ReviewScreen(shipped_look_style("adult"))
    qtbot.addWidget(screen)
    screen.show()
    player = screen._player
    assert player is not None
    for take in (tiny_mp4_bytes(20), tiny_mp4_bytes(15)):
        screen.load_take(take)
        assert screen.has_take()
        qtbot.waitUntil(lambda: screen.frames_shown > 3, timeout=10_000)
        qtbot.waitUntil(lambda: player.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia,
                        timeout=10_000)
        shown = screen.frames_shown
        click(qtbot, screen.replay)
        qtbot.waitUntil(lambda n=shown: screen.frames_shown > n + 3, timeout=10_000)
        screen.clear_take()
        assert not screen.has_take()
        qtbot.waitUntil(lambda: player.source().isEmpty(), timeout=5_000)
        assert player.playbackState() == QMediaPlayer.PlaybackState.StoppedState
