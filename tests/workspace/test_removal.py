"""Withdrawal by code and the retention purge: blobs (and escrow copies) leave the store,
answers leave every page, chart and export, and a record without personal data stays."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from council.workspace.context import Workspace
from council.workspace.indexer import index_new
from council.workspace.models import PurgeRun, Session, VideoAnswer, Withdrawal
from council.workspace.removal import WithdrawalError, purge, set_hold, withdraw
from tests.helpers.workspace import CouncilStore, add_session
from tests.workspace.conftest import FakeClock, StaffClient


def test_withdrawal_deletes_blobs_and_escrow_copies_and_leaves_a_bare_record(
    ws: Workspace, store: CouncilStore, staff: StaffClient, mp4: bytes
) -> None:
    gone = add_session(store, videos=[mp4], about={"child_age": "age_5_7"})
    kept = add_session(store, videos=[mp4])
    escrow = store.root / "escrow"
    (escrow / gone.video_shas[0][:2]).mkdir(parents=True)
    escrow_copy = escrow / gone.video_shas[0][:2] / f"{gone.video_shas[0]}.age"
    escrow_copy.write_bytes(store.blob_path(gone.video_shas[0]).read_bytes())
    index_new(ws)
    spaced = f"{gone.code[:3]} {gone.code[3:].lower()}"
    withdraw(ws, spaced, "carol")
    for sha in [gone.payload_sha256, *gone.video_shas]:
        assert not store.blob_path(sha).exists()
    assert not escrow_copy.exists()
    assert store.blob_path(kept.video_shas[0]).exists()
    assert not Session.objects.filter(bundle_id=gone.bundle_id).exists()
    record = Withdrawal.objects.get()
    assert record.reference_code == gone.code and record.bundle_id == gone.bundle_id
    assert "age_5_7" not in json.dumps(record.blobs_deleted)
    # Gone from the pages, the charts' numbers and the CSV; and never indexed again.
    analyst = staff("analyst")
    csv_text = analyst.get(reverse("workspace:export")).content.decode()
    assert gone.bundle_id not in csv_text and kept.bundle_id in csv_text
    assert index_new(ws).indexed == []
    with pytest.raises(WithdrawalError, match="already withdrawn"):
        withdraw(ws, gone.code, "carol")


def test_a_code_two_kiosks_drew_is_refused_clearly(
    ws: Workspace, store: CouncilStore, mp4: bytes
) -> None:
    first = add_session(store, code="7KQ2MX", videos=[mp4])
    add_session(store, code="7KQ2MX")
    index_new(ws)
    with pytest.raises(WithdrawalError, match="2 answers from different kiosks"):
        withdraw(ws, "7KQ2MX", "carol")
    assert store.blob_path(first.video_shas[0]).exists()
    with pytest.raises(WithdrawalError, match="no answer has the code"):
        withdraw(ws, "ZZZZZZ", "carol")
    with pytest.raises(WithdrawalError, match="4 to 32"):
        withdraw(ws, "../etc", "carol")


def test_the_withdraw_page_and_command_line(
    ws: Workspace, store: CouncilStore, staff: StaffClient, mp4: bytes,
    capsys: pytest.CaptureFixture[str],
) -> None:
    by_page = add_session(store, videos=[mp4])
    page = staff("reviewer").post(reverse("workspace:withdraw"), {"code": by_page.code,
                                                                  "channel": "phone"})
    assert page.status_code == 303  # indexed on the spot, then withdrawn
    assert not store.blob_path(by_page.video_shas[0]).exists()
    bad = staff("reviewer").post(reverse("workspace:withdraw"), {"code": "NOPE22",
                                                                 "channel": "phone"})
    assert bad.status_code == 400 and b"no answer has the code" in bad.content


def test_purge_deletes_videos_past_retention_except_held_ones_with_evidence(
    ws: Workspace, store: CouncilStore, clock: FakeClock, mp4: bytes
) -> None:
    old = add_session(store, videos=[mp4], received_at=clock.now - timedelta(days=200))
    held = add_session(store, videos=[mp4], received_at=clock.now - timedelta(days=190))
    young = add_session(store, videos=[mp4], received_at=clock.now - timedelta(days=10))
    index_new(ws)
    set_hold(VideoAnswer.objects.get(session__bundle_id=held.bundle_id), "Complaint 2026/17",
             "dan", clock.now)
    dry = purge(ws, "dan", dry_run=True)
    assert [i["bundle_id"] for i in dry.items] == [old.bundle_id]
    assert store.blob_path(old.video_shas[0]).exists()
    run = purge(ws, "dan")
    assert [i["blob_sha256"] for i in run.items] == old.video_shas
    assert [i["bundle_id"] for i in run.held] == [held.bundle_id]
    assert not store.blob_path(old.video_shas[0]).exists()
    assert store.blob_path(old.payload_sha256).exists()  # the tallies outlive the video
    assert store.blob_path(held.video_shas[0]).exists()
    assert store.blob_path(young.video_shas[0]).exists()
    evidence = json.loads(Path(run.evidence_file).read_text())
    assert evidence["deleted"][0]["blob_sha256"] == old.video_shas[0]
    assert "180 days" in evidence["why"] and evidence["clock"].startswith("2026-06-01")
    assert Session.objects.count() == 3  # priorities still count
    clock.advance(days=200)
    assert [i["bundle_id"] for i in purge(ws, "dan").items] == [young.bundle_id]
    assert PurgeRun.objects.filter(dry_run=False).count() == 2
