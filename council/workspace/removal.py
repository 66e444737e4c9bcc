"""Withdrawal by reference code and the retention purge: both delete blobs from the store
(and from escrow mirrors), leave a record with no personal data, and write evidence."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction

from booth.files import durable_replace
from booth.wire.bundle import BundleError, Manifest
from booth.wire.messages import verify_withdrawal
from council import removed, withdrawals
from council.workspace import audit
from council.workspace.context import Workspace
from council.workspace.models import PurgeRun, Session, SetAside, VideoAnswer, Withdrawal

log = logging.getLogger(__name__)

# The channel of a withdrawal asked for on a kiosk after its bundle was sent.
KIOSK = "kiosk"

# Codes are read out over the phone: letters and digits, spaces or dashes allowed between.
CODE_RE = re.compile(r"^[A-Z0-9]{4,32}$")


class WithdrawalError(Exception):
    """A code that cannot be withdrawn, said in words staff can read to the caller."""


def normalise_code(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


def delete_blob(ws: Workspace, sha256: str) -> list[str]:
    """Delete a blob from the store and every escrow mirror; where it was deleted from."""
    where: list[str] = []
    if ws.storage.blobs.has_blob(sha256):
        ws.storage.blobs.delete_blob(sha256)
        where.append("store")
    for mirror in ws.escrow_dirs:
        for candidate in (mirror / f"{sha256}.age", mirror / sha256[:2] / f"{sha256}.age",
                          mirror / "blobs" / sha256[:2] / f"{sha256}.age"):
            if candidate.is_file():
                candidate.unlink()
                where.append(f"escrow {mirror}")
    return where


def withdraw(ws: Workspace, code_text: str, actor: str, channel: str = "phone") -> Withdrawal:
    """Remove the one session with this code from the store, every page, chart and export."""
    code = normalise_code(code_text)
    if not CODE_RE.fullmatch(code):
        raise WithdrawalError("a reference code is 4 to 32 letters and digits")
    matches = list(Session.objects.filter(reference_code=code).prefetch_related("videos"))
    if not matches:
        earlier = Withdrawal.objects.filter(reference_code=code).first()
        if earlier is not None:
            raise WithdrawalError(
                f"the answer with code {code} was already withdrawn on "
                f"{earlier.withdrawn_at:%d %B %Y}")
        raise WithdrawalError(
            f"no answer has the code {code}: check it with the caller; an answer that has "
            "not reached the council yet can be withdrawn on the kiosk")
    if len(matches) > 1:
        raise WithdrawalError(
            f"{len(matches)} answers from different kiosks have the code {code}, so it does "
            "not say which is the caller's: nothing was withdrawn. Ask for the event and "
            "date, and tell the data team")
    return _withdraw_session(ws, matches[0], code, actor, channel)


def _withdraw_session(ws: Workspace, session: Session, code: str, actor: str,
                      channel: str) -> Withdrawal:
    blobs = [session.payload_sha256] + [v.blob_sha256 for v in session.videos.all()]
    return _remove(ws, session.bundle_id, blobs, code, actor, channel, session)


def _remove(ws: Workspace, bundle_id: str, blobs: list[str], code: str, actor: str,
            channel: str, session: Session | None) -> Withdrawal:
    moment = ws.clock()
    # The store's record first: if anything stops half way, the indexer never brings
    # the session back and a second withdrawal finishes the job.
    removed.note(ws.store_dir, bundle_id, removed.WITHDRAWN, blobs,
                 moment.isoformat(timespec="seconds"))
    places: dict[str, list[str]] = {}
    for sha in blobs:
        places[sha] = delete_blob(ws, sha)
    with transaction.atomic():
        record = Withdrawal.objects.create(
            reference_code=code, bundle_id=bundle_id, blobs_deleted=blobs,
            withdrawn_at=moment, withdrawn_by=actor, channel=channel,
        )
        if session is not None:
            session.delete()
        SetAside.objects.filter(bundle_id=bundle_id).delete()
    audit.record(actor, "withdraw", target=bundle_id,
                 detail={"code": code, "channel": channel, "blobs": blobs,
                         "deleted_from": places})
    return record


def carry_out_kiosk_withdrawals(ws: Workspace) -> list[str]:
    """Withdraw each session a kiosk withdrew after sending it (kept in the store by the
    ingest server, see council/withdrawals.py) the way staff withdraw one: blobs out of
    the store and escrow, answers off every page, chart and export, a record left with no
    personal data. A bundle not indexed yet is removed all the same, and never will be.
    Each message's device signature is checked again against the bundle's manifest.
    Returns the bundle ids withdrawn now."""
    done = set(Withdrawal.objects.values_list("bundle_id", flat=True))
    carried: list[str] = []
    for kept in withdrawals.read_all(ws.store_dir):
        message = kept.withdrawal
        if message.bundle_id in done:
            continue
        stored = ws.storage.catalogue.get_bundle(message.bundle_id)
        if stored is None or stored.device_id != message.device_id:
            log.error("a kiosk's withdrawal names bundle %s, which that kiosk did not send",
                      message.bundle_id)
            continue
        manifest = Manifest.parse(stored.manifest_json)
        try:
            verify_withdrawal(message, expected_device_key=manifest.device_key)
        except BundleError as exc:
            log.error("the withdrawal of bundle %s does not verify: %s", message.bundle_id, exc)
            continue
        actor = f"kiosk {message.device_id}"
        session = (Session.objects.filter(bundle_id=message.bundle_id)
                   .prefetch_related("videos").first())
        if session is not None:
            _withdraw_session(ws, session, session.reference_code, actor, KIOSK)
        else:
            _remove(ws, message.bundle_id, [blob.sha256 for blob in manifest.blobs], "", actor,
                    KIOSK, None)
        carried.append(message.bundle_id)
    return carried


def _write_evidence(ws: Workspace, name: str, data: dict[str, Any]) -> tuple[Path, str]:
    folder = ws.store_dir / "workspace" / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    body = json.dumps(data, indent=2, sort_keys=True).encode("utf-8")
    target = folder / name
    part = target.with_name(name + ".part")
    with part.open("wb") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    durable_replace(part, target)
    return target, hashlib.sha256(body).hexdigest()


def purge(ws: Workspace, actor: str, *, dry_run: bool = False,
          now: datetime | None = None) -> PurgeRun:
    """Delete every video blob older than the pack's retention_days since receipt,
    except those on legal hold; write evidence (ids, hashes, when, why) either way."""
    moment = now or ws.clock()
    days = ws.retention_days
    cutoff = moment - timedelta(days=days)
    due = (VideoAnswer.objects.select_related("session")
           .filter(purged_at__isnull=True, session__received_at__lte=cutoff)
           .order_by("session__received_at", "pk"))
    deleted: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    for video in due:
        item = {
            "video": video.pk, "bundle_id": video.session.bundle_id,
            "blob_sha256": video.blob_sha256, "blob_size": video.blob_size,
            "received_at": video.session.received_at.isoformat(timespec="seconds"),
            "days_kept": (moment - video.session.received_at).days,
        }
        if video.on_hold:
            held.append({**item, "hold_reason": video.hold_reason, "hold_by": video.hold_by})
            continue
        if not dry_run:
            removed.note(ws.store_dir, video.session.bundle_id, removed.RETENTION,
                         [video.blob_sha256], moment.isoformat(timespec="seconds"))
            item["deleted_from"] = delete_blob(ws, video.blob_sha256)
            video.purged_at = moment
            video.save(update_fields=["purged_at"])
        deleted.append(item)
    ran_at = ws.clock() if now is None else moment
    evidence = {
        "kind": "retention purge (dry run: nothing deleted)" if dry_run else "retention purge",
        "why": f"video answers are kept {days} days from receipt (the campaign pack's "
               "retention_days, the consent's promise); anonymous tallies are kept",
        "ran_at": ran_at.isoformat(timespec="seconds"),
        "clock": moment.isoformat(timespec="seconds"),
        "cutoff": cutoff.isoformat(timespec="seconds"),
        "retention_days": days,
        "ran_by": actor,
        "dry_run": dry_run,
        "deleted" if not dry_run else "would_delete": deleted,
        "kept_on_legal_hold": held,
    }
    stamp = moment.strftime("%Y%m%dT%H%M%S")
    suffix = "-dry-run" if dry_run else ""
    path, digest = _write_evidence(
        ws, f"purge-{stamp}{suffix}-{os.urandom(3).hex()}.json", evidence)
    run = PurgeRun.objects.create(
        ran_at=ran_at, clock=moment, dry_run=dry_run, retention_days=days, ran_by=actor,
        items=deleted, held=held, evidence_file=str(path),
    )
    audit.record(actor, "purge-dry-run" if dry_run else "purge", target=f"purge {run.pk}",
                 detail={"videos": len(deleted), "held": len(held), "evidence": path.name,
                         "evidence_sha256": digest})
    return run


def set_hold(video: VideoAnswer, reason: str, actor: str, now: datetime) -> None:
    """Place (or, with an empty reason, release) a legal hold on a video answer."""
    reason = reason.strip()
    if reason:
        video.hold_reason, video.hold_by, video.hold_at = reason, actor, now
        action = "legal-hold"
    else:
        video.hold_reason, video.hold_by, video.hold_at = "", "", None
        action = "legal-hold-released"
    video.save(update_fields=["hold_reason", "hold_by", "hold_at"])
    audit.record(actor, action, target=f"video {video.pk}",
                 detail={"bundle_id": video.session.bundle_id, "reason": reason})
