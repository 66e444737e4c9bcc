"""The journey itself: the participant's events in, effects out; its transition table."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence

from booth.clock import Clock
from booth.journey.model import (
    FAILSAFE_MESSAGE,
    EventSettings,
    JourneyError,
    JourneyView,
    SessionDraft,
    SessionEffects,
    State,
    TakeEffects,
)
from booth.journey.recording import Recording
from booth.pack import (
    LOOKS,
    AboutYouQuestion,
    CampaignPack,
    ConsentWording,
    Look,
    PriorityList,
    Prompt,
)

# One logger for the whole package: the kiosk's log and the tests filter on this name.
log = logging.getLogger("booth.journey")


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


class Journey(Recording):
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
        RESTING       (rest(), from any state: the disk is full) wake -> ATTRACT
        (officer)     end_visit, from any state but ATTRACT and RESTING -> ATTRACT
        (officer)     restart(pack, settings), only in ATTRACT or FAILSAFE -> ATTRACT

    Leaving a session early always stops a running take, discards an unkept one and
    calls ``abandon_session`` once; nothing of the session stays in the journey.

    The RECORDING rows and the recorder's one timeout are in ``Recording``; how an event
    runs (strays, failing effects, publishing views) is in ``Machinery``."""

    def __init__(
        self,
        pack: CampaignPack,
        clock: Clock,
        effects: SessionEffects,
        event_settings: EventSettings | None = None,
        *,
        takes: TakeEffects | None = None,
        strict: bool = False,
    ) -> None:
        """``effects`` records the session; ``takes`` records the video (``effects`` does
        both when ``takes`` is not given, as the test doubles do). ``strict`` raises
        :class:`JourneyError` for events the screens should not send in the current state
        (for tests of the screens); the kiosk runs with it off."""
        if takes is None:
            if not isinstance(effects, TakeEffects):
                raise TypeError("the journey needs takes: effects that start and keep them")
            takes = effects
        super().__init__(clock, takes, event_settings or EventSettings(), strict=strict)
        self._pack = pack
        self._effects = effects
        self._failsafe_message: str | None = None
        self._reset_session()
        self._last_view = self.view()

    # ----------------------------------------------------------------- reading

    @property
    def session(self) -> SessionDraft | None:
        """The session under way, or None (between participants)."""
        return self._draft

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
            recording_starting=self._take_starting(),
            recording_stopping=self._take_stopping(),
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

    def rest(self, reason: str) -> None:
        """The booth cannot keep answers now (its disk is full): end any session as the
        failsafe does, and show the calm resting screen until ``wake``. From any state."""
        if self._state is State.RESTING:
            return
        log.warning("journey resting from %s: %s", self._state, reason)
        self._end_session(f"resting: {reason}")
        self._failsafe_message = None
        self._set_state(State.RESTING)
        self._publish()

    def wake(self) -> None:
        """Space is back: the attract screen again."""
        self._run_in("wake", lambda: self._end_to_attract("awake"), State.RESTING)

    def end_visit(self, reason: str) -> None:
        """The officer ends the visit in progress: as a walk-away, kept answers stay and
        anything unfinished goes; then the attract screen."""
        if self._state in (State.ATTRACT, State.RESTING):
            self._stray("end_visit")
            return
        self._run("end_visit", lambda: self._end_to_attract(reason))

    def tick(self) -> None:
        """Called by the host a few times a second: timers, timeouts, countdowns."""
        try:
            self._check_timers()
        except Exception:
            log.exception("journey timer failed")
            if self._state is not State.FAILSAFE:
                self._enter_failsafe("timer failed")
        self._publish()

    def restart(self, pack: CampaignPack, event_settings: EventSettings | None = None) -> None:
        """Start again at the attract screen with another campaign pack or event (the
        officer's doing), only between participants. Subscribers stay and are shown the
        restarted journey; the recorder's business carries over, as it does between people.
        Raises :class:`JourneyError` while someone is using the booth."""
        if self._state not in (State.ATTRACT, State.FAILSAFE):
            raise JourneyError(f"the journey restarts between participants, not in {self._state}")
        self._pack = pack
        self._settings = event_settings or EventSettings()
        self._reset_session()
        self._failsafe_message = None
        self._set_state(State.ATTRACT)
        self._last_view = None  # a new pack or event: every subscriber redraws
        self._publish()

    # ------------------------------------------------------------ machinery

    def _reset_session(self) -> None:
        self._draft: SessionDraft | None = None
        self._look_chosen = False
        self._session_open = False  # session_started called, not yet finished/abandoned
        self._interrupted: State | None = None
        self._prompt: Prompt | None = None
        self._countdown_until: float | None = None
        self._reset_take()
        self._ticked: list[str] = []
        self._notice: str | None = None

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

    def _do_keep(self) -> None:
        draft = self._draft
        assert draft is not None and draft.take_id is not None
        take_id = draft.take_id
        self._takes.keep_take(draft, take_id)
        draft.kept_take_id = take_id
        draft.take_id = None
        self._enter_priorities()

    def _do_retake(self) -> None:
        draft = self._draft
        assert draft is not None
        take_id = draft.take_id
        self._clear_take()
        if take_id is not None:
            self._takes.discard_take(take_id)
        self._enter_get_ready()

    def _do_skip_video(self) -> None:
        draft = self._draft
        assert draft is not None
        take_id = draft.take_id
        self._clear_take()
        self._clear_prompt()
        if take_id is not None:
            self._takes.discard_take(take_id)
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
                self._takes.discard_take(take_id)

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
            self._guard("discard_take", lambda: self._takes.discard_take(take_id))
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

