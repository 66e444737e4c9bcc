"""Audio sources: the tone's beeps match the synthetic flashes; the microphone path."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from booth.capture import sources
from booth.capture.audio import (
    MIC_MISSING,
    MicrophoneSource,
    SilenceSource,
    ToneSource,
    level_of,
)
from booth.capture.devices import open_audio_source
from booth.capture.diagnostics import measure_av_offsets, media_facts
from booth.capture.recorder import Recorder
from booth.capture.sources import CaptureError, SyntheticFrameSource, is_flash_frame
from tests.helpers.capture import NULL_ALSA_CONFIG, GappyToneSource

ROOT = Path(__file__).resolve().parents[2]


def test_beeps_start_on_the_frames_that_flash() -> None:
    tone = ToneSource(paced=False)
    rate = tone.sample_rate
    for second in (3, 4):
        around = tone.render(second * rate - 48, 96)[:, 0]
        assert np.abs(around[:48]).max() < 0.1  # quiet hum before
        assert np.abs(around[48:]).max() > 0.4  # beep from the instant on
    flashing = [k for k in range(0, 150) if is_flash_frame(k, 30.0)]
    assert flashing == [0, 30, 60, 90, 120]
    assert [k for k in range(0, 100) if is_flash_frame(k, 25.0)] == [0, 25, 50, 75]


def test_paced_tone_keeps_time_with_the_clock() -> None:
    tone = ToneSource()
    info = tone.start()
    chunks = [tone.read(1.0) for _ in range(20)]
    tone.stop()
    assert all(chunk is not None for chunk in chunks)
    starts = [chunk.pts for chunk in chunks if chunk is not None]
    steps = np.diff(starts)
    assert np.allclose(steps, 1024 / info.sample_rate)
    # A chunk is handed out once its last sample has been "heard", not before.
    last = chunks[-1]
    assert last is not None
    assert sources.monotonic() >= last.pts + 1024 / info.sample_rate - 0.002


def test_level_meter_reading() -> None:
    t = np.arange(4800, dtype=np.float32) / 48_000
    loud = np.sin(2 * np.pi * 440 * t).astype(np.float32)[:, None]
    assert level_of(np.zeros((4800, 1), dtype=np.float32)) == 0.0
    assert level_of(loud) == pytest.approx(1 - 3.01 / 60, abs=0.01)
    assert level_of(loud * 0.1) == pytest.approx(1 - 23.01 / 60, abs=0.01)


def test_lost_sound_does_not_pull_the_picture_out_of_sync() -> None:
    tone = GappyToneSource(1.2, 1.7, paced=False)
    out = io.BytesIO()
    recorder = Recorder(SyntheticFrameSource((160, 120), 30.0, paced=False), tone, out, 3.0,
                        realtime=False)
    recorder.start()
    result = recorder.wait(timeout=30)

    assert tone.lost > 10
    offsets = measure_av_offsets(out.getvalue())
    assert len(offsets) == 3
    assert all(abs(offset) <= 40 for offset in offsets), offsets
    assert abs(media_facts(out.getvalue()).video_duration_s - result.duration_s) <= 1 / 30


def test_unknown_microphone_gives_a_plain_reason() -> None:
    with pytest.raises(CaptureError) as caught:
        MicrophoneSource("no microphone is called this").start()
    assert str(caught.value) == MIC_MISSING
    with pytest.raises(CaptureError, match="not a sound source"):
        open_audio_source("speaker")
    assert isinstance(open_audio_source("silence"), SilenceSource)


def test_microphone_through_portaudio(tmp_path: Path) -> None:
    # CI has no sound card; ALSA's null device is a real PortAudio input all the same.
    (tmp_path / ".asoundrc").write_text(NULL_ALSA_CONFIG)
    script = (
        "from booth.capture.audio import MicrophoneSource\n"
        "from booth.capture.diagnostics import probe_microphone\n"
        "mic = MicrophoneSource()\n"
        "info = mic.start()\n"
        "chunk = mic.read(2.0)\n"
        "mic.stop()\n"
        "print(info.sample_rate, info.channels, chunk.samples.shape, chunk.samples.dtype)\n"
        "print(probe_microphone('mic'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)},
                          check=False)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()[:2]
    assert first == "48000 1 (1024, 1) float32"
    assert "ok=True" in second and "default" in second
