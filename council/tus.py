"""tus 1.0.0 blob uploads: create, HEAD, PATCH (streamed to disk and hashed), terminate."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import errno
import hashlib
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from booth.wire import checksums
from booth.wire.checksums import Checksum
from booth.wire.protocol import FILES, SHA256_RE, TUS_EXTENSIONS, TUS_VERSION, blob_url
from council.api import ApiError, ServerConfig, authenticate, int_header
from council.storage import Device, PartWriter, Upload

if TYPE_CHECKING:
    from hashlib import _Hash as HashState
else:
    HashState = Any

log = logging.getLogger(__name__)

_MAX_METADATA = 4096


def _size(size: int) -> str:
    if size >= 1_000_000_000:
        return f"{size / 1_000_000_000:.1f} GB"
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size:,} bytes"


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


class TusUploads:
    """The tus routes under ``/files/``, bound to one configuration.

    Blobs are named by their SHA-256; an upload belongs to the device that created it,
    and a blob is stored only once its bytes hash to its name."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.hashes = _RunningHashes()
        # Handlers run on the event loop, so per-upload locks are asyncio locks. Each entry
        # counts its users and goes when the last one leaves, so the table stays small.
        self._upload_locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    def routes(self) -> list[Route]:
        return [
            Route(FILES, self.options, methods=["OPTIONS"]),
            Route(FILES, self.create, methods=["POST"]),
            Route(FILES + "{sha256}", self.options, methods=["OPTIONS"]),
            Route(FILES + "{sha256}", self.head, methods=["HEAD"]),
            Route(FILES + "{sha256}", self.patch, methods=["PATCH"]),
            Route(FILES + "{sha256}", self.delete, methods=["DELETE"]),
        ]

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

    # routes
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
        device = authenticate(self.config, request)
        if request.headers.get("Upload-Defer-Length") is not None:
            raise ApiError(400, "defer_length", "Upload-Defer-Length is not supported")
        length = int_header(request, "Upload-Length")
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
            if existing is None:
                self._check_quota(device, length)
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

    def _check_quota(self, device: Device, length: int) -> None:
        """Refuse an upload that would take this device's unclaimed blobs over its quota.
        Waiting does not help (only ``booth-council gc`` frees them), so it is a 403 with
        words the kiosk shows its officer, not a 429 to retry."""
        held = self.config.catalogue.unclaimed_bytes(device.device_id)
        quota = self.config.max_unclaimed_bytes_per_device
        if held + length > quota:
            log.warning("device %s is over its unclaimed-blob quota (%d + %d > %d bytes)",
                        device.device_id, held, length, quota)
            raise ApiError(
                403, "quota",
                f"the council server already holds {_size(held)} from this booth in uploads "
                f"that no received bundle names (the limit is {_size(quota)}), so it takes no "
                "more for now. Ask the council's data team to run `booth-council gc "
                "--older-than-days 1`.",
                extra={"held": held, "quota": quota},
            )

    async def head(self, request: Request) -> Response:
        self._require_tus(request)
        device = authenticate(self.config, request)
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
        device = authenticate(self.config, request)
        sha256 = self._blob_name(request)
        if request.headers.get("Content-Type", "").split(";")[0].strip() != (
            "application/offset+octet-stream"
        ):
            raise ApiError(415, "content_type", "PATCH needs application/offset+octet-stream")
        offset = int_header(request, "Upload-Offset")
        assert offset is not None
        content_length = int_header(request, "Content-Length", required=False)
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
        sink = ChunkSink(writer, running, check)
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
        device = authenticate(self.config, request)
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


class ChunkSink:
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

