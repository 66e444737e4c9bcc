"""The participant journey: a plain-Python state machine the kiosk screens render."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from booth.clock import Clock
from booth.pack import (
    LOOKS,
    AboutYouQuestion,
    CampaignPack,
    ConsentWording,
    Look,
    PriorityList,
    Prompt,
)

log = logging.getLogger(__name__)


class State(StrEnum):
    """Where the participant is. ``STILL_THERE`` remembers the state it interrupted."""

    ATTRACT = "attract"
    WELCOME = "welcome"
    CONSENT = "consent"
    CHOOSE_PROMPT = "choose_prompt"
    GET_READY = "get_ready"
    RECORDING = "recording"
    REVIEW = "review"
    PRIORITIES = "priorities"
    TALLY = "tally"
    ABOUT_YOU = "about_you"
    THANK_YOU = "thank_you"
    STILL_THERE = "still_there"
    FAILSAFE = "failsafe"


class JourneyError(Exception):
    """An event that makes no sense in the current state. Raised only by a strict journey;
    the kiosk's journey logs such events and ignores them."""


FAILSAFE_MESSAGE = "Sorry, something went wrong. The booth will be ready again in a moment."


@dataclass(frozen=True)
class EventSettings:
    """How this event runs the journey (set by the officer for the event)."""

    # A child's consent needs a grown-up (teacher, parent) to confirm it too.
    child_needs_adult_confirmation: bool = True
    # Looks whose screens are all read aloud; the others hear nothing unless they ask.
    spoken_looks: frozenset[Look] = frozenset({"child"})
    # The thank-you screen returns to the attract screen by itself after this long.
    thank_you_seconds: float = 20.0
    # The failsafe screen returns to the attract screen by itself after this long.
    failsafe_seconds: float = 8.0
    # A recorder that has not confirmed a start or a stop after this long has failed.
    recorder_timeout_seconds: float = 10.0
    # Used on the welcome screen, before anyone has chosen a look.
    welcome_idle_seconds: float = 60.0
    welcome_still_there_seconds: float = 20.0


@dataclass
class SessionDraft:
    """One participant's session while it is under way; what the effects are given."""

    session_id: str
    look: Look
    started_at: datetime
    consent_given: bool = False
    adult_confirmed: bool = False
    prompt_id: str | None = None
    take_id: str | None = None
    kept_take_id: str | None = None
    priorities: tuple[str, ...] | None = None
    about_you: dict[str, str] | None = None
    reference_code: str | None = None
    take_ids: list[str] = field(default_factory=list)  # every take started, kept or not
    take_duration_s: float | None = None  # of the take under review (or kept)


class JourneyEffects(Protocol):
    """What the journey asks the app to do. The journey itself does no I/O.

    Effects may call back into the journey (for example ``start_take`` may lead
    straight to ``recording_started``); the journey is ready for that."""

    def session_started(self, session: SessionDraft) -> None:
        """Consent was given: open the session and record the consent."""
        ...

    def start_take(self, session: SessionDraft, prompt: Prompt) -> None:
        """Start recording an answer to ``prompt``; report back with ``recording_started``."""
        ...

    def stop_take(self) -> None:
        """Stop the recording; report back with ``recording_finished``."""
        ...

    def discard_take(self, take_id: str) -> None:
        """Delete this take and every trace of it. May be called twice for one take."""
        ...

    def keep_take(self, session: SessionDraft, take_id: str) -> None:
        """Make this take durable: from here it is a kept video answer."""
        ...

    def save_priorities(self, session: SessionDraft, item_ids: Sequence[str]) -> None:
        """Store the ticked priorities."""
        ...

    def save_about_you(self, session: SessionDraft, answers: dict[str, str]) -> None:
        """Store the about-you answers (question id -> option id)."""
        ...

    def finish_session(self, session: SessionDraft) -> str:
        """Finish the session; return its reference code for the thank-you screen."""
        ...

    def abandon_session(self, session: SessionDraft, reason: str) -> None:
        """The person left before the end: delete unkept takes, keep kept answers."""
        ...

    def speak(self, text: str) -> None:
        """Say ``text`` aloud."""
        ...


@dataclass(frozen=True)
class JourneyView:
    """An immutable snapshot of the journey: all a screen needs to draw itself."""

    state: State
    look: Look | None = None
    interrupted: State | None = None
    session_id: str | None = None
    consent: ConsentWording | None = None
    needs_adult_confirmation: bool = False
    prompts: tuple[Prompt, ...] = ()
    prompt: Prompt | None = None
    countdown_remaining: int | None = None
    recording_starting: bool = False
    recording_stopping: bool = False
    seconds_recorded: int = 0
    seconds_left: int | None = None
    take_id: str | None = None
    kept_take_id: str | None = None
    take_duration_s: float | None = None
    priority_list: PriorityList | None = None
    ticked: tuple[str, ...] = ()
    max_ticks: int = 0
    about_you: tuple[AboutYouQuestion, ...] = ()
    still_there_left: int | None = None
    reference_code: str | None = None
    failsafe_message: str | None = None
    notice: str | None = None

    @property
    def ticked_count(self) -> int:
        return len(self.ticked)


Listener = Callable[[JourneyView], None]

# States where a person is expected to touch the screen now and then.
_IDLE_STATES = frozenset(
    {
        State.WELCOME,
        State.CONSENT,
        State.CHOOSE_PROMPT,
        State.GET_READY,
        State.REVIEW,
        State.PRIORITIES,
        State.TALLY,
        State.ABOUT_YOU,
    }
)


class Journey:
    """The participant journey. Call the event methods; read ``view`` or ``subscribe``.

    Events that make no sense in the current state (a stray touch, a double tap) are
    logged and ignored: a kiosk never shows an error for them. Use it from one thread
    (the GUI thread); the recorder's reports must be handed over to that thread.

    The way through (``back()`` steps back where a row says so)::

        ATTRACT       touch -> WELCOME
        WELCOME       choose_look -> CONSENT; back -> ATTRACT
        CONSENT       give_consent -> CHOOSE_PROMPT (session_started, once);
                      decline_consent -> ATTRACT; back -> WELCOME (abandons a started session)
        CHOOSE_PROMPT choose_prompt -> GET_READY; skip_video -> PRIORITIES; back -> CONSENT
        GET_READY     countdown over (tick) / countdown_done / start_recording -> RECORDING
                      (start_take); skip_video -> PRIORITIES; back -> CHOOSE_PROMPT
        RECORDING     recording_started; stop_recording or the take's maximum length
                      (stop_take); recording_finished -> REVIEW;
                      recording_failed -> CHOOSE_PROMPT (take discarded, a notice shown)
        REVIEW        keep -> PRIORITIES (keep_take); retake -> GET_READY (discard_take);
                      skip_video -> PRIORITIES (discard_take); back -> CHOOSE_PROMPT
        PRIORITIES    toggle_priority; submit_priorities -> TALLY (save_priorities);
                      back -> CHOOSE_PROMPT only while no answer is kept
        TALLY         continue_after_tally -> ABOUT_YOU, or THANK_YOU if the look has none
        ABOUT_YOU     submit_about_you / skip_about_you -> THANK_YOU (finish_session)
        THANK_YOU     finish, or thank_you_seconds later -> ATTRACT
        STILL_THERE   (after the look's idle time in a screen that waits for a touch)
                      still_here / touch -> the interrupted screen;
                      still_there_seconds later -> ATTRACT (discard unkept take, abandon)
        FAILSAFE      (fail(), a failing effect, a silent recorder) finish, or
                      failsafe_seconds later -> ATTRACT

    Leaving a session early always stops a running take, discards an unkept one and
    calls ``abandon_session`` once; nothing of the session stays in the journey."""

    def __init__(
        self,
        pack: CampaignPack,
        clock: Clock,
        effects: JourneyEffects,
        event_settings: EventSettings | None = None,
        *,
        strict: bool = False,
    ) -> None:
        """``strict`` raises :class:`JourneyError` for events the screens should not send
        in the current state (for tests of the screens); the kiosk runs with it off."""
        self._strict = strict
        self._pack = pack
        self._clock = clock
        self._effects = effects
        self._settings = event_settings or EventSettings()
        self._listeners: list[Listener] = []
        self._last_view: JourneyView | None = None
        self._state = State.ATTRACT
        self._state_since = clock.now()
        self._last_activity = clock.now()
        self._failsafe_message: str | None = None
        # The recorder outlives sessions: a take stopped at the end of one session may
        # still be closing when the next person is ready, and one take at a time is all
        # a recorder does. Busy from start_take until it reports finished or failed.
        self._recorder_busy = False
        self._recorder_contact = clock.now()
        self._reset_session()
        self._last_view = self.view()

    # ----------------------------------------------------------------- reading

    @property
    def state(self) -> State:
        return self._state

    @property
    def session(self) -> SessionDraft | None:
        """The session under way, or None (between participants)."""
        return self._draft

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` now with the current view, then with a fresh view on every
        change (timers included); returns a function that unsubscribes."""
        self._listeners.append(listener)
        self._tell(listener, self.view())

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def view(self) -> JourneyView:
        """What the screens draw, as of now."""
        now = self._clock.now()
        state = self._state
        still_left: int | None = None
        interrupted: State | None = None
        if state is State.STILL_THERE:
            interrupted = self._interrupted
            still_left = max(
                0, math.ceil(self._still_there_seconds() - (now - self._state_since) - 1e-9)
            )
        if state in (State.ATTRACT, State.FAILSAFE) or self._draft is None:
            return JourneyView(
                state=state,
                interrupted=interrupted,
                still_there_left=still_left,
                failsafe_message=self._failsafe_message if state is State.FAILSAFE else None,
                notice=self._notice if state is not State.FAILSAFE else None,
            )
        draft = self._draft
        look = draft.look if self._look_chosen else None
        prompts: tuple[Prompt, ...] = ()
        priority_list: PriorityList | None = None
        about_you: tuple[AboutYouQuestion, ...] = ()
        consent: ConsentWording | None = None
        if look is not None:
            prompts = tuple(self._pack.prompts_for(look))
            priority_list = self._pack.priority_list_for(look)
            about_you = tuple(self._pack.about_you_for(look))
            consent = self._pack.consent_for(look)
        countdown: int | None = None
        if self._countdown_until is not None:
            countdown = max(0, math.ceil(self._countdown_until - now - 1e-9))
        recorded = 0
        left: int | None = None
        if self._recording_since is not None:
            elapsed = max(0.0, now - self._recording_since)
            recorded = math.floor(elapsed + 1e-9)
            if self._take_limit is not None:
                left = max(0, math.ceil(self._take_limit - elapsed - 1e-9))
        elif self._take_limit is not None:
            left = math.ceil(self._take_limit)
        return JourneyView(
            state=state,
            look=look,
            interrupted=interrupted,
            session_id=draft.session_id,
            consent=consent,
            needs_adult_confirmation=self._needs_adult_confirmation(),
            prompts=prompts,
            prompt=self._prompt,
            countdown_remaining=countdown,
            recording_starting=self._take_requested,
            recording_stopping=self._stopping,
            seconds_recorded=recorded,
            seconds_left=left,
            take_id=draft.take_id,
            kept_take_id=draft.kept_take_id,
            take_duration_s=draft.take_duration_s,
            priority_list=priority_list,
            ticked=tuple(self._ticked),
            max_ticks=priority_list.max_ticks if priority_list is not None else 0,
            about_you=about_you,
            still_there_left=still_left,
            reference_code=draft.reference_code,
            notice=self._notice,
        )

    # ------------------------------------------------------------------ events

    def touch(self) -> None:
        """Any touch on the screen: wakes the attract screen, answers "still there?"."""
        if self._state is State.ATTRACT:
            self._run("touch", self._start_welcome)
        elif self._state is State.STILL_THERE:
            self._run("touch", self._resume)
        else:
            self._last_activity = self._clock.now()

    def choose_look(self, look: Look) -> None:
        if not self._allowed("choose_look", State.WELCOME):
            return
        if look not in LOOKS:
            self._stray("choose_look", f"unknown look {look!r}")
            return
        self._run("choose_look", lambda: self._do_choose_look(look))

    def give_consent(self, adult_confirmed: bool = False) -> None:
        self._run_in("give_consent", lambda: self._do_give_consent(adult_confirmed), State.CONSENT)

    def decline_consent(self) -> None:
        self._run_in(
            "decline_consent", lambda: self._end_to_attract("consent declined"), State.CONSENT
        )

    def choose_prompt(self, prompt_id: str) -> None:
        self._run_in(
            "choose_prompt", lambda: self._do_choose_prompt(prompt_id), State.CHOOSE_PROMPT
        )

    def countdown_done(self) -> None:
        if self._state is not State.GET_READY or self._countdown_until is None:
            self._stray("countdown_done")
            return
        self._run("countdown_done", self._begin_take)

    def start_recording(self) -> None:
        """The "start" button (the older look has no countdown; others may skip it)."""
        self._run_in("start_recording", self._begin_take, State.GET_READY)

    def recording_started(self, take_id: str) -> None:
        """The recorder confirms a take has begun."""
        if (
            self._state is State.RECORDING
            and self._take_requested
            and self._start_sent
            and self._draft is not None
        ):
            self._run("recording_started", lambda: self._do_recording_started(take_id))
            return
        draft = self._draft
        if draft is not None and take_id in draft.take_ids:
            self._race("recording_started", f"{take_id} again")
            return
        # A take nobody is waiting for (it arrived after a timeout, a failsafe or a
        # walk-away): stop it, unless that would stop our own take, and make sure it
        # leaves nothing behind.
        self._race("recording_started", take_id)
        if self._recording_since is None:
            self._recorder_busy = True
            self._stop_recorder(guarded=True)
        self._guard("discard_take", lambda: self._effects.discard_take(take_id))

    def stop_recording(self) -> None:
        """The "stop" button."""
        if self._state is not State.RECORDING or self._recording_since is None or self._stopping:
            self._stray("stop_recording")
            return
        self._run("stop_recording", self._request_stop)

    def recording_finished(self, take_id: str, duration_s: float) -> None:
        """The recorder has closed the take's file; it can be played back."""
        draft = self._draft
        if self._state is State.RECORDING and draft is not None and draft.take_id == take_id:
            self._recorder_busy = False
            self._run(
                "recording_finished", lambda: self._do_recording_finished(take_id, duration_s)
            )
            return
        self._race("recording_finished", take_id)
        if draft is None or take_id not in (draft.take_id, draft.kept_take_id):
            self._recorder_busy = False
            self._guard("discard_take", lambda: self._effects.discard_take(take_id))
            self._run("recording_finished", self._send_start_if_free)

    def recording_failed(self, reason: str) -> None:
        """The recorder gave up (camera lost, disk full...)."""
        self._recorder_busy = False
        if self._state is not State.RECORDING or (self._take_requested and not self._start_sent):
            # the last take's recorder giving up; ours has not been asked to start yet
            self._race("recording_failed", reason)
            self._run("recording_failed", self._send_start_if_free)
            return
        self._run("recording_failed", lambda: self._do_recording_failed(reason))

    def keep(self) -> None:
        self._run_in("keep", self._do_keep, State.REVIEW)

    def retake(self) -> None:
        self._run_in("retake", self._do_retake, State.REVIEW)

    def skip_video(self) -> None:
        """Carry on without a video (discarding the take under review, if any)."""
        self._run_in(
            "skip_video", self._do_skip_video, State.CHOOSE_PROMPT, State.GET_READY, State.REVIEW
        )

    def toggle_priority(self, item_id: str) -> None:
        """Tick or untick one priority (refused past the list's maximum)."""
        self._run_in("toggle_priority", lambda: self._do_toggle(item_id), State.PRIORITIES)

    def submit_priorities(self, item_ids: Sequence[str]) -> None:
        self._run_in(
            "submit_priorities", lambda: self._do_submit_priorities(item_ids), State.PRIORITIES
        )

    def continue_after_tally(self) -> None:
        self._run_in("continue_after_tally", self._after_tally, State.TALLY)

    def submit_about_you(self, answers: dict[str, str]) -> None:
        self._run_in(
            "submit_about_you", lambda: self._do_submit_about_you(answers), State.ABOUT_YOU
        )

    def skip_about_you(self) -> None:
        self._run_in("skip_about_you", self._finish, State.ABOUT_YOU)

    def finish(self) -> None:
        """The "done" button on the thank-you screen (or "OK" on the failsafe screen)."""
        self._run_in(
            "finish", lambda: self._end_to_attract("finished"), State.THANK_YOU, State.FAILSAFE
        )

    def read_aloud(self, text: str) -> None:
        """The screen asks for ``text`` to be said (a picture tapped, "say it again"),
        whatever the look: it was asked for. Counts as a touch."""
        self._last_activity = self._clock.now()
        if text:
            self._guard("speak", lambda: self._effects.speak(text))

    def still_here(self) -> None:
        self._run_in("still_here", self._resume, State.STILL_THERE)

    def back(self) -> None:
        """One step back, where that makes sense; elsewhere ignored."""
        state = self._state
        if state is State.PRIORITIES and self._draft is not None and self._draft.kept_take_id:
            self._stray("back", "the answer is already kept")
            return
        if state not in _BACK_STATES:
            self._stray("back")
            return
        self._run("back", self._do_back)

    def fail(self, reason: str) -> None:
        """Anything went wrong anywhere: the friendly failsafe screen, then attract."""
        if self._state is State.FAILSAFE:
            log.warning("failure while on the failsafe screen: %s", reason)
            return
        log.error("journey failsafe from %s: %s", self._state, reason)
        self._enter_failsafe(reason)
        self._publish()

    def tick(self) -> None:
        """Called by the host a few times a second: timers, timeouts, countdowns."""
        try:
            self._check_timers()
        except Exception:
            log.exception("journey timer failed")
            if self._state is not State.FAILSAFE:
                self._enter_failsafe("timer failed")
        self._publish()

    # ------------------------------------------------------------ machinery

    def _reset_session(self) -> None:
        self._draft: SessionDraft | None = None
        self._look_chosen = False
        self._session_open = False  # session_started called, not yet finished/abandoned
        self._interrupted: State | None = None
        self._prompt: Prompt | None = None
        self._countdown_until: float | None = None
        self._take_requested = False
        self._take_requested_at: float | None = None
        self._start_sent = False
        self._recording_since: float | None = None
        self._take_limit: float | None = None
        self._stopping = False
        self._stop_requested_at: float | None = None
        self._ticked: list[str] = []
        self._notice: str | None = None

    def _allowed(self, name: str, *states: State) -> bool:
        if self._state in states:
            return True
        self._stray(name)
        return False

    def _run_in(self, name: str, action: Callable[[], None], *states: State) -> None:
        """Run event ``name`` if the journey is in one of ``states``; else it is a stray."""
        if self._allowed(name, *states):
            self._run(name, action)

    def _stray(self, name: str, detail: str = "") -> None:
        """An event the screens should not have sent now: logged, ignored (raised if strict)."""
        message = f"ignored {name} in {self._state}" + (f" ({detail})" if detail else "")
        log.info("%s", message)
        if self._strict:
            raise JourneyError(message)

    def _race(self, name: str, detail: str) -> None:
        """A recorder report that lost a race with the participant: normal, only logged."""
        log.info("late %s in %s (%s)", name, self._state, detail)

    def _guard(self, name: str, call: Callable[[], object]) -> None:
        """Call an effect whose failure must not stop the clean-up around it."""
        try:
            call()
        except Exception:
            log.exception("effect %s failed", name)

    def _run(self, name: str, action: Callable[[], None]) -> None:
        self._last_activity = self._clock.now()
        try:
            action()
        except JourneyError:
            self._publish()
            raise
        except Exception:
            log.exception("journey event %s failed in %s", name, self._state)
            if self._state is not State.FAILSAFE:
                self._enter_failsafe(f"{name} failed")
        self._publish()

    def _publish(self) -> None:
        view = self.view()
        if view == self._last_view:
            return
        self._last_view = view
        for listener in list(self._listeners):
            self._tell(listener, view)

    @staticmethod
    def _tell(listener: Listener, view: JourneyView) -> None:
        try:
            listener(view)
        except Exception:  # a screen's bug must not stop the journey
            log.exception("journey listener failed")

    def _set_state(self, state: State) -> None:
        self._state = state
        self._state_since = self._clock.now()
        self._last_activity = self._state_since

    def _speak(self, text: str | None) -> None:
        draft = self._draft
        if not text or draft is None or not self._look_chosen:
            return
        if draft.look in self._settings.spoken_looks:
            self._guard("speak", lambda: self._effects.speak(text))

    # look-dependent settings from the campaign pack

    def _chosen_look(self) -> Look | None:
        return self._draft.look if self._draft is not None and self._look_chosen else None

    def _idle_seconds(self) -> float:
        look = self._chosen_look()
        if look is None:
            return self._settings.welcome_idle_seconds
        return float(self._pack.idle_for(look).idle_seconds)

    def _still_there_seconds(self) -> float:
        look = self._chosen_look()
        if look is None:
            return self._settings.welcome_still_there_seconds
        return float(self._pack.idle_for(look).still_there_seconds)

    def _needs_adult_confirmation(self) -> bool:
        draft = self._draft
        return (
            draft is not None
            and self._look_chosen
            and draft.look == "child"
            and self._settings.child_needs_adult_confirmation
        )

    # transitions

    def _start_welcome(self) -> None:
        self._reset_session()
        self._failsafe_message = None
        self._set_state(State.WELCOME)

    def _do_choose_look(self, look: Look) -> None:
        self._draft = SessionDraft(
            session_id=uuid.uuid4().hex, look=look, started_at=self._clock.utcnow()
        )
        self._look_chosen = True
        self._notice = None
        self._set_state(State.CONSENT)
        consent = self._pack.consent_for(look)
        self._speak(consent.spoken)

    def _do_give_consent(self, adult_confirmed: bool) -> None:
        draft = self._draft
        assert draft is not None
        if self._needs_adult_confirmation() and not adult_confirmed:
            self._notice = "A grown-up needs to say yes too."
            self._stray("give_consent", "adult confirmation missing")
            return
        draft.consent_given = True
        draft.adult_confirmed = adult_confirmed
        self._notice = None
        self._enter_choose_prompt()
        if not self._session_open:
            self._session_open = True
            self._effects.session_started(draft)

    def _enter_choose_prompt(self) -> None:
        self._clear_prompt()
        self._set_state(State.CHOOSE_PROMPT)

    def _clear_prompt(self) -> None:
        assert self._draft is not None
        self._draft.prompt_id = None
        self._prompt = None
        self._countdown_until = None
        self._take_limit = None

    def _do_choose_prompt(self, prompt_id: str) -> None:
        draft = self._draft
        assert draft is not None
        prompt = next(
            (p for p in self._pack.prompts_for(draft.look) if p.id == prompt_id), None
        )
        if prompt is None:
            self._stray("choose_prompt", f"unknown prompt {prompt_id!r}")
            return
        draft.prompt_id = prompt_id
        self._prompt = prompt
        self._enter_get_ready()

    def _enter_get_ready(self) -> None:
        draft = self._draft
        assert draft is not None
        self._notice = None
        self._set_state(State.GET_READY)
        prompt = self._prompt
        assert prompt is not None
        self._take_limit = float(min(prompt.max_seconds, self._pack.max_take_seconds))
        countdown = self._pack.countdown_for(draft.look)
        self._countdown_until = self._clock.now() + countdown if countdown > 0 else None
        self._speak(prompt.spoken)

    def _begin_take(self) -> None:
        draft = self._draft
        assert draft is not None
        self._countdown_until = None
        self._set_state(State.RECORDING)
        self._take_requested = True
        self._take_requested_at = self._clock.now()
        self._recording_since = None
        self._stopping = False
        self._stop_requested_at = None
        self._start_sent = False
        self._send_start_if_free()

    def _recorder_free(self) -> bool:
        if not self._recorder_busy:
            return True
        silent = self._clock.now() - self._recorder_contact
        if silent >= self._settings.recorder_timeout_seconds:
            log.warning("the recorder has not answered for %.0f s; taking it as free", silent)
            self._recorder_busy = False
            return True
        return False

    def _send_start_if_free(self) -> None:
        """Ask for the take, once the recorder has finished with any earlier one."""
        draft = self._draft
        prompt = self._prompt
        if self._state is not State.RECORDING or not self._take_requested or self._start_sent:
            return
        assert draft is not None and prompt is not None
        if not self._recorder_free():
            log.info("waiting for the recorder to finish the last take")
            return
        now = self._clock.now()
        self._start_sent = True
        self._take_requested_at = now
        self._recorder_busy = True
        self._recorder_contact = now
        self._effects.start_take(draft, prompt)

    def _stop_recorder(self, guarded: bool) -> None:
        self._recorder_contact = self._clock.now()
        if guarded:
            self._guard("stop_take", self._effects.stop_take)
        else:
            self._effects.stop_take()

    def _do_recording_started(self, take_id: str) -> None:
        draft = self._draft
        assert draft is not None
        self._take_requested = False
        self._take_requested_at = None
        draft.take_id = take_id
        draft.take_ids.append(take_id)
        self._recording_since = self._clock.now()

    def _request_stop(self) -> None:
        self._stopping = True
        self._stop_requested_at = self._clock.now()
        self._stop_recorder(guarded=False)

    def _do_recording_finished(self, take_id: str, duration_s: float) -> None:
        log.info("take %s finished after %.1f s", take_id, duration_s)
        assert self._draft is not None
        self._draft.take_duration_s = duration_s
        self._recording_since = None
        self._stopping = False
        self._stop_requested_at = None
        self._set_state(State.REVIEW)
        self._speak("Watch your video. Keep it, or try again.")

    def _do_recording_failed(self, reason: str) -> None:
        draft = self._draft
        assert draft is not None
        log.warning("recording failed: %s", reason)
        take_id = draft.take_id
        must_stop = self._recorder_running_ours()
        self._clear_take()
        self._enter_choose_prompt()
        self._notice = "Sorry, that recording did not work. You can try again or carry on."
        if must_stop:
            self._stop_recorder(guarded=True)
        if take_id is not None:
            self._effects.discard_take(take_id)

    def _recorder_running_ours(self) -> bool:
        """Our take is starting or running and nobody has asked it to stop yet."""
        started = (self._take_requested and self._start_sent) or self._recording_since is not None
        return started and not self._stopping

    def _clear_take(self) -> None:
        if self._draft is not None:
            self._draft.take_id = None
            self._draft.take_duration_s = None
        self._take_requested = False
        self._take_requested_at = None
        self._start_sent = False
        self._recording_since = None
        self._stopping = False
        self._stop_requested_at = None

    def _do_keep(self) -> None:
        draft = self._draft
        assert draft is not None and draft.take_id is not None
        take_id = draft.take_id
        self._effects.keep_take(draft, take_id)
        draft.kept_take_id = take_id
        draft.take_id = None
        self._enter_priorities()

    def _do_retake(self) -> None:
        draft = self._draft
        assert draft is not None
        take_id = draft.take_id
        self._clear_take()
        if take_id is not None:
            self._effects.discard_take(take_id)
        self._enter_get_ready()

    def _do_skip_video(self) -> None:
        draft = self._draft
        assert draft is not None
        take_id = draft.take_id
        self._clear_take()
        self._clear_prompt()
        if take_id is not None:
            self._effects.discard_take(take_id)
        self._enter_priorities()

    def _enter_priorities(self) -> None:
        draft = self._draft
        assert draft is not None
        self._ticked = []
        self._set_state(State.PRIORITIES)
        self._speak(self._pack.priority_list_for(draft.look).spoken)

    def _do_toggle(self, item_id: str) -> None:
        draft = self._draft
        assert draft is not None
        plist = self._pack.priority_list_for(draft.look)
        ids = [item.id for item in plist.items]
        if item_id not in ids:
            self._stray("toggle_priority", f"unknown item {item_id!r}")
            return
        if item_id in self._ticked:
            self._ticked.remove(item_id)
            self._notice = None
            return
        max_ticks = plist.max_ticks
        if len(self._ticked) >= max_ticks:
            self._notice = f"You can choose up to {max_ticks}."
            return
        self._ticked.append(item_id)
        self._notice = None

    def _do_submit_priorities(self, item_ids: Sequence[str]) -> None:
        draft = self._draft
        assert draft is not None
        plist = self._pack.priority_list_for(draft.look)
        known = {item.id for item in plist.items}
        chosen = tuple(item_ids)
        max_ticks = plist.max_ticks
        if len(set(chosen)) != len(chosen) or not set(chosen) <= known:
            self._stray("submit_priorities", f"not items of the list: {chosen!r}")
            return
        if len(chosen) > max_ticks:
            self._notice = f"You can choose up to {max_ticks}."
            self._stray("submit_priorities", f"{len(chosen)} ticks > {max_ticks}")
            return
        self._effects.save_priorities(draft, chosen)
        draft.priorities = chosen
        self._ticked = list(chosen)
        self._notice = None
        self._set_state(State.TALLY)
        self._speak("Here is what other people chose.")

    def _after_tally(self) -> None:
        draft = self._draft
        assert draft is not None
        if not tuple(self._pack.about_you_for(draft.look)):
            self._finish()
            return
        self._set_state(State.ABOUT_YOU)
        self._speak("Tell us a little about you, if you like.")

    def _do_submit_about_you(self, answers: dict[str, str]) -> None:
        draft = self._draft
        assert draft is not None
        questions = {
            q.id: {o.id for o in q.options}
            for q in self._pack.about_you_for(draft.look)
        }
        for question_id, option_id in answers.items():
            if option_id not in questions.get(question_id, set()):
                self._stray("submit_about_you", f"{question_id!r}={option_id!r}")
                return
        cleaned = dict(answers)
        if cleaned:
            self._effects.save_about_you(draft, cleaned)
        draft.about_you = cleaned
        self._finish()

    def _finish(self) -> None:
        draft = self._draft
        assert draft is not None
        code = self._effects.finish_session(draft)
        self._session_open = False
        draft.reference_code = code
        self._notice = None
        self._set_state(State.THANK_YOU)
        self._speak("Thank you!")

    def _resume(self) -> None:
        state = self._interrupted or State.ATTRACT
        self._interrupted = None
        self._set_state(state)

    def _do_back(self) -> None:
        state = self._state
        if state is State.WELCOME:
            self._end_to_attract("went back")
        elif state is State.CONSENT:
            self._end_session("went back")
            self._set_state(State.WELCOME)
        elif state is State.CHOOSE_PROMPT:
            self._notice = None
            self._set_state(State.CONSENT)
        elif state in (State.GET_READY, State.PRIORITIES):
            self._enter_choose_prompt()
        elif state is State.REVIEW:
            draft = self._draft
            assert draft is not None
            take_id = draft.take_id
            self._clear_take()
            self._enter_choose_prompt()
            if take_id is not None:
                self._effects.discard_take(take_id)

    def _end_session(self, reason: str) -> None:
        """Drop the session, making sure nothing unkept of it remains."""
        draft = self._draft
        must_stop = self._recorder_running_ours()
        open_ = self._session_open
        self._reset_session()
        if draft is None:
            return
        if must_stop:
            self._stop_recorder(guarded=True)
        if draft.take_id is not None and draft.take_id != draft.kept_take_id:
            take_id = draft.take_id
            self._guard("discard_take", lambda: self._effects.discard_take(take_id))
        if open_:
            self._guard("abandon_session", lambda: self._effects.abandon_session(draft, reason))

    def _end_to_attract(self, reason: str) -> None:
        self._end_session(reason)
        self._failsafe_message = None
        self._set_state(State.ATTRACT)

    def _enter_failsafe(self, reason: str) -> None:
        self._end_session(f"failsafe: {reason}")
        self._failsafe_message = FAILSAFE_MESSAGE
        self._set_state(State.FAILSAFE)

    def _check_timers(self) -> None:
        now = self._clock.now()
        state = self._state
        settings = self._settings
        if state is State.FAILSAFE:
            if now - self._state_since >= settings.failsafe_seconds:
                self._end_to_attract("failsafe over")
            return
        if state is State.THANK_YOU:
            if now - self._state_since >= settings.thank_you_seconds:
                self._end_to_attract("finished")
            return
        if state is State.STILL_THERE:
            if now - self._state_since >= self._still_there_seconds():
                self._end_to_attract("nobody there")
            return
        if state is State.GET_READY and self._countdown_until is not None:
            if now >= self._countdown_until:
                self._begin_take()
            return
        if state is State.RECORDING:
            self._check_recording(now)
            return
        if state in _IDLE_STATES and now - self._last_activity >= self._idle_seconds():
            self._interrupted = state
            self._set_state(State.STILL_THERE)
            self._speak("Are you still there? Touch the screen to carry on.")

    def _check_recording(self, now: float) -> None:
        timeout = self._settings.recorder_timeout_seconds
        if self._take_requested and not self._start_sent:
            self._send_start_if_free()
        if self._take_requested and self._take_requested_at is not None:
            if now - self._take_requested_at >= timeout:
                self._enter_failsafe("the recorder did not start")
            return
        if self._stopping:
            if self._stop_requested_at is not None and now - self._stop_requested_at >= timeout:
                self._enter_failsafe("the recorder did not stop")
            return
        if (
            self._recording_since is not None
            and self._take_limit is not None
            and now - self._recording_since >= self._take_limit
        ):
            self._request_stop()


_BACK_STATES = frozenset(
    {
        State.WELCOME,
        State.CONSENT,
        State.CHOOSE_PROMPT,
        State.GET_READY,
        State.REVIEW,
        State.PRIORITIES,
    }
)

