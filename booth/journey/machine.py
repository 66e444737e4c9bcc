"""The journey itself: the participant's events in, effects out; its transition table."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence

from booth.clock import Clock
from booth.i18n import tr
from booth.journey.model import (
    ADULT_NEEDED,
    FAILSAFE_MESSAGE,
    STILL_THERE,
    THANK_YOU,
    EventSettings,
    Goodbye,
    JourneyError,
    JourneyView,
    SessionDraft,
    SessionEffects,
    State,
    TakeEffects,
)
from booth.journey.person import PersonChoices, PersonView
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


class Journey(PersonChoices):
    """The participant journey. Call the event methods; read ``view`` or ``subscribe``.

    Events that make no sense in the current state (a stray touch, a double tap) are
    logged and ignored: a kiosk never shows an error for them. Use it from one thread
    (the GUI thread); the recorder's reports must be handed over to that thread.

    The way through (``back()`` steps back where a row says so)::

        ATTRACT       touch -> WELCOME
        WELCOME       choose_language (the screens change language); choose_look -> CONSENT;
                      back -> ATTRACT
        CONSENT       give_consent -> CHOOSE_PROMPT (session_started, once);
                      decline_consent -> GOODBYE; back -> WELCOME (both delete a session
                      started before going back: consent is no longer given)
        CHOOSE_PROMPT choose_prompt -> GET_READY; skip_video -> PRIORITIES; back -> CONSENT;
                      choose_answer_kind (video, blurred video or voice; also in GET_READY)
        GET_READY     start_recording -> the look's countdown, then (tick / countdown_done)
                      RECORDING (start_take); with no countdown, RECORDING at once.
                      Nothing records before "Start". back -> the countdown stops, or
                      CHOOSE_PROMPT; skip_video -> PRIORITIES
        RECORDING     recording_started; stop_recording or the take's maximum length
                      (stop_take); recording_finished -> REVIEW;
                      recording_failed -> CHOOSE_PROMPT (take discarded, a notice shown)
        REVIEW        keep -> PRIORITIES (keep_take); retake -> GET_READY (discard_take);
                      skip_video -> PRIORITIES (discard_take); back -> CHOOSE_PROMPT
                      (discard_take)
        PRIORITIES    toggle_priority; submit_priorities -> TALLY (save_priorities);
                      back -> CHOOSE_PROMPT (a kept answer stays kept)
        TALLY         continue_after_tally -> ABOUT_YOU, or THANK_YOU if the look has none;
                      back -> PRIORITIES (the ticks as they were)
        ABOUT_YOU     submit_about_you / skip_about_you -> THANK_YOU (finish_session);
                      back -> TALLY
        THANK_YOU     more_time; finish, or the look's thank-you time later -> ATTRACT
        GOODBYE       finish, or goodbye_seconds later -> ATTRACT
        STILL_THERE   (after the look's idle time in a screen that waits for a touch)
                      still_here / touch -> the interrupted screen;
                      still_there_seconds later -> ATTRACT (discard unkept take, abandon)
        FAILSAFE      (fail(), a failing effect, a silent recorder) finish, or
                      failsafe_seconds later -> ATTRACT
        (Stop)        stop_and_delete, from CHOOSE_PROMPT to ABOUT_YOU -> GOODBYE: the take
                      is stopped and discarded and ``delete_session`` deletes the rest
        RESTING       (rest(), from any state: the disk is full) wake -> ATTRACT
        (officer)     end_visit, from any state but ATTRACT and RESTING -> ATTRACT
        (officer)     restart(pack, settings), only in ATTRACT or FAILSAFE -> ATTRACT
        (camera)      camera_lost / camera_back: what the screens say; no state changes

    Each person starts in the event's language (``EventSettings.default_language``, else the
    pack's) with a video answer; ``choose_language`` switches the booth's words
    (``booth.i18n.use``) and the pack's (``CampaignPack.in_language``) for them alone.

    Leaving a session early always stops a running take, discards an unkept one and
    calls ``abandon_session`` (or ``delete_session``) once; nothing of the session stays
    in the journey. A session ends with the thank-you screen: from there it is handed
    over to be sealed and sent, so Stop is offered only before it.

    The RECORDING rows and the recorder's one timeout are in ``Recording``; the
    PRIORITIES, TALLY and ABOUT_YOU rows in ``Answering``; how an event runs (strays,
    failing effects, publishing views) is in ``Machinery``."""

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
        self._words = pack
        self._language = pack.language
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
        person = PersonView(language=self._language, languages=tuple(self._pack.languages),
                         answer_kind=self._answer_kind, camera_away=self._camera_away)
        still_left: int | None = None
        interrupted: State | None = None
        if state is State.STILL_THERE:
            interrupted = self._interrupted
            still_left = max(
                0, math.ceil(self._still_there_seconds() - (now - self._state_since) - 1e-9)
            )
        if state is State.GOODBYE and self._goodbye is not None:
            left_as, why = self._goodbye
            return JourneyView(state=state, look=left_as, goodbye=why, **person)
        if state in (State.ATTRACT, State.FAILSAFE) or self._draft is None:
            return JourneyView(
                state=state,
                interrupted=interrupted,
                still_there_left=still_left,
                failsafe_message=(tr(self._failsafe_message)
                                  if state is State.FAILSAFE and self._failsafe_message else None),
                notice=self._notice if state is not State.FAILSAFE else None,
                **person,
            )
        draft = self._draft
        look = draft.look if self._look_chosen else None
        prompts: tuple[Prompt, ...] = ()
        priority_list: PriorityList | None = None
        about_you: tuple[AboutYouQuestion, ...] = ()
        consent: ConsentWording | None = None
        words = self._words
        if look is not None:
            prompts = tuple(words.prompts_for(look))
            priority_list = words.priority_list_for(look)
            about_you = tuple(words.about_you_for(look))
            consent = words.consent_for(look)
        countdown, recorded, left = self._take_clock(now)
        thank_you_left: int | None = None
        if state is State.THANK_YOU and self._thank_you_until is not None:
            thank_you_left = max(0, math.ceil(self._thank_you_until - now - 1e-9))
        notice = self._notice
        if state is State.CHOOSE_PROMPT or (state is State.STILL_THERE
                                            and interrupted is State.CHOOSE_PROMPT):
            notice = self._camera_notice(notice)
        return JourneyView(
            state=state,
            look=look,
            **person,
            reads_aloud=look is not None and look in self._settings.spoken_looks,
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
            thank_you_left=thank_you_left,
            notice=notice,
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
        """"No thanks": a short goodbye, and nothing of them is kept."""
        self._run_in(
            "decline_consent", lambda: self._say_goodbye(Goodbye.DECLINED), State.CONSENT
        )

    def choose_prompt(self, prompt_id: str) -> None:
        self._run_in(
            "choose_prompt", lambda: self._do_choose_prompt(prompt_id), State.CHOOSE_PROMPT
        )

    def countdown_done(self) -> None:
        """The screen's countdown after "Start" has run out (the tick would say so too)."""
        if self._state is not State.GET_READY or self._countdown_until is None:
            self._stray("countdown_done")
            return
        self._run("countdown_done", self._begin_take)

    def start_recording(self) -> None:
        """The "Start" button: the look's countdown, then the take (at once in a look with
        no countdown). Nothing is ever recorded before it is pressed."""
        if self._state is State.GET_READY and self._countdown_until is not None:
            self._stray("start_recording", "already counting down")
            return
        self._run_in("start_recording", self._do_start, State.GET_READY)

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
        """The "done" button on the thank-you screen (or a touch on the failsafe and
        goodbye screens)."""
        self._run_in(
            "finish", lambda: self._end_to_attract("finished"),
            State.THANK_YOU, State.FAILSAFE, State.GOODBYE,
        )

    def more_time(self) -> None:
        """"More time" on the thank-you screen: longer to copy the code down."""
        self._run_in("more_time", self._do_more_time, State.THANK_YOU)

    def stop_and_delete(self) -> None:
        """Stop (after "Stop and delete your answers?" was answered yes): the take stops,
        everything of this person not yet sealed is deleted, and a short goodbye."""
        self._run_in(
            "stop_and_delete", lambda: self._say_goodbye(Goodbye.STOPPED), *_STOP_STATES
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
        self._words = pack
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
        self._thank_you_until: float | None = None
        self._goodbye: tuple[Look, Goodbye] | None = None
        self._answer_kind = "video"
        self._reset_camera()
        self._set_language(self._default_language())

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
            session_id=uuid.uuid4().hex, look=look, started_at=self._clock.utcnow(),
            language=self._language,
        )
        self._look_chosen = True
        self._notice = None
        self._set_state(State.CONSENT)
        consent = self._words.consent_for(look)
        self._speak(consent.spoken)

    def _do_give_consent(self, adult_confirmed: bool) -> None:
        draft = self._draft
        assert draft is not None
        if self._needs_adult_confirmation() and not adult_confirmed:
            self._notice = tr(ADULT_NEEDED)
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
        self._notice = None  # a notice of the screen left behind (too many ticks) stays there
        self._notice_from_camera = False
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
            (p for p in self._words.prompts_for(draft.look) if p.id == prompt_id), None
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
        self._notice_from_camera = False
        self._set_state(State.GET_READY)
        prompt = self._prompt
        assert prompt is not None
        self._take_limit = float(min(prompt.max_seconds, self._pack.max_take_seconds))
        self._countdown_until = None  # it starts on "Start"
        self._speak(prompt.spoken)

    def _do_start(self) -> None:
        draft = self._draft
        assert draft is not None
        countdown = self._pack.countdown_for(draft.look)
        if countdown > 0:
            self._countdown_until = self._clock.now() + countdown
        else:
            self._begin_take()

    def _do_keep(self) -> None:
        draft = self._draft
        assert draft is not None and draft.take_id is not None
        take_id = draft.take_id
        self._takes.keep_take(draft, take_id)
        draft.kept_take_id = take_id
        draft.take_id = None
        self._enter_priorities()

    def _do_retake(self) -> None:
        self._drop_take()
        self._enter_get_ready()

    def _do_skip_video(self) -> None:
        self._drop_take()
        self._clear_prompt()
        self._enter_priorities()

    def _finish(self) -> None:
        draft = self._draft
        assert draft is not None
        code = self._effects.finish_session(draft)
        self._session_open = False
        draft.reference_code = code
        self._notice = None
        self._set_state(State.THANK_YOU)
        settings = self._settings
        seconds = (settings.older_thank_you_seconds if draft.look == "older"
                   else settings.thank_you_seconds)
        self._thank_you_until = self._clock.now() + seconds
        self._speak(tr(THANK_YOU))

    def _do_more_time(self) -> None:
        now = self._clock.now()
        more = self._settings.more_time_seconds
        until = max(self._thank_you_until or now, now) + more
        # Each press is someone there, but the code must not stay up for ever.
        self._thank_you_until = min(until, now + more * 5)

    def _resume(self) -> None:
        state = self._interrupted or State.ATTRACT
        self._interrupted = None
        self._set_state(state)

    def _do_back(self) -> None:
        state = self._state
        draft = self._draft
        if state is State.WELCOME:
            self._end_to_attract("went back")
        elif state is State.CONSENT:
            self._end_session("went back before consent", delete=True)
            self._set_state(State.WELCOME)
        elif state is State.CHOOSE_PROMPT:
            self._notice = None
            self._set_state(State.CONSENT)
        elif state is State.GET_READY and self._countdown_until is not None:
            self._countdown_until = None  # not "Start" after all: nothing was recorded
        elif state in (State.GET_READY, State.PRIORITIES):
            self._enter_choose_prompt()
        elif state is State.TALLY:
            assert draft is not None
            self._enter_priorities(draft.priorities or ())
        elif state is State.ABOUT_YOU:
            self._set_state(State.TALLY)
        elif state is State.REVIEW:
            self._drop_take()
            self._enter_choose_prompt()

    def _end_session(self, reason: str, delete: bool = False) -> None:
        """Drop the session, making sure nothing unkept of it remains (and, with
        ``delete``, nothing of it at all that is not yet sealed)."""
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
        if open_ and delete:
            log.info("session deleted: %s", reason)
            self._guard("delete_session", lambda: self._effects.delete_session(draft))
        elif open_:
            self._guard("abandon_session", lambda: self._effects.abandon_session(draft, reason))

    def _say_goodbye(self, why: Goodbye) -> None:
        draft = self._draft
        look = draft.look if draft is not None else "adult"
        self._end_session(f"goodbye: {why}", delete=True)
        self._failsafe_message = None
        self._goodbye = (look, why)
        self._set_state(State.GOODBYE)

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
            if self._thank_you_until is None or now >= self._thank_you_until:
                self._end_to_attract("finished")
            return
        if state is State.GOODBYE:
            if now - self._state_since >= settings.goodbye_seconds:
                self._end_to_attract("goodbye")
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
            self._speak(tr(STILL_THERE))

_BACK_STATES = frozenset(
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
# Where "Stop" is offered: after consent, until the session is finished and handed over.
_STOP_STATES = (
    State.CHOOSE_PROMPT,
    State.GET_READY,
    State.RECORDING,
    State.REVIEW,
    State.PRIORITIES,
    State.TALLY,
    State.ABOUT_YOU,
)

