"""Council-side storage: blob and catalogue interfaces, and a filesystem + SQLite implementation."""

from __future__ import annotations

import ctypes
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from booth.files import HASH_BLOCK, fsync_dir, sha256_file


@dataclass(frozen=True)
class Device:
    """An enrolled kiosk, as the council knows it."""

    device_id: str
    name: str
    token_hash: str
    device_key: str | None
    enrolled_at: str
    revoked_at: str | None


@dataclass(frozen=True)
class Upload:
    """A tus upload of one blob, named by the sha256 of its ciphertext."""

    sha256: str
    length: int
    offset: int
    expires_at: float
    device_id: str
    completed: bool


@dataclass(frozen=True)
class StoredBundle:
    """A committed bundle: its manifest and the receipt the server issued."""

    bundle_id: str
    device_id: str
    device_seq: int
    manifest_sha256: str
    manifest_json: str
    receipt_json: str
    received_at: str
    blobs: tuple[str, ...]


class PartWriter(Protocol):
    """Appends one PATCH worth of bytes to a partial blob; all or nothing."""

    def write(self, data: bytes) -> None: ...

    def commit(self, durable: bool = True) -> None:
        """Keep the bytes written so far; ``durable`` also fsyncs them."""

    def abort(self) -> None:
        """Forget every byte written through this writer."""


class BlobStore(Protocol):
    """Where blob bytes live. The filesystem here; S3-compatible storage later."""

    def start_part(self, sha256: str) -> None:
        """Create (or reset) an empty partial blob."""

    def part_size(self, sha256: str) -> int | None: ...

    def open_part(self, sha256: str, offset: int) -> PartWriter:
        """A writer appending at ``offset`` (bytes after it are dropped)."""

    def hash_part(self, sha256: str) -> str: ...

    def finish_part(self, sha256: str) -> None:
        """Turn a complete partial blob into the stored blob, durably."""

    def discard_part(self, sha256: str) -> None: ...

    def has_blob(self, sha256: str) -> bool: ...

    def blob_size(self, sha256: str) -> int | None: ...

    def hash_blob(self, sha256: str) -> str: ...

    def open_blob(self, sha256: str) -> BinaryIO: ...

    def put_blob(self, sha256: str, source: Path) -> None:
        """Copy a whole file in as a stored blob, durably (sneakernet import)."""

    def delete_blob(self, sha256: str) -> None: ...


class Catalogue(Protocol):
    """What the server knows: devices, uploads, bundles. SQLite here; PostgreSQL later."""

    def add_device(self, device: Device) -> None: ...

    def get_device(self, device_id: str) -> Device | None: ...

    def device_by_token_hash(self, token_hash: str) -> Device | None: ...

    def list_devices(self) -> list[Device]: ...

    def pin_device_key(self, device_id: str, device_key: str) -> bool:
        """Pin the key if none is pinned; True if ``device_key`` is now the pinned key."""

    def revoke_device(self, device_id: str, at: str) -> bool: ...

    def add_device_with_prefix(self, device: Device, candidates: Sequence[str]) -> str:
        """Add a device and give it the first of ``candidates`` no device has had; raise
        LookupError (adding nothing) when every one is taken."""

    def code_prefix(self, device_id: str) -> str | None: ...

    def create_upload(self, upload: Upload) -> None: ...

    def get_upload(self, sha256: str) -> Upload | None: ...

    def set_upload_offset(self, sha256: str, offset: int, expires_at: float) -> None: ...

    def complete_upload(self, sha256: str) -> None: ...

    def delete_upload(self, sha256: str) -> None: ...

    def uploads_in_flight(self, device_id: str) -> int: ...

    def unclaimed_bytes(self, device_id: str) -> int:
        """Bytes of this device's uploads, finished or not, that no received bundle names."""

    def expired_uploads(self, now: float) -> list[Upload]: ...

    def add_bundle(self, bundle: StoredBundle) -> bool:
        """Store a bundle; False (and nothing changed) if its id is already taken."""

    def get_bundle(self, bundle_id: str) -> StoredBundle | None: ...

    def list_bundles(self) -> list[StoredBundle]: ...

    def blob_referenced(self, sha256: str) -> bool: ...


def _writeback_starter() -> Callable[[int, int, int], object] | None:
    """Linux ``sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE)``, or None.

    It asks the kernel to start writing a range to disk without waiting, so the fsync
    that makes an offset durable finds little left to do. Durability still comes from
    fsync alone; this only moves the disk work earlier, while the bytes are arriving."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    sync_file_range_write = 2

    def start(fd: int, offset: int, length: int) -> object:
        return function(fd, offset, length, sync_file_range_write)

    return start


_START_WRITEBACK = _writeback_starter()


class FilePartWriter:
    """Writes at an offset of a file; abort truncates back to that offset.

    Every ``WRITEBACK_STEP`` bytes it starts the kernel writing them out (see
    ``_writeback_starter``), so ``commit``'s fsync is short even for a large PATCH."""

    WRITEBACK_STEP = 2 * 1024 * 1024

    def __init__(self, path: Path, offset: int) -> None:
        self._offset = offset
        self._handle = path.open("r+b")
        self._handle.truncate(offset)
        self._handle.seek(offset)
        self._written = offset
        self._kicked = offset

    def write(self, data: bytes) -> None:
        self._handle.write(data)
        self._written += len(data)
        if _START_WRITEBACK is not None and self._written - self._kicked >= self.WRITEBACK_STEP:
            self._handle.flush()
            _START_WRITEBACK(self._handle.fileno(), self._kicked, self._written - self._kicked)
            self._kicked = self._written

    def commit(self, durable: bool = True) -> None:
        if self._handle.closed:
            return
        self._handle.flush()
        if durable:
            os.fsync(self._handle.fileno())
        self._handle.close()

    def abort(self) -> None:
        if self._handle.closed:
            return
        self._handle.truncate(self._offset)
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()


class FileBlobStore:
    """Blobs under ``<root>/blobs/<aa>/<sha256>.age``; partial uploads under ``<root>/parts``.

    Names are checked by the server before they get here; this class also refuses any
    name that is not 64 hex characters, so no caller can reach outside ``root``.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs_dir = root / "blobs"
        self.parts_dir = root / "parts"

    def _ensure(self) -> None:
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        self.parts_dir.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _check(sha256: str) -> str:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a blob name: {sha256!r}")
        return sha256

    def part_path(self, sha256: str) -> Path:
        return self.parts_dir / f"{self._check(sha256)}.part"

    def blob_path(self, sha256: str) -> Path:
        name = self._check(sha256)
        return self.blobs_dir / name[:2] / f"{name}.age"

    def start_part(self, sha256: str) -> None:
        self._ensure()
        path = self.part_path(sha256)
        with path.open("wb") as handle:
            os.fsync(handle.fileno())
        fsync_dir(self.parts_dir)

    def part_size(self, sha256: str) -> int | None:
        try:
            return self.part_path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def open_part(self, sha256: str, offset: int) -> PartWriter:
        return FilePartWriter(self.part_path(sha256), offset)

    def hash_part(self, sha256: str) -> str:
        return sha256_file(self.part_path(sha256))

    def finish_part(self, sha256: str) -> None:
        target = self.blob_path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = self.part_path(sha256)
        with part.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(part, target)
        fsync_dir(target.parent)
        fsync_dir(self.parts_dir)

    def discard_part(self, sha256: str) -> None:
        self.part_path(sha256).unlink(missing_ok=True)

    def has_blob(self, sha256: str) -> bool:
        return self.blob_path(sha256).is_file()

    def blob_size(self, sha256: str) -> int | None:
        try:
            return self.blob_path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def hash_blob(self, sha256: str) -> str:
        return sha256_file(self.blob_path(sha256))

    def open_blob(self, sha256: str) -> BinaryIO:
        return self.blob_path(sha256).open("rb")

    def put_blob(self, sha256: str, source: Path) -> None:
        self._ensure()
        part = self.part_path(sha256)
        with source.open("rb") as src, part.open("wb") as dst:
            while block := src.read(HASH_BLOCK):
                dst.write(block)
            dst.flush()
            os.fsync(dst.fileno())
        self.finish_part(sha256)

    def delete_blob(self, sha256: str) -> None:
        self.blob_path(sha256).unlink(missing_ok=True)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    device_key TEXT,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS uploads (
    sha256 TEXT PRIMARY KEY,
    length INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices(id),
    completed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bundles (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id),
    device_seq INTEGER NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    manifest_json TEXT NOT NULL,
    receipt_json TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bundle_blobs (
    bundle_id TEXT NOT NULL REFERENCES bundles(id),
    sha256 TEXT NOT NULL,
    PRIMARY KEY (bundle_id, sha256)
);
CREATE INDEX IF NOT EXISTS bundle_blobs_sha ON bundle_blobs(sha256);
-- Each kiosk's reference codes begin with its own prefix; one is never given twice,
-- not even after its kiosk is withdrawn, so a code names one session for good.
CREATE TABLE IF NOT EXISTS code_prefixes (
    prefix TEXT PRIMARY KEY,
    device_id TEXT NOT NULL UNIQUE REFERENCES devices(id)
);
"""


class SqliteCatalogue:
    """The catalogue in one SQLite file: WAL, synchronous=FULL, one writer at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._connection().execute(sql, params).fetchall())

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # devices
    _DEVICE_COLUMNS = "id, name, token_hash, device_key, enrolled_at, revoked_at"

    @staticmethod
    def _device(row: tuple[object, ...]) -> Device:
        return Device(
            device_id=str(row[0]),
            name=str(row[1]),
            token_hash=str(row[2]),
            device_key=None if row[3] is None else str(row[3]),
            enrolled_at=str(row[4]),
            revoked_at=None if row[5] is None else str(row[5]),
        )

    def add_device(self, device: Device) -> None:
        with self._tx() as conn:
            self._insert_device(conn, device)

    def _insert_device(self, conn: sqlite3.Connection, device: Device) -> None:
        conn.execute(
            f"INSERT INTO devices ({self._DEVICE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (device.device_id, device.name, device.token_hash, device.device_key,
             device.enrolled_at, device.revoked_at),
        )

    def add_device_with_prefix(self, device: Device, candidates: Sequence[str]) -> str:
        with self._tx() as conn:
            taken = {str(row[0]) for row in conn.execute("SELECT prefix FROM code_prefixes")}
            prefix = next((c for c in candidates if c not in taken), None)
            if prefix is None:
                raise LookupError("every reference-code prefix has been given out")
            self._insert_device(conn, device)
            conn.execute("INSERT INTO code_prefixes (prefix, device_id) VALUES (?, ?)",
                         (prefix, device.device_id))
            return prefix

    def code_prefix(self, device_id: str) -> str | None:
        rows = self._query("SELECT prefix FROM code_prefixes WHERE device_id = ?", (device_id,))
        return str(rows[0][0]) if rows else None

    def get_device(self, device_id: str) -> Device | None:
        rows = self._query(f"SELECT {self._DEVICE_COLUMNS} FROM devices WHERE id = ?", (device_id,))
        return self._device(rows[0]) if rows else None

    def device_by_token_hash(self, token_hash: str) -> Device | None:
        rows = self._query(
            f"SELECT {self._DEVICE_COLUMNS} FROM devices WHERE token_hash = ?", (token_hash,)
        )
        return self._device(rows[0]) if rows else None

    def list_devices(self) -> list[Device]:
        rows = self._query(f"SELECT {self._DEVICE_COLUMNS} FROM devices ORDER BY enrolled_at, id")
        return [self._device(row) for row in rows]

    def pin_device_key(self, device_id: str, device_key: str) -> bool:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT device_key FROM devices WHERE id = ?", (device_id,)
            ).fetchone()
            if row is None:
                return False
            if row[0] is None:
                conn.execute(
                    "UPDATE devices SET device_key = ? WHERE id = ?", (device_key, device_id)
                )
                return True
            return bool(row[0] == device_key)

    def revoke_device(self, device_id: str, at: str) -> bool:
        with self._tx() as conn:
            cursor = conn.execute(
                "UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (at, device_id),
            )
            return cursor.rowcount == 1

    # uploads
    _UPLOAD_COLUMNS = 'sha256, length, "offset", expires_at, device_id, completed'

    @staticmethod
    def _upload(row: tuple[object, ...]) -> Upload:
        return Upload(
            sha256=str(row[0]),
            length=int(str(row[1])),
            offset=int(str(row[2])),
            expires_at=float(str(row[3])),
            device_id=str(row[4]),
            completed=bool(row[5]),
        )

    def create_upload(self, upload: Upload) -> None:
        with self._tx() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO uploads ({self._UPLOAD_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (upload.sha256, upload.length, upload.offset, upload.expires_at,
                 upload.device_id, int(upload.completed)),
            )

    def get_upload(self, sha256: str) -> Upload | None:
        rows = self._query(
            f"SELECT {self._UPLOAD_COLUMNS} FROM uploads WHERE sha256 = ?", (sha256,)
        )
        return self._upload(rows[0]) if rows else None

    def set_upload_offset(self, sha256: str, offset: int, expires_at: float) -> None:
        with self._tx() as conn:
            conn.execute(
                'UPDATE uploads SET "offset" = ?, expires_at = ? WHERE sha256 = ?',
                (offset, expires_at, sha256),
            )

    def complete_upload(self, sha256: str) -> None:
        with self._tx() as conn:
            conn.execute(
                'UPDATE uploads SET completed = 1, "offset" = length WHERE sha256 = ?', (sha256,)
            )

    def delete_upload(self, sha256: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM uploads WHERE sha256 = ?", (sha256,))

    def uploads_in_flight(self, device_id: str) -> int:
        rows = self._query(
            "SELECT COUNT(*) FROM uploads WHERE device_id = ? AND completed = 0", (device_id,)
        )
        return int(str(rows[0][0]))

    def unclaimed_bytes(self, device_id: str) -> int:
        rows = self._query(
            "SELECT COALESCE(SUM(length), 0) FROM uploads u WHERE device_id = ?"
            " AND NOT EXISTS (SELECT 1 FROM bundle_blobs b WHERE b.sha256 = u.sha256)",
            (device_id,),
        )
        return int(str(rows[0][0]))

    def expired_uploads(self, now: float) -> list[Upload]:
        rows = self._query(
            f"SELECT {self._UPLOAD_COLUMNS} FROM uploads WHERE completed = 0 AND expires_at <= ?",
            (now,),
        )
        return [self._upload(row) for row in rows]

    def expire_all_uploads(self) -> int:
        """Mark every unfinished upload as expired (fault tests, housekeeping)."""
        with self._tx() as conn:
            cursor = conn.execute("UPDATE uploads SET expires_at = 0 WHERE completed = 0")
            return cursor.rowcount

    # bundles
    def add_bundle(self, bundle: StoredBundle) -> bool:
        with self._tx() as conn:
            exists = conn.execute(
                "SELECT 1 FROM bundles WHERE id = ?", (bundle.bundle_id,)
            ).fetchone()
            if exists is not None:
                return False
            conn.execute(
                "INSERT INTO bundles (id, device_id, device_seq, manifest_sha256, manifest_json,"
                " receipt_json, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (bundle.bundle_id, bundle.device_id, bundle.device_seq, bundle.manifest_sha256,
                 bundle.manifest_json, bundle.receipt_json, bundle.received_at),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO bundle_blobs (bundle_id, sha256) VALUES (?, ?)",
                [(bundle.bundle_id, sha) for sha in bundle.blobs],
            )
            return True

    def _bundle(self, row: tuple[object, ...]) -> StoredBundle:
        bundle_id = str(row[0])
        blobs = self._query_unlocked(
            "SELECT sha256 FROM bundle_blobs WHERE bundle_id = ? ORDER BY rowid", (bundle_id,)
        )
        return StoredBundle(
            bundle_id=bundle_id,
            device_id=str(row[1]),
            device_seq=int(str(row[2])),
            manifest_sha256=str(row[3]),
            manifest_json=str(row[4]),
            receipt_json=str(row[5]),
            received_at=str(row[6]),
            blobs=tuple(str(b[0]) for b in blobs),
        )

    def _query_unlocked(
        self, sql: str, params: tuple[object, ...] = ()
    ) -> list[tuple[object, ...]]:
        return list(self._connection().execute(sql, params).fetchall())

    _BUNDLE_COLUMNS = (
        "id, device_id, device_seq, manifest_sha256, manifest_json, receipt_json, received_at"
    )

    def get_bundle(self, bundle_id: str) -> StoredBundle | None:
        with self._lock:
            rows = self._query_unlocked(
                f"SELECT {self._BUNDLE_COLUMNS} FROM bundles WHERE id = ?", (bundle_id,)
            )
            return self._bundle(rows[0]) if rows else None

    def list_bundles(self) -> list[StoredBundle]:
        with self._lock:
            rows = self._query_unlocked(
                f"SELECT {self._BUNDLE_COLUMNS} FROM bundles ORDER BY received_at, id"
            )
            return [self._bundle(row) for row in rows]

    def bundle_ids(self) -> list[str]:
        """Every received bundle's id, oldest first (cheap: no manifests are read)."""
        rows = self._query("SELECT id FROM bundles ORDER BY received_at, id")
        return [str(row[0]) for row in rows]

    def blob_referenced(self, sha256: str) -> bool:
        rows = self._query("SELECT 1 FROM bundle_blobs WHERE sha256 = ? LIMIT 1", (sha256,))
        return bool(rows)

    def integrity_ok(self) -> bool:
        rows = self._query("PRAGMA integrity_check")
        return bool(rows) and rows[0][0] == "ok"


@dataclass
class CouncilStorage:
    """The storage folder of a council server: blobs plus the catalogue."""

    root: Path
    blobs: FileBlobStore
    catalogue: SqliteCatalogue

    @classmethod
    def open(cls, root: Path) -> CouncilStorage:
        root.mkdir(parents=True, exist_ok=True)
        return cls(
            root=root,
            blobs=FileBlobStore(root),
            catalogue=SqliteCatalogue(root / "catalogue.sqlite3"),
        )

    def close(self) -> None:
        self.catalogue.close()
