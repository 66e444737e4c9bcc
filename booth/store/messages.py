"""What the kiosk and the council tell each other besides bundles: the council's list of
events (for the officer to pick), and withdrawals of sent bundles still to forward."""

from __future__ import annotations

from collections.abc import Sequence

from booth.store.database import StoreBase
from booth.store.records import EVENT_KINDS, CouncilEvent

_ISSUED_ON = "council_events_issued_on"


class Messages(StoreBase):
    """The council's events list and the withdrawals the council has yet to be told of."""

    def replace_council_events(self, events: Sequence[CouncilEvent], issued_on: str) -> bool:
        """Keep the council's (already verified) list in place of the one held, unless it
        was issued on an earlier day than that one (an old list sent again). Only the day
        is kept: a time of day is more than the kiosk needs to hold."""
        with self._write() as db:
            row = db.execute("SELECT value FROM device_meta WHERE key = ?",
                             [_ISSUED_ON]).fetchone()
            if row is not None and str(row[0]) > issued_on:
                return False
            db.execute("DELETE FROM council_events")
            for position, event in enumerate(events):
                if event.kind not in EVENT_KINDS:
                    continue
                db.execute(
                    "INSERT OR REPLACE INTO council_events (id, name, venue, date, kind,"
                    " position) VALUES (?, ?, ?, ?, ?, ?)",
                    [event.id, event.name, event.venue, event.date, event.kind, position],
                )
            db.execute("INSERT OR REPLACE INTO device_meta (key, value) VALUES (?, ?)",
                       [_ISSUED_ON, issued_on])
        return True

    def council_events(self) -> list[CouncilEvent]:
        """The council's events, in the council's order (by date, then name)."""
        return [
            CouncilEvent(r["id"], r["name"], r["venue"], r["date"], r["kind"])
            for r in self._rows("SELECT * FROM council_events ORDER BY position")
        ]

    def withdrawals_to_forward(self) -> list[tuple[str, str]]:
        """(bundle id, day withdrawn) of each delivered bundle whose session was withdrawn
        and whose withdrawal the council has not yet confirmed, oldest bundle first."""
        return [
            (str(r["bundle_id"]), str(r["withdrawn_on"]))
            for r in self._rows(
                "SELECT bundle_id, withdrawn_on FROM tombstones WHERE withdrawn_on IS NOT NULL"
                " AND withdrawal_sent_on IS NULL ORDER BY device_seq"
            )
        ]

    def withdrawal_forwarded(self, bundle_id: str, on_day: str) -> None:
        """The council signed for this bundle's withdrawal: it need not be sent again."""
        with self._write() as db:
            db.execute("UPDATE tombstones SET withdrawal_sent_on = ? WHERE bundle_id = ?",
                       [on_day, bundle_id])
            self._audit(db, "withdrawal_forwarded", f"bundle {bundle_id}")
