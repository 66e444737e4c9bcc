"""The capture controller the screens use: signals on the GUI thread, nothing blocks it."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from booth.capture.audio import SilenceSource, ToneSource
from booth.capture.diagnostics import media_facts
from booth.capture.qt import CaptureController
from booth.capture.sources import CAMERA_LOST, CAMERA_MISSING, SyntheticFrameSource
from tests.helpers.capture import (
    DyingFrameSource,
    HalfWhiteSource,
    HeldWriter,
    SlowOpeningSource,
    StuckCameraSource,
    busy_until,
    wait_until_recorded,
)


@pytest.fixture
def controller(qtbot: QtBot) -> Iterator[CaptureController]:
    made = CaptureController(preview_size=(320, 180))
    yield made
    made.shutdown()


def test_preview_is_mirrored_and_fitted(qtbot: QtBot, controller: CaptureController) -> None:
    controller.start_preview_sources(HalfWhiteSource((640, 480)), None)
    with qtbot.waitSignal(controller.previewFrame, timeout=5000) as got:
        pass
    image: QImage = got.args[0]
    assert (image.width(), image.height()) == (240, 180)  # 4:3 fitted into 320x180
    assert image.pixelColor(10, 90).red() == 255  # the camera's right is the screen's left
    assert image.pixelColor(230, 90).red() == 0


def test_a_busy_gui_skips_preview_frames_instead_of_queueing_them(
    qtbot: QtBot, controller: CaptureController
) -> None:
    controller.start_preview_sources(SyntheticFrameSource((320, 240), 30.0), None)
    qtbot.waitSignal(controller.previewFrame, timeout=5000).wait()
    arrivals: list[QImage] = []
    controller.previewFrame.connect(arrivals.append)
    dropped_before = controller.preview_dropped

    # The GUI thread is busy (it runs no events) while ten or more pictures arrive.
    busy_until(lambda: controller.preview_dropped - dropped_before >= 10)
    QApplication.processEvents()  # the first moment the GUI thread is free again

    assert controller.preview_dropped - dropped_before >= 10
    assert len(arrivals) <= 1  # one newest picture, not a backlog of ten or more
    qtbot.waitUntil(lambda: len(arrivals) >= 2, timeout=5000)  # and the preview goes on


def test_opening_a_slow_camera_does_not_block_the_gui(
    qtbot: QtBot, controller: CaptureController
) -> None:
    source = SlowOpeningSource((320, 240))
    controller.start_preview_sources(source, None)
    assert not source.opened.is_set()  # it returned while the camera was still opening
    assert source.opening.wait(5)
    # The GUI thread goes on running its events while the camera opens.
    seen_while_opening: list[bool] = []
    QTimer.singleShot(0, lambda: seen_while_opening.append(not source.opened.is_set()))
    qtbot.waitUntil(lambda: bool(seen_while_opening), timeout=5000)
    assert seen_while_opening == [True]
    with qtbot.waitSignal(controller.ready, timeout=5000):
        source.finish_opening()  # the camera opened meanwhile; now it is ready
    assert source.opened.is_set()


def test_records_a_take_from_the_preview(qtbot: QtBot, controller: CaptureController) -> None:
    controller.start_preview_sources(SyntheticFrameSource((320, 240), 30.0), ToneSource())
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    levels: list[float] = []
    elapsed: list[float] = []
    controller.level.connect(levels.append)
    controller.elapsed.connect(elapsed.append)
    out = io.BytesIO()

    with qtbot.waitSignal(controller.finished, timeout=10_000) as done:
        assert controller.start_recording(out, 1.5)
    result = done.args[0]

    assert result.reason == "max_length"
    assert result.dropped_frames == 0
    assert elapsed and 1.0 < max(elapsed) < 1.5
    assert levels and max(levels) > 0.5  # the beeps move the level meter
    facts = media_facts(out.getvalue())
    assert (facts.video_codec, facts.audio_codec, facts.width) == ("h264", "aac", 320)
    assert abs(facts.video_duration_s - 1.5) <= 1 / 30
    assert not controller.recording and controller.previewing  # the preview goes on


def test_stop_recording_ends_the_take(qtbot: QtBot, controller: CaptureController) -> None:
    controller.start_preview_sources(SyntheticFrameSource((320, 240), 30.0), SilenceSource())
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    out = io.BytesIO()
    assert controller.start_recording(out, 60.0)
    wait_until_recorded(qtbot, controller, 0.5)
    with qtbot.waitSignal(controller.finished, timeout=5000) as done:
        controller.stop_recording()
    assert done.args[0].reason == "stopped"
    assert media_facts(out.getvalue()).frames == done.args[0].frames > 5


def test_missing_camera_is_reported(qtbot: QtBot, controller: CaptureController) -> None:
    with qtbot.waitSignal(controller.failed, timeout=5000) as failed:
        controller.start_preview("camera:7", None)
    assert failed.args == [CAMERA_MISSING]
    assert not controller.previewing


def test_recording_needs_an_open_camera(qtbot: QtBot, controller: CaptureController) -> None:
    with qtbot.waitSignal(controller.failed, timeout=1000) as failed:
        assert not controller.start_recording(io.BytesIO(), 5.0)
    assert "camera" in failed.args[0]


def test_camera_unplugged_during_preview_is_reported(
    qtbot: QtBot, controller: CaptureController
) -> None:
    source = DyingFrameSource(SyntheticFrameSource((320, 240), 30.0), 10)
    with qtbot.waitSignal(controller.failed, timeout=5000) as failed:
        controller.start_preview_sources(source, None)
    assert failed.args == [CAMERA_LOST]


def test_camera_unplugged_during_a_take_ends_it(
    qtbot: QtBot, controller: CaptureController
) -> None:
    source = DyingFrameSource(SyntheticFrameSource((320, 240), 30.0), 40)
    controller.start_preview_sources(source, SilenceSource())
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    out = io.BytesIO()
    with qtbot.waitSignal(controller.finished, timeout=5000) as done:
        controller.start_recording(out, 30.0)
    result = done.args[0]
    assert result.reason == "camera_lost"
    assert media_facts(out.getvalue()).frames == result.frames > 0


def test_closing_the_camera_mid_take_does_not_wait_for_the_file(
    qtbot: QtBot, controller: CaptureController
) -> None:
    controller.start_preview_sources(SyntheticFrameSource((320, 240), 30.0), ToneSource())
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    out = HeldWriter()
    assert controller.start_recording(out, 60.0)
    wait_until_recorded(qtbot, controller, 0.4)
    out.hold()  # the disk is slow: the take's last writes wait
    with qtbot.waitSignal(controller.finished, timeout=5000) as done:
        controller.stop_preview()
        # It has returned, and the take is still being written.
        assert out.waiting.wait(5)
        out.release()
    assert not out.gave_up
    assert done.args[0].reason == "stopped"
    assert media_facts(out.getvalue()).frames == done.args[0].frames > 0
    assert not controller.previewing and not controller.recording


def test_closing_a_stuck_camera_does_not_block_the_gui(
    qtbot: QtBot, controller: CaptureController
) -> None:
    source = StuckCameraSource((160, 120), 30.0)
    controller.start_preview_sources(source, SilenceSource())
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    assert source.stuck.wait(5)
    controller.stop_preview()  # returns while the camera is stuck in its read
    assert source.closed_by is None  # still in its read; it closes itself afterwards
    source.unstick()
    qtbot.waitUntil(lambda: source.closed_by is not None, timeout=3000)
    assert source.closed_by == "feed-video"
