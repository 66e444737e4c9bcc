"""The age v1 format (X25519 recipients), streamed: takes are encrypted from their first byte."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# The age spec (https://age-encryption.org/v1): a text header with one stanza per
# recipient, an HMAC over it, a 16-byte nonce, then the payload in ChaCha20-Poly1305
# chunks of 64 KiB whose 12-byte nonce is an 11-byte counter plus a "last chunk" flag.
AGE_INTRO = b"age-encryption.org/v1\n"
X25519_LABEL = b"age-encryption.org/v1/X25519"
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
FILE_KEY_SIZE = 16
NONCE_SIZE = 16
_MAX_HEADER = 64 * 1024
_COPY_BLOCK = 1024 * 1024

RECIPIENT_HRP = "age"
IDENTITY_HRP = "age-secret-key-"


class AgeError(Exception):
    """A key, header or payload that is not valid age, or that no identity given opens."""


class DiskFullError(OSError):
    """Writing failed because the disk is full; nothing written so far was lost."""


# --- bech32 (BIP 173), the text form of age keys ---------------------------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: Iterable[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= _GEN[i] if ((top >> i) & 1) else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: Iterable[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            raise AgeError("bad bech32 data")
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        raise AgeError("bad bech32 padding")
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    five = _convert_bits(data, 8, 5, True)
    values = _hrp_expand(hrp) + five
    polymod = _polymod([*values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in five + checksum)


def bech32_decode(text: str) -> tuple[str, bytes]:
    if text.lower() != text and text.upper() != text:
        raise AgeError("mixed-case key")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise AgeError("not a bech32 key")
    hrp, rest = text[:pos], text[pos + 1 :]
    try:
        values = [_CHARSET.index(c) for c in rest]
    except ValueError:
        raise AgeError("bad character in key") from None
    if _polymod(_hrp_expand(hrp) + values) != 1:
        raise AgeError("key checksum is wrong (a typo?)")
    return hrp, bytes(_convert_bits(values[:-6], 5, 8, False))


# --- keys ----------------------------------------------------------------------------


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _raw_private(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def parse_recipient(text: str) -> X25519PublicKey:
    """An ``age1...`` recipient string as an X25519 public key."""
    hrp, data = bech32_decode(text.strip())
    if hrp != RECIPIENT_HRP or len(data) != 32:
        raise AgeError(f"not an age X25519 recipient: {text[:12]}...")
    return X25519PublicKey.from_public_bytes(data)


def parse_identity(text: str) -> X25519PrivateKey:
    """An ``AGE-SECRET-KEY-1...`` identity string as an X25519 private key."""
    hrp, data = bech32_decode(text.strip())
    if hrp != IDENTITY_HRP or len(data) != 32:
        raise AgeError("not an age X25519 identity")
    return X25519PrivateKey.from_private_bytes(data)


def recipient_text(key: X25519PublicKey) -> str:
    return bech32_encode(RECIPIENT_HRP, _raw_public(key))


def identity_text(key: X25519PrivateKey) -> str:
    return bech32_encode(IDENTITY_HRP, _raw_private(key)).upper()


def generate_identity() -> tuple[str, str]:
    """A fresh age X25519 key pair as (``AGE-SECRET-KEY-1...``, ``age1...``)."""
    key = X25519PrivateKey.generate()
    return identity_text(key), recipient_text(key.public_key())


def identity_file_text(identity: str, recipient: str, created: str) -> str:
    """The same text the stock ``age-keygen`` writes, so ``age -d -i FILE`` reads it."""
    return f"# created: {created}\n# public key: {recipient}\n{identity}\n"


def read_identities(path: Path) -> list[str]:
    """The identity lines of an age identity file (comments and blank lines skipped)."""
    return _read_key_lines(path, parse_identity, "identity")


def read_recipients(path: Path) -> list[str]:
    """The ``age1...`` lines of a recipients file (comments and blank lines skipped)."""
    return _read_key_lines(path, parse_recipient, "recipient")


def _read_key_lines(path: Path, parse: Callable[[str], object], kind: str) -> list[str]:
    """The non-comment, non-blank lines of a key file, each checked by ``parse``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for line in found:
        parse(line)
    if not found:
        raise AgeError(f"{path.name} holds no age {kind}")
    return found


# --- header --------------------------------------------------------------------------


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    if b"=" in text or b"\n" in text:
        raise AgeError("bad base64 in header")
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except ValueError:
        raise AgeError("bad base64 in header") from None
    if _b64(data) != text:
        raise AgeError("non-canonical base64 in header")
    return data


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _wrap_lines(body: bytes) -> bytes:
    encoded = _b64(body)
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    if not lines or len(lines[-1]) == 64:
        lines.append(b"")
    return b"\n".join(lines) + b"\n"


def _x25519_stanza(recipient: X25519PublicKey, file_key: bytes) -> bytes:
    ephemeral = X25519PrivateKey.generate()
    share = _raw_public(ephemeral.public_key())
    shared = ephemeral.exchange(recipient)
    if shared == bytes(32):
        raise AgeError("recipient is a low-order point")
    wrap_key = _hkdf(shared, share + _raw_public(recipient), X25519_LABEL)
    body = ChaCha20Poly1305(wrap_key).encrypt(bytes(12), file_key, None)
    return b"-> X25519 " + _b64(share) + b"\n" + _wrap_lines(body)


def _build_header(recipients: Sequence[X25519PublicKey], file_key: bytes) -> bytes:
    header = AGE_INTRO + b"".join(_x25519_stanza(r, file_key) for r in recipients) + b"---"
    mac = hmac.new(_hkdf(file_key, b"", b"header"), header, hashlib.sha256).digest()
    return header + b" " + _b64(mac) + b"\n"


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


# --- writing -------------------------------------------------------------------------


def _write_all(sink: BinaryIO, data: bytes | bytearray | memoryview) -> None:
    try:
        sink.write(data)
    except OSError as exc:
        if exc.errno == 28:  # ENOSPC
            raise DiskFullError(28, "the disk is full") from exc
        raise


class AgeWriter(io.RawIOBase):
    """A write-only stream that encrypts to age recipients as it is written.

    Memory stays bounded by one 64 KiB chunk whatever the size of the stream."""

    def __init__(self, sink: BinaryIO, recipients: Sequence[X25519PublicKey]) -> None:
        super().__init__()
        if not recipients:
            raise AgeError("at least one recipient is needed")
        self._sink = sink
        file_key = secrets.token_bytes(FILE_KEY_SIZE)
        nonce = secrets.token_bytes(NONCE_SIZE)
        _write_all(sink, _build_header(recipients, file_key) + nonce)
        self._aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
        self._buffer = bytearray()
        self._counter = 0
        self._written = 0
        self._finished = False

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._written

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self.closed or self._finished:
            raise ValueError("write to a closed take stream")
        view = memoryview(data).cast("B")
        size = len(view)
        self._buffer += view
        # Keep the last (possibly full) chunk back: only close() knows it is the last.
        if len(self._buffer) > CHUNK_SIZE:
            whole = (len(self._buffer) - 1) // CHUNK_SIZE
            out = bytearray()
            with memoryview(self._buffer) as buf:
                for i in range(whole):
                    with buf[i * CHUNK_SIZE : (i + 1) * CHUNK_SIZE] as piece:
                        nonce = _chunk_nonce(self._counter, False)
                        out += self._aead.encrypt(nonce, piece, None)
                    self._counter += 1
            _write_all(self._sink, out)
            del self._buffer[: whole * CHUNK_SIZE]
        self._written += size
        return size

    def flush(self) -> None:
        if not self._sink.closed:
            self._sink.flush()

    def fileno(self) -> int:
        return self._sink.fileno()

    def finish(self) -> None:
        """Write the last chunk; the stream is a complete age file after this."""
        if self._finished:
            return
        last = self._aead.encrypt(_chunk_nonce(self._counter, True), bytes(self._buffer), None)
        _write_all(self._sink, last)
        self._buffer.clear()
        self._finished = True
        self._sink.flush()

    def close(self) -> None:
        if self.closed:
            return
        try:
            self.finish()
        finally:
            self._sink.close()
            super().close()


def encrypt_stream(
    source: BinaryIO, sink: BinaryIO, recipients: Sequence[str], block: int = _COPY_BLOCK
) -> None:
    """Encrypt everything readable from ``source`` into ``sink`` (which stays open)."""
    keys = [parse_recipient(r) for r in recipients]
    writer = AgeWriter(cast(BinaryIO, _Unclosable(sink)), keys)
    while chunk := source.read(block):
        writer.write(chunk)
    writer.close()


def encrypt_bytes(data: bytes, recipients: Sequence[str]) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, recipients)
    return out.getvalue()


class _Unclosable(io.RawIOBase):
    """Passes writes through and leaves the wrapped stream open on close."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._inner.write(data)
        return len(data)

    def flush(self) -> None:
        self._inner.flush()


# --- reading -------------------------------------------------------------------------


def _read_line(source: BinaryIO, consumed: list[int]) -> bytes:
    line = source.readline(_MAX_HEADER)
    consumed[0] += len(line)
    if consumed[0] > _MAX_HEADER or not line.endswith(b"\n"):
        raise AgeError("not an age file, or its header is cut short")
    return line[:-1]


def _open_header(source: BinaryIO, identities: Sequence[X25519PrivateKey]) -> bytes:
    consumed = [0]
    if _read_line(source, consumed) + b"\n" != AGE_INTRO:
        raise AgeError("not an age v1 file")
    header = bytearray(AGE_INTRO)
    file_key: bytes | None = None
    while True:
        line = _read_line(source, consumed)
        if line.startswith(b"--- "):
            header += b"---"
            mac = _unb64(line[4:])
            break
        if not line.startswith(b"-> "):
            raise AgeError("malformed age header")
        header += line + b"\n"
        args = line[3:].split(b" ")
        body = bytearray()
        while True:
            body_line = _read_line(source, consumed)
            header += body_line + b"\n"
            body += body_line
            if len(body_line) < 64:
                break
        if args[0] != b"X25519" or file_key is not None:
            continue
        if len(args) != 2:
            raise AgeError("malformed X25519 stanza")
        share = _unb64(args[1])
        wrapped = _unb64(bytes(body))
        if len(share) != 32 or len(wrapped) != FILE_KEY_SIZE + TAG_SIZE:
            raise AgeError("malformed X25519 stanza")
        for identity in identities:
            shared = identity.exchange(X25519PublicKey.from_public_bytes(share))
            salt = share + _raw_public(identity.public_key())
            try:
                file_key = ChaCha20Poly1305(_hkdf(shared, salt, X25519_LABEL)).decrypt(
                    bytes(12), wrapped, None
                )
                break
            except InvalidTag:
                continue
    if file_key is None:
        raise AgeError("no identity given can open this file")
    expected = hmac.new(_hkdf(file_key, b"", b"header"), bytes(header), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise AgeError("the age header was altered")
    return file_key


def decrypt_stream(source: BinaryIO, sink: BinaryIO, identities: Sequence[str]) -> int:
    """Decrypt an age file chunk by chunk into ``sink``; returns the plaintext size.

    Raises AgeError on any altered, truncated or foreign data; ``sink`` may then
    hold a prefix, so write it to a ``.part`` file and drop that on error."""
    keys = [parse_identity(i) for i in identities]
    file_key = _open_header(source, keys)
    nonce = source.read(NONCE_SIZE)
    if len(nonce) != NONCE_SIZE:
        raise AgeError("age file cut short")
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    counter = 0
    total = 0
    chunk = source.read(ENCRYPTED_CHUNK_SIZE)
    while True:
        following = source.read(ENCRYPTED_CHUNK_SIZE) if len(chunk) == ENCRYPTED_CHUNK_SIZE else b""
        last = not following
        if len(chunk) < TAG_SIZE:
            raise AgeError("age file cut short")
        try:
            plain = aead.decrypt(_chunk_nonce(counter, last), chunk, None)
        except InvalidTag:
            raise AgeError("the age payload was altered or cut short") from None
        if last and not plain and counter > 0:
            raise AgeError("empty last chunk")
        sink.write(plain)
        total += len(plain)
        if last:
            return total
        counter += 1
        chunk = following


def decrypt_bytes(data: bytes, identities: Sequence[str]) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(data), out, identities)
    return out.getvalue()
