"""The hash-chained audit trail, the signed events list and merging, the dashboard's
numbers and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.urls import reverse

from booth.wire.bundle import b64decode, canonical_json, load_public_key
from council.workspace import audit, events, reports
from council.workspace.context import Workspace
from council.workspace.indexer import index_new
from council.workspace.models import AuditEntry, KioskEvent, Session
from tests.helpers.workspace import CouncilStore, add_session
from tests.workspace.conftest import StaffClient


def test_the_audit_chain_finds_a_changed_or_removed_entry(ws: Workspace) -> None:
    for n in range(5):
        audit.record("eve", "watch", target=f"video {n}")
    assert audit.verify().ok
    AuditEntry.objects.filter(seq=3).update(actor="mallory")
    assert "entry 3 (watch) was changed" in audit.verify().problems
    AuditEntry.objects.filter(seq=3).update(actor="eve")
    assert audit.verify().ok
    AuditEntry.objects.filter(seq=2).delete()
    assert any("missing" in p for p in audit.verify().problems)


def test_removing_the_last_entries_shows_against_the_head(ws: Workspace) -> None:
    for n in range(3):
        audit.record("eve", "export", target=str(n))
    AuditEntry.objects.filter(seq=3).delete()
    assert any("ends at 2" in p for p in audit.verify().problems)


def test_a_saved_entry_is_never_changed_through_the_model(ws: Workspace) -> None:
    entry = audit.record("eve", "watch")
    entry.actor = "mallory"
    try:
        entry.save()
    except ValueError:
        pass
    else:
        raise AssertionError("an audit entry was changed")


def test_events_are_signed_for_kiosks_and_a_kiosk_event_merges(
    ws: Workspace, store: CouncilStore, staff: StaffClient
) -> None:
    event = events.add(ws, "admin", name="Bramhall Festival", venue="Bramhall Park",
                       date=date(2026, 7, 4), kind="public")
    signed = events.signed_list(ws)
    body = {k: v for k, v in signed.items() if k != "signature"}
    load_public_key(ws.keys.signing_public_b64).verify(b64decode(signed["signature"]),
                                                       canonical_json(body))
    assert signed["events"][0]["id"] == event.uid
    assert (store.store_dir / "events" / "current.json").is_file()
    # Two kiosks that picked the council event are one event; one made up offline merges.
    add_session(store, event={"id": event.uid, "name": "Bramhall Festival", "kind": "public"})
    add_session(store, event={"id": event.uid, "name": "Bramhall Festival", "kind": "public"})
    add_session(store, event={"id": "local-123", "name": "bramhall fest", "kind": "public"})
    index_new(ws)
    assert Session.objects.filter(kiosk_event__event=event).count() == 2
    kiosk = KioskEvent.objects.get(kiosk_event_id="local-123")
    admin = staff("admin")
    admin.post(reverse("workspace:merge-event"), {"kiosk_event": kiosk.pk, "event": event.pk})
    assert Session.objects.filter(kiosk_event__event=event).count() == 3


def test_the_csv_has_event_date_device_area_look_and_age_band(
    ws: Workspace, store: CouncilStore, staff: StaffClient
) -> None:
    add_session(store, look="adult", priorities={"adults": ["local_businesses"]},
                about={"age_band": "age_25_34", "area": "Marple"},
                event={"id": "k1", "name": "Market day", "kind": "public"})
    add_session(store, priorities={"children": ["friendships"]})
    index_new(ws)
    answer = staff("analyst").get(reverse("workspace:export"))
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert set(reports.CSV_COLUMNS) <= set(rows[0])
    adult = next(r for r in rows if r["look"] == "adult")
    assert (adult["event"], adult["device"], adult["area"], adult["age_band"], adult["item"]) == (
        "Market day", "library kiosk 1", "Marple", "25 to 34", "local_businesses")
    assert adult["date"] == date.today().isoformat()
    assert AuditEntry.objects.filter(action="export").exists()
    filtered = staff("analyst").get(reverse("workspace:export") + "?look=child")
    assert "adult" not in filtered.content.decode()


def test_the_dashboard_counts_priorities_by_filter(
    ws: Workspace, store: CouncilStore, staff: StaffClient
) -> None:
    add_session(store, look="adult", priorities={"adults": ["local_businesses"]},
                about={"age_band": "age_25_34", "area": "Marple"})
    add_session(store, priorities={"children": ["friendships", "be_kind"]})
    index_new(ws)
    data = reports.dashboard(ws, reports.Filters(look="child"))
    assert data["sessions"] == 1
    assert sorted(data["priorities"]["labels"]) == ["Be kind to each other", "Friendships"]
    page = staff("analyst").get(reverse("workspace:dashboard") + "?area=Marple")
    assert page.status_code == 200
    assert b'id="dashboard-data"' in page.content
