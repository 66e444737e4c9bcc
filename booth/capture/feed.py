"""A live feed: one open camera and microphone shared by the preview and the recorder.

The feed blurs faces when asked (for the preview) and always for a take that must be
blurred, before any frame leaves it. A camera lost mid-session (unplugged, the laptop
slept, another program took it) is reopened by the feed itself, with backoff, while the
microphone goes on: the feed says "lost", "reconnecting" and "back" as it goes."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal

from booth.capture.audio import AudioChunk, AudioInfo, AudioSource, level_of, open_sources
from booth.capture.faces import FaceBlur, preload_face_detector
from booth.capture.sources import CAMERA_LOST, CaptureError, Frame, FrameSource, StreamInfo

log = logging.getLogger(__name__)

_END = object()

#: Seconds between tries to reopen a lost camera: soon at first (a loose cable pushed
#: back in), then every few seconds, for as long as the feed runs.
RECONNECT_DELAYS_S: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 5.0)

CameraState = Literal["lost", "reconnecting", "back"]


class FrameTap:
    """A frame source fed by a :class:`LiveFeed`: what a recorder reads while the preview
    goes on. When the reader falls behind by ``capacity`` frames the newest frame is
    dropped and counted, as a camera would."""

    def __init__(self, info: StreamInfo, detach: Callable[[FrameTap], None],
                 capacity: int, blurred: bool = False) -> None:
        self.info = info
        #: only frames whose faces were blurred are offered to this tap
        self.blurred = blurred
        self._detach = detach
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=capacity)
        self.dropped_frames = 0
        self._closed = False
        self._offer_lock = threading.Lock()

    def open(self) -> StreamInfo:
        return self.info

    def offer(self, item: Any) -> None:
        with self._offer_lock:
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                if isinstance(item, Frame):
                    self.dropped_frames += 1
                else:  # an end marker must get through
                    with contextlib.suppress(queue.Empty):
                        self._queue.get_nowait()
                    self._queue.put_nowait(item)

    def read(self) -> Frame | None:
        if self._closed:
            return None
        item = self._queue.get()
        if isinstance(item, CaptureError):
            raise item
        if item is _END:
            return None
        frame: Frame = item
        return frame

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._detach(self)
            self.offer(_END)


class AudioTap:
    """An audio source fed by a :class:`LiveFeed`."""

    def __init__(self, info: AudioInfo, detach: Callable[[AudioTap], None]) -> None:
        self.info = info
        self._detach = detach
        self._queue: queue.Queue[AudioChunk] = queue.Queue()
        self._stopped = False

    def start(self) -> AudioInfo:
        return self.info

    def offer(self, chunk: AudioChunk) -> None:
        if not self._stopped:
            self._queue.put(chunk)

    def read(self, timeout: float) -> AudioChunk | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._detach(self)


class LiveFeed:
    """Opens a frame source and an audio source once and reads them on two threads.
    Every frame goes to ``on_frame`` (the preview) and to each :class:`FrameTap`; every
    sound chunk's level goes to ``on_level`` and the chunk to each :class:`AudioTap`.
    ``on_error(reason)`` reports a device that failed, ``on_camera(state, detail)`` a
    camera lost, being reopened and back. Callbacks run on the feed threads.

    With face blur on (``set_face_blur``), or while a tap wants blurred frames, every
    frame goes through one :class:`FaceBlur` first, so the preview and the take get the
    same blurred frames and no unblurred one reaches a blurred take.
    """

    def __init__(self, frame_source: FrameSource, audio_source: AudioSource | None,
                 on_frame: Callable[[Frame], None] | None = None,
                 on_level: Callable[[float], None] | None = None,
                 on_error: Callable[[str], None] | None = None,
                 on_camera: Callable[[CameraState, str], None] | None = None, *,
                 face_blur: FaceBlur | None = None,
                 reconnect_delays: Sequence[float] = RECONNECT_DELAYS_S) -> None:
        if not reconnect_delays:
            raise ValueError("reconnect_delays needs at least one delay")
        self.frame_source = frame_source
        self.audio_source = audio_source
        self.on_frame = on_frame
        self.on_level = on_level
        self.on_error = on_error
        self.on_camera = on_camera
        self.reconnect_delays = tuple(reconnect_delays)
        self._face_blur = face_blur
        self._blur_preview = False
        self._blurring = False
        #: set while the camera gives pictures; clear while it is lost and being reopened
        self.camera_up = threading.Event()
        self.info: StreamInfo | None = None
        self.audio_info: AudioInfo | None = None
        self._lock = threading.Lock()
        self._frame_taps: list[FrameTap] = []
        self._audio_taps: list[AudioTap] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.ended = threading.Event()

    def start(self) -> StreamInfo:
        """Open the devices (this can take a second: call it off the GUI thread)."""
        info, self.audio_info = open_sources(self.frame_source, self.audio_source)
        self.info = info
        self.camera_up.set()
        # While the camera warms up, not once someone has chosen "Blur my face".
        preload_face_detector()
        self._threads = [threading.Thread(target=self._video_loop, name="feed-video",
                                          daemon=True)]
        if self.audio_source is not None:
            self._threads.append(threading.Thread(target=self._audio_loop, name="feed-audio",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()
        return info

    def set_face_blur(self, on: bool) -> None:
        """Blur faces in every frame from now on (the preview shows what will be kept)."""
        with self._lock:
            self._blur_preview = on

    @property
    def face_blur(self) -> FaceBlur:
        """The feed's face blur (made when first needed)."""
        with self._lock:
            if self._face_blur is None:
                self._face_blur = FaceBlur()
            return self._face_blur

    def tap(self, queue_seconds: float = 0.5, *,
            blurred: bool = False) -> tuple[FrameTap, AudioTap | None]:
        """A frame source and an audio source for a recorder, fed from now on. The
        recorder only converts what it reads and keeps its own longer queue, so this one
        is short: raw 720p frames are 2.7 MB each. ``blurred`` taps get only frames whose
        faces were blurred (the feed blurs while such a tap is open)."""
        if self.info is None:
            raise RuntimeError("the feed is not started")
        capacity = max(4, int(self.info.fps * queue_seconds))
        frames = FrameTap(self.info, self._remove_frame_tap, capacity, blurred)
        sound = AudioTap(self.audio_info, self._remove_audio_tap) if self.audio_info else None
        with self._lock:
            if self.ended.is_set() or not self.camera_up.is_set():
                frames.offer(CaptureError(CAMERA_LOST))
            else:
                self._frame_taps.append(frames)
            if sound is not None:
                self._audio_taps.append(sound)
        return frames, sound

    def tap_audio(self) -> AudioTap | None:
        """An audio source alone (a voice answer), fed from now on; it goes on while the
        camera is lost. None when the feed has no microphone."""
        if self.audio_info is None:
            return None
        sound = AudioTap(self.audio_info, self._remove_audio_tap)
        with self._lock:
            self._audio_taps.append(sound)
        return sound

    def _remove_frame_tap(self, tap: FrameTap) -> None:
        with self._lock:
            if tap in self._frame_taps:
                self._frame_taps.remove(tap)

    def _remove_audio_tap(self, tap: AudioTap) -> None:
        with self._lock:
            if tap in self._audio_taps:
                self._audio_taps.remove(tap)

    def stop(self, timeout: float | None = 0.0) -> None:
        """End the feed: each device is closed by the thread that reads it, after its
        current read (a frame or a sound chunk at most), so this never waits on a device.
        ``timeout`` > 0 (or None) also waits for that; safe to call twice."""
        self._stop.set()
        if timeout is None or timeout > 0:
            for thread in self._threads:
                thread.join(timeout)

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def _video_loop(self) -> None:
        end: Any = _END
        try:
            while not self._stop.is_set():
                reason = CAMERA_LOST
                try:
                    frame = self.frame_source.read()
                except CaptureError as error:
                    frame, reason = None, str(error) or CAMERA_LOST
                if frame is None:
                    if self._stop.is_set():
                        break
                    self._camera_lost(reason)
                    frame = self._reopen()
                    if frame is None:
                        break  # the feed was stopped while the camera was away
                self._deliver(frame)
        except Exception as error:
            log.exception("the live feed failed")
            end = CaptureError(f"The camera feed failed: {error}")
            self._report(str(end))
        finally:
            self.camera_up.clear()
            with self._lock:
                self.ended.set()
                taps = list(self._frame_taps)
                self._frame_taps.clear()
            for tap in taps:
                tap.offer(end)
            self.frame_source.close()
            if self._face_blur is not None:
                self._face_blur.close()

    def _deliver(self, frame: Frame) -> None:
        with self._lock:
            taps = list(self._frame_taps)
            blur = self._blur_preview or any(tap.blurred for tap in taps)
        if blur:
            if not self._blurring:
                self.face_blur.reset()  # forget any earlier person's face: blur it all
            frame = self.face_blur.apply(frame)
        self._blurring = blur
        for tap in taps:
            tap.offer(frame)
        if self.on_frame is not None:
            self.on_frame(frame)

    def _camera_lost(self, reason: str) -> None:
        """The camera stopped: end the take that reads it (the person can try again once
        it is back) and say so; the microphone goes on."""
        log.warning("camera lost: %s", reason)
        self.camera_up.clear()
        with self._lock:
            taps = list(self._frame_taps)
            self._frame_taps.clear()
        for tap in taps:
            tap.offer(CaptureError(reason))
        self._report(reason)
        self._camera_state("lost", reason)
        # Let go of the device, so the driver can reset and another program release it.
        try:
            self.frame_source.close()
        except Exception:
            log.exception("closing the lost camera failed")

    def _reopen(self) -> Frame | None:
        """Try to open the camera again, with backoff, until it gives a picture (that
        picture) or the feed is stopped (None)."""
        attempt = 0
        while True:
            delay = self.reconnect_delays[min(attempt, len(self.reconnect_delays) - 1)]
            if self._stop.wait(delay):
                return None
            attempt += 1
            self._camera_state("reconnecting", f"try {attempt}")
            try:
                info = self.frame_source.open()
                frame = self.frame_source.read()
            except CaptureError as error:
                log.info("camera not back yet (try %d): %s", attempt, error)
                frame = None
            except Exception:
                log.exception("reopening the camera failed (try %d)", attempt)
                frame = None
            if frame is None:
                # It opened but gives no picture (busy, or still asleep): not back yet.
                with contextlib.suppress(Exception):
                    self.frame_source.close()
                continue
            self.info = info
            self.camera_up.set()
            log.info("camera back after %d tries: %s", attempt, info.name)
            self._camera_state("back", info.name)
            return frame

    def _camera_state(self, state: CameraState, detail: str) -> None:
        if self.on_camera is not None and not self._stop.is_set():
            try:
                self.on_camera(state, detail)
            except Exception:
                log.exception("camera state callback failed")

    def _audio_loop(self) -> None:
        assert self.audio_source is not None
        try:
            self._read_audio()
        finally:
            try:
                self.audio_source.stop()
            except Exception:
                log.exception("stopping the audio source failed")

    def _read_audio(self) -> None:
        assert self.audio_source is not None
        while not self._stop.is_set():
            try:
                chunk = self.audio_source.read(0.1)
            except CaptureError as error:
                log.warning("microphone failed: %s", error)
                self._report(str(error))
                return
            except Exception:
                log.exception("the microphone feed failed")
                return
            if chunk is None:
                continue
            if self.on_level is not None:
                self.on_level(level_of(chunk.samples))
            with self._lock:
                taps = list(self._audio_taps)
            for tap in taps:
                tap.offer(chunk)

    def _report(self, reason: str) -> None:
        if self.on_error is not None and not self._stop.is_set():
            try:
                self.on_error(reason)
            except Exception:
                log.exception("capture error callback failed")
