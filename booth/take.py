"""A take's life, from the camera to a kept video answer: one owner, ``Takes``.

The walk of one take:

1. camera: when the journey reaches CHOOSE_PROMPT, ``Takes`` asks the capture controller
   (``booth.capture.qt``) for the preview, so the camera is warm before anyone records.
2. recorder: the journey asks for a take (``Takes.start_take``); once the controller says
   the camera is ready, it records (``booth.capture.recorder``, off the GUI thread) and
   ``Takes`` tells the journey ``recording_started``.
3. encrypted writer: the recorder writes into ``takes/<id>.mp4.age.part`` through an age
   stream (``open_take_writer``, ``booth.wire.age``), encrypted from its first byte to
   the council's recipients and to a per-take ``ReviewKey`` held only in memory.
4. review: stopped (the button or the take's limit), the controller's ``finished``
   closes the file and the journey hears ``recording_finished``; the window plays
   ``Takes.review_bytes``, the take decrypted into memory.
5. keep: fsync and rename to ``takes/<id>.mp4.age`` (``finalize_take``). A retake, a
   skip or a walk-away deletes the ``.part`` instead (``Takes.discard_take``).
6. store: the kept take's row is committed (``booth.store``) and the review key is
   forgotten: it is a video answer now. ``booth.answers`` records the session's end
   and hands the session over, once.
7. seal: the sync controller (``booth.sync.qt``) seals the session into a signed bundle,
   the videos moved in, not re-encrypted (``booth.sync.seal``).
8. upload: the uploader sends the bundle over tus (``booth.sync.uploader``) to the
   council's server (``council.server``).
9. council receipt: the server's signed receipt is verified (``booth.wire.bundle``) and
   kept; only then is the bundle deleted here.

A take is one of three kinds (``choose_kind``, for the person at the booth only): a video
answer; a video answer with the faces blurred in every frame before it is encoded (the
preview shows the blur from the moment it is chosen); or the voice alone, an MP4 with AAC
and no video track, which needs no camera (so it is what a person can still give while a
lost camera is being reopened). Every kind is encrypted, kept and synced the same way.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, cast

from booth.device import disk_room
from booth.files import Opener, durable_replace, file_sha256
from booth.journey import NO_ROOM_FOR_VIDEO, Journey, JourneyView, SessionDraft, State
from booth.pack import Prompt
from booth.settings import Paths
from booth.store import PART_SUFFIX, TAKE_SUFFIX, Store
from booth.sync.keys import load_credential
from booth.wire.age import AgeError, AgeWriter, decrypt_stream, generate_identity, parse_recipient

if TYPE_CHECKING:
    from booth.capture.recorder import RecordingResult, TakeKind

#: The kinds of take (``booth.capture.recorder.TAKE_KINDS``; the store checks the same).
TAKE_KINDS: tuple[TakeKind, ...] = ("video", "video_blurred", "voice")

log = logging.getLogger(__name__)

# States in which the camera and microphone are on. It opens while the person picks a
# question (after consent), so a real webcam's second or two of start-up is over by the
# time the preview is shown; nothing is recorded until they start.
CAMERA_STATES = frozenset({State.CHOOSE_PROMPT, State.GET_READY, State.RECORDING})


class ReviewKey:
    """The per-take identity, held only in memory, for review playback.

    After ``forget()`` nothing on this machine can decrypt the take any more."""

    def __init__(self) -> None:
        identity, self.recipient = generate_identity()
        self._identity: str | None = identity

    @property
    def forgotten(self) -> bool:
        return self._identity is None

    def decrypt(self, path: Path) -> bytes:
        """The take's plaintext (for playback); raises AgeError once forgotten."""
        if self._identity is None:
            raise AgeError("the review key for this take has been forgotten")
        out = io.BytesIO()
        with open(path, "rb") as source:
            decrypt_stream(source, out, [self._identity])
        return out.getvalue()

    def forget(self) -> None:
        self._identity = None

    def __repr__(self) -> str:
        return f"ReviewKey({self.recipient[:12]}..., forgotten={self.forgotten})"


def _open_exclusive(path: Path) -> BinaryIO:
    return open(path, "xb")


def open_take_writer(
    part_path: Path, council_recipients: Sequence[str], opener: Opener = _open_exclusive
) -> tuple[BinaryIO, ReviewKey]:
    """A stream that encrypts a take from its first byte, and the key to review it.

    The take is encrypted to the council's recipients plus a per-take recipient whose
    identity lives only in the returned ReviewKey. Close the stream, then call
    ``finalize_take``. ``opener`` lets tests inject a failing disk."""
    keys = [parse_recipient(r) for r in council_recipients]
    if not keys:
        raise AgeError("no council recipients: enrol the booth first")
    review = ReviewKey()
    sink = opener(part_path)
    try:
        writer = AgeWriter(sink, [*keys, parse_recipient(review.recipient)])
    except BaseException:
        sink.close()
        part_path.unlink(missing_ok=True)
        raise
    return cast(BinaryIO, writer), review


def finalize_take(part_path: Path, final_path: Path) -> tuple[int, str]:
    """fsync a closed take, rename ``.part`` to its final name; returns (size, sha256)."""
    size, sha = file_sha256(part_path)
    durable_replace(part_path, final_path)
    return size, sha


class _Signal(Protocol):
    def connect(self, slot: Callable[..., object], /) -> object: ...


class Capture(Protocol):
    """The capture controller as a take uses it (``booth.capture.qt.CaptureController``)."""

    @property
    def ready(self) -> _Signal:
        """ready(info): the camera is open; recording can start."""
        ...

    @property
    def failed(self) -> _Signal:
        """failed(reason): the camera or microphone cannot be used."""
        ...

    @property
    def finished(self) -> _Signal:
        """finished(RecordingResult): a take has ended and its file is closed."""
        ...

    @property
    def cameraState(self) -> _Signal:
        """cameraState(state, detail): the camera was "lost", is "reconnecting" or is "back"."""
        ...

    @property
    def previewing(self) -> bool: ...
    @property
    def camera_ready(self) -> bool: ...
    @property
    def recording(self) -> bool: ...
    def start_preview(self, frame_spec: str, audio_spec: str | None = "silence",
                      size: tuple[int, int] = (1280, 720), fps: float = 30.0) -> None: ...
    def set_face_blur(self, on: bool) -> None: ...
    def start_recording(self, out: BinaryIO, max_seconds: float,
                        space_folder: Path | None = None, kind: TakeKind = "video") -> bool: ...
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
    review: ReviewKey | None
    max_seconds: float
    kind: TakeKind = "video"
    duration_s: float = 0.0
    finished: bool = False
    discard: bool = False


def _blames_camera(reason: str, kind: TakeKind) -> bool:
    """Whether a take failed for want of a camera (missing, busy, lost, not ready: the
    capture layer's reasons all name it), so the person can still answer with their voice."""
    return kind != "voice" and "camera" in reason.casefold()


class Takes:
    """Owns every take from ``start_take`` until it is kept or gone: the journey's
    ``TakeEffects`` in the real booth (the walk is in this module's docstring).

    It asks the capture controller for the preview and for each take, waits for the
    camera to be ready, and reports ``recording_started``, ``recording_finished`` or
    ``recording_failed`` to the journey it follows. It also follows the journey's views:
    the camera is on while a participant may record (or the officer checks it), and a
    session's unkept takes go when the journey moves on from it."""

    def __init__(self, store: Store, paths: Paths, capture: Capture, camera: str,
                 audio: str) -> None:
        self.store = store
        self.paths = paths
        self.capture = capture
        self.camera = camera
        self.audio = audio
        self.officer_camera_check = False
        self._kind: TakeKind = "video"
        self._view_kind: TakeKind = "video"  # the journey's last word on the person's choice
        self._journey: Journey | None = None
        self._session_id: str | None = None  # the session the journey last showed
        self._takes: dict[str, _Take] = {}
        self._recording: _Take | None = None
        self._pending_start: _Take | None = None  # waits for the camera to be ready
        capture.ready.connect(self._camera_is_ready)
        capture.failed.connect(self._camera_failed)
        capture.finished.connect(self._take_finished)
        capture.cameraState.connect(self._camera_state)

    def follow(self, journey: Journey) -> None:
        """Report to ``journey`` from now on, and follow its views."""
        self._journey = journey
        journey.subscribe(self._follow_view)

    # ------------------------------------------------------------ the kind of take

    @property
    def kind(self) -> TakeKind:
        """What the next take records: "video", "video_blurred" or "voice"."""
        return self._kind

    def choose_kind(self, kind: TakeKind) -> None:
        """The person's choice beside the video answer ("Blur my face", "Just my voice").
        Blur shows in the preview at once; the next person starts with a video again."""
        if kind not in TAKE_KINDS:
            raise ValueError(f"not a kind of take: {kind!r}")
        self._kind = kind
        self.capture.set_face_blur(kind == "video_blurred")

    # ------------------------------------------------------------ TakeEffects

    def start_take(self, session: SessionDraft, prompt: Prompt) -> None:
        take_id = uuid.uuid4().hex
        self.paths.takes.mkdir(parents=True, exist_ok=True)
        final = self.paths.takes / f"{take_id}{TAKE_SUFFIX}"
        part = final.with_name(final.name + PART_SUFFIX)
        if not self._room_for(prompt.max_seconds):
            # A full disk is named as one: the person hears there is no room for a
            # video, and can carry on without one.
            if self._journey is not None:
                self._journey.recording_failed(NO_ROOM_FOR_VIDEO)
            return
        try:
            stream, review = open_take_writer(part, self._council_recipients())
        except Exception as error:
            # No council key yet (not enrolled), or the disk refused: no video this time,
            # the person carries on without one.
            log.error("cannot start an encrypted take: %s", error)
            part.unlink(missing_ok=True)
            if self._journey is not None:
                self._journey.recording_failed(f"cannot record: {error}")
            return
        take = _Take(take_id, session.session_id, prompt.id, part, final, stream, review,
                     max_seconds=float(prompt.max_seconds), kind=self._kind)
        self._takes[take_id] = take
        self._ensure_preview()
        if take.kind == "voice" or self.capture.camera_ready:
            self._begin(take)  # a voice answer needs only the microphone
        else:
            self._pending_start = take  # begins when the camera says it is ready

    def stop_take(self) -> None:
        if self._pending_start is not None:
            take, self._pending_start = self._pending_start, None
            self._drop_file(take)
            return
        if self._recording is not None:
            self.capture.stop_recording()

    def discard_take(self, take_id: str) -> None:
        take = self._takes.get(take_id)
        if take is None:
            return
        if take is self._recording and not take.finished:
            take.discard = True
            self.capture.stop_recording()
            return
        self._drop_file(take)

    def keep_take(self, session: SessionDraft, take_id: str) -> None:
        take = self._takes[take_id]
        if not take.finished:
            raise RuntimeError(f"take {take_id} is still being recorded")
        size, sha256 = finalize_take(take.part, take.final)
        self.store.keep_take(take_id, session.session_id, take.prompt_id, take.final.name,
                             size, sha256, take.duration_s, kind=take.kind)
        # A video answer now: the store looks after it, and nothing here can decrypt it.
        self._forget_key(take)
        self._takes.pop(take_id, None)

    # ------------------------------------------------------------ review

    def review_bytes(self, take_id: str) -> bytes | None:
        """The take, decrypted into memory for playback; None if it cannot be read."""
        take = self._takes.get(take_id)
        if take is None or take.review is None or not take.finished:
            return None
        try:
            return take.review.decrypt(take.part if take.part.exists() else take.final)
        except Exception:
            log.exception("could not decrypt take %s for review", take_id)
            return None

    def open_takes(self) -> list[str]:
        """Takes recorded or recording and neither kept nor gone yet."""
        return list(self._takes)

    # ------------------------------------------------------------ the recorder

    def _room_for(self, max_seconds: float) -> bool:
        """Room for a take of ``max_seconds`` plus what the database needs beside it."""
        try:
            return not disk_room(self.paths.takes, max_seconds).full
        except OSError:
            return True  # cannot tell: the recorder's own check and the write will say

    def _no_room_or(self, reason: str, take: _Take | None) -> str:
        """A take that failed on a disk now too full for another is a full disk."""
        from booth.capture.recorder import NOT_ENOUGH_SPACE

        if reason == NOT_ENOUGH_SPACE:
            return NO_ROOM_FOR_VIDEO
        seconds = take.max_seconds if take is not None else 0.0
        return reason if seconds <= 0 or self._room_for(seconds) else NO_ROOM_FOR_VIDEO

    def _council_recipients(self) -> list[str]:
        credential = load_credential(self.paths)
        return list(credential.recipients) if credential is not None else []

    def _begin(self, take: _Take) -> None:
        self._pending_start = None
        assert take.stream is not None
        started = self.capture.start_recording(take.stream, take.max_seconds,
                                               space_folder=self.paths.takes, kind=take.kind)
        if not started:
            self._drop_file(take)
            return  # the controller emitted failed(reason): _camera_failed tells the journey
        self._recording = take
        if self._journey is not None:
            self._journey.recording_started(take.take_id)

    def _camera_is_ready(self, info: object = None) -> None:
        if self._pending_start is not None:
            self._begin(self._pending_start)

    def _camera_failed(self, reason: str) -> None:
        take = self._pending_start or self._recording
        self._pending_start = None
        if take is not None and not take.finished:
            self._recording = None
            self._drop_file(take)
        if self._journey is not None:
            kind = take.kind if take is not None else self._kind
            failure = self._no_room_or(reason, take)
            self._journey.recording_failed(
                failure, camera=failure != NO_ROOM_FOR_VIDEO and _blames_camera(reason, kind))

    def _camera_state(self, state: str, detail: str) -> None:
        """A camera lost mid-session is being reopened: the journey tells the person to wait
        or to answer with their voice, and that they can try again once it is back."""
        if self._journey is None:
            return
        if state == "lost":
            self._journey.camera_lost()
        elif state == "back":
            self._journey.camera_back()

    def _take_finished(self, result: RecordingResult) -> None:
        take = self._recording
        self._recording = None
        if take is None:
            return
        take.finished = True
        self._close_stream(take)
        take.duration_s = float(result.duration_s)
        if take.discard:
            self._drop_file(take)
            return
        if result.reason in ("error", "camera_lost") or take.duration_s <= 0:
            self._drop_file(take)
            if self._journey is not None:
                failure = self._no_room_or(str(result.error or result.reason), take)
                self._journey.recording_failed(
                    failure,
                    camera=failure != NO_ROOM_FOR_VIDEO and result.reason == "camera_lost")
            return
        if self._journey is not None:
            self._journey.recording_finished(take.take_id, take.duration_s)

    # ------------------------------------------------------------ following the journey

    def _follow_view(self, view: JourneyView) -> None:
        if view.session_id != self._session_id:
            self._session_id = view.session_id
            self._drop_leftovers()
            if self._kind != "video":
                self.choose_kind("video")  # the choice was that person's alone
        if view.answer_kind != self._view_kind:
            # "Blur my face" or "Just my voice" on the questions screen (the preview shows
            # the blur from now on).
            self._view_kind = view.answer_kind
            self.choose_kind(view.answer_kind)
        # Camera on while the participant is getting ready or recording, off otherwise.
        wanted = view.state in CAMERA_STATES or (
            view.state is State.STILL_THERE and view.interrupted in CAMERA_STATES)
        if wanted or self.officer_camera_check:
            self._ensure_preview()
        elif self.capture.previewing and not self.capture.recording:
            self.capture.stop_preview()

    def set_officer_camera_check(self, on: bool) -> None:
        self.officer_camera_check = on
        if on:
            self._ensure_preview()
        elif self.capture.previewing and not self.capture.recording:
            self.capture.stop_preview()

    def _ensure_preview(self) -> None:
        if not self.capture.previewing:
            self.capture.start_preview(self.camera, self.audio)

    def _drop_leftovers(self) -> None:
        """The journey has moved on from a session: anything of it still here goes (the
        journey discards its takes itself; this is the net under a failed clean-up)."""
        for take in list(self._takes.values()):
            if take.session_id == self._session_id:
                continue
            if take is self._recording and not take.finished:
                take.discard = True
                self.capture.stop_recording()
            else:
                self._drop_file(take)

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

    def shutdown(self) -> None:
        """The booth is closing: a take still waiting for the camera leaves nothing."""
        if self._pending_start is not None:
            self._drop_file(self._pending_start)
