"""KioskServices: what the journey's effects do in the real booth (store writes, the
take's lifecycle on disk, review playback, sealing, speech)."""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from booth.clock import Clock
from booth.journey import JourneyView, SessionDraft, State
from booth.pack import CampaignPack
from booth.settings import Paths
from booth.store import PART_SUFFIX, TAKE_SUFFIX, Store

log = logging.getLogger(__name__)

# States in which the camera and microphone are on. It opens while the person picks a
# question (after consent), so a real webcam's second or two of start-up is over by the
# time the preview is shown; nothing is recorded until they start.
CAMERA_STATES = frozenset({State.CHOOSE_PROMPT, State.GET_READY, State.RECORDING})


class ReviewKeyLike(Protocol):
    """The per-take key that decrypts a take for playback (``booth.wire.age.ReviewKey``)."""

    def decrypt(self, path: Path) -> bytes: ...

    def forget(self) -> None: ...


TakeWriterFactory = Callable[[Path], tuple[BinaryIO, ReviewKeyLike]]
Finalizer = Callable[[Path, Path], tuple[int, str]]
Sealer = Callable[[str], object]


class JourneyEvents(Protocol):
    """The journey's callbacks the recorder answers with."""

    def recording_started(self, take_id: str) -> None: ...
    def recording_finished(self, take_id: str, duration_s: float) -> None: ...
    def recording_failed(self, reason: str) -> None: ...


class Recorder(Protocol):
    """The capture controller as the services use it (``booth.capture.qt.CaptureController``)."""

    @property
    def previewing(self) -> bool: ...
    @property
    def recording(self) -> bool: ...
    def start_preview(self, frame_spec: str, audio_spec: str | None = "silence",
                      size: tuple[int, int] = (1280, 720), fps: float = 30.0) -> None: ...
    def start_recording(self, out: BinaryIO, max_seconds: float,
                        space_folder: Path | None = None) -> bool: ...
    def stop_recording(self) -> None: ...
    def stop_preview(self) -> None: ...


@dataclass
class _Take:
    take_id: str
    session_id: str
    prompt_id: str
    part: Path
    final: Path
    stream: BinaryIO | None
    review: ReviewKeyLike | None
    duration_s: float = 0.0
    finished: bool = False
    discard: bool = False


@dataclass
class SealingLog:
    """What sealing did, for the officer panel and tests."""

    sealed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class KioskServices:
    """Implements ``JourneyEffects`` for the real booth.

    A take is encrypted from its first byte into ``takes/<id>.mp4.age.part``; *keep*
    makes it durable (fsync, rename, commit); retake, discard and walk-away delete the
    ``.part``. Review playback decrypts into memory with a per-take key that is
    forgotten when the session ends. Finished sessions are sealed on a worker thread."""

    def __init__(
        self,
        store: Store,
        paths: Paths,
        pack: CampaignPack,
        clock: Clock,
        recorder: Recorder,
        take_writer: TakeWriterFactory,
        finalize: Finalizer,
        camera: str,
        audio: str,
        speak: Callable[[str], None] = lambda text: None,
        sealer: Sealer | None = None,
        after_finish: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.paths = paths
        self.pack = pack
        self.clock = clock
        self.recorder = recorder
        self.take_writer = take_writer
        self.finalize = finalize
        self.camera = camera
        self.audio = audio
        self._speak = speak
        self.sealer = sealer
        # Called on the GUI thread after a session ends with answers (the sync controller
        # seals and sends); ``sealer`` instead seals on a worker thread of our own.
        self.after_finish = after_finish
        self.journey: JourneyEvents | None = None
        self._takes: dict[str, _Take] = {}
        self._recording: _Take | None = None
        self._camera_ready = False
        self._pending_start: _Take | None = None
        self._sessions_with_answers: set[str] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._seals: list[Future[None]] = []
        self.sealing = SealingLog()
        self._lock = threading.Lock()
        self.officer_camera_check = False

    def attach(self, journey: JourneyEvents) -> None:
        self.journey = journey

    # ------------------------------------------------------------ the event

    def _event_id(self) -> str:
        event = self.store.current_event()
        if event is None:
            # Nobody set an event up: record under a plain one the officer can rename.
            event = self.store.create_event(
                f"Event on {self.clock.utcnow():%d %B %Y}", "public", "adult", True)
        return event.id

    def requires_adult_confirmation(self) -> bool:
        event = self.store.current_event()
        return True if event is None else event.requires_adult_confirmation

    # ------------------------------------------------------------ JourneyEffects

    def session_started(self, session: SessionDraft) -> None:
        consent = self.pack.consent_for(session.look)
        digest = hashlib.sha256(consent.text.encode("utf-8")).hexdigest()
        self.store.open_session(session.session_id, self._event_id(), session.look)
        self.store.record_consent(session.session_id, session.look, digest, self.pack.id,
                                  self.pack.digest, session.adult_confirmed)

    def start_take(self, session: SessionDraft, prompt: Any) -> None:
        take_id = uuid.uuid4().hex
        self.paths.takes.mkdir(parents=True, exist_ok=True)
        final = self.paths.takes / f"{take_id}{TAKE_SUFFIX}"
        part = final.with_name(final.name + PART_SUFFIX)
        try:
            stream, review = self.take_writer(part)
        except Exception as error:
            # No council key yet (not enrolled), or the disk refused: no video this time,
            # the person carries on without one.
            log.error("cannot start an encrypted take: %s", error)
            part.unlink(missing_ok=True)
            if self.journey is not None:
                self.journey.recording_failed(f"cannot record: {error}")
            return
        take = _Take(take_id, session.session_id, str(getattr(prompt, "id", "")), part, final,
                     stream, review)
        take.duration_s = float(getattr(prompt, "max_seconds", 60))
        self._takes[take_id] = take
        if not self.recorder.previewing:
            self._ensure_preview()
        if self._camera_ready:
            self._begin(take)
        else:
            self._pending_start = take  # begins when the camera says it is ready

    def _begin(self, take: _Take) -> None:
        self._pending_start = None
        assert take.stream is not None
        started = self.recorder.start_recording(take.stream, take.duration_s,
                                                space_folder=self.paths.takes)
        if not started:
            self._drop_file(take)
            return  # the controller emitted failed(reason); camera_failed tells the journey
        self._recording = take
        if self.journey is not None:
            self.journey.recording_started(take.take_id)

    def stop_take(self) -> None:
        if self._pending_start is not None:
            take, self._pending_start = self._pending_start, None
            self._drop_file(take)
            return
        if self._recording is not None:
            self.recorder.stop_recording()

    def discard_take(self, take_id: str) -> None:
        take = self._takes.get(take_id)
        if take is None:
            return
        if take is self._recording and not take.finished:
            take.discard = True
            self.recorder.stop_recording()
            return
        self._drop_file(take)

    def keep_take(self, session: SessionDraft, take_id: str) -> None:
        take = self._takes[take_id]
        if not take.finished:
            raise RuntimeError(f"take {take_id} is still being recorded")
        size, sha256 = self.finalize(take.part, take.final)
        self.store.keep_take(take_id, session.session_id, take.prompt_id, take.final.name,
                             size, sha256, take.duration_s)
        self._sessions_with_answers.add(session.session_id)
        self._forget_key(take)

    def save_priorities(self, session: SessionDraft, item_ids: Sequence[str]) -> None:
        plist = self.pack.priority_list_for(session.look)
        self.store.save_priorities(session.session_id, plist.id, item_ids)
        self._sessions_with_answers.add(session.session_id)

    def save_about_you(self, session: SessionDraft, answers: dict[str, str]) -> None:
        self.store.save_about_you(session.session_id, answers)

    def finish_session(self, session: SessionDraft) -> str:
        code = self.store.finish_session(session.session_id)
        self._end_of_session(session.session_id)
        self._seal_later(session.session_id)
        return code

    def abandon_session(self, session: SessionDraft, reason: str) -> None:
        log.info("session abandoned: %s", reason)
        self._end_of_session(session.session_id)
        if session.session_id in self._sessions_with_answers or session.kept_take_id:
            # They pressed keep (or submitted ticks): never lose what they gave.
            self.store.finish_session(session.session_id, partial=True)
            self._seal_later(session.session_id)
        else:
            for name in self.store.delete_session(session.session_id):
                (self.paths.takes / name).unlink(missing_ok=True)
        self._sessions_with_answers.discard(session.session_id)

    def speak(self, text: str) -> None:
        self._speak(text)

    # ------------------------------------------------------------ review

    def review_bytes(self, take_id: str) -> bytes | None:
        take = self._takes.get(take_id)
        if take is None or take.review is None or not take.finished:
            return None
        try:
            return take.review.decrypt(take.part if take.part.exists() else take.final)
        except Exception:
            log.exception("could not decrypt take %s for review", take_id)
            return None

    def tally(self, list_id: str) -> tuple[Mapping[str, int], int]:
        event = self.store.current_event()
        if event is None:
            return {}, 0
        counts = self.store.priority_tally(event.id, list_id)
        # Everyone who has finished at this event, and the person looking at the tally.
        people = self.store.event_counts(event.id).sessions + 1
        return counts, people

    # ------------------------------------------------------------ capture signals

    def camera_ready(self, info: object = None) -> None:
        self._camera_ready = True
        if self._pending_start is not None:
            self._begin(self._pending_start)

    def camera_failed(self, reason: str) -> None:
        take = self._pending_start or self._recording
        self._pending_start = None
        if take is not None and not take.finished:
            self._recording = None
            self._drop_file(take)
        if self.journey is not None:
            self.journey.recording_failed(reason)

    def take_finished(self, result: Any) -> None:
        take = self._recording
        self._recording = None
        if take is None:
            return
        take.finished = True
        self._close_stream(take)
        take.duration_s = float(getattr(result, "duration_s", 0.0))
        reason = str(getattr(result, "reason", "stopped"))
        if take.discard:
            self._drop_file(take)
            return
        if reason in ("error", "camera_lost") or take.duration_s <= 0:
            self._drop_file(take)
            if self.journey is not None:
                self.journey.recording_failed(str(getattr(result, "error", None) or reason))
            return
        if self.journey is not None:
            self.journey.recording_finished(take.take_id, take.duration_s)

    # ------------------------------------------------------------ preview policy

    def follow(self, view: JourneyView) -> None:
        """Camera on while the participant is getting ready or recording, off otherwise."""
        wanted = view.state in CAMERA_STATES or (
            view.state is State.STILL_THERE and view.interrupted in CAMERA_STATES)
        if wanted or self.officer_camera_check:
            self._ensure_preview()
        elif self.recorder.previewing and not self.recorder.recording:
            self._stop_preview()

    def set_officer_camera_check(self, on: bool) -> None:
        self.officer_camera_check = on
        if on:
            self._ensure_preview()
        elif self.recorder.previewing and not self.recorder.recording:
            self._stop_preview()

    def _ensure_preview(self) -> None:
        if not self.recorder.previewing:
            self._camera_ready = False
            self.recorder.start_preview(self.camera, self.audio)

    def _stop_preview(self) -> None:
        self._camera_ready = False
        self.recorder.stop_preview()

    # ------------------------------------------------------------ files and keys

    def _close_stream(self, take: _Take) -> None:
        stream, take.stream = take.stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception:
                log.exception("closing take %s failed", take.take_id)

    def _drop_file(self, take: _Take) -> None:
        if take is self._recording:
            self._recording = None
        self._close_stream(take)
        take.part.unlink(missing_ok=True)
        self._forget_key(take)
        self._takes.pop(take.take_id, None)

    def _forget_key(self, take: _Take) -> None:
        if take.review is not None:
            take.review.forget()
            take.review = None

    def _end_of_session(self, session_id: str) -> None:
        for take in list(self._takes.values()):
            if take.session_id != session_id:
                continue
            if take is self._recording and not take.finished:
                take.discard = True
                self.recorder.stop_recording()
                continue
            if take.final.exists() and not take.part.exists():
                self._forget_key(take)
                self._takes.pop(take.take_id, None)
            else:
                self._drop_file(take)

    def open_takes(self) -> list[str]:
        return list(self._takes)

    # ------------------------------------------------------------ sealing

    def _seal_later(self, session_id: str) -> None:
        if self.after_finish is not None:
            try:
                self.after_finish(session_id)
            except Exception:
                log.exception("starting sync after a session failed")
            return
        if self.sealer is None:
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seal")
        sealer = self.sealer

        def work() -> None:
            try:
                sealer(session_id)
                with self._lock:
                    self.sealing.sealed.append(session_id)
            except Exception:
                log.exception("sealing session %s failed; it is retried at start-up", session_id)
                with self._lock:
                    self.sealing.failed.append(session_id)

        self._seals.append(self._executor.submit(work))

    def wait_for_sealing(self, timeout: float = 30.0) -> None:
        for future in list(self._seals):
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        if self._pending_start is not None:
            self._drop_file(self._pending_start)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
