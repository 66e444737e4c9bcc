"""The officer PIN's guard: checks PINs against the stored hash, locks the pad after five
wrong PINs in a row (a lock that survives a restart), and audits every attempt."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from booth.clock import Clock
from booth.wire.pin import hash_pin, pin_problem, verify_pin

log = logging.getLogger(__name__)

PIN_META_KEY = "officer_pin_scrypt"
# Where the guard keeps its count and its lock, so that turning the booth off and on
# again does not give a guesser five more tries.
WRONG_META_KEY = "officer_pin_wrong"
LOCKED_UNTIL_META_KEY = "officer_pin_locked_until"
DEMO_PIN = "1234"
MAX_WRONG = 5
LOCK_SECONDS = 300.0


class MetaStore(Protocol):
    """Where the PIN hash and the lock live, and where officer actions are written down
    (the store's device meta table and audit log)."""

    def device_meta_get(self, key: str, default: str | None = None) -> str | None: ...

    def device_meta_set(self, key: str, value: str) -> None: ...

    def audit(self, action: str, detail: str = "") -> None: ...


class PinGuard:
    """Checks officer PINs. Five wrong PINs in a row lock the pad for five minutes.

    There is no default PIN: until one is set (the first-run setup, or a hash the council
    put in the credential, read through ``council_hash``) no PIN opens the pad. Only the
    demo installs the demo PIN. The count and the lock are kept in the store, timed by
    the wall clock so they outlast a restart, and by the monotonic clock while running
    (a clock set back cannot shorten a lock)."""

    def __init__(self, meta: MetaStore, clock: Clock, *, demo: bool = False,
                 council_hash: Callable[[], str | None] = lambda: None) -> None:
        self._meta = meta
        self._clock = clock
        self._council_hash = council_hash
        self._wrong = int(meta.device_meta_get(WRONG_META_KEY) or 0)
        self._locked_until: float | None = None
        stored_lock = meta.device_meta_get(LOCKED_UNTIL_META_KEY)
        if stored_lock:
            try:
                left = (datetime.fromisoformat(stored_lock) - clock.utcnow()).total_seconds()
            except ValueError:
                left = LOCK_SECONDS
            if left > 0:
                # A wall clock set back while the booth was off must not lengthen it.
                self._locked_until = clock.now() + min(left, LOCK_SECONDS)
        stored = meta.device_meta_get(PIN_META_KEY)
        if demo and not stored:
            meta.device_meta_set(PIN_META_KEY, hash_pin(DEMO_PIN))
        elif not demo and stored and verify_pin(DEMO_PIN, stored):
            # Booths before the first-run setup were given the demo PIN on every install:
            # it opens nothing any more, and the setup asks for a real one.
            meta.device_meta_set(PIN_META_KEY, "")
            meta.audit("demo_pin_removed")

    def stored_hash(self) -> str | None:
        """The hash a PIN is checked against: the one set on this booth, else the council's."""
        return self._meta.device_meta_get(PIN_META_KEY) or self._council_hash()

    @property
    def has_pin(self) -> bool:
        return self.stored_hash() is not None

    @property
    def pin_from_council(self) -> bool:
        return (not self._meta.device_meta_get(PIN_META_KEY)
                and self._council_hash() is not None)

    def locked_for(self) -> float:
        """Seconds until the pad accepts PINs again (0 when open)."""
        if self._locked_until is None:
            return 0.0
        left = self._locked_until - self._clock.now()
        if left <= 0:
            self._locked_until = None
            self._wrong = 0
            self._meta.device_meta_set(WRONG_META_KEY, "0")
            self._meta.device_meta_set(LOCKED_UNTIL_META_KEY, "")
            return 0.0
        return left

    @property
    def wrong_attempts(self) -> int:
        return self._wrong

    def check(self, pin: str, purpose: str = "unlock") -> bool:
        """True for the right PIN. Every try is audited under ``purpose`` (unlock, quit,
        a re-check before discarding a bundle...); the PIN itself never is."""
        if self.locked_for() > 0:
            self._meta.audit("pin_refused_locked", purpose)
            return False
        stored = self.stored_hash()
        if stored is not None and verify_pin(pin, stored):
            if self._wrong:
                self._wrong = 0
                self._meta.device_meta_set(WRONG_META_KEY, "0")
            self._meta.audit(purpose)
            return True
        self._wrong += 1
        self._meta.device_meta_set(WRONG_META_KEY, str(self._wrong))
        self._meta.audit("wrong_pin", f"{purpose}, {self._wrong} in a row")
        if self._wrong >= MAX_WRONG:
            self._locked_until = self._clock.now() + LOCK_SECONDS
            until = self._clock.utcnow() + timedelta(seconds=LOCK_SECONDS)
            self._meta.device_meta_set(LOCKED_UNTIL_META_KEY, until.isoformat())
            self._meta.audit("pin_lockout", f"{MAX_WRONG} wrong PINs; locked "
                             f"{LOCK_SECONDS / 60:.0f} minutes")
            log.warning("officer PIN pad locked after %d wrong PINs", self._wrong)
        return False

    def set_pin(self, pin: str, again: str | None = None) -> None:
        """Set a new PIN; raises ValueError (plain words) for a weak PIN or a repeat that
        differs."""
        problem = pin_problem(pin)
        if problem is not None:
            raise ValueError(problem)
        if again is not None and again != pin:
            raise ValueError("The two PINs are not the same. Type the new PIN twice.")
        self._meta.device_meta_set(PIN_META_KEY, hash_pin(pin))
        self._meta.audit("change_pin")
