"""How a sync stops or waits: what the uploader and the council's messages raise."""

from __future__ import annotations


class SyncStopped(Exception):
    """The sync stopped before it was done (asked to, or gave up for now)."""


class NeedsOfficer(SyncStopped):
    """Something only a person can fix; the message is what to tell the officer."""


class GaveUp(SyncStopped):
    """Too many transient failures in a row for a one-off sync (``booth sync``)."""


class Transient(Exception):
    """Worth retrying later: network trouble, a busy or broken server, a captive portal."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
