"""The council server over real loopback HTTP: tus verbs, commits, auth, limits, hostile input."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from booth.sync.bundle import Receipt, load_public_key, verify_receipt
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
    assert answer.headers["Tus-Checksum-Algorithm"] == "sha1"


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
    from booth.sync.bundle import canonical_json

    key: Ed25519PublicKey = load_public_key(council_server.signing_public_key)
    key.verify(base64.b64decode(receipt["signature"]), canonical_json(body))
    assert receipt["manifest_sha256"] == bundle.manifest.sha256


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


def test_bench_route_is_off_by_default(client: httpx.Client, device: dict[str, Any]) -> None:
    answer = client.put("/bench/raw", content=b"x" * 10,
                        headers={"Authorization": f"Bearer {device['token']}"})
    assert answer.status_code == 404


def test_bench_route_when_enabled_stores_nothing(tmp_path: Path) -> None:
    with running_council(tmp_path, bench_raw=True) as server:
        credential = server.enrol()
        data = os.urandom(50_000)
        answer = httpx.put(f"{server.url}/bench/raw", content=data,
                           headers={"Authorization": f"Bearer {credential['token']}"})
        assert answer.status_code == 200
        assert answer.json() == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        assert list((server.store_dir / "bench").iterdir()) == []
