"""Shared pieces for the kiosk-side sync tests: council keys, tiny real MP4s, failing disks."""

from __future__ import annotations

import contextlib
import errno
import io
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth import take
from booth.settings import Paths
from booth.store import PART_SUFFIX, TAKE_SUFFIX, Store
from booth.sync import seal
from booth.sync.keys import Credential, DeviceKeys, install_credential
from booth.sync.uploader import Uploader, UploaderOptions
from booth.wire import age
from booth.wire.bundle import public_key_b64
from tests.helpers.council import CouncilServer
from tests.helpers.store import open_consented_session, start_event


@dataclass(frozen=True)
class CouncilAgeKeys:
    """An ingest and an escrow key pair, the identities written as ``age-keygen`` would."""

    ingest_file: Path
    escrow_file: Path
    ingest_identity: str
    escrow_identity: str
    recipients: tuple[str, str]


def make_council_age_keys(folder: Path) -> CouncilAgeKeys:
    folder.mkdir(parents=True, exist_ok=True)
    ingest, ingest_pub = age.generate_identity()
    escrow, escrow_pub = age.generate_identity()
    ingest_file = folder / "ingest.key"
    escrow_file = folder / "escrow.key"
    ingest_file.write_text(age.identity_file_text(ingest, ingest_pub, "test"))
    escrow_file.write_text(age.identity_file_text(escrow, escrow_pub, "test"))
    return CouncilAgeKeys(ingest_file, escrow_file, ingest, escrow, (ingest_pub, escrow_pub))


def write_tiny_mp4(sink: BinaryIO, frames: int = 10, shade_step: int = 20) -> None:
    """A real fragmented MP4 (the recorder's container) written by PyAV into ``sink``."""
    options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    container = av.open(sink, "w", format="mp4", options=options)
    stream = container.add_stream("mpeg4", rate=10)
    stream.width = 64
    stream.height = 48
    stream.pix_fmt = "yuv420p"
    for n in range(frames):
        image = np.full((48, 64, 3), (n * shade_step) % 256, np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()


def tiny_mp4_bytes(frames: int = 10) -> bytes:
    out = io.BytesIO()
    write_tiny_mp4(out, frames)
    return out.getvalue()


def count_video_frames(data: bytes) -> int:
    with av.open(io.BytesIO(data), mode="r") as container:
        return sum(1 for _ in container.decode(video=0))


class FullDisk(io.RawIOBase):
    """A file that accepts ``room`` bytes, then fails as a full disk does (ENOSPC)."""

    def __init__(self, path: Path, room: int) -> None:
        super().__init__()
        self._file = open(path, "xb")  # noqa: SIM115 - closed by close()
        self._room = room

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return self._file.write(data)

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()
        super().close()


def make_credential(
    recipients: tuple[str, ...] | list[str],
    server_url: str = "http://127.0.0.1:9",
    server_public_key: str | None = None,
    device_id: str = "device-0001",
) -> Credential:
    """A credential as ``booth-council enrol`` issues it (for tests without a server)."""
    if server_public_key is None:
        server_public_key = public_key_b64(Ed25519PrivateKey.generate())
    return Credential(
        format=1,
        device_id=device_id,
        token="t" * 32,
        server_url=server_url,
        recipients=tuple(recipients),
        server_signing_key=server_public_key,
    )


def record_encrypted_take(
    store: Store, session_id: str, recipients: tuple[str, ...] | list[str], frames: int = 10
) -> tuple[str, bytes]:
    """Record a real MP4 the way the recorder does (encrypted from the first byte) and keep
    it; returns (take id, the plaintext the participant reviewed)."""
    take_id = uuid.uuid4().hex
    store.paths.takes.mkdir(parents=True, exist_ok=True)
    final = store.paths.takes / f"{take_id}{TAKE_SUFFIX}"
    part = final.with_name(final.name + PART_SUFFIX)
    stream, review = take.open_take_writer(part, recipients)
    write_tiny_mp4(stream, frames)
    stream.close()
    size, sha = take.finalize_take(part, final)
    plain = review.decrypt(final)
    review.forget()
    store.keep_take(take_id, session_id, "love", final.name, size, sha, frames / 10)
    return take_id, plain


def finished_session(
    store: Store, recipients: tuple[str, ...] | list[str], videos: int = 1
) -> tuple[str, list[bytes]]:
    """A consented session with ``videos`` kept answers, priorities and about-you, finished."""
    event = store.current_event() or start_event(store)
    session_id = open_consented_session(store, event)
    plains = [record_encrypted_take(store, session_id, recipients)[1] for _ in range(videos)]
    store.save_priorities(session_id, "children", ["parks", "libraries"])
    store.save_about_you(session_id, {"age": "5-11", "area": "prefer_not"})
    store.finish_session(session_id)
    return session_id, plains


# --- a kiosk enrolled with a real council server ---------------------------------------


@dataclass
class Kiosk:
    """A booth's data folder, store, keys and credential, enrolled with a council server."""

    paths: Paths
    store: Store
    device: DeviceKeys
    credential: Credential
    made: list[Uploader] = field(default_factory=list)

    def seal_one(self, videos: int = 1) -> tuple[str, list[bytes]]:
        """A finished session sealed into a bundle; returns (bundle id, reviewed videos)."""
        session_id, plains = finished_session(self.store, self.credential.recipients, videos)
        bundle_id = seal.seal_session(
            self.store, self.paths, self.device, self.credential, session_id
        )
        return bundle_id, plains

    def uploader(self, server_url: str | None = None, **kwargs: Any) -> Uploader:
        credential = self.credential
        if server_url is not None:
            credential = credential.model_copy(update={"server_url": server_url})
        chunk = kwargs.pop("chunk_size", 1024)
        options = kwargs.pop("options", None) or UploaderOptions(
            # One size, so tests can count bytes exactly.
            chunk_size=chunk, min_chunk_size=chunk, max_chunk_size=chunk, timeout=5.0,
            give_up_after=kwargs.pop("give_up_after", 8),
            checksums=kwargs.pop("checksums", True),
        )
        kwargs.setdefault("sleep", lambda _s: None)
        made = Uploader(self.store, credential, self.device, options=options, **kwargs)
        self.made.append(made)
        return made

    def state(self, bundle_id: str) -> str:
        found = self.store.get_bundle(bundle_id)
        assert found is not None
        return found.state


@contextmanager
def enrolled_kiosk(paths: Paths, server: CouncilServer) -> Iterator[Kiosk]:
    paths.create()
    credential_file = server.enrol_to_file(paths.data.parent / "enrol")
    credential = install_credential(paths, credential_file)
    device = DeviceKeys.load_or_create(paths)
    store = Store.open(paths)
    kiosk = Kiosk(paths, store, device, credential)
    try:
        yield kiosk
    finally:
        for made in kiosk.made:
            made.close()
        store.close()


def council_reads_video(server: CouncilServer, sha256: str) -> bytes:
    """What the council's ingest key makes of a stored video blob."""
    identity = age.read_identities(server.keys_dir / "ingest.key")
    return age.decrypt_bytes(server.blob_path(sha256).read_bytes(), identity)


# --- fault injection -----------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Fault:
    """One fault: for requests matching ``method`` and ``path`` (a prefix), skip ``skip``
    of them, then misbehave ``times`` times. Actions:

    - ``status``: answer ``status`` with ``headers`` without calling the app;
    - ``html``: answer 200 with an HTML page (a captive portal grabbing the traffic);
    - ``body``: answer ``status`` with ``body`` as JSON (an impostor's answer);
    - ``lose_response``: let the app do the work, then cut the connection mid-answer;
    - ``corrupt``: flip one bit of the request body on its way in;
    - ``stale_offset``: lower the Upload-Offset a HEAD reports by ``delta`` bytes."""

    method: str
    path: str
    action: str
    times: int = 1
    skip: int = 0
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    delta: int = 1
    body: bytes = b""
    fired: int = 0
    seen: int = 0

    def matches(self, scope: Scope) -> bool:
        if scope.get("type") != "http" or scope["method"] != self.method:
            return False
        if not str(scope["path"]).startswith(self.path):
            return False
        self.seen += 1
        if self.seen <= self.skip or self.fired >= self.times:
            return False
        self.fired += 1
        return True


class FaultInjector:
    """ASGI middleware in front of the real council app that plays the listed faults."""

    def __init__(self, app: ASGIApp, faults: list[Fault]) -> None:
        self.app = app
        self.faults = faults  # the test's own list: it may add faults while running

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = next((f for f in self.faults if f.matches(scope)), None)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.action in ("status", "html", "body"):
            await self._drain(receive)
            status = 200 if fault.action == "html" else fault.status
            body = (b"<html><body>Please sign in to the Wi-Fi</body></html>"
                    if fault.action == "html" else fault.body or b'{"error":"injected"}')
            kind = b"text/html" if fault.action == "html" else b"application/json"
            headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
            headers += [(k.lower().encode(), v.encode()) for k, v in fault.headers.items()]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif fault.action == "lose_response":
            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"1000")]})
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
            raise ConnectionAbortedError("injected: the answer was lost on the way back")
        elif fault.action == "corrupt":
            flipped = False

            async def corrupting() -> Message:
                nonlocal flipped
                message = await receive()
                body = message.get("body", b"")
                if not flipped and message.get("type") == "http.request" and body:
                    data = bytearray(body)
                    data[len(data) // 2] ^= 0x10
                    message = {**message, "body": bytes(data)}
                    flipped = True
                return message

            await self.app(scope, corrupting, send)
        elif fault.action == "stale_offset":
            async def lowering(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = []
                    for key, value in message["headers"]:
                        if key.lower() == b"upload-offset":
                            value = str(max(0, int(value) - fault.delta)).encode()
                        headers.append((key, value))
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, lowering)
        else:  # pragma: no cover - a typo in a test
            raise ValueError(fault.action)

    @staticmethod
    async def _drain(receive: Receive) -> None:
        while True:
            message = await receive()
            if message.get("type") != "http.request" or not message.get("more_body"):
                return


class CuttingProxy:
    """A loopback TCP proxy that can cut the connection after N more bytes upstream,
    as a dropped Wi-Fi link does in the middle of a PATCH."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._budget: int | None = None
        self.cuts = 0
        self._closing = False
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut_after(self, n: int) -> None:
        with self._lock:
            self._budget = n

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._upstream)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, counted: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                cut = False
                if counted:
                    with self._lock:
                        if self._budget is not None:
                            if len(data) >= self._budget:
                                data = data[: self._budget]
                                self._budget = None
                                self.cuts += 1
                                cut = True
                            else:
                                self._budget -= len(data)
                if data:
                    sink.sendall(data)
                if cut:
                    break
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._closing = True
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
