"""A live feed: one open camera and microphone shared by the preview and the recorder."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from booth.capture.audio import AudioChunk, AudioInfo, AudioSource, level_of, open_sources
from booth.capture.sources import CAMERA_LOST, CaptureError, Frame, FrameSource, StreamInfo

log = logging.getLogger(__name__)

_END = object()


class FrameTap:
    """A frame source fed by a :class:`LiveFeed`: what a recorder reads while the preview
    goes on. When the reader falls behind by ``capacity`` frames the newest frame is
    dropped and counted, as a camera would."""

    def __init__(self, info: StreamInfo, detach: Callable[[FrameTap], None],
                 capacity: int) -> None:
        self.info = info
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
    ``on_error(reason)`` reports a device that failed. Callbacks run on the feed threads.
    """

    def __init__(self, frame_source: FrameSource, audio_source: AudioSource | None,
                 on_frame: Callable[[Frame], None] | None = None,
                 on_level: Callable[[float], None] | None = None,
                 on_error: Callable[[str], None] | None = None) -> None:
        self.frame_source = frame_source
        self.audio_source = audio_source
        self.on_frame = on_frame
        self.on_level = on_level
        self.on_error = on_error
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
        self._threads = [threading.Thread(target=self._video_loop, name="feed-video",
                                          daemon=True)]
        if self.audio_source is not None:
            self._threads.append(threading.Thread(target=self._audio_loop, name="feed-audio",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()
        return info

    def tap(self, queue_seconds: float = 0.5) -> tuple[FrameTap, AudioTap | None]:
        """A frame source and an audio source for a recorder, fed from now on. The
        recorder only converts what it reads and keeps its own longer queue, so this one
        is short: raw 720p frames are 2.7 MB each."""
        if self.info is None:
            raise RuntimeError("the feed is not started")
        capacity = max(4, int(self.info.fps * queue_seconds))
        frames = FrameTap(self.info, self._remove_frame_tap, capacity)
        sound = AudioTap(self.audio_info, self._remove_audio_tap) if self.audio_info else None
        with self._lock:
            if self.ended.is_set():
                frames.offer(CaptureError(CAMERA_LOST))
            else:
                self._frame_taps.append(frames)
            if sound is not None:
                self._audio_taps.append(sound)
        return frames, sound

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
                try:
                    frame = self.frame_source.read()
                except CaptureError as error:
                    end = error
                    self._report(str(error))
                    break
                if frame is None:
                    if not self._stop.is_set():
                        end = CaptureError(CAMERA_LOST)
                        self._report(CAMERA_LOST)
                    break
                with self._lock:
                    taps = list(self._frame_taps)
                for tap in taps:
                    tap.offer(frame)
                if self.on_frame is not None:
                    self.on_frame(frame)
        except Exception as error:
            log.exception("the live feed failed")
            end = CaptureError(f"The camera feed failed: {error}")
            self._report(str(end))
        finally:
            with self._lock:
                self.ended.set()
                taps = list(self._frame_taps)
                self._frame_taps.clear()
            for tap in taps:
                tap.offer(end)
            self.frame_source.close()

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
