"""Durable files and file hashes, shared by the kiosk's store and the council's storage.

Standard library only, so the bundle format and the council server can use it without
pulling in the kiosk's database code.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

HASH_BLOCK = 1024 * 1024

#: Opens a new file for writing; tests pass one that fails like a full disk.
Opener = Callable[[Path], BinaryIO]


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` survive a power cut (no-op on Windows)."""
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def durable_replace(part_path: Path, final_path: Path) -> None:
    """fsync ``part_path``, rename it to ``final_path``, then fsync the folder."""
    # Windows refuses fsync on a read-only handle, so open for update.
    with open(part_path, "r+b") as handle:
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part_path, final_path)
    fsync_dir(final_path.parent)


def file_sha256(path: Path) -> tuple[int, str]:
    """(size, sha256 hex) of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def sha256_file(path: Path) -> str:
    return file_sha256(path)[1]
