"""Shared pieces for the kiosk-side sync tests: council keys, tiny real MP4s, failing disks."""

from __future__ import annotations

import errno
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from booth.sync import crypto


@dataclass(frozen=True)
class CouncilAgeKeys:
    """An ingest and an escrow key pair, the identities written as ``age-keygen`` would."""

    ingest_file: Path
    escrow_file: Path
    ingest_identity: str
    escrow_identity: str
    recipients: tuple[str, str]


def make_council_age_keys(folder: Path) -> CouncilAgeKeys:
    folder.mkdir(parents=True, exist_ok=True)
    ingest, ingest_pub = crypto.generate_identity()
    escrow, escrow_pub = crypto.generate_identity()
    ingest_file = folder / "ingest.key"
    escrow_file = folder / "escrow.key"
    ingest_file.write_text(crypto.identity_file_text(ingest, ingest_pub, "test"))
    escrow_file.write_text(crypto.identity_file_text(escrow, escrow_pub, "test"))
    return CouncilAgeKeys(ingest_file, escrow_file, ingest, escrow, (ingest_pub, escrow_pub))


def write_tiny_mp4(sink: BinaryIO, frames: int = 10, shade_step: int = 20) -> None:
    """A real fragmented MP4 (the recorder's container) written by PyAV into ``sink``."""
    options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    container = av.open(sink, "w", format="mp4", options=options)
    stream = container.add_stream("mpeg4", rate=10)
    stream.width = 64
    stream.height = 48
    stream.pix_fmt = "yuv420p"
    for n in range(frames):
        image = np.full((48, 64, 3), (n * shade_step) % 256, np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()


def tiny_mp4_bytes(frames: int = 10) -> bytes:
    out = io.BytesIO()
    write_tiny_mp4(out, frames)
    return out.getvalue()


def count_video_frames(data: bytes) -> int:
    with av.open(io.BytesIO(data)) as container:
        return sum(1 for _ in container.decode(video=0))


class FullDisk(io.RawIOBase):
    """A file that accepts ``room`` bytes, then fails as a full disk does (ENOSPC)."""

    def __init__(self, path: Path, room: int) -> None:
        super().__init__()
        self._file = open(path, "xb")  # noqa: SIM115 - closed by close()
        self._room = room

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return self._file.write(data)

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()
        super().close()
