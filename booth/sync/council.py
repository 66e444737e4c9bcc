"""The council's side of the booth: keys, device enrolment, import, decryption and reports."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.files import fsync_dir, sha256_file
from booth.sync.bundle import (
    MANIFEST_NAME,
    SHA256_RE,
    BundleError,
    Manifest,
    Receipt,
    blob_path,
    load_private_key,
    private_key_b64,
    public_key_b64,
    read_manifest,
    verify_bundle_dir,
    verify_manifest,
    verify_receipt,
)
from booth.sync.crypto import (
    AgeError,
    decrypt_stream,
    generate_identity,
    identity_file_text,
    read_identities,
    read_recipients,
)
from booth.sync.server import ApiError, ServerConfig, hash_token, ingest_manifest, new_token
from booth.sync.storage import CouncilStorage, Device, StoredBundle

INGEST_KEY = "ingest.key"
INGEST_PUB = "ingest.pub"
ESCROW_KEY = "escrow.key"
ESCROW_PUB = "escrow.pub"
SIGNING_KEY = "server-signing.key"
SIGNING_PUB = "server-signing.pub"
KEY_FILES = (INGEST_KEY, INGEST_PUB, ESCROW_KEY, ESCROW_PUB, SIGNING_KEY, SIGNING_PUB)


class CouncilError(Exception):
    """Something the council's staff can fix, said in plain words (never a traceback)."""


def _write_file(path: Path, text: str, secret: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    fd = os.open(path, flags, 0o600 if secret else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def keygen(folder: Path) -> CouncilKeys:
    """Make the ingest and escrow age key pairs and the server signing key in ``folder``.

    Refuses to overwrite: losing the ingest key would make every received answer unreadable."""
    folder = Path(folder)
    existing = [name for name in KEY_FILES if (folder / name).exists()]
    if existing:
        raise CouncilError(
            f"{folder} already holds council keys ({', '.join(existing)}); "
            "refusing to overwrite them"
        )
    folder.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    for key_name, pub_name in ((INGEST_KEY, INGEST_PUB), (ESCROW_KEY, ESCROW_PUB)):
        identity, recipient = generate_identity()
        _write_file(folder / key_name, identity_file_text(identity, recipient, created), True)
        _write_file(folder / pub_name, recipient + "\n", False)
    signing = Ed25519PrivateKey.generate()
    _write_file(folder / SIGNING_KEY, private_key_b64(signing) + "\n", True)
    _write_file(folder / SIGNING_PUB, public_key_b64(signing) + "\n", False)
    return CouncilKeys.load(folder)


@dataclass(frozen=True)
class CouncilKeys:
    """The council's key folder: what the server and the tools read from it."""

    folder: Path
    ingest_recipient: str
    escrow_recipient: str
    signing_key: Ed25519PrivateKey

    @classmethod
    def load(cls, folder: Path) -> CouncilKeys:
        folder = Path(folder)
        if not folder.is_dir():
            raise CouncilError(f"no key folder at {folder} (run `booth-council keygen {folder}`)")
        try:
            ingest = read_recipients(folder / INGEST_PUB)[0]
            escrow = read_recipients(folder / ESCROW_PUB)[0]
            signing = load_private_key((folder / SIGNING_KEY).read_text(encoding="ascii"))
        except FileNotFoundError as exc:
            raise CouncilError(
                f"the key folder {folder} is missing {Path(str(exc.filename)).name}"
            ) from None
        except (AgeError, BundleError, UnicodeDecodeError, ValueError) as exc:
            raise CouncilError(f"a key in {folder} is damaged: {exc}") from None
        return cls(folder=folder, ingest_recipient=ingest, escrow_recipient=escrow,
                   signing_key=signing)

    @property
    def recipients(self) -> list[str]:
        return [self.ingest_recipient, self.escrow_recipient]

    @property
    def signing_public_b64(self) -> str:
        return public_key_b64(self.signing_key)

    def ingest_identities(self) -> list[str]:
        """The private ingest identity (only the data team's machine needs it)."""
        path = self.folder / INGEST_KEY
        try:
            return read_identities(path)
        except FileNotFoundError:
            raise CouncilError(
                f"{path} is missing: decrypting needs the council's ingest key"
            ) from None
        except (AgeError, UnicodeDecodeError) as exc:
            raise CouncilError(f"{path} is not an age identity: {exc}") from None


def open_storage(store: Path, *, create: bool = True) -> CouncilStorage:
    store = Path(store)
    if not create and not (store / "catalogue.sqlite3").is_file():
        raise CouncilError(f"no council store at {store}")
    return CouncilStorage.open(store)


def server_config(keys: CouncilKeys, storage: CouncilStorage, **limits: Any) -> ServerConfig:
    return ServerConfig(
        blobs=storage.blobs,
        catalogue=storage.catalogue,
        signing_key=keys.signing_key,
        bench_dir=storage.root / "bench",
        **limits,
    )


def new_device_id() -> str:
    return "dev-" + secrets.token_hex(8)


def enrol(
    keys: CouncilKeys, storage: CouncilStorage, name: str, server_url: str
) -> dict[str, Any]:
    """Register a device and return its credential (the token is only ever shown here)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise CouncilError("a device name of 1 to 100 characters is needed")
    if not server_url.startswith(("http://", "https://")):
        raise CouncilError("the server URL must start with http:// or https://")
    token = new_token()
    device = Device(
        device_id=new_device_id(),
        name=name,
        token_hash=hash_token(token),
        device_key=None,
        enrolled_at=datetime.now(UTC).isoformat(timespec="seconds"),
        revoked_at=None,
    )
    storage.catalogue.add_device(device)
    return {
        "format": 1,
        "device_id": device.device_id,
        "token": token,
        "server_url": server_url.rstrip("/"),
        "recipients": keys.recipients,
        "server_signing_key": keys.signing_public_b64,
    }


def write_credential(credential: dict[str, Any], out: Path) -> None:
    if out.exists():
        raise CouncilError(f"{out} already exists; choose another file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_file(out, json.dumps(credential, indent=2) + "\n", True)


def revoke(storage: CouncilStorage, device_id: str) -> None:
    if storage.catalogue.get_device(device_id) is None:
        raise CouncilError(f"no device {device_id} is enrolled here")
    at = datetime.fromtimestamp(time.time(), UTC).isoformat(timespec="seconds")
    if not storage.catalogue.revoke_device(device_id, at):
        raise CouncilError(f"device {device_id} was already withdrawn")


# --- sneakernet import ---------------------------------------------------------------

SUMS_FILE = "SHA256SUMS"
RECEIPTS_DIR = "receipts"


@dataclass
class ImportReport:
    """What ``booth-council import`` did with each bundle it found."""

    received: list[str] = field(default_factory=list)
    already_had: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


def read_sums(folder: Path) -> dict[str, str]:
    """``SHA256SUMS`` as {relative path: sha256}, in the ``sha256sum`` text format."""
    path = folder / SUMS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CouncilError(f"{folder} has no {SUMS_FILE} list; is it a booth export?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CouncilError(f"cannot read {path}: {exc}") from None
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = name.lstrip(" *")
        relative = Path(name)
        if (
            not SHA256_RE.fullmatch(digest)
            or not name
            or relative.is_absolute()
            or ".." in relative.parts
        ):
            raise CouncilError(f"{SUMS_FILE} line {number} is not `<sha256>  <file>`")
        sums[relative.as_posix()] = digest
    return sums


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
    sums = read_sums(folder)
    report = ImportReport()
    config = server_config(keys, storage)
    bad_files: set[str] = set()
    for relative, digest in sums.items():
        path = folder / relative
        if not path.is_file() or sha256_file(path) != digest:
            bad_files.add(relative)
    receipts = folder / RECEIPTS_DIR
    for bundle_dir in _bundle_dirs(folder):
        if bundle_dir.is_relative_to(receipts):
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
            return f"{relative} is not in {SUMS_FILE}"
        if relative in bad_files:
            return f"{relative} does not match {SUMS_FILE} (damaged or missing)"
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
    receipts = root / RECEIPTS_DIR
    receipts.mkdir(exist_ok=True)
    target = receipts / f"{manifest.bundle_id}.json"
    part = target.with_name(target.name + ".part")
    part.write_text(json.dumps(outcome.receipt, indent=2) + "\n", encoding="utf-8")
    with part.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(part, target)
    fsync_dir(receipts)
    (report.received if outcome.created else report.already_had).append(manifest.bundle_id)
    return None


# --- decrypt -------------------------------------------------------------------------

ANSWERS_FILE = "answers.json"


def _decrypt_blob(storage: CouncilStorage, sha256: str, identities: list[str], target: Path,
                  bundle_id: str) -> None:
    part = target.with_name(target.name + ".part")
    try:
        with storage.blobs.open_blob(sha256) as source, part.open("wb") as sink:
            decrypt_stream(source, sink, identities)
    except FileNotFoundError:
        part.unlink(missing_ok=True)
        raise CouncilError(f"bundle {bundle_id}: blob {sha256[:12]} is missing from the store"
                           ) from None
    except AgeError as exc:
        part.unlink(missing_ok=True)
        raise CouncilError(
            f"bundle {bundle_id}: cannot decrypt blob {sha256[:12]} ({exc}); "
            "is this the council's ingest key?"
        ) from None
    os.replace(part, target)


def read_payload(storage: CouncilStorage, bundle: StoredBundle,
                 identities: list[str]) -> dict[str, Any]:
    manifest = Manifest.parse(bundle.manifest_json)
    try:
        with storage.blobs.open_blob(manifest.payload.sha256) as source:
            out = io.BytesIO()
            decrypt_stream(source, out, identities)
    except FileNotFoundError:
        raise CouncilError(f"bundle {bundle.bundle_id}: its payload is missing from the store"
                           ) from None
    except AgeError as exc:
        raise CouncilError(
            f"bundle {bundle.bundle_id}: cannot decrypt its answers ({exc}); "
            "is this the council's ingest key?"
        ) from None
    try:
        payload = json.loads(out.getvalue())
    except ValueError:
        raise CouncilError(f"bundle {bundle.bundle_id}: its answers are not JSON") from None
    if not isinstance(payload, dict) or payload.get("bundle_id") != bundle.bundle_id:
        raise CouncilError(
            f"bundle {bundle.bundle_id}: its answers name another bundle (tampered?)"
        )
    return payload


def decrypt_all(keys: CouncilKeys, storage: CouncilStorage, out: Path) -> list[Path]:
    """Every received bundle to ``<out>/<bundle_id>/`` as answers.json + video-<n>.mp4.

    answers.json is written last, so a folder that has it is complete and is skipped
    when the command runs again; returns the folders written this time."""
    identities = keys.ingest_identities()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for bundle in storage.catalogue.list_bundles():
        folder = out / bundle.bundle_id
        if (folder / ANSWERS_FILE).is_file():
            continue
        folder.mkdir(exist_ok=True)
        manifest = Manifest.parse(bundle.manifest_json)
        payload = read_payload(storage, bundle, identities)
        by_sha = {take.get("blob_sha256"): take for take in payload.get("takes", [])
                  if isinstance(take, dict)}
        videos: list[dict[str, Any]] = []
        for number, blob in enumerate(
            (b for b in manifest.blobs if b.kind == "video"), start=1
        ):
            name = f"video-{number}.mp4"
            _decrypt_blob(storage, blob.sha256, identities, folder / name, bundle.bundle_id)
            take = by_sha.get(blob.sha256, {})
            videos.append({"file": name, "take_id": take.get("take_id"),
                           "prompt_id": take.get("prompt_id"), "sha256": blob.sha256})
        answers = {
            "bundle_id": bundle.bundle_id,
            "device_id": bundle.device_id,
            "device_seq": bundle.device_seq,
            "received_at": bundle.received_at,
            "videos": videos,
            "answers": payload,
        }
        target = folder / ANSWERS_FILE
        part = target.with_name(ANSWERS_FILE + ".part")
        part.write_text(json.dumps(answers, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        os.replace(part, target)
        written.append(folder)
    return written


# --- report --------------------------------------------------------------------------

NOT_GIVEN = "not given"
CSV_COLUMNS = ("bundle", "look", "area", "age_band", "list", "item")


@dataclass(frozen=True)
class PriorityRow:
    bundle: str
    look: str
    area: str
    age_band: str
    list: str
    item: str


def _age_band(about_you: dict[str, Any]) -> str:
    for key in ("age_band", "older_age", "child_age"):
        value = about_you.get(key)
        if isinstance(value, str) and value:
            return value
    for key, value in sorted(about_you.items()):
        if "age" in key and isinstance(value, str) and value:
            return value
    return NOT_GIVEN


def priority_rows(keys: CouncilKeys, storage: CouncilStorage) -> list[PriorityRow]:
    identities = keys.ingest_identities()
    rows: list[PriorityRow] = []
    for bundle in storage.catalogue.list_bundles():
        payload = read_payload(storage, bundle, identities)
        session = payload.get("session") or {}
        about = payload.get("about_you") or {}
        look = str(session.get("look") or NOT_GIVEN)
        area = about.get("area")
        area_text = area if isinstance(area, str) and area else NOT_GIVEN
        priorities = payload.get("priorities") or {}
        for list_id, items in sorted(priorities.items()):
            for item in items or []:
                rows.append(PriorityRow(bundle.bundle_id, look, area_text, _age_band(about),
                                        str(list_id), str(item)))
    return rows


def _labels(pack_path: Path | None) -> dict[str, str]:
    """Item and answer ids to the words people saw, from the campaign pack when it loads."""
    from booth.pack import PackError, load_pack
    from booth.settings import default_pack_path

    try:
        pack = load_pack(pack_path or default_pack_path())
    except PackError:
        return {}
    labels: dict[str, str] = {}
    for priority_list in pack.priority_lists:
        for item in priority_list.items:
            labels[item.id] = item.label
    for question in pack.about_you:
        for option in question.options:
            labels.setdefault(option.id, option.label)
    return labels


def _slug(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return "-".join(part for part in cleaned.split("-") if part) or "none"


def _bar_chart(title: str, counts: Counter[str], labels: dict[str, str], target: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    ordered = counts.most_common()
    names = [labels.get(key, key) for key, _ in ordered][::-1]
    values = [value for _, value in ordered][::-1]
    figure = Figure(figsize=(8, max(2.5, 0.4 * len(names) + 1.2)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.barh(names, values, color="#1f6f8b")
    axes.set_title(title)
    axes.set_xlabel("people who chose it")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    figure.savefig(target, format="png")


def write_report(keys: CouncilKeys, storage: CouncilStorage, out: Path,
                 pack_path: Path | None = None) -> list[Path]:
    """priorities.csv plus a bar chart PNG per look (audience) and per area."""
    rows = priority_rows(keys, storage)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "priorities.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow([row.bundle, row.look, row.area, row.age_band, row.list, row.item])
    written = [csv_path]
    labels = _labels(pack_path)
    groups: dict[tuple[str, str], Counter[str]] = {}
    for row in rows:
        groups.setdefault(("look", row.look), Counter())[row.item] += 1
        groups.setdefault(("area", row.area), Counter())[row.item] += 1
    for (kind, value), counts in sorted(groups.items()):
        shown = labels.get(value, value)
        title = f"Priorities chosen, {kind}: {shown}"
        target = out / f"chart-{kind}-{_slug(value)}.png"
        _bar_chart(title, counts, labels, target)
        written.append(target)
    return written


# --- audit ---------------------------------------------------------------------------


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
        for blob in manifest.blobs:
            referenced.add(blob.sha256)
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
