"""The participant's take in the journey: asking the recorder for it, its answers, the take's
length limit, and the one rule for a recorder that stops answering."""

from __future__ import annotations

import logging
import math
from abc import abstractmethod
from enum import Enum

from booth.clock import Clock
from booth.i18n import N_, tr
from booth.journey.machinery import Machinery
from booth.journey.model import (
    NO_ROOM_FOR_VIDEO,
    NO_ROOM_NOTICE,
    AnswerKind,
    EventSettings,
    SessionDraft,
    State,
    TakeEffects,
)
from booth.pack import Prompt

# One logger for the whole package: the kiosk's log and the tests filter on this name.
log = logging.getLogger("booth.journey")


# Translators: shown on the questions screen after a recording failed (not the camera's fault).
RECORDING_FAILED = N_("Sorry, that recording did not work. You can try again or carry on.")
# Translators: shown on the questions screen when the camera could not record (it is missing
# or another program has it). "Just my voice" is the button that records the voice alone.
CAMERA_FAILED = N_("Sorry, the camera did not work. You can answer with just your voice, or "
                   "carry on without a video.")
# Translators: shown while the booth tries to get a lost camera back (it was unplugged, or the
# laptop slept). "Just my voice" is the button that records the voice alone.
CAMERA_AWAY = N_("The camera has stopped working. Please wait a moment while it comes back, "
                 "or answer with just your voice.")
# Translators: shown when the lost camera works again; the person can record again.
CAMERA_BACK = N_("The camera is working again. You can try again.")
# Translators: said aloud when the video answer is played back.
WATCH_IT = N_("Watch your video. Keep it, or try again.")
# Translators: said aloud when a voice answer ("Just my voice") is played back.
LISTEN_TO_IT = N_("Listen to your answer. Keep it, or try again.")


class _Take(Enum):
    """Where the participant's own take is in its handshake with the recorder."""

    WAITING = "waiting"  # wanted, but the recorder is still busy with an earlier take
    ASKED = "asked"  # start_take sent, not answered yet
    RUNNING = "running"  # recording_started came back: the take's clock runs
    STOPPING = "stopping"  # stop_take sent, not answered yet


class Recording(Machinery):
    """The journey's RECORDING rows (see ``Journey``): ``start_take``, the recorder's
    ``recording_started``, a stop (the button or the take's maximum length), then
    ``recording_finished`` (review) or ``recording_failed`` (choose again, with a notice).

    The recorder outlives sessions (a take stopped as one person leaves may still be
    closing when the next is ready) and records one take at a time: it is busy from
    ``start_take`` until it reports the take finished or failed, and the journey keeps
    one timestamp, when it last asked it to start or stop. One rule: a recorder that has
    not answered within ``recorder_timeout_seconds`` has failed. Waiting on our own take,
    that is the failsafe screen; waiting on an earlier person's, the recorder is taken
    as free and our take is asked for."""

    # The session under way, kept by the journey.
    _draft: SessionDraft | None
    _prompt: Prompt | None
    _countdown_until: float | None
    _notice: str | None
    _answer_kind: AnswerKind

    def __init__(
        self, clock: Clock, takes: TakeEffects, settings: EventSettings, *, strict: bool
    ) -> None:
        super().__init__(clock, strict=strict)
        self._takes = takes
        self._settings = settings
        # None while the recorder is free; else when it was last asked to start or stop.
        self._recorder_busy_since: float | None = None
        self._reset_take()
        self._reset_camera()

    def _reset_camera(self) -> None:
        """What this person was told about the camera. The camera is off between people, so
        a camera still away is found again (and said) when the next person's preview opens."""
        self._camera_away = False
        self._camera_came_back = False
        self._notice_from_camera = False

    def _reset_take(self) -> None:
        self._take: _Take | None = None  # our take's handshake with the recorder
        self._recording_since: float | None = None
        self._take_limit: float | None = None

    def _take_starting(self) -> bool:
        """Our take is wanted and has not started yet (the screen says it is starting)."""
        return self._take in (_Take.WAITING, _Take.ASKED)

    def _take_stopping(self) -> bool:
        return self._take is _Take.STOPPING

    @abstractmethod
    def _enter_choose_prompt(self) -> None:
        """Offer the prompts again."""

    @abstractmethod
    def _speak(self, text: str | None) -> None:
        """Say ``text`` if this look is read aloud."""

    # ------------------------------------------------------------------ events

    def recording_started(self, take_id: str) -> None:
        """The recorder confirms a take has begun."""
        if self._state is State.RECORDING and self._take is _Take.ASKED:
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
            self._recorder_busy_since = self._clock.now()
            self._stop_recorder(guarded=True)
        self._guard("discard_take", lambda: self._takes.discard_take(take_id))

    def stop_recording(self) -> None:
        """The "stop" button."""
        if self._state is not State.RECORDING or self._take is not _Take.RUNNING:
            self._stray("stop_recording")
            return
        self._run("stop_recording", self._request_stop)

    def recording_finished(self, take_id: str, duration_s: float) -> None:
        """The recorder has closed the take's file; it can be played back."""
        draft = self._draft
        if self._state is State.RECORDING and draft is not None and draft.take_id == take_id:
            self._recorder_busy_since = None
            self._run(
                "recording_finished", lambda: self._do_recording_finished(take_id, duration_s)
            )
            return
        self._race("recording_finished", take_id)
        if draft is None or take_id not in (draft.take_id, draft.kept_take_id):
            if self._take in (None, _Take.WAITING):
                # an earlier person's take, closed at last; ours is not at the recorder
                self._recorder_busy_since = None
            self._guard("discard_take", lambda: self._takes.discard_take(take_id))
            self._run("recording_finished", self._send_start_if_free)

    def recording_failed(self, reason: str, camera: bool = False) -> None:
        """The recorder gave up (disk full, no council key...); ``camera`` when it was the
        camera (missing, taken by another program, or lost mid-take)."""
        self._recorder_busy_since = None
        if self._state is not State.RECORDING or self._take is _Take.WAITING:
            # the last take's recorder giving up; ours has not been asked to start yet
            self._race("recording_failed", reason)
            self._run("recording_failed", self._send_start_if_free)
            return
        self._run("recording_failed", lambda: self._do_recording_failed(reason, camera))

    def camera_lost(self) -> None:
        """The camera went away (unplugged, the laptop slept) and is being reopened: the
        screens say to wait or to answer with the voice alone. Not a touch."""
        self._camera_away = True
        self._camera_came_back = False
        self._publish()

    def camera_back(self) -> None:
        """The lost camera works again: the same person can record again. Not a touch."""
        if self._camera_away:
            self._camera_away = False
            self._camera_came_back = self._draft is not None
        self._publish()

    def _camera_notice(self, notice: str | None) -> str | None:
        """The questions screen's notice: what the camera is doing, once it has failed this
        person (it replaces the journey's own camera notice, which would go stale)."""
        if notice is not None and not self._notice_from_camera:
            return notice
        if self._answer_kind == "voice":
            return None  # they answer with their voice: the camera no longer matters
        if self._camera_away:
            return tr(CAMERA_AWAY)
        if self._camera_came_back:
            return tr(CAMERA_BACK)
        return notice

    # ------------------------------------------------------------- transitions

    def _begin_take(self) -> None:
        draft = self._draft
        assert draft is not None
        self._countdown_until = None
        self._set_state(State.RECORDING)
        self._take = _Take.WAITING
        self._recording_since = None
        self._camera_came_back = False  # said once; this take is the try again
        self._send_start_if_free()

    def _recorder_silent(self) -> bool:
        """The one rule: a recorder asked to start or stop that has not answered within
        ``recorder_timeout_seconds`` has failed."""
        since = self._recorder_busy_since
        timeout = self._settings.recorder_timeout_seconds
        return since is not None and self._clock.now() - since >= timeout

    def _recorder_free(self) -> bool:
        since = self._recorder_busy_since
        if since is None:
            return True
        if self._recorder_silent():
            silent = self._clock.now() - since
            log.warning("the recorder has not answered for %.0f s; taking it as free", silent)
            self._recorder_busy_since = None
            return True
        return False

    def _send_start_if_free(self) -> None:
        """Ask for the take, once the recorder has finished with any earlier one."""
        draft = self._draft
        prompt = self._prompt
        if self._state is not State.RECORDING or self._take is not _Take.WAITING:
            return
        assert draft is not None and prompt is not None
        if not self._recorder_free():
            log.info("waiting for the recorder to finish the last take")
            return
        self._take = _Take.ASKED
        self._recorder_busy_since = self._clock.now()
        self._takes.start_take(draft, prompt)

    def _stop_recorder(self, guarded: bool) -> None:
        if self._recorder_busy_since is not None:
            self._recorder_busy_since = self._clock.now()  # asked again: its time starts again
        if guarded:
            self._guard("stop_take", self._takes.stop_take)
        else:
            self._takes.stop_take()

    def _do_recording_started(self, take_id: str) -> None:
        draft = self._draft
        assert draft is not None
        self._take = _Take.RUNNING
        draft.take_id = take_id
        draft.take_ids.append(take_id)
        self._recording_since = self._clock.now()

    def _request_stop(self) -> None:
        self._take = _Take.STOPPING
        self._stop_recorder(guarded=False)

    def _do_recording_finished(self, take_id: str, duration_s: float) -> None:
        log.info("take %s finished after %.1f s", take_id, duration_s)
        assert self._draft is not None
        self._draft.take_duration_s = duration_s
        self._recording_since = None
        self._take = None
        self._set_state(State.REVIEW)
        said = LISTEN_TO_IT if self._answer_kind == "voice" else WATCH_IT
        self._speak(tr(said))

    def _do_recording_failed(self, reason: str, camera: bool) -> None:
        draft = self._draft
        assert draft is not None
        log.warning("recording failed: %s", reason)
        take_id = draft.take_id
        must_stop = self._recorder_running_ours()
        self._clear_take()
        self._enter_choose_prompt()
        if reason == NO_ROOM_FOR_VIDEO:
            # A full disk, named as one (never blamed on the camera).
            self._notice = tr(NO_ROOM_NOTICE)
            self._notice_from_camera = False
        else:
            self._notice = tr(CAMERA_FAILED if camera else RECORDING_FAILED)
            self._notice_from_camera = camera
        if must_stop:
            self._stop_recorder(guarded=True)
        if take_id is not None:
            self._takes.discard_take(take_id)

    def _recorder_running_ours(self) -> bool:
        """Our take is starting or running and nobody has asked it to stop yet."""
        return self._take in (_Take.ASKED, _Take.RUNNING)

    def _clear_take(self) -> None:
        if self._draft is not None:
            self._draft.take_id = None
            self._draft.take_duration_s = None
        self._take = None
        self._recording_since = None

    def _drop_take(self) -> None:
        """Forget the take under review and delete it (a retake, a skip, Back)."""
        draft = self._draft
        assert draft is not None
        take_id = draft.take_id
        self._clear_take()
        if take_id is not None:
            self._takes.discard_take(take_id)

    def _take_clock(self, now: float) -> tuple[int | None, int, int | None]:
        """What the screens show of the take's time: the countdown after "Start", the
        whole seconds recorded, and the seconds left (the take's limit before it starts)."""
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
        return countdown, recorded, left

    def _check_recording(self, now: float) -> None:
        take = self._take
        if take is _Take.WAITING:
            self._send_start_if_free()
        elif take is _Take.ASKED and self._recorder_silent():
            self._enter_failsafe("the recorder did not start")
        elif take is _Take.STOPPING and self._recorder_silent():
            self._enter_failsafe("the recorder did not stop")
        elif (
            take is _Take.RUNNING
            and self._recording_since is not None
            and self._take_limit is not None
            and now - self._recording_since >= self._take_limit
        ):
            self._request_stop()
