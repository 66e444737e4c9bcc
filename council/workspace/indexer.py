"""The indexer: finds bundles new to the workspace in the store, verifies them, and
indexes their answers. A bundle that fails is set aside for the admin; the others go on."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import transaction

from booth.wire.bundle import (
    BundleError,
    Manifest,
    Receipt,
    verify_manifest,
    verify_receipt,
)
from council import removed
from council.admin import CouncilError
from council.decrypt import read_payload
from council.storage import StoredBundle
from council.workspace.context import Workspace
from council.workspace.models import (
    KioskEvent,
    Priority,
    Session,
    SetAside,
    VideoAnswer,
    Withdrawal,
)
from council.workspace.removal import carry_out_kiosk_withdrawals

log = logging.getLogger(__name__)

AGE_BAND_QUESTIONS = ("age_band", "older_age", "child_age")


class NotIndexed(Exception):
    """A bundle that cannot be indexed, with the reason in plain words."""


@dataclass
class IndexReport:
    indexed: list[str] = field(default_factory=list)
    set_aside: list[tuple[str, str]] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)  # by kiosks, after sending


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(text: object) -> date | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return _when(text).date()
    except ValueError:
        return None


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def age_band(about_you: dict[str, Any]) -> str:
    for key in AGE_BAND_QUESTIONS:
        value = about_you.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def verify(ws: Workspace, stored: StoredBundle) -> Manifest:
    """The bundle's manifest, after checking both signatures and every blob."""
    manifest = Manifest.parse(stored.manifest_json)
    device = ws.storage.catalogue.get_device(stored.device_id)
    verify_manifest(manifest, device.device_key if device else None)
    verify_receipt(Receipt.parse(stored.receipt_json), manifest, ws.keys.signing_public_b64)
    gone = removed.read(ws.store_dir, stored.bundle_id)
    for blob in manifest.blobs:
        if gone is not None and blob.sha256 in gone.blobs:
            continue
        size = ws.storage.blobs.blob_size(blob.sha256)
        if size is None:
            raise NotIndexed(f"{blob.kind} blob {blob.sha256[:12]} is missing from the store")
        if size != blob.size:
            raise NotIndexed(f"{blob.kind} blob {blob.sha256[:12]} has {size} of "
                              f"{blob.size} bytes")
        if ws.storage.blobs.hash_blob(blob.sha256) != blob.sha256:
            raise NotIndexed(f"{blob.kind} blob {blob.sha256[:12]} was altered on disk")
    return manifest


def index_bundle(ws: Workspace, stored: StoredBundle) -> Session:
    manifest = verify(ws, stored)
    payload = read_payload(ws.storage, stored, ws.identities)
    gone = removed.read(ws.store_dir, stored.bundle_id)
    session = payload.get("session") or {}
    about = payload.get("about_you") or {}
    consent = payload.get("consent") or {}
    if not isinstance(session, dict) or not isinstance(about, dict) or not isinstance(
            consent, dict):
        raise NotIndexed("its answers are not in the expected shape")
    look = session.get("look")
    if look not in ("child", "adult", "older"):
        raise NotIndexed(f"its answers name an unknown look {look!r}")
    device = ws.storage.catalogue.get_device(stored.device_id)
    received = _when(stored.received_at)
    takes = {t.get("blob_sha256"): t for t in payload.get("takes") or []
             if isinstance(t, dict)}
    with transaction.atomic():
        kiosk_event = None
        event = payload.get("event")
        if isinstance(event, dict) and isinstance(event.get("id"), str):
            kiosk_event, _ = KioskEvent.objects.get_or_create(
                kiosk_event_id=event["id"][:64],
                defaults={"name": _text(event.get("name"), 200),
                          "kind": _text(event.get("kind"), 20)},
            )
            if kiosk_event.event_id is None:
                from council.workspace.models import Event

                # A kiosk whose officer picked the event from the council's list names it.
                council_id = event.get("council_event_id")
                uid = council_id if isinstance(council_id, str) else kiosk_event.kiosk_event_id
                kiosk_event.event = Event.objects.filter(uid=uid[:64]).first()
                if kiosk_event.event is not None:
                    kiosk_event.save(update_fields=["event"])
        row = Session.objects.create(
            bundle_id=stored.bundle_id,
            device_id=stored.device_id,
            device_name=device.name if device else "",
            device_seq=stored.device_seq,
            received_at=received,
            reference_code=_text(session.get("reference_code"), 32).upper(),
            look=look,
            started_at=_text(session.get("started_at"), 40),
            finished_at=_text(session.get("finished_at"), 40),
            recorded_on=_day(session.get("started_at")) or received.date(),
            kiosk_event=kiosk_event,
            area=_text(about.get("area"), 80),
            age_band=age_band(about)[:40],
            about_you={str(k): v for k, v in about.items() if isinstance(v, str)},
            consent_given=bool(consent),
            consent_wording_digest=_text(consent.get("wording_digest"), 64),
            consent_adult_confirmed=(consent.get("adult_confirmed")
                                     if isinstance(consent.get("adult_confirmed"), bool)
                                     else None),
            consent_given_at=_text(consent.get("given_at"), 40),
            pack_id=_text(consent.get("pack_id"), 64),
            pack_digest=_text(consent.get("pack_digest"), 64),
            payload_sha256=manifest.payload.sha256,
        )
        priorities = payload.get("priorities") or {}
        if isinstance(priorities, dict):
            Priority.objects.bulk_create([
                Priority(session=row, list_id=str(list_id)[:64], item_id=str(item)[:64])
                for list_id, items in priorities.items() if isinstance(items, list)
                for item in items
            ])
        videos = [blob for blob in manifest.blobs if blob.kind == "video"]
        VideoAnswer.objects.bulk_create([
            VideoAnswer(
                session=row, number=number, blob_sha256=blob.sha256, blob_size=blob.size,
                take_id=_text(takes.get(blob.sha256, {}).get("take_id"), 64),
                prompt_id=_text(takes.get(blob.sha256, {}).get("prompt_id"), 64),
                duration_s=_float(takes.get(blob.sha256, {}).get("duration_s")),
                kind=_kind(takes.get(blob.sha256, {}).get("kind")),
                purged_at=received if gone and blob.sha256 in gone.blobs else None,
            )
            for number, blob in enumerate(videos, start=1)
        ])
        SetAside.objects.filter(bundle_id=stored.bundle_id).delete()
    return row


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _kind(value: object) -> str:
    """A take's kind as the kiosk said it; a payload from before kinds is a video."""
    known = {kind for kind, _ in VideoAnswer.KINDS}
    return value if isinstance(value, str) and value in known else "video"


def set_aside(bundle_id: str, reason: str) -> None:
    row, created = SetAside.objects.get_or_create(bundle_id=bundle_id,
                                                  defaults={"reason": reason})
    if not created:
        row.reason = reason
        row.tries += 1
        row.save()


def index_new(ws: Workspace, retry_set_aside: bool = False) -> IndexReport:
    """Index every bundle in the store the workspace has not seen; never stops early."""
    with _INDEXING:
        return _index_new(ws, retry_set_aside)


# One indexing pass at a time in a process (the background thread and a staff request).
_INDEXING = threading.Lock()


def _index_new(ws: Workspace, retry_set_aside: bool) -> IndexReport:
    report = IndexReport()
    # Withdrawals from kiosks first: a bundle withdrawn before it was indexed never is.
    report.withdrawn = carry_out_kiosk_withdrawals(ws)
    done = set(Session.objects.values_list("bundle_id", flat=True))
    done |= set(Withdrawal.objects.values_list("bundle_id", flat=True))
    if not retry_set_aside:
        done |= set(SetAside.objects.values_list("bundle_id", flat=True))
    gone = removed.read_all(ws.store_dir)
    for bundle_id in ws.storage.catalogue.bundle_ids():
        if bundle_id in done or (bundle_id in gone and gone[bundle_id].withdrawn):
            continue
        stored = ws.storage.catalogue.get_bundle(bundle_id)
        if stored is None:
            continue
        try:
            index_bundle(ws, stored)
        except (NotIndexed, BundleError, CouncilError, OSError, ValueError, KeyError,
                TypeError) as exc:
            reason = str(exc) or type(exc).__name__
            log.warning("bundle %s set aside: %s", bundle_id, reason)
            set_aside(bundle_id, reason)
            report.set_aside.append((bundle_id, reason))
            continue
        report.indexed.append(bundle_id)
    return report
