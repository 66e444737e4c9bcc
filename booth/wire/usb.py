"""The USB hand-over format: a ``booth export`` folder of bundles with a ``SHA256SUMS``
list, and the ``receipts/`` the council writes back onto the same stick.

One reader of ``SHA256SUMS`` serves both sides, with the council's strictness: every
line is ``<sha256>  <relative path>`` inside the folder, as ``sha256sum`` writes it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from booth.files import durable_replace, fsync_dir
from booth.wire.protocol import SHA256_RE

SUMS_FILE = "SHA256SUMS"
RECEIPTS_DIR = "receipts"


class UsbFormatError(Exception):
    """A hand-over folder that does not follow the format, said in plain words."""


def read_sums(folder: Path, *, missing_ok: bool = False) -> dict[str, str]:
    """``folder/SHA256SUMS`` as {relative path: sha256}. A folder without the list is an
    error unless ``missing_ok`` (a fresh stick the kiosk is about to export to)."""
    path = folder / SUMS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise UsbFormatError(
            f"{folder} has no {SUMS_FILE} list; is it a booth export?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsbFormatError(f"cannot read {path}: {exc}") from None
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = name.lstrip(" *")
        relative = Path(name)
        if (
            not SHA256_RE.fullmatch(digest)
            or not name
            or relative.is_absolute()
            or ".." in relative.parts
        ):
            raise UsbFormatError(f"{SUMS_FILE} line {number} is not `<sha256>  <file>`")
        sums[relative.as_posix()] = digest
    return sums


def write_sums(folder: Path, sums: Mapping[str, str]) -> None:
    """Write ``folder/SHA256SUMS`` durably, sorted, in ``sha256sum``'s text format."""
    path = folder / SUMS_FILE
    part = path.with_name(SUMS_FILE + ".part")
    part.write_text("".join(f"{d}  {n}\n" for n, d in sorted(sums.items())), encoding="utf-8")
    durable_replace(part, path)


def receipt_path(folder: Path, bundle_id: str) -> Path:
    """Where the council's receipt for ``bundle_id`` lies in a hand-over folder."""
    return folder / RECEIPTS_DIR / f"{bundle_id}.json"


def write_receipt(folder: Path, bundle_id: str, receipt: Mapping[str, Any]) -> Path:
    """Put the council's signed receipt for ``bundle_id`` on the stick, durably."""
    target = receipt_path(folder, bundle_id)
    target.parent.mkdir(exist_ok=True)
    part = target.with_name(target.name + ".part")
    part.write_text(json.dumps(receipt, indent=2) + "\n", encoding="utf-8")
    with part.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(part, target)
    fsync_dir(target.parent)
    return target


def receipts_in(folder: Path) -> Iterator[tuple[str, Path]]:
    """Each (bundle id, receipt file) the council left in a hand-over folder."""
    receipts = folder / RECEIPTS_DIR
    if not receipts.is_dir():
        return
    for path in sorted(receipts.glob("*.json")):
        yield path.stem, path


def is_receipts_folder(folder: Path, candidate: Path) -> bool:
    """True for ``candidate`` inside the hand-over folder's ``receipts/``."""
    return candidate.is_relative_to(folder / RECEIPTS_DIR)
