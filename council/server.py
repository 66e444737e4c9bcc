"""The council ingest server: tus 1.0.0 blob uploads, bundle commits with signed receipts."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import errno
import hashlib
import json
import logging
import queue
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from booth.wire import bundle as bundle_format
from booth.wire import checksums
from booth.wire.checksums import Checksum
from booth.wire.protocol import (
    BUNDLES,
    FILES,
    HELLO_PATH,
    SERVICE_NAME,
    SHA256_RE,
    TUS_EXTENSIONS,
    TUS_VERSION,
    blob_url,
)
from council.storage import (
    BlobStore,
    Catalogue,
    Device,
    FilePartWriter,
    PartWriter,
    StoredBundle,
    Upload,
)

if TYPE_CHECKING:
    from hashlib import _Hash as HashState
else:
    HashState = Any

log = logging.getLogger(__name__)

NONCE_RE = re.compile(r"^[0-9a-fA-F]{16,128}$")
# ASCII digits only: str.isdigit() also accepts characters int() cannot read (e.g. "²").
_DIGITS_RE = re.compile(r"[0-9]{1,20}")
_MAX_TOKEN = 512
_MAX_METADATA = 4096
GIB = 1024 * 1024 * 1024
MIB = 1024 * 1024


def hash_token(token: str) -> str:
    """Tokens are 256-bit random strings, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def utc_now_text(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")


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
    bench_raw: bool = False
    bench_dir: Path | None = None  # where PUT /bench/raw writes (and deletes) its file
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


def _error_response(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"error": error.code, "detail": error.detail, **error.extra}
    headers = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **error.headers}
    return JSONResponse(body, status_code=error.status, headers=headers)


async def _api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error_response(exc)


async def _http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return _error_response(
        ApiError(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))
    )


async def _crash_handler(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _error_response(ApiError(500, "server_error", "the server hit an unexpected error"))


def _int_header(request: Request, name: str, *, required: bool = True) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        if required:
            raise ApiError(400, "missing_header", f"{name} is required")
        return None
    raw = raw.strip()
    if not _DIGITS_RE.fullmatch(raw):
        raise ApiError(400, "bad_header", f"{name} must be a non-negative whole number")
    return int(raw)


def parse_metadata(raw: str) -> dict[str, str]:
    """tus Upload-Metadata: comma-separated ``key base64value`` pairs."""
    if len(raw) > _MAX_METADATA:
        raise ApiError(400, "bad_metadata", "Upload-Metadata is too long")
    result: dict[str, str] = {}
    for pair in raw.split(","):
        pair = pair.strip()
        if not pair:
            continue
        parts = pair.split(" ")
        if len(parts) > 2 or not parts[0]:
            raise ApiError(400, "bad_metadata", "Upload-Metadata is not key/value pairs")
        value = ""
        if len(parts) == 2:
            try:
                value = base64.b64decode(parts[1], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise ApiError(400, "bad_metadata", "Upload-Metadata value is not base64") from None
        result[parts[0]] = value
    return result


class _RunningHashes:
    """SHA-256 of each upload so far, kept in memory so completing needs no re-read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hashes: dict[str, tuple[int, HashState]] = {}

    def get(self, sha256: str, offset: int) -> HashState | None:
        with self._lock:
            found = self._hashes.get(sha256)
        if found is not None and found[0] == offset:
            return found[1].copy()
        if offset == 0:
            return hashlib.sha256()
        return None

    def put(self, sha256: str, offset: int, digest: HashState | None) -> None:
        with self._lock:
            if digest is None:
                self._hashes.pop(sha256, None)
            else:
                self._hashes[sha256] = (offset, digest)

    def drop(self, sha256: str) -> None:
        with self._lock:
            self._hashes.pop(sha256, None)


class CouncilApp:
    """The request handlers, bound to one configuration."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.hashes = _RunningHashes()
        # Handlers run on the event loop, so per-upload locks are asyncio locks. Each entry
        # counts its users and goes when the last one leaves, so the table stays small.
        self._upload_locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    # helpers
    def _busy(self, sha256: str) -> bool:
        return sha256 in self._upload_locks

    @contextlib.asynccontextmanager
    async def _upload_lock(self, sha256: str) -> AsyncIterator[None]:
        lock, users = self._upload_locks.setdefault(sha256, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._upload_locks[sha256]

    def _now(self) -> float:
        return self.config.clock()

    def _tus_headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}
        if extra:
            headers.update(extra)
        return headers

    def _require_tus(self, request: Request) -> None:
        if request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise ApiError(
                412, "tus_version", "this server speaks tus 1.0.0",
                headers={"Tus-Version": TUS_VERSION},
            )

    def authenticate(self, request: Request) -> Device:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN:
            raise ApiError(
                401, "unauthorised", "a device token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        device = self.config.catalogue.device_by_token_hash(hash_token(token))
        if device is None:
            raise ApiError(
                401, "unknown_device", "this device is not enrolled",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if device.revoked_at is not None:
            raise ApiError(403, "revoked", "this device has been withdrawn by the council")
        return device

    def _blob_name(self, request: Request) -> str:
        name = str(request.path_params.get("sha256", ""))
        if not SHA256_RE.fullmatch(name):
            raise ApiError(404, "not_found", "no such upload")
        return name

    def _expires(self, upload: Upload) -> dict[str, str]:
        return {"Upload-Expires": formatdate(upload.expires_at, usegmt=True)}

    def _live_upload(self, sha256: str, device: Device) -> Upload | None:
        """The unfinished upload of this device, or None; 410 if it has expired."""
        upload = self.config.catalogue.get_upload(sha256)
        if upload is None or upload.completed:
            return None
        if upload.device_id != device.device_id:
            return None
        if upload.expires_at <= self._now():
            self._drop_upload(sha256)
            raise ApiError(410, "expired", "this upload expired; start it again")
        part_size = self.config.blobs.part_size(sha256)
        if part_size is None:
            self._drop_upload(sha256)
            return None
        if part_size < upload.offset:
            # A power cut took bytes the catalogue had counted: resume from what is on disk.
            self.config.catalogue.set_upload_offset(sha256, part_size, upload.expires_at)
            self.hashes.drop(sha256)
            upload = Upload(sha256, upload.length, part_size, upload.expires_at,
                            upload.device_id, False)
        return upload

    def _drop_upload(self, sha256: str) -> None:
        self.config.blobs.discard_part(sha256)
        self.config.catalogue.delete_upload(sha256)
        self.hashes.drop(sha256)

    def sweep_expired(self) -> int:
        """Remove unfinished uploads past their expiry; returns how many."""
        expired = self.config.catalogue.expired_uploads(self._now())
        for upload in expired:
            self._drop_upload(upload.sha256)
        return len(expired)

    # tus
    async def options(self, request: Request) -> Response:
        return Response(
            status_code=204,
            headers=self._tus_headers({
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Max-Size": str(self.config.max_blob_size),
                "Tus-Checksum-Algorithm": checksums.ADVERTISED,
            }),
        )

    async def create(self, request: Request) -> Response:
        self._require_tus(request)
        device = self.authenticate(request)
        if request.headers.get("Upload-Defer-Length") is not None:
            raise ApiError(400, "defer_length", "Upload-Defer-Length is not supported")
        length = _int_header(request, "Upload-Length")
        assert length is not None
        if length > self.config.max_blob_size:
            raise ApiError(
                413, "too_large", f"a blob may be at most {self.config.max_blob_size} bytes"
            )
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
        sha256 = metadata.get("sha256", "").strip().lower()
        if not SHA256_RE.fullmatch(sha256):
            raise ApiError(
                400, "bad_metadata", "Upload-Metadata must name the blob: sha256 <hex>"
            )
        location = f"{request.scope.get('root_path', '')}{blob_url(sha256)}"
        async with self._upload_lock(sha256):
            await run_in_threadpool(self.sweep_expired)
            size = self.config.blobs.blob_size(sha256)
            if size is not None:
                if size != length:
                    raise ApiError(
                        409, "length_conflict", "that blob is stored with another length"
                    )
                return Response(status_code=201, headers=self._tus_headers({"Location": location}))
            existing = self.config.catalogue.get_upload(sha256)
            if existing is not None and existing.device_id != device.device_id:
                owner = self.config.catalogue.get_device(existing.device_id)
                if owner is not None and owner.revoked_at is None:
                    raise ApiError(409, "in_use", "another device is uploading this blob")
                # A withdrawn device's unfinished upload must not block anyone.
                self._drop_upload(sha256)
                existing = None
            if existing is None and (
                self.config.catalogue.uploads_in_flight(device.device_id)
                >= self.config.max_uploads_in_flight
            ):
                raise ApiError(
                    429, "too_many_uploads", "too many unfinished uploads; finish those first",
                    headers={"Retry-After": "60"},
                )
            upload = Upload(
                sha256=sha256,
                length=length,
                offset=0,
                expires_at=self._now() + self.config.upload_expiry_seconds,
                device_id=device.device_id,
                completed=False,
            )
            await run_in_threadpool(self.config.blobs.start_part, sha256)
            self.config.catalogue.create_upload(upload)
            self.hashes.drop(sha256)
            if length == 0:
                await self._complete(upload, hashlib.sha256())
        return Response(
            status_code=201,
            headers=self._tus_headers({"Location": location, **self._expires(upload)}),
        )

    async def head(self, request: Request) -> Response:
        self._require_tus(request)
        device = self.authenticate(request)
        sha256 = self._blob_name(request)
        if self._busy(sha256):
            # Past the wait, answer with the offset as it stands (a writer stuck on a
            # half-open connection must not hold every HEAD up with it).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.head_waits_for_writer_seconds):
                    async with self._upload_lock(sha256):
                        pass
        size = self.config.blobs.blob_size(sha256)
        if size is not None:
            return Response(
                status_code=200,
                headers=self._tus_headers({"Upload-Offset": str(size), "Upload-Length": str(size)}),
            )
        upload = self._live_upload(sha256, device)
        if upload is None:
            raise ApiError(404, "not_found", "no such upload")
        return Response(
            status_code=200,
            headers=self._tus_headers({
                "Upload-Offset": str(upload.offset),
                "Upload-Length": str(upload.length),
                **self._expires(upload),
            }),
        )

    async def patch(self, request: Request) -> Response:
        self._require_tus(request)
        device = self.authenticate(request)
        sha256 = self._blob_name(request)
        if request.headers.get("Content-Type", "").split(";")[0].strip() != (
            "application/offset+octet-stream"
        ):
            raise ApiError(415, "content_type", "PATCH needs application/offset+octet-stream")
        offset = _int_header(request, "Upload-Offset")
        assert offset is not None
        content_length = _int_header(request, "Content-Length", required=False)
        checksum = self._parse_checksum(request.headers.get("Upload-Checksum"))
        if self._busy(sha256):
            raise ApiError(409, "busy", "another request is writing this upload; ask HEAD again")
        async with self._upload_lock(sha256):
            size = self.config.blobs.blob_size(sha256)
            if size is not None:
                if offset != size:
                    raise ApiError(409, "offset", "the offset does not match",
                                   headers={"Upload-Offset": str(size)})
                return Response(status_code=204,
                                headers=self._tus_headers({"Upload-Offset": str(size)}))
            upload = self._live_upload(sha256, device)
            if upload is None:
                raise ApiError(404, "not_found", "no such upload")
            if offset != upload.offset:
                raise ApiError(409, "offset", "the offset does not match the upload; ask HEAD",
                               headers={"Upload-Offset": str(upload.offset)})
            remaining = upload.length - upload.offset
            limit = min(remaining, self.config.max_chunk_size)
            if content_length is not None and content_length > limit:
                raise self._too_much(content_length, remaining)
            return await self._write_chunk(request, upload, limit, remaining, checksum)

    def _too_much(self, size: int, remaining: int) -> ApiError:
        if size > remaining:
            return ApiError(413, "past_end", "these bytes go past the declared Upload-Length")
        return ApiError(
            413, "chunk_too_large", f"a PATCH may carry at most {self.config.max_chunk_size} bytes"
        )

    @staticmethod
    def _parse_checksum(raw: str | None) -> tuple[str, bytes] | None:
        if raw is None:
            return None
        algorithm, _, value = raw.strip().partition(" ")
        algorithm = algorithm.lower()
        if algorithm not in checksums.DIGEST_SIZES:
            raise ApiError(400, "checksum_algorithm",
                           f"Upload-Checksum must use one of: {checksums.ADVERTISED}")
        try:
            digest = base64.b64decode(value.strip(), validate=True)
        except binascii.Error:
            raise ApiError(400, "bad_checksum", "Upload-Checksum is not base64") from None
        if len(digest) != checksums.DIGEST_SIZES[algorithm]:
            raise ApiError(400, "bad_checksum", f"Upload-Checksum is not a {algorithm} digest")
        return algorithm, digest

    async def _write_chunk(
        self,
        request: Request,
        upload: Upload,
        limit: int,
        remaining: int,
        checksum: tuple[str, bytes] | None,
    ) -> Response:
        writer = self.config.blobs.open_part(upload.sha256, upload.offset)
        running = self.hashes.get(upload.sha256, upload.offset)
        check = checksums.new(checksum[0]) if checksum is not None else None
        sink = _ChunkSink(writer, running, check)
        received = 0
        disconnected = False
        try:
            try:
                async for data in request.stream():
                    if not data:
                        continue
                    received += len(data)
                    if received > limit:
                        raise self._too_much(received, remaining)
                    await sink.feed(data)
            except ClientDisconnect:
                disconnected = True
            try:
                await sink.finish()
            except OSError as error:
                if error.errno == errno.ENOSPC:
                    log.error("the council store is full; refusing bytes until there is room")
                    raise ApiError(507, "storage_full", "the council server's disk is full; "
                                   "try again later", headers={"Retry-After": "300"}) from None
                raise
            if check is not None and checksum is not None and (
                disconnected or check.digest() != checksum[1]
            ):
                await run_in_threadpool(writer.abort)
                if disconnected:
                    return Response(status_code=400)
                raise ApiError(460, "checksum_mismatch", "the bytes do not match Upload-Checksum",
                               headers={"Upload-Offset": str(upload.offset)})
        except BaseException:
            await sink.finish(raise_error=False)
            await run_in_threadpool(writer.abort)
            raise
        # Without a checksum, bytes that arrived before a cut are kept (tus core).
        await run_in_threadpool(writer.commit, self.config.fsync_each_chunk)
        new_offset = upload.offset + received
        expires_at = self._now() + self.config.upload_expiry_seconds
        await run_in_threadpool(
            self.config.catalogue.set_upload_offset, upload.sha256, new_offset, expires_at
        )
        self.hashes.put(upload.sha256, new_offset, running)
        if disconnected:
            return Response(status_code=400)
        updated = Upload(upload.sha256, upload.length, new_offset, expires_at,
                         upload.device_id, False)
        if new_offset == upload.length:
            await self._complete(updated, running)
            return Response(
                status_code=204, headers=self._tus_headers({"Upload-Offset": str(new_offset)})
            )
        return Response(
            status_code=204,
            headers=self._tus_headers({"Upload-Offset": str(new_offset), **self._expires(updated)}),
        )

    async def _complete(self, upload: Upload, running: HashState | None) -> None:
        """Full length is not acceptance: the bytes must hash to the blob's name."""
        if running is not None:
            actual = running.hexdigest()
        else:
            actual = await run_in_threadpool(self.config.blobs.hash_part, upload.sha256)
        if actual != upload.sha256:
            self._drop_upload(upload.sha256)
            raise ApiError(
                422, "hash_mismatch",
                "the uploaded bytes do not hash to the blob's name; the upload was removed",
            )
        await run_in_threadpool(self.config.blobs.finish_part, upload.sha256)
        await run_in_threadpool(self.config.catalogue.complete_upload, upload.sha256)
        self.hashes.drop(upload.sha256)

    async def delete(self, request: Request) -> Response:
        self._require_tus(request)
        device = self.authenticate(request)
        sha256 = self._blob_name(request)
        async with self._upload_lock(sha256):
            if self.config.blobs.has_blob(sha256):
                upload = self.config.catalogue.get_upload(sha256)
                owner = upload is not None and upload.device_id == device.device_id
                if not owner or self.config.catalogue.blob_referenced(sha256):
                    raise ApiError(403, "kept", "this blob belongs to a received bundle")
                self.config.blobs.delete_blob(sha256)
                self.config.catalogue.delete_upload(sha256)
                return Response(status_code=204, headers=self._tus_headers())
            upload = self.config.catalogue.get_upload(sha256)
            if upload is None or upload.device_id != device.device_id:
                raise ApiError(404, "not_found", "no such upload")
            self._drop_upload(sha256)
        return Response(status_code=204, headers=self._tus_headers())

    # api
    async def hello(self, request: Request) -> Response:
        device = self.authenticate(request)
        nonce = request.query_params.get("nonce", "")
        if not NONCE_RE.fullmatch(nonce):
            raise ApiError(400, "bad_nonce", "nonce must be 16 to 128 hex characters")
        signature = self.config.signing_key.sign(nonce.encode("ascii"))
        return JSONResponse(
            {
                "service": SERVICE_NAME,
                "device_id": device.device_id,
                "nonce": nonce,
                "signature": base64.b64encode(signature).decode("ascii"),
            },
            headers={"Cache-Control": "no-store"},
        )

    async def _read_body(self, request: Request, limit: int) -> bytes:
        declared = _int_header(request, "Content-Length", required=False)
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

    async def commit(self, request: Request) -> Response:
        device = self.authenticate(request)
        bundle_id = str(request.path_params.get("bundle_id", ""))
        if not bundle_format.is_valid_id(bundle_id):
            raise ApiError(404, "bad_id", "not a bundle id")
        body = await self._read_body(request, self.config.max_manifest_size)
        try:
            raw = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ApiError(400, "bad_json", "the body is not a JSON manifest") from None
        outcome = await run_in_threadpool(
            ingest_manifest, self.config, device, bundle_id, raw, self._now()
        )
        return JSONResponse(outcome.receipt, status_code=201 if outcome.created else 200)

    async def bench_raw(self, request: Request) -> Response:
        """A plain PUT of the same bytes, to measure what tus costs on top (benchmark only)."""
        self.authenticate(request)
        folder = self.config.bench_dir
        if folder is None:
            raise ApiError(404, "not_found", "no bench folder")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"raw-{secrets.token_hex(8)}.part"
        digest = hashlib.sha256()
        size = 0
        # The same writer, worker threads, hashing and fsync as a PATCH (a PATCH also
        # checks its chunk checksum: that is tus's cost), so the comparison measures the
        # protocol, not two implementations.
        writer = FilePartWriter.new(path)
        sink = _ChunkSink(writer, digest)
        try:
            try:
                async for data in request.stream():
                    if not data:
                        continue
                    size += len(data)
                    if size > self.config.max_blob_size:
                        raise ApiError(413, "too_large", "too large")
                    await sink.feed(data)
            finally:
                await sink.finish()
            await run_in_threadpool(writer.commit, True)
        finally:
            await run_in_threadpool(writer.abort)
            path.unlink(missing_ok=True)
        return JSONResponse({"size": size, "sha256": digest.hexdigest()})


class _ChunkSink:
    """Writes and hashes a request body off the event loop while the loop keeps reading
    the socket. Bytes go to the workers about a MiB at a time (one hand-off per MiB, not
    per socket read); one thread writes and feeds the first digest and any CRC-32, and
    each further digest gets a thread of its own, so SHA-256 and a tus SHA-1 run side by
    side (hashlib and file writes release the GIL on buffers this large). A CRC-32 is
    cheaper inline: another thread costs a hand-off per MiB and a wake-up each."""

    _BATCH = 1024 * 1024
    _QUEUE_BATCHES = 4  # per worker: a slow disk holds the sender back, not our memory

    def __init__(self, writer: PartWriter, *digests: HashState | Checksum | None) -> None:
        self._writer = writer
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._error: BaseException | None = None
        self._done = False
        found = [d for d in digests if d is not None]
        inline = found[:1] + [d for d in found[1:] if isinstance(d, checksums.Crc32)]
        jobs = [self._writing_job(inline)]
        jobs += [self._hashing_job(d) for d in found[1:] if d not in inline]
        self._lanes: list[tuple[queue.Queue[list[bytes] | None], threading.Thread]] = []
        for number, job in enumerate(jobs):
            lane: queue.Queue[list[bytes] | None] = queue.Queue(self._QUEUE_BATCHES)
            thread = threading.Thread(target=self._drain, args=(lane, job),
                                      name=f"patch-sink-{number}", daemon=True)
            thread.start()
            self._lanes.append((lane, thread))

    def _writing_job(self, digests: list[HashState | Checksum]) -> Callable[[list[bytes]], None]:
        def job(batch: list[bytes]) -> None:
            for piece in batch:
                self._writer.write(piece)
                for digest in digests:
                    digest.update(piece)
        return job

    @staticmethod
    def _hashing_job(digest: HashState | Checksum) -> Callable[[list[bytes]], None]:
        def job(batch: list[bytes]) -> None:
            for piece in batch:
                digest.update(piece)
        return job

    def _drain(self, lane: queue.Queue[list[bytes] | None],
               job: Callable[[list[bytes]], None]) -> None:
        while (batch := lane.get()) is not None:
            if self._error is not None:
                continue
            try:
                job(batch)
            except BaseException as exc:  # e.g. disk full: reported by finish()
                if self._error is None:
                    self._error = exc

    async def _dispatch(self) -> None:
        batch, self._pending, self._pending_size = self._pending, [], 0
        for lane, _thread in self._lanes:
            try:
                lane.put_nowait(batch)
            except queue.Full:
                await run_in_threadpool(lane.put, batch)

    async def feed(self, piece: bytes) -> None:
        self._pending.append(piece)
        self._pending_size += len(piece)
        if self._pending_size >= self._BATCH:
            await self._dispatch()

    def _stop_workers(self) -> None:
        for lane, _thread in self._lanes:
            lane.put(None)
        for _lane, thread in self._lanes:
            thread.join()

    async def finish(self, raise_error: bool = True) -> None:
        if not self._done:
            self._done = True
            if self._pending:
                await self._dispatch()
            await run_in_threadpool(self._stop_workers)
        if raise_error and self._error is not None:
            raise self._error


@dataclass(frozen=True)
class CommitOutcome:
    created: bool
    receipt: dict[str, Any]


def _manifest_blobs(config: ServerConfig, raw: dict[str, Any]) -> list[tuple[str, int]]:
    blobs = raw.get("blobs")
    if not isinstance(blobs, list):
        raise ApiError(400, "bad_manifest", "the manifest lists no blobs")
    if len(blobs) > config.max_blobs_per_bundle:
        raise ApiError(
            413, "too_many_blobs", f"a bundle may hold at most {config.max_blobs_per_bundle} blobs"
        )
    result: list[tuple[str, int]] = []
    seen: set[str] = set()
    for entry in blobs:
        if not isinstance(entry, dict):
            raise ApiError(400, "bad_manifest", "a blob entry is not an object")
        sha = entry.get("sha256")
        size = entry.get("size")
        if not isinstance(sha, str) or not SHA256_RE.fullmatch(sha):
            raise ApiError(400, "bad_manifest", "a blob entry has a bad sha256")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ApiError(400, "bad_manifest", "a blob entry has a bad size")
        if size > config.max_blob_size:
            raise ApiError(413, "too_large", f"a blob may be at most {config.max_blob_size} bytes")
        if sha in seen:
            raise ApiError(400, "bad_manifest", "a blob is listed twice")
        seen.add(sha)
        result.append((sha, size))
    return result


def _verified_on_arrival(config: ServerConfig, sha256: str) -> bool:
    """A blob this server took in over tus was hashed as it arrived and has not been
    rewritten since (blobs are immutable), so the commit need not read it all again."""
    upload = config.catalogue.get_upload(sha256)
    return upload is not None and upload.completed


def ingest_manifest(
    config: ServerConfig,
    device: Device,
    bundle_id: str,
    raw: Any,
    now: float,
    *,
    verify_hashes: bool = True,
) -> CommitOutcome:
    """Verify a signed manifest whose blobs are already stored, then record the bundle.

    Shared by the network commit and the sneakernet import so both check the same things."""
    if not isinstance(raw, dict):
        raise ApiError(400, "bad_manifest", "the manifest is not a JSON object")
    if raw.get("bundle_id") != bundle_id:
        raise ApiError(400, "id_mismatch", "the manifest names another bundle")
    if raw.get("device_id") != device.device_id:
        raise ApiError(403, "wrong_device", "this manifest belongs to another device")
    blobs = _manifest_blobs(config, raw)
    try:
        manifest = bundle_format.Manifest.parse(raw)
    except bundle_format.BundleError as error:
        raise ApiError(400, "bad_manifest", str(error)) from None
    if device.device_key is not None and manifest.device_key != device.device_key:
        raise ApiError(403, "device_key", "this manifest is signed by a key the council does "
                       "not know for this device")
    try:
        bundle_format.verify_manifest(manifest, expected_device_key=device.device_key)
    except bundle_format.BundleError as error:
        raise ApiError(400, "bad_signature", f"the manifest does not verify: {error}") from None
    manifest_sha = manifest.sha256
    existing = config.catalogue.get_bundle(bundle_id)
    if existing is not None:
        if existing.manifest_sha256 == manifest_sha:
            return CommitOutcome(False, json.loads(existing.receipt_json))
        raise ApiError(409, "conflict", "a different bundle with this id was already received")
    if not config.catalogue.pin_device_key(device.device_id, manifest.device_key):
        raise ApiError(403, "device_key", "this manifest is signed by a key the council does "
                       "not know for this device")
    missing: list[str] = []
    for sha, size in blobs:
        if config.blobs.blob_size(sha) != size:
            missing.append(sha)
        elif (verify_hashes and not _verified_on_arrival(config, sha)
              and config.blobs.hash_blob(sha) != sha):
            log.error("stored blob %s does not hash to its name; removing it", sha)
            config.blobs.delete_blob(sha)
            config.catalogue.delete_upload(sha)
            missing.append(sha)
    if missing:
        raise ApiError(422, "blobs_missing", "some blobs have not arrived",
                       extra={"missing": missing})
    received_at = utc_now_text(now)
    receipt = bundle_format.sign_receipt(manifest, config.signing_key, received_at)
    receipt_dict = receipt.to_dict()
    stored = StoredBundle(
        bundle_id=bundle_id,
        device_id=device.device_id,
        device_seq=int(manifest.device_seq),
        manifest_sha256=manifest_sha,
        manifest_json=manifest.to_bytes().decode("utf-8"),
        receipt_json=json.dumps(receipt_dict, sort_keys=True),
        received_at=received_at,
        blobs=tuple(sha for sha, _ in blobs),
    )
    if not config.catalogue.add_bundle(stored):
        # Another request stored it between our check and now: answer as a replay would.
        return ingest_manifest(config, device, bundle_id, raw, now, verify_hashes=False)
    log.info("received bundle %s from %s", bundle_id, device.device_id)
    # Answer from the stored text so a replay gets byte-for-byte the same receipt.
    return CommitOutcome(True, json.loads(stored.receipt_json))


def create_app(config: ServerConfig) -> Starlette:
    """The ingest app. ``config.middleware`` lets tests put a fault injector in front."""
    handlers = CouncilApp(config)
    routes = [
        Route(FILES, handlers.options, methods=["OPTIONS"]),
        Route(FILES, handlers.create, methods=["POST"]),
        Route(FILES + "{sha256}", handlers.options, methods=["OPTIONS"]),
        Route(FILES + "{sha256}", handlers.head, methods=["HEAD"]),
        Route(FILES + "{sha256}", handlers.patch, methods=["PATCH"]),
        Route(FILES + "{sha256}", handlers.delete, methods=["DELETE"]),
        Route(HELLO_PATH, handlers.hello, methods=["GET"]),
        Route(BUNDLES + "{bundle_id}", handlers.commit, methods=["PUT"]),
    ]
    if config.bench_raw:
        routes.append(Route("/bench/raw", handlers.bench_raw, methods=["PUT"]))
    app = Starlette(
        routes=routes,
        middleware=list(config.middleware),
        exception_handlers={
            ApiError: _api_error_handler,
            HTTPException: _http_error_handler,
            Exception: _crash_handler,
        },
    )
    app.state.handlers = handlers
    return app


class ServerThread:
    """A uvicorn server on a background thread (tests, the demo council)."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        import socket

        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            app, log_config=None, access_log=False, ws="none", lifespan="off",
            timeout_graceful_shutdown=2, timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, name=f"council-server-{self.port}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        # Server.run() would install signal handlers, which only the main thread may do.
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop(timeout=2.0)
                raise RuntimeError("the council server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()


def serve(
    config: ServerConfig,
    host: str = "127.0.0.1",
    port: int = 8765,
    certfile: Path | None = None,
    keyfile: Path | None = None,
) -> None:
    """Run the ingest server in the foreground until interrupted (``booth-council serve``).

    With ``certfile``/``keyfile`` it speaks HTTPS itself; otherwise put it behind a
    TLS-terminating reverse proxy before kiosks reach it over a public network."""
    import uvicorn

    uvicorn.run(
        create_app(config), host=host, port=port, ws="none", lifespan="off",
        # Past this many open connections new ones get 503 (kiosks back off and retry).
        limit_concurrency=256, timeout_keep_alive=30,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
    )
