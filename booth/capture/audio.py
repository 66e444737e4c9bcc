"""Audio sources behind one interface: the microphone (PortAudio), a tone and silence."""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from booth.capture import sources
from booth.capture.sources import SYNC_PERIOD_S, CaptureError

log = logging.getLogger(__name__)

Samples = npt.NDArray[np.float32]

MIC_MISSING = "No microphone was found. Check that it is plugged in."
MIC_BUSY = "The microphone cannot be opened. Another program may be using it."
MIC_LOST = "The microphone stopped sending sound. Check that it is still plugged in."

SAMPLE_RATE = 48_000
CHUNK_SAMPLES = 1024
BEEP_SECONDS = 0.1


@dataclass(frozen=True)
class AudioChunk:
    """``samples`` is float32 in -1..1, shape (n, channels); ``pts`` is the capture time
    of the first sample, in seconds on the same monotonic clock as frames."""

    samples: Samples
    pts: float


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    name: str


class AudioSource(Protocol):
    """``read`` waits up to ``timeout`` seconds and returns ``None`` when nothing came in
    that time; a failed device raises ``CaptureError``."""

    def start(self) -> AudioInfo: ...

    def read(self, timeout: float) -> AudioChunk | None: ...

    def stop(self) -> None: ...


def level_of(samples: Samples) -> float:
    """A level-meter reading 0..1 for a chunk: RMS in dBFS mapped from -60..0."""
    if samples.size == 0:
        return 0.0
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    if rms <= 1e-6:
        return 0.0
    return min(1.0, max(0.0, (20.0 * math.log10(rms) + 60.0) / 60.0))


def open_sources(
    frame_source: sources.FrameSource, audio_source: AudioSource | None
) -> tuple[sources.StreamInfo, AudioInfo | None]:
    """Open the camera, then start the microphone (if any); the camera is closed again
    when the microphone fails to start."""
    info = frame_source.open()
    try:
        audio_info = audio_source.start() if audio_source else None
    except BaseException:
        frame_source.close()
        raise
    return info, audio_info


class ToneSource:
    """A quiet hum with a loud beep at every :data:`SYNC_PERIOD_S` of the shared clock,
    the instants :class:`SyntheticFrameSource` flashes white (a demo microphone).

    ``paced=False`` hands out chunks as fast as they are read, on a virtual clock
    starting at ``start`` (for benchmarks)."""

    def __init__(self, sample_rate: int = SAMPLE_RATE, *, paced: bool = True,
                 start: float = 0.0, hum: float = 0.05, beep: float = 0.5,
                 beeps: bool = True, name: str = "tone") -> None:
        self.sample_rate = sample_rate
        self.paced = paced
        self.hum = hum
        self.beep = beep
        self.beeps = beeps
        self.name = name
        self._start = start
        self._next = 0
        self._stopped = threading.Event()

    def start(self) -> AudioInfo:
        origin = sources.monotonic() if self.paced else self._start
        self._next = math.ceil(origin * self.sample_rate)
        self._stopped.clear()
        return AudioInfo(self.sample_rate, 1, self.name)

    def read(self, timeout: float) -> AudioChunk | None:
        if self._stopped.is_set():
            return None
        first = self._next
        if self.paced:
            # A chunk is ready once its last sample has been "heard".
            ready = (first + CHUNK_SAMPLES) / self.sample_rate
            wait = ready - sources.monotonic()
            if wait > timeout:
                self._stopped.wait(timeout)
                return None
            if wait > 0 and self._stopped.wait(wait):
                return None
        self._next += CHUNK_SAMPLES
        return AudioChunk(self.render(first, CHUNK_SAMPLES), first / self.sample_rate)

    def render(self, first: int, count: int) -> Samples:
        """Samples ``first .. first + count`` of the clock, as (count, 1) float32."""
        index = np.arange(first, first + count, dtype=np.int64)
        seconds = index / self.sample_rate
        wave = self.hum * np.sin(2 * np.pi * 220.0 * seconds)
        if self.beeps:
            period_samples = SYNC_PERIOD_S * self.sample_rate
            into_period = index - np.floor(index / period_samples) * period_samples
            beeping = into_period < BEEP_SECONDS * self.sample_rate
            wave = np.where(beeping, self.beep * np.sin(2 * np.pi * 1000.0 * seconds), wave)
        return wave.astype(np.float32).reshape(count, 1)

    def stop(self) -> None:
        self._stopped.set()


class SilenceSource(ToneSource):
    """Silence on the shared clock: for kiosks without a microphone, and tests."""

    def __init__(self, sample_rate: int = SAMPLE_RATE, *, paced: bool = True,
                 start: float = 0.0) -> None:
        super().__init__(sample_rate, paced=paced, start=start, hum=0.0, beeps=False,
                         name="silence")


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as error:  # PortAudio library missing
        raise CaptureError(f"The sound system is not available: {error}") from error
    return sounddevice


def list_microphones() -> list[tuple[int, str]]:
    """(index, name) of every input device PortAudio sees; empty without one."""
    try:
        sd = _sounddevice()
        devices = sd.query_devices()
    except Exception as error:  # no sound system means no microphones
        log.info("cannot list microphones: %s", error)
        return []
    return [
        (index, str(device["name"]))
        for index, device in enumerate(devices)
        if int(device.get("max_input_channels", 0)) > 0
    ]


class MicrophoneSource:
    """A microphone through sounddevice. The PortAudio callback thread only copies the
    samples into a queue with their capture time; ``read`` drains that queue."""

    def __init__(self, device: int | str | None = None, sample_rate: int = SAMPLE_RATE,
                 channels: int = 1) -> None:
        self.device = device
        self.sample_rate = sample_rate
        self.channels = channels
        self._queue: queue.Queue[AudioChunk | BaseException] = queue.Queue(maxsize=500)
        self._stream: Any = None
        self._name = "microphone"

    def start(self) -> AudioInfo:
        sd = _sounddevice()
        if not list_microphones():
            raise CaptureError(MIC_MISSING)
        try:
            info = sd.query_devices(self.device, kind="input")
        except (ValueError, sd.PortAudioError) as error:
            raise CaptureError(MIC_MISSING) from error
        self._name = str(info["name"])

        def callback(indata: Any, frames: int, time_info: Any, status: Any) -> None:
            now = sources.monotonic()
            # How long ago the first sample reached the converter, on PortAudio's clock.
            latency = float(time_info.currentTime - time_info.inputBufferAdcTime)
            if not 0.0 <= latency < 1.0:
                latency = frames / self.sample_rate
            chunk = AudioChunk(np.array(indata, dtype=np.float32, copy=True), now - latency)
            # When the reader is stuck the chunk is lost; the recorder fills gaps with silence.
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(chunk)

        def finished() -> None:
            if self._stream is not None and not self._stream.stopped:
                self._queue.put(CaptureError(MIC_LOST))

        # 48 kHz first; some microphones only offer their own rate (often 44.1 kHz).
        rates = [self.sample_rate]
        default_rate = int(float(info.get("default_samplerate") or 0))
        if default_rate and default_rate != self.sample_rate:
            rates.append(default_rate)
        channels = max(1, min(self.channels, int(info.get("max_input_channels") or 1)))
        last_error: Exception | None = None
        for rate in rates:
            try:
                stream = sd.InputStream(
                    device=self.device, samplerate=rate, channels=channels,
                    dtype="float32", blocksize=CHUNK_SAMPLES, callback=callback,
                    finished_callback=finished,
                )
            except sd.PortAudioError as error:
                last_error = error
                continue
            self.sample_rate, self.channels = rate, channels
            self._stream = stream
            try:
                stream.start()
            except sd.PortAudioError as error:
                self._stream = None
                stream.close()
                last_error = error
                continue
            break
        else:
            log.warning("cannot open microphone %s: %s", self._name, last_error)
            raise CaptureError(MIC_BUSY) from last_error
        return AudioInfo(self.sample_rate, self.channels, self._name)

    def read(self, timeout: float) -> AudioChunk | None:
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
