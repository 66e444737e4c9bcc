"""Sealing a finished session into a bundle, crash-safely, and reconciling bundles at start-up.

A bundle folder is built under ``bundles/.staging-<id>/`` and renamed to
``bundles/<id>/`` only when complete; the store row (``sealed``) committed after that
rename is what makes it count. Video blobs are hard links to the take files (moved,
never re-encrypted), so until the row commits the takes are untouched; the take files
are unlinked only after the commit. A process killed at any step therefore leaves
either no bundle (and the session is sealed again) or a complete one.

Payload blob (age-encrypted canonical JSON, ``PAYLOAD_FORMAT`` 1)::

    {"payload_format": 1, "bundle_id", "device_id", "device_seq", "app_version",
     "session": {"id", "look", "state", "reference_code", "started_at", "finished_at",
                 "prompt_id"},
     "event": {"id", "name", "kind", "council_event_id"?} | null,
     "consent": {"look", "wording_digest", "pack_id", "pack_digest", "adult_confirmed",
                 "given_at", "language"} | null,
     "pack": {"id", "digest"} | null,
     "prompt_ids": [...],
     "takes": [{"take_id", "prompt_id", "blob_sha256", "size", "duration_s", "kept_at",
                "kind"}],
     "priorities": {list_id: [item_id, ...]}, "about_you": {question_id: option_id},
     "device_audit": [{"id", "at", "action", "detail"}]}

``council_event_id`` is there when the officer picked the event from the council's list:
the workspace groups answers by it, so several kiosks at one event are one event.

A take's ``kind`` is "video", "video_blurred" (faces blurred before encoding) or "voice"
(an MP4 with AAC and no video track). It was added within format 1: a reader treats a take
without it as "video", and readers ignore fields they do not know.

The consent's ``language`` is the one the person read it in (``wording_digest`` is of the
wording in that language; ``pack_digest`` of the pack file followed by that language's
translation file). It was added within format 1 too: without it, the consent was in English.

``device_audit`` carries the kiosk's officer actions (unlocks, wrong PINs, lock-outs,
syncs, exports, quitting...) logged since the last bundle was sealed, so the council can
see what happened on each device; ``id`` counts up on the kiosk, so a repeat after a
crash is recognised. Readers that predate it ignore it (the format is unchanged).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from booth import __version__
from booth.files import Opener, durable_replace, file_sha256, fsync_dir
from booth.settings import Paths
from booth.store import Event, Store, Take
from booth.sync.keys import Credential, DeviceKeys
from booth.wire.age import encrypt_bytes
from booth.wire.bundle import (
    BLOB_SUFFIX,
    BLOBS_DIR,
    MANIFEST_NAME,
    BlobRef,
    Manifest,
    canonical_json,
    sign_manifest,
)

log = logging.getLogger(__name__)

PAYLOAD_FORMAT = 1
STAGING_PREFIX = ".staging-"
# The last audit entry already sealed into a bundle (device meta), and how many entries
# one bundle carries at most (a kiosk offline for weeks sends the rest with the next).
AUDIT_SEALED_KEY = "audit_sealed_through"
AUDIT_PER_BUNDLE = 500
_SEAL_LOCK = threading.Lock()
ALL_BUNDLE_STATES = ("sealed", "uploading", "committed", "purged", "quarantined")

# Test hook: called with the name of each step so a fault test can kill the process there.
StepHook = Callable[[str], None]


class SealError(Exception):
    """A session could not be sealed; the reason is in plain words. Nothing was lost."""


def _no_hook(_step: str) -> None:
    return None


def _sealed_at(now: datetime) -> str:
    # Hour precision is enough to order bundles and says little about any one person.
    return now.astimezone(UTC).strftime("%Y-%m-%dT%HZ")


def _open_new(path: Path) -> BinaryIO:
    return open(path, "wb")


def _write_durable(path: Path, data: bytes, opener: Opener = _open_new) -> None:
    part = path.with_name(path.name + ".part")
    try:
        with opener(part) as handle:
            handle.write(data)
    except OSError as exc:
        part.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise SealError("the disk is full: free some space, then the booth will try "
                            "again (nothing was lost)") from exc
        raise
    durable_replace(part, path)


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link a take into the bundle (no copy, no re-encryption); copy where links fail."""
    try:
        os.link(source, target)
    except OSError:
        part = target.with_name(target.name + ".part")
        shutil.copyfile(source, part)
        durable_replace(part, target)


def existing_bundle_for(store: Store, session_id: str) -> str | None:
    for found in store.bundles_in_state(*ALL_BUNDLE_STATES):
        if found.session_id == session_id:
            return found.id
    return None


def _event(event: Event | None) -> dict[str, str] | None:
    if event is None:
        return None
    found = {"id": event.id, "name": event.name, "kind": event.kind}
    if event.council_event_id:
        found["council_event_id"] = event.council_event_id
    return found


def audit_to_send(store: Store) -> list[dict[str, Any]]:
    """The officer actions logged since the last sealed bundle, oldest first."""
    after = int(store.device_meta_get(AUDIT_SEALED_KEY) or 0)
    entries = [e for e in store.audit_log() if e.id > after][:AUDIT_PER_BUNDLE]
    return [{"id": e.id, "at": e.at, "action": e.officer_action, "detail": e.detail}
            for e in entries]


def build_payload(
    store: Store, session_id: str, bundle_id: str, device_id: str, device_seq: int
) -> dict[str, Any]:
    detail = store.session_detail(session_id)
    session = detail.session
    event = store.get_event(session.event_id)
    consent = detail.consent
    return {
        "payload_format": PAYLOAD_FORMAT,
        "bundle_id": bundle_id,
        "device_id": device_id,
        "device_seq": device_seq,
        "app_version": __version__,
        "session": {
            "id": session.id,
            "look": session.look,
            "state": session.state,
            "reference_code": session.reference_code,
            "started_at": session.started_at,
            "finished_at": session.finished_at,
            "prompt_id": session.prompt_id,
        },
        "event": _event(event),
        "consent": (
            {
                "look": consent.look,
                "wording_digest": consent.wording_digest,
                "pack_id": consent.pack_id,
                "pack_digest": consent.pack_digest,
                "adult_confirmed": consent.adult_confirmed,
                "given_at": consent.given_at,
                "language": consent.language,
            }
            if consent
            else None
        ),
        "pack": {"id": consent.pack_id, "digest": consent.pack_digest} if consent else None,
        "prompt_ids": list(dict.fromkeys(take.prompt_id for take in detail.takes)),
        "takes": [
            {
                "take_id": take.id,
                "prompt_id": take.prompt_id,
                "blob_sha256": take.sha256,
                "size": take.size,
                "duration_s": take.duration_s,
                "kept_at": take.kept_at,
                "kind": take.kind,
            }
            for take in detail.takes
        ],
        "priorities": detail.priorities,
        "about_you": detail.about_you,
        "device_audit": audit_to_send(store),
    }


def _fill_staging(
    store: Store,
    paths: Paths,
    device_keys: DeviceKeys,
    credential: Credential,
    session_id: str,
    bundle_id: str,
    device_seq: int,
    takes: list[Take],
    staging: Path,
    hook: StepHook,
    opener: Opener,
) -> tuple[Manifest, int]:
    """Write the bundle's files; returns its manifest and the last audit entry it carries."""
    blobs_dir = staging / BLOBS_DIR
    payload = build_payload(store, session_id, bundle_id, credential.device_id, device_seq)
    sealed = encrypt_bytes(canonical_json(payload), list(credential.recipients))
    payload_sha = hashlib.sha256(sealed).hexdigest()
    _write_durable(blobs_dir / f"{payload_sha}{BLOB_SUFFIX}", sealed, opener)
    refs = [BlobRef(sha256=payload_sha, size=len(sealed), kind="payload")]
    hook("payload")

    for take in takes:
        _link_or_copy(paths.takes / take.file_name, blobs_dir / f"{take.sha256}{BLOB_SUFFIX}")
        refs.append(BlobRef(sha256=take.sha256, size=take.size, kind="video"))
    fsync_dir(blobs_dir)
    hook("videos")

    manifest = sign_manifest(
        bundle_id=bundle_id,
        device_id=credential.device_id,
        device_seq=device_seq,
        app_version=__version__,
        sealed_at=_sealed_at(store.clock.utcnow()),
        blobs=refs,
        device_key=device_keys.private_key,
    )
    _write_durable(staging / MANIFEST_NAME, manifest.to_bytes(), opener)
    hook("manifest")

    audit = payload["device_audit"]
    return manifest, int(audit[-1]["id"]) if audit else 0


def seal_session(
    store: Store,
    paths: Paths,
    device_keys: DeviceKeys,
    credential: Credential,
    session_id: str,
    hook: StepHook = _no_hook,
    opener: Opener = _open_new,
) -> str:
    """Seal a finished (or partial) session into ``bundles/<id>/``; returns the bundle id.

    Sealing the same session again returns the bundle it already has. Safe to call from
    several threads (the GUI's after-session hook and the sync worker): one seals, the
    other gets the same bundle id."""
    with _SEAL_LOCK:
        return _seal_session(store, paths, device_keys, credential, session_id, hook, opener)


def _seal_session(
    store: Store,
    paths: Paths,
    device_keys: DeviceKeys,
    credential: Credential,
    session_id: str,
    hook: StepHook,
    opener: Opener,
) -> str:
    already = existing_bundle_for(store, session_id)
    if already is not None:
        return already
    detail = store.session_detail(session_id)
    if detail.session.state not in ("finished", "partial"):
        raise SealError(f"session {session_id} is {detail.session.state}, not finished")
    takes = [take for take in detail.takes if take.state in ("kept", "bundled")]
    for take in takes:
        path = paths.takes / take.file_name
        if not path.is_file():
            raise SealError(f"the video answer {take.id} is missing; restart the booth to check")
        if file_sha256(path) != (take.size, take.sha256):
            raise SealError(f"the video answer {take.id} is damaged; restart the booth to check")

    device_seq = store.next_device_seq()
    bundle_id = uuid.uuid4().hex
    paths.bundles.mkdir(parents=True, exist_ok=True)
    staging = paths.bundles / f"{STAGING_PREFIX}{bundle_id}"
    (staging / BLOBS_DIR).mkdir(parents=True)
    hook("staging")

    try:
        manifest, audit_through = _fill_staging(
            store, paths, device_keys, credential, session_id, bundle_id, device_seq, takes,
            staging, hook, opener,
        )
    except (OSError, SealError):
        # A clean failure (a full disk, say) leaves nothing behind; the session is retried.
        shutil.rmtree(staging, ignore_errors=True)
        raise

    final = paths.bundles / bundle_id
    os.replace(staging, final)
    fsync_dir(paths.bundles)
    hook("renamed")

    store.add_bundle(bundle_id, session_id, device_seq, manifest.to_bytes().decode())
    if audit_through:
        # After the commit: a crash in between sends these entries again (the council
        # recognises them by their id), never loses them.
        store.device_meta_set(AUDIT_SEALED_KEY, str(audit_through))
    hook("committed")

    for take in takes:
        (paths.takes / take.file_name).unlink(missing_ok=True)
    fsync_dir(paths.takes)
    hook("done")
    log.info("sealed session into bundle %s (seq %d, %d videos)", bundle_id, device_seq,
             len(takes))
    return bundle_id


def seal_pending(
    store: Store, paths: Paths, device_keys: DeviceKeys, credential: Credential
) -> list[str]:
    """Seal every finished session that has no bundle yet; returns the new bundle ids."""
    sealed: list[str] = []
    for session_id in store.sessions_to_seal():
        try:
            sealed.append(seal_session(store, paths, device_keys, credential, session_id))
        except SealError as exc:
            log.warning("could not seal a session: %s", exc)
    return sealed


@dataclass
class BundleReconcileReport:
    """What reconciling bundle folders with the store found and did."""

    staging_removed: int = 0
    unrecorded_removed: int = 0
    take_files_released: int = 0
    problems: list[str] = field(default_factory=list)


def reconcile_bundles(store: Store, paths: Paths) -> BundleReconcileReport:
    """Finish or undo what a crash interrupted. Run after ``store.reconcile()``.

    - half-built ``.staging-*`` folders go (their takes are still in takes/);
    - a complete folder with no store row goes too (the row is what makes it count,
      and the session is still waiting to be sealed, its takes untouched);
    - take files whose bundle is recorded are released (the bundle holds them)."""
    report = BundleReconcileReport()
    if not paths.bundles.is_dir():
        return report
    rows = {b.id: b for b in store.bundles_in_state(*ALL_BUNDLE_STATES)}
    for folder in paths.bundles.iterdir():
        if not folder.is_dir():
            continue
        if folder.name.startswith(STAGING_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)
            report.staging_removed += 1
        elif folder.name not in rows:
            shutil.rmtree(folder, ignore_errors=True)
            report.unrecorded_removed += 1
    for found in rows.values():
        if found.state == "purged":
            continue
        folder = paths.bundles / found.id
        for take in store.takes_for_session(found.session_id):
            if take.state != "bundled":
                continue
            take_file = paths.takes / take.file_name
            blob = folder / BLOBS_DIR / f"{take.sha256}{BLOB_SUFFIX}"
            if take_file.exists() and blob.is_file() and blob.stat().st_size == take.size:
                take_file.unlink()
                report.take_files_released += 1
    if paths.takes.is_dir():
        fsync_dir(paths.takes)
    fsync_dir(paths.bundles)
    if report.staging_removed or report.unrecorded_removed or report.take_files_released:
        log.info("bundle reconcile: %s", report)
    return report
