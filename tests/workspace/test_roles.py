"""Role × route: every page and file refuses (403) each role that must not see it.

The allowed roles are written out here, apart from roles.py, so a wrong permission in
either place fails this test."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from council.workspace.context import Workspace
from council.workspace.indexer import index_new
from council.workspace.models import Concern, PurgeRun, VideoAnswer
from council.workspace.removal import purge
from tests.helpers.workspace import CouncilStore, add_session
from tests.workspace.conftest import StaffClient

R, L, AN, AD = "reviewer", "safeguarding-lead", "analyst", "admin"
ROLES = (R, L, AN, AD)

# (route name, what its id names, method)
ROUTES: list[tuple[str, list[Any], str]] = [
    ("workspace:answers", [], "get"),
    ("workspace:answer", [1], "get"),
    ("workspace:video", [1], "get"),
    ("workspace:decide", [1], "post"),
    ("workspace:clip", [1], "get"),
    ("workspace:hold", [1], "post"),
    ("workspace:concerns", [], "get"),
    ("workspace:concern-action", [1], "post"),
    ("workspace:withdraw", [], "get"),
    ("workspace:dashboard", [], "get"),
    ("workspace:export", [], "get"),
    ("workspace:events", [], "get"),
    ("workspace:merge-event", [], "post"),
    ("workspace:retention", [], "get"),
    ("workspace:purge", [1], "get"),
    ("workspace:staff", [], "get"),
    ("workspace:staff-change", [1], "post"),
    ("workspace:devices", [], "get"),
    ("workspace:set-aside", [], "get"),
    ("workspace:audit", [], "get"),
]

ALLOWED = {
    "workspace:answers": {R, L, AD},
    "workspace:answer": {R, L, AD},
    "workspace:video": {R, L},
    "workspace:decide": {R, L},
    "workspace:clip": {R, L},
    "workspace:hold": {AD},
    "workspace:concerns": {L},
    "workspace:concern-action": {L},
    "workspace:withdraw": {R, L, AD},
    "workspace:dashboard": {R, L, AN, AD},
    "workspace:export": {AN, AD},
    "workspace:events": {AD},
    "workspace:merge-event": {AD},
    "workspace:retention": {AD},
    "workspace:purge": {AD},
    "workspace:staff": {AD},
    "workspace:staff-change": {AD},
    "workspace:devices": {AD},
    "workspace:set-aside": {AD},
    "workspace:audit": {AD},
}


def test_every_route_is_in_the_table() -> None:
    from council.workspace.urls import urlpatterns

    named = {f"workspace:{p.name}" for p in urlpatterns} - {
        "workspace:home", "workspace:sign-in", "workspace:sign-out", "workspace:two-factor"}
    assert named == {name for name, _, _ in ROUTES} == set(ALLOWED)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages_and_files(
    role: str, ws: Workspace, store: CouncilStore, staff: StaffClient, mp4: bytes
) -> None:
    add_session(store, videos=[mp4])
    index_new(ws)
    video = VideoAnswer.objects.get()
    video.state = VideoAnswer.OK
    video.save()
    concern = Concern.objects.create(video=video, note="n", raised_by="x")
    run = purge(ws, "test", dry_run=True)
    dummy = User.objects.create_user("dummy", password="x" * 20)
    ids = {"workspace:concern-action": concern.pk, "workspace:purge": run.pk,
           "workspace:staff-change": dummy.pk}
    client = staff(role)
    for name, args, method in ROUTES:
        real_args = [ids.get(name, video.pk)] if args else []
        url = reverse(name, args=real_args)
        answer = getattr(client, method)(url)
        if role in ALLOWED[name]:
            assert answer.status_code != 403, f"{role} refused {name}"
            assert answer.status_code < 500, f"{role} broke {name}"
        else:
            assert answer.status_code == 403, f"{role} reached {name} ({answer.status_code})"
    assert PurgeRun.objects.count() >= 1
