"""Bundle format: canonical JSON, signed manifests and receipts, bundle folder verification."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.wire import bundle
from booth.wire.bundle import BlobRef, BundleError, Manifest


def _write_bundle(root: Path, key: Ed25519PrivateKey, bundle_id: str = "bundle-0001") -> Path:
    folder = root / bundle_id
    (folder / bundle.BLOBS_DIR).mkdir(parents=True)
    refs = []
    for kind, size in (("payload", 300), ("video", 5000), ("video", 70_000)):
        data = os.urandom(size)
        sha = hashlib.sha256(data).hexdigest()
        (folder / bundle.BLOBS_DIR / f"{sha}.age").write_bytes(data)
        refs.append(BlobRef(sha256=sha, size=size, kind=kind))  # type: ignore[arg-type]
    manifest = bundle.sign_manifest(
        bundle_id=bundle_id, device_id="device-abc1", device_seq=7, app_version="0.1.0",
        sealed_at="2026-11-25T20Z", blobs=refs, device_key=key,
    )
    (folder / bundle.MANIFEST_NAME).write_bytes(manifest.to_bytes())
    return folder


def test_canonical_json_is_sorted_compact_and_utf8() -> None:
    assert bundle.canonical_json({"b": 1, "a": ["é", 2]}) == '{"a":["é",2],"b":1}'.encode()


def test_signed_manifest_round_trips_and_verifies(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    folder = _write_bundle(tmp_path, key)
    manifest = bundle.read_manifest(folder)
    bundle.verify_manifest(manifest, bundle.public_key_b64(key))
    assert bundle.verify_bundle_dir(folder, bundle.public_key_b64(key)) == []
    assert manifest.payload.size == 300
    assert manifest.total_size == 75_300
    assert Manifest.parse(manifest.to_bytes()).sha256 == manifest.sha256


def test_manifest_holds_no_personal_fields(tmp_path: Path) -> None:
    folder = _write_bundle(tmp_path, Ed25519PrivateKey.generate())
    fields = set(json.loads((folder / bundle.MANIFEST_NAME).read_bytes()))
    assert fields == {"format_version", "bundle_id", "device_id", "device_seq", "app_version",
                      "sealed_at", "blobs", "device_key", "signature"}


def test_missing_blob_is_reported(tmp_path: Path) -> None:
    folder = _write_bundle(tmp_path, Ed25519PrivateKey.generate())
    victim = bundle.read_manifest(folder).blobs[1]
    bundle.blob_path(folder, victim.sha256).unlink()
    assert bundle.verify_bundle_dir(folder) == [f"video blob {victim.sha256[:12]} is missing"]


def test_truncated_blob_is_reported(tmp_path: Path) -> None:
    folder = _write_bundle(tmp_path, Ed25519PrivateKey.generate())
    victim = bundle.read_manifest(folder).blobs[2]
    path = bundle.blob_path(folder, victim.sha256)
    path.write_bytes(path.read_bytes()[:1000])
    [problem] = bundle.verify_bundle_dir(folder)
    assert "truncated" in problem and "1000 of 70000" in problem


def test_bit_flip_in_a_blob_is_reported(tmp_path: Path) -> None:
    folder = _write_bundle(tmp_path, Ed25519PrivateKey.generate())
    victim = bundle.read_manifest(folder).payload
    path = bundle.blob_path(folder, victim.sha256)
    data = bytearray(path.read_bytes())
    data[123] ^= 0x04
    path.write_bytes(bytes(data))
    [problem] = bundle.verify_bundle_dir(folder)
    assert "payload blob" in problem and "altered" in problem


def test_edited_manifest_fails_its_signature(tmp_path: Path) -> None:
    folder = _write_bundle(tmp_path, Ed25519PrivateKey.generate())
    raw = json.loads((folder / bundle.MANIFEST_NAME).read_bytes())
    raw["device_seq"] = 8
    (folder / bundle.MANIFEST_NAME).write_bytes(bundle.canonical_json(raw))
    problems = bundle.verify_bundle_dir(folder)
    assert problems == ["manifest signature does not match its contents (altered?)"]


def test_re_signed_manifest_is_caught_by_the_pinned_key(tmp_path: Path) -> None:
    device = Ed25519PrivateKey.generate()
    folder = _write_bundle(tmp_path, device)
    original = bundle.read_manifest(folder)
    forger = Ed25519PrivateKey.generate()
    forged = bundle.sign_manifest(
        bundle_id=original.bundle_id, device_id=original.device_id, device_seq=1,
        app_version=original.app_version, sealed_at=original.sealed_at, blobs=original.blobs,
        device_key=forger,
    )
    (folder / bundle.MANIFEST_NAME).write_bytes(forged.to_bytes())
    # The forgery is self-consistent; only the device key pinned for this kiosk exposes it.
    assert bundle.verify_bundle_dir(folder) == []
    problems = bundle.verify_bundle_dir(folder, bundle.public_key_b64(device))
    assert problems == ["manifest was signed by a different device key (re-signed?)"]


def test_missing_manifest_and_wrong_folder_are_reported(tmp_path: Path) -> None:
    folder = _write_bundle(tmp_path, Ed25519PrivateKey.generate())
    moved = folder.rename(tmp_path / "other-bundle")
    assert bundle.verify_bundle_dir(moved) == ["folder other-bundle holds bundle bundle-0001"]
    (moved / bundle.MANIFEST_NAME).unlink()
    assert bundle.verify_bundle_dir(moved) == ["bundle other-bundle: manifest.json is missing"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"bundle_id": "../../etc"}, "bundle_id"),
        ({"device_seq": "7"}, "device_seq"),
        ({"format_version": 2}, "format_version"),
        ({"extra": 1}, "extra"),
        ({"blobs": []}, "blobs"),
        ({"sealed_at": "2026-11-25T20:14:03.123Z"}, "sealed_at"),
    ],
)
def test_hostile_manifests_are_refused_with_the_field_named(
    tmp_path: Path, change: dict[str, object], reason: str
) -> None:
    folder = _write_bundle(tmp_path, Ed25519PrivateKey.generate())
    raw = json.loads((folder / bundle.MANIFEST_NAME).read_bytes())
    raw.update(change)
    with pytest.raises(BundleError, match=reason):
        Manifest.parse(bundle.canonical_json(raw))


def test_two_payloads_or_duplicate_blobs_are_refused(tmp_path: Path) -> None:
    folder = _write_bundle(tmp_path, Ed25519PrivateKey.generate())
    raw = json.loads((folder / bundle.MANIFEST_NAME).read_bytes())
    raw["blobs"][1]["kind"] = "payload"
    with pytest.raises(BundleError, match="exactly one payload"):
        Manifest.parse(raw)
    raw["blobs"][1] = raw["blobs"][2]
    with pytest.raises(BundleError, match="twice"):
        Manifest.parse(raw)


def test_receipt_verifies_only_for_its_manifest_and_server(tmp_path: Path) -> None:
    device = Ed25519PrivateKey.generate()
    server = Ed25519PrivateKey.generate()
    manifest = bundle.read_manifest(_write_bundle(tmp_path, device))
    other = bundle.read_manifest(_write_bundle(tmp_path, device, "bundle-0002"))
    receipt = bundle.sign_receipt(manifest, server, "2026-11-25T20:00:00Z")
    parsed = bundle.Receipt.parse(receipt.to_bytes())
    bundle.verify_receipt(parsed, manifest, bundle.public_key_b64(server))
    with pytest.raises(BundleError, match="different bundle"):
        bundle.verify_receipt(parsed, other, bundle.public_key_b64(server))
    with pytest.raises(BundleError, match="not the council server's"):
        bundle.verify_receipt(parsed, manifest, bundle.public_key_b64(device))
    forged = bundle.Receipt.parse({**parsed.to_dict(), "received_at": "2030-01-01"})
    with pytest.raises(BundleError, match="not the council server's"):
        bundle.verify_receipt(forged, manifest, bundle.public_key_b64(server))


def test_a_receipt_signed_to_the_day_or_to_the_second_verifies(tmp_path: Path) -> None:
    # Receipts are signed to the day now; those issued to the second before still verify
    # (the kiosk keeps them as issued: cutting a signed time would break its signature).
    device = Ed25519PrivateKey.generate()
    server = Ed25519PrivateKey.generate()
    manifest = bundle.read_manifest(_write_bundle(tmp_path, device))
    for when in ("2026-11-25", "2026-11-25T20:00:00+00:00"):
        issued = bundle.sign_receipt(manifest, server, when)
        kept = bundle.Receipt.parse(issued.to_bytes())
        bundle.verify_receipt(kept, manifest, bundle.public_key_b64(server))
        cut = bundle.Receipt.parse({**kept.to_dict(), "received_at": when[:10] + "T00"})
        with pytest.raises(BundleError, match="not the council server's"):
            bundle.verify_receipt(cut, manifest, bundle.public_key_b64(server))
