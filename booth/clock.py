"""Clocks: monotonic seconds for timers and aware UTC wall time for records, injectable."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """What the journey and the timers read the time from."""

    def now(self) -> float:
        """Monotonic seconds: only differences mean anything."""
        ...

    def utcnow(self) -> datetime:
        """The wall-clock time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and the system's UTC time."""

    def now(self) -> float:
        return time.monotonic()

    def utcnow(self) -> datetime:
        return datetime.now(UTC)
