"""Face blur: faces are blurred in every frame before it is shown or encoded, failing closed.

The detector is dlib's frontal face detector (HOG features and a linear classifier, its
model compiled into the ``dlib-bin`` wheel: nothing is trained or downloaded). Chosen by
measurement on the 2-core laptop, over 432 frames at 1280x720 holding a face from three
public-domain photographs (90 to 280 pixels wide, turned up to 15 degrees, dim and
bright), scanned at 426x240:

- dlib HOG, upsampled once: 70 % of the faces (97 % of the two frontal ones), 34 ms;
- OpenCV's Haar cascade (OpenCV 4 only; the booth is on OpenCV 5): 57 %, 29 ms;
- dlib's CNN (weights from ``face-recognition-models``): 50 %, 460 ms;
- libfacedetection's YuNet (``yuface``): 100 %, 14 ms, but the binding leaks 36 kB of
  memory on every call and holds no release newer than 2023 or for Python 3.12+, and no
  registry package ships the ONNX model that OpenCV's own ``FaceDetectorYN`` needs.

A detector this slow cannot look at every frame, so it runs on a worker thread on the
newest frame, at most :data:`DETECT_HZ` times a second (of media and of wall time), while
every frame is blurred from the newest result: each face's box grows by a margin, and the
margin keeps growing with the time since that face was found, so the blur follows a moving
head. It fails closed: until a first detection has run, while no face has been found for
:data:`HOLD_S`, or when the detector cannot be loaded, the whole frame is blurred. A face
missed for a frame or two (a turned head) keeps its last, growing box for that long.

Once a face is known, most detections look only near it, at a size where it is about
:data:`NEAR_FACE_PX` wide (11 ms instead of 34, and 75 % of the measured faces found
instead of 70 %); every :data:`FULL_SCAN_EVERY`-th detection, and any that finds nothing
near, scans the whole frame, so someone stepping in is found within a few tenths of a
second.

The only other module that imports ``cv2`` (pixel work; ``camera.py`` has the camera), and
the only one that imports ``dlib``.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from booth.capture.sources import Frame, FrameSource, Image, StreamInfo, SyntheticFrameSource
from booth.probe import Probe

log = logging.getLogger(__name__)

#: Frames are scanned at most this wide (426x240 for a 16:9 picture)...
DETECT_WIDTH = 426
#: ...upsampled once inside the detector, so faces down to about 40 pixels wide at that
#: size (about 120 at 1280x720) are found; a person at a booth is nearer than that.
UPSAMPLE = 1
#: Detections per second of media at most (about one frame in three at 30 fps): what the
#: detector costs on two cores beside the encoder; it runs less often when it is slower.
DETECT_HZ = 10.0
#: Looking near a known face: its box grown by this share on every side, shrunk so the
#: face is about this many pixels wide (dlib finds faces from 80 pixels without upsampling).
NEAR_MARGIN = 0.75
NEAR_FACE_PX = 110
#: Every this many detections the whole frame is scanned, for faces not yet known.
FULL_SCAN_EVERY = 3
#: A face's box grows by this share of its size on every side...
MARGIN = 0.3
#: ...and by this many times its size per second since it was found (a head moving).
GROWTH_PER_S = 1.5
#: The detector's box runs from the brows to the chin; the forehead and hair above it
#: say who someone is too, so the blur reaches this much further up.
HEAD_ABOVE = 0.35
#: A face not found again for this long (a turned head) stops being tracked, and the
#: whole frame is blurred until a face is found again.
HOLD_S = 0.6
#: A blurred face is about this many blocks across (its region shrunk, then smoothed back
#: up): nothing of a face survives, and no detector finds one in it. Overlapping regions
#: (a face and where it was a moment ago) are blurred as one, never twice: blurring a blur
#: with another grid smooths it back into a face-like oval.
FACE_BLOCKS = 3
#: The whole frame, when blurred, is this many blocks across.
FRAME_BLOCKS_ACROSS = 24

FACE_BLUR_UNAVAILABLE = (
    "Face blur cannot start on this laptop (the face detector did not load), so the whole "
    "picture is blurred instead."
)


def _cv2() -> Any:
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    import cv2

    return cv2


@dataclass(frozen=True)
class Box:
    """A rectangle in a frame's pixels: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    def grown(self, share: float, above: float = 0.0) -> Box:
        """This box with ``share`` of its larger side added on every side, and ``above``
        more at the top."""
        side = max(self.w, self.h)
        pad, top = share * side, (share + above) * side
        return Box(self.x - pad, self.y - top, self.w + 2 * pad, self.h + pad + top)

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int] | None:
        """(x0, y0, x1, y1) covering the box, clipped to the frame; None if outside."""
        x0, y0 = max(0, math.floor(self.x)), max(0, math.floor(self.y))
        x1 = min(width, math.ceil(self.x + self.w))
        y1 = min(height, math.ceil(self.y + self.h))
        return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


class FaceDetector(Protocol):
    """Finds faces in a full-size BGR frame (anywhere, or only near faces already known);
    boxes are in that frame's pixels."""

    def detect(self, image: Image) -> list[Box]: ...

    def detect_near(self, image: Image, known: Sequence[Box]) -> list[Box]: ...


# dlib takes a quarter of a second to build its detector from the model compiled into it,
# holding the interpreter all the while (a live feed would skip frames), so it is built
# once per process, ahead of need (``preload_face_detector``), and shared; dlib's scanner
# keeps state between calls, so calls take turns.
_BUILD_LOCK = threading.Lock()
_CALL_LOCK = threading.Lock()
_HOG: Any = None


def _frontal_face_detector() -> Any:
    global _HOG
    with _BUILD_LOCK:
        if _HOG is None:
            import dlib

            _HOG = dlib.get_frontal_face_detector()
        return _HOG


def preload_face_detector() -> None:
    """Build the shared detector on a thread of its own, so that choosing "Blur my face"
    later costs no frames (a failure shows again, and is handled, when blur starts)."""

    def build() -> None:
        try:
            _frontal_face_detector()
        except Exception as error:
            log.info("the face detector could not be preloaded: %s", error)

    threading.Thread(target=build, name="face-detector-load", daemon=True).start()


class HogFaceDetector:
    """dlib's built-in frontal face detector, on the frame shrunk to ``detect_width``."""

    def __init__(self, detect_width: int = DETECT_WIDTH, upsample: int = UPSAMPLE) -> None:
        self._dlib_hog = _frontal_face_detector()
        self.detect_width = detect_width
        self.upsample = upsample

    def _hog(self, rgb: Image, upsample: int) -> Any:
        with _CALL_LOCK:
            return self._dlib_hog(rgb, upsample)

    def detect(self, image: Image) -> list[Box]:
        cv2 = _cv2()
        height, width = image.shape[:2]
        scale = min(1.0, self.detect_width / width)
        small = image
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        found = self._hog(rgb, self.upsample)
        return [Box(r.left() / scale, r.top() / scale, r.width() / scale, r.height() / scale)
                for r in found]

    def detect_near(self, image: Image, known: Sequence[Box]) -> list[Box]:
        cv2 = _cv2()
        height, width = image.shape[:2]
        found: list[Box] = []
        for box in known:
            pixels = box.grown(NEAR_MARGIN).pixels(width, height)
            if pixels is None:
                continue
            x0, y0, x1, y1 = pixels
            scale = min(1.0, NEAR_FACE_PX / max(box.w, box.h, 1.0))
            size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
            crop = cv2.resize(image[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
            for r in self._hog(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB), 0):
                found.append(Box(x0 + r.left() / scale, y0 + r.top() / scale,
                                 r.width() / scale, r.height() / scale))
        return found


Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels


def blur_region(image: Image, box: Rect, block: float) -> None:
    """Blur ``box`` of ``image`` in place: shrink it to ``block``-pixel blocks, smooth it
    back up."""
    cv2 = _cv2()
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    block = max(2.0, block)
    small = cv2.resize(image[y0:y1, x0:x1], (max(1, round(w / block)), max(1, round(h / block))),
                       interpolation=cv2.INTER_AREA)
    image[y0:y1, x0:x1] = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def blur_whole(image: Image) -> None:
    """Blur all of ``image`` in place (failing closed)."""
    height, width = image.shape[:2]
    blur_region(image, (0, 0, width, height), width / FRAME_BLOCKS_ACROSS)


def merged(regions: Sequence[tuple[Rect, float]]) -> list[tuple[Rect, float]]:
    """Overlapping rectangles joined into their bounding rectangle, each with the smallest
    face size among those joined (so each pixel is blurred once, at the finest block)."""
    done = list(regions)
    joined = True
    while joined:  # a joined rectangle may now overlap one it did not before
        joined = False
        for i, ((x0, y0, x1, y1), face) in enumerate(done):
            for j in range(i + 1, len(done)):
                (a0, b0, a1, b1), other_face = done[j]
                if a0 < x1 and x0 < a1 and b0 < y1 and y0 < b1:
                    done[i] = ((min(x0, a0), min(y0, b0), max(x1, a1), max(y1, b1)),
                               min(face, other_face))
                    del done[j]
                    joined = True
                    break
            if joined:
                break
    return done


@dataclass(frozen=True)
class _Found:
    """A detection's result: the media time of the frame it looked at, and its faces."""

    pts: float
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class BlurStats:
    """What a :class:`FaceBlur` has done so far."""

    frames: int
    detected_frames: int
    frames_with_faces_found: int
    whole_frames: int

    @property
    def detected_fraction(self) -> float:
        return self.detected_frames / self.frames if self.frames else 0.0


class FaceBlur:
    """Blurs the faces in frames (``apply``), detecting them on a worker thread.

    ``apply`` never waits for the detector: each frame is blurred from the newest result
    (see the module's docstring for the policy), and the frame is handed to the detector
    when it is free and :data:`DETECT_HZ` allows (by the frames' times and by ``clock``,
    the wall clock). ``reset`` forgets every face (a new
    person, or blur switched back on): the whole frame is blurred until the next
    detection. ``close`` stops the worker; a closed FaceBlur can be used again."""

    def __init__(self, detector_factory: Callable[[], FaceDetector] = HogFaceDetector, *,
                 detect_hz: float = DETECT_HZ, margin: float = MARGIN,
                 growth_per_s: float = GROWTH_PER_S, hold_s: float = HOLD_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._factory = detector_factory
        self._clock = clock
        self.detect_hz = detect_hz
        self.margin = margin
        self.growth_per_s = growth_per_s
        self.hold_s = hold_s
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False
        self._job: tuple[Image, float, int] | None = None
        self._busy = False
        self._generation = 0
        self._last_submitted: float | None = None
        self._last_submitted_at = -math.inf  # on the wall clock
        self._runs = 0
        self._faces: list[_Found] = []  # the last two results that found faces
        self._frames = 0
        self._detected = 0
        self._found = 0
        self._whole = 0
        #: None while the detector is loading; False when it failed to load.
        self.available: bool | None = None
        self.error: str | None = None

    # --- the frame path (the feed's or the recorder's thread) ---------------------------

    def apply(self, frame: Frame) -> Frame:
        """A copy of ``frame`` with every face blurred (or all of it, failing closed)."""
        with self._lock:
            if self._thread is None:
                self._start()
            self._offer(frame)
            regions = self._regions(frame.pts)
            self._frames += 1
            if regions is None:
                self._whole += 1
        image = frame.image.copy()
        height, width = image.shape[:2]
        if regions is None:
            blur_whole(image)
        else:
            rects = [(pixels, max(face.w, face.h)) for region, face in regions
                     if (pixels := region.pixels(width, height)) is not None]
            for rect, face_size in merged(rects):
                blur_region(image, rect, face_size / FACE_BLOCKS)
        return Frame(image, frame.pts)

    def _offer(self, frame: Frame) -> None:
        if self._busy or self._job is not None or self.available is False:
            return
        interval = 1.0 / self.detect_hz - 1e-6
        if (self._last_submitted is not None
                and 0 <= frame.pts - self._last_submitted < interval):
            return
        now = self._clock()
        if now - self._last_submitted_at < interval:
            return  # frames faster than real time (a benchmark): the detector's CPU is capped
        self._last_submitted, self._last_submitted_at = frame.pts, now
        self._job = (frame.image, frame.pts, self._generation)
        self._lock.notify_all()

    def _regions(self, pts: float) -> list[tuple[Box, Box]] | None:
        """(region to blur, the face in it) for the frame at ``pts``; None means the
        whole frame."""
        if not self._faces:
            return None
        newest = self._faces[-1]
        age = pts - newest.pts
        if age > self.hold_s:
            return None
        regions: list[tuple[Box, Box]] = []
        for found in self._faces:
            # Also the face's previous place, so the blur covers the way it is moving.
            age = max(0.0, pts - found.pts)
            if age <= self.hold_s:
                share = self.margin + self.growth_per_s * age
                regions.extend((box.grown(share, HEAD_ABOVE), box) for box in found.boxes)
        return regions

    def reset(self) -> None:
        """Forget every face: the whole frame is blurred until the next detection."""
        with self._lock:
            self._generation += 1
            self._faces = []
            self._job = None
            self._last_submitted = None
            self._last_submitted_at = -math.inf

    @property
    def stats(self) -> BlurStats:
        with self._lock:
            return BlurStats(self._frames, self._detected, self._found, self._whole)

    def wait_for_detections(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` detections have finished (tests, the doctor)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._detected >= count or self.available is False,
                                       timeout) and self._detected >= count

    def close(self) -> None:
        with self._lock:
            self._closing = True
            thread, self._thread = self._thread, None
            self._lock.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)
        with self._lock:
            self._closing = False

    # --- the detector's thread ------------------------------------------------------------

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="face-detect", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            detector = self._factory()
        except Exception as error:  # an ImportError too: blur everything, never crash
            log.error("the face detector did not load: %s", error)
            with self._lock:
                self.available = False
                self.error = f"{FACE_BLUR_UNAVAILABLE} ({error})"
                self._lock.notify_all()
            return
        with self._lock:
            self.available = True
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._job is not None or self._closing)
                if self._closing:
                    return
                assert self._job is not None
                image, pts, generation = self._job
                self._job = None
                self._busy = True
                self._runs += 1
                recent = self._faces[-1] if self._faces else None
                near = (recent.boxes if recent is not None and self._runs % FULL_SCAN_EVERY
                        and 0 <= pts - recent.pts <= self.hold_s else ())
            try:
                found = detector.detect_near(image, near) if near else []
                if not found:
                    found = detector.detect(image)  # nothing near, or time to look everywhere
                boxes: tuple[Box, ...] | None = tuple(found)
            except Exception:
                log.exception("face detection failed on a frame")
                boxes = None  # no result: the old one ages out and the whole frame blurs
            with self._lock:
                self._busy = False
                if generation != self._generation:
                    continue
                self._detected += 1
                if boxes:
                    self._found += 1
                    self._faces = [*self._faces[-1:], _Found(pts, boxes)]
                self._lock.notify_all()


class BlurredFrameSource:
    """A frame source whose faces are blurred: ``inner``'s frames through a FaceBlur."""

    def __init__(self, inner: FrameSource, blur: FaceBlur | None = None) -> None:
        self.inner = inner
        self.blur = blur or FaceBlur()

    @property
    def dropped_frames(self) -> int:
        return int(getattr(self.inner, "dropped_frames", 0))

    def open(self) -> StreamInfo:
        self.blur.reset()
        return self.inner.open()

    def read(self) -> Frame | None:
        frame = self.inner.read()
        return None if frame is None else self.blur.apply(frame)

    def close(self) -> None:
        self.inner.close()
        self.blur.close()


def faces_in(image: Image, detector: FaceDetector | None = None) -> list[Box]:
    """The faces the booth's detector finds in ``image`` (tests and the doctor)."""
    return (detector or HogFaceDetector()).detect(image)


def probe_face_blur(size: Sequence[int] = (1280, 720)) -> Probe:
    """For ``booth doctor``: the detector loads, finds the synthetic camera's drawn face,
    and none is found in the frame once blurred. Never required: without it the booth
    still records (a blurred answer would be blurred all over)."""
    width, height = int(size[0]), int(size[1])
    source = SyntheticFrameSource((width, height), paced=False, face=True)
    source.open()
    try:
        frame = source.read()
    finally:
        source.close()
    assert frame is not None
    try:
        detector = HogFaceDetector()
    except Exception as error:
        return Probe("face blur", False, f"{FACE_BLUR_UNAVAILABLE} ({error})", required=False)
    started = time.perf_counter()
    found = detector.detect(frame.image)
    took_ms = (time.perf_counter() - started) * 1000
    if not found:
        return Probe("face blur", False,
                     "The face detector loaded but did not find the test face.", required=False)
    blur = FaceBlur(lambda: detector)
    try:
        blur.apply(frame)
        blur.wait_for_detections(1, 10.0)
        blurred = blur.apply(Frame(frame.image, frame.pts + 1e-3))
    finally:
        blur.close()
    if detector.detect(blurred.image):
        return Probe("face blur", False, "A face could still be found after blurring.",
                     required=False)
    return Probe("face blur", True,
                 f"finds the test face in {took_ms:.0f} ms and blurs it away", required=False)
