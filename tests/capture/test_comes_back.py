"""A camera that comes back: unplugged mid-session it is reopened with backoff, the
controller says lost / reconnecting / back, and the same person can record again (or
answer with their voice while it is away)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from booth.capture.audio import SilenceSource, ToneSource
from booth.capture.camera import OpenCVCameraSource
from booth.capture.diagnostics import media_facts
from booth.capture.feed import LiveFeed
from booth.capture.qt import CaptureController
from booth.capture.sources import CAMERA_LOST, Frame
from tests.helpers.capture import (
    UnpluggableCamera,
    UnpluggableVideoCapture,
    wait_until_recorded,
)

QUICK = (0.05, 0.1, 0.2)


@pytest.fixture
def controller(qtbot: QtBot) -> Iterator[CaptureController]:
    made = CaptureController(preview_size=(160, 120), reconnect_delays=QUICK)
    yield made
    made.shutdown()


def test_the_feed_reopens_an_unplugged_camera_with_backoff() -> None:
    camera = UnpluggableCamera((160, 120), 30.0)
    states: list[tuple[str, str]] = []
    frames = threading.Semaphore(0)
    came_back = threading.Event()

    def on_camera(state: str, detail: str) -> None:
        states.append((state, detail))
        if state == "back":
            came_back.set()

    def on_frame(frame: Frame) -> None:
        frames.release()

    feed = LiveFeed(camera, SilenceSource(), on_frame=on_frame, on_camera=on_camera,
                    reconnect_delays=QUICK)
    feed.start()
    try:
        assert frames.acquire(timeout=5) and feed.camera_up.is_set()
        camera.unplug()
        threading.Event().wait(0.8)  # a while unplugged: it keeps trying, further apart
        tries = [s for s in states if s[0] == "reconnecting"]
        assert states[0] == ("lost", CAMERA_LOST) and not feed.camera_up.is_set()
        assert 3 <= len(tries) <= 8  # 0.05, 0.1, 0.2, 0.2, ... not a busy loop
        assert tries[0] == ("reconnecting", "try 1")
        while frames.acquire(timeout=0):
            pass  # the pictures from before it was unplugged
        camera.replug()
        assert came_back.wait(5) and feed.camera_up.is_set()
        assert frames.acquire(timeout=5)  # pictures again
        assert camera.opens == 2 and states[-1][0] == "back"
    finally:
        feed.stop(timeout=5)


def test_an_unplugged_camera_ends_the_take_and_the_same_person_records_again(
    qtbot: QtBot, controller: CaptureController
) -> None:
    camera = UnpluggableCamera((160, 120), 30.0)
    controller.start_preview_sources(camera, ToneSource())
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    first = io.BytesIO()
    assert controller.start_recording(first, 30.0)
    wait_until_recorded(qtbot, controller, 0.5)
    states: list[str] = []
    controller.cameraState.connect(lambda state, detail: states.append(state))
    with qtbot.waitSignal(controller.finished, timeout=5000) as done:
        camera.unplug()
    assert done.args[0].reason == "camera_lost"
    assert media_facts(first.getvalue()).frames > 0  # what was recorded is intact
    qtbot.waitUntil(lambda: "reconnecting" in states, timeout=5000)
    assert states[0] == "lost" and not controller.camera_ready
    # While it is away a video take cannot start...
    with qtbot.waitSignal(controller.failed, timeout=1000) as refused:
        assert not controller.start_recording(io.BytesIO(), 30.0)
    assert refused.args == [CAMERA_LOST]
    # ...and once it is back, the same person can try again.
    with qtbot.waitSignal(controller.ready, timeout=5000):
        camera.replug()
    assert states[-1] == "back" and controller.camera_ready
    second = io.BytesIO()
    assert controller.start_recording(second, 30.0)
    wait_until_recorded(qtbot, controller, 0.5)
    with qtbot.waitSignal(controller.finished, timeout=5000) as done:
        controller.stop_recording()
    assert done.args[0].reason == "stopped"
    facts = media_facts(second.getvalue())
    assert facts.frames > 10 and facts.audio_codec == "aac"


def test_a_usb_camera_unplugged_and_plugged_back_through_opencv(
    qtbot: QtBot, controller: CaptureController
) -> None:
    usb = UnpluggableVideoCapture((320, 240))
    source = OpenCVCameraSource(0, (320, 240), 30.0, capture_factory=usb.factory)
    states: list[tuple[str, str]] = []
    controller.cameraState.connect(lambda state, detail: states.append((state, detail)))
    controller.start_preview_sources(source, None)
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    with qtbot.waitSignal(controller.failed, timeout=5000) as lost:
        usb.plugged.clear()
    assert lost.args == [CAMERA_LOST]  # said plainly, as before
    qtbot.waitUntil(lambda: len(states) >= 3, timeout=5000)
    assert states[0] == ("lost", CAMERA_LOST)
    assert all(state == "reconnecting" for state, _ in states[1:])
    with qtbot.waitSignal(controller.ready, timeout=5000):
        usb.plugged.set()
    assert states[-1] == ("back", "camera 0")
    assert usb.made >= 3  # a new capture for each try, as reopening a device needs
    with qtbot.waitSignal(controller.previewFrame, timeout=5000):
        pass


def test_while_the_camera_is_away_the_person_can_answer_with_their_voice(
    qtbot: QtBot, controller: CaptureController
) -> None:
    camera = UnpluggableCamera((160, 120), 30.0)
    controller.start_preview_sources(camera, ToneSource())
    qtbot.waitSignal(controller.ready, timeout=5000).wait()
    with qtbot.waitSignal(controller.cameraState, timeout=5000,
                          check_params_cb=lambda state, detail: state == "lost"):
        camera.unplug()
    out = io.BytesIO()
    assert controller.start_recording(out, 30.0, kind="voice")
    levels: list[float] = []
    controller.level.connect(levels.append)
    wait_until_recorded(qtbot, controller, 1.0)
    camera.replug()  # the camera coming back does not disturb the voice answer
    qtbot.waitUntil(lambda: controller.camera_ready, timeout=5000)
    with qtbot.waitSignal(controller.finished, timeout=5000) as done:
        controller.stop_recording()
    result = done.args[0]
    assert result.reason == "stopped" and result.frames == 0 and result.duration_s >= 1.0
    facts = media_facts(out.getvalue())
    assert facts.frames == 0 and facts.video_codec is None and facts.audio_codec == "aac"
    assert levels and max(levels) > 0.3  # the meter moved with the tone
