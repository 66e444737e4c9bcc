"""The indexer finds new bundles, verifies and indexes them, and sets aside the ones that
fail without stopping the others."""

from __future__ import annotations

import base64
import json
import os

import pytest

from council.workspace.context import Workspace
from council.workspace.indexer import index_new
from council.workspace.models import Priority, Session, SetAside, VideoAnswer
from tests.helpers.workspace import CouncilStore, add_session


def test_new_bundles_are_indexed_once_with_their_answers(
    ws: Workspace, store: CouncilStore, mp4: bytes
) -> None:
    made = add_session(store, videos=[mp4, mp4], event={"id": "ev-kiosk1", "name": "Fun day",
                                                        "kind": "public"})
    report = index_new(ws)
    assert report.indexed == [made.bundle_id]
    session = Session.objects.get(bundle_id=made.bundle_id)
    assert session.reference_code == made.code
    assert session.look == "child"
    assert session.age_band == "age_8_9"
    assert session.consent_adult_confirmed is True
    assert session.device_name == "library kiosk 1"
    assert session.kiosk_event is not None and session.kiosk_event.name == "Fun day"
    assert sorted(Priority.objects.values_list("item_id", flat=True)) == [
        "friendships", "nature_greenspaces"]
    videos = list(VideoAnswer.objects.order_by("number"))
    assert [v.blob_sha256 for v in videos] == made.video_shas
    assert {v.state for v in videos} == {VideoAnswer.TO_REVIEW}
    assert index_new(ws).indexed == []


def test_each_answer_is_indexed_with_its_kind_and_older_ones_are_videos(
    ws: Workspace, store: CouncilStore, mp4: bytes
) -> None:
    made = add_session(store, videos=[mp4, mp4, mp4], kinds=["voice", "video_blurred", "??"])
    older = add_session(store, videos=[mp4])
    index_new(ws)
    kinds = list(VideoAnswer.objects.filter(session__bundle_id=made.bundle_id)
                 .order_by("number").values_list("kind", flat=True))
    assert kinds == ["voice", "video_blurred", "video"]  # an unknown kind is not trusted
    assert VideoAnswer.objects.get(session__bundle_id=older.bundle_id).kind == "video"


@pytest.mark.parametrize("damage", ["payload", "missing", "altered", "foreign"])
def test_a_bad_bundle_is_set_aside_and_the_ones_after_it_are_indexed(
    ws: Workspace, store: CouncilStore, mp4: bytes, damage: str
) -> None:
    before = add_session(store, videos=[mp4])
    if damage == "payload":
        bad = add_session(store, encrypted_payload=b"not an age file")
    else:
        bad = add_session(store, videos=[mp4])
        path = store.blob_path(bad.video_shas[0])
        if damage == "missing":
            path.unlink()
        elif damage == "altered":
            data = bytearray(path.read_bytes())
            data[-5] ^= 1
            path.write_bytes(bytes(data))
        else:  # a receipt this council never signed
            row = store.storage.catalogue.get_bundle(bad.bundle_id)
            assert row is not None
            forged = {**json.loads(row.receipt_json),
                      "signature": base64.b64encode(os.urandom(64)).decode()}
            store.storage.catalogue._connection().execute(
                "UPDATE bundles SET receipt_json = ? WHERE id = ?",
                (json.dumps(forged), bad.bundle_id))
    after = add_session(store, videos=[mp4])
    report = index_new(ws)
    assert sorted(report.indexed) == sorted([before.bundle_id, after.bundle_id])
    assert [bundle for bundle, _ in report.set_aside] == [bad.bundle_id]
    aside = SetAside.objects.get()
    assert aside.bundle_id == bad.bundle_id and aside.reason
    # Set aside is remembered (not retried every pass) until the admin asks.
    assert index_new(ws).set_aside == []
    assert index_new(ws, retry_set_aside=True).set_aside[0][0] == bad.bundle_id
    assert SetAside.objects.get().tries == 2
