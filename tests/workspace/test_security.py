"""What a council's IT team expects: nothing for a stranger but the sign-in page, throttled
sign-in, two-factor for video roles, a strict CSP, careful cookies, and clean 4xx answers."""

from __future__ import annotations

import base64
import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp

from council.workspace.accounts import add_user
from council.workspace.context import Workspace
from council.workspace.indexer import index_new
from council.workspace.models import AuditEntry
from tests.helpers.workspace import CouncilStore, add_session
from tests.workspace.conftest import StaffClient
from tests.workspace.test_roles import ROUTES


def test_a_stranger_gets_only_the_sign_in_page_and_its_assets(ws: Workspace) -> None:
    client = Client()
    for name, args, _method in ROUTES:
        answer = client.get(reverse(name, args=args))
        assert answer.status_code == 302, name
        assert answer["Location"] == "/sign-in"
    assert client.get("/sign-in").status_code == 200
    asset = client.get("/static/workspace/dashboard.js")
    assert asset.status_code == 200
    asset.close()
    assert client.get("/favicon.ico").status_code == 302


def test_pages_carry_a_csp_with_no_inline_script_and_no_outside_source(
    staff: StaffClient
) -> None:
    answer = staff("analyst").get(reverse("workspace:dashboard"))
    policy = answer["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert "<script>" not in answer.content.decode()
    assert answer["X-Frame-Options"] == "DENY"


def test_cookies_are_httponly_samesite_and_secure_under_tls(ws: Workspace) -> None:
    _user, password = add_user("nina", "analyst", "test")
    client = Client()
    cookie = client.get("/sign-in").cookies["csrftoken"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert not cookie["secure"]
    session = client.post("/sign-in", {"username": "nina", "password": password}
                          ).cookies["workspace_session"]
    assert session["httponly"] and session["samesite"] == "Strict"
    # The command sets these when it serves TLS (BOOTH_WORKSPACE_TLS=1).
    with override_settings(CSRF_COOKIE_SECURE=True, SESSION_COOKIE_SECURE=True):
        assert Client().get("/sign-in").cookies["csrftoken"]["secure"]


def test_sign_in_needs_the_app_code_for_video_roles_and_is_throttled(ws: Workspace) -> None:
    _user, password = add_user("rita", "reviewer", "test")
    client = Client()
    answer = client.post("/sign-in", {"username": "rita", "password": password})
    assert answer.status_code == 302
    assert client.get(reverse("workspace:answers"))["Location"] == "/two-factor"
    page = client.get("/two-factor").content.decode()
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert client.post("/two-factor", {"token": "000000"}).status_code == 400
    time.sleep(1.1)  # django-otp makes a wrong code wait before the next try
    assert client.post("/two-factor", {"token": f"{totp(key):06d}"}).status_code == 302
    assert client.get(reverse("workspace:answers")).status_code == 200
    assert AuditEntry.objects.filter(action="sign-in", actor="rita").exists()

    stranger = Client()
    for _ in range(4):
        assert stranger.post("/sign-in", {"username": "rita", "password": "wrong"}
                             ).status_code == 200
    # The fifth wrong password locks the name from this address; the right one then fails.
    assert stranger.post("/sign-in", {"username": "rita", "password": "wrong"}
                         ).status_code == 429
    locked = stranger.post("/sign-in", {"username": "rita", "password": password})
    assert locked.status_code == 429
    assert AuditEntry.objects.filter(action="sign-in-failed").count() >= 5


def test_an_analyst_signs_in_with_a_password_alone(ws: Workspace) -> None:
    _user, password = add_user("anna", "analyst", "test")
    client = Client()
    client.post("/sign-in", {"username": "anna", "password": password})
    assert client.get(reverse("workspace:dashboard")).status_code == 200


@pytest.mark.parametrize("path", [
    "/answers/999999/", "/answers/abc/", "/answers/-1/", "/static/../settings.py",
    "/static/%2e%2e/%2e%2e/etc/passwd", "/answers/1/video/../../../etc/passwd",
])
def test_bad_ids_and_path_traversal_get_a_clean_404(staff: StaffClient, path: str) -> None:
    answer = staff("reviewer").get(path)
    assert answer.status_code == 404
    assert b"Traceback" not in answer.content


def test_oversized_forms_and_posts_without_csrf_are_refused(
    ws: Workspace, store: CouncilStore, staff: StaffClient, mp4: bytes
) -> None:
    add_session(store, videos=[mp4])
    index_new(ws)
    reviewer = staff("reviewer")
    big = reviewer.post(reverse("workspace:withdraw"), {"code": "A" * 100_000})
    assert big.status_code == 400
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = reviewer.cookies
    refused = strict.post(reverse("workspace:decide", args=[1]), {"state": "ok"})
    assert refused.status_code == 403
    assert reviewer.get(reverse("workspace:decide", args=[1])).status_code == 405


def test_a_post_without_csrf_gets_the_workspaces_own_page(staff: StaffClient) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = staff("admin").cookies
    answer = strict.post(reverse("workspace:events"), {"name": "x"})
    assert answer.status_code == 403
    assert b"That form had expired" in answer.content
