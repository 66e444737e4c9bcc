"""Council events: the signed list kiosks will fetch, and merging a kiosk's own event.

The workspace holds the server's signing key, so it signs the list and writes it to
``<store>/events/current.json``; the ingest server (which holds the same key but must not
grow a database of events) only has to hand that file to kiosks at sync.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from booth.files import durable_replace
from booth.wire.messages import sign_event_list
from council.workspace import audit
from council.workspace.context import Workspace
from council.workspace.models import Event, KioskEvent


def signed_list(ws: Workspace) -> dict[str, Any]:
    """Every council event, signed (Ed25519 over the canonical JSON) by the server key, in
    the shared format kiosks read (booth.wire.messages)."""
    return sign_event_list(
        [{"id": event.uid, "name": event.name, "venue": event.venue,
          "date": event.date.isoformat(), "kind": event.kind}
         for event in Event.objects.order_by("date", "name")],
        ws.clock().isoformat(timespec="seconds"), ws.keys.signing_key)


def publish(ws: Workspace) -> Path:
    target = ws.store_dir / "events" / "current.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name("current.json.part")
    with part.open("w", encoding="utf-8") as handle:
        json.dump(signed_list(ws), handle, indent=2, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    durable_replace(part, target)
    return target


def add(ws: Workspace, actor: str, **fields: Any) -> Event:
    event = Event.objects.create(**fields)
    # A kiosk may already have sent answers under this id (it picked it offline).
    KioskEvent.objects.filter(kiosk_event_id=event.uid, event__isnull=True).update(event=event)
    publish(ws)
    audit.record(actor, "event-add", target=event.uid,
                 detail={"name": event.name, "venue": event.venue,
                         "date": event.date.isoformat(), "kind": event.kind})
    return event


def merge(kiosk_event: KioskEvent, event: Event, actor: str) -> None:
    """Count a kiosk's own event (made up offline) as the council event from now on."""
    kiosk_event.event = event
    kiosk_event.save(update_fields=["event"])
    audit.record(actor, "event-merge", target=kiosk_event.kiosk_event_id,
                 detail={"into": event.uid, "kiosk_name": kiosk_event.name})
