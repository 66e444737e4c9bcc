"""The kiosk's side of the council's messages: the events list taken only when the council
signed it, and withdrawals of sent bundles forwarded until the council signs for them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytestqt.qtbot import QtBot
from starlette.middleware import Middleware

from booth.settings import Settings
from booth.store import StoreError
from booth.sync import seal
from booth.sync.errors import NeedsOfficer
from booth.sync.qt import UP_TO_DATE, SyncController
from booth.sync.uploader import UploaderOptions
from booth.wire.messages import sign_event_list
from tests.helpers.council import CouncilServer, running_council
from tests.helpers.sync import Fault, FaultInjector, Kiosk, enrolled_kiosk, finished_session

FESTIVAL = {"id": "ev-0123456789abcdef", "name": "Bramhall Festival", "venue": "Bramhall Park",
            "date": "2026-07-04", "kind": "public"}
FORUM = {"id": "ev-fedcba9876543210", "name": "Youth forum", "venue": "Town hall",
         "date": "2026-07-11", "kind": "forum"}


@pytest.fixture
def faults() -> list[Fault]:
    return []


@pytest.fixture
def server(tmp_path: Path, faults: list[Fault]) -> Iterator[CouncilServer]:
    injector = Middleware(FaultInjector, faults=faults)
    with running_council(tmp_path / "council", middleware=[injector]) as running:
        yield running


@pytest.fixture
def kiosk(settings: Settings, server: CouncilServer) -> Iterator[Kiosk]:
    with enrolled_kiosk(settings.paths, server) as made:
        yield made


def _publish(server: CouncilServer, events: list[dict[str, str]], issued_at: str,
             key: Ed25519PrivateKey | None = None) -> None:
    signed = sign_event_list(events, issued_at, key or server.keys.signing_key)
    target = server.store_dir / "events" / "current.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(signed), encoding="utf-8")


def test_the_kiosk_keeps_only_a_list_the_council_signed_and_never_an_older_one(
    kiosk: Kiosk, server: CouncilServer
) -> None:
    _publish(server, [FESTIVAL, FORUM], "2026-06-02T10:00:00+00:00")
    assert kiosk.uploader().run().messages.events == 2  # type: ignore[union-attr]
    assert [e.name for e in kiosk.store.council_events()] == ["Bramhall Festival", "Youth forum"]
    # Signed by some other key (an impostor, or a workspace on the wrong keys): left aside.
    _publish(server, [FORUM], "2026-06-03T10:00:00+00:00", Ed25519PrivateKey.generate())
    assert kiosk.uploader().run().messages.events is None  # type: ignore[union-attr]
    # Signed, but issued before the list held (an old list sent again): left aside too.
    _publish(server, [FORUM], "2026-06-01T10:00:00+00:00")
    assert kiosk.uploader().run().messages.events is None  # type: ignore[union-attr]
    assert len(kiosk.store.council_events()) == 2
    # A newer one replaces it; the day is all the kiosk keeps of when it was issued.
    _publish(server, [FORUM], "2026-06-04T09:30:00+00:00")
    assert kiosk.uploader().run().messages.events == 1  # type: ignore[union-attr]
    assert [e.id for e in kiosk.store.council_events()] == [FORUM["id"]]
    assert kiosk.store.device_meta_get("council_events_issued_on") == "2026-06-04"


def test_an_event_started_from_the_list_gives_its_answers_the_councils_id(
    kiosk: Kiosk, server: CouncilServer
) -> None:
    from council.decrypt import read_payload

    _publish(server, [FESTIVAL], "2026-06-02T10:00:00+00:00")
    kiosk.uploader().run()
    event = kiosk.store.start_council_event(FESTIVAL["id"], "adult", False)
    assert (event.name, event.kind, event.default_look) == ("Bramhall Festival", "public",
                                                            "adult")
    bundle_id, _ = kiosk.seal_one(videos=0)
    kiosk.uploader().run()
    stored = server.bundle(bundle_id)
    assert stored is not None
    payload = read_payload(server.storage, stored, server.keys.ingest_identities())
    assert payload["event"] == {"id": event.id, "name": "Bramhall Festival", "kind": "public",
                                "council_event_id": FESTIVAL["id"]}
    with pytest.raises(StoreError, match="not on the council's list"):
        kiosk.store.start_council_event("ev-not-listed-000", "adult", False)


def test_withdrawals_are_sent_again_until_the_council_signs_for_them(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    session_code = _finish_and_deliver(kiosk)
    bundle_id = kiosk.store.withdraw(session_code).bundles_sent[0]
    # Not received there yet (a stick still on its way): it stays to forward.
    faults.append(Fault("PUT", "/api/v1/withdrawals/", "body", status=404,
                        body=b'{"error": "no_bundle", "detail": "not yet"}'))
    assert kiosk.uploader().run().messages.withdrawals_forwarded == []  # type: ignore[union-attr]
    assert [b for b, _ in kiosk.store.withdrawals_to_forward()] == [bundle_id]
    # A Wi-Fi sign-in page answering 200 is not the council's receipt: tried again.
    faults.append(Fault("PUT", "/api/v1/withdrawals/", "html"))
    report = kiosk.uploader().run()
    assert report.retries == 1
    assert report.messages is not None and report.messages.withdrawals_forwarded == [bundle_id]
    assert kiosk.store.withdrawals_to_forward() == []
    assert any(e.officer_action == "withdrawal_forwarded" for e in kiosk.store.audit_log())


def test_a_withdrawal_the_council_refuses_is_for_the_officer(
    kiosk: Kiosk, server: CouncilServer, faults: list[Fault]
) -> None:
    kiosk.store.withdraw(_finish_and_deliver(kiosk))
    faults.append(Fault("PUT", "/api/v1/withdrawals/", "body", status=400,
                        body=b'{"error": "bad_signature", "detail": "does not verify"}'))
    with pytest.raises(NeedsOfficer, match=r"refused the withdrawal.*does not verify"):
        kiosk.uploader().run()
    assert len(kiosk.store.withdrawals_to_forward()) == 1


def test_the_background_sync_fetches_the_list_with_nothing_to_send(
    kiosk: Kiosk, server: CouncilServer, settings: Settings, qtbot: QtBot
) -> None:
    _publish(server, [FESTIVAL], "2026-06-02T10:00:00+00:00")
    controller = SyncController(kiosk.store, settings, kiosk.device,
                                options=UploaderOptions(timeout=5))
    try:
        with qtbot.waitSignal(controller.stateChanged, timeout=20_000,
                              check_params_cb=lambda s: s == UP_TO_DATE):
            controller.start_background(60.0)
    finally:
        controller.shutdown()
    assert [e.id for e in kiosk.store.council_events()] == [FESTIVAL["id"]]


def _finish_and_deliver(kiosk: Kiosk) -> str:
    """A session delivered and forgotten; returns its reference code (the parent's copy)."""
    session_id, _ = finished_session(kiosk.store, kiosk.credential.recipients, videos=1)
    session = kiosk.store.get_session(session_id)
    assert session is not None and session.reference_code is not None
    seal.seal_session(kiosk.store, kiosk.paths, kiosk.device, kiosk.credential, session_id)
    assert kiosk.uploader().run().committed
    assert kiosk.store.get_session(session_id) is None  # forgotten: only the hash remains
    return session.reference_code
