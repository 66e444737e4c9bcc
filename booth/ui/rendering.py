"""How the kiosk window draws a ``JourneyView``: the person's language (the screens' words,
font and direction), the screen for the state, its Back/Stop bar, and what is read aloud.

Every view carries the person's language: when it changes (they picked theirs on the welcome
screen, or the next person starts in the event's), every screen is given its words again in
that language, the whole window mirrors for Urdu and Arabic, and the speaker changes voice.
Each screen has words to read ("Read it to me"); looks the event reads aloud say them by
themselves ("Hear it again"). Where the language has no voice, nothing is read and the
control is hidden, rather than reading Urdu words with an English voice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QStackedWidget, QWidget

from booth.capture.waveform import peak_envelope
from booth.i18n import N_, tr
from booth.journey import Goodbye, Journey, JourneyView, State
from booth.journey.answering import OTHERS_CHOSE
from booth.journey.recording import LISTEN_TO_IT, WATCH_IT
from booth.pack import CampaignPack, Look
from booth.ui.language import TextStyle, text_style
from booth.ui.looks import LookStyle
from booth.ui.officer import OfficerPanel, PinPad
from booth.ui.printing import CodePrinter
from booth.ui.screens.base import Choice, Screen
from booth.ui.screens.camera import GetReadyScreen, RecordingScreen, ReviewScreen
from booth.ui.screens.choices import (
    LOOK_TILES,
    AboutYouScreen,
    ChoosePromptScreen,
    ConsentScreen,
    PrioritiesScreen,
    WelcomeScreen,
)
from booth.ui.screens.messages import (
    AttractScreen,
    ConfirmOverlay,
    FailsafeScreen,
    GoodbyeScreen,
    StillThereOverlay,
    ThankYouScreen,
)
from booth.ui.screens.nav import BAR_STATES, NO_BACK, NO_STOP, NavBar
from booth.ui.screens.tally import TallyScreen
from booth.ui.speech import Speaker
from booth.ui.waveform import POINTS
from booth.wire.reference import format_reference

log = logging.getLogger(__name__)

# A priority list's tally at this event: (item id -> people who ticked it, the people
# behind those counts); no counts while too few people have answered.
Tally = Callable[[str], tuple[Mapping[str, int], int]]
# A take decrypted into memory for playback; None if it cannot be read.
Review = Callable[[str], bytes | None]
# The printer the officer set up for reference codes, asked each time (None: no printer).
Printer = Callable[[], CodePrinter | None]

# Translators: said aloud before the questions are read out one by one.
PICK_A_QUESTION = N_("Pick a question.")
# Translators: said aloud after the bar chart when too few people have answered yet.
THANKS_FOR_CHOOSING = N_("Thank you for choosing!")


class ViewRenderer:
    """The kiosk window's drawing of journey views (mixed into ``KioskWindow``, which makes
    the screens and the bar this uses)."""

    journey: Journey
    speaker: Speaker
    styles: dict[Look, LookStyle]
    resting_look: Look
    screens: dict[State, Screen]
    stack: QStackedWidget
    nav: NavBar
    attract: AttractScreen
    welcome: WelcomeScreen
    consent: ConsentScreen
    choose: ChoosePromptScreen
    ready: GetReadyScreen
    recording: RecordingScreen
    review: ReviewScreen
    priorities: PrioritiesScreen
    tally: TallyScreen
    about: AboutYouScreen
    thanks: ThankYouScreen
    goodbye: GoodbyeScreen
    failsafe: FailsafeScreen
    confirm: ConfirmOverlay
    still_there: StillThereOverlay
    pin_pad: PinPad
    officer: OfficerPanel
    _tally: Tally
    _review: Review
    _printer: Printer
    _look: Look | None
    _state: State | None
    _view: JourneyView
    _review_take: str | None
    _priority_list_id: str | None
    _spoken_items: dict[str, str]
    _screen_words: str
    _about_spoken: dict[str, str]
    _on_yes: Callable[[], None] | None
    _pack: CampaignPack | None
    _language: str
    _text_style: TextStyle | None

    def _apply_look(self, look: Look) -> None:
        raise NotImplementedError

    def forget_session(self) -> None:
        raise NotImplementedError

    def _screen_changed(self) -> None:
        """A new screen is up: touches are ignored for a moment (the window's clock)."""
        raise NotImplementedError

    def look_style(self) -> LookStyle:
        """The look now, in the person's language's font."""
        style = self.styles[self._look or self.resting_look]
        words = self._text_style
        if words is None:
            return style
        factor = words.size_factor(style.look)
        return replace(style, font_family=words.family, title_px=round(style.title_px * factor),
                       body_px=round(style.body_px * factor),
                       button_px=round(style.button_px * factor))

    # ---------------------------------------------------------------- language

    def language(self) -> str:
        """The language the screens are in now."""
        return self._language

    def set_campaign(self, pack: CampaignPack | None) -> None:
        """The campaign pack, for its name in each language on the attract screen."""
        self._pack = pack
        self._campaign_words()

    def _campaign_words(self) -> None:
        name = ""
        if self._pack is not None:
            try:
                name = self._pack.in_language(self._language or self._pack.language).name
            except LookupError:
                name = self._pack.name
        self.attract.set_campaign(name)

    def _use_language(self, language: str) -> None:
        """Every screen's words in ``language``, the whole window mirrored for a language
        read right to left, its font, and a voice for it (or none)."""
        if language == self._language:
            return
        self._language = language
        style = text_style(language)
        self._text_style = style
        window = self._window()
        window.setLayoutDirection(style.direction)
        # The officer's screens stay in English, left to right, whoever is at the booth.
        for officer in (self.pin_pad, self.officer):
            officer.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.speaker.use_language(language)  # asked to read without a voice, it logs once
        # Translators: the window's title (read by screen readers).
        window.setWindowTitle(tr("Have your say"))
        for screen in self.screens.values():
            screen.retranslate()
        for part in (self.nav, self.confirm, self.still_there):
            part.retranslate()
        self._campaign_words()
        look = self._look or self.resting_look
        self._look = None  # the font changed with the language: the style again
        self._apply_look(look)

    def _window(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

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
        entering = shown != self._state or view.language != self._language
        if view.state != self._view.state and self.confirm.isVisible():
            # The question was about the screen that was there; it is gone now.
            self.confirm.hide()
            self._on_yes = None
        self._view = view
        look: Look = view.look if view.look in ("child", "adult", "older") else self.resting_look
        if state in (State.ATTRACT, State.FAILSAFE, State.WELCOME):
            look = self.resting_look
        if (state in (State.ATTRACT, State.FAILSAFE, State.GOODBYE, State.RESTING)
                and shown != self._state):
            self.forget_session()
        self._use_language(view.language)
        self._apply_look(look)
        screen = self.screens.get(shown, self.attract)
        if entering:
            self._enter(shown, view)
            self.nav.set_status(self._status_for(shown, view, self._state))
            self.stack.setCurrentWidget(screen)
            self._screen_changed()
            self._state = shown
            focus = screen.first_focus()
            if focus is not None:
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update(shown, view)
        self._show_bar(shown, view)
        if state is State.STILL_THERE:
            self.still_there.setGeometry(self._window().rect())
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
        hear = (self.can_read_aloud() and bool(self._screen_words)
                and state is not State.RECORDING)  # the booth's voice never goes in a take
        self.nav.set_hear_again(self._reads_aloud())
        self.nav.show_controls(back=state not in NO_BACK, stop=state not in NO_STOP,
                               hear=hear)
        self.nav.show()

    def _status_for(self, state: State, view: JourneyView, coming_from: State | None) -> str:
        if state is State.PRIORITIES and coming_from is State.REVIEW and view.kept_take_id:
            # They have just pressed "Keep it".
            if view.answer_kind == "voice":
                # Translators: above the tick boxes, just after a voice answer was kept.
                return tr("Your answer is saved") + " ✓"
            # Translators: above the tick boxes, just after a video answer was kept.
            return tr("Your video is saved") + " ✓"
        if state is State.ABOUT_YOU:
            return self.about.progress()
        return ""

    def _about_progress(self, text: str) -> None:
        if self._state is State.ABOUT_YOU:
            self.nav.set_status(text)
            self._screen_words = self._about_words()

    def _enter(self, state: State, view: JourneyView) -> None:
        """Fill a screen when it is shown; dynamic parts are in ``_update``."""
        self._screen_words = ""
        if state is State.WELCOME:
            self.welcome.show_languages(view.languages, view.language)
            self._screen_words = " ".join([
                tr("Hello! Who is taking part?"), tr("Touch the picture that fits you best."),
                *(tr(LOOK_TILES[look][1]) + "." for look in LOOK_TILES)])
        elif state is State.CONSENT:
            consent = view.consent
            self.consent.reset()
            self.consent.show_consent(consent.text if consent else "",
                                      view.needs_adult_confirmation,
                                      (consent.adult_confirmation or "") if consent else "")
            self._screen_words = consent.spoken if consent else ""  # the journey said it
        elif state is State.CHOOSE_PROMPT:
            self.choose.set_kept(view.kept_take_id is not None)
            self.choose.show_prompts(view.prompts)
            if view.prompts:
                # Many children cannot read yet: the choices are read out too.
                self._say_for_screen(" ".join([tr(PICK_A_QUESTION), view.prompts[0].text, *(
                    # Translators: said aloud before each question after the first.
                    tr("Or: {prompt}", prompt=p.text) for p in view.prompts[1:])]))
        elif state is State.GET_READY:
            self.ready.preview.clear()
            self.choose.show_notice("")
            # A choice is made: stop reading the list, which would run on into the take.
            self.speaker.stop()
            self.ready.set_answer_kind(view.answer_kind, view.camera_away)
            spoken = view.prompt.spoken if view.prompt is not None else ""
            self._screen_words = f"{spoken} {self.ready.guide.text()}".strip()
        elif state is State.RECORDING:
            self.recording.preview.clear()
            self.recording.set_answer_kind(view.answer_kind)
            self.speaker.stop()  # the booth's own voice never goes into an answer
        elif state is State.REVIEW:
            self.review.set_answer_kind(view.answer_kind)
            self._load_review(view)
            said = LISTEN_TO_IT if view.answer_kind == "voice" else WATCH_IT
            self._screen_words = tr(said)
        elif state is State.PRIORITIES:
            plist = view.priority_list
            items = plist.items if plist is not None else []
            self._priority_list_id = plist.id if plist is not None else ""
            self._spoken_items = {item.id: item.spoken_text for item in items}
            self.priorities.show_list(
                # Translators: the title of the tick boxes when the campaign gives none.
                plist.title if plist is not None else tr("What matters most to you?"),
                [Choice(item.id, item.label, item.icon or "") for item in items],
                max(1, view.max_ticks),
            )
            self._screen_words = plist.spoken if plist is not None else ""
        elif state is State.TALLY:
            self._show_tally(view)
        elif state is State.ABOUT_YOU:
            self._about_spoken = {q.id: q.spoken for q in view.about_you}
            self.about.show_questions([
                (q.id, q.text, [Choice(o.id, o.label) for o in q.options])
                for q in view.about_you
            ])
            self._screen_words = self._about_words()
        elif state is State.THANK_YOU:
            self._enter_thank_you(view)
        elif state is State.GOODBYE:
            self.goodbye.show_goodbye(view.goodbye is Goodbye.STOPPED)
        if state is not State.REVIEW and self.review.has_take():
            self.review.clear_take()
            self._review_take = None

    def _enter_thank_you(self, view: JourneyView) -> None:
        code = view.reference_code or ""
        self.thanks.set_can_print(bool(code) and self._printer() is not None)
        # Children who cannot read yet hear their code, letter by letter.
        letters = ", ".join(code)
        # Translators: said aloud on the last screen. {code} is the reference code, read
        # letter by letter (in Latin letters and digits).
        said = tr("Thank you! Your code is {code}.", code=letters)
        self._screen_words = f"{said} {self.thanks.body_text.text()}" if code else ""
        if code:
            self._say_for_screen(said, keep=self._screen_words)

    def _about_words(self) -> str:
        """The question shown now and its answers, for "Read it to me"."""
        current = self.about.current_question_id()
        spoken = self._about_spoken.get(current, "")
        options = ", ".join(option.text() for option in self.about.current_options())
        return f"{spoken} {options}".strip()

    def _update(self, state: State, view: JourneyView) -> None:
        prompt_text = view.prompt.text if view.prompt is not None else ""
        if state is State.CONSENT:
            self.consent.show_notice(view.notice or "")
        elif state is State.CHOOSE_PROMPT:
            self.choose.show_notice(view.notice or "")
            self.choose.set_answer_kind(view.answer_kind)
        elif state is State.GET_READY:
            count = view.countdown_remaining
            if (self.ready.kind, self.ready.camera_away) != (
                    view.answer_kind, view.camera_away and view.answer_kind != "voice"):
                self.ready.set_answer_kind(view.answer_kind, view.camera_away)
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
            if view.answer_kind == "voice":
                try:
                    self.review.show_waveform(peak_envelope(data, POINTS).tolist())
                except Exception:  # the sound still plays; the picture of it is a nicety
                    log.exception("could not draw the voice answer's waveform")
        else:
            self.review.clear_take()

    def _show_tally(self, view: JourneyView) -> None:
        plist = view.priority_list
        if plist is None:
            return
        counts, people = self._tally(plist.id)
        # Too few people yet, no counts: the bars could show the last person's choices.
        shown = self.tally.show_counts(plist.items, view.ticked, counts, people)
        if shown:
            self._screen_words = f"{tr(OTHERS_CHOSE)} {self.tally.note.text()}"
        else:
            self._screen_words = f"{tr(THANKS_FOR_CHOOSING)} {self.tally.waiting.text()}"

    # ---------------------------------------------------------------- reading aloud

    def speech_works(self) -> bool:
        """Whether the speaker can be heard (a voice that works): "Read it to me" is
        offered only then."""
        return bool(self.speaker.available)

    def can_read_aloud(self) -> bool:
        """There is a voice for the person's language (else nothing is read in it)."""
        return self.speech_works() and self.speaker.can_speak(self._language)

    @property
    def sound_off(self) -> bool:
        """True when speech does not work on this laptop, for the officer console to say
        so: children who cannot read are then not read to."""
        return not self.speech_works()

    def _reads_aloud(self) -> bool:
        """This look's screens are read without being asked (the event's setting)."""
        return self._view.reads_aloud

    def _say_for_screen(self, text: str, keep: str | None = None) -> None:
        """This screen's words, for "Read it to me" (``keep``, or ``text``); said now in a
        look that reads aloud."""
        self._screen_words = keep if keep is not None else text
        if self._reads_aloud():
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

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        # A look read aloud reads every control aloud when it is reached by keyboard.
        if new is None or not self._reads_aloud():
            return
        if new.window() is not self._window() or self._state in (None, State.ATTRACT):
            return
        if QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            return
        name = new.accessibleName()
        if name and isinstance(new, QAbstractButton):
            self.speaker.say(name)
