"""The booth's SQLite store: records, database (connect, lock, migrations), sessions and
the outbox of bundles. ``Store`` is all of them in one object, opened once per data folder."""

from __future__ import annotations

from booth.settings import Paths
from booth.store.database import MIGRATIONS, lock_holder
from booth.store.messages import Messages
from booth.store.outbox import Outbox
from booth.store.records import (
    BUNDLE_TRANSITIONS,
    BUSY_TIMEOUT_MS,
    EVENT_KINDS,
    PART_SUFFIX,
    REFERENCE_PREFIX_FILE,
    TAKE_SUFFIX,
    AuditEntry,
    Bundle,
    BundleState,
    BundleStateError,
    Consent,
    CouncilEvent,
    Counts,
    Event,
    EventKind,
    Receipt,
    ReceiptVia,
    ReconcileReport,
    Session,
    SessionDetail,
    SessionState,
    StoreError,
    StoreLockedError,
    Take,
    TakeState,
    Tombstone,
    WithdrawResult,
)
from booth.store.sessions import Sessions
from booth.wire.reference import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    format_reference,
    new_reference_code,
    normalise_reference,
)


class Store(Sessions, Outbox, Messages):
    """The booth's database. Open it with :meth:`Store.open`; one writer per data folder.

    Methods are safe to call from more than one thread: a lock serialises them on the
    one connection. Every write that belongs together runs in one transaction.
    """


def reconcile(store: Store, paths: Paths | None = None) -> ReconcileReport:
    """Start-up reconcile; see :meth:`Store.reconcile`."""
    return store.reconcile(paths)


__all__ = [
    "BUNDLE_TRANSITIONS",
    "BUSY_TIMEOUT_MS",
    "EVENT_KINDS",
    "MIGRATIONS",
    "PART_SUFFIX",
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "REFERENCE_PREFIX_FILE",
    "TAKE_SUFFIX",
    "AuditEntry",
    "Bundle",
    "BundleState",
    "BundleStateError",
    "Consent",
    "CouncilEvent",
    "Counts",
    "Event",
    "EventKind",
    "Receipt",
    "ReceiptVia",
    "ReconcileReport",
    "Session",
    "SessionDetail",
    "SessionState",
    "Store",
    "StoreError",
    "StoreLockedError",
    "Take",
    "TakeState",
    "Tombstone",
    "WithdrawResult",
    "format_reference",
    "lock_holder",
    "new_reference_code",
    "normalise_reference",
    "reconcile",
]
