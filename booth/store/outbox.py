"""The outbox: bundles waiting to go, receipts and the tombstones kept after purging."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from sqlite_utils import Database

from booth.store.database import StoreBase
from booth.store.forget import day, forget_purged_bundle, forget_session, release_event_names
from booth.store.records import (
    BUNDLE_TRANSITIONS,
    Bundle,
    BundleStateError,
    Receipt,
    StoreError,
    Tombstone,
    row_bundle,
)

log = logging.getLogger(__name__)


class Outbox(StoreBase):
    """Sealed bundles on their way to the council, and what is kept once they arrive."""

    # ----------------------------------------------------------------- bundles

    def next_device_seq(self) -> int:
        """Allocate the next device sequence number; never reused, even after a purge."""
        with self._write() as db:
            row = db.execute("SELECT value FROM device_meta WHERE key = 'last_device_seq'")
            found = row.fetchone()
            seen = db.execute(
                "SELECT MAX(m) FROM (SELECT MAX(device_seq) AS m FROM bundles"
                " UNION ALL SELECT MAX(device_seq) FROM tombstones)"
            ).fetchone()[0]
            last = max(int(found[0]) if found else 0, int(seen or 0))
            seq = last + 1
            db.execute(
                "INSERT OR REPLACE INTO device_meta (key, value) VALUES ('last_device_seq', ?)",
                [str(seq)],
            )
        return seq

    def add_bundle(
        self,
        bundle_id: str,
        session_id: str,
        device_seq: int,
        manifest_json: str,
        mark_takes_bundled: bool = True,
    ) -> Bundle:
        """Record a sealed bundle (its files are already durable under bundles/<id>/)."""
        now = self._now()
        with self._write() as db:
            db.execute(
                "INSERT INTO bundles (id, session_id, device_seq, state, manifest_json,"
                " created_at, updated_at) VALUES (?, ?, ?, 'sealed', ?, ?, ?)",
                [bundle_id, session_id, device_seq, manifest_json, now, now],
            )
            if mark_takes_bundled:
                db.execute(
                    "UPDATE takes SET state = 'bundled' WHERE session_id = ? AND state = 'kept'",
                    [session_id],
                )
        return Bundle(bundle_id, session_id, device_seq, "sealed", manifest_json, None, now, now)

    def get_bundle(self, bundle_id: str) -> Bundle | None:
        row = self._one("SELECT * FROM bundles WHERE id = ?", [bundle_id])
        return row_bundle(row) if row else None

    def _set_state(self, db: Database, bundle_id: str, state: str, error: str | None) -> None:
        row = db.execute("SELECT state FROM bundles WHERE id = ?", [bundle_id]).fetchone()
        if row is None:
            raise StoreError(f"There is no bundle {bundle_id}.")
        current = str(row[0])
        if state not in BUNDLE_TRANSITIONS:
            raise BundleStateError(f"{state!r} is not a bundle state.")
        if state not in BUNDLE_TRANSITIONS[current]:
            raise BundleStateError(f"Bundle {bundle_id} cannot go from {current} to {state}.")
        db.execute(
            "UPDATE bundles SET state = ?, error = ?, updated_at = ? WHERE id = ?",
            [state, error, self._now(), bundle_id],
        )

    def set_bundle_state(self, bundle_id: str, state: str, error: str | None = None) -> None:
        """Move a bundle on; raises :class:`BundleStateError` for a move that makes no sense."""
        with self._write() as db:
            self._set_state(db, bundle_id, state, error)

    def bundles_in_state(self, *states: str) -> list[Bundle]:
        if not states:
            return []
        marks = ", ".join("?" for _ in states)
        return [
            row_bundle(r)
            for r in self._rows(
                f"SELECT * FROM bundles WHERE state IN ({marks}) ORDER BY device_seq",
                list(states),
            )
        ]

    def add_receipt(self, bundle_id: str, receipt_json: str, via: str = "network") -> Receipt:
        """Store the council's (already verified) receipt and mark the bundle committed,
        in one transaction. A replay of a bundle already committed keeps the first receipt."""
        if via not in ("network", "usb"):
            raise ValueError(f"via must be 'network' or 'usb', got {via!r}")
        now = self._now()
        with self._write() as db:
            existing = db.execute(
                "SELECT receipt_json, via, received_at FROM receipts WHERE bundle_id = ?",
                [bundle_id],
            ).fetchone()
            if existing is not None:
                return Receipt(bundle_id, str(existing[0]), str(existing[1]), str(existing[2]))
            self._set_state(db, bundle_id, "committed", None)
            db.execute(
                "INSERT INTO receipts (bundle_id, receipt_json, via, received_at)"
                " VALUES (?, ?, ?, ?)",
                [bundle_id, receipt_json, via, now],
            )
        return Receipt(bundle_id, receipt_json, via, now)

    def get_receipt(self, bundle_id: str) -> Receipt | None:
        row = self._one("SELECT * FROM receipts WHERE bundle_id = ?", [bundle_id])
        return Receipt(**row) if row else None

    def purge_bundle(self, bundle_id: str, blob_hashes: Sequence[str]) -> Tombstone:
        """Mark a committed bundle purged and keep a tombstone (no personal data, times to
        the day). Its session, once no other bundle of it is on the way, is forgotten:
        only anonymous counts and its code's hash stay (see :mod:`booth.store.forget`).
        Delete bundles/<id>/ after this returns; reconcile finishes the job after a crash."""
        now = self._now()
        with self._write() as db:
            row = db.execute(
                "SELECT b.device_seq, b.created_at, r.receipt_json, r.received_at, b.session_id"
                " FROM bundles b LEFT JOIN receipts r ON r.bundle_id = b.id WHERE b.id = ?",
                [bundle_id],
            ).fetchone()
            if row is None:
                raise StoreError(f"There is no bundle {bundle_id}.")
            if row[2] is None:
                raise BundleStateError(f"Bundle {bundle_id} has no receipt; it cannot be purged.")
            self._set_state(db, bundle_id, "purged", None)
            tombstone = Tombstone(
                bundle_id=bundle_id,
                device_seq=int(row[0]),
                blob_hashes=list(blob_hashes),
                receipt_json=str(row[2]),
                sealed_at=str(day(str(row[1]))),
                committed_at=str(day(str(row[3]))),
                purged_at=str(day(now)),
            )
            session_id = str(row[4])
            db.execute(
                "INSERT INTO tombstones (bundle_id, device_seq, blob_hashes_json, receipt_json,"
                " sealed_at, committed_at, purged_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    bundle_id,
                    tombstone.device_seq,
                    json.dumps(tombstone.blob_hashes),
                    tombstone.receipt_json,
                    tombstone.sealed_at,
                    tombstone.committed_at,
                    tombstone.purged_at,
                ],
            )
            siblings = [str(r[0]) for r in db.execute(
                "SELECT id FROM bundles WHERE session_id = ?", [session_id]).fetchall()]
            forgotten = forget_session(db, session_id) if session_id else None
            if forgotten is not None and forgotten.reference_hash is not None:
                marks = ", ".join("?" for _ in siblings)
                db.execute(
                    f"UPDATE tombstones SET reference_hash = ?, withdrawn_on = ?"
                    f" WHERE bundle_id IN ({marks})",
                    [forgotten.reference_hash, day(now) if forgotten.withdrawn else None,
                     *siblings],
                )
            forget_purged_bundle(db, bundle_id)
            release_event_names(db)
        if forgotten is not None:
            for name in forgotten.take_files:  # normally released when it was sealed
                (self.paths.takes / name).unlink(missing_ok=True)
        self.truncate_wal()
        return tombstone

    def discard_bundle(self, bundle_id: str) -> list[str]:
        """An officer gives up on a set-aside (quarantined) bundle that cannot be sent: its
        row goes, and its session is forgotten as a delivered one is (the event's tally
        keeps its counts). Returns take files of the session to delete; delete
        bundles/<id>/ after this returns. Its sequence number stays used, so the council
        sees the gap, and the audit log (which travels with the next bundle) says why."""
        with self._write() as db:
            row = db.execute(
                "SELECT state, session_id FROM bundles WHERE id = ?", [bundle_id]
            ).fetchone()
            if row is None:
                raise StoreError(f"There is no bundle {bundle_id}.")
            if str(row[0]) != "quarantined":
                raise BundleStateError(f"Bundle {bundle_id} is {row[0]}, not set aside.")
            db.execute("DELETE FROM bundles WHERE id = ?", [bundle_id])
            forgotten = forget_session(db, str(row[1])) if row[1] else None
            self._audit(db, "discard_bundle", f"bundle {bundle_id}")
            release_event_names(db)
        self.truncate_wal()
        return forgotten.take_files if forgotten is not None else []

    def tombstones(self) -> list[Tombstone]:
        return [
            Tombstone(
                bundle_id=r["bundle_id"],
                device_seq=r["device_seq"],
                blob_hashes=json.loads(r["blob_hashes_json"]),
                receipt_json=r["receipt_json"],
                sealed_at=r["sealed_at"],
                committed_at=r["committed_at"],
                purged_at=r["purged_at"],
            )
            for r in self._rows("SELECT * FROM tombstones ORDER BY device_seq")
        ]

