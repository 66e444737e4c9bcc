"""The recorder: H.264 + AAC (or AAC alone) in fragmented MP4, written by worker threads."""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np

from booth.capture.audio import (
    MIC_LOST,
    AudioChunk,
    AudioInfo,
    AudioSource,
    level_of,
    open_sources,
)
from booth.capture.sources import CAMERA_LOST, CaptureError, Frame, FrameSource, StreamInfo

log = logging.getLogger(__name__)

Reason = Literal["stopped", "max_length", "camera_lost", "error"]

#: What a take records: a video answer, a video answer with the faces blurred before they
#: are encoded, or the voice alone (an MP4 with AAC and no video track).
TakeKind = Literal["video", "video_blurred", "voice"]
TAKE_KINDS: tuple[TakeKind, ...] = ("video", "video_blurred", "voice")

# Encoder settings, chosen by measurement on the 2-core kiosk laptop (bench/capture.py):
# - libx264 "superfast" encodes the synthetic 1280x720 30 fps pattern about 3.5x faster
#   than real time on two cores (ffmpeg's own command line gets the same), so a paced take
#   uses about half a core and the screens stay smooth. "veryfast" managed only 2.6x here,
#   too close to real time for a busy laptop; "ultrafast" drops CABAC and costs far more
#   bytes for the same quality.
# - CRF 23 is x264's default quality; the VBV cap (maxrate/bufsize) bounds the bitrate
#   even for a noisy low-light camera, so the free-space check below is a real bound.
# - a keyframe every second and a fragment at every keyframe, so a file cut off by a
#   crash plays up to the last whole second.
VIDEO_CODEC = "libx264"
X264_PRESET = "superfast"
X264_CRF = 23
VIDEO_MAXRATE_BPS = 6_000_000
AUDIO_CODEC = "aac"
AUDIO_BITRATE_BPS = 128_000
KEYFRAME_SECONDS = 1.0
MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"
# A voice answer has no keyframes to cut fragments at (every AAC packet is one, and a
# fragment per packet would add a third to the file), so it is cut every second instead.
VOICE_MOVFLAGS = "empty_moov+default_base_moof"
VOICE_FRAGMENT_US = 1_000_000
VIDEO_TIME_BASE = Fraction(1, 90_000)

#: Upper bound of the bytes a take writes per second: capped video + audio, plus 10 %
#: for the container, encryption and the VBV buffer's burst at the start.
BYTES_PER_SECOND_BOUND = int((VIDEO_MAXRATE_BPS + AUDIO_BITRATE_BPS) / 8 * 1.1)
#: Kept free beyond the take itself, so the database and the logs can still be written.
FREE_SPACE_RESERVE_BYTES = 50_000_000

NOT_ENOUGH_SPACE = (
    "There is not enough free space on this laptop to record an answer. "
    "An officer needs to free some space (sync or export the answers)."
)

FreeBytes = Callable[[Path], int]


def disk_free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def bytes_needed(max_seconds: float) -> int:
    """What a take of ``max_seconds`` can need on disk, including the reserve."""
    return int(max_seconds * BYTES_PER_SECOND_BOUND) + FREE_SPACE_RESERVE_BYTES


def check_free_space(folder: Path, max_seconds: float,
                     free_bytes: FreeBytes = disk_free_bytes) -> None:
    """Raise ``CaptureError`` when ``folder`` cannot hold a maximum-length take."""
    free = free_bytes(folder)
    need = bytes_needed(max_seconds)
    if free < need:
        log.warning("refusing to record: %d bytes free in %s, %d needed", free, folder, need)
        raise CaptureError(NOT_ENOUGH_SPACE)


@dataclass(frozen=True)
class RecordingResult:
    """How a take ended. ``duration_s`` is the length of the video written (of the sound,
    for a voice answer, which has no frames)."""

    duration_s: float
    frames: int
    dropped_frames: int
    audio_samples: int
    reason: Reason
    error: str | None = None


_END = object()


class Recorder:
    """Records one take from a frame source and an audio source into ``out``, which may
    be any writable binary stream, seekable or not (storage passes an encrypting stream).

    Three worker threads: video capture, audio capture and the encoder/muxer. Timestamps
    in the file are capture times relative to the first frame, so sound and picture stay
    together even when frames are dropped. Callbacks run on the worker threads:
    ``on_preview(frame)``, ``on_level(0..1)``, ``on_elapsed(seconds)``.

    With no frame source it records a voice answer: AAC alone, timed by the sound, and a
    microphone that fails ends the take (there is nothing else to keep).

    ``realtime=False`` (benchmarks) waits for the encoder instead of dropping frames.
    ``space_folder`` makes ``start`` refuse when the folder has too little free space.
    """

    def __init__(
        self,
        frame_source: FrameSource | None,
        audio_source: AudioSource | None,
        out: BinaryIO,
        max_seconds: float,
        on_preview: Callable[[Frame], None] | None = None,
        on_level: Callable[[float], None] | None = None,
        on_elapsed: Callable[[float], None] | None = None,
        *,
        realtime: bool = True,
        space_folder: Path | None = None,
        free_bytes: FreeBytes = disk_free_bytes,
        queue_seconds: float = 2.0,
    ) -> None:
        if max_seconds <= 0:
            raise ValueError("max_seconds must be positive")
        if frame_source is None and audio_source is None:
            raise ValueError("a take needs a camera or a microphone")
        self.frame_source = frame_source
        self.audio_source = audio_source
        self.out = out
        self.max_seconds = max_seconds
        self.on_preview = on_preview
        self.on_level = on_level
        self.on_elapsed = on_elapsed
        self.realtime = realtime
        self.space_folder = space_folder
        self.free_bytes = free_bytes
        self.queue_seconds = queue_seconds
        self.info: StreamInfo | None = None
        self.audio_info: AudioInfo | None = None
        self._stop = threading.Event()
        self._video_done = threading.Event()
        self._audio_enough = threading.Event()
        self._vq: queue.Queue[Any] = queue.Queue()
        self._aq: queue.Queue[Any] = queue.Queue()  # AudioChunk, or _END for a voice answer
        self._threads: list[threading.Thread] = []
        self._t0: float | None = None
        self._reason: Reason | None = None
        self._error: str | None = None
        self._dropped = 0
        self._frames = 0
        self._audio_samples = 0
        self._duration = 0.0
        self._result: RecordingResult | None = None
        self._started = False

    # --- control ------------------------------------------------------------------------

    @property
    def voice_only(self) -> bool:
        return self.frame_source is None

    def start(self) -> StreamInfo | None:
        """Open the sources and start recording. Raises ``CaptureError`` with a reason in
        plain words when the folder is short of space or a device cannot be opened.
        Returns what the camera gives (None for a voice answer)."""
        if self._started:
            raise RuntimeError("a Recorder records one take; make a new one")
        if self.space_folder is not None:
            check_free_space(self.space_folder, self.max_seconds, self.free_bytes)
        if self.frame_source is None:
            self._start_voice()
            return None
        info, self.audio_info = open_sources(self.frame_source, self.audio_source)
        self.info = info
        self._started = True
        # Live: room to ride out an encoder stall. Unpaced: the capture thread just
        # waits, so a few frames keep both threads busy without holding memory.
        frames_queued = max(4, int(info.fps * self.queue_seconds)) if self.realtime else 8
        self._vq = queue.Queue(maxsize=frames_queued)
        # Unpaced audio must not run ahead of the pictures; live audio is never dropped here.
        self._aq = queue.Queue(maxsize=0 if self.realtime else 64)
        self._threads = [
            threading.Thread(target=self._video_loop, name="capture-video", daemon=True),
            threading.Thread(target=self._encode_loop, name="capture-encode", daemon=True),
        ]
        if self.audio_source is not None:
            self._threads.append(
                threading.Thread(target=self._audio_loop, name="capture-audio", daemon=True)
            )
        for thread in self._threads:
            thread.start()
        return info

    def _start_voice(self) -> None:
        assert self.audio_source is not None
        self.audio_info = self.audio_source.start()
        self._started = True
        self._aq = queue.Queue(maxsize=0 if self.realtime else 64)
        self._threads = [
            threading.Thread(target=self._audio_loop, name="capture-audio", daemon=True),
            threading.Thread(target=self._encode_voice_loop, name="capture-encode",
                             daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Ask the take to end; returns at once. ``wait`` gives the result."""
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._started and self._result is None and any(
            thread.is_alive() for thread in self._threads
        )

    def wait(self, timeout: float | None = None) -> RecordingResult:
        """Block until the take has ended and the file is complete."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(remaining)
            if thread.is_alive():
                raise TimeoutError("the recorder did not finish in time")
        if self._result is None:
            self._result = RecordingResult(
                duration_s=self._duration,
                frames=self._frames,
                dropped_frames=self._dropped
                + int(getattr(self.frame_source, "dropped_frames", 0)),
                audio_samples=self._audio_samples,
                reason=self._reason or "stopped",
                error=self._error,
            )
        return self._result

    def _fail(self, reason: Reason, message: str) -> None:
        if self._reason is None or self._reason == "stopped":
            self._reason, self._error = reason, message
        self._stop.set()

    # --- worker threads -----------------------------------------------------------------

    def _to_video_frame(self, image: Any, info: StreamInfo) -> Any:
        """A yuv420p frame for the encoder (x264 wants even sizes: crop a stray pixel)."""
        import av

        width, height = info.width - info.width % 2, info.height - info.height % 2
        if (width, height) != (info.width, info.height):
            image = np.ascontiguousarray(image[:height, :width])
        converted = av.VideoFrame.from_ndarray(image, format="bgr24")
        return converted.reformat(format="yuv420p")

    def _video_loop(self) -> None:
        last_pts: float | None = None
        assert self.info is not None and self.frame_source is not None
        info = self.info
        try:
            while not self._stop.is_set():
                try:
                    frame = self.frame_source.read()
                except CaptureError as error:
                    self._fail("camera_lost", str(error))
                    break
                if frame is None:
                    if not self._stop.is_set():
                        self._fail("camera_lost", CAMERA_LOST)
                    break
                if last_pts is not None and frame.pts <= last_pts:
                    continue  # a camera repeating a timestamp; keep time moving forward
                if self._t0 is None:
                    self._t0 = frame.pts
                elapsed = frame.pts - self._t0
                if elapsed >= self.max_seconds - 1e-6:
                    if self._reason is None:
                        self._reason = "max_length"
                    self._stop.set()
                    break
                if frame.image.shape[:2] != (info.height, info.width):
                    self._fail("camera_lost", "The camera changed its picture size.")
                    break
                last_pts = frame.pts
                self._call(self.on_preview, frame)
                self._call(self.on_elapsed, elapsed)
                if self.realtime and self._vq.full():
                    self._dropped += 1  # the encoder is behind: drop, as a camera would
                    continue
                # Colour conversion here, not in the encoder thread, so the two overlap
                # (PyAV lets go of the GIL while it converts and encodes).
                item = (elapsed, self._to_video_frame(frame.image, info))
                if self.realtime:
                    try:
                        self._vq.put_nowait(item)
                    except queue.Full:
                        self._dropped += 1
                else:
                    while not self._put(self._vq, item):
                        if not self._encoder_alive():
                            return
        except Exception as error:
            log.exception("video capture failed")
            self._fail("error", f"The recording stopped: {error}")
        finally:
            self._video_done.set()
            self.frame_source.close()
            self._vq.put(_END)

    def _encoder_alive(self) -> bool:
        return len(self._threads) > 1 and self._threads[1].is_alive()

    def _put(self, target: queue.Queue[Any], item: Any) -> bool:
        try:
            target.put(item, timeout=0.2)
            return True
        except queue.Full:
            return False

    def _audio_loop(self) -> None:
        assert self.audio_source is not None
        try:
            while not self._audio_enough.is_set():
                if self.voice_only and self._stop.is_set():
                    break  # a voice answer ends where its sound ends
                try:
                    chunk = self.audio_source.read(0.1)
                except CaptureError as error:
                    log.warning("microphone lost mid-take: %s", error)
                    if self.voice_only:
                        self._fail("error", str(error) or MIC_LOST)
                    # Losing the microphone should not lose the pictures: go on silently.
                    break
                if chunk is None:
                    continue
                self._call(self.on_level, level_of(chunk.samples))
                if self.realtime:
                    self._aq.put(chunk)
                else:
                    while not self._put(self._aq, chunk):
                        if self._audio_enough.is_set() or not self._encoder_alive():
                            return
        except Exception as error:
            log.exception("audio capture failed; the take goes on without sound")
            if self.voice_only:
                self._fail("error", f"The recording stopped: {error}")
        finally:
            if self.voice_only:
                self._aq.put(_END)

    def _call(self, callback: Callable[[Any], None] | None, value: Any) -> None:
        if callback is None:
            return
        try:
            callback(value)
        except Exception:
            log.exception("capture callback failed")

    # --- encoder ------------------------------------------------------------------------

    def _encode_loop(self) -> None:
        try:
            self._encode()
        except Exception as error:
            log.exception("encoding failed")
            self._fail("error", f"The recording could not be written: {error}")
            # Let the capture threads finish.
            while True:
                try:
                    if self._vq.get(timeout=1.0) is _END:
                        break
                except queue.Empty:
                    if self._video_done.is_set():
                        break
        finally:
            self._audio_enough.set()
            if self.audio_source is not None:
                try:
                    self.audio_source.stop()
                except Exception:
                    log.exception("stopping the audio source failed")

    def _encode(self) -> None:
        import av

        assert self.info is not None
        info = self.info
        container = av.open(
            self.out, mode="w", format="mp4",
            container_options={"movflags": MOVFLAGS},
        )
        try:
            rate = Fraction(info.fps).limit_denominator(1001)
            video: Any = container.add_stream(VIDEO_CODEC, rate=rate)
            video.width = info.width - info.width % 2
            video.height = info.height - info.height % 2
            video.pix_fmt = "yuv420p"
            video.codec_context.time_base = VIDEO_TIME_BASE
            video.time_base = VIDEO_TIME_BASE
            keyint = max(1, round(info.fps * KEYFRAME_SECONDS))
            video.codec_context.options = {
                "preset": X264_PRESET,
                "crf": str(X264_CRF),
                "maxrate": str(VIDEO_MAXRATE_BPS),
                "bufsize": str(VIDEO_MAXRATE_BPS * 2),
                # a keyframe (and so a fragment) every second, and no extra ones
                "x264-params": f"keyint={keyint}:min-keyint={keyint}:scenecut=0",
            }
            video.codec_context.thread_count = 0
            audio_enc = None
            if self.audio_info is not None:
                audio_enc = _AudioEncoder(container, self.audio_info)
            frame_ticks = round(1 / (info.fps * VIDEO_TIME_BASE))
            last_pts = -1
            last_frame_pts = 0.0

            def mux_video(packets: list[Any]) -> None:
                for packet in packets:
                    packet.duration = frame_ticks
                    container.mux(packet)
                    if packet.is_keyframe:
                        _flush(self.out)

            while True:
                item = self._vq.get()
                if item is _END:
                    break
                relative, vframe = item
                pts = round(relative / VIDEO_TIME_BASE)
                if pts <= last_pts:
                    continue
                last_pts = pts
                last_frame_pts = relative
                vframe.pts = pts
                vframe.time_base = VIDEO_TIME_BASE
                mux_video(video.encode(vframe))
                self._frames += 1
                self._duration = relative + 1.0 / info.fps
                if audio_enc is not None:
                    self._feed_audio(audio_enc, until=relative, wait=not self.realtime)
            mux_video(video.encode(None))
            if audio_enc is not None and self._t0 is not None:
                end = last_frame_pts + 1.0 / info.fps
                self._feed_audio(audio_enc, until=end, wait=True, patience=0.5)
                audio_enc.finish(end)
                self._audio_samples = audio_enc.samples
        finally:
            container.close()
            _flush(self.out)

    def _encode_voice_loop(self) -> None:
        try:
            self._encode_voice()
        except Exception as error:
            log.exception("encoding a voice answer failed")
            self._fail("error", f"The recording could not be written: {error}")
        finally:
            self._audio_enough.set()
            self._stop.set()  # the audio thread ends and puts the end marker
            while self._threads[0].is_alive():
                with contextlib.suppress(queue.Empty):
                    self._aq.get(timeout=0.2)  # unblock a bounded queue's writer
            if self.audio_source is not None:
                try:
                    self.audio_source.stop()
                except Exception:
                    log.exception("stopping the audio source failed")

    def _encode_voice(self) -> None:
        """AAC alone, timed from the first chunk heard, up to ``max_seconds``."""
        import av

        assert self.audio_info is not None
        container = av.open(
            self.out, mode="w", format="mp4",
            container_options={"movflags": VOICE_MOVFLAGS,
                               "frag_duration": str(VOICE_FRAGMENT_US)},
        )
        try:
            encoder = _AudioEncoder(container, self.audio_info)
            end = 0.0
            flushed_at = 0.0
            while True:
                chunk = self._aq.get()
                if chunk is _END:
                    break
                if self._t0 is None:
                    self._t0 = chunk.pts
                start = chunk.pts - self._t0
                if start >= self.max_seconds - 1e-6:
                    if self._reason is None:
                        self._reason = "max_length"
                    self._stop.set()
                    continue  # drain what is queued; the audio thread ends soon
                encoder.add(chunk, self._t0)
                end = min(self.max_seconds, start + len(chunk.samples) / encoder.rate)
                self._duration = end
                self._call(self.on_elapsed, end)
                if end - flushed_at >= 1.0:
                    flushed_at = end
                    _flush(self.out)
            if self._t0 is not None:
                encoder.finish(end)
                self._audio_samples = encoder.samples
        finally:
            container.close()
            _flush(self.out)

    def _feed_audio(self, encoder: _AudioEncoder, until: float, wait: bool,
                    patience: float = 1.0) -> None:
        """Encode the audio captured up to ``until`` seconds into the take."""
        assert self._t0 is not None
        deadline = time.monotonic() + patience
        while encoder.next_time < until:
            try:
                if wait:
                    chunk = self._aq.get(timeout=max(0.0, deadline - time.monotonic()))
                else:
                    chunk = self._aq.get_nowait()
            except queue.Empty:
                return
            encoder.add(chunk, self._t0)


def _flush(out: BinaryIO) -> None:
    flush = getattr(out, "flush", None)
    if flush is not None:
        with contextlib.suppress(OSError, ValueError):
            flush()


class _AudioEncoder:
    """Places captured audio on the take's timeline by its capture time and encodes it in
    AAC-sized frames. Small jitter is absorbed; real gaps become silence and overlaps are
    dropped, so the sound never drifts from the pictures."""

    TOLERANCE_S = 0.03
    HOLD_BACK = 4096

    def __init__(self, container: Any, info: AudioInfo) -> None:
        import av

        self._av = av
        self.rate = info.sample_rate
        self.channels = min(2, max(1, info.channels))  # AAC here: mono or stereo
        self.stream = container.add_stream(AUDIO_CODEC, rate=info.sample_rate)
        self.stream.layout = "mono" if self.channels == 1 else "stereo"
        self.stream.bit_rate = AUDIO_BITRATE_BPS
        self.stream.time_base = Fraction(1, info.sample_rate)
        self.container = container
        self.frame_size = 1024
        self._buffer = np.zeros((0, info.channels), dtype=np.float32)
        self._written = 0  # samples handed to the encoder
        self.samples = 0

    @property
    def next_time(self) -> float:
        return (self._written + len(self._buffer)) / self.rate

    def add(self, chunk: AudioChunk, t0: float) -> None:
        samples = chunk.samples
        if samples.ndim == 1:
            samples = samples[:, None]
        if samples.shape[1] > self.channels:
            samples = samples[:, : self.channels]
        elif samples.shape[1] < self.channels:
            samples = np.repeat(samples[:, :1], self.channels, axis=1)
        start = round((chunk.pts - t0) * self.rate)
        expected = self._written + len(self._buffer)
        tolerance = int(self.TOLERANCE_S * self.rate)
        if start > expected + tolerance:
            silence = np.zeros((start - expected, self.channels), dtype=np.float32)
            samples = np.concatenate([silence, samples])
        elif start < expected - tolerance or start < 0:
            skip = expected - start if start >= 0 else max(expected - start, -start)
            samples = samples[min(skip, len(samples)):]
        if len(samples):
            self._buffer = np.concatenate([self._buffer, samples.astype(np.float32)])
        self._encode_full_frames()

    def _encode_full_frames(self, final: bool = False) -> None:
        # Hold back a little, so that ``finish`` can still trim to the last frame's end.
        keep = 0 if final else self.HOLD_BACK
        while len(self._buffer) >= self.frame_size + keep or (final and len(self._buffer)):
            take = self._buffer[: self.frame_size]
            self._buffer = self._buffer[len(take):]
            frame = self._av.AudioFrame.from_ndarray(
                np.ascontiguousarray(take.T), format="fltp", layout=self.stream.layout.name
            )
            frame.sample_rate = self.rate
            frame.pts = self._written
            frame.time_base = Fraction(1, self.rate)
            self._written += len(take)
            for packet in self.stream.encode(frame):
                self.container.mux(packet)

    def finish(self, end: float) -> None:
        """Pad or trim to ``end`` seconds (the end of the last frame), then flush."""
        target = round(end * self.rate)
        have = self._written + len(self._buffer)
        if have < target:
            pad = np.zeros((target - have, self.channels), dtype=np.float32)
            self._buffer = np.concatenate([self._buffer, pad])
        elif have > target:
            self._buffer = self._buffer[: max(0, target - self._written)]
        self._encode_full_frames(final=True)
        for packet in self.stream.encode(None):
            self.container.mux(packet)
        self.samples = self._written
