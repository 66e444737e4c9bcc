"""Shared pieces for the kiosk-side sync tests: council keys, tiny real MP4s, failing disks."""

from __future__ import annotations

import errno
import io
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.store import PART_SUFFIX, TAKE_SUFFIX, Store
from booth.sync import crypto
from booth.sync.bundle import public_key_b64
from booth.sync.keys import Credential
from tests.helpers.store import open_consented_session, start_event


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


def make_credential(
    recipients: tuple[str, ...] | list[str],
    server_url: str = "http://127.0.0.1:9",
    server_public_key: str | None = None,
    device_id: str = "device-0001",
) -> Credential:
    """A credential as ``booth-council enrol`` issues it (for tests without a server)."""
    if server_public_key is None:
        server_public_key = public_key_b64(Ed25519PrivateKey.generate())
    return Credential(
        format=1,
        device_id=device_id,
        token="t" * 32,
        server_url=server_url,
        recipients=tuple(recipients),
        server_signing_key=server_public_key,
    )


def record_encrypted_take(
    store: Store, session_id: str, recipients: tuple[str, ...] | list[str], frames: int = 10
) -> tuple[str, bytes]:
    """Record a real MP4 the way the recorder does (encrypted from the first byte) and keep
    it; returns (take id, the plaintext the participant reviewed)."""
    take_id = uuid.uuid4().hex
    store.paths.takes.mkdir(parents=True, exist_ok=True)
    final = store.paths.takes / f"{take_id}{TAKE_SUFFIX}"
    part = final.with_name(final.name + PART_SUFFIX)
    stream, review = crypto.open_take_writer(part, recipients)
    write_tiny_mp4(stream, frames)
    stream.close()
    size, sha = crypto.finalize_take(part, final)
    plain = review.decrypt(final)
    review.forget()
    store.keep_take(take_id, session_id, "love", final.name, size, sha, frames / 10)
    return take_id, plain


def finished_session(
    store: Store, recipients: tuple[str, ...] | list[str], videos: int = 1
) -> tuple[str, list[bytes]]:
    """A consented session with ``videos`` kept answers, priorities and about-you, finished."""
    event = store.current_event() or start_event(store)
    session_id = open_consented_session(store, event)
    plains = [record_encrypted_take(store, session_id, recipients)[1] for _ in range(videos)]
    store.save_priorities(session_id, "children", ["parks", "libraries"])
    store.save_about_you(session_id, {"age": "5-11", "area": "prefer_not"})
    store.finish_session(session_id)
    return session_id, plains
