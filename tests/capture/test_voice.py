"""A voice answer: AAC alone in MP4, recorded by the same recorder, with a level meter and
a waveform for review."""

from __future__ import annotations

import io
from typing import Any

import av
import numpy as np
import pytest

from booth.capture.audio import MIC_LOST, SilenceSource, ToneSource
from booth.capture.diagnostics import media_facts
from booth.capture.recorder import Recorder
from booth.capture.sources import CaptureError, SyntheticFrameSource
from booth.capture.waveform import peak_envelope
from tests.helpers.capture import NonSeekableWriter


def _voice(seconds: float, out: Any = None, source: Any = None) -> tuple[bytes, Any]:
    out = out if out is not None else io.BytesIO()
    levels: list[float] = []
    elapsed: list[float] = []
    recorder = Recorder(None, source or ToneSource(paced=False), out, seconds,
                        on_level=levels.append, on_elapsed=elapsed.append, realtime=False)
    assert recorder.start() is None  # no picture size: there is no camera
    result = recorder.wait(60)
    data = bytes(out.buffer) if isinstance(out, NonSeekableWriter) else out.getvalue()
    return data, (result, levels, elapsed)


def test_a_voice_answer_is_aac_in_mp4_with_no_video_track() -> None:
    data, (result, levels, elapsed) = _voice(3.0)
    assert result.reason == "max_length" and result.frames == 0
    assert result.duration_s == pytest.approx(3.0, abs=0.03)
    with av.open(io.BytesIO(data)) as container:
        assert container.format.name.startswith("mov,mp4")
        assert not container.streams.video
        assert [s.codec_context.name for s in container.streams.audio] == ["aac"]
    facts = media_facts(data)
    assert facts.frames == 0 and facts.audio_codec == "aac"
    assert facts.audio_duration_s == pytest.approx(3.0, abs=0.05)
    # The meter had something to show, and the timer counted up to the limit.
    assert max(levels) > 0.5 and elapsed[-1] == pytest.approx(3.0, abs=0.03)


def test_a_voice_answer_streams_to_a_file_that_cannot_seek() -> None:
    out = NonSeekableWriter()
    data, (result, _, _) = _voice(2.5, out)
    assert result.reason == "max_length" and out.writes > 2
    assert media_facts(data).audio_duration_s == pytest.approx(2.5, abs=0.05)


class FailingMicrophone(ToneSource):
    def __init__(self, after_chunks: int) -> None:
        super().__init__(paced=False)
        self.after = after_chunks

    def read(self, timeout: float) -> Any:
        if self.after <= 0:
            raise CaptureError(MIC_LOST)
        self.after -= 1
        return super().read(timeout)


def test_a_microphone_lost_mid_answer_ends_it_with_the_reason() -> None:
    data, (result, _, _) = _voice(10.0, source=FailingMicrophone(after_chunks=60))
    assert result.reason == "error" and result.error == MIC_LOST
    # What was heard before is a playable file.
    assert 1.0 < media_facts(data).audio_duration_s < 1.5


def test_a_recorder_needs_a_camera_or_a_microphone() -> None:
    with pytest.raises(ValueError, match="camera or a microphone"):
        Recorder(None, None, io.BytesIO(), 5.0)


def test_the_waveform_shows_where_the_answer_was_loud() -> None:
    data, _ = _voice(3.0)
    envelope = peak_envelope(data, 30)
    assert envelope.shape == (30,) and envelope.dtype == np.float32
    assert float(envelope.max()) <= 1.0
    # The tone beeps at each second (0.5 loud) over a quiet hum (0.05).
    loud = {i for i, value in enumerate(envelope) if value > 0.3}
    assert {0, 10, 20} <= loud and len(loud) <= 9
    assert float(np.median(envelope)) == pytest.approx(0.05, abs=0.02)
    # Any number of points, even more than there are decoded frames.
    assert peak_envelope(data, 1000).shape == (1000,)
    assert float(peak_envelope(data, 1)[0]) > 0.3


def test_the_waveform_of_silence_is_flat_and_of_no_sound_is_zero() -> None:
    silent, _ = _voice(1.0, source=SilenceSource(paced=False))
    assert float(peak_envelope(silent, 50).max()) < 0.01
    video_only = io.BytesIO()
    recorder = Recorder(SyntheticFrameSource((160, 120), paced=False), None, video_only, 0.5,
                        realtime=False)
    recorder.start()
    recorder.wait(30)
    assert not peak_envelope(video_only.getvalue(), 20).any()
    with pytest.raises(ValueError):
        peak_envelope(silent, 0)
