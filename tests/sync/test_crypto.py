"""Streaming age encryption of takes: interop with pyrage and the stock age tool, review keys."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tracemalloc
from pathlib import Path
from typing import BinaryIO, cast

import pyrage
import pytest

from booth.files import file_sha256
from booth.sync import crypto
from tests.helpers.sync import (
    FullDisk,
    count_video_frames,
    make_council_age_keys,
    tiny_mp4_bytes,
    write_tiny_mp4,
)

AGE = shutil.which("age") or "/usr/bin/age"
AGE_KEYGEN = shutil.which("age-keygen") or "/usr/bin/age-keygen"

# Sizes around the 64 KiB chunk edges, where STREAM implementations usually go wrong.
EDGE_SIZES = [0, 1, crypto.CHUNK_SIZE - 1, crypto.CHUNK_SIZE, crypto.CHUNK_SIZE + 1,
              3 * crypto.CHUNK_SIZE, 3 * crypto.CHUNK_SIZE + 17]


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_our_files_open_with_pyrage_and_the_stock_age_tool(tmp_path: Path, size: int) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    data = os.urandom(size)
    blob = tmp_path / "x.age"
    blob.write_bytes(crypto.encrypt_bytes(data, keys.recipients))

    identity = pyrage.x25519.Identity.from_str(keys.ingest_identity)
    assert pyrage.decrypt(blob.read_bytes(), [identity]) == data
    result = subprocess.run(
        [AGE, "-d", "-i", str(keys.escrow_file), str(blob)], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


@pytest.mark.parametrize("size", [0, crypto.CHUNK_SIZE, 2 * crypto.CHUNK_SIZE + 5])
def test_we_open_files_made_by_pyrage_and_the_stock_age_tool(tmp_path: Path, size: int) -> None:
    key_file = tmp_path / "k.txt"
    subprocess.run([AGE_KEYGEN, "-o", str(key_file)], capture_output=True, check=True)
    identity = crypto.read_identities(key_file)[0]
    recipient = crypto.recipient_text(crypto.parse_identity(identity).public_key())
    data = os.urandom(size)
    made_by_age = subprocess.run(
        [AGE, "-r", recipient], input=data, capture_output=True, check=True
    ).stdout
    made_by_pyrage = pyrage.encrypt(data, [pyrage.x25519.Recipient.from_str(recipient)])
    assert crypto.decrypt_bytes(made_by_age, [identity]) == data
    assert crypto.decrypt_bytes(made_by_pyrage, [identity]) == data


def test_generated_keys_match_pyrage_text_form() -> None:
    identity, recipient = crypto.generate_identity()
    assert identity.startswith("AGE-SECRET-KEY-1")
    assert str(pyrage.x25519.Identity.from_str(identity).to_public()) == recipient


def test_a_typo_in_a_recipient_is_caught() -> None:
    _, recipient = crypto.generate_identity()
    typo = recipient[:-1] + ("q" if recipient[-1] != "q" else "p")
    with pytest.raises(crypto.AgeError, match="checksum"):
        crypto.parse_recipient(typo)


def test_take_is_encrypted_from_the_first_byte_and_reviewable(tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    part = tmp_path / "take.mp4.age.part"
    final = tmp_path / "take.mp4.age"
    stream, review = crypto.open_take_writer(part, keys.recipients)
    write_tiny_mp4(stream, frames=12)
    # Mid-recording the partial file already starts with the age header, never an MP4 box.
    stream.flush()
    assert part.read_bytes().startswith(crypto.AGE_INTRO)
    stream.close()
    assert b"ftyp" not in part.read_bytes() and b"mdat" not in part.read_bytes()

    size, sha = crypto.finalize_take(part, final)
    assert not part.exists()
    assert size == final.stat().st_size
    assert file_sha256(final) == (size, sha)
    plain = review.decrypt(final)
    assert plain[4:8] == b"ftyp"
    assert count_video_frames(plain) == 12
    # The council reads the same bytes the participant reviewed.
    assert crypto.decrypt_bytes(final.read_bytes(), [keys.ingest_identity]) == plain


def test_after_forget_the_kiosk_cannot_decrypt_its_take(tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    part = tmp_path / "t.part"
    stream, review = crypto.open_take_writer(part, keys.recipients)
    stream.write(tiny_mp4_bytes())
    stream.close()
    assert review.decrypt(part)[4:8] == b"ftyp"
    review.forget()
    with pytest.raises(crypto.AgeError, match="forgotten"):
        review.decrypt(part)
    # Any other identity (the kiosk holds no council one) cannot open it either.
    with pytest.raises(crypto.AgeError, match="no identity"):
        crypto.decrypt_bytes(part.read_bytes(), [crypto.generate_identity()[0]])


def test_memory_stays_bounded_while_encrypting(tmp_path: Path) -> None:
    _, recipient = crypto.generate_identity()
    block = os.urandom(256 * 1024)
    with open(os.devnull, "wb") as sink:
        writer = crypto.AgeWriter(sink, [crypto.parse_recipient(recipient)])
        tracemalloc.start()
        for _ in range(128):  # 32 MiB through the stream
            writer.write(block)
        writer.finish()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 4 * len(block) + 2 * crypto.CHUNK_SIZE


@pytest.mark.parametrize("damage", ["flip", "truncate", "drop_last_chunk"])
def test_damaged_files_never_decrypt_silently(tmp_path: Path, damage: str) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    data = os.urandom(3 * crypto.CHUNK_SIZE + 100)
    blob = bytearray(crypto.encrypt_bytes(data, keys.recipients))
    if damage == "flip":
        blob[len(blob) // 2] ^= 0x01
    elif damage == "truncate":
        del blob[-10:]
    else:
        del blob[-(100 + crypto.TAG_SIZE) :]
    with pytest.raises(crypto.AgeError):
        crypto.decrypt_bytes(bytes(blob), [keys.ingest_identity])


def test_altered_header_is_caught(tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    blob = crypto.encrypt_bytes(b"hello", keys.recipients)
    # Drop the escrow stanza: the file key still unwraps but the header MAC fails.
    lines = blob.split(b"\n")
    altered = b"\n".join(lines[:3] + lines[5:])
    with pytest.raises(crypto.AgeError, match="altered"):
        crypto.decrypt_bytes(altered, [keys.ingest_identity])


def test_disk_full_while_recording_raises_a_clear_error(tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    part = tmp_path / "t.part"

    def opener(path: Path) -> BinaryIO:
        return cast(BinaryIO, FullDisk(path, room=3 * crypto.CHUNK_SIZE))

    stream, _ = crypto.open_take_writer(part, keys.recipients, opener=opener)
    with pytest.raises(crypto.DiskFullError, match="full"):
        for _ in range(10):
            stream.write(os.urandom(crypto.CHUNK_SIZE))


def test_encrypt_stream_roundtrip_keeps_sink_open() -> None:
    identity, recipient = crypto.generate_identity()
    sink = io.BytesIO()
    crypto.encrypt_stream(io.BytesIO(b"x" * 200_000), sink, [recipient], block=4096)
    assert not sink.closed
    out = io.BytesIO()
    sink.seek(0)
    assert crypto.decrypt_stream(sink, out, [identity]) == 200_000
    assert out.getvalue() == b"x" * 200_000
