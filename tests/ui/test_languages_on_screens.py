"""The screens in the person's language: every word through the translation layer, a language
picked on the welcome screen for that person alone, Urdu and Arabic mirrored, "Read it to me"
everywhere there is a voice, the ways to answer without a face, and a camera that comes
back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from booth import i18n
from booth.journey import EventSettings
from booth.journey.recording import CAMERA_AWAY
from booth.pack import LOOKS, Look
from booth.ui.screens.camera import VOICE_ONLY
from booth.ui.speech import SilentSpeaker
from booth.ui.widgets import PreviewView
from tests.helpers.i18n import untranslated_texts
from tests.helpers.layout import every_screen
from tests.helpers.ui import WindowRig, build_window, camera_card, click, close_rig

LANGUAGE_NAMES = {"English", "اردو", "Polski", "العربية"}


def _drawn(widget: QWidget) -> Iterable[str]:
    """Words a widget paints itself: the message over the camera picture."""
    if isinstance(widget, PreviewView):
        return [widget.message(), widget.voice()]
    return []


def _answers_without_a_face(rig: WindowRig, look: Look) -> Iterator[str]:
    """A person who answers with their voice, one who blurs their face, and one whose camera
    is lost and comes back, yielding each screen's name once it is drawn."""
    j, w = rig.journey, rig.window
    j.touch()
    j.choose_look(look)
    j.give_consent(adult_confirmed=True)
    click_kind(rig, "voice")
    yield "questions, just my voice"
    j.choose_prompt(rig.pack.prompts_for(look)[0].id)
    yield "get ready, just my voice"
    j.start_recording()
    if j.view().countdown_remaining is not None:
        j.countdown_done()
    yield "recording, just my voice"
    j.stop_recording()
    w.review.show_waveform([0.2, 0.8, 0.5])
    yield "review, just my voice"
    j.back()
    w.confirm.yes.click()
    click_kind(rig, "video_blurred")
    j.choose_prompt(rig.pack.prompts_for(look)[0].id)
    w.show_camera_frame(camera_card(1280, 720))
    yield "get ready, blur my face"
    j.camera_lost()
    yield "get ready, the camera lost"
    j.back()
    yield "questions, the camera lost"
    j.camera_back()
    yield "questions, the camera back"
    j.stop_and_delete()
    j.finish()


def click_kind(rig: WindowRig, kind: str) -> None:
    rig.window.choose.kinds.buttons[kind].click()
    assert rig.journey.view().answer_kind == kind


# ---------------------------------------------------------------- the translation layer


@pytest.mark.slow
@pytest.mark.parametrize("look", LOOKS)
def test_every_word_on_every_screen_goes_through_the_translation_layer(
    qtbot: QtBot, data_dir: Path, look: Look
) -> None:
    """In the pseudo-language every catalogued and pack word is accented and bracketed:
    whatever a screen shows or says in plain ASCII was written around the layer."""
    rig = build_window(qtbot, data_dir, size=(1024, 768), language=i18n.PSEUDO_LANGUAGE)
    w = rig.window
    try:
        found: list[str] = []
        seen: list[str] = []

        def look_at(name: str, roots: Iterable[QWidget]) -> None:
            seen.append(name)
            code = w.thanks.code.text()
            allowed = LANGUAGE_NAMES | {code, " ".join(code)}
            for root in roots:
                found.extend(f"{name}: {where} {text!r}" for where, text
                             in untranslated_texts(root, extra=_drawn, allowed=allowed))

        for name, roots in every_screen(rig, look):
            look_at(name, roots)
        for name in _answers_without_a_face(rig, look):
            QApplication.processEvents()
            look_at(name, [w.stack.currentWidget(), w.nav])
        assert "thank you" in seen and "review, just my voice" in seen
        assert found == []
    finally:
        close_rig(rig)


def test_the_check_catches_a_screen_left_in_english(qtbot: QtBot, data_dir: Path) -> None:
    rig = build_window(qtbot, data_dir, language=i18n.PSEUDO_LANGUAGE)
    try:
        rig.journey.touch()
        rig.window.welcome.title.setText("Hello! Who is taking part?")  # around the layer
        found = untranslated_texts(rig.window.welcome, allowed=LANGUAGE_NAMES)
        assert ("TextLabel.text", "Hello! Who is taking part?") in found
    finally:
        close_rig(rig)


# ---------------------------------------------------------------- a person's language


def test_a_language_picked_on_the_welcome_screen_is_that_persons_alone(
    qtbot: QtBot, data_dir: Path
) -> None:
    rig = build_window(qtbot, data_dir, size=(1024, 768))
    w = rig.window
    try:
        rig.journey.touch()
        names = {code: b.text() for code, b in w.welcome.languages.buttons.items()}
        assert names == {"en": "✓ English", "ur": "اردو", "pl": "Polski", "ar": "العربية"}
        assert w.welcome.languages.buttons["ur"].font().family() == "Noto Nastaliq Urdu"
        click(qtbot, w.welcome.languages.buttons["ur"])
        urdu = i18n.catalogue("ur")
        assert w.language() == "ur" and w.layoutDirection() == Qt.LayoutDirection.RightToLeft
        assert w.welcome.title.text() == urdu.tr("Hello! Who is taking part?")
        assert w.welcome.languages.buttons["ur"].text().startswith("✓")
        assert rig.speaker.language == "ur"
        click(qtbot, w.welcome.tiles["adult"])
        assert w.consent.yes.text().endswith(urdu.tr("Yes, I agree"))
        rig.journey.give_consent()
        assert w.choose.title.text() == urdu.tr("Pick a question to answer")
        ur_prompts = rig.pack.in_language("ur").prompts_for("adult")
        assert [t.text() for t in w.choose.tiles.values()] == [p.text for p in ur_prompts]
        rig.journey.stop_and_delete()
        rig.journey.finish()
        # The next person: the event's language again, left to right.
        assert w.language() == "en" and w.layoutDirection() == Qt.LayoutDirection.LeftToRight
        assert rig.speaker.language == "en"
        rig.journey.touch()
        assert w.welcome.title.text() == "Hello! Who is taking part?"
        assert w.welcome.languages.buttons["en"].text() == "✓ English"
    finally:
        close_rig(rig)


def _x(widget: QWidget) -> int:
    return widget.mapTo(widget.window(), QPoint(0, 0)).x()


@pytest.mark.parametrize("language", ["ur", "ar"])
def test_urdu_and_arabic_mirror_the_whole_screen(
    qtbot: QtBot, data_dir: Path, language: str
) -> None:
    rig = build_window(qtbot, data_dir, size=(1024, 768), language=language)
    w = rig.window
    try:
        rig.journey.touch()
        assert w.layoutDirection() == Qt.LayoutDirection.RightToLeft
        tiles = w.welcome.tiles
        assert _x(tiles["child"]) > _x(tiles["adult"]) > _x(tiles["older"])  # read from the right
        rig.journey.choose_look("adult")
        rig.journey.give_consent()
        assert _x(w.nav.back) > _x(w.nav.stop)  # Back on the right, Stop on the left
        assert w.nav.back.text().startswith("→")  # and its arrow points back, to the right
        assert w.choose.kinds.buttons["video"].mapTo(w, QPoint(0, 0)).x() > \
            w.choose.kinds.buttons["voice"].mapTo(w, QPoint(0, 0)).x()
        rig.journey.skip_video()
        rig.backend.counts, rig.backend.people = {"parks": 7}, 9
        rig.journey.submit_priorities([])
        assert w.tally.next.text().endswith("←")  # Next points on, to the left
        rig.journey.continue_after_tally()
        rig.journey.skip_about_you()
        # The code stays in Latin letters and digits, read left to right.
        assert w.thanks.code.layoutDirection() == Qt.LayoutDirection.LeftToRight
        assert w.thanks.code.text().isascii()
        w.open_pin_pad()
        assert w.pin_pad.layoutDirection() == Qt.LayoutDirection.LeftToRight  # officers: English
    finally:
        close_rig(rig)


# ---------------------------------------------------------------- read it to me


def test_read_it_to_me_is_hidden_in_a_language_without_a_voice(
    qtbot: QtBot, data_dir: Path
) -> None:
    rig = build_window(qtbot, data_dir, speaker=SilentSpeaker(languages={"en", "pl"}))
    w = rig.window
    try:
        rig.journey.touch()
        assert w.nav.isVisible() and w.nav.hear.isVisible()  # on the welcome screen too
        rig.journey.choose_language("ur")
        assert not w.nav.hear.isVisible()
        rig.journey.choose_look("child")  # a look read aloud: but not in a wrong voice
        assert not w.nav.hear.isVisible()
        rig.journey.back()
        rig.journey.choose_language("pl")
        assert w.nav.hear.isVisible()
    finally:
        close_rig(rig)


def test_an_event_can_read_every_looks_screens_aloud(qtbot: QtBot, data_dir: Path) -> None:
    every = EventSettings(spoken_looks=frozenset(LOOKS))
    rig = build_window(qtbot, data_dir, event=every, language="pl")
    w = rig.window
    try:
        rig.journey.touch()
        rig.journey.choose_look("older")
        rig.journey.give_consent()
        said = rig.speaker.said
        assert said[-1].startswith(i18n.catalogue("pl").tr("Pick a question."))
        assert w.nav.hear.text().endswith(i18n.catalogue("pl").tr("Hear it again"))
    finally:
        close_rig(rig)


# ---------------------------------------------------------------- the camera


def test_while_the_camera_is_away_the_screen_says_so_and_offers_the_voice(
    qtbot: QtBot, data_dir: Path
) -> None:
    rig = build_window(qtbot, data_dir, size=(1024, 768), language="pl")
    w, j = rig.window, rig.journey
    try:
        j.touch()
        j.choose_look("older")
        j.give_consent()
        j.choose_prompt(rig.pack.prompts_for("older")[0].id)
        j.camera_lost()
        polish = i18n.catalogue("pl")
        assert w.ready.preview.message() == polish.tr(CAMERA_AWAY)
        assert not w.ready.start.isEnabled() and w.ready.voice.isVisible()
        w.show_camera_frame(camera_card())  # no stale picture while it is away
        assert not w.ready.preview.has_frame()
        click(qtbot, w.ready.voice)
        assert j.view().answer_kind == "voice"
        assert w.ready.start.isEnabled() and not w.ready.voice.isVisible()
        assert w.ready.preview.voice() == polish.tr(VOICE_ONLY)
        j.choose_answer_kind("video")
        j.camera_back()
        assert w.ready.preview.message() == "" and w.ready.start.isEnabled()
    finally:
        close_rig(rig)


def test_the_code_card_prints_in_the_persons_language(qtbot: QtBot, tmp_path: Path) -> None:
    """The card's words in Urdu (in its font, right to left), the code in Latin letters."""
    from booth.ui.printing import CodePrinter

    i18n.use("ur")
    card = tmp_path / "card.pdf"
    printer = CodePrinter(pdf=card)
    assert printer.print_code("K7M-4RH") and printer.printed == 1
    pdf = card.read_bytes()
    assert pdf.startswith(b"%PDF") and b"NotoNastaliqUrdu" in pdf and b"DejaVuSansMono" in pdf
