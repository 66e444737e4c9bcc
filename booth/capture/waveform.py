"""A take's sound as a short row of peaks, for the waveform a voice answer shows on review."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

Envelope = npt.NDArray[np.float32]


def peak_envelope(media: bytes | Path | BinaryIO, points: int = 200) -> Envelope:
    """The loudest sample (0..1, all channels) in each of ``points`` equal slices of the
    take's sound, in order; all zeros for a take with no sound.

    The take is decoded one audio frame at a time and only each frame's peak is kept, so
    a long answer costs a few kilobytes here, not its whole sound in memory."""
    import av

    if points < 1:
        raise ValueError("points must be at least 1")
    source: str | BinaryIO = str(media) if isinstance(media, Path) else (
        io.BytesIO(media) if isinstance(media, bytes) else media)
    peaks: list[float] = []
    lengths: list[int] = []
    with av.open(source, mode="r") as container:
        if not container.streams.audio:
            return np.zeros(points, dtype=np.float32)
        try:
            for frame in container.decode(audio=0):
                samples = frame.to_ndarray()
                if samples.size:
                    peaks.append(float(np.abs(samples).max()))
                    lengths.append(frame.samples)
        except av.FFmpegError:
            pass  # a cut-off take: show what there is
    if not peaks:
        return np.zeros(points, dtype=np.float32)
    # A slice holds the peaks of the frames that start in it, and at least the peak of
    # the frame covering its start (a short take has fewer frames than slices).
    frame_peaks = np.clip(np.asarray(peaks, dtype=np.float32), 0.0, 1.0)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    total = int(sum(lengths))
    envelope = np.zeros(points, dtype=np.float32)
    np.maximum.at(envelope, np.minimum((starts * points) // total, points - 1), frame_peaks)
    covering = np.searchsorted(starts, np.arange(points) * total / points, side="right") - 1
    result: Envelope = np.maximum(envelope, frame_peaks[covering])
    return result
