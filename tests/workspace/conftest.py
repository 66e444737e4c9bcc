"""Fixtures for the workspace's tests: a council store with sessions, the workspace on it
(with a clock the test moves), and signed-in staff of each role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from council.workspace import context
from council.workspace.accounts import add_user
from council.workspace.context import Workspace
from council.workspace.roles import TOTP_ROLES
from tests.helpers.workspace import CouncilStore, make_mp4, make_store

START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """The workspace's clock, moved by the test (retention is about days passing)."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def mp4() -> bytes:
    return make_mp4(3.0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CouncilStore]:
    made = make_store(tmp_path)
    yield made
    made.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ws(store: CouncilStore, clock: FakeClock, db: Any) -> Iterator[Workspace]:
    workspace = Workspace(keys_dir=store.keys_dir, store_dir=store.store_dir, clock=clock,
                          escrow_dirs=[store.root / "escrow"])
    context.use(workspace)
    yield workspace
    context.use(None)


StaffClient = Callable[[str], Client]


@pytest.fixture
def staff(ws: Workspace) -> StaffClient:
    """A signed-in test client for a new member of staff with ``role`` (two-factor passed
    for the roles that need it)."""
    made: dict[str, Client] = {}

    def sign_in(role: str) -> Client:
        if role in made:
            return made[role]
        user, _password = add_user(f"{role}-1", role, "test")
        client = Client()
        client.force_login(user)
        if role in TOTP_ROLES:
            device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        made[role] = client
        return client

    return sign_in
