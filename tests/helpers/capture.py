"""Fakes for capture tests: a dying camera, a write-only stream, a stand-in VideoCapture,
cameras and files that wait until the test lets them go on, cameras that can be unplugged
and plugged back in, and waits on events."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from booth.capture.audio import ToneSource
from booth.capture.recorder import Recorder
from booth.capture.sources import (
    CAMERA_LOST,
    CAMERA_MISSING,
    CaptureError,
    Frame,
    FrameSource,
    StreamInfo,
    SyntheticFrameSource,
)

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from booth.capture.qt import CaptureController

#: How long a held camera or file waits for the test before going on by itself, so a
#: test that never lets it go fails instead of hanging.
HOLD_LIMIT_S = 10.0


class NonSeekableWriter(io.RawIOBase):
    """A write-only stream that cannot seek or tell, like an encrypting stream or a pipe."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = bytearray()
        self.writes = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.buffer.extend(chunk)
        self.writes += 1
        return len(chunk)

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation("seek")

    def tell(self) -> int:
        raise io.UnsupportedOperation("tell")


class DyingFrameSource:
    """Passes frames through from ``inner`` and then fails like an unplugged camera:
    ``how="raise"`` raises CaptureError, ``how="none"`` returns None."""

    def __init__(self, inner: FrameSource, frames: int, how: str = "raise") -> None:
        self.inner = inner
        self.frames = frames
        self.how = how
        self.given = 0
        self.closed = False

    def open(self) -> StreamInfo:
        return self.inner.open()

    def read(self) -> Frame | None:
        if self.given >= self.frames:
            if self.how == "raise":
                raise CaptureError(CAMERA_LOST)
            return None
        self.given += 1
        return self.inner.read()

    def close(self) -> None:
        self.closed = True
        self.inner.close()


class FakeVideoCapture:
    """Stands in for ``cv2.VideoCapture`` (CI has no camera): ``opened=False`` is a
    missing camera, ``frames=0`` one that opens but never gives a picture (busy)."""

    def __init__(self, opened: bool = True, frames: int = 1_000_000,
                 size: tuple[int, int] = (640, 480)) -> None:
        self.opened = opened
        self.frames = frames
        self.size = size
        self.released = False

    def isOpened(self) -> bool:  # OpenCV's name
        return self.opened and not self.released

    def read(self) -> tuple[bool, Any]:
        if self.frames <= 0 or self.released:
            return False, None
        self.frames -= 1
        width, height = self.size
        return True, np.full((height, width, 3), 90, dtype=np.uint8)

    def get(self, prop: int) -> float:
        return 30.0

    def set(self, prop: int, value: float) -> bool:
        return True

    def release(self) -> None:
        self.released = True


def record_synthetic(out: BinaryIO, seconds: float, size: tuple[int, int] = (320, 240),
                     fps: float = 30.0, paced: bool = False) -> Any:
    """Record ``seconds`` of the synthetic sources into ``out``; return the result."""
    recorder = Recorder(
        SyntheticFrameSource(size, fps, paced=paced),
        ToneSource(paced=paced),
        out,
        seconds,
        realtime=paced,
    )
    recorder.start()
    return recorder.wait(timeout=60)


def write_sample_video(path: Path, seconds: float, size: tuple[int, int] = (320, 240),
                       fps: int = 30) -> Path:
    """A small H.264 file of the synthetic pattern, as a demo video would be."""
    with path.open("wb") as out:
        record_synthetic(out, seconds, size, float(fps))
    return path


class HalfWhiteSource(SyntheticFrameSource):
    """Left half black, right half white: shows whether a preview is mirrored."""

    def render(self, index: int) -> Any:
        width, height = self.size
        image = np.zeros((height, width, 3), dtype=np.uint8)
        image[:, width // 2 :] = 255
        return image


class SlowOpeningSource(SyntheticFrameSource):
    """A camera that takes its time to open, as real ones can: ``open`` waits until the
    test calls ``finish_opening`` (or ``HOLD_LIMIT_S`` has passed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opening = threading.Event()
        self.opened = threading.Event()
        self._may_open = threading.Event()

    def finish_opening(self) -> None:
        self._may_open.set()

    def open(self) -> StreamInfo:
        self.opening.set()
        self._may_open.wait(HOLD_LIMIT_S)
        info = super().open()
        self.opened.set()
        return info


class FullDiskWriter(io.RawIOBase):
    """A file that fails like a full disk once ``room`` bytes have been written."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        size = len(bytes(data))
        if self.written + size > self.room:
            raise OSError(28, "No space left on device")
        self.written += size
        return size


class GappyToneSource(ToneSource):
    """A tone whose chunks between ``gap_from`` and ``gap_to`` seconds of the clock are
    lost (a microphone glitch): later sound must still land at its capture time."""

    def __init__(self, gap_from: float, gap_to: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gap = (gap_from, gap_to)
        self.lost = 0

    def read(self, timeout: float) -> Any:
        while True:
            chunk = super().read(timeout)
            if chunk is None or not self.gap[0] <= chunk.pts < self.gap[1]:
                return chunk
            self.lost += 1


NULL_ALSA_CONFIG = "pcm.!default {\n    type null\n}\n"


class StuckCameraSource(SyntheticFrameSource):
    """A camera whose reads wait (a driver waiting on hardware) until the test calls
    ``unstick`` (or ``HOLD_LIMIT_S`` has passed); ``stuck`` is set once a read waits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stuck = threading.Event()
        self._unstuck = threading.Event()
        self.closed_by: str | None = None

    def unstick(self) -> None:
        self._unstuck.set()

    def read(self) -> Any:
        if not self._unstuck.is_set():
            self.stuck.set()
            self._unstuck.wait(HOLD_LIMIT_S)
        return super().read()

    def close(self) -> None:
        self.closed_by = threading.current_thread().name
        super().close()


class HeldWriter(io.BytesIO):
    """A file on a slow disk: after ``hold()`` every write waits until ``release()`` (or
    ``HOLD_LIMIT_S``, which sets ``gave_up``); ``waiting`` is set once a write waits."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()
        self.gave_up = False
        self._released = threading.Event()
        self._released.set()

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def write(self, data: Any) -> int:
        if not self._released.is_set():
            self.waiting.set()
            if not self._released.wait(HOLD_LIMIT_S):
                self.gave_up = True
        return super().write(data)


def busy_until(condition: Callable[[], bool], limit: float = HOLD_LIMIT_S) -> None:
    """Keep the calling (GUI) thread busy, running no Qt events, until ``condition()``
    holds, as a screen that is slow to draw would; ``limit`` only fails a hung test."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


def wait_until_recorded(qtbot: QtBot, capture: CaptureController, seconds: float) -> None:
    """Return once the take in progress has ``seconds`` of video (the controller says so
    with ``elapsed``), however long this machine takes to get there."""
    qtbot.waitSignal(capture.elapsed, timeout=round(seconds * 1000) + 20_000,
                     check_params_cb=lambda elapsed: elapsed >= seconds).wait()


class UnpluggableCamera(SyntheticFrameSource):
    """A camera a test can unplug and plug back in: unplugged, a read fails as a lost
    camera's does and opening fails as a missing one's; plugged back, it opens and gives
    pictures again. ``opens`` counts the times it was opened."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plugged = threading.Event()
        self.plugged.set()
        self.opens = 0

    def unplug(self) -> None:
        self.plugged.clear()

    def replug(self) -> None:
        self.plugged.set()

    def open(self) -> StreamInfo:
        if not self.plugged.is_set():
            raise CaptureError(CAMERA_MISSING)
        self.opens += 1
        return super().open()

    def read(self) -> Frame | None:
        if not self.plugged.is_set():
            raise CaptureError(CAMERA_LOST)
        return super().read()


class UnpluggableVideoCapture:
    """What ``cv2.VideoCapture`` does for a USB camera that is unplugged and plugged back:
    while ``plugged`` is clear, reads fail and a new capture does not open. Hand
    ``factory`` to ``OpenCVCameraSource(capture_factory=...)``."""

    def __init__(self, size: tuple[int, int] = (320, 240)) -> None:
        self.size = size
        self.plugged = threading.Event()
        self.plugged.set()
        self.made = 0

    def factory(self, index: int) -> FakeVideoCapture:
        self.made += 1
        camera = self

        class Capture(FakeVideoCapture):
            def isOpened(self) -> bool:  # OpenCV's name
                return camera.plugged.is_set() and super().isOpened()

            def read(self) -> tuple[bool, Any]:
                if not camera.plugged.is_set():
                    time.sleep(0.001)  # a real driver waits a little before failing
                    return False, None
                time.sleep(1 / 60)
                return super().read()

        return Capture(size=self.size)
