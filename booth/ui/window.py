"""The kiosk window: full screen, no way out for the public, a catalogue of screens
that renders whatever ``JourneyView`` it is given, and the hidden officer entrance.

The window knows nothing of the journey's transitions: it forwards what a person did
to the journey's event methods and draws the views the journey publishes. Above the
screens after the look is chosen is one bar with "← Back" and "Stop", always in the same
place; before anything is deleted (Stop, or a recorded take) the window asks."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QCursor, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLayout,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from booth.journey import Goodbye, Journey, JourneyView, State
from booth.pack import LOOKS, Look
from booth.ui.kiosk_filter import CORNER_PX, KioskFilter
from booth.ui.looks import DESIGN_SIZE, LookStyle, style_sheet
from booth.ui.officer import OfficerPanel, PinPad
from booth.ui.printing import CodePrinter
from booth.ui.screens.base import Choice, Screen
from booth.ui.screens.camera import GetReadyScreen, RecordingScreen, ReviewScreen
from booth.ui.screens.choices import (
    AboutYouScreen,
    ChoosePromptScreen,
    ConsentScreen,
    PrioritiesScreen,
    TallyScreen,
    WelcomeScreen,
)
from booth.ui.screens.messages import (
    ASK_BACK,
    ASK_RETAKE,
    ASK_STOP,
    ASK_WITHOUT,
    AttractScreen,
    ConfirmOverlay,
    FailsafeScreen,
    GoodbyeScreen,
    StillThereOverlay,
    ThankYouScreen,
)
from booth.ui.screens.nav import BAR_STATES, NO_BACK, NO_STOP, NavBar
from booth.ui.screens.resting import RestingScreen
from booth.ui.speech import Speaker
from booth.ui.widgets import FOCUS_COLOUR_PROPERTY, KEYBOARD_PROPERTY
from booth.wire.reference import format_reference

log = logging.getLogger(__name__)

LONG_PRESS_MS = 3000
TICK_MS = 250
# After a new screen appears, touches are ignored this long: a child's double tap on
# "Keep" must not tick the priority that appears under their finger.
SETTLE_MS = 400


# A priority list's tally at this event: (item id -> people who ticked it, the people
# behind those counts); no counts while too few people have answered.
Tally = Callable[[str], tuple[Mapping[str, int], int]]
# A take decrypted into memory for playback; None if it cannot be read.
Review = Callable[[str], bytes | None]
# The printer the officer set up for reference codes, asked each time (None: no printer).
Printer = Callable[[], CodePrinter | None]

class KioskWindow(QWidget):
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
        campaign: tuple[str, str] | None = None,
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
        self._screen_words = ""  # what "Hear it again" repeats
        self._on_yes: Callable[[], None] | None = None
        self.setWindowTitle("Have your say")
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
        if campaign is not None:
            self.attract.set_campaign(*campaign)
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
        self.consent.agreed.connect(lambda adult: j.give_consent(adult_confirmed=adult))
        self.consent.declined.connect(j.decline_consent)
        self.choose.promptChosen.connect(j.choose_prompt)
        self.choose.skipVideo.connect(j.skip_video)
        self.ready.startPressed.connect(j.start_recording)
        self.recording.stopPressed.connect(j.stop_recording)
        self.review.keepPressed.connect(j.keep)
        self.review.retakePressed.connect(lambda: self._ask(ASK_RETAKE, j.retake))
        self.review.withoutVideoPressed.connect(lambda: self._ask(ASK_WITHOUT, j.skip_video))
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

    def look_style(self) -> LookStyle:
        return self.styles[self._look or self.resting_look]

    def _apply_look(self, look: Look) -> None:
        if look == self._look:
            return
        self._look = look
        style = self.styles[look]
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

    # ---------------------------------------------------------------- speech

    def speech_works(self) -> bool:
        """Whether the speaker can be heard (a voice that works): "Hear it again" is
        offered only then."""
        return bool(self.speaker.available)

    @property
    def sound_off(self) -> bool:
        """True when speech does not work on this laptop, for the officer console to say
        so: children who cannot read are then not read to."""
        return not self.speech_works()

    # ---------------------------------------------------------------- rendering

    def show_view(self, view: JourneyView) -> None:
        """Draw ``view``. Called for every change the journey publishes."""
        try:
            self._render(view)
        except Exception:
            log.exception("could not draw %s", view.state)

    def _render(self, view: JourneyView) -> None:
        state = view.state
        shown = view.interrupted if state is State.STILL_THERE and view.interrupted else state
        entering = shown != self._state
        if view.state != self._view.state and self.confirm.isVisible():
            # The question was about the screen that was there; it is gone now.
            self.confirm.hide()
            self._on_yes = None
        self._view = view
        look: Look = view.look if view.look in LOOKS else self.resting_look
        if state in (State.ATTRACT, State.FAILSAFE, State.WELCOME):
            look = self.resting_look
        if state in (State.ATTRACT, State.FAILSAFE, State.GOODBYE, State.RESTING) and entering:
            self.forget_session()
        self._apply_look(look)
        screen = self.screens.get(shown, self.attract)
        if entering:
            self._enter(shown, view)
            self.nav.set_status(self._status_for(shown, view, self._state))
            self.stack.setCurrentWidget(screen)
            self._screen_changed_at = time.monotonic()
            self._state = shown
            focus = screen.first_focus()
            if focus is not None:
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update(shown, view)
        self._show_bar(shown, view)
        if state is State.STILL_THERE:
            self.still_there.setGeometry(self.rect())
            self.still_there.show_seconds(float(view.still_there_left or 0))
            if not self.still_there.isVisible():
                self.still_there.show()
                self.still_there.raise_()
                self.still_there.here.setFocus()
        elif self.still_there.isVisible():
            self.still_there.hide()
        for overlay in (self.pin_pad, self.officer):
            if overlay.isVisible():
                overlay.raise_()

    def _show_bar(self, state: State, view: JourneyView) -> None:
        if state not in BAR_STATES:
            self.nav.hide()
            return
        hear = (self._reads_aloud() and bool(self._screen_words) and self.speech_works()
                and state is not State.RECORDING)  # the booth's voice never goes in a take
        self.nav.show_controls(back=state not in NO_BACK, stop=state not in NO_STOP,
                               hear=hear)
        self.nav.show()

    def _status_for(self, state: State, view: JourneyView, coming_from: State | None) -> str:
        if state is State.PRIORITIES and coming_from is State.REVIEW and view.kept_take_id:
            return "Your video is saved ✓"  # they have just pressed "Keep it"
        if state is State.ABOUT_YOU:
            return self.about.progress()
        return ""

    def _about_progress(self, text: str) -> None:
        if self._state is State.ABOUT_YOU:
            self.nav.set_status(text)

    def _enter(self, state: State, view: JourneyView) -> None:
        """Fill a screen when it is shown; dynamic parts are in ``_update``."""
        self._screen_words = ""
        if state is State.CONSENT:
            consent = view.consent
            self.consent.reset()
            self.consent.show_consent(consent.text if consent else "",
                                      view.needs_adult_confirmation,
                                      (consent.adult_confirmation or "") if consent else "")
            self._screen_words = consent.spoken if consent else ""  # the journey said it
        elif state is State.CHOOSE_PROMPT:
            if self._reads_aloud() and view.prompts:
                # Many children cannot read yet: the choices are read out too.
                self._say_for_screen("Pick a question. " + " Or: ".join(
                    p.text for p in view.prompts))
            self.choose.set_kept(view.kept_take_id is not None)
            self.choose.show_prompts(view.prompts)
        elif state is State.GET_READY:
            self.ready.preview.clear()
            self.choose.show_notice("")
            # A choice is made: stop reading the list, which would run on into the take.
            self.speaker.stop()
            self._screen_words = view.prompt.spoken if view.prompt is not None else ""
        elif state is State.RECORDING:
            self.recording.preview.clear()
            self.speaker.stop()  # the booth's own voice never goes into an answer
        elif state is State.REVIEW:
            self._load_review(view)
            self._screen_words = "Watch your video. Keep it, or try again."
        elif state is State.PRIORITIES:
            plist = view.priority_list
            items = plist.items if plist is not None else []
            self._priority_list_id = plist.id if plist is not None else ""
            self._spoken_items = {item.id: item.spoken_text for item in items}
            self.priorities.show_list(
                plist.title if plist is not None else "What matters most to you?",
                [Choice(item.id, item.label, item.icon or "") for item in items],
                max(1, view.max_ticks),
            )
            self._screen_words = plist.spoken if plist is not None else ""
        elif state is State.TALLY:
            self._show_tally(view)
        elif state is State.ABOUT_YOU:
            self.about.show_questions([
                (q.id, q.text, [Choice(o.id, o.label) for o in q.options])
                for q in view.about_you
            ])
            self._screen_words = " ".join(q.spoken for q in view.about_you[:1])
        elif state is State.THANK_YOU:
            code = view.reference_code or ""
            self.thanks.set_can_print(bool(code) and self._printer() is not None)
            if code and self._reads_aloud():
                # Children who cannot read yet hear their code, letter by letter.
                self.speaker.say("Thank you! Your code is " + ", ".join(code) + ".")
        elif state is State.GOODBYE:
            self.goodbye.show_goodbye(view.goodbye is Goodbye.STOPPED)
        if state is not State.REVIEW and self.review.has_take():
            self.review.clear_take()
            self._review_take = None

    def _update(self, state: State, view: JourneyView) -> None:
        prompt_text = view.prompt.text if view.prompt is not None else ""
        if state is State.CONSENT:
            self.consent.show_notice(view.notice or "")
        elif state is State.CHOOSE_PROMPT:
            self.choose.show_notice(view.notice or "")
        elif state is State.GET_READY:
            count = view.countdown_remaining
            self.ready.show_ready(prompt_text, None if count is None else max(1, count))
        elif state is State.RECORDING:
            left = float(view.seconds_left) if view.seconds_left is not None else 0.0
            self.recording.show_recording(prompt_text, float(view.seconds_recorded), left,
                                          starting=view.recording_starting,
                                          stopping=view.recording_stopping)
        elif state is State.REVIEW:
            if view.take_id != self._review_take:
                self._load_review(view)
        elif state is State.PRIORITIES:
            self.priorities.set_ticked(view.ticked, view.notice or "")
        elif state is State.THANK_YOU:
            self.thanks.show_code(format_reference(view.reference_code or ""))
            self.thanks.show_seconds_left(view.thank_you_left or 0)

    def _load_review(self, view: JourneyView) -> None:
        self._review_take = view.take_id
        if view.take_id is None:
            self.review.clear_take()
            return
        data = self._review(view.take_id)
        if data:
            self.review.load_take(data)
        else:
            self.review.clear_take()

    def _show_tally(self, view: JourneyView) -> None:
        plist = view.priority_list
        if plist is None:
            return
        counts, people = self._tally(plist.id)
        # Too few people yet, no counts: the bars could show the last person's choices.
        shown = self.tally.show_counts(plist.items, view.ticked, counts, people)
        self._screen_words = ("Here is what other people chose." if shown
                              else "Thank you for choosing!")

    # ---------------------------------------------------------------- Back, Stop, asking

    def go_back(self) -> None:
        """"← Back": a step back inside the screen, or to the screen before. Going back
        from a recorded take deletes it, so that is asked first."""
        if self.confirm.isVisible():
            return
        state = self.journey.state
        if state is State.REVIEW:
            self._ask(ASK_BACK, self.journey.back)
            return
        screen = self.screens.get(state)
        if screen is not None and screen.go_back():
            return
        self.journey.back()

    def ask_to_stop(self) -> None:
        """"Stop": asks "Stop and delete your answers?"; yes deletes and says goodbye."""
        self._ask(ASK_STOP, self.journey.stop_and_delete)

    def _ask(self, question: tuple[str, str, str, str], on_yes: Callable[[], None]) -> None:
        if self.confirm.isVisible():
            return
        self._on_yes = on_yes
        self.confirm.ask(*question)
        self._screen_changed_at = time.monotonic()  # a double tap must not answer it
        if self._reads_aloud() and self.speech_works():
            self.speaker.stop()
            self.speaker.say(question[0])
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

    # ---------------------------------------------------------------- reading aloud

    def _reads_aloud(self) -> bool:
        return self._look == "child" and self.look_style().read_aloud

    def _say_for_screen(self, text: str) -> None:
        """Say what this screen is about; "Hear it again" repeats it."""
        self._screen_words = text
        self.speaker.say(text)

    def _say_again(self) -> None:
        if self._screen_words:
            self.speaker.stop()
            self.speaker.say(self._screen_words)

    def _say_item(self, item_id: str) -> None:
        # Children who cannot read hear what they just ticked.
        if self._reads_aloud():
            tile = self.priorities.tiles.get(item_id)
            if tile is not None and tile.isChecked():
                self.speaker.say(self._spoken_items.get(item_id) or tile.text())

    def forget_session(self) -> None:
        """Clear every trace of the last person from every screen."""
        for screen in self.screens.values():
            screen.reset()
        self._review_take = None
        self._priority_list_id = None
        self._spoken_items = {}
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
        text = "The camera is not working right now. You can still answer without a video."
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

    def settling(self) -> bool:
        """True just after a new screen appeared (touches then are ignored)."""
        return time.monotonic() - self._screen_changed_at < self.settle_ms / 1000

    def activity(self) -> None:
        """Somebody touched or typed: the journey's idle timer starts again."""
        state = self.journey.state
        if state not in (State.ATTRACT, State.STILL_THERE) and not self.officer_open():
            self.journey.touch()

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        # The child look reads every control aloud when it is reached by keyboard.
        if new is None or not self._reads_aloud():
            return
        if new.window() is not self or self._state in (None, State.ATTRACT):
            return
        if QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            return
        name = new.accessibleName()
        if name and isinstance(new, QAbstractButton):
            self.speaker.say(name)

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
