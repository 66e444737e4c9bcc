"""age: our streaming writer and pyrage's keys and decryption, held to the stock age tool."""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import BinaryIO, cast

import pyrage
import pytest

from booth.wire import age
from tests.helpers.sync import (
    FullDisk,
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


def _stock_recipient(key_file: Path) -> str:
    """The recipient the stock ``age-keygen -y`` reads out of an identity file."""
    return subprocess.run(
        [AGE_KEYGEN, "-y", str(key_file)], capture_output=True, check=True, text=True
    ).stdout.strip()


@pytest.mark.parametrize("size", [0, age.CHUNK_SIZE, 2 * age.CHUNK_SIZE + 5])
def test_we_open_files_made_by_pyrage_and_the_stock_age_tool(tmp_path: Path, size: int) -> None:
    key_file = tmp_path / "k.txt"
    subprocess.run([AGE_KEYGEN, "-o", str(key_file)], capture_output=True, check=True)
    identity = age.read_identities(key_file)[0]
    recipient = _stock_recipient(key_file)
    assert age.recipient_of(identity) == recipient
    data = os.urandom(size)
    made_by_age = subprocess.run(
        [AGE, "-r", recipient], input=data, capture_output=True, check=True
    ).stdout
    made_by_pyrage = pyrage.encrypt(data, [pyrage.x25519.Recipient.from_str(recipient)])
    assert age.decrypt_bytes(made_by_age, [identity]) == data
    assert age.decrypt_bytes(made_by_pyrage, [identity]) == data
    # The council's way: file to file, chunk by chunk.
    (tmp_path / "x.age").write_bytes(made_by_age)
    with open(tmp_path / "x.age", "rb") as source, open(tmp_path / "x", "wb") as sink:
        assert age.decrypt_stream(source, sink, [identity]) == size
    assert (tmp_path / "x").read_bytes() == data


def test_stock_age_keys_parse_and_our_writer_encrypts_to_them(tmp_path: Path) -> None:
    key_file = tmp_path / "k.txt"
    subprocess.run([AGE_KEYGEN, "-o", str(key_file)], capture_output=True, check=True)
    recipient = _stock_recipient(key_file)
    assert len(age.read_identities(key_file)) == 1
    data = os.urandom(age.CHUNK_SIZE + 3)
    blob = tmp_path / "x.age"
    with open(blob, "wb") as sink:
        writer = age.AgeWriter(sink, [age.parse_recipient(recipient)])
        writer.write(data)
        writer.close()
    result = subprocess.run(
        [AGE, "-d", "-i", str(key_file), str(blob)], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


def test_our_keys_are_accepted_by_the_stock_age_tool(tmp_path: Path) -> None:
    identity, recipient = age.generate_identity()
    key_file = tmp_path / "k.txt"
    key_file.write_text(age.identity_file_text(identity, recipient, "test"))
    assert _stock_recipient(key_file) == recipient
    (tmp_path / "r.txt").write_text(recipient + "\n")
    assert age.read_recipients(tmp_path / "r.txt") == [recipient]
    data = os.urandom(1000)
    made_by_age = subprocess.run(
        [AGE, "-R", str(tmp_path / "r.txt")], input=data, capture_output=True, check=True
    ).stdout
    opened = subprocess.run(
        [AGE, "-d", "-i", str(key_file)], input=made_by_age, capture_output=True, check=True
    ).stdout
    assert opened == data
    assert age.decrypt_bytes(made_by_age, age.read_identities(key_file)) == data


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


# Run in a fresh interpreter: the peak RSS of this test process says nothing about
# pyrage's own (Rust) buffers, which tracemalloc cannot see.
_PEAK_RSS_OF_DECRYPTING = """
import resource, sys
from booth.wire import age
with open(sys.argv[1], "rb") as source, open(sys.argv[2], "wb") as sink:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = age.decrypt_stream(source, sink, [sys.argv[3]])
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(size, (after - before) * 1024)
"""


def test_memory_stays_bounded_while_decrypting(tmp_path: Path) -> None:
    identity, recipient = age.generate_identity()
    blob = tmp_path / "x.age"
    block = os.urandom(1024 * 1024)
    with open(blob, "wb") as sink:
        writer = age.AgeWriter(sink, [age.parse_recipient(recipient)])
        for _ in range(64):  # a 64 MiB video answer
            writer.write(block)
        writer.close()
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS_OF_DECRYPTING, str(blob), os.devnull, identity],
        capture_output=True, check=True, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    size, grown = (int(n) for n in result.stdout.split())
    assert size == 64 * len(block)
    assert grown < 8 * len(block)


def test_a_full_disk_while_decrypting_is_not_called_a_damaged_file(tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    data = os.urandom(3 * age.CHUNK_SIZE + 100)
    source = io.BytesIO(age.encrypt_bytes(data, keys.recipients))
    sink = FullDisk(tmp_path / "out.part", room=age.CHUNK_SIZE)
    with pytest.raises(OSError, match="No space") as raised:
        age.decrypt_stream(source, cast(BinaryIO, sink), [keys.ingest_identity])
    sink.close()
    assert raised.value.errno == errno.ENOSPC
    assert not isinstance(raised.value, age.AgeError)


def test_refusals_are_said_in_our_words(tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "keys")
    blob = age.encrypt_bytes(b"hello", keys.recipients)
    with pytest.raises(age.AgeError, match="no identity given can open"):
        age.decrypt_bytes(blob, [age.generate_identity()[0]])
    with pytest.raises(age.AgeError, match="not an age file"):
        age.decrypt_bytes(b"an mp4, not an age file\n", [keys.ingest_identity])
    with pytest.raises(age.AgeError, match="payload was altered or cut short"):
        age.decrypt_bytes(blob[:-1], [keys.ingest_identity])
    with pytest.raises(age.AgeError, match="not an age X25519 identity"):
        age.decrypt_bytes(blob, [keys.recipients[0]])
    with pytest.raises(age.AgeError, match="not an age X25519 recipient"):
        age.parse_recipient(age.generate_identity()[0])
    # A secret key is never echoed back in an error, not even its first characters.
    identity = keys.ingest_identity
    with pytest.raises(age.AgeError) as raised:
        age.decrypt_bytes(blob, [identity[:-1] + ("Q" if identity[-1] != "Q" else "P")])
    assert identity[:16] not in str(raised.value)
