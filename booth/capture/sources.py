"""Frame sources behind one small interface: camera, video file and a synthetic pattern."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]

#: The synthetic sources flash (video) and beep (audio) at every multiple of this many
#: seconds on the shared monotonic clock, so the A/V offset of a take can be measured.
SYNC_PERIOD_S = 1.0

#: How many frames late a paced synthetic source catches up rather than skips (a camera
#: driver holds about this many buffers).
CATCH_UP_FRAMES = 4

#: Shared clock for every source: frames and audio chunks carry timestamps from it.
monotonic: Callable[[], float] = time.monotonic


class CaptureError(Exception):
    """A capture device cannot be used; ``str(error)`` is a reason in plain words."""


# Reasons in plain words, shown to officers (doctor, officer panel) and logged.
CAMERA_MISSING = "No camera was found. Check that it is plugged in."
CAMERA_BUSY = "The camera is being used by another program. Close that program and try again."
CAMERA_LOST = "The camera stopped sending pictures. Check that it is still plugged in."


@dataclass(frozen=True)
class Frame:
    """One picture: ``image`` is height x width x 3 ``uint8`` in **BGR** order (what
    cameras and OpenCV give, so a camera frame needs no copy); ``pts`` is the capture time
    in seconds on :data:`monotonic`."""

    image: Image
    pts: float


@dataclass(frozen=True)
class StreamInfo:
    """What a frame source really gives once opened."""

    width: int
    height: int
    fps: float
    name: str


class FrameSource(Protocol):
    """A camera-like source. ``read`` blocks until the next frame; ``None`` means the
    source has ended (a file ran out, a camera went away); a ``CaptureError`` means the
    device failed with a reason."""

    def open(self) -> StreamInfo: ...

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


# --- a tiny bitmap font, so the synthetic clock needs no drawing library -----------------

_GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("111", "101", "101", "101", "111"),
    "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"),
    "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"),
    "7": ("111", "001", "010", "010", "010"),
    "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
    ":": ("0", "1", "0", "1", "0"),
    ".": ("0", "0", "0", "0", "1"),
    " ": ("0", "0", "0", "0", "0"),
}
_GLYPH_MASKS = {
    char: np.array([[c == "1" for c in row] for row in rows], dtype=bool)
    for char, rows in _GLYPHS.items()
}


def draw_text(image: Image, text: str, x: int, y: int, scale: int,
              colour: tuple[int, int, int] = (255, 255, 255)) -> None:
    """Draw digits, ':' and '.' into ``image`` in place, clipped to the picture."""
    height, width = image.shape[:2]
    for char in text:
        mask = _GLYPH_MASKS.get(char, _GLYPH_MASKS[" "])
        big = np.kron(mask, np.ones((scale, scale), dtype=bool))
        h, w = big.shape
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, width), min(y + h, height)
        if x1 > x0 and y1 > y0:
            region = image[y0:y1, x0:x1]
            region[big[y0 - y : y1 - y, x0 - x : x1 - x]] = colour
        x += w + scale


# --- a drawn face, so face blur can be shown and tested with no camera --------------------


def _ellipse(size: int, cx: float, cy: float, rx: float, ry: float) -> npt.NDArray[np.float32]:
    """((x - cx) / rx)^2 + ((y - cy) / ry)^2 over a size x size grid: <= 1 inside."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    result: npt.NDArray[np.float32] = ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2
    return result


def draw_face(size: int) -> Image:
    """A plain drawn face (BGR) with the shadow of hair behind it, ``size`` pixels square.

    Drawn with numpy only, in the proportions of a real face (eyes in sockets under brows,
    a shaded nose, a mouth, hair), so a real face detector finds it: the synthetic camera
    draws it when asked, which lets the demo and the tests show face blur working."""
    if size < 8:
        raise ValueError("a face needs at least 8 pixels")
    s = size / 100.0
    head = _ellipse(size, 50 * s, 52 * s, 34 * s, 44 * s)
    skin = np.array([120, 160, 210], dtype=np.float32)
    image = np.zeros((size, size, 3), dtype=np.float32)
    image[:] = (60, 70, 90)  # shadow of the hair behind the head
    shade = np.clip(1.1 - 0.35 * head, 0.0, 1.2)[..., None]
    image = np.where((head <= 1)[..., None], skin * shade, image)
    rows = np.arange(size, dtype=np.float32)[:, None] + np.zeros((1, size), np.float32)
    image[(_ellipse(size, 50 * s, 30 * s, 38 * s, 26 * s) <= 1) & (rows < 26 * s)] = (30, 35, 45)
    for eye_x in (36, 64):
        image[_ellipse(size, eye_x * s, 45 * s, 10 * s, 6 * s) <= 1] *= 0.75  # socket
        image[_ellipse(size, eye_x * s, 46 * s, 7 * s, 3.2 * s) <= 1] = (230, 235, 235)
        image[_ellipse(size, eye_x * s, 46 * s, 3.2 * s, 3.2 * s) <= 1] = (40, 30, 20)
        image[_ellipse(size, eye_x * s, 37 * s, 9 * s, 1.8 * s) <= 1] = (30, 35, 45)  # brow
    image[_ellipse(size, 50 * s, 57 * s, 3 * s, 9 * s) <= 1] *= 0.82  # the nose's shadow
    for nostril_x in (46, 54):
        image[_ellipse(size, nostril_x * s, 65 * s, 2.2 * s, 1.5 * s) <= 1] *= 0.5
    image[_ellipse(size, 50 * s, 76 * s, 10 * s, 2.6 * s) <= 1] = (70, 70, 150)
    return np.clip(image, 0, 255).astype(np.uint8)


def flash_rows(height: int) -> int:
    """The flashing corner is the top-right quarter (in height and width) of a frame."""
    return max(1, height // 4)


def flash_columns(width: int) -> int:
    return max(1, width // 4)


def is_flash_frame(index: int, fps: float, period: float = SYNC_PERIOD_S) -> bool:
    """True when the frame at ``index / fps`` seconds on the clock starts a sync period."""
    start = index / fps
    end = (index + 1) / fps
    eps = 1e-6
    first = math.ceil((start - eps) / period) * period
    return first < end - eps


class SyntheticFrameSource:
    """A moving colour pattern with a visible clock, any size and rate; a demo camera.

    Frames sit on a grid of ``k / fps`` seconds of the shared clock and the frame that
    starts each :data:`SYNC_PERIOD_S` has a white top-right corner, at the instant
    :class:`ToneSource` beeps. ``paced=False`` hands out frames as fast as they are read,
    on a virtual clock starting at ``start`` (for benchmarks). ``face=True`` draws a face
    (:func:`draw_face`) drifting slowly from side to side, where :meth:`face_box` says.
    """

    def __init__(self, size: tuple[int, int] = (1280, 720), fps: float = 30.0, *,
                 paced: bool = True, start: float = 0.0, flashes: bool = True,
                 face: bool = False, name: str = "synthetic") -> None:
        if fps <= 0 or size[0] <= 0 or size[1] <= 0:
            raise ValueError("size and fps must be positive")
        self.size = size
        self.fps = fps
        self.paced = paced
        self.flashes = flashes
        self.face = face
        self.name = name
        self._start = start
        self._index = 0
        self._base: Image | None = None
        self._face: Image | None = None
        self._closed = threading.Event()
        #: frames skipped because the reader fell more than a frame behind (as a camera would)
        self.dropped_frames = 0

    def open(self) -> StreamInfo:
        width, height = self.size
        # A wide gradient with soft stripes; each frame is a moving window onto it.
        xs = np.arange(2 * width, dtype=np.float32)
        ys = np.arange(height, dtype=np.float32)[:, None]
        red = 128 + 100 * np.sin(xs / 97.0)[None, :] + 0 * ys
        green = 128 + 100 * np.sin(ys / 53.0 + xs[None, :] / 211.0)
        blue = 128 + 100 * np.cos((xs[None, :] + ys) / 149.0)
        self._base = np.stack([blue, green, red], axis=2).clip(0, 255).astype(np.uint8)
        self._face = draw_face(self.face_size) if self.face else None
        if self.paced:
            self._index = math.ceil(monotonic() * self.fps)
        else:
            self._index = math.ceil(self._start * self.fps)
        self._closed.clear()
        return StreamInfo(width, height, self.fps, self.name)

    def read(self) -> Frame | None:
        if self._base is None or self._closed.is_set():
            return None
        if self.paced:
            now = monotonic()
            due = self._index / self.fps
            if now > due + CATCH_UP_FRAMES / self.fps:
                # The reader is far behind: skip to the current frame as a camera does once
                # its few driver buffers are full (a shorter stall is caught up).
                late_index = math.floor(now * self.fps)
                self.dropped_frames += late_index - self._index
                self._index = late_index
                due = self._index / self.fps
            if due > now and self._closed.wait(due - now):
                return None
        index = self._index
        self._index += 1
        return Frame(self.render(index), index / self.fps)

    @property
    def face_size(self) -> int:
        """The side of the drawn face's square: two fifths of the picture's height."""
        return max(8, round(self.size[1] * 0.4))

    def face_box(self, index: int) -> tuple[int, int, int, int]:
        """(x, y, width, height) of the square the face is drawn in, in frame ``index``:
        it drifts a little either side of the centre every six seconds."""
        width, height = self.size
        side = self.face_size
        centre_x = width * (0.5 + 0.12 * math.sin(2 * math.pi * index / self.fps / 6.0))
        return round(centre_x - side / 2), round(height * 0.55 - side / 2), side, side

    def render(self, index: int) -> Image:
        """The picture for frame ``index`` of the clock grid."""
        assert self._base is not None
        width, height = self.size
        offset = (index * 6) % width
        image = self._base[:, offset : offset + width].copy()
        if self._face is not None:
            x, y, side, _ = self.face_box(index)
            x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + side, width), min(y + side, height)
            if x1 > x0 and y1 > y0:
                image[y0:y1, x0:x1] = self._face[y0 - y : y1 - y, x0 - x : x1 - x]
        if self.flashes and is_flash_frame(index, self.fps):
            # Only a corner flashes, so a demo preview stays pleasant to watch.
            image[: flash_rows(height), width - flash_columns(width) :] = 255
        seconds = index / self.fps
        minutes, rest = divmod(seconds, 60.0)
        scale = max(2, height // 60)
        draw_text(image, f"{int(minutes) % 100:02d}:{rest:05.2f}", scale * 2, scale * 2, scale)
        draw_text(image, f"{index % 100000:05d}", scale * 2, scale * 10, scale, (0, 255, 255))
        return image

    def close(self) -> None:
        self._closed.set()


class FileFrameSource:
    """Frames from a video file through PyAV, paced at the file's own rate (a demo
    camera); ``loop`` starts again at the end, else ``read`` returns ``None``."""

    def __init__(self, path: str | Path, size: tuple[int, int] | None = None, *,
                 loop: bool = False, paced: bool = True) -> None:
        self.path = Path(path)
        self.size = size
        self.loop = loop
        self.paced = paced
        self._container: Any = None
        self._frames: Any = None
        self._stream: Any = None
        self._t0 = 0.0
        self._loop_offset = 0.0
        self._last_time = 0.0
        self._fps = 30.0
        self._closed = threading.Event()

    def open(self) -> StreamInfo:
        import av

        if not self.path.is_file():
            raise CaptureError(f"The video file {self.path} was not found.")
        try:
            container = av.open(str(self.path))
        except (av.FFmpegError, OSError) as error:
            raise CaptureError(f"The video file {self.path} cannot be read: {error}") from error
        if not container.streams.video:
            container.close()
            raise CaptureError(f"The file {self.path} has no video in it.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        self._fps = float(rate)
        self._container, self._stream = container, stream
        self._frames = container.decode(stream)
        width, height = self.size or (stream.codec_context.width, stream.codec_context.height)
        self._t0 = monotonic() if self.paced else 0.0
        self._loop_offset = 0.0
        self._last_time = 0.0
        self._closed.clear()
        return StreamInfo(width, height, self._fps, self.path.name)

    def _next_decoded(self) -> Any:
        import av

        for _attempt in range(2):
            try:
                return next(self._frames)
            except StopIteration:
                if not self.loop:
                    return None
                self._loop_offset = self._last_time + 1.0 / self._fps
                self._container.seek(0)
                self._frames = self._container.decode(self._stream)
            except av.FFmpegError as error:
                raise CaptureError(f"The video file {self.path} is damaged: {error}") from error
        return None

    def read(self) -> Frame | None:
        if self._frames is None or self._closed.is_set():
            return None
        decoded = self._next_decoded()
        if decoded is None:
            return None
        file_time = float(decoded.time) if decoded.time is not None else self._last_time
        media_time = self._loop_offset + file_time
        self._last_time = media_time
        if self.size is not None:
            width, height = self.size
            image = decoded.to_ndarray(format="bgr24", width=width, height=height)
        else:
            image = decoded.to_ndarray(format="bgr24")
        pts = self._t0 + media_time
        if self.paced:
            wait = pts - monotonic()
            if wait > 0 and self._closed.wait(wait):
                return None
        return Frame(np.ascontiguousarray(image), pts)

    def close(self) -> None:
        self._closed.set()
        if self._container is not None:
            self._container.close()
            self._container = None
            self._frames = None
