"""The kiosk window: full screen, no way out for the public, a catalogue of screens
that renders whatever ``JourneyView`` it is given, and the hidden officer entrance.

The window knows nothing of the journey's transitions: it forwards what a person did
to the journey's event methods and draws the views the journey publishes, in the person's
language (``booth.ui.rendering``). Above the screens after the look is chosen is one bar
with "← Back" and "Stop", always in the same place; before anything is deleted (Stop, or a
recorded take) the window asks."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QCursor, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QLayout, QStackedWidget, QVBoxLayout, QWidget

from booth.i18n import tr
from booth.journey import Journey, JourneyView, State
from booth.pack import LOOKS, CampaignPack, Look
from booth.ui.kiosk_filter import CORNER_PX, KioskFilter
from booth.ui.language import TextStyle
from booth.ui.looks import DESIGN_SIZE, LookStyle, style_sheet
from booth.ui.officer import OfficerPanel, PinPad
from booth.ui.printing import CodePrinter
from booth.ui.rendering import Printer, Review, Tally, ViewRenderer
from booth.ui.screens.base import Screen
from booth.ui.screens.camera import GetReadyScreen, RecordingScreen, ReviewScreen
from booth.ui.screens.choices import (
    AboutYouScreen,
    ChoosePromptScreen,
    ConsentScreen,
    PrioritiesScreen,
    WelcomeScreen,
)
from booth.ui.screens.messages import (
    ASK_BACK,
    ASK_BACK_VOICE,
    ASK_RETAKE,
    ASK_RETAKE_VOICE,
    ASK_STOP,
    ASK_WITHOUT,
    ASK_WITHOUT_VOICE,
    AttractScreen,
    ConfirmOverlay,
    FailsafeScreen,
    GoodbyeScreen,
    Question,
    StillThereOverlay,
    ThankYouScreen,
)
from booth.ui.screens.nav import NavBar
from booth.ui.screens.resting import RestingScreen
from booth.ui.screens.tally import TallyScreen
from booth.ui.speech import Speaker
from booth.ui.widgets import FOCUS_COLOUR_PROPERTY, KEYBOARD_PROPERTY
from booth.wire.reference import format_reference

log = logging.getLogger(__name__)

__all__ = ["KioskWindow", "Printer", "Review", "Tally"]

LONG_PRESS_MS = 3000
TICK_MS = 250
# After a new screen appears, touches are ignored this long: a child's double tap on
# "Keep" must not tick the priority that appears under their finger.
SETTLE_MS = 400


class KioskWindow(ViewRenderer, QWidget):
    """The kiosk. Screens are kept in a stack; ``show_view(view)`` shows the right one.

    Signals:
        officerUnlocked: the officer entered the right PIN.
        quitRequested: the officer asked to close the booth.
    """

    officerUnlocked = Signal()
    quitRequested = Signal()

    def __init__(
        self,
        journey: Journey,
        tally: Tally,
        review: Review,
        styles: Mapping[Look, LookStyle],
        speaker: Speaker,
        pin_pad_factory: Callable[[QWidget], PinPad],
        officer_panel_factory: Callable[[QWidget], OfficerPanel],
        windowed: bool = False,
        resting_look: Look = "adult",
        with_player: bool = True,
        campaign: CampaignPack | None = None,
        printer: Printer = CodePrinter.system_default,
    ) -> None:
        super().__init__()
        self.journey = journey
        self._tally = tally
        self._review = review
        self._printer = printer
        self.base_styles = dict(styles)
        self.styles = dict(styles)
        self.speaker = speaker
        self.windowed = windowed
        self.resting_look: Look = resting_look
        self.long_press_ms = LONG_PRESS_MS
        self.settle_ms = SETTLE_MS
        self._screen_changed_at = 0.0
        self._allow_close = False
        self._state: State | None = None
        self._look: Look | None = None
        self._view: JourneyView = journey.view()
        self._review_take: str | None = None
        self._priority_list_id: str | None = None
        self._spoken_items: dict[str, str] = {}
        self._about_spoken: dict[str, str] = {}
        self._screen_words = ""  # what "Read it to me" says
        self._on_yes: Callable[[], None] | None = None
        self._pack: CampaignPack | None = campaign
        self._language = ""  # none yet: the first view sets it
        self._text_style: TextStyle | None = None
        self.setObjectName("kiosk")
        self.setProperty(KEYBOARD_PROPERTY, False)
        style = self.styles[resting_look]
        self.nav = NavBar(style)
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        # No minimum size on the window itself: the screens fit any display, and the
        # offscreen/kiosk platforms warn about size hints they cannot pass on.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.nav.hide()
        self.attract = AttractScreen(style)
        self.welcome = WelcomeScreen(style)
        self.consent = ConsentScreen(style)
        self.choose = ChoosePromptScreen(style)
        self.ready = GetReadyScreen(style)
        self.recording = RecordingScreen(style)
        self.review = ReviewScreen(style, with_player=with_player)
        self.priorities = PrioritiesScreen(style)
        self.tally = TallyScreen(style)
        self.about = AboutYouScreen(style)
        self.thanks = ThankYouScreen(style)
        self.goodbye = GoodbyeScreen(style)
        self.failsafe = FailsafeScreen(style)
        self.screens: dict[State, Screen] = {
            State.ATTRACT: self.attract,
            State.WELCOME: self.welcome,
            State.CONSENT: self.consent,
            State.CHOOSE_PROMPT: self.choose,
            State.GET_READY: self.ready,
            State.RECORDING: self.recording,
            State.REVIEW: self.review,
            State.PRIORITIES: self.priorities,
            State.TALLY: self.tally,
            State.ABOUT_YOU: self.about,
            State.THANK_YOU: self.thanks,
            State.GOODBYE: self.goodbye,
            State.FAILSAFE: self.failsafe,
            State.RESTING: RestingScreen(style),
        }
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        self.confirm = ConfirmOverlay(style, self)
        self.still_there = StillThereOverlay(style, self)
        self.pin_pad = pin_pad_factory(self)
        self.officer = officer_panel_factory(self)
        self._connect()
        self._filter = KioskFilter(self, self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._filter)
            if isinstance(app, QApplication):
                app.focusChanged.connect(self._focus_changed)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)
        self._use_language(journey.view().language)
        self._apply_look(resting_look)
        if not windowed:
            self.setWindowFlags(Qt.WindowType.FramelessWindowHint
                                | Qt.WindowType.WindowStaysOnTopHint)
            self.setCursor(Qt.CursorShape.BlankCursor)
        self.show_view(journey.view())

    # ------------------------------------------------------------------ wiring

    def _connect(self) -> None:
        j = self.journey
        self.nav.backPressed.connect(self.go_back)
        self.nav.stopPressed.connect(self.ask_to_stop)
        self.nav.hearAgainPressed.connect(self._say_again)
        self.confirm.answered.connect(self._answered)
        self.attract.touched.connect(j.touch)
        self.welcome.lookChosen.connect(j.choose_look)
        self.welcome.languageChosen.connect(j.choose_language)
        self.consent.agreed.connect(lambda adult: j.give_consent(adult_confirmed=adult))
        self.consent.declined.connect(j.decline_consent)
        self.choose.promptChosen.connect(j.choose_prompt)
        self.choose.skipVideo.connect(j.skip_video)
        self.choose.answerKindChosen.connect(j.choose_answer_kind)
        self.ready.startPressed.connect(j.start_recording)
        self.ready.voiceChosen.connect(lambda: j.choose_answer_kind("voice"))
        self.recording.stopPressed.connect(j.stop_recording)
        self.review.keepPressed.connect(j.keep)
        self.review.retakePressed.connect(
            lambda: self._ask(ASK_RETAKE_VOICE if self._voice() else ASK_RETAKE, j.retake))
        self.review.withoutVideoPressed.connect(lambda: self._ask(
            ASK_WITHOUT_VOICE if self._voice() else ASK_WITHOUT, j.skip_video))
        self.priorities.itemToggled.connect(j.toggle_priority)
        self.priorities.itemToggled.connect(self._say_item)
        self.priorities.submitted.connect(j.submit_priorities)
        self.tally.continuePressed.connect(j.continue_after_tally)
        self.about.submitted.connect(j.submit_about_you)
        self.about.skipped.connect(j.skip_about_you)
        self.about.progressChanged.connect(self._about_progress)
        self.thanks.finishPressed.connect(j.finish)
        self.thanks.moreTimePressed.connect(j.more_time)
        self.thanks.printPressed.connect(self.print_code)
        self.goodbye.touched.connect(j.finish)
        self.still_there.stillHere.connect(j.still_here)
        self.pin_pad.unlocked.connect(self._officer_unlocked)
        self.pin_pad.cancelled.connect(self._pin_cancelled)
        self.officer.lockRequested.connect(self.lock_officer)
        self.officer.quitRequested.connect(self._officer_quit)

    def start(self) -> None:
        """Show the window and start the journey's clock."""
        if self.windowed:
            self.resize(1366, 768)
            self.show()
        else:
            # Kiosk laptops often run X with no window manager, which ignores a bare
            # full-screen request: cover the screen ourselves as well.
            screen = self.screen() or QGuiApplication.primaryScreen()
            if screen is not None:
                self.setGeometry(screen.geometry())
            self.showFullScreen()
            QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
            log.info("kiosk window covers %dx%d", self.width(), self.height())
        self._ticker.start()

    def stop(self) -> None:
        self._ticker.stop()
        if not self.windowed and QGuiApplication.overrideCursor() is not None:
            QGuiApplication.restoreOverrideCursor()

    def _tick(self) -> None:
        try:
            self.journey.tick()
        except Exception:  # the journey guards itself; this is the last line
            log.exception("journey tick failed")

    # ---------------------------------------------------------------- looks

    def set_styles(self, styles: Mapping[Look, LookStyle]) -> None:
        self.base_styles = dict(styles)
        self._rescale()

    def _rescale(self) -> None:
        # Sizes are set for 1024x768; a bigger screen scales them up by whichever of its
        # sides has grown least, so what fits at 1024x768 fits there too.
        width, height = DESIGN_SIZE
        if self.isVisible() or self.height() > 200:
            factor = min(self.width() / width, self.height() / height)
        else:
            factor = 1.0
        self.styles = {look: self.base_styles[look].scaled(factor) for look in LOOKS}
        look = self._look or self.resting_look
        self._look = None
        self._apply_look(look)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        for overlay in (self.confirm, self.still_there, self.pin_pad, self.officer):
            overlay.setGeometry(self.rect())
        self._rescale()

    def _apply_look(self, look: Look) -> None:
        if look == self._look:
            return
        self._look = look
        style = self.look_style()
        self.setProperty(FOCUS_COLOUR_PROPERTY, style.focus)
        self.setStyleSheet(style_sheet(style))
        for screen in self.screens.values():
            screen.apply_style(style)
        self.nav.apply_style(style)
        self.confirm.apply_style(style)
        self.still_there.apply_style(style)
        for overlay in (self.confirm, self.still_there):
            overlay.setStyleSheet("QWidget#overlay { background: rgba(10, 20, 30, 215); }")

    def set_keyboard(self, used: bool) -> None:
        """The keyboard (True) or touch (False) was used last: focus shows only for the
        keyboard, so a control that has focus never looks chosen to someone who touches."""
        if bool(self.property(KEYBOARD_PROPERTY)) == used:
            return
        self.setProperty(KEYBOARD_PROPERTY, used)
        focused = QApplication.focusWidget()
        if focused is not None:
            focused.update()

    # ---------------------------------------------------------------- Back, Stop, asking

    def go_back(self) -> None:
        """"← Back": a step back inside the screen, or to the screen before. Going back
        from a recorded take deletes it, so that is asked first."""
        if self.confirm.isVisible():
            return
        state = self.journey.state
        if state is State.REVIEW:
            self._ask(ASK_BACK_VOICE if self._voice() else ASK_BACK, self.journey.back)
            return
        screen = self.screens.get(state)
        if screen is not None and screen.go_back():
            return
        self.journey.back()

    def ask_to_stop(self) -> None:
        """"Stop": asks "Stop and delete your answers?"; yes deletes and says goodbye."""
        self._ask(ASK_STOP, self.journey.stop_and_delete)

    def _voice(self) -> bool:
        """The person is answering with their voice alone ("Just my voice")."""
        return self._view.answer_kind == "voice"

    def _ask(self, question: Question, on_yes: Callable[[], None]) -> None:
        if self.confirm.isVisible():
            return
        self._on_yes = on_yes
        self.confirm.ask(*question)
        self._screen_changed_at = time.monotonic()  # a double tap must not answer it
        if self._reads_aloud() and self.speech_works():
            self.speaker.stop()
            self.speaker.say(tr(question[0]))
        for overlay in (self.still_there, self.pin_pad, self.officer):
            if overlay.isVisible():
                overlay.raise_()

    def _answered(self, yes: bool) -> None:
        action, self._on_yes = self._on_yes, None
        if yes and action is not None:
            action()

    def set_printer(self, printer: Printer) -> None:
        """Where "Print my code" prints (asked each time; None: no printer, no button)."""
        self._printer = printer

    def print_code(self) -> None:
        """"Print my code": straight to the printer the officer set up, if there is one."""
        printer = self._printer()
        code = self._view.reference_code
        if printer is None or not code or self._view.state is not State.THANK_YOU:
            return
        printer.print_code(format_reference(code))

    def forget_session(self) -> None:
        """Clear every trace of the last person from every screen."""
        for screen in self.screens.values():
            screen.reset()
        self._review_take = None
        self._priority_list_id = None
        self._spoken_items = {}
        self._about_spoken = {}
        self._screen_words = ""
        self.still_there.hide()
        self.confirm.hide()
        self._on_yes = None
        self.speaker.stop()

    # ---------------------------------------------------------------- camera

    def show_camera_frame(self, image: QImage) -> None:
        """A preview frame from the capture controller; dropped unless a camera screen
        (or the officer's camera check) is showing."""
        if self.officer.isVisible():
            self.officer.set_camera_frame(image)
            return
        if self._state is State.GET_READY:
            self.ready.set_frame(image)
        elif self._state is State.RECORDING:
            self.recording.set_frame(image)

    def show_camera_problem(self, reason: str) -> None:
        """The camera or microphone failed: say so plainly where the picture would be."""
        log.warning("camera problem shown to the participant: %s", reason)
        # Translators: where the camera picture would be, when the camera cannot be used.
        # "Just my voice" is the button that records the voice alone.
        text = tr("The camera is not working right now. You can answer with just your "
                  "voice, or without a video.")
        for preview in (self.ready.preview, self.recording.preview):
            preview.clear()
            preview.set_message(text)
        if self.officer.isVisible():
            self.officer.camera_preview.set_message(reason)

    def show_level(self, value: float) -> None:
        if self.officer.isVisible():
            self.officer.set_camera_level(value)
        elif self._state is State.GET_READY:
            self.ready.set_level(value)
        elif self._state is State.RECORDING:
            self.recording.set_level(value)

    # ---------------------------------------------------------------- people

    def _screen_changed(self) -> None:
        self._screen_changed_at = time.monotonic()

    def settling(self) -> bool:
        """True just after a new screen appeared (touches then are ignored)."""
        return time.monotonic() - self._screen_changed_at < self.settle_ms / 1000

    def activity(self) -> None:
        """Somebody touched or typed: the journey's idle timer starts again."""
        state = self.journey.state
        if state not in (State.ATTRACT, State.STILL_THERE) and not self.officer_open():
            self.journey.touch()

    # ---------------------------------------------------------------- officer

    def officer_open(self) -> bool:
        return self.pin_pad.isVisible() or self.officer.isVisible()

    def open_pin_pad(self) -> None:
        if self.officer.isVisible():
            return
        self.pin_pad.setGeometry(self.rect())
        self.pin_pad.setStyleSheet(style_sheet(self.styles["adult"]))
        self.pin_pad.open()
        QGuiApplication.restoreOverrideCursor() if not self.windowed else None

    def _pin_cancelled(self) -> None:
        self._hide_cursor()

    def _officer_unlocked(self) -> None:
        self.officer.setGeometry(self.rect())
        base = self.styles["adult"]
        self.officer.setStyleSheet(style_sheet(replace(
            base, body_px=round(base.body_px * 1.15), button_px=round(base.button_px * 1.1))))
        self.officer.open()
        self.officerUnlocked.emit()

    def lock_officer(self) -> None:
        self.officer.close_panel()
        self.pin_pad.hide()
        self._hide_cursor()
        focus = self.screens.get(self._state or State.ATTRACT, self.attract).first_focus()
        if focus is not None:
            focus.setFocus()

    def _hide_cursor(self) -> None:
        if not self.windowed:
            QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))

    def _officer_quit(self) -> None:
        self.officer.close_panel()
        self._allow_close = True
        self.quitRequested.emit()
        self.close()

    # ---------------------------------------------------------------- no way out

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._allow_close:
            self._ticker.stop()
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self._filter)
            event.accept()
            return
        log.info("ignored a request to close the kiosk window")
        event.ignore()

    def allow_close(self) -> None:
        """For the composition root and tests: the next close really closes."""
        self._allow_close = True

    def corner_point(self) -> QPoint:
        return QPoint(CORNER_PX // 3, CORNER_PX // 3)
