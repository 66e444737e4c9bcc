"""The uploader: sealed bundles to the council server over tus, receipts before purging.

For each bundle: check it on disk (a damaged one is quarantined, never sent), then for
each blob HEAD first (resume from the server's offset), POST to create, PATCH chunks
with ``Upload-Offset`` and ``Upload-Checksum``; then PUT the signed manifest and verify
the server's receipt before marking the bundle committed, deleting its blobs and
keeping a tombstone. Transient trouble (network, 5xx, 429, a captive portal, an upload
the server is still busy with) is retried forever with exponential backoff and full
jitter, and a server's ``Retry-After`` can lengthen a wait but never shorten it below
the backoff's step; 401/403/413 and a conflicting bundle stop and ask for an officer.
No Qt here: ``booth.sync.qt`` runs this on a worker thread.
"""

from __future__ import annotations

import base64
import logging
import random
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import NoReturn

import httpx

from booth.files import file_sha256, fsync_dir
from booth.store import Bundle, Store
from booth.sync.errors import GaveUp as GaveUp  # re-exported: callers catch these here
from booth.sync.errors import NeedsOfficer as NeedsOfficer
from booth.sync.errors import SyncStopped as SyncStopped
from booth.sync.errors import Transient as Transient
from booth.sync.keys import Credential, DeviceKeys
from booth.sync.messages import CouncilMessages, MessagesReport
from booth.sync.online import auth_headers, describe_connection_error, make_client, say_hello
from booth.wire import checksums
from booth.wire.bundle import (
    BundleError,
    Manifest,
    Receipt,
    blob_path,
    verify_bundle_dir,
    verify_receipt,
)
from booth.wire.protocol import FILES, TUS_VERSION, blob_url, bundle_url

log = logging.getLogger(__name__)

DEFAULT_CHUNK = 8 * 1024 * 1024
BACKOFF_BASE = 2.0
BACKOFF_CAP = 600.0
RETRY_AFTER_CAP = 3600.0
CHECKSUM_RETRIES = 3
SEND_SLICE = 1024 * 1024

# The council server's codes for a manifest it has read and refuses for good.
REFUSED_MANIFEST = frozenset({"bad_json", "bad_manifest", "bad_signature", "id_mismatch"})

ProgressFn = Callable[[str, int, int], None]
BundleFn = Callable[[str], None]
StateFn = Callable[[str], None]


class _Quarantine(Exception):
    """This bundle cannot be sent as it is: set it aside, then go on with the others
    (or, when ``stop``, stop and tell the officer)."""

    def __init__(self, reason: str, stop: bool = False) -> None:
        super().__init__(reason)
        self.stop = stop


def full_jitter(attempt: int, rand: Callable[[], float], base: float, cap: float) -> float:
    """AWS "full jitter": a uniform wait between 0 and min(cap, base * 2**attempt)."""
    return rand() * min(cap, base * (2.0 ** min(attempt, 32)))


def _http_date(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text.strip()).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_retry_after(value: str | None, server_date: str | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds, or an HTTP date read
    against the server's own ``Date`` header, never the kiosk's clock (which may be hours
    out). A date with no ``Date`` to read it against says nothing: the backoff decides."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    when = _http_date(value)
    now = _http_date(server_date)
    if when is None or now is None:
        return None
    return max(0.0, min(when - now, RETRY_AFTER_CAP))


def retry_wait(step: float, retry_after: float | None, floor: float) -> float:
    """How long to wait before trying again: what the server asked for, but never less
    than the backoff's own step nor ``floor``, so a ``Retry-After`` in the past (or a
    server that says 0) cannot turn backoff into a tight loop."""
    return max(step, floor, retry_after if retry_after is not None else 0.0)


@dataclass(frozen=True)
class _Chunk:
    """One PATCH worth of a blob, read as ``SEND_SLICE`` blocks: the HTTP stack sends
    each block as it is (it re-copies the unsent rest of one large buffer after every
    partial socket write), and nothing is copied to cut the chunk up."""

    blocks: tuple[bytes, ...]
    size: int
    checksum: str  # the Upload-Checksum header's value, or "" without checksums


class _Prepared:
    """A chunk being read and checksummed on the reader's thread."""

    def __init__(self, offset: int, future: Future[_Chunk]) -> None:
        self.offset = offset
        self._future = future

    def result(self) -> _Chunk:
        return self._future.result()


class _ChunkReader:
    """Reads a blob's chunks, and their tus checksum, on a helper thread, so the next
    chunk is ready when the one on the wire is acknowledged (the checksum releases the
    GIL). The blob's SHA-256 is not recomputed here: the council server hashes every
    blob it completes and refuses one that differs from its name (422), and only then
    does the kiosk hash its own copy to learn which side damaged it. That keeps a
    second full hash off a kiosk that may be recording the next person meanwhile."""

    def __init__(self, path: Path, sha256: str, size: int, checksum: str | None = "crc32") -> None:
        if checksum is not None and checksum not in checksums.DIGEST_SIZES:
            raise ValueError(f"unknown checksum algorithm {checksum!r}")
        self._checksum = checksum
        self._source = open(path, "rb")  # noqa: SIM115 - closed in __exit__
        self._size = size
        self._sha256 = sha256
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="booth-read")

    def __enter__(self) -> _ChunkReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)
        self._source.close()

    def prepare(self, offset: int, chunk_size: int) -> _Prepared:
        return _Prepared(offset, self._pool.submit(self._read, offset, chunk_size))

    def _read(self, offset: int, chunk_size: int) -> _Chunk:
        want = min(chunk_size, self._size - offset)
        self._source.seek(offset)
        blocks: list[bytes] = []
        size = 0
        while size < want:
            block = self._source.read(min(SEND_SLICE, want - size))
            if not block:
                raise _Quarantine(f"blob {self._sha256[:12]} became shorter while sending")
            blocks.append(block)
            size += len(block)
        algorithm = self._checksum
        checksum = (
            f"{algorithm} {base64.b64encode(checksums.digest_of(algorithm, blocks)).decode()}"
            if algorithm is not None
            else ""
        )
        return _Chunk(tuple(blocks), size, checksum)


class ChunkSizer:
    """How many bytes the next PATCH carries: about ``target_seconds`` of the link's speed.

    A chunk is the unit a cut costs (a half-sent chunk is sent again whole) and the unit
    each request's fixed cost is paid on (the server checks, writes and fsyncs it before
    answering). A fixed size is wrong at one end or the other: venue Wi-Fi at 2 Mbit/s
    takes half a minute over 8 MiB, while on a fast link 8 MiB chunks spend a quarter of
    the time between requests. So the size doubles while full chunks go through in under
    half the target, halves when one takes over twice the target or the link drops, and
    stays within [smallest, largest]: a cut costs about ``target_seconds`` of sending on
    any link."""

    def __init__(self, start: int, smallest: int, largest: int, target_seconds: float) -> None:
        self.smallest = min(smallest, start)
        self.largest = max(largest, start)
        self.size = start
        self.target = target_seconds

    def sent(self, nbytes: int, seconds: float) -> None:
        """A PATCH of ``nbytes`` was acknowledged ``seconds`` after it began."""
        if nbytes < self.size:
            return  # a blob's short last chunk says little about the link
        if seconds < self.target / 2:
            self.size = min(self.size * 2, self.largest)
        elif seconds > self.target * 2:
            self.shrink()

    def too_large(self) -> bool:
        """The server refused this size: never try it again. False at the floor."""
        self.largest = max(self.smallest, min(self.largest, self.size // 2))
        return self.shrink()

    def shrink(self) -> bool:
        """Halve (a cut, a slow chunk, a server that wants smaller); False at the floor."""
        if self.size <= self.smallest:
            return False
        self.size = max(self.size // 2, self.smallest)
        return True


@dataclass
class SyncReport:
    """What one sync run did."""

    committed: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    bytes_sent: int = 0  # chunk bytes the server acknowledged
    bytes_attempted: int = 0  # chunk bytes put on the wire, acknowledged or not
    retries: int = 0  # transient failures waited out
    conflicts: int = 0  # 409 answers to a PATCH (stale offset), resolved by HEAD
    checksum_retries: int = 0  # 460 answers: the chunk arrived damaged and was resent
    waits: list[float] = field(default_factory=list)
    problem: str | None = None
    messages: MessagesReport | None = None  # the events list and withdrawals, once done


@dataclass
class UploaderOptions:
    # PATCH sizes (see ChunkSizer): start at chunk_size, then follow the link's speed
    # between min_chunk_size and max_chunk_size. A chunk is held in memory while it is
    # sent, and the next one is read meanwhile: 32 MiB keeps that to 64 MiB on a kiosk
    # that may be recording too (the council server takes up to 64 MiB; a server that
    # takes less says so with 413 and gets smaller chunks). All three the same keeps
    # every chunk one size.
    chunk_size: int = DEFAULT_CHUNK
    min_chunk_size: int = 1024 * 1024
    max_chunk_size: int = 32 * 1024 * 1024
    chunk_seconds: float = 2.0
    backoff_base: float = BACKOFF_BASE
    backoff_cap: float = BACKOFF_CAP
    timeout: float = 30.0
    give_up_after: int | None = None  # consecutive transient failures; None = forever
    # tus Upload-Checksum on every PATCH: a chunk damaged on the way is resent alone
    # (460) instead of the whole blob failing its hash at the end. CRC-32 is made for
    # catching transmission damage and costs a fraction of SHA-1 on both ends; the
    # blob's SHA-256, checked by the server, is what proves the bytes. "sha1" (the one
    # every tus server must accept) is there for a server that has nothing else.
    checksums: bool = True
    checksum_algorithm: str = "crc32"
    # After the bundles, fetch the council's events list even when nothing else is to be
    # sent (withdrawals still to forward always make a run talk to the council).
    fetch_events: bool = True


class Uploader:
    """Sends every sealed bundle; safe to run again at any point after a crash."""

    def __init__(
        self,
        store: Store,
        credential: Credential,
        device_keys: DeviceKeys,
        *,
        options: UploaderOptions | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        stop: threading.Event | None = None,
        on_progress: ProgressFn | None = None,
        on_committed: BundleFn | None = None,
        on_state: StateFn | None = None,
        hook: StateFn | None = None,
    ) -> None:
        self.store = store
        self.paths = store.paths
        self.credential = credential
        self.device_keys = device_keys
        self.options = options or UploaderOptions()
        self.client = client or make_client(credential, self.options.timeout)
        self._owns_client = client is None
        self._sleep = sleep
        self._rand = rand
        self._stop = stop or threading.Event()
        self._on_progress = on_progress or (lambda _b, _s, _t: None)
        self._on_committed = on_committed or (lambda _b: None)
        self._on_state = on_state or (lambda _s: None)
        # Test hook: called with the name of each step so a fault test can kill us there.
        self._hook = hook or (lambda _s: None)
        self._headers = {**auth_headers(credential), "Tus-Resumable": TUS_VERSION}
        self.report = SyncReport()
        self._refused: dict[str, int] = {}  # blobs the server refused as damaged (422)
        self._messages = CouncilMessages(store, credential, device_keys, self._request,
                                         auth_headers(credential))
        options = self.options
        self.chunks = ChunkSizer(options.chunk_size, options.min_chunk_size,
                                 options.max_chunk_size, options.chunk_seconds)

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Uploader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the loop

    def run(self) -> SyncReport:
        """Send everything pending. Raises NeedsOfficer or SyncStopped/GaveUp to stop."""
        self.report = SyncReport()
        self._purge_committed()
        # Bundles first, then (None) the council's messages: withdrawals of bundles that
        # have just arrived can go in the same run.
        pending: list[Bundle | None] = list(self.store.bundles_in_state("sealed", "uploading"))
        if pending or self.options.fetch_events or self.store.withdrawals_to_forward():
            pending.append(None)
        failures = 0
        checked_online = False
        while pending:
            if self._stop.is_set():
                raise SyncStopped("asked to stop")
            current = pending[0]
            try:
                if not checked_online:
                    self._check_online()
                    checked_online = True
                    self._on_state("syncing")
                if current is None:
                    self.report.messages = self._messages.exchange()
                    progressed = True
                else:
                    progressed = self._send_bundle(current)
            except Transient as exc:
                failures += 1
                self.report.retries += 1
                checked_online = False
                self._on_state("offline")
                give_up = self.options.give_up_after
                if give_up is not None and failures >= give_up:
                    self.report.problem = str(exc)
                    raise GaveUp(f"could not send for now: {exc}") from None
                step = full_jitter(failures - 1, self._rand, self.options.backoff_base,
                                   self.options.backoff_cap)
                # Half the base: full jitter's occasional near-zero draw is still a pause.
                delay = retry_wait(step, exc.retry_after, self.options.backoff_base / 2)
                log.info("sync: %s; trying again in %.1f s", exc, delay)
                self.report.waits.append(delay)
                self._wait(delay)
                continue
            except _Quarantine as exc:
                assert current is not None  # only a bundle is set aside
                self._quarantine(current.id, str(exc))
                if exc.stop:
                    raise NeedsOfficer(f"bundle {current.id}: {exc}") from None
                progressed = True
            if progressed:
                failures = 0
            pending.pop(0)
        return self.report

    def _wait(self, seconds: float) -> None:
        if self._stop.is_set():
            raise SyncStopped("asked to stop")
        self._sleep(seconds)
        if self._stop.is_set():
            raise SyncStopped("asked to stop")

    def _check_online(self) -> None:
        hello = say_hello(self.client, self.credential)
        if hello.needs_officer:
            raise NeedsOfficer(hello.detail)
        if not hello.online:
            raise Transient(hello.detail)

    def _quarantine(self, bundle_id: str, reason: str) -> None:
        log.warning("bundle %s quarantined: %s", bundle_id, reason)
        self.store.set_bundle_state(bundle_id, "quarantined", reason)
        self.report.quarantined.append(bundle_id)

    def _purge_committed(self) -> None:
        """Finish purges a crash interrupted (the receipt was already verified and kept)."""
        for found in self.store.bundles_in_state("committed"):
            self._purge(found.id, Manifest.parse(found.manifest_json))

    def _purge(self, bundle_id: str, manifest: Manifest) -> None:
        self.store.purge_bundle(bundle_id, [blob.sha256 for blob in manifest.blobs])
        self._hook("purged")
        shutil.rmtree(self.paths.bundles / bundle_id, ignore_errors=True)
        fsync_dir(self.paths.bundles)

    # ------------------------------------------------------------------ one bundle

    def _local_manifest(self, found: Bundle) -> Manifest:
        folder = self.paths.bundles / found.id
        # Sizes and signature now; each blob's hash as it is read for sending (one pass
        # over the disk, not two); a blob whose hash is wrong never completes upstream.
        problems = verify_bundle_dir(folder, self.device_keys.public_b64, check_hashes=False)
        if problems:
            raise _Quarantine("; ".join(problems))
        manifest = Manifest.parse((folder / "manifest.json").read_bytes())
        try:
            recorded = Manifest.parse(found.manifest_json)
        except BundleError:
            raise _Quarantine("the store's copy of the manifest is damaged") from None
        if recorded != manifest:
            raise _Quarantine("manifest.json differs from the one recorded when sealed")
        return manifest

    def _send_bundle(self, found: Bundle) -> bool:
        """One attempt at one bundle; idempotent, so a retry simply calls it again."""
        manifest = self._local_manifest(found)
        if found.state == "sealed":
            self.store.set_bundle_state(found.id, "uploading")
        self._hook("uploading")
        folder = self.paths.bundles / found.id
        total = manifest.total_size
        done = 0
        self._on_progress(found.id, 0, total)
        for blob in manifest.blobs:
            self._send_blob(found.id, blob_path(folder, blob.sha256), blob.sha256, blob.size,
                            done, total)
            done += blob.size
            self._on_progress(found.id, done, total)
            self._hook("blob")
        receipt = self._commit(found.id, manifest)
        self._hook("receipt")
        self.store.add_receipt(found.id, receipt.to_bytes().decode(), "network")
        self._hook("committed")
        self._purge(found.id, manifest)
        self._hook("done")
        self.report.committed.append(found.id)
        self._on_committed(found.id)
        log.info("bundle %s committed and purged", found.id)
        return True

    # ------------------------------------------------------------------ HTTP

    def _request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        content: bytes | Iterator[bytes] | None = None,
    ) -> httpx.Response:
        try:
            answer = self.client.request(method, url, headers=headers, content=content)
        except httpx.HTTPError as exc:
            raise Transient(describe_connection_error(exc)) from None
        status = answer.status_code
        if status == 401:
            raise NeedsOfficer("the council server does not know this booth; enrol it again")
        if status == 403:
            if self._error_code(answer) == "quota":
                # Its own words say what is full and who can clear it; waiting will not.
                raise NeedsOfficer(self._reason(answer, "the council server is full for now"))
            raise NeedsOfficer(self._reason(answer, "the council server refused this booth"))
        if status == 429 or status == 503 or status >= 500:
            raise Transient(
                f"the council server is busy ({status})", self._retry_after(answer)
            )
        if 300 <= status < 400:
            raise Transient(f"redirected ({status}); a Wi-Fi sign-in page?")
        return answer

    @staticmethod
    def _retry_after(answer: httpx.Response) -> float | None:
        return parse_retry_after(answer.headers.get("Retry-After"), answer.headers.get("Date"))

    @staticmethod
    def _reason(answer: httpx.Response, fallback: str) -> str:
        detail = Uploader._error_field(answer, "detail")
        return f"{fallback}: {detail}" if detail is not None else fallback

    @staticmethod
    def _error_code(answer: httpx.Response) -> str | None:
        return Uploader._error_field(answer, "error")

    @staticmethod
    def _error_field(answer: httpx.Response, key: str) -> str | None:
        """A text field of the council's JSON error (``{"error": .., "detail": ..}``)."""
        try:
            body = answer.json()
        except ValueError:
            return None
        value = body.get(key) if isinstance(body, dict) else None
        return value if isinstance(value, str) else None

    def _server_offset(self, location: str) -> int | None:
        """The server's offset for this blob, or None when it has no upload of it."""
        answer = self._request("HEAD", location, headers=self._headers)
        if answer.status_code in (404, 410):
            return None
        offset = answer.headers.get("Upload-Offset")
        if answer.status_code != 200 or offset is None or not offset.isdigit():
            raise Transient(f"unexpected answer to HEAD ({answer.status_code})")
        return int(offset)

    def _create(self, sha256: str, size: int) -> None:
        metadata = "sha256 " + base64.b64encode(sha256.encode("ascii")).decode("ascii")
        answer = self._request(
            "POST", FILES,
            headers={**self._headers, "Upload-Length": str(size), "Upload-Metadata": metadata},
        )
        if answer.status_code == 413:
            raise _Quarantine(
                self._reason(answer, "the council server refuses a blob this big"), stop=True
            )
        if answer.status_code == 409:
            # Another device holds this upload: an officer must look (it should never happen).
            raise NeedsOfficer(self._reason(answer, "the council server refused an upload"))
        if answer.status_code != 201:
            raise Transient(f"unexpected answer to POST ({answer.status_code})")

    def _send_blob(
        self, bundle_id: str, path: Path, sha256: str, size: int, before: int, total: int
    ) -> None:
        location = blob_url(sha256)
        offset = self._server_offset(location)
        if offset is None:
            self._create(sha256, size)
            offset = self._server_offset(location)
            if offset is None:
                raise Transient("the server lost the upload it just created")
        bad_checksums = 0
        conflicts = 0
        # Reading, hashing and checksumming the next chunk overlaps with sending this one.
        algorithm = self.options.checksum_algorithm if self.options.checksums else None
        sizer = self.chunks
        with _ChunkReader(path, sha256, size, algorithm) as reader:
            ahead = reader.prepare(offset, sizer.size)
            while offset < size:
                if self._stop.is_set():
                    raise SyncStopped("asked to stop")
                if ahead.offset != offset:
                    ahead = reader.prepare(offset, sizer.size)
                chunk = ahead.result()
                end = offset + chunk.size
                if end < size:
                    ahead = reader.prepare(end, sizer.size)
                self.report.bytes_attempted += chunk.size
                headers = {
                    **self._headers,
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                }
                if chunk.checksum:
                    headers["Upload-Checksum"] = chunk.checksum
                headers["Content-Length"] = str(chunk.size)
                started = time.monotonic()
                try:
                    answer = self._request("PATCH", location, content=iter(chunk.blocks),
                                           headers=headers)
                except Transient:
                    sizer.shrink()  # the link dropped: a smaller chunk risks less next time
                    raise
                status = answer.status_code
                if status == 204:
                    new_offset = answer.headers.get("Upload-Offset", "")
                    if not new_offset.isdigit() or int(new_offset) <= offset:
                        raise Transient("unexpected answer to PATCH (no progress)")
                    sizer.sent(chunk.size, time.monotonic() - started)
                    self.report.bytes_sent += chunk.size
                    offset = int(new_offset)
                    bad_checksums = 0
                    conflicts = 0
                    self._on_progress(bundle_id, before + offset, total)
                    self._hook("chunk")
                elif status == 460:
                    bad_checksums += 1
                    self.report.checksum_retries += 1
                    if bad_checksums >= CHECKSUM_RETRIES:
                        raise Transient("the chunk keeps arriving damaged")
                elif status == 409:
                    conflicts += 1
                    self.report.conflicts += 1
                    if self._error_code(answer) == "busy":
                        # A request of ours that a dropped link left behind still holds
                        # the upload on the server. Sent again now, the chunk would only
                        # be refused again: back off, then ask HEAD where it stands.
                        raise Transient("the council server is still writing an earlier "
                                        "chunk of this upload (busy)", self._retry_after(answer))
                    if conflicts >= CHECKSUM_RETRIES:
                        raise Transient("the server is still busy with an earlier chunk")
                    found = self._server_offset(location)
                    if found is None:
                        raise Transient("the upload vanished; starting it again")
                    offset = found
                elif status in (404, 410):
                    raise Transient("the server's upload expired; starting it again")
                elif status == 413:
                    # A server whose PATCH limit is below our chunk: send smaller ones.
                    if self._error_code(answer) == "chunk_too_large" and sizer.too_large():
                        ahead = reader.prepare(offset, sizer.size)
                        continue
                    raise _Quarantine(
                        self._reason(answer, "the council server refuses this"), stop=True
                    )
                elif status == 422:
                    # The server hashed the finished blob, found it is not what it is
                    # named, and dropped the upload. Damaged here, or on the way?
                    self._refused_as_damaged(path, sha256)
                else:
                    raise Transient(f"unexpected answer to PATCH ({status})")

    def _refused_as_damaged(self, path: Path, sha256: str) -> NoReturn:
        """The server refused a finished blob because its bytes do not hash to its name.
        Hash the kiosk's own copy: if that is damaged too, the disk altered it and the
        bundle is set aside; if it is intact the bytes were damaged on the way, and the
        next attempt sends the blob again (an officer is asked after a few)."""
        try:
            _size, actual = file_sha256(path)
        except OSError as exc:
            raise _Quarantine(f"blob {sha256[:12]} cannot be read on this disk: {exc}") from None
        if actual != sha256:
            raise _Quarantine(f"blob {sha256[:12]} was altered on this disk (its hash "
                              "differs from its name); the council server refused it")
        refused = self._refused.get(sha256, 0) + 1
        self._refused[sha256] = refused
        if refused >= CHECKSUM_RETRIES:
            raise NeedsOfficer(
                f"the council server keeps refusing blob {sha256[:12]} as damaged although "
                "this kiosk's copy is intact; ask the council's data team to check the server"
            )
        raise Transient("a blob arrived damaged at the council server; sending it again")

    def _commit(self, bundle_id: str, manifest: Manifest) -> Receipt:
        answer = self._request(
            "PUT", bundle_url(bundle_id), content=manifest.to_bytes(),
            headers={**auth_headers(self.credential), "Content-Type": "application/json"},
        )
        status = answer.status_code
        if status == 409:
            reason = "the council already holds a different bundle with this id"
            self.store.set_bundle_state(bundle_id, "quarantined", reason)
            self.report.quarantined.append(bundle_id)
            raise NeedsOfficer(f"bundle {bundle_id}: {reason}")
        if status == 413:
            raise _Quarantine(
                self._reason(answer, "the council server refuses a bundle this big"), stop=True
            )
        if status == 422:
            raise Transient("the council server is missing some blobs; sending them again")
        if status == 400 and self._error_code(answer) in REFUSED_MANIFEST:
            # The council read this manifest and will never take it as it is: set the
            # bundle aside (whole, for an officer) and go on with the others. A 400 that
            # is not the council's own answer (a proxy's page) is still worth retrying.
            raise _Quarantine(self._reason(answer, "the council server refused this bundle"))
        if status not in (200, 201):
            raise Transient(f"unexpected answer to the commit ({status})")
        try:
            receipt = Receipt.parse(answer.content)
        except BundleError:
            raise Transient("the commit's answer was not a receipt (a Wi-Fi sign-in page?)") \
                from None
        try:
            verify_receipt(receipt, manifest, self.credential.server_signing_key)
        except BundleError as exc:
            raise NeedsOfficer(f"the council server's receipt did not verify: {exc}") from None
        return receipt

