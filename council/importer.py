"""``booth-council import``: bundles brought on a USB stick, checked as the network checks them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from booth.files import sha256_file
from booth.wire import usb
from booth.wire.bundle import (
    MANIFEST_NAME,
    BundleError,
    blob_path,
    read_manifest,
    verify_bundle_dir,
)
from council.admin import CouncilError, CouncilKeys, server_config
from council.api import ApiError, ServerConfig
from council.ingest import ingest_manifest
from council.storage import CouncilStorage


@dataclass
class ImportReport:
    """What ``booth-council import`` did with each bundle it found."""

    received: list[str] = field(default_factory=list)
    already_had: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


def _bundle_dirs(folder: Path) -> list[Path]:
    found = {path.parent for path in folder.rglob(MANIFEST_NAME) if path.is_file()}
    return sorted(found)


def import_folder(folder: Path, keys: CouncilKeys, storage: CouncilStorage,
                  *, now: float | None = None) -> ImportReport:
    """Ingest bundles from a ``booth export`` folder with the network path's checks.

    Every file listed in SHA256SUMS must hash right; every bundle must verify (signature,
    pinned device key, every blob); receipts go to ``<folder>/receipts/<id>.json``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CouncilError(f"no folder at {folder}")
    try:
        sums = usb.read_sums(folder)
    except usb.UsbFormatError as exc:
        raise CouncilError(str(exc)) from None
    report = ImportReport()
    config = server_config(keys, storage)
    bad_files: set[str] = set()
    for relative, digest in sums.items():
        path = folder / relative
        if not path.is_file() or sha256_file(path) != digest:
            bad_files.add(relative)
    for bundle_dir in _bundle_dirs(folder):
        if usb.is_receipts_folder(folder, bundle_dir):
            continue
        name = bundle_dir.name
        problem = _import_one(bundle_dir, folder, sums, bad_files, config, storage, report, now)
        if problem is not None:
            report.rejected.append((name, problem))
    return report


def _import_one(
    bundle_dir: Path,
    root: Path,
    sums: dict[str, str],
    bad_files: set[str],
    config: ServerConfig,
    storage: CouncilStorage,
    report: ImportReport,
    now: float | None,
) -> str | None:
    """Import one bundle folder; the reason it was refused, or None."""
    def listed_and_intact(file: Path) -> str | None:
        relative = file.relative_to(root).as_posix()
        if relative not in sums:
            return f"{relative} is not in {usb.SUMS_FILE}"
        if relative in bad_files:
            return f"{relative} does not match {usb.SUMS_FILE} (damaged or missing)"
        return None

    problem = listed_and_intact(bundle_dir / MANIFEST_NAME)
    if problem is not None:
        return problem
    try:
        manifest = read_manifest(bundle_dir)
    except BundleError as exc:
        return str(exc)
    except RecursionError:
        return "manifest.json is not a manifest (nested too deeply)"
    # Only the files the signed manifest names count; stray files (a half-copied .part
    # from an interrupted export) are ignored rather than trusted.
    for blob in manifest.blobs:
        problem = listed_and_intact(blob_path(bundle_dir, blob.sha256))
        if problem is not None:
            return problem
    device = storage.catalogue.get_device(manifest.device_id)
    if device is None:
        return f"device {manifest.device_id} is not enrolled here"
    if device.revoked_at is not None:
        return f"device {manifest.device_id} has been withdrawn"
    problems = verify_bundle_dir(bundle_dir, expected_device_key=device.device_key)
    if problems:
        return "; ".join(problems)
    for blob in manifest.blobs:
        if not storage.blobs.has_blob(blob.sha256):
            storage.blobs.put_blob(blob.sha256, blob_path(bundle_dir, blob.sha256))
    try:
        outcome = ingest_manifest(
            config, device, manifest.bundle_id, manifest.to_dict(),
            time.time() if now is None else now,
        )
    except ApiError as exc:
        return exc.detail
    usb.write_receipt(root, manifest.bundle_id, outcome.receipt)
    (report.received if outcome.created else report.already_had).append(manifest.bundle_id)
    return None
