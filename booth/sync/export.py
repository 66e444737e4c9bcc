"""Export to a USB stick and accept the receipts the council writes back onto it."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from booth.files import fsync_dir, sha256_file
from booth.settings import Settings
from booth.store import Store
from booth.sync.keys import (
    Credential,
    DeviceKeys,
)
from booth.wire import usb
from booth.wire.bundle import (
    BLOBS_DIR,
    MANIFEST_NAME,
    BundleError,
    Manifest,
    Receipt,
    verify_bundle_dir,
    verify_receipt,
)


def _copy_verified(source: Path, target: Path, expected: str) -> None:
    """Copy durably and read the copy back: a USB stick can fail silently."""
    part = target.with_name(target.name + ".part")
    shutil.copyfile(source, part)
    with open(part, "rb+") as handle:
        os.fsync(handle.fileno())
    if sha256_file(part) != expected:
        part.unlink(missing_ok=True)
        raise OSError(f"the copy of {source.name} on the export folder reads back wrong")
    os.replace(part, target)


@dataclass
class ExportReport:
    exported: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)


def _export_one(source: Path, target: Path, bundle_id: str) -> dict[str, str]:
    manifest = Manifest.parse((source / MANIFEST_NAME).read_bytes())
    (target / BLOBS_DIR).mkdir(parents=True, exist_ok=True)
    sums: dict[str, str] = {}
    for blob in manifest.blobs:
        name = f"{blob.sha256}.age"
        _copy_verified(source / BLOBS_DIR / name, target / BLOBS_DIR / name, blob.sha256)
        sums[f"{bundle_id}/{BLOBS_DIR}/{name}"] = blob.sha256
    manifest_sha = sha256_file(source / MANIFEST_NAME)
    _copy_verified(source / MANIFEST_NAME, target / MANIFEST_NAME, manifest_sha)
    sums[f"{bundle_id}/{MANIFEST_NAME}"] = manifest_sha
    fsync_dir(target / BLOBS_DIR)
    fsync_dir(target)
    return sums


def export_bundles(store: Store, settings: Settings, folder: Path) -> ExportReport:
    """Copy every sealed bundle into ``folder`` with a SHA256SUMS list. The kiosk keeps its
    copies until the council's receipts come back (``accept_receipts``)."""
    report = ExportReport()
    device = DeviceKeys.load_or_create(settings.paths)
    folder.mkdir(parents=True, exist_ok=True)
    sums = usb.read_sums(folder, missing_ok=True)
    for found in store.bundles_in_state("sealed", "uploading"):
        source = settings.paths.bundles / found.id
        problems = verify_bundle_dir(source, device.public_b64)
        if problems:
            store.set_bundle_state(found.id, "quarantined", "; ".join(problems))
            report.quarantined.append(found.id)
            continue
        target = folder / found.id
        try:
            sums.update(_export_one(source, target, found.id))
        except FileNotFoundError:
            # The background sync delivered and deleted it meanwhile: nothing to export.
            now = store.get_bundle(found.id)
            if now is not None and now.state in ("committed", "purged"):
                shutil.rmtree(target, ignore_errors=True)
                continue
            raise
        report.exported.append(found.id)
    usb.write_sums(folder, sums)
    return report


@dataclass
class ReceiptReport:
    accepted: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def accept_receipts_in(store: Store, settings: Settings, credential: Credential,
                       folder: Path) -> ReceiptReport:
    """Accept receipts ``booth-council import`` wrote to ``<folder>/receipts/``: verify each
    with the council's key, then mark committed, delete the bundle and keep a tombstone."""
    report = ReceiptReport()
    for bundle_id, path in usb.receipts_in(folder):
        found = store.get_bundle(bundle_id)
        if found is None:
            report.refused.append((bundle_id, "this booth has no such bundle"))
            continue
        if found.state in ("committed", "purged"):
            report.already.append(bundle_id)
            continue
        try:
            receipt = Receipt.parse(path.read_bytes())
            manifest = Manifest.parse(found.manifest_json)
            verify_receipt(receipt, manifest, credential.server_signing_key)
        except (BundleError, OSError) as exc:
            report.refused.append((bundle_id, str(exc)))
            continue
        if found.state == "quarantined":
            report.refused.append((bundle_id, "the bundle is set aside; an officer must check"))
            continue
        store.add_receipt(bundle_id, receipt.to_bytes().decode(), "usb")
        store.purge_bundle(bundle_id, [blob.sha256 for blob in manifest.blobs])
        shutil.rmtree(settings.paths.bundles / bundle_id, ignore_errors=True)
        report.accepted.append(bundle_id)
    fsync_dir(settings.paths.bundles)
    return report
