"""What a child, an older person or a parent meets on the screens: Back and Stop, questions
before anything is deleted, honest speech, a tally that reveals nobody, time to keep the
code, chosen answers that look chosen, and focus only for the keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from booth.journey import State
from booth.pack import LOOKS, Look
from booth.ui.printing import CodePrinter
from booth.ui.screens.camera import OLDER_TIME_LEFT_FROM
from booth.ui.speech import QtSpeaker
from booth.ui.widgets import focus_shown
from tests.helpers.ui import WindowRig, build_window, camera_card, click, close_rig


def _to(rig: WindowRig, screen: str, look: Look = "adult") -> None:
    """Walk a fresh person of ``look`` to ``screen`` (a journey state's name, or
    "countdown")."""
    j = rig.journey
    j.touch()
    j.choose_look(look)
    if screen == "consent":
        return
    j.give_consent(adult_confirmed=True)
    if screen == "choose_prompt":
        return
    j.choose_prompt(rig.pack.prompts_for(look)[0].id)
    if screen == "get_ready":
        return
    j.start_recording()
    if screen == "countdown":
        assert j.view().countdown_remaining, "a look with a countdown"
        return
    if j.view().countdown_remaining is not None:
        j.countdown_done()
    if screen == "recording":
        return
    j.stop_recording()
    if screen == "review":
        return
    j.keep()
    if screen == "priorities":
        return
    j.submit_priorities([rig.pack.priority_list_for(look).items[0].id])
    if screen == "tally":
        return
    j.continue_after_tally()
    if screen == "about_you":
        return
    j.skip_about_you()
    assert screen == "thank_you"


AFTER_CONSENT = ["choose_prompt", "get_ready", "countdown", "recording", "review",
                 "priorities", "tally", "about_you"]


@pytest.fixture
def rig(qtbot: QtBot, data_dir: Path) -> WindowRig:
    made = build_window(qtbot, data_dir, size=(1024, 768))
    yield made  # type: ignore[misc]
    close_rig(made)


# ---------------------------------------------------------------- Back and Stop


@pytest.mark.parametrize("screen", AFTER_CONSENT)
def test_stop_asks_then_deletes_on_every_screen_after_consent(
    qtbot: QtBot, rig: WindowRig, screen: str
) -> None:
    w = rig.window
    _to(rig, screen)
    session = rig.journey.session
    assert session is not None
    place = w.nav.stop.mapTo(w, w.nav.stop.rect().topLeft())
    assert w.nav.stop.isVisible() and w.nav.back.isVisibleTo(w.nav) != (screen == "recording")
    click(qtbot, w.nav.stop)
    assert w.confirm.isVisible()
    assert w.confirm.question.text() == "Stop and delete your answers?"
    click(qtbot, w.confirm.no)  # "No, carry on": nothing happens
    assert not w.confirm.isVisible() and rig.journey.session is session
    assert "delete_session" not in rig.effects.names()
    click(qtbot, w.nav.stop)
    click(qtbot, w.confirm.yes)
    assert rig.effects.args_of("delete_session") == [(session,)]
    assert "abandon_session" not in rig.effects.names()
    assert w.stack.currentWidget() is w.goodbye and not w.nav.isVisible()
    assert "deleted" in w.goodbye.body_text.text()
    if session.take_id and session.take_id != session.kept_take_id:
        assert ("discard_take", (session.take_id,)) in rig.effects.calls
    rig.clock.advance(10)
    rig.journey.tick()
    assert w.stack.currentWidget() is w.attract
    # Stop is in the same place on every screen.
    _to(rig, "priorities")
    assert w.nav.stop.mapTo(w, w.nav.stop.rect().topLeft()) == place


@pytest.mark.parametrize("screen", AFTER_CONSENT)
def test_back_goes_one_step_back_from_every_screen_but_a_running_take(
    qtbot: QtBot, rig: WindowRig, screen: str
) -> None:
    w = rig.window
    _to(rig, screen)
    if screen == "recording":
        assert not w.nav.back.isVisible()  # the take has begun: Stop, or "I've finished"
        return
    before = rig.journey.state
    click(qtbot, w.nav.back)
    if screen == "review":  # going back deletes the take: asked first
        assert w.confirm.isVisible() and rig.journey.state is State.REVIEW
        click(qtbot, w.confirm.yes)
    expected = {"choose_prompt": State.CONSENT, "get_ready": State.CHOOSE_PROMPT,
                "countdown": State.GET_READY, "review": State.CHOOSE_PROMPT,
                "priorities": State.CHOOSE_PROMPT, "tally": State.PRIORITIES,
                "about_you": State.TALLY}[screen]
    assert (rig.journey.state is expected and before is not expected) or screen == "countdown"
    if screen == "countdown":
        assert rig.journey.view().countdown_remaining is None
        assert "start_take" not in rig.effects.names()


def test_back_goes_to_the_earlier_question_inside_about_you(
    qtbot: QtBot, rig: WindowRig
) -> None:
    w = rig.window
    _to(rig, "about_you")
    first = w.about.question.text()
    click(qtbot, w.about.next)
    assert w.about.question.text() != first
    assert w.nav.status.text().startswith("Question 2 of 2")
    click(qtbot, w.nav.back)
    assert w.about.question.text() == first and rig.journey.state is State.ABOUT_YOU


def test_the_consent_screen_says_what_stop_does_in_every_look(rig: WindowRig) -> None:
    for look in LOOKS:
        _to(rig, "consent", look)
        ideas = [label.text() for label in rig.window.consent.findChildren(type(
            rig.window.consent.title)) if label.isVisible()]
        assert any("Stop" in text and "delete" in text for text in ideas), ideas
        rig.journey.back()
        rig.journey.back()


def test_no_thanks_says_goodbye(qtbot: QtBot, rig: WindowRig) -> None:
    w = rig.window
    _to(rig, "consent")
    click(qtbot, w.consent.no)
    assert w.stack.currentWidget() is w.goodbye
    assert "Nothing about you was kept" in w.goodbye.body_text.text()
    click(qtbot, w.goodbye)
    assert w.stack.currentWidget() is w.attract


# ---------------------------------------------------------------- asked, and acknowledged


@pytest.mark.parametrize("control", ["retake", "without"])
def test_discarding_a_recorded_take_asks_first(
    qtbot: QtBot, rig: WindowRig, control: str
) -> None:
    w = rig.window
    _to(rig, "review")
    take = rig.journey.view().take_id
    click(qtbot, getattr(w.review, control))
    assert w.confirm.isVisible() and rig.journey.state is State.REVIEW
    click(qtbot, w.confirm.no)
    assert "discard_take" not in rig.effects.names() and rig.journey.view().take_id == take
    click(qtbot, getattr(w.review, control))
    click(qtbot, w.confirm.yes)
    assert rig.effects.calls[-1] == ("discard_take", (take,)) or (
        ("discard_take", (take,)) in rig.effects.calls)


def test_keep_says_saved(qtbot: QtBot, rig: WindowRig) -> None:
    w = rig.window
    _to(rig, "review")
    click(qtbot, w.review.keep)
    assert rig.journey.state is State.PRIORITIES
    assert "saved" in w.nav.status.text() and "✓" in w.nav.status.text()
    rig.journey.back()  # to answer another question: no "saved" any more
    assert w.nav.status.text() == ""


def test_a_question_left_unanswered_goes_when_the_screen_changes(rig: WindowRig) -> None:
    w = rig.window
    _to(rig, "review")
    w.review.retake.click()
    assert w.confirm.isVisible()
    rig.clock.advance(rig.pack.idle_for("adult").idle_seconds + 1)
    rig.journey.tick()  # "are you still there?" replaces the question
    assert not w.confirm.isVisible() and w.still_there.isVisible()


# ---------------------------------------------------------------- Start


@pytest.mark.parametrize("look", LOOKS)
def test_recording_never_starts_without_start(qtbot: QtBot, rig: WindowRig, look: Look) -> None:
    w = rig.window
    _to(rig, "get_ready", look)
    for _ in range(rig.pack.idle_for(look).idle_seconds - 1):
        rig.clock.advance(1)
        rig.journey.tick()
    assert rig.journey.state is State.GET_READY and "start_take" not in rig.effects.names()
    assert w.ready.start.isVisible() and not w.ready.count.isVisible()
    assert w.nav.back.isVisible()
    click(qtbot, w.ready.start)
    if rig.pack.countdown_for(look):
        assert w.ready.count.isVisible() and w.nav.back.isVisible()
        assert "start_take" not in rig.effects.names()
        rig.clock.advance(rig.pack.countdown_for(look))
        rig.journey.tick()
    assert rig.journey.state is State.RECORDING and rig.effects.names().count("start_take") == 1


def test_older_people_see_no_time_left_until_the_last_seconds(rig: WindowRig) -> None:
    w = rig.window
    _to(rig, "recording", "older")
    rig.clock.advance(10)
    rig.journey.tick()
    assert not w.recording.left.isVisible()
    left = rig.journey.view().seconds_left or 0
    rig.clock.advance(left - OLDER_TIME_LEFT_FROM)
    rig.journey.tick()
    assert w.recording.left.isVisible()
    assert w.recording.left.text() == f"{OLDER_TIME_LEFT_FROM} seconds left"


# ---------------------------------------------------------------- speech


def test_the_speaker_control_is_hidden_when_no_engine_works(rig: WindowRig) -> None:
    w = rig.window
    _to(rig, "choose_prompt", "child")
    assert w.nav.hear.isVisible() and not w.sound_off
    rig.journey.stop_and_delete()
    rig.journey.finish()
    w.speaker = QtSpeaker(engine="no-such-engine")  # a laptop whose voice does not work
    for screen in ("consent", "choose_prompt", "get_ready", "review", "priorities"):
        _to(rig, screen, "child")
        assert w.nav.isVisible() and not w.nav.hear.isVisible(), screen
        assert w.sound_off
        rig.journey.back() if screen == "consent" else rig.journey.stop_and_delete()
        rig.journey.finish() if rig.journey.state is State.GOODBYE else rig.journey.back()


# ---------------------------------------------------------------- the tally


def test_the_tally_waits_for_enough_people_and_counts_who_is_behind_the_bars(
    rig: WindowRig
) -> None:
    w = rig.window
    rig.backend.counts, rig.backend.people = {}, 4  # what Answers gives below five people
    _to(rig, "tally")
    assert not w.tally.bars.isVisible() and w.tally.waiting.isVisible()
    assert "more people" in w.tally.waiting.text() and not w.tally.note.isVisible()
    rig.journey.back()
    plist = rig.pack.priority_list_for("adult")
    rig.backend.counts, rig.backend.people = {plist.items[0].id: 5, plist.items[1].id: 3}, 6
    rig.journey.submit_priorities([plist.items[0].id])
    assert w.tally.bars.isVisible() and w.tally.note.text().startswith("Chosen by 6 people")


# ---------------------------------------------------------------- the code


def test_the_thank_you_countdown_extends_on_more_time(qtbot: QtBot, rig: WindowRig) -> None:
    w = rig.window
    _to(rig, "thank_you")
    seconds = rig.journey.view().thank_you_left or 0
    assert w.thanks.time_left.text() == f"This screen closes in {seconds} seconds."
    rig.clock.advance(seconds - 2)
    rig.journey.tick()
    assert w.thanks.time_left.text() == "This screen closes in 2 seconds."
    click(qtbot, w.thanks.more_time)
    more = rig.journey.view().thank_you_left or 0
    assert more > 2 and w.thanks.time_left.text() == f"This screen closes in {more} seconds."
    rig.clock.advance(3)
    rig.journey.tick()
    assert rig.journey.state is State.THANK_YOU


def test_the_code_prints_only_where_a_printer_is_set_up(
    qtbot: QtBot, rig: WindowRig, tmp_path: Path
) -> None:
    w = rig.window
    w.set_printer(lambda: None)
    _to(rig, "thank_you")
    assert not w.thanks.print_code.isVisible()
    rig.journey.finish()
    card = tmp_path / "card.pdf"
    printer = CodePrinter(pdf=card)
    w.set_printer(lambda: printer)
    _to(rig, "thank_you")
    assert w.thanks.print_code.isVisible()
    click(qtbot, w.thanks.print_code)
    assert printer.printed == 1 and card.read_bytes().startswith(b"%PDF")
    assert w.thanks.code.text() == "R00-002"


# ---------------------------------------------------------------- looks


def test_a_childs_consent_has_pictures_a_hint_and_waits_for_the_grown_up(
    qtbot: QtBot, rig: WindowRig
) -> None:
    w = rig.window
    _to(rig, "consent", "child")
    text = rig.pack.consent_for("child").text
    pictures = [label for label in w.consent.findChildren(type(w.consent.title))
                if label.property("role") == "idea" and label.isVisible()]
    assert len(pictures) == len(text.splitlines()) + 1  # one per idea, and Stop's
    assert all(label.text() for label in pictures)
    assert "180" not in text and "council will watch" not in text
    assert w.consent.hint.isVisible() and w.consent.adult.pulsing()
    assert not w.consent.yes.isEnabled()
    click(qtbot, w.consent.adult)
    assert not w.consent.hint.isVisible() and not w.consent.adult.pulsing()
    assert w.consent.yes.isEnabled()


def _pixel(image: QImage, x: int, y: int) -> str:
    return QColor(image.pixel(x, y)).name().upper()


def test_a_chosen_answer_looks_chosen_not_like_a_button(qtbot: QtBot, rig: WindowRig) -> None:
    w = rig.window
    _to(rig, "about_you", "older")
    style = w.look_style()
    option = w.about.current_options()[0]
    click(qtbot, option)
    assert option.isChecked()
    image = option.grab().toImage()
    outline = option.outline()
    middle = int(outline.center().y())
    assert _pixel(image, int(outline.left()) + 2, middle) == style.chosen.upper()
    # Inside, the same white as an answer not chosen: not filled like "Next".
    assert _pixel(image, int(outline.center().x()) // 3, middle // 2 + 10) == style.surface
    assert style.chosen.upper() != style.accent.upper() or style.surface != style.accent


def test_focus_shows_only_once_the_keyboard_is_used(qtbot: QtBot, rig: WindowRig) -> None:
    w = rig.window
    w.activateWindow()
    click(qtbot, w.attract.invite)
    click(qtbot, w.welcome.tiles["adult"])
    yes = w.consent.yes
    assert yes.hasFocus() and not focus_shown(yes)  # touched: no ring
    edge = _pixel(yes.grab().toImage(), 2, yes.height() // 2)
    qtbot.keyClick(yes, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(w.focusWidget(), Qt.Key.Key_Tab)
    assert yes.hasFocus() and focus_shown(yes)
    ring = _pixel(yes.grab().toImage(), 2, yes.height() // 2)
    assert ring == w.look_style().focus.upper() != edge
    click(qtbot, w.consent.no)  # a touch again: the ring goes
    assert not w.property("keyboard")


def test_review_plays_back_mirrored_like_the_preview(rig: WindowRig) -> None:
    frame = camera_card(64, 36)
    frame.setPixelColor(0, 0, QColor("#FF0000"))
    rig.window.review.video_frame.set_frame(frame)
    shown = rig.window.review.video_frame._frame
    assert shown is not None and QColor(shown.pixel(63, 0)).name() == "#ff0000"
