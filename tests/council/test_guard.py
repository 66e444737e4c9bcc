"""The council server cannot be starved or stalled: idle sockets, slow request heads,
stalled PATCH bodies, one greedy device and unclaimed blobs, over real loopback TCP."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from booth.settings import Settings
from booth.store import Store
from booth.sync import seal
from booth.sync.keys import DeviceKeys, install_credential
from booth.sync.uploader import NeedsOfficer, Uploader, UploaderOptions
from booth.wire import bundle
from council.cli import main as council_main
from council.guard import ConnectionLimits
from council.maintenance import collect_garbage
from tests.helpers.council import (
    CouncilServer,
    council_serve_process,
    council_server,  # noqa: F401  (fixture)
    free_port,
    make_bundle,
    running_council,
    sha256_metadata,
    tus_headers,
    upload_blob,
)
from tests.helpers.sync import CuttingProxy, Kiosk, enrolled_kiosk, finished_session

OCTETS = "application/offset+octet-stream"


def _wait_until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@contextmanager
def _idle_sockets(port: int, count: int) -> Iterator[list[socket.socket]]:
    """``count`` TCP connections that never send a byte (no login needed to open them)."""
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
    try:
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closes ``sock`` within ``within`` seconds (reads to EOF)."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def _kiosk_sends(kiosk: Kiosk, url: str | None = None) -> str:
    bundle_id, _ = kiosk.seal_one(videos=1)
    report = kiosk.uploader(server_url=url, give_up_after=3, chunk_size=64 * 1024).run()
    assert report.committed == [bundle_id]
    return bundle_id


def _stalled_patch(port: int, token: str, sha256: str, data: bytes, sent: int,
                   offset: int = 0, checksum: str | None = None) -> socket.socket:
    """A PATCH that declares all of ``data`` but sends ``sent`` bytes and goes quiet, as a
    kiosk whose Wi-Fi dropped half way does (the connection stays open: half-open)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (f"PATCH /files/{sha256} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
            f"Upload-Offset: {offset}\r\nContent-Type: {OCTETS}\r\n"
            f"Content-Length: {len(data) - offset}\r\n")
    if checksum is not None:
        head += f"Upload-Checksum: {checksum}\r\n"
    sock.sendall((head + "\r\n").encode("ascii") + data[offset:offset + sent])
    return sock


def _holds_the_upload(client: httpx.Client, credential: dict[str, Any], sha256: str) -> bool:
    """Whether a request is writing this upload now (a PATCH at an offset nobody has
    reached answers "busy" then, and "offset" otherwise: it never writes a byte)."""
    answer = client.patch(f"/files/{sha256}", content=b"x", headers={
        **tus_headers(credential), "Upload-Offset": str(1 << 40), "Content-Type": OCTETS})
    assert answer.status_code == 409
    return bool(answer.json()["error"] == "busy")


def _create(client: httpx.Client, credential: dict[str, Any], data: bytes) -> httpx.Response:
    return client.post("/files/", headers={
        **tus_headers(credential), "Upload-Length": str(len(data)),
        "Upload-Metadata": sha256_metadata(hashlib.sha256(data).hexdigest())})


# --- idle connections and slow heads ---------------------------------------------------


def test_300_idle_connections_do_not_stop_a_kiosks_sync(settings: Settings,
                                                         tmp_path: Path) -> None:
    # A head timeout far off, so what lets the kiosk in is not the idle ones closing.
    limits = ConnectionLimits(header_timeout=120)
    with running_council(tmp_path / "council", connections=limits) as server, \
            enrolled_kiosk(settings.paths, server) as kiosk, \
            _idle_sockets(server.thread.port, 300) as idle:
        _wait_until(lambda: server.thread.open_connections() >= 300)
        bundle_id = _kiosk_sends(kiosk)
        assert server.bundle(bundle_id) is not None
        # They were all still open while the kiosk sent: none was closed to make room.
        assert server.thread.open_connections() >= 300
        assert not _closed_by_server(idle[0], within=0.1)


def test_the_serve_command_keeps_kiosks_syncing_past_300_idle_connections_and_closes_them(
    settings: Settings, tmp_path: Path
) -> None:
    """``booth-council serve`` itself (uvicorn as a council runs it), not a test server."""
    keys, store, credential_file = tmp_path / "keys", tmp_path / "store", tmp_path / "k.json"
    url = f"http://127.0.0.1:{free_port()}"
    assert council_main(["keygen", str(keys)]) == 0
    assert council_main(["enrol", "--keys", str(keys), "--store", str(store), "--name", "k",
                         "--server", url, "--out", str(credential_file)]) == 0
    token = json.loads(credential_file.read_text())["token"]
    paths = settings.paths
    credential = install_credential(paths, credential_file)
    device = DeviceKeys.load_or_create(paths)
    with council_serve_process(keys, store, url, token), closing(Store.open(paths)) as kiosk, \
            _idle_sockets(int(url.rsplit(":", 1)[1]), 300) as idle:
        opened = time.monotonic()
        session_id, _ = finished_session(kiosk, credential.recipients)
        bundle_id = seal.seal_session(kiosk, paths, device, credential, session_id)
        options = UploaderOptions(timeout=10, give_up_after=3)
        with Uploader(kiosk, credential, device, options=options,
                      sleep=lambda _s: None) as uploader:
            assert uploader.run().committed == [bundle_id]
        # A connection that sends no request is closed 10 s after it opened.
        assert all(_closed_by_server(sock, within=30) for sock in idle)
        waited = time.monotonic() - opened
        assert 10.0 <= waited < 30.0


def test_a_connection_that_sends_no_whole_request_head_is_closed(tmp_path: Path) -> None:
    limits = ConnectionLimits(header_timeout=0.5)
    with running_council(tmp_path, connections=limits) as server:
        port = server.thread.port
        with _idle_sockets(port, 1) as [silent]:
            began = time.monotonic()
            assert _closed_by_server(silent, within=10)
            assert time.monotonic() - began >= 0.5
        # A head dripped a byte at a time never completes: the timer does not restart
        # with each byte, as uvicorn's keep-alive timer would.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as drip:
            began = time.monotonic()
            drip.sendall(b"GET /api/v1/hello HTTP/1.1\r\n")
            closed = False
            for byte in b"X-Slow: " + b"a" * 100:
                try:
                    drip.sendall(bytes([byte]))
                except OSError:
                    closed = True
                    break
                time.sleep(0.05)
            assert closed or _closed_by_server(drip, within=10)
            assert time.monotonic() - began < 5
        # The rest of a body the server answered early (here: no such upload) is not a
        # way to hold the connection either.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as drip:
            began = time.monotonic()
            drip.sendall(f"PATCH /files/{'a' * 64} HTTP/1.1\r\nHost: x\r\n"
                         "Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                         f"Content-Type: {OCTETS}\r\nContent-Length: 100000\r\n\r\n"
                         .encode("ascii"))
            closed = False
            for _ in range(100):
                try:
                    drip.sendall(b"x")
                except OSError:
                    closed = True
                    break
                time.sleep(0.05)
            assert closed or _closed_by_server(drip, within=10)
            assert time.monotonic() - began < 5
        # Between two requests of a kept-alive connection the same time applies.
        with httpx.Client(base_url=server.url, timeout=10) as client:
            device = server.enrol()
            hello = client.get("/api/v1/hello", params={"nonce": "ab" * 16},
                               headers=tus_headers(device))
            assert hello.status_code == 200
            _wait_until(lambda: server.thread.open_connections() == 0, timeout=10)


def test_idle_connections_through_a_tcp_proxy_are_closed_and_the_kiosk_gets_through(
    settings: Settings, tmp_path: Path
) -> None:
    limits = ConnectionLimits(header_timeout=1.0)
    with running_council(tmp_path / "council", connections=limits) as server, \
            enrolled_kiosk(settings.paths, server) as kiosk:
        proxy = CuttingProxy(server.thread.port)
        try:
            with _idle_sockets(proxy.port, 40) as idle:
                _kiosk_sends(kiosk, proxy.url)
                assert all(_closed_by_server(sock, within=15) for sock in idle)
        finally:
            proxy.close()


def test_every_connection_has_tcp_keepalive(tmp_path: Path) -> None:
    limits = ConnectionLimits(keepalive_idle=42, keepalive_interval=7, keepalive_probes=4)
    with running_council(tmp_path, connections=limits) as server, \
            _idle_sockets(server.thread.port, 2):
        _wait_until(lambda: len(server.thread.connection_sockets()) == 2)
        for sock in server.thread.connection_sockets():
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            if hasattr(socket, "TCP_KEEPIDLE"):
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 42
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 7
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 4


def test_at_the_connection_cap_the_longest_idle_connection_makes_room(
    settings: Settings, tmp_path: Path
) -> None:
    limits = ConnectionLimits(header_timeout=120, max_connections=20)
    with running_council(tmp_path / "council", connections=limits) as server, \
            enrolled_kiosk(settings.paths, server) as kiosk, \
            _idle_sockets(server.thread.port, 20) as idle:
        _wait_until(lambda: server.thread.open_connections() == 20)
        _kiosk_sends(kiosk)
        # The kiosk's connection took the place of the one idle longest.
        assert _closed_by_server(idle[0], within=5)
        assert not _closed_by_server(idle[-1], within=0.2)


# --- one device's share ----------------------------------------------------------------


def test_one_device_cannot_hold_more_than_its_share_of_requests(tmp_path: Path) -> None:
    blobs = [os.urandom(100_000) for _ in range(2)]
    with running_council(tmp_path, max_requests_per_device=2) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        greedy, other = server.enrol("greedy"), server.enrol("other")
        for data in blobs:
            assert _create(client, greedy, data).status_code == 201
        # Two PATCHes that hold their requests open (two uploads: one each).
        stalled = [_stalled_patch(server.thread.port, greedy["token"],
                                  hashlib.sha256(data).hexdigest(), data, 10)
                   for data in blobs]
        try:
            def refused() -> bool:
                answer = client.get("/api/v1/hello", params={"nonce": "ab" * 16},
                                    headers=tus_headers(greedy))
                return answer.status_code == 429
            _wait_until(refused)
            answer = client.get("/api/v1/hello", params={"nonce": "ab" * 16},
                                headers=tus_headers(greedy))
            assert answer.json()["error"] == "too_many_connections"
            assert answer.headers["Retry-After"].isdigit()
            ok = client.get("/api/v1/hello", params={"nonce": "cd" * 16},
                            headers=tus_headers(other))
            assert ok.status_code == 200
        finally:
            for sock in stalled:
                sock.close()
        _wait_until(lambda: client.get("/api/v1/hello", params={"nonce": "ab" * 16},
                                       headers=tus_headers(greedy)).status_code == 200)


# --- a PATCH whose sender goes quiet ---------------------------------------------------


@pytest.mark.parametrize("checksum", [False, True], ids=["plain", "checksummed"])
def test_a_stalled_patch_releases_its_lock_after_the_idle_timeout_and_the_upload_resumes(
    tmp_path: Path, checksum: bool
) -> None:
    import base64

    data = os.urandom(300_000)
    sha = hashlib.sha256(data).hexdigest()
    half = len(data) // 2
    digest = "sha1 " + base64.b64encode(hashlib.sha1(data).digest()).decode()
    with running_council(tmp_path, body_idle_timeout=1.0,
                         head_waits_for_writer_seconds=0.1) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        device = server.enrol()
        assert _create(client, device, data).status_code == 201
        stalled = _stalled_patch(server.thread.port, device["token"], sha, data, half,
                                 checksum=digest if checksum else None)
        with stalled:
            began = time.monotonic()
            _wait_until(lambda: _holds_the_upload(client, device, sha))
            # The server gives up on the body, answers, and closes that connection.
            stalled.settimeout(15)
            answer = stalled.recv(65536)
            released = time.monotonic() - began
            assert answer.startswith(b"HTTP/1.1 400")
            assert b"connection: close" in answer.lower()
            assert _closed_by_server(stalled, within=5)
        assert released >= 1.0
        assert not _holds_the_upload(client, device, sha)
        head = client.head(f"/files/{sha}", headers=tus_headers(device))
        # Without a checksum the bytes that arrived were written durably and count; with
        # one, the chunk cannot be checked, so none of it does.
        offset = int(head.headers["Upload-Offset"])
        assert offset == (0 if checksum else half)
        rest = client.patch(f"/files/{sha}", content=data[offset:], headers={
            **tus_headers(device), "Upload-Offset": str(offset), "Content-Type": OCTETS})
        assert rest.status_code == 204
        assert server.blob_path(sha).read_bytes() == data


def test_a_kiosk_that_finds_its_upload_busy_backs_off_and_finishes(
    settings: Settings, tmp_path: Path
) -> None:
    with running_council(tmp_path / "council", body_idle_timeout=1.5,
                         head_waits_for_writer_seconds=0.1) as server, \
            enrolled_kiosk(settings.paths, server) as kiosk, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        bundle_id, _ = kiosk.seal_one(videos=1)
        folder = kiosk.paths.bundles / bundle_id
        manifest = bundle.read_manifest(folder)
        video = next(b for b in manifest.blobs if b.kind == "video")
        data = bundle.blob_path(folder, video.sha256).read_bytes()
        credential = kiosk.credential.model_dump()
        assert _create(client, credential, data).status_code == 201
        # The kiosk's own earlier PATCH, left hanging by a dropped link.
        stalled = _stalled_patch(server.thread.port, kiosk.credential.token, video.sha256,
                                 data, len(data) // 2)
        with stalled:
            _wait_until(lambda: _holds_the_upload(client, credential, video.sha256))
            waits: list[float] = []

            def sleep(seconds: float) -> None:
                waits.append(seconds)
                time.sleep(seconds)

            options = UploaderOptions(chunk_size=64 * 1024, timeout=5, backoff_base=0.25,
                                      backoff_cap=2.0, give_up_after=12)
            up = kiosk.uploader(options=options, sleep=sleep, rand=lambda: 1.0)
            report = up.run()
        assert report.committed == [bundle_id]
        assert report.conflicts >= 1  # it was told "busy" at least once
        assert waits and max(waits) <= 2.0  # backed off, and never past the cap
        assert server.blob_path(video.sha256).read_bytes() == data


# --- blobs that no bundle names --------------------------------------------------------


def test_the_unclaimed_blob_quota_refuses_new_uploads_and_gc_frees_it(tmp_path: Path) -> None:
    with running_council(tmp_path, max_unclaimed_bytes_per_device=10_000) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        device, other = server.enrol("full"), server.enrol("other")
        unclaimed = upload_blob(client, device, os.urandom(6000))
        refused = _create(client, device, os.urandom(5000))
        assert refused.status_code == 403
        error = refused.json()
        assert error["error"] == "quota"
        assert "booth-council gc" in error["detail"] and "6,000 bytes" in error["detail"]
        assert error["held"] == 6000 and error["quota"] == 10_000
        # Only that device is held back, and small uploads under the quota still go.
        assert _create(client, other, os.urandom(5000)).status_code == 201
        fits = _create(client, device, os.urandom(4000))
        assert fits.status_code == 201
        gone = client.delete(fits.headers["Location"], headers=tus_headers(device))
        assert gone.status_code == 204
        # Blobs a received bundle names are not counted.
        named = make_bundle(device, payload=os.urandom(3000))
        for blob in named.blobs.values():
            upload_blob(client, device, blob)
        committed = client.put(f"/api/v1/bundles/{named.manifest.bundle_id}",
                               content=named.body, headers=tus_headers(device))
        assert committed.status_code == 201
        assert _create(client, device, os.urandom(5000)).status_code == 403
        # gc takes what is unclaimed a day on, and the device may upload again.
        removed, expired = collect_garbage(server.storage, 1, now=time.time() + 2 * 86400)
        assert removed == 1 and expired == 1  # the other device's unfinished upload
        assert not server.has_blob(unclaimed)
        assert _create(client, device, os.urandom(5000)).status_code == 201


def test_a_kiosk_over_its_quota_tells_the_officer_what_to_do(settings: Settings,
                                                            tmp_path: Path) -> None:
    with running_council(tmp_path / "council", max_unclaimed_bytes_per_device=100) as server, \
            enrolled_kiosk(settings.paths, server) as kiosk:
        bundle_id, _ = kiosk.seal_one(videos=1)
        with pytest.raises(NeedsOfficer) as stopped:
            kiosk.uploader().run()
        assert "booth-council gc" in str(stopped.value)
        assert "refused this booth" not in str(stopped.value)
        assert kiosk.state(bundle_id) == "uploading"  # kept whole, sent once there is room


def test_the_guard_closes_nothing_a_normal_sync_needs(
    settings: Settings, council_server: CouncilServer  # noqa: F811
) -> None:
    with enrolled_kiosk(settings.paths, council_server) as kiosk:
        for _ in range(3):
            _kiosk_sends(kiosk)
