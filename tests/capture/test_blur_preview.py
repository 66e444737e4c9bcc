"""Face blur through the controller: the preview shows what a blurred take keeps, and no
unblurred frame reaches a blurred take."""

from __future__ import annotations

import io
from collections.abc import Iterator

import av
import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from booth.capture.audio import ToneSource
from booth.capture.faces import HogFaceDetector, blur_whole
from booth.capture.qt import CaptureController
from booth.capture.sources import Image, SyntheticFrameSource
from tests.helpers.capture import wait_until_recorded

SIZE = (640, 360)


@pytest.fixture
def controller(qtbot: QtBot) -> Iterator[CaptureController]:
    made = CaptureController(preview_size=SIZE)
    yield made
    made.shutdown()


def _pixels(image: QImage) -> Image:
    image = image.convertToFormat(QImage.Format.Format_BGR888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8,
                         count=image.bytesPerLine() * height)
    rows = data.reshape(height, image.bytesPerLine())[:, : width * 3]
    return np.ascontiguousarray(rows.reshape(height, width, 3)[:, ::-1])  # un-mirror


def _previews(qtbot: QtBot, controller: CaptureController, count: int) -> list[Image]:
    got: list[Image] = []
    controller.previewFrame.connect(lambda image: got.append(_pixels(image)))
    qtbot.waitUntil(lambda: len(got) >= count, timeout=10_000)
    return got[:count]


def test_the_preview_shows_the_blur_once_it_is_chosen(
    qtbot: QtBot, controller: CaptureController
) -> None:
    detector = HogFaceDetector()
    controller.start_preview_sources(SyntheticFrameSource(SIZE, 30.0, face=True), None)
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    sharp = _previews(qtbot, controller, 3)
    assert all(len(detector.detect(image)) == 1 for image in sharp)  # the test can fail
    controller.set_face_blur(True)
    assert controller.face_blur
    qtbot.wait(100)  # pictures already on their way to the screen
    blurred = _previews(qtbot, controller, 20)
    assert all(detector.detect(image) == [] for image in blurred)
    # Once the face is found only it is blurred: the clock in the corner is sharp.
    def detail(image: Image) -> float:
        return float(np.abs(np.diff(image[10:60, 10:150].astype(int), axis=1)).mean())

    all_over = sharp[0].copy()
    blur_whole(all_over)
    assert detail(blurred[-1]) > 3 * detail(all_over)
    controller.set_face_blur(False)
    qtbot.wait(100)
    assert len(detector.detect(_previews(qtbot, controller, 1)[0])) == 1


def test_a_blurred_take_never_holds_an_unblurred_frame(
    qtbot: QtBot, controller: CaptureController
) -> None:
    controller.start_preview_sources(SyntheticFrameSource(SIZE, 30.0, face=True),
                                     ToneSource())
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    assert not controller.face_blur  # the preview was sharp until the take started
    out = io.BytesIO()
    assert controller.start_recording(out, 30.0, kind="video_blurred")
    wait_until_recorded(qtbot, controller, 1.5)
    # The preview shows the take's frames: blurred too.
    detector = HogFaceDetector()
    assert all(detector.detect(image) == [] for image in _previews(qtbot, controller, 5))
    with qtbot.waitSignal(controller.finished, timeout=5000) as done:
        controller.stop_recording()
    assert done.args[0].reason == "stopped"
    with av.open(io.BytesIO(out.getvalue())) as container:
        frames = [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]
    assert len(frames) > 30
    assert all(detector.detect(image) == [] for image in frames)


def test_blur_chosen_while_the_camera_opens_is_not_lost(
    qtbot: QtBot, controller: CaptureController
) -> None:
    """"Blur my face" chosen while the camera is still opening (the person picked it just
    as the questions screen turned the camera on): the first pictures are blurred already."""
    controller.start_preview_sources(SyntheticFrameSource(SIZE, 30.0, face=True), None)
    opening = controller._opening
    assert opening is not None
    opening.join(5)  # the camera is open, and the screen not yet told
    controller.set_face_blur(True)
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    qtbot.wait(100)  # a picture taken before the choice, already on its way to the screen
    detector = HogFaceDetector()
    assert all(detector.detect(image) == [] for image in _previews(qtbot, controller, 10))
