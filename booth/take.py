"""A take on disk: encrypted from its first byte to the council and to a per-take review
key held only in memory; made durable when the participant keeps it."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, cast

from booth.files import Opener, durable_replace, file_sha256
from booth.wire.age import AgeError, AgeWriter, decrypt_stream, generate_identity, parse_recipient


class ReviewKey:
    """The per-take identity, held only in memory, for review playback.

    After ``forget()`` nothing on this machine can decrypt the take any more."""

    def __init__(self) -> None:
        identity, self.recipient = generate_identity()
        self._identity: str | None = identity

    @property
    def forgotten(self) -> bool:
        return self._identity is None

    def decrypt(self, path: Path) -> bytes:
        """The take's plaintext (for playback); raises AgeError once forgotten."""
        if self._identity is None:
            raise AgeError("the review key for this take has been forgotten")
        out = io.BytesIO()
        with open(path, "rb") as source:
            decrypt_stream(source, out, [self._identity])
        return out.getvalue()

    def forget(self) -> None:
        self._identity = None

    def __repr__(self) -> str:
        return f"ReviewKey({self.recipient[:12]}..., forgotten={self.forgotten})"


def _open_exclusive(path: Path) -> BinaryIO:
    return open(path, "xb")


def open_take_writer(
    part_path: Path, council_recipients: Sequence[str], opener: Opener = _open_exclusive
) -> tuple[BinaryIO, ReviewKey]:
    """A stream that encrypts a take from its first byte, and the key to review it.

    The take is encrypted to the council's recipients plus a per-take recipient whose
    identity lives only in the returned ReviewKey. Close the stream, then call
    ``finalize_take``. ``opener`` lets tests inject a failing disk."""
    keys = [parse_recipient(r) for r in council_recipients]
    if not keys:
        raise AgeError("no council recipients: enrol the booth first")
    review = ReviewKey()
    sink = opener(part_path)
    try:
        writer = AgeWriter(sink, [*keys, parse_recipient(review.recipient)])
    except BaseException:
        sink.close()
        part_path.unlink(missing_ok=True)
        raise
    return cast(BinaryIO, writer), review


def finalize_take(part_path: Path, final_path: Path) -> tuple[int, str]:
    """fsync a closed take, rename ``.part`` to its final name; returns (size, sha256)."""
    size, sha = file_sha256(part_path)
    durable_replace(part_path, final_path)
    return size, sha
