"""A clock the test moves by hand, so timeouts run in no time at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

FAKE_EPOCH = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


class FakeClock:
    """Monotonic and wall time that only move when ``advance`` is called."""

    def __init__(self, start: float = 1000.0, wall: datetime = FAKE_EPOCH) -> None:
        self._start = start
        self._now = start
        self._wall = wall

    def now(self) -> float:
        return self._now

    def utcnow(self) -> datetime:
        return self._wall + timedelta(seconds=self._now - self._start)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock never goes back")
        self._now += seconds
