"""The seekable age reader opens files made by the stock age tool and pyrage, returns any
byte range, and refuses altered, moved or cut chunks."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pyrage
import pytest

from booth.wire.age import generate_identity
from council.workspace.ageseek import (
    CHUNK_SIZE,
    ENCRYPTED_CHUNK_SIZE,
    AgeRangeError,
    SeekableAgeFile,
    parse_identity,
)

AGE = shutil.which("age") or "/usr/bin/age"
SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 12345]


@pytest.fixture(scope="module")
def identity() -> tuple[str, str]:
    return generate_identity()


def _stock_age(data: bytes, recipient: str, tmp_path: Path) -> bytes:
    source = tmp_path / "plain"
    source.write_bytes(data)
    done = subprocess.run([AGE, "-r", recipient, str(source)], check=True, capture_output=True)
    return done.stdout


def _pyrage(data: bytes, recipient: str) -> bytes:
    return bytes(pyrage.encrypt(data, [pyrage.x25519.Recipient.from_str(recipient)]))


def _open(sealed: bytes, secret: str) -> SeekableAgeFile:
    return SeekableAgeFile(io.BytesIO(sealed), len(sealed), [parse_identity(secret)])


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("maker", ["age", "pyrage"])
def test_every_range_of_a_file_the_stock_tools_made_reads_back(
    size: int, maker: str, identity: tuple[str, str], tmp_path: Path
) -> None:
    secret, recipient = identity
    data = os.urandom(size)
    sealed = (_stock_age(data, recipient, tmp_path) if maker == "age"
              else _pyrage(data, recipient))
    reader = _open(sealed, secret)
    assert reader.size == size
    assert reader.read_all() == data
    if size:
        pairs = [(0, 0), (size - 1, size - 1), (size // 3, size - 1)]
        if size > CHUNK_SIZE + 5:
            pairs.append((CHUNK_SIZE - 5, CHUNK_SIZE + 5))  # across a chunk boundary
        for first, last in pairs:
            assert b"".join(reader.read_range(first, last)) == data[first:last + 1]


def test_a_range_in_the_middle_decrypts_only_the_chunks_it_covers(
    identity: tuple[str, str], tmp_path: Path
) -> None:
    secret, recipient = identity
    data = os.urandom(40 * CHUNK_SIZE)
    sealed = _stock_age(data, recipient, tmp_path)
    reader = _open(sealed, secret)
    opened: list[int] = []
    real = reader.chunk

    def counting(index: int) -> bytes:
        opened.append(index)
        return real(index)

    reader.chunk = counting  # type: ignore[method-assign]
    middle = 20 * CHUNK_SIZE + 100
    assert b"".join(reader.read_range(middle, middle + 1000)) == data[middle:middle + 1001]
    assert opened == [20]


def test_a_damaged_chunk_is_refused_and_the_others_still_read(
    identity: tuple[str, str], tmp_path: Path
) -> None:
    secret, recipient = identity
    data = os.urandom(4 * CHUNK_SIZE + 10)
    sealed = bytearray(_stock_age(data, recipient, tmp_path))
    header = len(sealed) - (4 * ENCRYPTED_CHUNK_SIZE + 10 + 16)
    sealed[header + ENCRYPTED_CHUNK_SIZE + 500] ^= 0x01  # inside chunk 1
    reader = _open(bytes(sealed), secret)
    with pytest.raises(AgeRangeError, match="chunk 1"):
        list(reader.read_range(CHUNK_SIZE, CHUNK_SIZE + 10))
    assert b"".join(reader.read_range(0, 99)) == data[:100]
    assert b"".join(reader.read_range(3 * CHUNK_SIZE, 3 * CHUNK_SIZE + 9)) == (
        data[3 * CHUNK_SIZE:3 * CHUNK_SIZE + 10])


def test_a_file_cut_at_a_chunk_boundary_is_refused_at_its_end(
    identity: tuple[str, str], tmp_path: Path
) -> None:
    secret, recipient = identity
    data = os.urandom(3 * CHUNK_SIZE + 10)
    sealed = _stock_age(data, recipient, tmp_path)
    cut = sealed[: len(sealed) - (10 + 16)]  # the last (short) chunk is gone
    reader = _open(cut, secret)
    with pytest.raises(AgeRangeError):
        reader.read_all()


def test_swapped_chunks_are_refused(identity: tuple[str, str], tmp_path: Path) -> None:
    secret, recipient = identity
    data = os.urandom(3 * CHUNK_SIZE + 10)
    sealed = bytearray(_stock_age(data, recipient, tmp_path))
    start = len(sealed) - (3 * ENCRYPTED_CHUNK_SIZE + 10 + 16)
    first = sealed[start:start + ENCRYPTED_CHUNK_SIZE]
    second = sealed[start + ENCRYPTED_CHUNK_SIZE:start + 2 * ENCRYPTED_CHUNK_SIZE]
    sealed[start:start + 2 * ENCRYPTED_CHUNK_SIZE] = second + first
    reader = _open(bytes(sealed), secret)
    with pytest.raises(AgeRangeError):
        list(reader.read_range(0, 10))


def test_another_key_an_altered_header_or_not_age_is_refused(
    identity: tuple[str, str], tmp_path: Path
) -> None:
    secret, recipient = identity
    sealed = _stock_age(b"hello" * 100, recipient, tmp_path)
    other, _ = generate_identity()
    with pytest.raises(AgeRangeError, match="no identity"):
        _open(sealed, other)
    altered = sealed.replace(b"X25519 ", b"X25519 A", 1)
    with pytest.raises(AgeRangeError):
        _open(altered, secret)
    with pytest.raises(AgeRangeError, match="not an age"):
        _open(b"\x00" * 200, secret)


def test_the_stock_tool_decrypts_what_the_kiosk_writes_and_so_does_this_reader(
    identity: tuple[str, str], tmp_path: Path
) -> None:
    from booth.wire.age import encrypt_bytes

    secret, recipient = identity
    data = os.urandom(2 * CHUNK_SIZE + 3)
    sealed = encrypt_bytes(data, [recipient])
    assert _open(sealed, secret).read_all() == data
    key = tmp_path / "key.txt"
    key.write_text(secret + "\n")
    target = tmp_path / "sealed.age"
    target.write_bytes(sealed)
    done = subprocess.run([AGE, "-d", "-i", str(key), str(target)], check=True,
                          capture_output=True)
    assert done.stdout == data
