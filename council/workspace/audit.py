"""The audit trail: every staff action, append-only and hash-chained.

Each entry's hash is sha256 over the previous entry's hash and the entry's own canonical
JSON; the chain's head (last number and hash) is kept in its own row. ``verify`` finds an
entry that was changed (its hash no longer matches), removed from the middle (a gap in
the numbers, or a broken link) or removed from the end (the head names a later entry).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from council.workspace.models import AuditEntry, AuditHead

GENESIS = "0" * 64

# The actions the trail records (sign in, watch, decide, download, withdraw, purge,
# export, user change, and the admin's other changes).
ACTIONS = frozenset({
    "sign-in", "sign-in-failed", "sign-out", "two-factor-set-up", "watch", "decide",
    "concern-action", "download", "withdraw", "purge", "purge-dry-run", "legal-hold",
    "legal-hold-released", "export", "user-add", "user-change", "event-add",
    "event-merge", "device-revoke", "set-aside-retry", "index",
})


def _entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, target: str,
                detail: dict[str, Any]) -> str:
    body = json.dumps(
        {"seq": seq, "at": at, "actor": actor, "action": action, "target": target,
         "detail": detail},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def record(actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None,
           at: datetime | None = None) -> AuditEntry:
    """Append one entry (in its own transaction, so a rolled-back action leaves none)."""
    from council.workspace.context import utcnow

    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    detail = dict(detail or {})
    moment = at or utcnow()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"seq": 0, "hash": GENESIS}
        )
        seq = head.seq + 1
        # The stored time is what the hash covers: store it at the precision hashed.
        digest = _entry_hash(head.hash, seq, _stamp(moment), actor, action, target, detail)
        entry = AuditEntry(seq=seq, at=moment, actor=actor[:150], action=action,
                           target=target[:200], detail=detail, prev_hash=head.hash,
                           hash=digest)
        entry.save()
        head.seq = seq
        head.hash = digest
        head.save()
    return entry


@dataclass
class ChainReport:
    """What ``booth-council audit verify`` found."""

    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify() -> ChainReport:
    """Walk the whole chain; every problem found, in plain words."""
    report = ChainReport()
    prev_hash = GENESIS
    expected_seq = 1
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        report.entries += 1
        if entry.seq != expected_seq:
            report.problems.append(
                f"entries {expected_seq} to {entry.seq - 1} are missing (removed)"
            )
        elif entry.prev_hash != prev_hash:
            report.problems.append(f"entry {entry.seq} does not follow the one before it")
        actual = _entry_hash(entry.prev_hash, entry.seq, _stamp(entry.at), entry.actor,
                             entry.action, entry.target, entry.detail)
        if actual != entry.hash:
            report.problems.append(f"entry {entry.seq} ({entry.action}) was changed")
        prev_hash = entry.hash
        expected_seq = entry.seq + 1
    head = AuditHead.objects.filter(pk=1).first()
    last = expected_seq - 1
    if head is not None and (head.seq != last or (last and head.hash != prev_hash)):
        report.problems.append(
            f"the trail should end at entry {head.seq} but ends at {last} (entries removed)"
        )
    return report
