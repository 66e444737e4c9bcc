"""Withdrawals sent by kiosks, kept in the store until the workspace carries them out.

The ingest server faces the internet, holds no private key and runs no workspace, so it
only checks a withdrawal (the device's signature, and that the bundle is that device's)
and keeps it in ``<store>/withdrawals/<bundle_id>.json`` with the receipt it signed. The
workspace's indexer finds it there and withdraws the session as staff would: blobs out of
the store and escrow, answers off every page, chart and CSV, a record with no personal
data. The file holds the signed message as it came, so the workspace checks it again.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from booth.files import fsync_dir
from booth.wire.bundle import BundleError, is_valid_id
from booth.wire.messages import Withdrawal

log = logging.getLogger(__name__)

FOLDER = "withdrawals"


@dataclass(frozen=True)
class KeptWithdrawal:
    """A kiosk's withdrawal as the ingest server kept it."""

    withdrawal: Withdrawal
    received_at: str
    receipt: dict[str, Any]


def _path(store: Path, bundle_id: str) -> Path:
    if not is_valid_id(bundle_id):
        raise ValueError(f"not a bundle id: {bundle_id!r}")
    return store / FOLDER / f"{bundle_id}.json"


def keep(store: Path, withdrawal: Withdrawal, receipt: dict[str, Any],
         received_at: str) -> tuple[bool, dict[str, Any]]:
    """Keep the withdrawal durably unless one for its bundle is kept already. Returns
    (whether this call kept it, the receipt kept with it): a repeat gets the first one."""
    target = _path(store, withdrawal.bundle_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    body = {"withdrawal": withdrawal.to_dict(), "received_at": received_at, "receipt": receipt}
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with part.open("x", encoding="utf-8") as handle:
            json.dump(body, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # A link, not a rename: it fails if another request kept this bundle's first.
            os.link(part, target)
        except FileExistsError:
            kept = read(store, withdrawal.bundle_id)
            if kept is None:  # pragma: no cover - a file there that cannot be read
                raise
            return False, kept.receipt
        fsync_dir(target.parent)
        return True, receipt
    finally:
        part.unlink(missing_ok=True)


def read(store: Path, bundle_id: str) -> KeptWithdrawal | None:
    try:
        data = json.loads(_path(store, bundle_id).read_text(encoding="utf-8"))
        return KeptWithdrawal(Withdrawal.parse(data["withdrawal"]), str(data["received_at"]),
                              dict(data["receipt"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, BundleError) as exc:
        # Never acted on, and never silently: the kiosk has its receipt and will not
        # send it again, so the data team must look (the bundle id is in the name).
        log.error("the kept withdrawal of bundle %s is damaged: %s", bundle_id, exc)
        return None


def read_all(store: Path) -> list[KeptWithdrawal]:
    """Every kept withdrawal, oldest first."""
    folder = store / FOLDER
    if not folder.is_dir():
        return []
    found = [read(store, path.stem) for path in folder.glob("*.json") if is_valid_id(path.stem)]
    return sorted((k for k in found if k is not None), key=lambda k: k.received_at)
