"""``booth record``: a take without a screen, for officers' checks and benchmarks."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TextIO

from booth.capture.devices import open_audio_source, open_frame_source
from booth.capture.recorder import Recorder
from booth.capture.sources import CaptureError
from booth.settings import Settings

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_CANNOT_START = 1  # camera, microphone or free space: the message says which
EXIT_BAD_ARGUMENTS = 2
EXIT_ENDED_EARLY = 3  # the camera went away; what was recorded is in the file
EXIT_FAILED = 4  # the file could not be written


def record_main(settings: Settings, args: argparse.Namespace,
                stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Record ``args.seconds`` from ``args.source`` and ``args.audio`` into ``args.out``.
    Ctrl+C stops early and keeps what was recorded."""
    out_stream = stdout or sys.stdout
    err_stream = stderr or sys.stderr

    def fail(code: int, message: str) -> int:
        print(f"booth record: {message}", file=err_stream)
        log.warning("record: %s", message)
        return code

    seconds = float(args.seconds)
    fps = float(args.fps)
    width, height = args.size
    if seconds <= 0:
        return fail(EXIT_BAD_ARGUMENTS, "--seconds must be more than 0.")
    if not 0 < fps <= 120:
        return fail(EXIT_BAD_ARGUMENTS, "--fps must be between 1 and 120.")
    out_path = Path(args.out).expanduser()
    if out_path.is_dir():
        return fail(EXIT_BAD_ARGUMENTS, f"{out_path} is a folder; give a file name.")
    if not out_path.parent.is_dir():
        return fail(EXIT_BAD_ARGUMENTS, f"The folder {out_path.parent} does not exist.")

    try:
        frames = open_frame_source(args.source, (width, height), fps)
        sound = open_audio_source(args.audio)
    except CaptureError as error:
        return fail(EXIT_CANNOT_START, str(error))

    try:
        out = out_path.open("wb")
    except OSError as error:
        return fail(EXIT_BAD_ARGUMENTS, f"Cannot write {out_path}: {error.strerror}.")
    with out:
        recorder = Recorder(frames, sound, out, seconds, space_folder=out_path.parent)
        try:
            info = recorder.start()
            assert info is not None  # a camera take has a picture size
        except CaptureError as error:
            out.close()
            out_path.unlink(missing_ok=True)
            return fail(EXIT_CANNOT_START, str(error))
        print(f"Recording {seconds:g} s from {info.name} ({info.width}x{info.height} at "
              f"{info.fps:g} fps) and {args.audio} to {out_path} ...", file=out_stream,
              flush=True)
        restore = _stop_on_interrupt(recorder)
        try:
            result = recorder.wait()
        finally:
            restore()
        out.flush()

    size_mb = out_path.stat().st_size / 1e6
    print(
        f"Recorded {result.duration_s:.2f} s: {result.frames} frames, "
        f"{result.dropped_frames} dropped, {result.audio_samples} sound samples, "
        f"{size_mb:.1f} MB ({result.reason}).",
        file=out_stream,
    )
    if result.reason == "camera_lost":
        return fail(EXIT_ENDED_EARLY, f"{result.error} The file keeps what was recorded.")
    if result.reason == "error":
        return fail(EXIT_FAILED, result.error or "The recording failed.")
    return EXIT_OK


def _stop_on_interrupt(recorder: Recorder) -> Callable[[], None]:
    """Ctrl+C (SIGINT) stops the take cleanly instead of cutting the file; returns a
    function that puts the previous handler back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        recorder.stop()

    previous = signal.signal(signal.SIGINT, handler)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return restore
