"""Durable files and file hashes (shared by the kiosk store and the council storage)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from booth.files import HASH_BLOCK, durable_replace, file_sha256, fsync_dir, sha256_file


def test_file_hash_reads_across_block_boundaries(tmp_path: Path) -> None:
    data = os.urandom(2 * HASH_BLOCK + 3)
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert file_sha256(path) == (len(data), hashlib.sha256(data).hexdigest())
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert file_sha256(empty) == (0, hashlib.sha256(b"").hexdigest())


def test_durable_replace_moves_the_part_over_the_final_name(tmp_path: Path) -> None:
    final = tmp_path / "answer.age"
    final.write_bytes(b"old")
    part = tmp_path / "answer.age.part"
    part.write_bytes(b"new bytes")
    durable_replace(part, final)
    assert final.read_bytes() == b"new bytes"
    assert not part.exists()
    fsync_dir(tmp_path)  # a folder can be synced on its own too
