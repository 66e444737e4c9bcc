"""Streaming age encryption of takes: interop with pyrage and the stock age tool, review keys."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tracemalloc
from pathlib import Path

import pyrage
import pytest

from booth.wire import age
from tests.helpers.sync import (
    make_council_age_keys,
)

AGE = shutil.which("age") or "/usr/bin/age"
AGE_KEYGEN = shutil.which("age-keygen") or "/usr/bin/age-keygen"

# Sizes around the 64 KiB chunk edges, where STREAM implementations usually go wrong.
EDGE_SIZES = [0, 1, age.CHUNK_SIZE - 1, age.CHUNK_SIZE, age.CHUNK_SIZE + 1,
              3 * age.CHUNK_SIZE, 3 * age.CHUNK_SIZE + 17]


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_our_files_open_with_pyrage_and_the_stock_age_tool(tmp_path: Path, size: int) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    data = os.urandom(size)
    blob = tmp_path / "x.age"
    blob.write_bytes(age.encrypt_bytes(data, keys.recipients))

    identity = pyrage.x25519.Identity.from_str(keys.ingest_identity)
    assert pyrage.decrypt(blob.read_bytes(), [identity]) == data
    result = subprocess.run(
        [AGE, "-d", "-i", str(keys.escrow_file), str(blob)], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


@pytest.mark.parametrize("size", [0, age.CHUNK_SIZE, 2 * age.CHUNK_SIZE + 5])
def test_we_open_files_made_by_pyrage_and_the_stock_age_tool(tmp_path: Path, size: int) -> None:
    key_file = tmp_path / "k.txt"
    subprocess.run([AGE_KEYGEN, "-o", str(key_file)], capture_output=True, check=True)
    identity = age.read_identities(key_file)[0]
    recipient = age.recipient_text(age.parse_identity(identity).public_key())
    data = os.urandom(size)
    made_by_age = subprocess.run(
        [AGE, "-r", recipient], input=data, capture_output=True, check=True
    ).stdout
    made_by_pyrage = pyrage.encrypt(data, [pyrage.x25519.Recipient.from_str(recipient)])
    assert age.decrypt_bytes(made_by_age, [identity]) == data
    assert age.decrypt_bytes(made_by_pyrage, [identity]) == data


def test_generated_keys_match_pyrage_text_form() -> None:
    identity, recipient = age.generate_identity()
    assert identity.startswith("AGE-SECRET-KEY-1")
    assert str(pyrage.x25519.Identity.from_str(identity).to_public()) == recipient


def test_a_typo_in_a_recipient_is_caught() -> None:
    _, recipient = age.generate_identity()
    typo = recipient[:-1] + ("q" if recipient[-1] != "q" else "p")
    with pytest.raises(age.AgeError, match="checksum"):
        age.parse_recipient(typo)


def test_memory_stays_bounded_while_encrypting(tmp_path: Path) -> None:
    _, recipient = age.generate_identity()
    block = os.urandom(256 * 1024)
    with open(os.devnull, "wb") as sink:
        writer = age.AgeWriter(sink, [age.parse_recipient(recipient)])
        tracemalloc.start()
        for _ in range(128):  # 32 MiB through the stream
            writer.write(block)
        writer.finish()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 4 * len(block) + 2 * age.CHUNK_SIZE


@pytest.mark.parametrize("damage", ["flip", "truncate", "drop_last_chunk"])
def test_damaged_files_never_decrypt_silently(tmp_path: Path, damage: str) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    data = os.urandom(3 * age.CHUNK_SIZE + 100)
    blob = bytearray(age.encrypt_bytes(data, keys.recipients))
    if damage == "flip":
        blob[len(blob) // 2] ^= 0x01
    elif damage == "truncate":
        del blob[-10:]
    else:
        del blob[-(100 + age.TAG_SIZE) :]
    with pytest.raises(age.AgeError):
        age.decrypt_bytes(bytes(blob), [keys.ingest_identity])


def test_altered_header_is_caught(tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    blob = age.encrypt_bytes(b"hello", keys.recipients)
    # Drop the escrow stanza: the file key still unwraps but the header MAC fails.
    lines = blob.split(b"\n")
    altered = b"\n".join(lines[:3] + lines[5:])
    with pytest.raises(age.AgeError, match="altered"):
        age.decrypt_bytes(altered, [keys.ingest_identity])


def test_encrypt_stream_roundtrip_keeps_sink_open() -> None:
    identity, recipient = age.generate_identity()
    sink = io.BytesIO()
    age.encrypt_stream(io.BytesIO(b"x" * 200_000), sink, [recipient], block=4096)
    assert not sink.closed
    out = io.BytesIO()
    sink.seek(0)
    assert age.decrypt_stream(sink, out, [identity]) == 200_000
    assert out.getvalue() == b"x" * 200_000
