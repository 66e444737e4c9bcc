"""The review queue: watch (Range streaming from the encrypted blob, nothing plaintext on
disk), decide, raise a concern for the lead only, and download only 'OK to use' clips."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse

from council.workspace.context import Workspace
from council.workspace.indexer import index_new
from council.workspace.models import AuditEntry, Concern, VideoAnswer
from tests.helpers.workspace import CouncilStore, add_session
from tests.workspace.conftest import StaffClient


def _body(answer: object) -> bytes:
    return b"".join(answer.streaming_content)  # type: ignore[attr-defined]


def test_the_player_streams_the_answer_and_seeks_with_range(
    ws: Workspace, store: CouncilStore, staff: StaffClient, mp4: bytes
) -> None:
    add_session(store, videos=[mp4])
    index_new(ws)
    video = VideoAnswer.objects.get()
    client = staff("reviewer")
    whole = client.get(reverse("workspace:video", args=[video.pk]))
    assert whole.status_code == 200
    assert whole["Content-Type"] == "video/mp4"
    assert whole["Cache-Control"] == "no-store, private"
    assert _body(whole) == mp4
    middle = len(mp4) // 2
    part = client.get(reverse("workspace:video", args=[video.pk]),
                      HTTP_RANGE=f"bytes={middle}-{middle + 99}")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes {middle}-{middle + 99}/{len(mp4)}"
    assert _body(part) == mp4[middle:middle + 100]
    tail = client.get(reverse("workspace:video", args=[video.pk]), HTTP_RANGE="bytes=-10")
    assert _body(tail) == mp4[-10:]
    refused = client.get(reverse("workspace:video", args=[video.pk]),
                         HTTP_RANGE=f"bytes={len(mp4)}-")
    assert refused.status_code == 416
    assert refused["Content-Range"] == f"bytes */{len(mp4)}"
    assert AuditEntry.objects.filter(action="watch").count() == 1  # seeks are not 'watch'


def test_no_plaintext_video_is_written_anywhere_under_the_store(
    ws: Workspace, store: CouncilStore, staff: StaffClient, mp4: bytes, tmp_path: Path
) -> None:
    add_session(store, videos=[mp4])
    index_new(ws)
    video = VideoAnswer.objects.get()
    _body(staff("reviewer").get(reverse("workspace:video", args=[video.pk])))
    marker = mp4[100:164]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path


def test_a_concern_needs_a_note_reaches_the_lead_and_is_hidden_from_analysts(
    ws: Workspace, store: CouncilStore, staff: StaffClient, mp4: bytes
) -> None:
    add_session(store, videos=[mp4])
    index_new(ws)
    video = VideoAnswer.objects.get()
    reviewer = staff("reviewer")
    url = reverse("workspace:decide", args=[video.pk])
    reviewer.post(url, {"state": VideoAnswer.CONCERN, "note": " "})
    assert VideoAnswer.objects.get().state == VideoAnswer.TO_REVIEW
    reviewer.post(url, {"state": VideoAnswer.CONCERN, "note": "She says she is scared at home"})
    assert VideoAnswer.objects.get().state == VideoAnswer.CONCERN
    lead_page = staff("safeguarding-lead").get(reverse("workspace:concerns")).content.decode()
    assert "She says she is scared at home" in lead_page
    analyst = staff("analyst")
    assert analyst.get(reverse("workspace:concerns")).status_code == 403
    assert analyst.get(reverse("workspace:answer", args=[video.pk])).status_code == 403
    assert "scared" not in analyst.get(reverse("workspace:dashboard")).content.decode()
    # Only the lead changes an answer with a concern, and records what was done.
    assert reviewer.post(url, {"state": VideoAnswer.OK}).status_code == 403
    concern = Concern.objects.get()
    staff("safeguarding-lead").post(reverse("workspace:concern-action", args=[concern.pk]),
                                    {"action": "Referred to the school's DSL"})
    assert Concern.objects.get().action == "Referred to the school's DSL"


def test_only_ok_to_use_answers_download_as_a_clip(
    ws: Workspace, store: CouncilStore, staff: StaffClient, mp4: bytes
) -> None:
    add_session(store, videos=[mp4])
    index_new(ws)
    video = VideoAnswer.objects.get()
    reviewer = staff("reviewer")
    clip = reverse("workspace:clip", args=[video.pk])
    assert reviewer.get(clip).status_code == 403
    reviewer.post(reverse("workspace:decide", args=[video.pk]), {"state": "not_for_publication"})
    assert reviewer.get(clip).status_code == 403
    reviewer.post(reverse("workspace:decide", args=[video.pk]), {"state": "ok"})
    answer = reviewer.get(clip)
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment")
    assert _body(answer) == mp4
    assert list(AuditEntry.objects.filter(action__in=["decide", "download"]).order_by("seq")
                .values_list("action", flat=True)) == ["decide", "decide", "download"]


def test_the_answer_page_shows_consent_prompt_look_event_and_priorities(
    ws: Workspace, store: CouncilStore, staff: StaffClient, mp4: bytes
) -> None:
    add_session(store, videos=[mp4], event={"id": "ev-x", "name": "Bramhall fun day",
                                            "kind": "public"})
    index_new(ws)
    video = VideoAnswer.objects.get()
    page = staff("reviewer").get(reverse("workspace:answer", args=[video.pk])).content.decode()
    for words in ("What do you love about Stockport?", "Child", "Bramhall fun day",
                  "Later, they will delete it.", "A teacher or parent has said yes", "confirmed",
                  "Nature &amp; greenspaces", "8 or 9"):
        assert words in page, words


def test_a_consent_given_in_urdu_is_shown_in_the_urdu_the_person_read(
    ws: Workspace, store: CouncilStore, staff: StaffClient, mp4: bytes
) -> None:
    assert ws.pack is not None
    urdu = ws.pack.in_language("ur").consent_for("child")
    add_session(store, videos=[mp4], consent_text=urdu.text)
    index_new(ws)
    video = VideoAnswer.objects.get()
    page = staff("reviewer").get(reverse("workspace:answer", args=[video.pk])).content.decode()
    assert urdu.text.splitlines()[1].split(" ", 1)[1] in page
