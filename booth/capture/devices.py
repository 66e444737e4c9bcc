"""The factories that turn a device spec ("camera:1", "synthetic", "mic", "tone", a file)
into a frame or audio source. The base types live in ``sources`` and ``audio``; the
camera module (the only one importing OpenCV) builds on them, and this module on both."""

from __future__ import annotations

from pathlib import Path

from booth.capture.audio import AudioSource, MicrophoneSource, SilenceSource, ToneSource
from booth.capture.camera import OpenCVCameraSource
from booth.capture.sources import (
    CaptureError,
    FileFrameSource,
    FrameSource,
    SyntheticFrameSource,
)


def parse_camera_spec(spec: str) -> int | str:
    """"camera" -> 0, "camera:2" -> 2, "camera:Logitech C920" -> the name."""
    _, _, rest = spec.partition(":")
    rest = rest.strip()
    if not rest:
        return 0
    return int(rest) if rest.isdigit() else rest


def open_frame_source(spec: str, size: tuple[int, int] = (1280, 720),
                      fps: float = 30.0) -> FrameSource:
    """Build (not open) the frame source a spec names: "camera", "camera:N",
    "camera:NAME", "synthetic", "synthetic:face" (with a drawn face, to show face blur)
    or a video file path."""
    spec = spec.strip()
    if spec == "synthetic":
        return SyntheticFrameSource(size, fps)
    if spec == "synthetic:face":
        return SyntheticFrameSource(size, fps, face=True)
    if spec == "camera" or spec.startswith("camera:"):
        return OpenCVCameraSource(parse_camera_spec(spec), size, fps)
    path = Path(spec).expanduser()
    if not path.is_file():
        raise CaptureError(
            f"{spec!r} is not a camera, 'synthetic', 'synthetic:face' or a video file that "
            "exists."
        )
    return FileFrameSource(path, size, loop=True)


def open_audio_source(spec: str) -> AudioSource:
    """Build (not start) the audio source a spec names: "mic", "mic:N", "mic:NAME",
    "tone" or "silence"."""
    spec = spec.strip()
    if spec == "tone":
        return ToneSource()
    if spec == "silence":
        return SilenceSource()
    if spec == "mic" or spec.startswith("mic:"):
        _, _, rest = spec.partition(":")
        rest = rest.strip()
        device: int | str | None = (int(rest) if rest.isdigit() else rest) if rest else None
        return MicrophoneSource(device)
    raise CaptureError(f"{spec!r} is not a sound source: use mic, mic:N, tone or silence.")
