"""A take on disk: encrypted from its first byte, reviewable with a key held only in
memory, durable once kept."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, cast

import pytest

from booth import take
from booth.files import file_sha256
from booth.wire import age
from tests.helpers.sync import (
    FullDisk,
    count_video_frames,
    make_council_age_keys,
    tiny_mp4_bytes,
    write_tiny_mp4,
)


def test_take_is_encrypted_from_the_first_byte_and_reviewable(tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    part = tmp_path / "take.mp4.age.part"
    final = tmp_path / "take.mp4.age"
    stream, review = take.open_take_writer(part, keys.recipients)
    write_tiny_mp4(stream, frames=12)
    # Mid-recording the partial file already starts with the age header, never an MP4 box.
    stream.flush()
    assert part.read_bytes().startswith(age.AGE_INTRO)
    stream.close()
    assert b"ftyp" not in part.read_bytes() and b"mdat" not in part.read_bytes()

    size, sha = take.finalize_take(part, final)
    assert not part.exists()
    assert size == final.stat().st_size
    assert file_sha256(final) == (size, sha)
    plain = review.decrypt(final)
    assert plain[4:8] == b"ftyp"
    assert count_video_frames(plain) == 12
    # The council reads the same bytes the participant reviewed.
    assert age.decrypt_bytes(final.read_bytes(), [keys.ingest_identity]) == plain


def test_after_forget_the_kiosk_cannot_decrypt_its_take(tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    part = tmp_path / "t.part"
    stream, review = take.open_take_writer(part, keys.recipients)
    stream.write(tiny_mp4_bytes())
    stream.close()
    assert review.decrypt(part)[4:8] == b"ftyp"
    review.forget()
    with pytest.raises(age.AgeError, match="forgotten"):
        review.decrypt(part)
    # Any other identity (the kiosk holds no council one) cannot open it either.
    with pytest.raises(age.AgeError, match="no identity"):
        age.decrypt_bytes(part.read_bytes(), [age.generate_identity()[0]])


def test_disk_full_while_recording_raises_a_clear_error(tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    part = tmp_path / "t.part"

    def opener(path: Path) -> BinaryIO:
        return cast(BinaryIO, FullDisk(path, room=3 * age.CHUNK_SIZE))

    stream, _ = take.open_take_writer(part, keys.recipients, opener=opener)
    with pytest.raises(age.DiskFullError, match="full"):
        for _ in range(10):
            stream.write(os.urandom(age.CHUNK_SIZE))
