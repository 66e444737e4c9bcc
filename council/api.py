"""What every ingest route shares: the server's configuration, JSON errors, device tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.middleware import Middleware
from starlette.requests import Request

from council.guard import ConnectionLimits
from council.storage import BlobStore, Catalogue, Device

# ASCII digits only: str.isdigit() also accepts characters int() cannot read (e.g. "²").
_DIGITS_RE = re.compile(r"[0-9]{1,20}")
_MAX_TOKEN = 512
GIB = 1024 * 1024 * 1024
MIB = 1024 * 1024


def hash_token(token: str) -> str:
    """Tokens are 256-bit random strings, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class ServerConfig:
    """Everything the ingest app needs; limits are hard, anything larger gets a 413."""

    blobs: BlobStore
    catalogue: Catalogue
    signing_key: Ed25519PrivateKey
    max_blob_size: int = 2 * GIB
    max_chunk_size: int = 64 * MIB
    max_blobs_per_bundle: int = 64
    max_uploads_in_flight: int = 16
    max_manifest_size: int = 256 * 1024
    upload_expiry_seconds: float = 24 * 3600.0
    # fsync every PATCH before acknowledging its offset. Off, a server crash can lose
    # acknowledged bytes (the upload resumes from what is on disk) but never a blob: a
    # blob is fsynced and hash-checked when complete, before any receipt names it.
    fsync_each_chunk: bool = True
    # A HEAD that finds a PATCH still writing the upload (the one a dropped connection
    # left behind, most often) waits this long for it to finish, so the offset it reports
    # is settled and the resumed PATCH is not refused as busy after its bytes were sent.
    head_waits_for_writer_seconds: float = 5.0
    # What keeps the server from being starved (council/guard.py): requests one device
    # may have in flight (a kiosk needs one, two while a cut request is still winding
    # down), how long a request body may go quiet before it counts as cut off, and the
    # socket-level limits (request-head timeout, TCP keepalive, connection cap).
    max_requests_per_device: int = 8
    body_idle_timeout: float = 30.0
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)
    # Bytes one device may hold in blobs no received bundle names (finished or not): a
    # kiosk's bundle is far smaller, so only a stolen token or a broken kiosk reaches it.
    # ``booth-council gc`` clears such blobs; until then new uploads are refused (403).
    max_unclaimed_bytes_per_device: int = 4 * GIB
    # The store folder: the events list the workspace signs, and withdrawals from kiosks.
    store_dir: Path | None = None
    clock: Callable[[], float] = time.time
    middleware: Sequence[Middleware] = field(default_factory=tuple)


class ApiError(Exception):
    """An error answered as JSON: ``{"error": code, "detail": plain words}``."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}


def int_header(request: Request, name: str, *, required: bool = True) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        if required:
            raise ApiError(400, "missing_header", f"{name} is required")
        return None
    raw = raw.strip()
    if not _DIGITS_RE.fullmatch(raw):
        raise ApiError(400, "bad_header", f"{name} must be a non-negative whole number")
    return int(raw)


def authenticate(config: ServerConfig, request: Request) -> Device:
    """The enrolled, not withdrawn device whose bearer token this request carries."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN:
        raise ApiError(
            401, "unauthorised", "a device token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    device = config.catalogue.device_by_token_hash(hash_token(token))
    if device is None:
        raise ApiError(
            401, "unknown_device", "this device is not enrolled",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if device.revoked_at is not None:
        raise ApiError(403, "revoked", "this device has been withdrawn by the council")
    return device


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused with 413 as soon as it is known to pass ``limit``."""
    declared = int_header(request, "Content-Length", required=False)
    if declared is not None and declared > limit:
        raise ApiError(413, "too_large", f"the body may be at most {limit} bytes")
    chunks: list[bytes] = []
    total = 0
    async for data in request.stream():
        total += len(data)
        if total > limit:
            raise ApiError(413, "too_large", f"the body may be at most {limit} bytes")
        chunks.append(data)
    return b"".join(chunks)
