"""Blobs the council removed on purpose, recorded in the store so every tool knows.

A withdrawal (the person asked) removes a whole session; retention removes its video
blobs once the pack's ``retention_days`` have passed. Each leaves a small JSON record in
``<store>/removed/<bundle_id>.json`` holding no personal data (bundle id, blob hashes,
why, when), so ``decrypt`` and ``report`` leave withdrawn answers out and ``verify``
does not report the removed blobs as lost.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from booth.files import durable_replace
from booth.wire.bundle import is_valid_id

WITHDRAWN = "withdrawn"
RETENTION = "retention"
FOLDER = "removed"


@dataclass(frozen=True)
class Removal:
    """What was removed from one bundle, and why."""

    bundle_id: str
    withdrawn: bool
    blobs: frozenset[str]


def _path(store: Path, bundle_id: str) -> Path:
    if not is_valid_id(bundle_id):
        raise ValueError(f"not a bundle id: {bundle_id!r}")
    return store / FOLDER / f"{bundle_id}.json"


def read(store: Path, bundle_id: str) -> Removal | None:
    try:
        data = json.loads(_path(store, bundle_id).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Removal(bundle_id=bundle_id, withdrawn=bool(data.get("withdrawn")),
                   blobs=frozenset(str(b) for b in data.get("blobs", [])))


def read_all(store: Path) -> dict[str, Removal]:
    folder = store / FOLDER
    if not folder.is_dir():
        return {}
    found: dict[str, Removal] = {}
    for path in folder.glob("*.json"):
        removal = read(store, path.stem) if is_valid_id(path.stem) else None
        if removal is not None:
            found[removal.bundle_id] = removal
    return found


def note(store: Path, bundle_id: str, reason: str, blobs: list[str], at: str) -> None:
    """Add ``blobs`` to the bundle's record (durably); a withdrawal marks it for good."""
    path = _path(store, bundle_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {"bundle_id": bundle_id, "withdrawn": False, "blobs": [], "events": []}
    data["blobs"] = sorted(set(data["blobs"]) | set(blobs))
    data["withdrawn"] = bool(data["withdrawn"]) or reason == WITHDRAWN
    data["events"].append({"reason": reason, "at": at, "blobs": sorted(blobs)})
    part = path.with_name(path.name + ".part")
    with part.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    durable_replace(part, path)
