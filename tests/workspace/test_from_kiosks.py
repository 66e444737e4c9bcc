"""From kiosks to the workspace, end to end over the real ingest server: a council event
picked on two kiosks is one event, and a withdrawal made on a kiosk after its bundle was
sent reaches the council at the next sync and is carried out as staff would."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from booth.settings import Settings, load_settings
from booth.sync.seal import seal_pending
from booth.wire.bundle import read_manifest
from council import withdrawals
from council.workspace import context, events
from council.workspace.context import Workspace
from council.workspace.indexer import index_new
from council.workspace.models import Session, Withdrawal
from tests.helpers.council import CouncilServer, running_council
from tests.helpers.store import open_consented_session
from tests.helpers.sync import Kiosk, enrolled_kiosk, record_encrypted_take
from tests.workspace.conftest import FakeClock, StaffClient


@pytest.fixture
def council(tmp_path: Path) -> Iterator[CouncilServer]:
    with running_council(tmp_path / "council") as server:
        yield server


@pytest.fixture
def ws(council: CouncilServer, clock: FakeClock, db: Any, tmp_path: Path) -> Iterator[Workspace]:
    """The workspace on the ingest server's own keys and store, as a council runs them."""
    workspace = Workspace(keys_dir=council.keys_dir, store_dir=council.store_dir, clock=clock,
                          escrow_dirs=[tmp_path / "escrow"])
    context.use(workspace)
    yield workspace
    context.use(None)


@pytest.fixture
def kiosk(settings: Settings, council: CouncilServer) -> Iterator[Kiosk]:
    with enrolled_kiosk(settings.paths, council) as made:
        yield made


def _csv(staff: StaffClient) -> list[dict[str, str]]:
    answer = staff("analyst").get(reverse("workspace:export"))
    return list(csv.DictReader(io.StringIO(answer.content.decode())))


def _sync(kiosk: Kiosk) -> Any:
    return kiosk.uploader(chunk_size=64 * 1024).run()


def test_a_council_event_picked_on_two_kiosks_is_one_event_in_the_workspace(
    ws: Workspace, council: CouncilServer, kiosk: Kiosk, staff: StaffClient, tmp_path: Path
) -> None:
    festival = events.add(ws, "admin", name="Bramhall Festival", venue="Bramhall Park",
                          date=date(2026, 7, 4), kind="public")
    other_settings = load_settings(data_dir=tmp_path / "second-kiosk", demo=True)
    other_settings.paths.create()
    with enrolled_kiosk(other_settings.paths, council) as second:
        for booth in (kiosk, second):
            report = _sync(booth)  # nothing to send: the events list comes all the same
            assert report.messages is not None and report.messages.events == 1
            [listed] = booth.store.council_events()
            assert (listed.id, listed.name, listed.venue) == (
                festival.uid, "Bramhall Festival", "Bramhall Park")
            started = booth.store.start_council_event(festival.uid, "adult", False)
            assert started.council_event_id == festival.uid and started.kind == "public"
            booth.seal_one(videos=0)
            assert _sync(booth).committed
    # And a third session under an event a kiosk made up offline, merged by the admin.
    kiosk.store.create_event("bramhall fest", "public", "adult", False)
    kiosk.seal_one(videos=0)
    assert _sync(kiosk).committed
    index_new(ws)
    assert Session.objects.filter(kiosk_event__event=festival).count() == 2
    assert {row["event"] for row in _csv(staff)} == {"Bramhall Festival", "bramhall fest"}
    offline = Session.objects.exclude(kiosk_event__event=festival).get().kiosk_event
    assert offline is not None
    staff("admin").post(reverse("workspace:merge-event"),
                        {"kiosk_event": offline.pk, "event": festival.pk})
    assert Session.objects.filter(kiosk_event__event=festival).count() == 3
    assert {row["event"] for row in _csv(staff)} == {"Bramhall Festival"}


def test_a_withdrawal_made_on_the_kiosk_after_sending_is_carried_out_at_the_council(
    ws: Workspace, council: CouncilServer, kiosk: Kiosk, staff: StaffClient, tmp_path: Path
) -> None:
    store = kiosk.store
    event = store.create_event("Hillside Primary", "school", "child", False)
    sessions = []
    for _ in range(2):
        session_id = open_consented_session(store, event)
        record_encrypted_take(store, session_id, kiosk.credential.recipients)
        store.save_priorities(session_id, "children", ["parks"])
        sessions.append((session_id, store.finish_session(session_id)))
    seal_pending(store, kiosk.paths, kiosk.device, kiosk.credential)
    report = _sync(kiosk)
    assert len(report.committed) == 2
    gone_bundle, kept_bundle = report.committed
    blobs = {b: council.bundle(b).blobs for b in report.committed}  # type: ignore[union-attr]
    escrow = tmp_path / "escrow"
    escrow.mkdir()
    escrow_copy = escrow / f"{blobs[gone_bundle][-1]}.age"
    escrow_copy.write_bytes(council.blob_path(blobs[gone_bundle][-1]).read_bytes())
    index_new(ws)
    assert {row["bundle"] for row in _csv(staff)} == {gone_bundle, kept_bundle}

    # The kiosk has forgotten the session; the officer types the code a parent reads out.
    gone_code = sessions[0][1]
    assert store.session_by_reference(gone_code) is None
    withdrawn = store.withdraw(gone_code.lower(), "parent phoned")
    assert withdrawn.bundles_sent == [gone_bundle]
    assert store.withdrawals_to_forward() == [(gone_bundle, withdrawn_day(store))]

    # The next sync tells the council, signed by the device; the ingest server keeps it.
    report = _sync(kiosk)
    assert report.messages is not None
    assert report.messages.withdrawals_forwarded == [gone_bundle]
    assert store.withdrawals_to_forward() == []
    [kept_message] = withdrawals.read_all(council.store_dir)
    assert kept_message.withdrawal.bundle_id == gone_bundle
    assert kept_message.withdrawal.device_key == kiosk.device.public_b64
    # Still all there until the workspace carries it out: the ingest server deletes nothing.
    assert all(council.has_blob(sha) for sha in blobs[gone_bundle])

    # The workspace's indexer carries it out as a staff withdrawal.
    carried = index_new(ws)
    assert carried.withdrawn == [gone_bundle]
    assert not any(council.has_blob(sha) for sha in blobs[gone_bundle])
    assert not escrow_copy.exists()
    assert all(council.has_blob(sha) for sha in blobs[kept_bundle])
    assert {row["bundle"] for row in _csv(staff)} == {kept_bundle}
    record = Withdrawal.objects.get()
    assert (record.bundle_id, record.channel, record.reference_code) == (
        gone_bundle, "kiosk", gone_code)
    assert record.withdrawn_by == f"kiosk {kiosk.credential.device_id}"
    # Once: a second sync sends nothing, a second pass withdraws nothing.
    assert _sync(kiosk).messages.withdrawals_forwarded == []  # type: ignore[union-attr]
    assert index_new(ws).withdrawn == []
    assert Withdrawal.objects.count() == 1


def test_a_bundle_withdrawn_while_on_its_way_is_never_indexed(
    ws: Workspace, council: CouncilServer, kiosk: Kiosk, staff: StaffClient
) -> None:
    bundle_id, _ = kiosk.seal_one(videos=1)
    manifest = read_manifest(kiosk.paths.bundles / bundle_id)
    kiosk.store.set_bundle_state(bundle_id, "uploading")  # it had started to go
    [row] = kiosk.store.bundles_in_state("uploading")
    code = kiosk.store.get_session(row.session_id).reference_code  # type: ignore[union-attr]
    assert kiosk.store.withdraw(code or "").bundles_sent == [bundle_id]
    # One sync: the bundle arrives, then its withdrawal follows it.
    report = _sync(kiosk)
    assert report.committed == [bundle_id]
    assert report.messages is not None and report.messages.withdrawals_forwarded == [bundle_id]
    carried = index_new(ws)
    assert carried.withdrawn == [bundle_id] and carried.indexed == []
    assert not any(council.has_blob(blob.sha256) for blob in manifest.blobs)
    assert not Session.objects.exists()
    assert Withdrawal.objects.get().reference_code == ""  # never decrypted, never read


def withdrawn_day(store: Any) -> str:
    return str(store.clock.utcnow().date().isoformat())
