"""Random access into an age file: decrypt only the 64 KiB chunks a byte range covers.

Why this exists: pyrage (and the stock ``age`` tool) decrypt a stream from its first byte
to its last and cannot seek. The workspace's video player asks for byte ranges (a seek
in a 200 MB answer), and decrypting from the start for each of them would cost seconds
and tempt someone to cache plaintext on disk. The age format (https://age-encryption.org/v1)
makes random access safe: the payload is STREAM-encrypted in independent
ChaCha20-Poly1305 chunks whose nonce is the chunk number plus a "last chunk" flag, so
each chunk authenticates on its own and a moved, altered or truncated chunk is refused.
Everything here stays in memory; nothing plaintext is written anywhere.

Only X25519 recipients are supported (the council's ingest and escrow keys); other
stanzas (scrypt, plugins, grease) are skipped, as the spec asks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator, Sequence
from typing import BinaryIO

import bech32
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INTRO = b"age-encryption.org/v1\n"
X25519_LABEL = b"age-encryption.org/v1/X25519"
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
NONCE_SIZE = 16
FILE_KEY_SIZE = 16
MAX_HEADER = 64 * 1024


class AgeRangeError(Exception):
    """Not an age file, no identity opens it, or a chunk was altered, moved or cut short."""


def parse_identity(text: str) -> X25519PrivateKey:
    """An ``AGE-SECRET-KEY-1...`` line as an X25519 private key."""
    hrp, data = bech32.bech32_decode(text.strip().lower())
    if hrp != "age-secret-key-" or data is None:
        raise AgeRangeError("not an age X25519 identity")
    raw = bech32.convertbits(data, 5, 8, False)
    if raw is None or len(raw) != 32:
        raise AgeRangeError("not an age X25519 identity")
    return X25519PrivateKey.from_private_bytes(bytes(raw))


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _unb64(text: bytes) -> bytes:
    # age uses unpadded canonical base64; anything else is a malformed header.
    if b"=" in text:
        raise AgeRangeError("padded base64 in the age header")
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except ValueError:
        raise AgeRangeError("bad base64 in the age header") from None
    if base64.b64encode(data).rstrip(b"=") != text:
        raise AgeRangeError("non-canonical base64 in the age header")
    return data


def _raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def _unwrap(args: list[bytes], body: bytes, identities: Sequence[X25519PrivateKey]) -> bytes | None:
    if len(args) != 2:
        raise AgeRangeError("malformed X25519 stanza")
    share = _unb64(args[1])
    wrapped = _unb64(body)
    if len(share) != 32 or len(wrapped) != FILE_KEY_SIZE + TAG_SIZE:
        raise AgeRangeError("malformed X25519 stanza")
    peer = X25519PublicKey.from_public_bytes(share)
    for identity in identities:
        shared = identity.exchange(peer)
        key = _hkdf(shared, share + _raw_public(identity), X25519_LABEL)
        try:
            return ChaCha20Poly1305(key).decrypt(bytes(12), wrapped, None)
        except InvalidTag:
            continue
    return None


def _read_header(source: BinaryIO, identities: Sequence[X25519PrivateKey]) -> tuple[bytes, int]:
    """(file key, offset of the payload nonce), after checking the header's MAC."""
    head = source.read(MAX_HEADER)
    if not head.startswith(INTRO):
        raise AgeRangeError("not an age v1 file")
    lines = head.split(b"\n")
    position = len(INTRO)
    index = 1
    file_key: bytes | None = None

    def next_line() -> bytes:
        nonlocal index, position
        if index >= len(lines) - 1:
            raise AgeRangeError("the age header is cut short or too long")
        line = lines[index]
        index += 1
        position += len(line) + 1
        return line

    while True:
        line = next_line()
        if line.startswith(b"--- "):
            mac = _unb64(line[4:])
            mac_input = head[: position - len(line) - 1] + b"---"
            break
        if not line.startswith(b"-> "):
            raise AgeRangeError("malformed age header")
        args = line[3:].split(b" ")
        body = b""
        while True:
            body_line = next_line()
            body += body_line
            if len(body_line) < 64:
                break
        if args[0] == b"X25519" and file_key is None:
            file_key = _unwrap(args, body, identities)
    if file_key is None:
        raise AgeRangeError("no identity given can open this file")
    expected = hmac.new(_hkdf(file_key, b"", b"header"), mac_input, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise AgeRangeError("the age header was altered")
    return file_key, position


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class SeekableAgeFile:
    """An age file opened for reading at any plaintext offset.

    ``size`` is the ciphertext's length (the manifest's blob size), so the last chunk
    is known without reading to the end; a file cut short at a chunk boundary fails
    when its (then) last chunk does not open with the "last" flag."""

    def __init__(self, source: BinaryIO, size: int,
                 identities: Sequence[X25519PrivateKey]) -> None:
        self._source = source
        source.seek(0)
        file_key, nonce_at = _read_header(source, identities)
        source.seek(nonce_at)
        nonce = source.read(NONCE_SIZE)
        if len(nonce) != NONCE_SIZE:
            raise AgeRangeError("the age file is cut short")
        self._aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
        self._payload_at = nonce_at + NONCE_SIZE
        encrypted = size - self._payload_at
        if encrypted < TAG_SIZE:
            raise AgeRangeError("the age file is cut short")
        self.chunks = -(-encrypted // ENCRYPTED_CHUNK_SIZE)
        last_length = encrypted - (self.chunks - 1) * ENCRYPTED_CHUNK_SIZE
        if last_length < TAG_SIZE or (self.chunks > 1 and last_length == TAG_SIZE):
            raise AgeRangeError("the age file ends in a broken chunk")
        self.size = (self.chunks - 1) * CHUNK_SIZE + last_length - TAG_SIZE

    def close(self) -> None:
        self._source.close()

    def chunk(self, index: int) -> bytes:
        """The plaintext of chunk ``index``; AgeRangeError if it does not authenticate."""
        if not 0 <= index < self.chunks:
            raise AgeRangeError("no such chunk")
        self._source.seek(self._payload_at + index * ENCRYPTED_CHUNK_SIZE)
        data = self._source.read(ENCRYPTED_CHUNK_SIZE)
        try:
            return self._aead.decrypt(_nonce(index, index == self.chunks - 1), data, None)
        except InvalidTag:
            raise AgeRangeError(f"chunk {index} of the age file was altered or cut") from None

    def read_range(self, start: int, end: int) -> Iterator[bytes]:
        """Plaintext bytes ``start`` to ``end`` inclusive, one chunk's worth at a time."""
        if not 0 <= start <= end < self.size:
            raise AgeRangeError("range outside the file")
        first, last = start // CHUNK_SIZE, end // CHUNK_SIZE
        for index in range(first, last + 1):
            plain = self.chunk(index)
            low = start - index * CHUNK_SIZE if index == first else 0
            high = end - index * CHUNK_SIZE + 1 if index == last else len(plain)
            yield plain[low:high]

    def read_all(self) -> bytes:
        """The whole plaintext (tests and small blobs only: it is all in memory)."""
        return b"".join(self.read_range(0, self.size - 1)) if self.size else b""
