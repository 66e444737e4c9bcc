"""The ingest server's events list and kiosks' withdrawals over real loopback HTTP: signed,
idempotent, and only ever for a device's own bundles."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.wire.messages import (
    WithdrawalReceipt,
    read_event_list,
    sign_event_list,
    sign_withdrawal,
    verify_withdrawal_receipt,
)
from council import withdrawals
from tests.helpers.council import (
    CouncilServer,
    FakeBundle,
    council_server,
    make_bundle,
    tus_headers,
    upload_blob,
)

__all__ = ["council_server"]

FESTIVAL = {"id": "ev-0123456789abcdef", "name": "Bramhall Festival", "venue": "Bramhall Park",
            "date": "2026-07-04", "kind": "public"}


@pytest.fixture
def client(council_server: CouncilServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=council_server.url, timeout=10) as http:
        yield http


def _received(client: httpx.Client, credential: dict[str, Any]) -> FakeBundle:
    made = make_bundle(credential, payload=os.urandom(500))
    for data in made.blobs.values():
        upload_blob(client, credential, data)
    answer = client.put(f"/api/v1/bundles/{made.manifest.bundle_id}", content=made.body,
                        headers=tus_headers(credential))
    assert answer.status_code == 201
    return made


def _withdraw(client: httpx.Client, credential: dict[str, Any], bundle_id: str,
              body: bytes) -> httpx.Response:
    return client.put(f"/api/v1/withdrawals/{bundle_id}", content=body,
                      headers={**tus_headers(credential), "Content-Type": "application/json"})


def test_the_events_list_is_the_workspaces_file_or_a_signed_empty_one(
    client: httpx.Client, council_server: CouncilServer
) -> None:
    device = council_server.enrol()
    key = council_server.signing_public_key
    empty = client.get("/api/v1/events", headers=tus_headers(device))
    assert empty.status_code == 200 and empty.headers["Cache-Control"] == "no-store"
    assert read_event_list(empty.content, key).events == ()
    published = sign_event_list([FESTIVAL], "2026-06-01T10:00:00+00:00",
                                council_server.keys.signing_key)
    target = council_server.store_dir / "events" / "current.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(published, indent=2), encoding="utf-8")
    listed = client.get("/api/v1/events", headers=tus_headers(device))
    assert json.loads(listed.content) == published
    assert [e.id for e in read_event_list(listed.content, key).events] == [FESTIVAL["id"]]
    assert client.get("/api/v1/events").status_code == 401
    council_server.revoke(device["device_id"])
    assert client.get("/api/v1/events", headers=tus_headers(device)).status_code == 403


def test_a_withdrawal_is_kept_once_with_the_same_signed_receipt(
    client: httpx.Client, council_server: CouncilServer
) -> None:
    device = council_server.enrol()
    made = _received(client, device)
    bundle_id = made.manifest.bundle_id
    withdrawal = sign_withdrawal(bundle_id, device["device_id"], "2026-06-02", made.device_key)
    first = _withdraw(client, device, bundle_id, withdrawal.to_bytes())
    assert first.status_code == 201, first.text
    receipt = WithdrawalReceipt.parse(first.content)
    verify_withdrawal_receipt(receipt, withdrawal, council_server.signing_public_key)
    # Sent again (the answer was lost on the way): the same receipt, nothing kept twice.
    again = _withdraw(client, device, bundle_id, withdrawal.to_bytes())
    assert again.status_code == 200 and again.json() == first.json()
    [kept] = withdrawals.read_all(council_server.store_dir)
    assert kept.withdrawal == withdrawal and kept.receipt == first.json()
    # The ingest server deletes nothing itself: the workspace carries it out.
    assert all(council_server.has_blob(sha) for sha in made.blobs)


def test_only_the_device_that_sent_a_bundle_can_withdraw_it(
    client: httpx.Client, council_server: CouncilServer
) -> None:
    owner, other = council_server.enrol("owner"), council_server.enrol("other")
    made = _received(client, owner)
    bundle_id = made.manifest.bundle_id
    # The other kiosk, with its own token and key, names the owner's bundle.
    _received(client, other)
    theirs = sign_withdrawal(bundle_id, other["device_id"], "2026-06-02",
                             Ed25519PrivateKey.generate())
    assert _withdraw(client, other, bundle_id, theirs.to_bytes()).status_code == 404
    # The owner's token with a key that is not the owner's pinned device key.
    stolen = sign_withdrawal(bundle_id, owner["device_id"], "2026-06-02",
                             Ed25519PrivateKey.generate())
    refused = _withdraw(client, owner, bundle_id, stolen.to_bytes())
    assert refused.status_code == 400 and refused.json()["error"] == "bad_signature"
    # Another device's id in the message.
    wrong = sign_withdrawal(bundle_id, other["device_id"], "2026-06-02", made.device_key)
    assert _withdraw(client, owner, bundle_id, wrong.to_bytes()).status_code == 403
    # A bundle the council has not received (yet): 404, and the kiosk tries again later.
    unknown = sign_withdrawal("bundle-00000000", owner["device_id"], "2026-06-02",
                              made.device_key)
    missing = _withdraw(client, owner, "bundle-00000000", unknown.to_bytes())
    assert missing.status_code == 404 and missing.json()["error"] == "no_bundle"
    assert withdrawals.read_all(council_server.store_dir) == []


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/v1/withdrawals/..%2F..%2Fx", b"{}", 404),
        ("/api/v1/withdrawals/a", b"{}", 404),
        ("/api/v1/withdrawals/bundle-12345678", b"not json", 400),
        ("/api/v1/withdrawals/bundle-12345678", b"[1]", 400),
        ("/api/v1/withdrawals/bundle-12345678", b"{" + b" " * 5000 + b"}", 413),
        ("/api/v1/withdrawals/bundle-12345678", b'{"format": 1}', 400),
    ],
)
def test_hostile_withdrawals_get_a_clean_json_error(
    client: httpx.Client, council_server: CouncilServer, path: str, body: bytes, status: int
) -> None:
    device = council_server.enrol()
    answer = client.put(path, content=body, headers=tus_headers(device))
    assert answer.status_code == status, answer.text
    assert {"error", "detail"} <= set(answer.json())
    assert withdrawals.read_all(council_server.store_dir) == []


def test_a_withdrawal_names_its_bundle_in_the_path_too(
    client: httpx.Client, council_server: CouncilServer
) -> None:
    device = council_server.enrol()
    made = _received(client, device)
    withdrawal = sign_withdrawal(made.manifest.bundle_id, device["device_id"], "2026-06-02",
                                 made.device_key)
    answer = _withdraw(client, device, "bundle-99999999", withdrawal.to_bytes())
    assert answer.status_code == 400 and answer.json()["error"] == "id_mismatch"
