"""The age v1 format (X25519 recipients): keys and decryption through pyrage, and the
streaming writer a take is encrypted with from its first byte."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

import pyrage
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# pyrage (rage, the Rust age) makes, reads and prints keys and does every decryption.
# It can only encrypt what it pulls from a reader, while a muxer pushes a take's bytes
# as it makes them; so the writer below stays, and tests hold it to the stock ``age``.
#
# The age spec (https://age-encryption.org/v1): a text header with one stanza per
# recipient, an HMAC over it, a 16-byte nonce, then the payload in ChaCha20-Poly1305
# chunks of 64 KiB whose 12-byte nonce is an 11-byte counter plus a "last chunk" flag.
AGE_INTRO = b"age-encryption.org/v1\n"
X25519_LABEL = b"age-encryption.org/v1/X25519"
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
FILE_KEY_SIZE = 16
NONCE_SIZE = 16
_COPY_BLOCK = 1024 * 1024


class AgeError(Exception):
    """A key, header or payload that is not valid age, or that no identity given opens."""


class DiskFullError(OSError):
    """Writing failed because the disk is full; nothing written so far was lost."""


# --- keys (pyrage) --------------------------------------------------------------------

# pyrage checks a key's text (checksum, prefix, length) but hands out no key bytes, and
# the header the writer builds needs the recipient's 32 bytes. So once pyrage has
# accepted a recipient, its canonical text is unpacked here: the characters between the
# "1" and the 6-character checksum carry the key, five bits each, 4 bits of padding last.
_BECH32_DIGITS = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_KEY_BITS = 256


def _recipient_bytes(checked: str) -> bytes:
    digits = checked.rpartition("1")[2][:-6]
    number = 0
    for digit in digits:
        number = number << 5 | _BECH32_DIGITS.index(digit)
    return (number >> (len(digits) * 5 - _KEY_BITS)).to_bytes(_KEY_BITS // 8, "big")


def _short(text: str) -> str:
    return text.strip()[:12] + "..."


def _pyrage_recipient(text: str) -> Any:
    """pyrage's recipient for ``age1...`` text; a typo is named as one."""
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except pyrage.RecipientError as exc:
        if "Bech32" in str(exc):
            # A single mistyped character fails the checksum (and so does text that is
            # no age key at all): say it in the words of the person who pasted it.
            raise AgeError(
                f"{_short(text)} is not an age recipient: its checksum is wrong (a typo?)"
            ) from None
        raise AgeError(f"not an age X25519 recipient: {_short(text)} ({exc})") from None


def _pyrage_identity(text: str) -> Any:
    """pyrage's identity for ``AGE-SECRET-KEY-1...`` text."""
    try:
        return pyrage.x25519.Identity.from_str(text.strip())
    except pyrage.IdentityError as exc:
        # Never echo any of a secret key back, not even its first characters.
        raise AgeError(f"not an age X25519 identity ({exc})") from None


def parse_recipient(text: str) -> X25519PublicKey:
    """An ``age1...`` recipient string, checked by pyrage, as the key the writer encrypts to."""
    checked = str(_pyrage_recipient(text))
    return X25519PublicKey.from_public_bytes(_recipient_bytes(checked))


def recipient_of(identity: str) -> str:
    """The ``age1...`` recipient of an ``AGE-SECRET-KEY-1...`` identity."""
    return str(_pyrage_identity(identity).to_public())


def generate_identity() -> tuple[str, str]:
    """A fresh age X25519 key pair as (``AGE-SECRET-KEY-1...``, ``age1...``)."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def identity_file_text(identity: str, recipient: str, created: str) -> str:
    """The same text the stock ``age-keygen`` writes, so ``age -d -i FILE`` reads it."""
    return f"# created: {created}\n# public key: {recipient}\n{identity}\n"


def read_identities(path: Path) -> list[str]:
    """The identity lines of an age identity file (comments and blank lines skipped)."""
    return _read_key_lines(path, _pyrage_identity, "identity")


def read_recipients(path: Path) -> list[str]:
    """The ``age1...`` lines of a recipients file (comments and blank lines skipped)."""
    return _read_key_lines(path, _pyrage_recipient, "recipient")


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


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


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


# --- reading (pyrage) -----------------------------------------------------------------

# Council videos can be hundreds of MB, so decryption streams through pyrage.decrypt_io:
# it reads and writes our open files a chunk at a time. Measured on a 200 MB blob: peak
# memory under 1 MiB above the interpreter's own, at about 800 MB/s; pyrage.decrypt, on
# whole bytes, peaks at three times the blob. pyrage.decrypt_file would stream too, but
# takes paths where the council's storage hands out open files.


class _Watched:
    """A file pyrage reads or writes through, keeping the first error the file raised.

    pyrage reports a failing read or write the way it reports a damaged chunk (a plain
    OSError, or a DecryptError in the header), so without this a full disk would read as
    an altered file. It also counts what was written."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.error: BaseException | None = None
        self.written = 0

    def _keep(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc

    def read(self, size: int = -1) -> bytes:
        try:
            return self._inner.read(size)
        except BaseException as exc:
            self._keep(exc)
            raise

    def write(self, data: bytes) -> int:
        try:
            self._inner.write(data)
        except BaseException as exc:
            self._keep(exc)
            raise
        self.written += len(data)
        return len(data)


def _in_our_words(exc: Exception) -> AgeError:
    """pyrage's (rage's) reason for refusing a file, said as this project says it."""
    reason = " ".join(str(exc).split())  # some of rage's reasons run over two lines
    if isinstance(exc, pyrage.DecryptError):
        if "No matching keys" in reason:
            return AgeError("no identity given can open this file")
        if "Header MAC" in reason:
            return AgeError("the age header was altered")
        return AgeError(f"not an age file, or its header is damaged ({reason})")
    # A chunk that fails its tag, or a file cut short, surfaces from pyrage's copy loop.
    return AgeError(f"the age payload was altered or cut short ({reason})")


def decrypt_stream(source: BinaryIO, sink: BinaryIO, identities: Sequence[str]) -> int:
    """Decrypt an age file chunk by chunk into ``sink``; returns the plaintext size.

    Raises AgeError on any altered, truncated or foreign data; ``sink`` may then
    hold a prefix, so write it to a ``.part`` file and drop that on error. An error
    of ``source`` or ``sink`` themselves (a full disk) is raised as it was."""
    keys = [_pyrage_identity(i) for i in identities]
    reader, writer = _Watched(source), _Watched(sink)
    try:
        pyrage.decrypt_io(reader, writer, keys)
    except (pyrage.DecryptError, OSError) as exc:
        failed = reader.error or writer.error
        if failed is not None:
            raise failed from None
        raise _in_our_words(exc) from None
    # pyrage writes through a buffer that is written out once more as it is dropped, and
    # an error there is not raised: look again so a full disk is never lost.
    failed = reader.error or writer.error
    if failed is not None:
        raise failed
    return writer.written


def decrypt_bytes(data: bytes, identities: Sequence[str]) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(data), out, identities)
    return out.getvalue()
