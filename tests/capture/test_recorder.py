"""The recorder: what it writes is checked by decoding it with PyAV."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from booth.capture.audio import SilenceSource, ToneSource
from booth.capture.camera import OpenCVCameraSource
from booth.capture.diagnostics import measure_av_offsets, media_facts
from booth.capture.recorder import NOT_ENOUGH_SPACE, Recorder, bytes_needed
from booth.capture.sources import (
    CAMERA_BUSY,
    CAMERA_LOST,
    CAMERA_MISSING,
    CaptureError,
    FileFrameSource,
    SyntheticFrameSource,
)
from tests.helpers.capture import (
    DyingFrameSource,
    FakeVideoCapture,
    FullDiskWriter,
    NonSeekableWriter,
    record_synthetic,
    write_sample_video,
)

FPS = 30.0
FRAME = 1.0 / FPS


def test_paced_synthetic_take_decodes_with_sound_in_sync(tmp_path: Path) -> None:
    path = tmp_path / "take.mp4"
    with path.open("wb") as out:
        result = record_synthetic(out, 2.2, size=(320, 240), paced=True)

    assert result.reason == "max_length"
    assert result.error is None
    facts = media_facts(path)
    assert (facts.video_codec, facts.audio_codec) == ("h264", "aac")
    assert (facts.width, facts.height) == (320, 240)
    assert facts.frames == result.frames
    assert abs(facts.video_duration_s - 2.2) <= FRAME
    assert abs(facts.video_duration_s - result.duration_s) <= FRAME
    assert facts.audio_samples >= 0.95 * 2.2 * 48_000
    offsets = measure_av_offsets(path)
    assert len(offsets) >= 2  # one flash and beep at each whole second of the clock
    assert all(abs(offset) <= 40.0 for offset in offsets), offsets


def test_writes_to_a_stream_that_cannot_seek() -> None:
    out = NonSeekableWriter()
    result = record_synthetic(out, 2.0)  # type: ignore[arg-type]

    assert result.reason == "max_length"
    assert out.writes > 2  # written as it went, fragment by fragment
    facts = media_facts(bytes(out.buffer))
    assert (facts.video_codec, facts.audio_codec) == ("h264", "aac")
    assert facts.frames == result.frames == 60
    assert abs(facts.video_duration_s - 2.0) <= FRAME
    assert facts.audio_samples > 0


def test_records_from_a_video_file(tmp_path: Path) -> None:
    sample = write_sample_video(tmp_path / "sample.mp4", 3.0, size=(320, 240))
    out = io.BytesIO()
    recorder = Recorder(FileFrameSource(sample, paced=True), ToneSource(), out, 1.5)
    recorder.start()
    result = recorder.wait(timeout=30)

    assert result.reason == "max_length"
    facts = media_facts(out.getvalue())
    assert (facts.width, facts.height) == (320, 240)
    assert abs(facts.video_duration_s - 1.5) <= FRAME
    assert facts.frames == result.frames == 45
    assert facts.audio_samples > 0


def test_a_file_that_ends_early_ends_the_take_with_what_was_recorded(tmp_path: Path) -> None:
    sample = write_sample_video(tmp_path / "sample.mp4", 1.0, size=(160, 120))
    out = io.BytesIO()
    recorder = Recorder(FileFrameSource(sample, paced=False), SilenceSource(paced=False),
                        out, 5.0, realtime=False)
    recorder.start()
    result = recorder.wait(timeout=30)

    assert result.reason == "camera_lost"
    assert media_facts(out.getvalue()).frames == result.frames == 30


@pytest.mark.parametrize("how", ["raise", "none"])
def test_camera_lost_mid_take_keeps_what_was_recorded(how: str) -> None:
    source = DyingFrameSource(SyntheticFrameSource((320, 240), FPS, paced=False), 45, how)
    out = io.BytesIO()
    recorder = Recorder(source, ToneSource(paced=False), out, 10.0, realtime=False)
    recorder.start()
    result = recorder.wait(timeout=30)

    assert result.reason == "camera_lost"
    assert result.error == CAMERA_LOST
    assert result.frames == 45
    assert source.closed
    facts = media_facts(out.getvalue())
    assert facts.frames == 45
    assert abs(facts.video_duration_s - 1.5) <= FRAME
    assert facts.audio_samples > 0


def test_stop_ends_the_take_early() -> None:
    out = io.BytesIO()
    recorded = threading.Event()

    def on_elapsed(seconds: float) -> None:
        if seconds >= 0.8:
            recorded.set()

    recorder = Recorder(SyntheticFrameSource((320, 240), FPS), ToneSource(), out, 30.0,
                        on_elapsed=on_elapsed)
    recorder.start()
    assert recorded.wait(10)  # 0.8 s of the take, however long the machine takes
    recorder.stop()
    result = recorder.wait(timeout=10)

    assert result.reason == "stopped"
    assert 0.5 <= result.duration_s <= 1.5
    assert abs(media_facts(out.getvalue()).video_duration_s - result.duration_s) <= FRAME


def test_a_cut_off_file_plays_up_to_its_last_fragment() -> None:
    out = io.BytesIO()
    result = record_synthetic(out, 4.0)
    data = out.getvalue()

    cut = media_facts(data[: len(data) * 6 // 10])
    assert 30 <= cut.frames < result.frames  # at least the first whole second
    assert cut.video_codec == "h264"


def test_a_killed_recording_process_leaves_a_playable_file(tmp_path: Path) -> None:
    path = tmp_path / "killed.mp4"
    script = (
        "import sys\n"
        "from tests.helpers.capture import record_synthetic\n"
        "with open(sys.argv[1], 'wb') as out:\n"
        "    record_synthetic(out, 60.0, size=(320, 240), paced=True)\n"
    )
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=root)
    try:
        deadline = time.monotonic() + 30
        # Wait until at least two fragments (two seconds) have reached the file, then kill
        # it at once, while the next fragment is still being gathered (the take is paced).
        while time.monotonic() < deadline:
            if _frames_so_far(path) >= 60:
                break
            time.sleep(0.2)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL

    facts = media_facts(path)
    assert facts.frames >= 60
    assert facts.video_codec == "h264"
    assert facts.audio_samples > 0


def _frames_so_far(path: Path) -> int:
    import av

    try:
        return media_facts(path.read_bytes()).frames
    except (OSError, av.FFmpegError):  # not there yet, or no fragment yet
        return 0


def test_missing_camera_gives_a_plain_reason() -> None:
    # This machine has no camera at all: the real OpenCV path must say so.
    source = OpenCVCameraSource(7)
    with pytest.raises(CaptureError) as caught:
        source.open()
    assert str(caught.value) == CAMERA_MISSING

    stand_in = OpenCVCameraSource(0, capture_factory=lambda index: FakeVideoCapture(False))
    recorder = Recorder(stand_in, ToneSource(), io.BytesIO(), 5.0)
    with pytest.raises(CaptureError, match="No camera was found"):
        recorder.start()


def test_busy_camera_gives_a_plain_reason() -> None:
    fake = FakeVideoCapture(opened=True, frames=0)
    source = OpenCVCameraSource(0, capture_factory=lambda index: fake)
    with pytest.raises(CaptureError) as caught:
        source.open()
    assert str(caught.value) == CAMERA_BUSY
    assert fake.released


def test_camera_unplugged_mid_take_through_opencv_path() -> None:
    fake = FakeVideoCapture(frames=20, size=(320, 240))
    source = OpenCVCameraSource(0, capture_factory=lambda index: fake)
    out = io.BytesIO()
    recorder = Recorder(source, SilenceSource(), out, 10.0)
    info = recorder.start()
    result = recorder.wait(timeout=30)

    assert (info.width, info.height) == (320, 240)
    assert result.reason == "camera_lost"
    assert result.error == CAMERA_LOST
    assert media_facts(out.getvalue()).frames == result.frames > 0


def test_refuses_to_start_without_room_for_a_full_take(tmp_path: Path) -> None:
    source = SyntheticFrameSource((160, 120))
    short = Recorder(source, ToneSource(), io.BytesIO(), 60.0, space_folder=tmp_path,
                     free_bytes=lambda folder: bytes_needed(60.0) - 1)
    with pytest.raises(CaptureError) as caught:
        short.start()
    assert str(caught.value) == NOT_ENOUGH_SPACE
    assert source.read() is None  # the camera was never opened

    enough = Recorder(SyntheticFrameSource((160, 120)), ToneSource(), io.BytesIO(), 0.3,
                      space_folder=tmp_path, free_bytes=lambda folder: bytes_needed(60.0))
    enough.start()
    assert enough.wait(timeout=10).reason == "max_length"
    assert bytes_needed(120.0) > bytes_needed(60.0)


def test_a_disk_that_fills_up_mid_take_ends_it_with_a_reason() -> None:
    out = FullDiskWriter(room=60_000)
    recorder = Recorder(SyntheticFrameSource((320, 240), FPS, paced=False),
                        ToneSource(paced=False), out, 20.0, realtime=False)  # type: ignore[arg-type]
    recorder.start()
    result = recorder.wait(timeout=30)

    assert result.reason == "error"
    assert result.error is not None and "could not be written" in result.error
    assert result.frames < 600
