"""The officer PIN's guard on a real store: no default PIN, a lock-out that survives a
restart, the council's PIN from the credential, and every try audited."""

from __future__ import annotations

from pathlib import Path

from booth.settings import Paths, resolve_paths
from booth.store import Store
from booth.ui.officer import DEMO_PIN, LOCK_SECONDS, MAX_WRONG, PIN_META_KEY, PinGuard
from booth.wire.pin import hash_pin
from tests.helpers.clock import FakeClock

GOOD_PIN = "394817"


def make_paths(tmp_path: Path) -> Paths:
    paths = resolve_paths(tmp_path / "data")
    paths.create()
    return paths


def _actions(store: Store) -> list[str]:
    return [entry.officer_action for entry in store.audit_log()]


def test_a_real_booth_has_no_pin_until_one_is_set(tmp_path: Path) -> None:
    with Store.open(make_paths(tmp_path)) as store:
        guard = PinGuard(store, FakeClock())
        assert not guard.has_pin
        assert not guard.check(DEMO_PIN) and not guard.check("")
        guard.set_pin(GOOD_PIN, GOOD_PIN)
        assert guard.has_pin and guard.check(GOOD_PIN)
        assert "1234" not in (store.device_meta_get(PIN_META_KEY) or "")


def test_only_the_demo_has_the_demo_pin_and_an_old_default_stops_working(
    tmp_path: Path
) -> None:
    with Store.open(make_paths(tmp_path)) as store:
        assert PinGuard(store, FakeClock(), demo=True).check(DEMO_PIN)
        # A booth from before the first-run setup was given the demo PIN: no more.
        guard = PinGuard(store, FakeClock())
        assert not guard.has_pin and not guard.check(DEMO_PIN)
        assert "demo_pin_removed" in _actions(store)


def test_lockout_survives_a_restart(tmp_path: Path) -> None:
    paths = make_paths(tmp_path)
    clock = FakeClock()
    with Store.open(paths, clock) as store:
        PinGuard(store, clock).set_pin(GOOD_PIN)
        guard = PinGuard(store, clock)
        for _ in range(MAX_WRONG - 2):
            assert not guard.check("000001")
    # Turned off and on: the count goes on from where it was, and locks at five.
    clock.advance(30)
    with Store.open(paths, clock) as store:
        guard = PinGuard(store, clock)
        assert guard.wrong_attempts == MAX_WRONG - 2
        assert not guard.check("000001") and guard.locked_for() == 0
        assert not guard.check("000001")
        assert guard.locked_for() == LOCK_SECONDS
    clock.advance(60)
    with Store.open(paths, clock) as store:
        guard = PinGuard(store, clock)
        assert guard.locked_for() == LOCK_SECONDS - 60
        assert not guard.check(GOOD_PIN)  # even the right PIN, while locked
        clock.advance(LOCK_SECONDS - 60)
        assert guard.locked_for() == 0
        assert guard.check(GOOD_PIN)
        actions = _actions(store)
    assert actions.count("wrong_pin") == MAX_WRONG
    assert {"pin_lockout", "pin_refused_locked", "unlock"} <= set(actions)


def test_a_clock_set_back_cannot_lengthen_the_lock(tmp_path: Path) -> None:
    paths = make_paths(tmp_path)
    clock = FakeClock()
    with Store.open(paths, clock) as store:
        guard = PinGuard(store, clock)
        guard.set_pin(GOOD_PIN)
        for _ in range(MAX_WRONG):
            guard.check("000001")
        # A lock written far into the future (a clock that was wrong) is capped.
        store.device_meta_set("officer_pin_locked_until", "2099-01-01T00:00:00+00:00")
    with Store.open(paths, clock) as store:
        assert PinGuard(store, clock).locked_for() == LOCK_SECONDS


def test_the_councils_pin_from_the_credential_opens_the_pad_until_one_is_set_here(
    tmp_path: Path
) -> None:
    council = hash_pin(GOOD_PIN)
    with Store.open(make_paths(tmp_path)) as store:
        guard = PinGuard(store, FakeClock(), council_hash=lambda: council)
        assert guard.has_pin and guard.pin_from_council
        assert guard.check(GOOD_PIN)
        guard.set_pin("7260493", "7260493")
        assert not guard.pin_from_council
        assert guard.check("7260493") and not guard.check(GOOD_PIN)
