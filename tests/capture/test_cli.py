"""``booth record`` end to end, as an officer runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from booth.capture.diagnostics import measure_av_offsets, media_facts

ROOT = Path(__file__).resolve().parents[2]


def booth(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "booth", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )


def test_record_writes_a_playable_take(tmp_path: Path) -> None:
    out = tmp_path / "check.mp4"
    done = booth("record", "--seconds", "2", "--out", str(out), "--size", "480x270",
                 "--fps", "25", "--data-dir", str(tmp_path / "data"))

    assert done.returncode == 0, done.stderr
    assert "Recorded 2.00 s" in done.stdout
    facts = media_facts(out)
    assert (facts.video_codec, facts.audio_codec) == ("h264", "aac")
    assert (facts.width, facts.height) == (480, 270)
    said = re.search(r"(\d+) frames, (\d+) dropped", done.stdout)
    assert said is not None
    frames, dropped = int(said[1]), int(said[2])
    assert facts.frames == frames
    assert frames + dropped == 50 and dropped <= 2  # a frame may go on a very busy machine
    assert abs(facts.video_duration_s - 2.0) <= 1 / 25
    assert all(abs(offset) <= 40 for offset in measure_av_offsets(out))


def test_record_from_a_file_and_clear_errors(tmp_path: Path) -> None:
    sample = tmp_path / "sample.mp4"
    made = booth("record", "--seconds", "1", "--out", str(sample), "--size", "320x240",
                 "--audio", "silence", "--data-dir", str(tmp_path / "data"))
    assert made.returncode == 0, made.stderr
    again = tmp_path / "again.mp4"
    copied = booth("record", "--seconds", "1.5", "--out", str(again), "--source", str(sample),
                   "--size", "320x240", "--data-dir", str(tmp_path / "data"))
    assert copied.returncode == 0, copied.stderr
    assert abs(media_facts(again).video_duration_s - 1.5) <= 1 / 30  # the file loops

    no_camera = booth("record", "--seconds", "1", "--out", str(tmp_path / "x.mp4"),
                      "--source", "camera:7", "--data-dir", str(tmp_path / "data"))
    assert no_camera.returncode == 1
    assert "No camera was found" in no_camera.stderr
    assert "Traceback" not in no_camera.stderr
    assert not (tmp_path / "x.mp4").exists()

    no_folder = booth("record", "--seconds", "1", "--out", str(tmp_path / "none" / "x.mp4"),
                      "--data-dir", str(tmp_path / "data"))
    assert no_folder.returncode == 2
    assert "does not exist" in no_folder.stderr
