"""The benchmarks run from their documented commands and print the figures they promise.

These check that the benchmarks work, on tiny inputs; the figures themselves come from
full runs on a quiet machine (README, "Benchmarks") and are not asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> dict[str, Any]:
    result = subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True,
                            text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def test_sync_bench_prints_every_figure_of_issue_5() -> None:
    figures = _run("-m", "bench.sync", "--mb", "24", "--rounds", "1", "--cuts", "1",
                   "--chunk-mb", "4")
    assert figures["server"] == "process"
    assert figures["encrypt_mb_s"] > 0 and figures["encrypt_peak_rss_growth_mb"] >= 0
    for suffix in ("", "_fixed_chunks", "_fixed_chunks_sha1", "_fixed_chunks_no_checksum"):
        assert figures[f"tus_vs_plain_put{suffix}"] > 0
        assert figures[f"plain_put_mb_s{suffix}"] > 0
    for suffix in ("", "_fixed_chunks"):
        assert figures[f"interruptions{suffix}"] == 1
        assert figures[f"resent_within_the_chunk_in_flight{suffix}"] is True
    assert figures["resent_bytes_per_interruption_fixed_chunks"] <= 4 * 1024 * 1024
    assert set(figures["targets"]) == {"encrypt_mb_s", "encrypt_peak_memory_mb",
                                       "tus_vs_plain_put", "resent_per_interruption"}
    assert isinstance(figures["ok"], bool)


def test_capture_bench_prints_its_figures() -> None:
    figures = _run("bench/capture.py", "--seconds", "2")
    assert figures["realtime_factor"] > 0 and figures["ffmpeg_over_booth"] > 0
    assert figures["paced_frames"] > 0 and figures["peak_rss_mb"] > 0
    assert "targets_met" in figures
    blurred = figures["blurred"]
    assert blurred["realtime_factor"] > 0 and blurred["paced_frames"] > 0
    assert blurred["dropped_frames"] >= 0 and blurred["unpaced_frames"] > 0
    assert 0 < blurred["detected_fraction"] <= 1 and 0 < blurred["unpaced_detected_fraction"] <= 1
    assert blurred["decoded_frames_with_a_face"] == 0  # the blur held
    assert "blurred_realtime_factor>=1.5" in figures["targets_met"]


def test_workspace_bench_prints_its_three_figures() -> None:
    figures = _run("-m", "bench.workspace", "--mb", "4", "--answers", "300", "--bundles", "5",
                   "--rounds", "2")
    assert figures["range_ttfb_ms"] > 0 and figures["decrypt_from_start_to_middle_ms"] > 0
    assert figures["answers_list_ms"] > 0 and figures["indexed_answers"] == 300
    assert figures["indexed_bundles"] == 5 and figures["index_bundles_per_s"] > 0
    assert set(figures["targets"]) == {"range_ttfb_ms", "answers_list_ms",
                                       "index_bundles_per_s"}
    assert isinstance(figures["ok"], bool)


def test_ui_bench_prints_its_three_figures() -> None:
    figures = _run("-m", "bench.ui", "--runs", "1", "--takes", "1", "--take-seconds", "1",
                   "--rounds", "1")
    assert figures["cold_start_s"] > 0 and len(figures["start_runs_s"]) == 1
    assert figures["stop_to_review_s"] > 0 and figures["review_decrypt_on_gui_thread_s"]
    assert figures["touch_to_paint_ms"] > 0 and figures["touches"] >= 9
    assert set(figures["targets"]) == {"cold_start_s", "stop_to_review_s", "touch_to_paint_ms"}
    assert isinstance(figures["ok"], bool)


def test_soak_bench_drives_the_kiosk_and_loses_no_bundle() -> None:
    figures = _run("-m", "bench.soak", "--sessions", "6", "--every", "3", "--warm-up", "3")
    assert figures["stuck"] == []
    assert [s["session"] for s in figures["samples"]] == [3, 6]
    assert all(s["rss_mb"] > 0 and s["threads"] > 0 and s["fds"] > 0
               for s in figures["samples"])
    assert figures["peak_rss_mb"] > 0 and figures["arena_max"] == "2"
    # The one figure asserted even on a tiny run: what the booth made reached the council.
    assert figures["bundles_expected"] == figures["bundles_received"] > 0
    assert figures["bundles_lost"] == 0 and figures["bundles_duplicated"] == 0
    assert isinstance(figures["ok"], bool)
