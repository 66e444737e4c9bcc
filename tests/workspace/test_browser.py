"""The workspace in a real Chromium (Debian's package, driven by Playwright): sign in,
review a child's answer with the video seen playing, raise a concern the lead sees and an
analyst does not, withdraw by code, purge with an injected clock, and the dashboard's
charts drawn. The last test visits every page and saves a screenshot of it.

``booth-council workspace`` runs in its own process, as a council runs it."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.council import free_port
from tests.helpers.workspace import CouncilStore, MadeSession, add_session, make_mp4, make_store

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless, as root in CI, with a fresh profile and nothing fetched from outside.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required",
]
ROLES = ("reviewer", "safeguarding-lead", "analyst", "admin")


@dataclass
class Running:
    url: str
    store: CouncilStore
    where: list[str]
    passwords: dict[str, str]
    sessions: dict[str, MadeSession]
    secrets: dict[str, bytes] = field(default_factory=dict)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BOOTH_WORKSPACE_", "DJANGO_", "DATABASE_URL"))}
    return {**env, "PYTHONPATH": str(Path.cwd())}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "council.cli", *args], env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed (scripts/setup.sh installs Debian's chromium)")
    root = tmp_path_factory.mktemp("browser")
    store = make_store(root)
    video = make_mp4(8.0, size=(640, 360))
    now = datetime.now(UTC)
    festival = {"id": "local-fest", "name": "Bramhall Festival", "kind": "public"}
    sessions = {
        "child": add_session(store, videos=[video], event=festival,
                             received_at=now - timedelta(days=3)),
        "concern": add_session(store, videos=[video], event=festival,
                               received_at=now - timedelta(days=2)),
        "withdraw": add_session(store, look="adult", prompt_id="love", videos=[video],
                                priorities={"adults": ["getting_online"]},
                                about={"age_band": "age_35_44", "area": "Heatons"},
                                received_at=now - timedelta(days=1)),
        "old": add_session(store, look="older", prompt_id="grow_older", videos=[video],
                           priorities={"age_friendly": ["all_age_friendly"]},
                           about={"older_age": "age_70_74", "area": "Marple"},
                           received_at=now - timedelta(days=20)),
    }
    ticks = {"adults": ["local_businesses", "parks_open_spaces", "getting_online"],
             "age_friendly": ["simple_ways_to_have_a_say", "all_age_friendly"],
             "children": ["be_kind", "friendships", "more_trees_plants"]}
    for n in range(12):
        chosen = ("adults", "age_friendly", "children")[n % 3]
        add_session(store, look=("adult", "older", "child")[n % 3],
                    priorities={chosen: ticks[chosen][: 1 + n % 3]},
                    about={"area": ("Marple", "Cheadle", "Reddish", "Bramhall")[n % 4],
                           "age_band": "age_45_54"} if n % 3 != 2 else {"child_age": "age_10_11"},
                    received_at=now - timedelta(days=4 + n // 2))
    add_session(store, encrypted_payload=b"damaged in transit")
    where = ["--keys", str(store.keys_dir), "--store", str(store.store_dir)]
    passwords = {}
    for role in ROLES:
        added = _cli("user", "add", role.replace("safeguarding-", ""), "--role", role, *where)
        passwords[role] = added.stdout.split("privately): ")[1].split()[0]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "council.cli", "workspace", *where, "--port", str(port),
         "--index-every", "1"], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url + "/sign-in")
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the workspace did not start"
            time.sleep(0.2)
    try:
        yield Running(url=url, store=store, where=where, passwords=passwords, sessions=sessions)
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
        store.close()
    assert "Traceback" not in err, err[-3000:]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Staff:
    """One member of staff in their own browser context, collecting console errors
    (a CSP violation shows there)."""

    def __init__(self, browser: Any, running: Running, role: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text)
                     if m.type == "error" else None)
        self.running = running
        self.role = role

    def go(self, path: str) -> Any:
        return self.page.goto(self.running.url + path)

    def sign_in(self) -> Staff:
        from django_otp.oath import totp

        name = self.role.replace("safeguarding-", "")
        self.go("/sign-in")
        self.page.fill("#id_username", name)
        self.page.fill("#id_password", self.running.passwords[self.role])
        with self.page.expect_navigation():
            self.page.click("main button[type=submit]")
        if "/two-factor" in self.page.url:
            secret = self.running.secrets.get(self.role)
            if secret is None:
                text = self.page.inner_text("#totp-secret")
                secret = base64.b32decode(text + "=" * (-len(text) % 8))
                self.running.secrets[self.role] = secret
            self.page.fill("#id_token", f"{totp(secret):06d}")
            with self.page.expect_navigation():
                self.page.click("main button[type=submit]")
        assert "/sign-in" not in self.page.url and "/two-factor" not in self.page.url
        return self

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def as_role(browser: Any, running: Running) -> Iterator[Any]:
    """Each role signs in once (an authenticator code is good for one sign-in only) and
    keeps its browser context for the module's tests."""
    opened: dict[str, Staff] = {}

    def make(role: str) -> Staff:
        if role not in opened:
            opened[role] = Staff(browser, running, role).sign_in()
        return opened[role]

    yield make
    for staff in opened.values():
        assert not [e for e in staff.errors if "Content Security Policy" in e], staff.errors
        staff.close()


def test_a_reviewer_signs_in_and_watches_a_childs_answer_play(as_role: Any) -> None:
    reviewer = as_role("reviewer")
    reviewer.go("/answers/")
    assert reviewer.page.locator("#answers tbody tr").count() == 4
    reviewer.page.select_option("#look", "child")
    with reviewer.page.expect_navigation():
        reviewer.page.click("form.workspace-filters button")
    reviewer.page.click("#answers tbody tr:first-child a")
    page = reviewer.page
    assert "What do you love about Stockport?" in page.inner_text("h1")
    assert "A teacher or parent has said yes" in page.inner_text("main")
    page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; "
                  "v.play(); }")
    page.wait_for_function("() => document.getElementById('player').currentTime > 1.0",
                           timeout=20000)
    # Seek to the middle: the browser asks for a Range and playback goes on from there.
    page.evaluate("() => { const v = document.getElementById('player'); v.currentTime = 5; }")
    page.wait_for_function("() => document.getElementById('player').currentTime > 5.3",
                           timeout=20000)
    page.check("input[value=ok]")
    with page.expect_navigation():
        page.click("#decision button[type=submit]")
    assert "OK to use" in page.inner_text("main")


def test_a_concern_reaches_the_lead_and_not_an_analyst(as_role: Any, running: Running) -> None:
    reviewer = as_role("reviewer")
    reviewer.go("/answers/?look=child")
    reviewer.page.click("#answers tbody tr:first-child a")
    reviewer.page.check("input[value=concern]")
    reviewer.page.fill("#id_note", "Talks about being hurt at home; please follow up")
    with reviewer.page.expect_navigation():
        reviewer.page.click("#decision button[type=submit]")
    lead = as_role("safeguarding-lead")
    lead.go("/safeguarding/")
    assert "Talks about being hurt at home" in lead.page.inner_text("main")
    lead.page.fill("textarea[name=action]", "Passed to the school's safeguarding lead")
    with lead.page.expect_navigation():
        lead.page.click("main form button[type=submit]")
    assert "The action was recorded" in lead.page.inner_text("main")
    analyst = as_role("analyst")
    assert analyst.go("/safeguarding/").status == 403
    analyst.go("/dashboard/")
    assert "hurt at home" not in analyst.page.content()
    exported = analyst.page.request.get(running.url + "/dashboard/priorities.csv").text()
    assert "hurt at home" not in exported
    assert "Safeguarding" not in analyst.page.inner_text("nav")


def test_withdrawing_by_code_removes_the_answer_everywhere(as_role: Any,
                                                           running: Running) -> None:
    made = running.sessions["withdraw"]
    analyst = as_role("analyst")
    analyst.go("/dashboard/")
    before = int(analyst.page.inner_text("#stat-sessions"))
    csv_before = analyst.page.request.get(running.url + "/dashboard/priorities.csv").text()
    assert made.bundle_id in csv_before

    reviewer = as_role("reviewer")
    reviewer.go("/withdraw/")
    reviewer.page.fill("#id_code", f"{made.code[:3]}-{made.code[3:]}")
    with reviewer.page.expect_navigation():
        reviewer.page.click("#withdraw-form button[type=submit]")
    assert f"The answer with code {made.code} was withdrawn" in reviewer.page.inner_text("main")
    assert made.code in reviewer.page.inner_text("#withdrawals")

    for sha in [made.payload_sha256, *made.video_shas]:
        assert not running.store.blob_path(sha).exists()
    reviewer.go("/answers/?state=all")
    assert reviewer.page.locator("#answers tbody tr").count() == 3  # 4 videos less one
    analyst.go("/dashboard/")
    assert int(analyst.page.inner_text("#stat-sessions")) == before - 1
    assert "Heatons" not in analyst.page.inner_text("#filters")
    csv_after = analyst.page.request.get(running.url + "/dashboard/priorities.csv").text()
    assert made.bundle_id not in csv_after


def test_a_purge_with_an_injected_clock_leaves_evidence(as_role: Any, running: Running) -> None:
    made = running.sessions["old"]
    later = (datetime.now(UTC) + timedelta(days=170)).isoformat()
    done = _cli("purge", "--now", later, *running.where)
    assert "deleted 1 video(s)" in done.stdout
    assert not running.store.blob_path(made.video_shas[0]).exists()
    admin = as_role("admin")
    admin.go("/retention/")
    with admin.page.expect_navigation():
        admin.page.click("#purges a >> nth=0")
    assert admin.page.inner_text("#purged-count") == "1 video"
    assert made.video_shas[0] in admin.page.inner_text("#evidence")


def test_the_dashboard_draws_its_charts(as_role: Any) -> None:
    analyst = as_role("analyst")
    analyst.go("/dashboard/")
    analyst.page.wait_for_selector("body[data-charts-drawn='5']", timeout=10000)
    painted = analyst.page.evaluate(
        "() => { const c = document.getElementById('chart-priorities');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }")
    assert painted > 1000


def test_every_page_renders_for_its_role_and_is_photographed(
    as_role: Any, browser: Any, running: Running
) -> None:
    target = Path(os.environ.get("WORKSPACE_SCREENSHOTS", "") or running.store.root / "shots")
    target.mkdir(parents=True, exist_ok=True)
    pages: dict[str, list[tuple[str, str | None]]] = {
        "reviewer": [("answers", "/answers/?state=all"), ("answer", None)],
        "safeguarding-lead": [("safeguarding", "/safeguarding/?show=all")],
        "analyst": [("dashboard", "/dashboard/")],
        "admin": [("withdraw", "/withdraw/"), ("events", "/events/"),
                  ("retention", "/retention/"), ("kiosks", "/kiosks/"),
                  ("set_aside", "/set-aside/"), ("audit", "/audit/?verify=1")],
    }
    # The admin adds the council's event and merges the kiosks' own name for it.
    admin = as_role("admin")
    admin.go("/events/")
    admin.page.fill("#id_name", "Bramhall Festival")
    admin.page.fill("#id_venue", "Bramhall Park")
    admin.page.fill("#id_date", "2026-11-28")
    admin.page.select_option("#id_kind", "public")
    with admin.page.expect_navigation():
        admin.page.click("#event-form button[type=submit]")
    with admin.page.expect_navigation():
        admin.page.click("form.workspace-merge button[type=submit]")
    assert "now counts as" in admin.page.inner_text("main")
    assert (running.store.store_dir / "events" / "current.json").is_file()
    for role, wanted in pages.items():
        staff = as_role(role)
        for name, path in wanted:
            if path is None:
                staff.go("/answers/?state=ok")
                path = str(staff.page.get_attribute("#answers tbody tr:first-child a", "href"))
            answer = staff.go(path)
            assert answer.status == 200, (role, path)
            if name == "dashboard":
                staff.page.wait_for_selector("body[data-charts-drawn='5']")
            if name == "answer":
                staff.page.wait_for_function(
                    "() => document.getElementById('player').readyState >= 2")
            if name == "audit":
                assert "entries are intact" in staff.page.inner_text("main")
            staff.page.screenshot(path=str(target / f"workspace_{name}.png"), full_page=True)
    # The admin makes a new account; its first sign-in sets up the authenticator app.
    admin.go("/staff/")
    admin.page.fill("#id_username", "new.reviewer")
    admin.page.select_option("#id_role", "reviewer")
    with admin.page.expect_navigation():
        admin.page.click("#staff-form button[type=submit]")
    password = admin.page.inner_text("#new-password")
    admin.page.screenshot(path=str(target / "workspace_staff.png"), full_page=True)
    newcomer = Staff(browser, running, "reviewer")
    newcomer.go("/sign-in")
    newcomer.page.screenshot(path=str(target / "workspace_sign_in.png"), full_page=True)
    newcomer.page.fill("#id_username", "new.reviewer")
    newcomer.page.fill("#id_password", password)
    with newcomer.page.expect_navigation():
        newcomer.page.click("main button[type=submit]")
    assert newcomer.page.locator("#totp-secret").count() == 1
    newcomer.page.screenshot(path=str(target / "workspace_two_factor.png"), full_page=True)
    newcomer.close()
    shots = sorted(p.name for p in target.glob("workspace_*.png"))
    assert len(shots) == 13, shots
