"""The OpenCV camera: the only module that imports ``cv2``."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from booth.capture import sources
from booth.capture.sources import (
    CAMERA_BUSY,
    CAMERA_LOST,
    CAMERA_MISSING,
    CaptureError,
    Frame,
    StreamInfo,
)

log = logging.getLogger(__name__)

#: Consecutive failed reads before a camera counts as unplugged (a few glitches are normal).
LOST_AFTER_FAILED_READS = 15
#: Reads tried after opening before a silent camera counts as busy.
FIRST_FRAME_TRIES = 20


def _cv2() -> Any:
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    import cv2

    return cv2


def _linux_camera_names() -> dict[int, str]:
    names: dict[int, str] = {}
    for entry in sorted(Path("/sys/class/video4linux").glob("video*")):
        try:
            index = int(entry.name.removeprefix("video"))
            names[index] = (entry / "name").read_text(encoding="utf-8").strip()
        except (ValueError, OSError):
            continue
    return names


def list_cameras(max_index: int = 8) -> list[tuple[int, str]]:
    """(index, name) of the cameras this machine has. On Linux this reads the device list
    without opening anything; elsewhere it tries indices 0..max_index-1."""
    if sys.platform.startswith("linux"):
        return sorted(_linux_camera_names().items())
    cv2 = _cv2()
    found: list[tuple[int, str]] = []
    for index in range(max_index):
        capture = cv2.VideoCapture(index)
        try:
            if capture.isOpened():
                found.append((index, f"camera {index}"))
        finally:
            capture.release()
    return found


CaptureFactory = Callable[[int], Any]


class OpenCVCameraSource:
    """A camera by index or by (part of) its name. Asks for ``size`` at ``fps`` and
    reports what the camera really gives. ``capture_factory`` builds the
    ``cv2.VideoCapture`` (tests pass a stand-in, as CI has no camera)."""

    def __init__(self, camera: int | str = 0, size: tuple[int, int] = (1280, 720),
                 fps: float = 30.0, capture_factory: CaptureFactory | None = None) -> None:
        self.camera = camera
        self.size = size
        self.fps = fps
        self._factory = capture_factory
        self._capture: Any = None
        self._lock = threading.Lock()
        self._pending: Frame | None = None
        self._name = str(camera)

    def _resolve_index(self) -> int:
        if isinstance(self.camera, int):
            return self.camera
        wanted = self.camera.casefold()
        for index, name in list_cameras():
            if wanted in name.casefold():
                self._name = name
                return index
        raise CaptureError(f"No camera called {self.camera!r} was found. {CAMERA_MISSING}")

    def open(self) -> StreamInfo:
        index = self._resolve_index()
        if self._factory is not None:
            capture = self._factory(index)
        else:
            cv2 = _cv2()
            capture = cv2.VideoCapture(index)
        if not capture.isOpened():
            capture.release()
            raise CaptureError(CAMERA_MISSING)
        if self._factory is None:
            cv2 = _cv2()
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
            capture.set(cv2.CAP_PROP_FPS, self.fps)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        # A camera another program holds opens but never gives a picture.
        first = None
        for _ in range(FIRST_FRAME_TRIES):
            ok, image = capture.read()
            if ok and image is not None:
                first = image
                break
        if first is None:
            capture.release()
            raise CaptureError(CAMERA_BUSY)
        self._capture = capture
        self._pending = Frame(np.ascontiguousarray(first), sources.monotonic())
        height, width = first.shape[:2]
        fps = float(capture.get(5) or 0.0) or self.fps  # 5 == cv2.CAP_PROP_FPS
        if (width, height) != self.size:
            log.info("camera %s gives %dx%d, not the %dx%d asked for",
                     self._name, width, height, *self.size)
        return StreamInfo(int(width), int(height), fps, f"camera {self._name}")

    def read(self) -> Frame | None:
        with self._lock:
            if self._capture is None:
                return None
            if self._pending is not None:
                frame, self._pending = self._pending, None
                return frame
            for _ in range(LOST_AFTER_FAILED_READS):
                ok, image = self._capture.read()
                if ok and image is not None:
                    if image.ndim == 2:
                        image = np.repeat(image[:, :, None], 3, axis=2)
                    return Frame(np.ascontiguousarray(image[:, :, :3]), sources.monotonic())
            raise CaptureError(CAMERA_LOST)

    def close(self) -> None:
        with self._lock:
            capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()
