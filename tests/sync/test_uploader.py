"""The uploader against a real council server on loopback: send, resume, commit, purge."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot

from booth.settings import Settings
from booth.sync import seal, uploader
from booth.sync.online import say_hello
from booth.wire import bundle
from tests.helpers.council import (
    CouncilServer,
    council_server,
    running_council,
    sha256_metadata,
    tus_headers,
)
from tests.helpers.store import open_consented_session, start_event
from tests.helpers.sync import (
    Kiosk,
    council_reads_video,
    enrolled_kiosk,
    finished_session,
    record_encrypted_take,
)

__all__ = ["council_server"]


@pytest.fixture
def kiosk(settings: Settings, council_server: CouncilServer) -> Iterator[Kiosk]:
    with enrolled_kiosk(settings.paths, council_server) as made:
        yield made


def test_sealed_bundles_reach_the_council_and_leave_the_kiosk(
    kiosk: Kiosk, council_server: CouncilServer
) -> None:
    first, first_videos = kiosk.seal_one(videos=2)
    second, _ = kiosk.seal_one(videos=0)
    manifests = {b: bundle.read_manifest(kiosk.paths.bundles / b) for b in (first, second)}
    progress: list[tuple[str, int, int]] = []
    committed: list[str] = []
    up = kiosk.uploader(on_progress=lambda b, s, t: progress.append((b, s, t)),
                        on_committed=committed.append)
    report = up.run()

    assert report.committed == [first, second] == committed
    assert report.quarantined == []
    for bundle_id, manifest in manifests.items():
        stored = council_server.bundle(bundle_id)
        assert stored is not None and stored.manifest_sha256 == manifest.sha256
        assert all(council_server.has_blob(b.sha256) for b in manifest.blobs)
        assert kiosk.state(bundle_id) == "purged"
        assert not (kiosk.paths.bundles / bundle_id).exists()
    videos = [b for b in manifests[first].blobs if b.kind == "video"]
    assert [council_reads_video(council_server, v.sha256) for v in videos] == first_videos

    tombstones = {t.bundle_id: t for t in kiosk.store.tombstones()}
    assert set(tombstones) == {first, second}
    receipt = bundle.Receipt.parse(tombstones[first].receipt_json)
    bundle.verify_receipt(receipt, manifests[first], council_server.signing_public_key)
    assert tombstones[first].blob_hashes == [b.sha256 for b in manifests[first].blobs]

    first_progress = [p for p in progress if p[0] == first]
    sent = [p[1] for p in first_progress]
    assert sent == sorted(sent)
    assert first_progress[-1][1] == first_progress[-1][2] == manifests[first].total_size
    # A second run has nothing to do.
    assert kiosk.uploader().run().committed == []


def test_upload_resumes_from_the_servers_offset(
    kiosk: Kiosk, council_server: CouncilServer
) -> None:
    bundle_id, _ = kiosk.seal_one(videos=1)
    manifest = bundle.read_manifest(kiosk.paths.bundles / bundle_id)
    video = next(b for b in manifest.blobs if b.kind == "video")
    data = bundle.blob_path(kiosk.paths.bundles / bundle_id, video.sha256).read_bytes()
    half = len(data) // 2
    credential = kiosk.credential.model_dump()
    headers = tus_headers(credential)
    with httpx.Client(base_url=council_server.url) as client:
        created = client.post("/files/", headers={
            **headers, "Upload-Length": str(len(data)),
            "Upload-Metadata": sha256_metadata(video.sha256)})
        assert created.status_code == 201
        patched = client.patch(created.headers["Location"], content=data[:half], headers={
            **headers, "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream"})
        assert patched.status_code == 204

    up = kiosk.uploader(chunk_size=512)
    report = up.run()
    assert report.committed == [bundle_id]
    assert report.bytes_sent == manifest.total_size - half
    assert council_server.blob_path(video.sha256).read_bytes() == data


def test_a_bundle_the_server_already_has_commits_without_resending(
    kiosk: Kiosk, council_server: CouncilServer
) -> None:
    bundle_id, _ = kiosk.seal_one(videos=1)
    folder = kiosk.paths.bundles / bundle_id
    manifest = bundle.read_manifest(folder)
    credential = kiosk.credential.model_dump()
    with httpx.Client(base_url=council_server.url) as client:
        for blob in manifest.blobs:
            data = bundle.blob_path(folder, blob.sha256).read_bytes()
            from tests.helpers.council import upload_blob

            upload_blob(client, credential, data)
    report = kiosk.uploader().run()
    assert report.committed == [bundle_id]
    assert report.bytes_sent == 0


def test_hello_proves_the_server_holds_the_councils_key(
    kiosk: Kiosk, council_server: CouncilServer
) -> None:
    with httpx.Client(base_url=council_server.url) as client:
        assert say_hello(client, kiosk.credential).online
        impostor = kiosk.credential.model_copy(
            update={"server_signing_key": base64.b64encode(hashlib.sha256(b"x").digest())
                    .decode()}
        )
        result = say_hello(client, impostor)
    assert not result.online and "prove" in result.detail


def test_backoff_is_full_jitter_capped_and_retry_after_is_read() -> None:
    assert uploader.full_jitter(0, lambda: 1.0, 2.0, 600.0) == 2.0
    assert uploader.full_jitter(3, lambda: 0.5, 2.0, 600.0) == 8.0
    assert uploader.full_jitter(50, lambda: 1.0, 2.0, 600.0) == 600.0
    assert uploader.full_jitter(5, lambda: 0.0, 2.0, 600.0) == 0.0
    assert uploader.parse_retry_after("7") == 7.0
    assert uploader.parse_retry_after("Wed, 25 Nov 2026 20:00:30 GMT",
                                      "Wed, 25 Nov 2026 20:00:00 GMT") == pytest.approx(30.0)
    assert uploader.parse_retry_after("soon") is None


def test_a_retry_after_date_is_read_against_the_servers_date_and_only_ever_adds() -> None:
    # The server's Date, not the kiosk's clock: a kiosk an hour fast still waits 30 s.
    server_now = "Wed, 25 Nov 2026 20:00:00 GMT"
    assert uploader.parse_retry_after("Wed, 25 Nov 2026 20:00:30 GMT", server_now) == 30.0
    # In the past by the server's own clock: no wait asked for...
    assert uploader.parse_retry_after("Wed, 25 Nov 2026 19:00:00 GMT", server_now) == 0.0
    # ...and a date with no Date to read it against says nothing either.
    assert uploader.parse_retry_after("Wed, 25 Nov 2026 20:00:30 GMT", None) is None
    assert uploader.parse_retry_after("Wed, 25 Nov 2026 20:00:30 GMT", "garbage") is None
    # So the wait is the backoff's step (with a floor), lengthened by Retry-After only.
    assert uploader.retry_wait(0.0, 0.0, 1.0) == 1.0
    assert uploader.retry_wait(4.0, 0.0, 1.0) == 4.0
    assert uploader.retry_wait(4.0, None, 1.0) == 4.0
    assert uploader.retry_wait(4.0, 30.0, 1.0) == 30.0


def test_stored_receipt_is_the_servers_json(kiosk: Kiosk, council_server: CouncilServer) -> None:
    bundle_id, _ = kiosk.seal_one(videos=0)
    kiosk.uploader().run()
    stored = kiosk.store.get_receipt(bundle_id)
    assert stored is not None and stored.via == "network"
    server_copy = council_server.bundle(bundle_id)
    assert server_copy is not None
    assert json.loads(stored.receipt_json) == json.loads(server_copy.receipt_json)


def test_path_of_blob_name_is_never_taken_from_the_server(tmp_path: Path) -> None:
    with pytest.raises(bundle.BundleError):
        bundle.blob_path(tmp_path, "../../etc/passwd")


# --- the Qt controller: the same uploader off the GUI thread -------------------------


def test_sync_controller_sends_in_the_background_and_signals(
    kiosk: Kiosk, council_server: CouncilServer, settings: Settings, qtbot: QtBot
) -> None:
    from booth.sync.qt import UP_TO_DATE, SyncController

    credential = kiosk.credential
    finished_session(kiosk.store, credential.recipients)  # sealed by the controller itself
    options = uploader.UploaderOptions(chunk_size=1024, max_chunk_size=1024, timeout=5)
    controller = SyncController(kiosk.store, settings, kiosk.device, options=options)
    states: list[str] = []
    progress: list[tuple[str, int, int]] = []
    controller.stateChanged.connect(states.append)
    controller.progress.connect(lambda b, s, t: progress.append((b, s, t)))
    gui_thread = threading.current_thread()
    seen_threads: list[threading.Thread] = []
    controller.bundleCommitted.connect(lambda _b: seen_threads.append(threading.current_thread()))
    try:
        with qtbot.waitSignal(controller.bundleCommitted, timeout=20_000) as blocker:
            controller.sync_now()
        qtbot.waitUntil(lambda: controller.state == UP_TO_DATE, timeout=10_000)
    finally:
        controller.shutdown()
    [bundle_id] = blocker.args or [""]
    assert kiosk.state(bundle_id) == "purged"
    assert council_server.bundle(bundle_id) is not None
    assert states[0] == "syncing" and states[-1] == UP_TO_DATE
    assert progress[-1][1] == progress[-1][2] > 0
    assert seen_threads == [gui_thread]


def test_sync_controller_tells_the_officer_when_revoked(
    kiosk: Kiosk, council_server: CouncilServer, settings: Settings, qtbot: QtBot
) -> None:
    from booth.sync.qt import SyncController

    kiosk.seal_one()
    council_server.revoke(kiosk.credential.device_id)
    controller = SyncController(kiosk.store, settings, kiosk.device)
    try:
        with qtbot.waitSignal(
            controller.stateChanged, timeout=20_000,
            check_params_cb=lambda s: s.startswith("needs officer"),
        ) as blocker:
            controller.sync_now()
    finally:
        controller.shutdown()
    assert blocker.args is not None and "withdrawn" in blocker.args[0]


def test_sync_controller_offline_backs_off_and_shuts_down_promptly(
    kiosk: Kiosk, settings: Settings, qtbot: QtBot
) -> None:
    from booth.sync.qt import OFFLINE, SyncController

    kiosk.seal_one()
    offline = settings.with_changes(server_url="http://127.0.0.1:9")
    # Backoffs of up to a day: the worker only ends before one is over if shutdown cuts
    # the wait short.
    day = 24 * 3600.0
    options = uploader.UploaderOptions(timeout=2, backoff_base=day, backoff_cap=day)
    controller = SyncController(kiosk.store, offline, kiosk.device, options=options)
    before = set(threading.enumerate())
    with qtbot.waitSignal(controller.stateChanged, timeout=10_000,
                          check_params_cb=lambda s: s == OFFLINE):
        controller.start_background(60.0)
    [worker] = [t for t in threading.enumerate() if t not in before and t.name == "booth-sync"]
    controller.shutdown()
    # It was waiting out a backoff; shutdown cut that wait short, so the worker has ended
    # by the time shutdown returns (a worker still busy is left running after its bound).
    assert not worker.is_alive()
    [row] = kiosk.store.bundles_in_state("sealed", "uploading")
    assert bundle.verify_bundle_dir(kiosk.paths.bundles / row.id) == []


def test_probe_server_reports_enrolment_and_a_verified_hello(
    settings: Settings, council_server: CouncilServer, tmp_path: Path
) -> None:
    from booth.sync.keys import install_credential
    from booth.sync.online import is_online, probe_server

    before = probe_server(settings)
    assert not before.ok and not before.required and "enrol" in before.detail
    assert not is_online(settings)
    install_credential(settings.paths, council_server.enrol_to_file(tmp_path / "usb"))
    after = probe_server(settings)
    assert after.ok and after.name == "council server"
    assert is_online(settings)
    elsewhere = probe_server(settings.with_changes(server_url="http://127.0.0.1:9"))
    assert not elsewhere.ok and "cannot reach" in elsewhere.detail


def test_crc32_chunk_checksums_are_sent_and_the_bundle_arrives_intact(
    kiosk: Kiosk, council_server: CouncilServer
) -> None:
    bundle_id, videos = kiosk.seal_one(videos=1)
    manifest = bundle.read_manifest(kiosk.paths.bundles / bundle_id)
    sent: list[str] = []

    def record(request: httpx.Request) -> None:
        if request.method == "PATCH":
            sent.append(request.headers.get("Upload-Checksum", ""))

    options = uploader.UploaderOptions(chunk_size=4096, max_chunk_size=4096, timeout=5,
                                      checksum_algorithm="crc32")
    with httpx.Client(base_url=kiosk.credential.server_url,
                      event_hooks={"request": [record]}) as client:
        report = kiosk.uploader(options=options, client=client).run()
    assert report.committed == [bundle_id]
    assert report.checksum_retries == 0
    assert len(sent) >= 2 and all(h.startswith("crc32 ") for h in sent)
    video = next(b for b in manifest.blobs if b.kind == "video")
    assert [council_reads_video(council_server, video.sha256)] == videos


def test_chunk_sizer_aims_each_patch_at_the_target_time() -> None:
    sizer = uploader.ChunkSizer(start=8, smallest=2, largest=32, target_seconds=2.0)
    sizer.sent(8, 0.5)  # a full chunk in under half the target: twice as big next time
    assert sizer.size == 16
    sizer.sent(16, 0.1)
    sizer.sent(32, 0.1)
    assert sizer.size == 32  # never past the largest
    sizer.sent(10, 0.01)  # a blob's short last chunk says nothing about the link
    sizer.sent(32, 1.5)  # near the target: stays
    assert sizer.size == 32
    sizer.sent(32, 5.0)  # over twice the target: half
    assert sizer.size == 16
    assert sizer.shrink() and sizer.shrink() and sizer.shrink()
    assert sizer.size == 2
    assert not sizer.shrink()  # the floor holds
    assert sizer.size == 2
    # A start outside the bounds widens them rather than being overruled.
    assert uploader.ChunkSizer(start=1024, smallest=4096, largest=8192,
                               target_seconds=2.0).smallest == 1024
    assert uploader.ChunkSizer(start=1 << 20, smallest=4096, largest=8192,
                               target_seconds=2.0).largest == 1 << 20


def test_a_refused_chunk_size_is_never_tried_again() -> None:
    sizer = uploader.ChunkSizer(start=64, smallest=8, largest=256, target_seconds=2.0)
    assert sizer.too_large()
    assert (sizer.size, sizer.largest) == (32, 32)
    sizer.sent(32, 0.01)
    assert sizer.size == 32  # fast, but the server said 64 is too much
    sizer.size = sizer.largest = sizer.smallest
    assert not sizer.too_large()


def test_chunks_grow_on_a_fast_link_and_fit_a_servers_smaller_limit(
    tmp_path: Path, settings: Settings
) -> None:
    # A council server that takes at most 4 KiB per PATCH, a kiosk starting at 1 KiB that
    # may grow to 16 KiB: the chunks double while they go through fast, one 8 KiB chunk
    # is refused (413), and the rest go at 4 KiB; nothing is set aside.
    with running_council(tmp_path / "council", max_chunk_size=4096) as server, \
            enrolled_kiosk(settings.paths, server) as kiosk:
        session_id = open_consented_session(kiosk.store, start_event(kiosk.store))
        _take, video_plain = record_encrypted_take(kiosk.store, session_id,
                                                   kiosk.credential.recipients, frames=150)
        kiosk.store.finish_session(session_id)
        bundle_id = seal.seal_session(kiosk.store, kiosk.paths, kiosk.device, kiosk.credential,
                                      session_id)
        manifest = bundle.read_manifest(kiosk.paths.bundles / bundle_id)
        video = next(b for b in manifest.blobs if b.kind == "video")
        assert video.size > 25_000
        sent: list[int] = []

        def record(request: httpx.Request) -> None:
            if request.method == "PATCH" and request.url.path.endswith(video.sha256):
                sent.append(int(request.headers["Content-Length"]))

        options = uploader.UploaderOptions(chunk_size=1024, min_chunk_size=1024,
                                           max_chunk_size=16384, timeout=5)
        with httpx.Client(base_url=server.url, event_hooks={"request": [record]}) as client:
            made = kiosk.uploader(options=options, client=client)
            report = made.run()
        assert report.committed == [bundle_id] and report.quarantined == []
        # Growing (a chunk read ahead keeps the size it was read at), refused once at
        # 8 KiB, then at the server's 4 KiB to the end.
        refused = sent.index(8192)
        assert sent[0] <= 2048 and sent[:refused] == sorted(sent[:refused])
        assert sent.count(8192) == 1 and max(sent[refused + 1 :]) == 4096
        assert made.chunks.largest == 4096
        assert council_reads_video(server, video.sha256) == video_plain
