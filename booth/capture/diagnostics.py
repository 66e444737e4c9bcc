"""Camera and microphone checks for ``booth doctor``, and measuring a take's A/V sync."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from booth.capture.audio import AudioSource, SilenceSource, level_of
from booth.capture.camera import list_cameras as _list_cameras
from booth.capture.devices import open_audio_source, open_frame_source
from booth.capture.recorder import Recorder
from booth.capture.sources import (
    CaptureError,
    FrameSource,
    flash_columns,
    flash_rows,
)
from booth.probe import Probe

log = logging.getLogger(__name__)

__all__ = [
    "MediaFacts",
    "list_cameras",
    "list_microphones",
    "measure_av_offsets",
    "media_facts",
    "probe_camera",
    "probe_microphone",
]

PROBE_SECONDS = 1.0


def list_cameras() -> list[tuple[int, str]]:
    """(index, name) of the cameras this machine has."""
    return _list_cameras()


def list_microphones() -> list[tuple[int, str]]:
    """(index, name) of the microphones PortAudio sees."""
    from booth.capture.audio import list_microphones as _list

    return _list()


def probe_camera(spec: str, seconds: float = PROBE_SECONDS) -> Probe:
    """Record ``seconds`` from the camera ``spec`` names into memory, with the recorder
    the kiosk uses, and report what it gave."""
    try:
        source: FrameSource = open_frame_source(spec)
        buffer = io.BytesIO()
        recorder = Recorder(source, SilenceSource(), buffer, seconds)
        info = recorder.start()
        assert info is not None  # a camera take has a picture size
        result = recorder.wait(timeout=seconds + 20)
    except CaptureError as error:
        return Probe("camera", False, str(error))
    except Exception as error:
        log.exception("camera check failed")
        return Probe("camera", False, f"The camera check failed: {error}")
    if result.reason not in ("max_length", "stopped") or result.frames == 0:
        return Probe("camera", False, result.error or "The camera gave no pictures.")
    rate = result.frames / result.duration_s if result.duration_s else 0.0
    return Probe(
        "camera",
        True,
        f"{info.name}: {info.width}x{info.height}, {rate:.0f} pictures a second "
        f"(a {seconds:.0f} s test recording of {len(buffer.getvalue()) / 1e6:.1f} MB)",
    )


def probe_microphone(spec: str, seconds: float = PROBE_SECONDS) -> Probe:
    """Listen for ``seconds`` to the sound source ``spec`` names and report its level."""
    source: AudioSource | None = None
    try:
        source = open_audio_source(spec)
        info = source.start()
        levels: list[float] = []
        heard = 0
        while heard < seconds * info.sample_rate:
            chunk = source.read(timeout=1.0)
            if chunk is None:
                return Probe("microphone", False, "The microphone sends no sound.")
            heard += len(chunk.samples)
            levels.append(level_of(chunk.samples))
    except CaptureError as error:
        return Probe("microphone", False, str(error))
    except Exception as error:
        log.exception("microphone check failed")
        return Probe("microphone", False, f"The microphone check failed: {error}")
    finally:
        if source is not None:
            source.stop()
    peak = max(levels, default=0.0)
    quiet = " (very quiet: is it muted?)" if peak < 0.05 and spec != "silence" else ""
    return Probe(
        "microphone",
        True,
        f"{info.name}: {info.sample_rate} Hz, {info.channels} channel(s), "
        f"loudest {peak * 100:.0f}% on the level meter{quiet}",
    )


# --- measuring a recorded take -----------------------------------------------------------


@dataclass(frozen=True)
class MediaFacts:
    """What a decoder finds in a take."""

    video_codec: str | None
    audio_codec: str | None
    width: int
    height: int
    frames: int
    video_duration_s: float
    audio_duration_s: float
    audio_samples: int
    first_video_s: float
    first_audio_s: float


def _open(media: str | Path | bytes | BinaryIO) -> Any:
    import av

    if isinstance(media, bytes):
        media = io.BytesIO(media)
    return av.open(media if not isinstance(media, Path) else str(media))


def media_facts(media: str | Path | bytes | BinaryIO) -> MediaFacts:
    """Decode every frame of a take (tolerating a cut-off end) and describe it."""
    import av

    container = _open(media)
    try:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        frames = 0
        samples = 0
        v_first: float | None = None
        v_last = 0.0
        a_first: float | None = None
        a_end = 0.0
        rate = float(video.average_rate or 30) if video is not None else 30.0
        try:
            for packet in container.demux():
                for decoded in packet.decode():
                    if decoded.time is None:
                        continue
                    if isinstance(decoded, av.VideoFrame):
                        frames += 1
                        v_first = decoded.time if v_first is None else min(v_first, decoded.time)
                        v_last = max(v_last, decoded.time)
                    elif isinstance(decoded, av.AudioFrame):
                        samples += decoded.samples
                        a_first = decoded.time if a_first is None else min(a_first, decoded.time)
                        a_end = max(a_end, decoded.time + decoded.samples / decoded.sample_rate)
        except av.FFmpegError as error:
            log.info("decoding stopped early (a cut-off take?): %s", error)
        return MediaFacts(
            video_codec=video.codec_context.name if video is not None else None,
            audio_codec=audio.codec_context.name if audio is not None else None,
            width=video.codec_context.width if video is not None else 0,
            height=video.codec_context.height if video is not None else 0,
            frames=frames,
            video_duration_s=(v_last - (v_first or 0.0) + 1.0 / rate) if frames else 0.0,
            audio_duration_s=a_end - (a_first or 0.0) if samples else 0.0,
            audio_samples=samples,
            first_video_s=v_first or 0.0,
            first_audio_s=a_first or 0.0,
        )
    finally:
        container.close()


def _flash_times(container: Any) -> list[float]:
    """Start times of runs of frames whose top-right corner is (nearly) white."""
    times: list[float] = []
    was_white = False
    for decoded in container.decode(video=0):
        if decoded.time is None:
            continue
        small = decoded.to_ndarray(format="gray", width=64, height=36)
        corner = small[: flash_rows(36), 64 - flash_columns(64) :]
        white = float(np.mean(corner)) > 235.0
        if white and not was_white:
            times.append(float(decoded.time))
        was_white = white
    return times


def _beep_onsets(container: Any, threshold: float = 0.3, quiet_s: float = 0.3) -> list[float]:
    """Times where the sound first rises above ``threshold`` after ``quiet_s`` of quiet."""
    onsets: list[float] = []
    last_loud = -1e9
    for decoded in container.decode(audio=0):
        if decoded.time is None:
            continue
        samples = np.abs(decoded.to_ndarray()).max(axis=0)
        loud = np.flatnonzero(samples > threshold)
        if loud.size == 0:
            continue
        times = float(decoded.time) + loud / decoded.sample_rate
        gaps = np.diff(np.concatenate([[last_loud], times]))
        onsets.extend(float(t) for t in times[gaps > quiet_s])
        last_loud = float(times[-1])
    return onsets


def measure_av_offsets(media: str | Path | bytes, pair_within_s: float = 0.5) -> list[float]:
    """For a take of the synthetic sources, the offset in milliseconds of each beep from
    its white flash (positive: the sound comes late)."""
    container = _open(media)
    try:
        flashes = _flash_times(container)
    finally:
        container.close()
    container = _open(media)
    try:
        onsets = _beep_onsets(container)
    finally:
        container.close()
    offsets: list[float] = []
    for flash in flashes:
        nearest = min(onsets, key=lambda onset: abs(onset - flash), default=None)
        if nearest is not None and abs(nearest - flash) <= pair_within_s:
            offsets.append((nearest - flash) * 1000.0)
    return offsets
