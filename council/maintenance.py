"""``booth-council verify`` and ``gc``: re-check a store, and clear what no bundle needs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from booth.wire.bundle import (
    BundleError,
    Manifest,
    Receipt,
    verify_manifest,
    verify_receipt,
)
from booth.wire.protocol import SHA256_RE
from council import removed
from council.admin import CouncilError, CouncilKeys
from council.storage import CouncilStorage


@dataclass
class AuditReport:
    """What ``booth-council verify`` found in a store."""

    bundles: int = 0
    blobs_checked: int = 0
    problems: list[str] = field(default_factory=list)
    unreferenced_blobs: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_store(keys: CouncilKeys, storage: CouncilStorage) -> AuditReport:
    """Re-check every received bundle: receipt signature, manifest signature, and every
    blob present with the right size and hash. Reads everything; changes nothing."""
    report = AuditReport()
    if not storage.catalogue.integrity_ok():
        report.problems.append("the catalogue database failed SQLite's integrity check")
    referenced: set[str] = set()
    # Blobs the workspace removed on purpose (withdrawal, retention) are not problems.
    gone = removed.read_all(storage.root)
    for stored in storage.catalogue.list_bundles():
        report.bundles += 1
        try:
            manifest = Manifest.parse(stored.manifest_json)
            verify_manifest(manifest)
            verify_receipt(Receipt.parse(stored.receipt_json), manifest,
                           keys.signing_public_b64)
        except BundleError as exc:
            report.problems.append(f"bundle {stored.bundle_id}: {exc}")
            continue
        removal = gone.get(stored.bundle_id)
        for blob in manifest.blobs:
            referenced.add(blob.sha256)
            if removal is not None and blob.sha256 in removal.blobs:
                continue
            report.blobs_checked += 1
            size = storage.blobs.blob_size(blob.sha256)
            if size is None:
                report.problems.append(f"bundle {stored.bundle_id}: blob {blob.sha256[:12]} "
                                       "is missing")
            elif size != blob.size:
                report.problems.append(f"bundle {stored.bundle_id}: blob {blob.sha256[:12]} "
                                       f"has {size} of {blob.size} bytes")
            elif storage.blobs.hash_blob(blob.sha256) != blob.sha256:
                report.problems.append(f"bundle {stored.bundle_id}: blob {blob.sha256[:12]} "
                                       "was altered on disk")
    stored_blobs = {path.name.removesuffix(".age")
                    for path in storage.blobs.blobs_dir.glob("*/*.age")}
    report.unreferenced_blobs = len(stored_blobs - referenced)
    return report


def collect_garbage(storage: CouncilStorage, older_than_days: float,
                    now: float | None = None) -> tuple[int, int]:
    """Delete blobs no received bundle names that are older than ``older_than_days``
    (left by refused or abandoned bundles), and unfinished uploads past their expiry.
    Returns (blobs removed, unfinished uploads removed)."""
    if older_than_days < 1:
        raise CouncilError("keep unclaimed blobs at least a day: a kiosk may still commit them")
    moment = time.time() if now is None else now
    cutoff = moment - older_than_days * 86400
    removed = 0
    for path in sorted(storage.blobs.blobs_dir.glob("*/*.age")):
        sha = path.name.removesuffix(".age")
        if not SHA256_RE.fullmatch(sha) or storage.catalogue.blob_referenced(sha):
            continue
        if path.stat().st_mtime > cutoff:
            continue
        storage.blobs.delete_blob(sha)
        storage.catalogue.delete_upload(sha)
        removed += 1
    expired = storage.catalogue.expired_uploads(moment)
    for upload in expired:
        storage.blobs.discard_part(upload.sha256)
        storage.catalogue.delete_upload(upload.sha256)
    return removed, len(expired)
