"""The council server over real loopback HTTP: tus verbs, commits, auth, limits, hostile input."""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from booth.wire.bundle import Receipt, load_public_key, verify_receipt
from council.api import ServerConfig
from council.storage import CouncilStorage, FileBlobStore
from tests.helpers.council import (
    CouncilServer,
    council_server,  # noqa: F401  (fixture)
    make_bundle,
    running_council,
    sha256_metadata,
    tus_headers,
    upload_blob,
)

OCTETS = "application/offset+octet-stream"


@pytest.fixture
def client(council_server: CouncilServer) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=council_server.url, timeout=10) as http:
        yield http


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CouncilServer, httpx.Client, dict[str, Any]]]:
    """One server for the long tables of refusals (none of them may store anything)."""
    with running_council(tmp_path_factory.mktemp("shared")) as server, httpx.Client(
        base_url=server.url, timeout=10
    ) as http:
        yield server, http, server.enrol("shared kiosk")


@pytest.fixture
def device(council_server: CouncilServer) -> dict[str, Any]:  # noqa: F811
    return council_server.enrol("hall kiosk")


def _create(client: httpx.Client, credential: dict[str, Any], data: bytes) -> httpx.Response:
    sha = hashlib.sha256(data).hexdigest()
    return client.post(
        "/files/",
        headers={
            **tus_headers(credential),
            "Upload-Length": str(len(data)),
            "Upload-Metadata": sha256_metadata(sha),
        },
    )


def _patch(
    client: httpx.Client,
    credential: dict[str, Any],
    location: str,
    offset: int,
    data: bytes,
    **extra: str,
) -> httpx.Response:
    headers = {**tus_headers(credential), "Upload-Offset": str(offset), "Content-Type": OCTETS}
    headers.update({key.replace("_", "-"): value for key, value in extra.items()})
    return client.patch(location, content=data, headers=headers)


def _sha1(data: bytes) -> str:
    return "sha1 " + base64.b64encode(hashlib.sha1(data).digest()).decode()


# --- tus core ------------------------------------------------------------------------


def test_options_advertises_version_extensions_limits(
    client: httpx.Client, council_server: CouncilServer  # noqa: F811
) -> None:
    answer = client.options("/files/")
    assert answer.status_code == 204
    assert answer.headers["Tus-Version"] == "1.0.0"
    assert set(answer.headers["Tus-Extension"].split(",")) == {
        "creation", "checksum", "termination", "expiration"
    }
    assert int(answer.headers["Tus-Max-Size"]) == council_server.config.max_blob_size
    assert answer.headers["Tus-Checksum-Algorithm"].split(",") == ["sha1", "crc32"]


def test_upload_in_chunks_resumes_from_head_and_stores_blob(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    data = os.urandom(250_000)
    sha = hashlib.sha256(data).hexdigest()
    created = _create(client, device, data)
    assert created.status_code == 201
    location = created.headers["Location"]
    assert location.endswith(f"/files/{sha}")
    assert "Upload-Expires" in created.headers
    head_part = data[:100_000]
    first = _patch(client, device, location, 0, head_part, Upload_Checksum=_sha1(head_part))
    assert first.status_code == 204
    assert first.headers["Upload-Offset"] == "100000"
    head = client.head(location, headers=tus_headers(device))
    assert head.status_code == 200
    assert head.headers["Upload-Offset"] == "100000"
    assert head.headers["Upload-Length"] == str(len(data))
    assert head.headers["Cache-Control"] == "no-store"
    assert not council_server.has_blob(sha)
    rest = _patch(client, device, location, 100_000, data[100_000:])
    assert rest.status_code == 204
    assert rest.headers["Upload-Offset"] == str(len(data))
    assert council_server.blob_path(sha).read_bytes() == data
    assert council_server.partial_uploads() == []
    done = client.head(location, headers=tus_headers(device))
    assert done.headers["Upload-Offset"] == done.headers["Upload-Length"] == str(len(data))


def test_stale_offset_is_409_and_bytes_are_not_written(
    client: httpx.Client, device: dict[str, Any]
) -> None:
    data = os.urandom(10_000)
    location = _create(client, device, data).headers["Location"]
    assert _patch(client, device, location, 0, data[:4000]).status_code == 204
    stale = _patch(client, device, location, 0, data[:4000])
    assert stale.status_code == 409
    assert stale.json()["error"] == "offset"
    ahead = _patch(client, device, location, 6000, data[6000:])
    assert ahead.status_code == 409
    assert client.head(location, headers=tus_headers(device)).headers["Upload-Offset"] == "4000"


def _slow_patch(
    url: str, credential: dict[str, Any], location: str, data: bytes, release: threading.Event
) -> tuple[threading.Thread, list[httpx.Response]]:
    """PATCH ``data`` from offset 0, sending its second half only once ``release`` is set."""
    answers: list[httpx.Response] = []

    def body() -> Iterator[bytes]:
        yield data[: len(data) // 2]
        release.wait(60)  # a bound that only ends a hung test
        yield data[len(data) // 2 :]

    def send() -> None:
        headers = {**tus_headers(credential), "Upload-Offset": "0", "Content-Type": OCTETS,
                   "Content-Length": str(len(data))}
        with httpx.Client(base_url=url, timeout=90) as other:
            answers.append(other.patch(location, content=body(), headers=headers))

    thread = threading.Thread(target=send)
    thread.start()
    return thread, answers


class _WatchWriter:
    """ASGI middleware that sets ``writing`` when a PATCH starts reading its body (the
    server holds that upload from then until the PATCH is done) and calls ``on_head`` as
    a HEAD reaches the app."""

    def __init__(self, app: ASGIApp, writing: threading.Event,
                 on_head: Callable[[], object] | None) -> None:
        self.app = app
        self.writing = writing
        self.on_head = on_head

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if method == "HEAD" and self.on_head is not None:
            self.on_head()
        if method == "PATCH":
            async def reading() -> Message:
                self.writing.set()
                return await receive()

            await self.app(scope, reading, send)
            return
        await self.app(scope, receive, send)


@pytest.mark.parametrize("finishes", [True, False])
def test_head_waits_for_a_patch_in_flight_so_its_offset_is_settled(
    tmp_path: Path, finishes: bool
) -> None:
    # A kiosk whose connection dropped asks HEAD where to resume while the server may
    # still be finishing the old PATCH: HEAD waits for it (up to a bound) rather than
    # report an offset that the next PATCH would be refused for (409 busy).
    data = os.urandom(200_000)
    writing = threading.Event()
    release = threading.Event()
    # When the writer finishes, the HEAD reaching the server is what lets the PATCH's
    # second half go. The server reads nothing more of the PATCH until the HEAD's handler
    # stops to wait (one event loop, and no await yields on the way there), so the HEAD
    # finds the upload busy and the PATCH finishes while the HEAD waits. Its bound then
    # only ends a hung test; the HEAD's client gives up sooner.
    watch = Middleware(_WatchWriter, writing=writing, on_head=release.set if finishes else None)
    bound = 60.0 if finishes else 0.5
    with running_council(tmp_path, middleware=[watch],
                         head_waits_for_writer_seconds=bound) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        device = server.enrol("hall kiosk")
        location = _create(client, device, data).headers["Location"]
        thread, answers = _slow_patch(server.url, device, location, data, release)
        assert writing.wait(10)  # the server is taking in the PATCH: it holds the upload
        began = time.monotonic()
        head = client.head(location, headers=tus_headers(device))
        waited = time.monotonic() - began
        patch_answered_before_head = bool(answers)
        release.set()
        thread.join(90)
        assert head.status_code == 200
        assert answers[0].status_code == 204
        if finishes:
            # It answered once the PATCH was done, with the offset that PATCH reached.
            assert head.headers["Upload-Offset"] == str(len(data))
        else:
            # A writer that does not finish holds HEAD up only for the bound: HEAD
            # answers while the PATCH is still held back. (A lower bound on a real
            # timeout: it cannot fire early, so this cannot flake.)
            assert not patch_answered_before_head
            assert head.headers["Upload-Offset"] == "0"
            assert waited >= bound
        assert server.blob_path(hashlib.sha256(data).hexdigest()).read_bytes() == data


def test_checksum_mismatch_is_460_and_chunk_discarded(
    client: httpx.Client, device: dict[str, Any]
) -> None:
    data = os.urandom(8000)
    location = _create(client, device, data).headers["Location"]
    wrong = _patch(client, device, location, 0, data[:4000], Upload_Checksum=_sha1(b"other"))
    assert wrong.status_code == 460
    assert client.head(location, headers=tus_headers(device)).headers["Upload-Offset"] == "0"
    unknown = _patch(client, device, location, 0, data[:4000], Upload_Checksum="md5 AAAA")
    assert unknown.status_code == 400
    right = _patch(client, device, location, 0, data[:4000], Upload_Checksum=_sha1(data[:4000]))
    assert right.status_code == 204


def _crc32(data: bytes) -> str:
    return "crc32 " + base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_crc32_checksums_are_checked_like_sha1(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    location = _create(client, device, data).headers["Location"]
    damaged = bytearray(data)
    damaged[1234567] ^= 0x80
    wrong = _patch(client, device, location, 0, bytes(damaged), Upload_Checksum=_crc32(data))
    assert wrong.status_code == 460
    assert client.head(location, headers=tus_headers(device)).headers["Upload-Offset"] == "0"
    short = _patch(client, device, location, 0, data, Upload_Checksum="crc32 AAAA")
    assert short.status_code == 400
    right = _patch(client, device, location, 0, data, Upload_Checksum=_crc32(data))
    assert right.status_code == 204
    assert council_server.blob_path(hashlib.sha256(data).hexdigest()).read_bytes() == data


def test_multi_mebibyte_chunks_are_checked_and_stored_exactly(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    # Chunks of several MiB go through the server's batching, its two hashing threads
    # and early disk writeback; a wrong checksum must still leave nothing behind.
    data = os.urandom(7 * 1024 * 1024 + 12345)
    cut = 3 * 1024 * 1024 + 7
    location = _create(client, device, data).headers["Location"]
    first = data[:cut]
    damaged = bytearray(first)
    damaged[-1] ^= 0x01
    wrong = _patch(client, device, location, 0, bytes(damaged), Upload_Checksum=_sha1(first))
    assert wrong.status_code == 460
    assert client.head(location, headers=tus_headers(device)).headers["Upload-Offset"] == "0"
    assert [p.stat().st_size for p in council_server.partial_uploads()] == [0]
    offset = 0
    for end in (cut, 2 * cut, len(data)):
        answer = _patch(client, device, location, offset, data[offset:end],
                        Upload_Checksum=_sha1(data[offset:end]))
        assert answer.status_code == 204, answer.text
        assert answer.headers["Upload-Offset"] == str(end)
        offset = end
    assert council_server.blob_path(hashlib.sha256(data).hexdigest()).read_bytes() == data
    assert council_server.partial_uploads() == []


def test_bytes_that_do_not_hash_to_the_name_are_rejected_and_removed(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    claimed = os.urandom(5000)
    sent = os.urandom(5000)
    sha = hashlib.sha256(claimed).hexdigest()
    location = _create(client, device, claimed).headers["Location"]
    answer = _patch(client, device, location, 0, sent)
    assert answer.status_code == 422
    assert answer.json()["error"] == "hash_mismatch"
    assert not council_server.has_blob(sha)
    assert council_server.partial_uploads() == []
    assert client.head(location, headers=tus_headers(device)).status_code == 404


def test_termination_removes_unfinished_upload(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    data = os.urandom(9000)
    location = _create(client, device, data).headers["Location"]
    _patch(client, device, location, 0, data[:3000])
    assert len(council_server.partial_uploads()) == 1
    assert client.delete(location, headers=tus_headers(device)).status_code == 204
    assert council_server.partial_uploads() == []
    assert client.head(location, headers=tus_headers(device)).status_code == 404


def test_expired_upload_is_410_then_404(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    data = os.urandom(9000)
    location = _create(client, device, data).headers["Location"]
    _patch(client, device, location, 0, data[:3000])
    assert council_server.expire_uploads() == 1
    gone = _patch(client, device, location, 3000, data[3000:])
    assert gone.status_code == 410
    assert client.head(location, headers=tus_headers(device)).status_code == 404
    assert council_server.partial_uploads() == []
    # Starting again works.
    assert upload_blob(client, device, data) == hashlib.sha256(data).hexdigest()


def test_bytes_lost_in_a_power_cut_are_asked_for_again(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    data = os.urandom(9000)
    location = _create(client, device, data).headers["Location"]
    assert _patch(client, device, location, 0, data[:6000]).status_code == 204
    [part] = council_server.partial_uploads()
    with part.open("r+b") as handle:
        handle.truncate(2000)
    head = client.head(location, headers=tus_headers(device))
    assert head.headers["Upload-Offset"] == "2000"
    assert _patch(client, device, location, 2000, data[2000:]).status_code == 204
    assert council_server.blob_path(hashlib.sha256(data).hexdigest()).read_bytes() == data


def test_requests_without_tus_resumable_are_412(
    client: httpx.Client, device: dict[str, Any]
) -> None:
    data = os.urandom(100)
    headers = tus_headers(device)
    del headers["Tus-Resumable"]
    answer = client.post(
        "/files/",
        headers={**headers, "Upload-Length": "100",
                 "Upload-Metadata": sha256_metadata(hashlib.sha256(data).hexdigest())},
    )
    assert answer.status_code == 412
    assert answer.headers["Tus-Version"] == "1.0.0"


# --- commit --------------------------------------------------------------------------


def _commit(client: httpx.Client, credential: dict[str, Any], bundle_id: str, body: bytes
            ) -> httpx.Response:
    return client.put(
        f"/api/v1/bundles/{bundle_id}",
        content=body,
        headers={"Authorization": f"Bearer {credential['token']}",
                 "Content-Type": "application/json"},
    )


def test_commit_new_replay_conflict(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    bundle = make_bundle(device, videos=[os.urandom(30_000)])
    for data in bundle.blobs.values():
        upload_blob(client, device, data)
    bundle_id = bundle.manifest.bundle_id
    first = _commit(client, device, bundle_id, bundle.body)
    assert first.status_code == 201, first.text
    receipt = Receipt.parse(first.content)
    verify_receipt(receipt, bundle.manifest, council_server.signing_public_key)
    assert council_server.bundle(bundle_id) is not None

    replay = _commit(client, device, bundle_id, bundle.body)
    assert replay.status_code == 200
    assert replay.json() == first.json()

    other = make_bundle(device, device_key=bundle.device_key, bundle_id=bundle_id, seq=2)
    for data in other.blobs.values():
        upload_blob(client, device, data)
    conflict = _commit(client, device, bundle_id, other.body)
    assert conflict.status_code == 409
    assert len(council_server.bundles()) == 1


def test_commit_with_missing_blobs_is_422_with_the_list(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    bundle = make_bundle(device, videos=[os.urandom(1000), os.urandom(1000)])
    shas = list(bundle.blobs)
    upload_blob(client, device, bundle.blobs[shas[0]])
    answer = _commit(client, device, bundle.manifest.bundle_id, bundle.body)
    assert answer.status_code == 422
    assert answer.json()["error"] == "blobs_missing"
    assert sorted(answer.json()["missing"]) == sorted(shas[1:])
    assert council_server.bundles() == []


def test_receipt_is_signed_by_the_server_key(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    bundle = make_bundle(device)
    for data in bundle.blobs.values():
        upload_blob(client, device, data)
    receipt = _commit(client, device, bundle.manifest.bundle_id, bundle.body).json()
    body = {key: value for key, value in receipt.items() if key != "signature"}
    from booth.wire.bundle import canonical_json

    key: Ed25519PublicKey = load_public_key(council_server.signing_public_key)
    key.verify(base64.b64decode(receipt["signature"]), canonical_json(body))
    assert receipt["manifest_sha256"] == bundle.manifest.sha256
    # It says the day it was received, not the time: the kiosk keeps it for good.
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", receipt["received_at"])
    stored = council_server.bundle(bundle.manifest.bundle_id)
    assert stored is not None and stored.received_at.startswith(receipt["received_at"] + "T")


def test_hello_is_a_signed_echo(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    nonce = os.urandom(16).hex()
    answer = client.get("/api/v1/hello", params={"nonce": nonce},
                        headers={"Authorization": f"Bearer {device['token']}"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["service"] == "booth-council"
    assert body["nonce"] == nonce
    assert body["device_id"] == device["device_id"]
    load_public_key(council_server.signing_public_key).verify(
        base64.b64decode(body["signature"]), nonce.encode()
    )


def test_the_production_server_has_no_bench_route(
    client: httpx.Client, device: dict[str, Any]
) -> None:
    answer = client.put("/bench/raw", content=b"x" * 10,
                        headers={"Authorization": f"Bearer {device['token']}"})
    assert answer.status_code == 404


def test_the_sync_benchmarks_plain_put_stores_nothing(tmp_path: Path) -> None:
    from bench.plain_put import bench_app

    def with_plain_put(config: ServerConfig, storage: CouncilStorage) -> Starlette:
        return bench_app(config, storage.root / "bench")

    with running_council(tmp_path, make_app=with_plain_put) as server:
        credential = server.enrol()
        data = os.urandom(50_000)
        answer = httpx.put(f"{server.url}/bench/raw", content=data,
                           headers={"Authorization": f"Bearer {credential['token']}"})
        assert answer.status_code == 200
        assert answer.json() == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        assert list((server.store_dir / "bench").iterdir()) == []


# --- authentication and devices ------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-token",
     "Bearer " + "x" * 5000],
)
def test_requests_without_a_valid_token_are_401(
    shared: tuple[CouncilServer, httpx.Client, dict[str, Any]], authorization: str | None
) -> None:
    _server, client, _device = shared
    headers = {"Tus-Resumable": "1.0.0"}
    if authorization is not None:
        headers["Authorization"] = authorization
    for method, url in [("GET", "/api/v1/hello?nonce=" + "ab" * 16),
                        ("POST", "/files/"), ("HEAD", "/files/" + "a" * 64),
                        ("PUT", "/api/v1/bundles/bundle-12345678")]:
        answer = client.request(method, url, headers={**headers, "Upload-Length": "10"})
        assert answer.status_code == 401, (method, url)
        if method != "HEAD":
            assert answer.json()["error"] in {"unauthorised", "unknown_device"}


def test_revoked_device_is_403_everywhere_but_others_carry_on(
    client: httpx.Client, council_server: CouncilServer  # noqa: F811
) -> None:
    lost = council_server.enrol("stolen laptop")
    other = council_server.enrol("library")
    data = os.urandom(5000)
    location = _create(client, lost, data).headers["Location"]
    council_server.revoke(lost["device_id"])
    assert _patch(client, lost, location, 0, data).status_code == 403
    assert client.head(location, headers=tus_headers(lost)).status_code == 403
    hello = client.get("/api/v1/hello", params={"nonce": "cd" * 16},
                       headers={"Authorization": f"Bearer {lost['token']}"})
    assert hello.status_code == 403
    assert hello.json()["error"] == "revoked"
    assert upload_blob(client, other, data) == hashlib.sha256(data).hexdigest()


def test_device_key_is_pinned_on_first_commit(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    first = make_bundle(device)
    for data in first.blobs.values():
        upload_blob(client, device, data)
    assert _commit(client, device, first.manifest.bundle_id, first.body).status_code == 201
    pinned = council_server.storage.catalogue.get_device(device["device_id"])
    assert pinned is not None and pinned.device_key == first.manifest.device_key
    impostor = make_bundle(device, seq=2)  # same device id and token, another signing key
    for data in impostor.blobs.values():
        upload_blob(client, device, data)
    answer = _commit(client, device, impostor.manifest.bundle_id, impostor.body)
    assert answer.status_code == 403
    assert answer.json()["error"] == "device_key"
    assert council_server.bundle(impostor.manifest.bundle_id) is None


def test_a_device_cannot_commit_another_devices_bundle(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    other = council_server.enrol("other")
    bundle = make_bundle(device)
    for data in bundle.blobs.values():
        upload_blob(client, device, data)
    answer = _commit(client, other, bundle.manifest.bundle_id, bundle.body)
    assert answer.status_code == 403
    assert council_server.bundles() == []


def test_altered_manifest_is_refused(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    import json

    bundle = make_bundle(device)
    for data in bundle.blobs.values():
        upload_blob(client, device, data)
    raw = bundle.manifest.to_dict()
    raw["device_seq"] = 99
    answer = _commit(client, device, bundle.manifest.bundle_id, json.dumps(raw).encode())
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_signature"
    assert council_server.bundles() == []


def test_an_upload_belongs_to_the_device_that_created_it(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    other = council_server.enrol("other")
    data = os.urandom(4000)
    location = _create(client, device, data).headers["Location"]
    assert client.head(location, headers=tus_headers(other)).status_code == 404
    assert _patch(client, other, location, 0, data).status_code == 404
    assert client.delete(location, headers=tus_headers(other)).status_code == 404
    assert _create(client, other, data).status_code == 409


def test_committed_blobs_cannot_be_deleted(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    bundle = make_bundle(device)
    for data in bundle.blobs.values():
        upload_blob(client, device, data)
    assert _commit(client, device, bundle.manifest.bundle_id, bundle.body).status_code == 201
    sha = next(iter(bundle.blobs))
    assert client.delete(f"/files/{sha}", headers=tus_headers(device)).status_code == 403
    assert council_server.has_blob(sha)


# --- limits --------------------------------------------------------------------------


def test_hard_limits_answer_413(tmp_path: Path) -> None:
    with running_council(tmp_path, max_blob_size=10_000, max_chunk_size=4096,
                         max_blobs_per_bundle=2, max_manifest_size=2048) as server:
        credential = server.enrol()
        with httpx.Client(base_url=server.url) as http:
            too_big = _create(http, credential, os.urandom(10_001))
            assert too_big.status_code == 413
            data = os.urandom(9000)
            location = _create(http, credential, data).headers["Location"]
            assert _patch(http, credential, location, 0, data[:5000]).status_code == 413
            # Without Content-Length (chunked), the limit still holds while streaming.
            streamed = http.patch(
                location, content=iter([data[:3000], data[3000:6000]]),
                headers={**tus_headers(credential), "Upload-Offset": "0", "Content-Type": OCTETS},
            )
            assert streamed.status_code == 413
            head = http.head(location, headers=tus_headers(credential))
            assert head.headers["Upload-Offset"] == "0"
            past_end = _create(http, credential, data[:100])
            loc2 = past_end.headers["Location"]
            assert _patch(http, credential, loc2, 0, data[:200]).status_code == 413
            many = make_bundle(credential, videos=[b"a", b"b"])
            answer = _commit(http, credential, many.manifest.bundle_id, many.body)
            assert answer.status_code == 413
            assert answer.json()["error"] == "too_many_blobs"
            huge = _commit(http, credential, "bundle-12345678", b"{" + b" " * 5000 + b"}")
            assert huge.status_code == 413


def test_too_many_unfinished_uploads_is_429_with_retry_after(tmp_path: Path) -> None:
    with running_council(tmp_path, max_uploads_in_flight=2) as server:
        credential = server.enrol()
        with httpx.Client(base_url=server.url) as http:
            assert _create(http, credential, os.urandom(100)).status_code == 201
            assert _create(http, credential, os.urandom(100)).status_code == 201
            third = _create(http, credential, os.urandom(100))
            assert third.status_code == 429
            assert third.headers["Retry-After"].isdigit()


# --- hostile input -------------------------------------------------------------------

SHA = "a" * 64


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status"),
    [
        ("POST", "/files/", {"Upload-Length": "-1"}, b"", 400),
        ("POST", "/files/", {"Upload-Length": "12abc"}, b"", 400),
        ("POST", "/files/", {"Upload-Length": "9" * 40}, b"", 400),
        ("POST", "/files/", {"Upload-Length": str(1 << 62)}, b"", 413),
        ("POST", "/files/", {}, b"", 400),
        ("POST", "/files/", {"Upload-Length": b"\xb2"}, b"", 400),
        ("HEAD", "/files/" + SHA + "%0A", {}, b"", 404),
        ("GET", "/api/v1/hello?nonce=" + "ab" * 16 + "%0A", {}, b"", 400),
        ("POST", "/files/", {"Upload-Length": "10", "Upload-Defer-Length": "1"}, b"", 400),
        ("POST", "/files/", {"Upload-Length": "10", "Upload-Metadata": "sha256 !!!"}, b"", 400),
        ("POST", "/files/", {"Upload-Length": "10", "Upload-Metadata": "sha256 Li4vLi4vZXRj"},
         b"", 400),
        ("POST", "/files/", {"Upload-Length": "10", "Upload-Metadata": "x," * 3000}, b"", 400),
        ("HEAD", "/files/..%2F..%2Fetc%2Fpasswd", {}, b"", 404),
        ("HEAD", "/files/" + "A" * 64, {}, b"", 404),
        ("HEAD", "/files/" + SHA, {}, b"", 404),
        ("PATCH", "/files/" + SHA, {"Upload-Offset": "0", "Content-Type": OCTETS}, b"x", 404),
        ("PATCH", "/files/" + SHA, {"Upload-Offset": "-5", "Content-Type": OCTETS}, b"x", 400),
        ("PATCH", "/files/" + SHA, {"Content-Type": OCTETS}, b"x", 400),
        ("PATCH", "/files/" + SHA, {"Upload-Offset": "0", "Content-Type": "text/plain"}, b"x", 415),
        ("PATCH", "/files/" + SHA, {"Upload-Offset": "0", "Content-Type": OCTETS,
                                    "Upload-Checksum": "sha1 ***"}, b"x", 400),
        ("DELETE", "/files/" + SHA, {}, b"", 404),
        ("PUT", "/api/v1/bundles/..%2F..%2Fx", {}, b"{}", 404),
        ("PUT", "/api/v1/bundles/a", {}, b"{}", 404),
        ("PUT", "/api/v1/bundles/bundle-12345678", {}, b"not json", 400),
        ("PUT", "/api/v1/bundles/bundle-12345678", {}, b"[1, 2]", 400),
        ("PUT", "/api/v1/bundles/bundle-12345678", {}, b'{"bundle_id": "other-123456"}', 400),
        ("PUT", "/api/v1/bundles/bundle-12345678", {}, b"\xff\xfe", 400),
        ("PUT", "/api/v1/bundles/bundle-12345678", {}, b"[" * 100_000, 400),
        ("PUT", "/api/v1/bundles/bundle-12345678", {}, b'{"blobs": "x" }', 400),
        ("PUT", "/api/v1/bundles/bundle-12345678", {},
         b'{"bundle_id": "bundle-12345678", "device_id": "x", "blobs": []}', 403),
        ("GET", "/api/v1/hello?nonce=zz", {}, b"", 400),
        ("GET", "/api/v1/hello", {}, b"", 400),
        ("GET", "/etc/passwd", {}, b"", 404),
        ("DELETE", "/api/v1/hello", {}, b"", 405),
    ],
)
def test_hostile_input_gets_a_clean_json_error(
    shared: tuple[CouncilServer, httpx.Client, dict[str, Any]],
    method: str, path: str, headers: dict[str, str | bytes], body: bytes, status: int,
) -> None:
    server, client, device = shared
    answer = client.request(
        method, path, content=body or None, headers={**tus_headers(device), **headers}
    )
    assert answer.status_code == status, answer.text
    if method != "HEAD":
        error = answer.json()
        assert set(error) >= {"error", "detail"}
        assert "Traceback" not in answer.text
    assert server.stored_blobs() == []
    assert server.partial_uploads() == []


def test_huge_headers_are_refused_without_crashing(
    client: httpx.Client, device: dict[str, Any]
) -> None:
    try:
        answer = client.get("/api/v1/hello", params={"nonce": "ab" * 16},
                            headers={**tus_headers(device), "X-Junk": "j" * 200_000})
    except httpx.TransportError:
        pass  # The server may cut the connection before the client finishes sending.
    else:
        assert answer.status_code in (400, 431)
    # The server is still answering.
    ok = client.get("/api/v1/hello", params={"nonce": "ab" * 16}, headers=tus_headers(device))
    assert ok.status_code == 200


def test_simultaneous_commits_of_one_bundle_store_it_once_with_one_receipt(
    council_server: CouncilServer, device: dict[str, Any]  # noqa: F811
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    # A blob big enough that hashing it keeps the commits overlapping.
    bundle = make_bundle(device, videos=[os.urandom(8_000_000)])
    with httpx.Client(base_url=council_server.url) as http:
        for data in bundle.blobs.values():
            upload_blob(http, device, data, chunk=4 << 20)

    def commit(_: int) -> tuple[int, bytes]:
        with httpx.Client(base_url=council_server.url, timeout=10) as http:
            answer = _commit(http, device, bundle.manifest.bundle_id, bundle.body)
            return answer.status_code, answer.content

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(commit, range(6)))
    assert sorted(status for status, _ in results) == [200] * 5 + [201]
    assert len({body for _, body in results}) == 1
    assert len(council_server.bundles()) == 1


def test_a_stored_blob_that_no_longer_hashes_right_is_asked_for_again(
    client: httpx.Client, council_server: CouncilServer, device: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    bundle = make_bundle(device, videos=[os.urandom(3000)])
    payload_sha, video_sha = list(bundle.blobs)
    upload_blob(client, device, bundle.blobs[payload_sha])
    # The video reached the store another way (a USB import) and was damaged there.
    damaged = bytearray(bundle.blobs[video_sha])
    damaged[100] ^= 0xFF
    source = tmp_path / "damaged.age"
    source.write_bytes(bytes(damaged))
    council_server.storage.blobs.put_blob(video_sha, source)
    answer = _commit(client, device, bundle.manifest.bundle_id, bundle.body)
    assert answer.status_code == 422
    assert answer.json()["missing"] == [video_sha]
    assert not council_server.has_blob(video_sha)
    upload_blob(client, device, bundle.blobs[video_sha])
    assert _commit(client, device, bundle.manifest.bundle_id, bundle.body).status_code == 201


def test_without_per_chunk_fsync_uploads_still_complete_and_commit(tmp_path: Path) -> None:
    with running_council(tmp_path, fsync_each_chunk=False) as server:
        credential = server.enrol()
        bundle = make_bundle(credential, videos=[os.urandom(300_000)])
        with httpx.Client(base_url=server.url) as http:
            for data in bundle.blobs.values():
                upload_blob(http, credential, data, chunk=64 * 1024)
            answer = _commit(http, credential, bundle.manifest.bundle_id, bundle.body)
        assert answer.status_code == 201
        for sha, data in bundle.blobs.items():
            assert server.blob_path(sha).read_bytes() == data


class _FillingWriter:
    """A part writer on a disk that fills up while ``full`` is set."""

    def __init__(self, inner: Any, store: _FullDiskStore) -> None:
        self._inner = inner
        self._store = store

    def write(self, data: bytes) -> None:
        if self._store.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._inner.write(data)

    def commit(self, durable: bool = True) -> None:
        self._inner.commit(durable)

    def abort(self) -> None:
        self._inner.abort()


class _FullDiskStore(FileBlobStore):
    full = False

    def open_part(self, sha256: str, offset: int) -> Any:
        return _FillingWriter(super().open_part(sha256, offset), self)


def test_a_full_council_disk_is_507_with_retry_after_and_loses_nothing(tmp_path: Path) -> None:
    from council.admin import keygen
    from council.server import ServerThread, create_app

    keys = keygen(tmp_path / "keys")
    storage = CouncilStorage.open(tmp_path / "store")
    blobs = _FullDiskStore(tmp_path / "store")
    config = ServerConfig(blobs=blobs, catalogue=storage.catalogue, signing_key=keys.signing_key)
    server = ServerThread(create_app(config)).start()
    try:
        from council.admin import enrol

        credential = enrol(keys, storage, "kiosk", server.url)
        data = os.urandom(20_000)
        with httpx.Client(base_url=server.url) as http:
            location = _create(http, credential, data).headers["Location"]
            assert _patch(http, credential, location, 0, data[:5000]).status_code == 204
            blobs.full = True
            answer = _patch(http, credential, location, 5000, data[5000:])
            assert answer.status_code == 507
            assert answer.headers["Retry-After"].isdigit()
            assert http.head(location, headers=tus_headers(credential)).headers[
                "Upload-Offset"] == "5000"
            blobs.full = False
            assert _patch(http, credential, location, 5000, data[5000:]).status_code == 204
        assert blobs.blob_path(hashlib.sha256(data).hexdigest()).read_bytes() == data
    finally:
        server.stop()
        storage.close()
