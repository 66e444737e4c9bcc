"""Fault tests (issue 5, item 8): a real council server on loopback, and things going wrong."""

from __future__ import annotations

import hashlib
import http.server
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.middleware import Middleware

from booth.settings import Paths, Settings
from booth.store import Store
from booth.sync import seal
from booth.sync.keys import DeviceKeys
from booth.sync.online import is_online
from booth.sync.uploader import GaveUp, NeedsOfficer
from booth.wire import bundle
from tests.helpers.council import (
    CouncilServer,
    make_bundle,
    running_council,
    sha256_metadata,
    tus_headers,
    upload_blob,
)
from tests.helpers.sync import (
    CuttingProxy,
    Fault,
    FaultInjector,
    Kiosk,
    council_reads_video,
    enrolled_kiosk,
    finished_session,
)

CHUNK = 1024


@pytest.fixture
def faults() -> list[Fault]:
    return []


@pytest.fixture
def server(tmp_path: Path, faults: list[Fault]) -> Iterator[CouncilServer]:
    with running_council(tmp_path, middleware=[Middleware(FaultInjector, faults=faults)]) as s:
        yield s


@pytest.fixture
def kiosk(settings: Settings, server: CouncilServer) -> Iterator[Kiosk]:
    with enrolled_kiosk(settings.paths, server) as made:
        yield made


def _blobs(kiosk: Kiosk, bundle_id: str) -> list[bundle.BlobRef]:
    return list(bundle.read_manifest(kiosk.paths.bundles / bundle_id).blobs)


def _assert_delivered_once(kiosk: Kiosk, server: CouncilServer, bundle_id: str,
                           blobs: list[bundle.BlobRef]) -> None:
    """Committed, purged, a tombstone kept, and exactly one copy of each blob on the server."""
    assert kiosk.state(bundle_id) == "purged"
    assert not (kiosk.paths.bundles / bundle_id).exists()
    assert bundle_id in {t.bundle_id for t in kiosk.store.tombstones()}
    assert [b.bundle_id for b in server.bundles()] == [bundle_id]
    stored = sorted(p.name for p in server.stored_blobs())
    assert stored == sorted(f"{b.sha256}.age" for b in blobs)
    assert server.partial_uploads() == []


# --- the connection ----------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_connection_cut_mid_patch_at_a_random_offset_resumes(
    kiosk: Kiosk, server: CouncilServer, seed: int
) -> None:
    bundle_id, videos = kiosk.seal_one(videos=1)
    blobs = _blobs(kiosk, bundle_id)
    total = sum(b.size for b in blobs)
    proxy = CuttingProxy(int(server.url.rsplit(":", 1)[1]))
    try:
        # Upstream bytes include the hello and the request headers: cut somewhere in there.
        proxy.cut_after(random.Random(seed).randrange(1500, total + 1500))
        report = kiosk.uploader(proxy.url, chunk_size=CHUNK).run()
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert report.committed == [bundle_id]
    assert report.retries >= 1
    # Bytes sent again because of the cut: at most the one chunk in flight.
    assert report.bytes_attempted - total <= CHUNK
    _assert_delivered_once(kiosk, server, bundle_id, blobs)
    video = next(b for b in blobs if b.kind == "video")
    assert council_reads_video(server, video.sha256) == videos[0]


def test_lost_answer_to_post_resumes_the_upload_the_server_made(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, _ = kiosk.seal_one()
    blobs = _blobs(kiosk, bundle_id)
    faults.append(Fault("POST", "/files/", "lose_response"))
    report = kiosk.uploader(chunk_size=CHUNK).run()
    assert faults[0].fired == 1
    assert report.committed == [bundle_id] and report.retries == 1
    _assert_delivered_once(kiosk, server, bundle_id, blobs)


def test_lost_answer_to_the_final_patch_is_not_sent_again(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, _ = kiosk.seal_one()
    blobs = _blobs(kiosk, bundle_id)
    payload = blobs[0]
    patches = -(-payload.size // CHUNK)
    faults.append(Fault("PATCH", f"/files/{payload.sha256}", "lose_response", skip=patches - 1))
    report = kiosk.uploader(chunk_size=CHUNK).run()
    assert faults[0].fired == 1
    assert report.committed == [bundle_id]
    total = sum(b.size for b in blobs)
    # The last chunk went once; the HEAD after the lost answer showed it had arrived.
    assert report.bytes_attempted == total
    _assert_delivered_once(kiosk, server, bundle_id, blobs)


def test_lost_answer_to_the_commit_gets_the_same_receipt_on_replay(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, _ = kiosk.seal_one()
    blobs = _blobs(kiosk, bundle_id)
    faults.append(Fault("PUT", "/api/v1/bundles/", "lose_response"))
    report = kiosk.uploader(chunk_size=CHUNK).run()
    assert faults[0].fired == 1 and faults[0].seen == 2
    assert report.committed == [bundle_id]
    _assert_delivered_once(kiosk, server, bundle_id, blobs)
    stored = server.bundle(bundle_id)
    receipt = kiosk.store.get_receipt(bundle_id)
    assert stored is not None and receipt is not None
    assert bundle.Receipt.parse(receipt.receipt_json) == bundle.Receipt.parse(stored.receipt_json)


def test_stale_offset_409_asks_head_and_resumes(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, _ = kiosk.seal_one()
    blobs = _blobs(kiosk, bundle_id)
    video = next(b for b in blobs if b.kind == "video")
    data = bundle.blob_path(kiosk.paths.bundles / bundle_id, video.sha256).read_bytes()
    _upload_part(server, kiosk, data, len(data) // 2)
    # A HEAD answer that is behind the truth: the PATCH at that offset gets 409.
    faults.append(Fault("HEAD", f"/files/{video.sha256}", "stale_offset", delta=100))
    report = kiosk.uploader(chunk_size=CHUNK).run()
    assert faults[0].fired == 1
    assert report.conflicts == 1
    assert report.committed == [bundle_id]
    _assert_delivered_once(kiosk, server, bundle_id, blobs)


def test_checksum_mismatch_460_resends_the_chunk(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, videos = kiosk.seal_one()
    blobs = _blobs(kiosk, bundle_id)
    video = next(b for b in blobs if b.kind == "video")
    faults.append(Fault("PATCH", f"/files/{video.sha256}", "corrupt", skip=1))
    report = kiosk.uploader(chunk_size=CHUNK).run()
    assert faults[0].fired == 1
    assert report.checksum_retries == 1
    assert report.bytes_attempted == sum(b.size for b in blobs) + CHUNK
    _assert_delivered_once(kiosk, server, bundle_id, blobs)
    assert council_reads_video(server, video.sha256) == videos[0]


def test_blob_damaged_on_the_way_is_refused_by_the_server_and_sent_again(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    # Without chunk checksums a damaged chunk is only caught when the server hashes the
    # finished blob (422). The kiosk's own copy hashes right, so it sends the blob again.
    bundle_id, videos = kiosk.seal_one()
    blobs = _blobs(kiosk, bundle_id)
    video = next(b for b in blobs if b.kind == "video")
    faults.append(Fault("PATCH", f"/files/{video.sha256}", "corrupt", skip=1))
    slept: list[float] = []
    report = kiosk.uploader(chunk_size=CHUNK, checksums=False, sleep=slept.append).run()
    assert faults[0].fired == 1
    assert report.retries == 1 and len(slept) == 1
    assert report.quarantined == []
    assert report.bytes_attempted == sum(b.size for b in blobs) + video.size
    _assert_delivered_once(kiosk, server, bundle_id, blobs)
    assert council_reads_video(server, video.sha256) == videos[0]


def test_server_that_keeps_refusing_an_intact_blob_asks_for_an_officer(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, _ = kiosk.seal_one()
    video = next(b for b in _blobs(kiosk, bundle_id) if b.kind == "video")
    faults.append(Fault("PATCH", f"/files/{video.sha256}", "corrupt", times=1000))
    with pytest.raises(NeedsOfficer, match=r"keeps refusing .* intact"):
        kiosk.uploader(chunk_size=CHUNK, checksums=False).run()
    # Nothing is set aside or lost: the bundle waits, whole, for the next try.
    assert kiosk.state(bundle_id) == "uploading"
    assert bundle.verify_bundle_dir(kiosk.paths.bundles / bundle_id, kiosk.device.public_b64) == []
    assert server.bundles() == []
    assert not server.has_blob(video.sha256)


def test_expired_upload_starts_again_from_zero(kiosk: Kiosk, server: CouncilServer) -> None:
    bundle_id, _ = kiosk.seal_one()
    blobs = _blobs(kiosk, bundle_id)
    video = next(b for b in blobs if b.kind == "video")
    data = bundle.blob_path(kiosk.paths.bundles / bundle_id, video.sha256).read_bytes()
    _upload_part(server, kiosk, data, len(data) // 2)
    assert server.expire_uploads() == 1
    report = kiosk.uploader(chunk_size=CHUNK).run()
    assert report.committed == [bundle_id]
    assert report.bytes_sent == sum(b.size for b in blobs)
    _assert_delivered_once(kiosk, server, bundle_id, blobs)


def _upload_part(server: CouncilServer, kiosk: Kiosk, data: bytes, upto: int) -> None:
    """Send the first ``upto`` bytes of a blob as an earlier, interrupted run would have."""
    headers = tus_headers(kiosk.credential.model_dump())
    sha = hashlib.sha256(data).hexdigest()
    with httpx.Client(base_url=server.url) as client:
        created = client.post("/files/", headers={
            **headers, "Upload-Length": str(len(data)), "Upload-Metadata": sha256_metadata(sha)})
        assert created.status_code == 201
        answer = client.patch(created.headers["Location"], content=data[:upto], headers={
            **headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert answer.status_code == 204


# --- a busy server -------------------------------------------------------------------


def test_503_and_429_honour_retry_after(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, _ = kiosk.seal_one()
    faults.append(Fault("PATCH", "/files/", "status", status=503, headers={"Retry-After": "7"}))
    faults.append(Fault("PUT", "/api/v1/bundles/", "status", status=429,
                        headers={"Retry-After": "3"}))
    slept: list[float] = []
    # A Retry-After is a floor over the backoff's step, not instead of it: the jitter is
    # fixed here so that step (1 s, then 2 s) stays below what the server asked for.
    report = kiosk.uploader(chunk_size=CHUNK, sleep=slept.append, rand=lambda: 0.5).run()
    assert slept == [7.0, 3.0]
    assert report.committed == [bundle_id]


class _FastClock:
    """``time`` as a kiosk whose clock runs an hour fast sees it."""

    def __init__(self) -> None:
        import time

        self._time = time

    def time(self) -> float:
        return self._time.time() + 3600.0

    def monotonic(self) -> float:
        return self._time.monotonic()


def test_retry_after_dates_are_read_against_the_servers_clock(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    from email.utils import formatdate

    from booth.sync import uploader

    monkeypatch.setattr(uploader, "time", _FastClock())
    bundle_id, _ = kiosk.seal_one()
    # Thirty seconds on by the server's clock is an hour ago by this kiosk's.
    faults.append(Fault("PATCH", "/files/", "status", status=503,
                        headers={"Retry-After": formatdate(time.time() + 30, usegmt=True)}))
    slept: list[float] = []
    report = kiosk.uploader(chunk_size=CHUNK, sleep=slept.append, rand=lambda: 0.5).run()
    assert slept == [pytest.approx(30.0, abs=2.0)]
    assert report.committed == [bundle_id]


def test_past_retry_after_dates_never_mean_now(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    from email.utils import formatdate

    from booth.sync import uploader

    monkeypatch.setattr(uploader, "time", _FastClock())
    bundle_id, _ = kiosk.seal_one()
    past = {"Retry-After": formatdate(time.time() - 86400, usegmt=True)}
    faults.append(Fault("PATCH", "/files/", "status", status=503, headers=past, times=3))
    faults.append(Fault("PUT", "/api/v1/bundles/", "status", status=429, headers=past, times=2))
    slept: list[float] = []
    report = kiosk.uploader(chunk_size=CHUNK, sleep=slept.append, rand=lambda: 0.5).run()
    # Five past dates in a row: the waits are the backoff's, and they grow.
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert report.committed == [bundle_id]
    # With the real jitter too, no wait is ever shorter than the floor.
    faults.append(Fault("PATCH", "/files/", "status", status=503, headers=past, times=6))
    kiosk.seal_one()
    slept.clear()
    kiosk.uploader(chunk_size=CHUNK, sleep=slept.append).run()
    assert len(slept) == 6 and min(slept) >= 1.0


def test_an_upload_the_server_is_busy_with_is_retried_with_backoff(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, _ = kiosk.seal_one()
    busy = Fault("PATCH", "/files/", "body", status=409, times=4,
                 body=b'{"error": "busy", "detail": "another request is writing this upload"}')
    faults.append(busy)
    slept: list[float] = []
    report = kiosk.uploader(chunk_size=CHUNK, sleep=slept.append, rand=lambda: 0.5).run()
    # Not sent again at once (it would only be refused again): each try waits longer.
    assert busy.fired == 4 and report.conflicts == 4
    assert slept == [1.0, 2.0, 4.0, 8.0]
    assert report.committed == [bundle_id]


def test_an_upload_that_stays_busy_is_never_waited_on_for_ever(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    kiosk.seal_one()
    faults.append(Fault("PATCH", "/files/", "body", status=409, times=10_000,
                        body=b'{"error": "busy"}'))
    slept: list[float] = []
    with pytest.raises(GaveUp, match="busy"):
        kiosk.uploader(chunk_size=CHUNK, sleep=slept.append, rand=lambda: 1.0,
                       give_up_after=14).run()
    # The waits double up to the cap and stay there: never longer, never for ever.
    assert slept[:4] == [2.0, 4.0, 8.0, 16.0]
    assert max(slept) == slept[-1] == 600.0


def test_5xx_without_retry_after_backs_off_with_full_jitter(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, _ = kiosk.seal_one()
    faults.append(Fault("PATCH", "/files/", "status", status=500, times=4))
    slept: list[float] = []
    report = kiosk.uploader(chunk_size=CHUNK, sleep=slept.append, rand=lambda: 0.5).run()
    # Half of 2, 4, 8, 16 seconds: the base doubles each time, jitter picks the point.
    assert slept == [1.0, 2.0, 4.0, 8.0]
    assert report.committed == [bundle_id]


# --- something that is not the council ---------------------------------------------


class _Portal(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b"<html><body>Welcome! Please accept the terms to use the Wi-Fi</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def portal() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_captive_portal_is_never_online_and_nothing_is_purged(
    kiosk: Kiosk, server: CouncilServer, portal: str, settings: Settings
) -> None:
    bundle_id, _ = kiosk.seal_one()
    assert not is_online(settings.with_changes(server_url=portal), timeout=5)
    with pytest.raises(GaveUp, match="sign-in page"):
        kiosk.uploader(portal, give_up_after=3).run()
    assert kiosk.state(bundle_id) == "sealed"
    assert bundle.verify_bundle_dir(kiosk.paths.bundles / bundle_id) == []
    assert server.bundles() == []


def test_html_200_in_place_of_a_receipt_is_not_success(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, _ = kiosk.seal_one()
    blobs = _blobs(kiosk, bundle_id)
    faults.append(Fault("PUT", "/api/v1/bundles/", "html"))
    states: list[str] = []
    report = kiosk.uploader(on_state=states.append).run()
    assert report.retries == 1 and "offline" in states
    assert report.committed == [bundle_id]
    _assert_delivered_once(kiosk, server, bundle_id, blobs)


# --- things an officer must see --------------------------------------------------------


def test_revoked_device_stops_and_tells_the_officer(kiosk: Kiosk, server: CouncilServer) -> None:
    bundle_id, _ = kiosk.seal_one()
    server.revoke(kiosk.credential.device_id)
    slept: list[float] = []
    with pytest.raises(NeedsOfficer, match="withdrawn"):
        kiosk.uploader(sleep=slept.append).run()
    assert slept == []
    assert kiosk.state(bundle_id) == "sealed"
    assert bundle.verify_bundle_dir(kiosk.paths.bundles / bundle_id) == []


def test_same_bundle_id_with_a_different_manifest_stops(
    kiosk: Kiosk, server: CouncilServer
) -> None:
    bundle_id, _ = kiosk.seal_one()
    credential = kiosk.credential.model_dump()
    other = make_bundle(credential, device_key=kiosk.device.private_key, bundle_id=bundle_id,
                        seq=99)
    with httpx.Client(base_url=server.url) as client:
        for data in other.blobs.values():
            upload_blob(client, credential, data)
        put = client.put(f"/api/v1/bundles/{bundle_id}", content=other.body,
                         headers=tus_headers(credential))
        assert put.status_code == 201
    with pytest.raises(NeedsOfficer, match="different bundle"):
        kiosk.uploader().run()
    assert kiosk.state(bundle_id) == "quarantined"
    # The kiosk's own copy is untouched and intact for the officer to deal with.
    assert bundle.verify_bundle_dir(kiosk.paths.bundles / bundle_id, kiosk.device.public_b64) == []


def test_a_manifest_the_council_refuses_is_set_aside_and_the_rest_go(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    refused, _ = kiosk.seal_one()
    healthy, _ = kiosk.seal_one()
    body = b'{"error":"bad_signature","detail":"the manifest does not verify"}'
    faults.append(Fault("PUT", f"/api/v1/bundles/{refused}", "body", status=400, body=body))
    slept: list[float] = []
    report = kiosk.uploader(sleep=slept.append).run()
    assert report.quarantined == [refused] and report.committed == [healthy]
    assert slept == []  # not retried: the council will never take it as it is
    found = kiosk.store.get_bundle(refused)
    assert found is not None and found.state == "quarantined"
    assert found.error is not None and "does not verify" in found.error
    assert bundle.verify_bundle_dir(kiosk.paths.bundles / refused, kiosk.device.public_b64) == []


def test_a_400_that_is_not_the_councils_answer_is_retried(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    bundle_id, _ = kiosk.seal_one()
    faults.append(Fault("PUT", f"/api/v1/bundles/{bundle_id}", "html", times=1))
    faults.append(Fault("PUT", f"/api/v1/bundles/{bundle_id}", "status", status=400))
    slept: list[float] = []
    report = kiosk.uploader(sleep=slept.append).run()
    assert report.committed == [bundle_id] and report.quarantined == []
    assert len(slept) == 2


@pytest.mark.parametrize("damage", ["bit_flip", "truncate", "missing"])
def test_damage_on_the_kiosk_disk_is_quarantined_not_uploaded(
    kiosk: Kiosk, server: CouncilServer, damage: str
) -> None:
    damaged, _ = kiosk.seal_one()
    healthy, _ = kiosk.seal_one()
    video = next(b for b in _blobs(kiosk, damaged) if b.kind == "video")
    path = bundle.blob_path(kiosk.paths.bundles / damaged, video.sha256)
    data = bytearray(path.read_bytes())
    if damage == "bit_flip":
        data[len(data) // 3] ^= 0x01
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) - 7]))
    else:
        path.unlink()
    report = kiosk.uploader().run()
    assert report.quarantined == [damaged]
    assert report.committed == [healthy]
    assert kiosk.state(damaged) == "quarantined"
    found = kiosk.store.get_bundle(damaged)
    assert found is not None and found.error and video.sha256[:12] in found.error
    assert [b.bundle_id for b in server.bundles()] == [healthy]
    assert not server.has_blob(video.sha256)
    assert server.partial_uploads() == []


# --- the process killed at every step --------------------------------------------------

_CHILD = r"""
import os, signal, sys
from pathlib import Path
from booth.settings import Paths
from booth.store import Store
from booth.sync import seal
from booth.sync.keys import DeviceKeys, load_credential
from booth.sync.uploader import Uploader, UploaderOptions

root, phase, step = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
paths = Paths(data=root, logs=root / "logs", config=root / "config")

def hook(reached):
    if reached == step:
        os.kill(os.getpid(), signal.SIGKILL)

store = Store.open(paths)
credential = load_credential(paths)
device = DeviceKeys.load_or_create(paths)
if phase == "seal":
    for session_id in store.sessions_to_seal():
        seal.seal_session(store, paths, device, credential, session_id, hook=hook)
else:
    options = UploaderOptions(chunk_size=1024, max_chunk_size=1024)
    Uploader(store, credential, device, options=options, hook=hook).run()
print("finished without reaching", step)
"""

SEAL_STEPS = ["staging", "payload", "videos", "manifest", "renamed", "committed", "done"]
UPLOAD_STEPS = ["uploading", "chunk", "blob", "receipt", "committed", "purged", "done"]


def _run_child(paths: Paths, phase: str, step: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(paths.data), phase, step],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )
    assert result.returncode == -signal.SIGKILL, (result.stdout, result.stderr)


@pytest.mark.parametrize(
    ("phase", "step"),
    [("seal", s) for s in SEAL_STEPS] + [("upload", s) for s in UPLOAD_STEPS],
)
def test_killed_at_any_step_of_seal_upload_or_commit(
    settings: Settings, server: CouncilServer, phase: str, step: str
) -> None:
    paths = settings.paths
    sealed: list[bundle.BlobRef] = []
    with enrolled_kiosk(paths, server) as kiosk:
        session_id, videos = finished_session(kiosk.store, kiosk.credential.recipients)
        if phase == "upload":
            sealed_id = seal.seal_session(kiosk.store, paths, kiosk.device, kiosk.credential,
                                          session_id)
            sealed = _blobs(kiosk, sealed_id)

    _run_child(paths, phase, step)

    # The next start: reconcile, seal what is waiting, send what is pending.
    with Store.open(paths) as store:
        store.reconcile()
        seal.reconcile_bundles(store, paths)
        kiosk = Kiosk(paths, store, DeviceKeys.load_or_create(paths), kiosk.credential)
        seal.seal_pending(store, paths, kiosk.device, kiosk.credential)
        rows = store.bundles_in_state(*seal.ALL_BUNDLE_STATES)
        assert len(rows) == 1
        if rows[0].state == "purged":
            # Killed after the purge: the session is already forgotten, and its bundle
            # (with no manifest kept) is linked to no one.
            assert rows[0].session_id == "" and store.get_session(session_id) is None
            blobs = sealed
        else:
            assert rows[0].session_id == session_id
            blobs = list(bundle.Manifest.parse(rows[0].manifest_json).blobs)
        with kiosk.uploader() as up:
            report = up.run()
        assert report.quarantined == []
        bundle_id = rows[0].id
        _assert_delivered_once(kiosk, server, bundle_id, blobs)
        assert store.integrity_check() == "ok"
        assert store.sessions_to_seal() == []
        assert list(paths.takes.iterdir()) == []
        video = next(b for b in blobs if b.kind == "video")
        assert council_reads_video(server, video.sha256) == videos[0]



def test_oversize_blob_413_sets_the_bundle_aside_and_stops(
    settings: Settings, tmp_path: Path
) -> None:
    with running_council(tmp_path / "small", max_blob_size=2000) as small, \
            enrolled_kiosk(settings.paths, small) as kiosk:
        bundle_id, _ = kiosk.seal_one(videos=1)
        video = next(b for b in _blobs(kiosk, bundle_id) if b.kind == "video")
        assert video.size > 2000
        with pytest.raises(NeedsOfficer, match="refuses"):
            kiosk.uploader().run()
        assert kiosk.state(bundle_id) == "quarantined"
        assert small.bundles() == []
        assert bundle.verify_bundle_dir(kiosk.paths.bundles / bundle_id) == []


def test_unknown_device_401_stops_and_asks_to_enrol_again(
    kiosk: Kiosk, server: CouncilServer
) -> None:
    bundle_id, _ = kiosk.seal_one()
    stranger = kiosk.credential.model_copy(update={"token": "x" * 43})
    kiosk.credential = stranger
    slept: list[float] = []
    with pytest.raises(NeedsOfficer, match="enrol it again"):
        kiosk.uploader(sleep=slept.append).run()
    assert slept == []
    assert kiosk.state(bundle_id) == "sealed"


def test_a_receipt_not_signed_by_the_council_is_never_accepted(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    bundle_id, _ = kiosk.seal_one()
    manifest = bundle.read_manifest(kiosk.paths.bundles / bundle_id)
    forged = bundle.sign_receipt(manifest, Ed25519PrivateKey.generate(), "2026-11-25T20:00:00")
    faults.append(Fault("PUT", "/api/v1/bundles/", "body", status=201, body=forged.to_bytes()))
    with pytest.raises(NeedsOfficer, match="receipt did not verify"):
        kiosk.uploader().run()
    assert kiosk.state(bundle_id) == "uploading"
    assert kiosk.store.get_receipt(bundle_id) is None
    assert bundle.verify_bundle_dir(kiosk.paths.bundles / bundle_id) == []
