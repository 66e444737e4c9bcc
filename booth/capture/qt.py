"""The Qt side of capture: a controller the screens use, emitting signals on the GUI thread."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PySide6.QtCore import QObject, QSize, QTimer, Signal
from PySide6.QtGui import QImage

from booth.capture.audio import AudioSource
from booth.capture.devices import open_audio_source, open_frame_source
from booth.capture.feed import RECONNECT_DELAYS_S, CameraState, LiveFeed
from booth.capture.recorder import Recorder, TakeKind
from booth.capture.sources import CAMERA_LOST, CaptureError, Frame, FrameSource, Image

log = logging.getLogger(__name__)

#: The preview never goes faster than this, whatever the camera gives.
PREVIEW_FPS = 30.0

NO_MICROPHONE = "There is no microphone to record a voice answer with."
CAMERA_NOT_READY = "The camera is not ready yet."


def fit_size(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the picture's aspect ratio that fits in ``box``."""
    scale = min(box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def mirror_and_scale(image: Image, box: tuple[int, int]) -> Image:
    """A mirrored copy of ``image`` fitted into ``box`` (nearest pixel: it is a preview)."""
    height, width = image.shape[:2]
    out_w, out_h = fit_size(width, height, box)
    rows = (np.arange(out_h) * height // out_h).astype(np.intp)
    cols = (width - 1 - np.arange(out_w) * width // out_w).astype(np.intp)
    return np.ascontiguousarray(image[rows[:, None], cols[None, :]])


class CaptureController(QObject):
    """Camera preview and recording for the screens. Devices are opened, read and encoded
    on worker threads; a GUI-thread timer hands the results on as signals, keeping only the
    newest preview picture, so a busy screen skips pictures instead of queueing them.

    Signals:
        previewFrame(QImage): the camera picture, mirrored and fitted to ``preview_size``.
        ready(object): the camera's ``StreamInfo`` once it is open; recording can start.
        elapsed(float): seconds recorded so far.
        level(float): microphone level 0..1 for a level meter.
        finished(object): a ``RecordingResult`` when a take has ended.
        failed(str): a reason in plain words (camera missing, busy or unplugged, no space).
            A camera lost during a take ends it with ``finished`` (reason "camera_lost").
        cameraState(str, str): the camera was "lost" (with the reason), is "reconnecting"
            (which try), or is "back" (its name; ``ready`` follows). While it is away the
            preview stops, a video take cannot start and a voice answer still can.
    """

    previewFrame = Signal(QImage)
    ready = Signal(object)
    elapsed = Signal(float)
    level = Signal(float)
    finished = Signal(object)
    failed = Signal(str)
    cameraState = Signal(str, str)

    def __init__(self, parent: QObject | None = None,
                 preview_size: tuple[int, int] = (640, 360),
                 reconnect_delays: tuple[float, ...] = RECONNECT_DELAYS_S) -> None:
        super().__init__(parent)
        self.reconnect_delays = reconnect_delays
        self._face_blur = False
        self._audio_spec: str | None = None
        self._preview_box = preview_size
        self._lock = threading.Lock()
        self._latest_preview: Image | None = None
        self._latest_level: float | None = None
        self._latest_elapsed: float | None = None
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._feed: LiveFeed | None = None
        self._opening: threading.Thread | None = None
        self._open_threads: list[threading.Thread] = []
        self._stopped_feeds: list[LiveFeed] = []
        self._recorder: Recorder | None = None
        self._watcher: threading.Thread | None = None
        self._last_preview_at = 0.0
        self._generation = 0
        #: preview pictures replaced before the screen took them (a busy GUI thread)
        self.preview_dropped = 0
        #: preview pictures handed to the screen
        self.preview_delivered = 0
        self._timer = QTimer(self)
        self._timer.setInterval(round(1000 / PREVIEW_FPS))
        self._timer.timeout.connect(self._deliver)

    # --- what the screens call ------------------------------------------------------------

    def set_preview_size(self, size: QSize | tuple[int, int]) -> None:
        box = (size.width(), size.height()) if isinstance(size, QSize) else size
        with self._lock:
            self._preview_box = (max(1, box[0]), max(1, box[1]))

    @property
    def previewing(self) -> bool:
        return self._feed is not None or self._opening is not None

    @property
    def camera_ready(self) -> bool:
        """The camera is open and giving pictures (``ready`` has said so): a video take
        can start now."""
        return self._feed is not None and self._feed.camera_up.is_set()

    @property
    def face_blur(self) -> bool:
        return self._face_blur

    def set_face_blur(self, on: bool) -> None:
        """Blur faces in the preview from now on ("Blur my face"), so the person sees
        what a blurred take keeps; the first frames are blurred all over."""
        self._face_blur = on
        if self._feed is not None:
            self._feed.set_face_blur(on)

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    def start_preview(self, frame_spec: str, audio_spec: str | None = "silence",
                      size: tuple[int, int] = (1280, 720), fps: float = 30.0) -> None:
        """Open the camera and microphone the specs name, off the GUI thread, and start
        the preview (``failed`` says why when they cannot be opened)."""

        def build() -> tuple[FrameSource, AudioSource | None]:
            frames = open_frame_source(frame_spec, size, fps)
            return frames, (open_audio_source(audio_spec) if audio_spec else None)

        self._audio_spec = audio_spec
        self._start_feed(build)

    def start_preview_sources(self, frame_source: FrameSource,
                              audio_source: AudioSource | None) -> None:
        """Start the preview from sources already built (demo mode, diagnostics, tests)."""
        self._start_feed(lambda: (frame_source, audio_source))

    def _start_feed(self, build: Callable[[], tuple[FrameSource, AudioSource | None]]) -> None:
        if self.previewing:
            return
        self._generation += 1
        generation = self._generation
        self._timer.start()

        def open_devices() -> None:
            try:
                frames, sound = build()
                feed = LiveFeed(frames, sound, on_frame=self._on_frame,
                                on_level=self._on_level, on_error=self._on_feed_error,
                                on_camera=self._on_camera,
                                reconnect_delays=self.reconnect_delays)
                feed.set_face_blur(self._face_blur)
                feed.start()
            except CaptureError as error:
                self._events.put(("opened", (generation, None, str(error))))
                return
            except Exception as error:
                log.exception("opening the camera failed")
                self._events.put(("opened", (generation, None, f"The camera failed: {error}")))
                return
            self._events.put(("opened", (generation, feed, None)))

        self._opening = threading.Thread(target=open_devices, name="capture-open", daemon=True)
        self._open_threads = [t for t in self._open_threads if t.is_alive()]
        self._open_threads.append(self._opening)
        self._opening.start()

    def start_recording(self, out: BinaryIO, max_seconds: float,
                        space_folder: Path | None = None, kind: TakeKind = "video") -> bool:
        """Record a take of ``kind`` into ``out``; ``finished`` reports the end. Returns
        False (and emits ``failed``) when recording cannot start.

        "video" and "video_blurred" record the open preview (faces blurred in every frame
        before it is encoded for the latter); "voice" records the microphone alone, from
        the preview's while it runs (even with the camera away), else its own."""
        if self._recorder is not None:
            self._fail("The last answer is still being saved. Try again in a moment.")
            return False
        if kind == "voice":
            recorder = self._voice_recorder(out, max_seconds, space_folder)
            if recorder is None:
                self._fail(NO_MICROPHONE)
                return False
        else:
            if self._feed is None or not self.camera_ready:
                # A camera being reopened is said as lost: cameraState says the rest.
                self._fail(CAMERA_NOT_READY if self._feed is None else CAMERA_LOST)
                return False
            frames, sound = self._feed.tap(blurred=kind == "video_blurred")
            recorder = Recorder(frames, sound, out, max_seconds, on_elapsed=self._on_elapsed,
                                space_folder=space_folder)
        try:
            recorder.start()
        except CaptureError as error:
            if recorder.frame_source is not None:
                recorder.frame_source.close()
            if recorder.audio_source is not None:
                recorder.audio_source.stop()
            self._fail(str(error))
            return False
        self._recorder = recorder

        def watch() -> None:
            result = recorder.wait()
            self._events.put(("finished", (recorder, result)))

        self._watcher = threading.Thread(target=watch, name="capture-watch", daemon=True)
        self._watcher.start()
        return True

    def _voice_recorder(self, out: BinaryIO, max_seconds: float,
                        space_folder: Path | None) -> Recorder | None:
        sound: AudioSource | None = None
        if self._feed is not None:
            sound = self._feed.tap_audio()
        elif self._audio_spec:
            # No camera feed (it never opened): the microphone on its own. Opening it
            # takes a moment on this thread, as a tap's does not.
            try:
                sound = open_audio_source(self._audio_spec)
            except CaptureError as error:
                log.warning("no microphone for a voice answer: %s", error)
        if sound is None:
            return None
        # The feed's level meter runs on while it is open; a microphone of its own has
        # the recorder drive the meter.
        on_level = self._on_level if self._feed is None else None
        return Recorder(None, sound, out, max_seconds, on_elapsed=self._on_elapsed,
                        on_level=on_level, space_folder=space_folder)

    def stop_recording(self) -> None:
        """End the take early; ``finished`` follows shortly."""
        if self._recorder is not None:
            self._recorder.stop()

    def stop_preview(self) -> None:
        """Close the camera and microphone. A take in progress is stopped first and
        ``finished`` follows as usual, without blocking here."""
        self._generation += 1
        if self._recorder is not None:
            self._recorder.stop()
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.stop()
            self._stopped_feeds = [f for f in self._stopped_feeds if f.running] + [feed]
        self._opening = None
        with self._lock:
            self._latest_preview = None
            self._latest_level = None
            self._latest_elapsed = None

    def shutdown(self) -> None:
        """Stop everything and let the devices close; the controller can then be dropped.
        (The one call that waits: the app is closing.)"""
        self.stop_preview()
        self._timer.stop()
        for thread in self._open_threads:
            thread.join(10)
        self._open_threads = []
        if self._watcher is not None:
            self._watcher.join(10)
        # A camera that finished opening after the stop is closed here, and the owner
        # of a take cut short hears ``finished`` so it can close its file.
        self._drain_events(deliver=False, deliver_finished=True)
        for feed in self._stopped_feeds:
            feed.stop(timeout=5)
        self._stopped_feeds = []

    # --- worker-thread callbacks: they only store values ----------------------------------

    def _on_frame(self, frame: Frame) -> None:
        now = time.monotonic()
        if now - self._last_preview_at < 0.9 / PREVIEW_FPS:
            return
        self._last_preview_at = now
        with self._lock:
            box = self._preview_box
        picture = mirror_and_scale(frame.image, box)
        with self._lock:
            if self._latest_preview is not None:
                self.preview_dropped += 1
            self._latest_preview = picture

    def _on_level(self, value: float) -> None:
        with self._lock:
            self._latest_level = value

    def _on_elapsed(self, seconds: float) -> None:
        with self._lock:
            self._latest_elapsed = seconds

    def _on_feed_error(self, reason: str) -> None:
        self._events.put(("feed_failed", reason))

    def _on_camera(self, state: CameraState, detail: str) -> None:
        self._events.put(("camera", (state, detail)))

    # --- GUI thread -----------------------------------------------------------------------

    def _fail(self, reason: str) -> None:
        log.warning("capture: %s", reason)
        self.failed.emit(reason)

    def _deliver(self) -> None:
        with self._lock:
            picture, self._latest_preview = self._latest_preview, None
            level, self._latest_level = self._latest_level, None
            elapsed, self._latest_elapsed = self._latest_elapsed, None
        if picture is not None:
            height, width = picture.shape[:2]
            image = QImage(picture.data, width, height, width * 3,
                           QImage.Format.Format_BGR888).copy()
            self.preview_delivered += 1
            self.previewFrame.emit(image)
        if level is not None:
            self.level.emit(level)
        if elapsed is not None:
            self.elapsed.emit(elapsed)
        self._drain_events(deliver=True)

    def _drain_events(self, deliver: bool, deliver_finished: bool | None = None) -> None:
        if deliver_finished is None:
            deliver_finished = deliver
        while True:
            try:
                kind, payload = self._events.get_nowait()
            except queue.Empty:
                return
            if kind == "opened":
                generation, feed, error = payload
                if generation != self._generation:
                    if feed is not None:
                        # the preview was stopped while the camera opened
                        feed.stop()
                        self._stopped_feeds.append(feed)
                    continue
                self._opening = None
                if feed is None:
                    self._timer.stop()
                    if deliver:
                        self._fail(error)
                else:
                    self._feed = feed
                    # "Blur my face" may have been chosen while the camera was opening.
                    feed.set_face_blur(self._face_blur)
                    if deliver:
                        self.ready.emit(feed.info)
            elif kind == "finished":
                recorder, result = payload
                if recorder is self._recorder:
                    self._recorder = None
                    if deliver_finished:
                        self.finished.emit(result)
            elif kind == "feed_failed" and deliver and self._recorder is None:
                self._fail(payload)
            elif kind == "camera" and deliver and self._feed is not None:
                state, detail = payload
                log.info("camera %s: %s", state, detail)
                self.cameraState.emit(state, detail)
                if state == "back":
                    self.ready.emit(self._feed.info)
