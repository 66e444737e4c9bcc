"""The store's database: connect (WAL, synchronous=FULL), the single-writer lock,
migrations, and the base every part of the store builds on."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Self

from sqlite_utils import Database, Migrations

from booth.clock import Clock, SystemClock
from booth.settings import Paths
from booth.store.forget import forget_purged_bundle, forget_session, release_event_names
from booth.store.records import (
    BUSY_TIMEOUT_MS,
    AuditEntry,
    StoreError,
    StoreLockedError,
)

log = logging.getLogger(__name__)

def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class _FolderLock:
    """An exclusive OS lock on ``booth.lock``; the file holds the owner's process id."""

    # On Windows a locked byte cannot be read by others, so lock one far past the pid.
    _WINDOWS_LOCK_OFFSET = 1 << 20

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+b")  # noqa: SIM115 - held open while the store is open
        try:
            self._lock(handle)
        except OSError:
            handle.close()
            raise StoreLockedError(self.path.parent, _read_pid(self.path)) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode("ascii"))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            handle.seek(0)
            handle.truncate()
            handle.flush()
        with contextlib.suppress(OSError):
            self._unlock(handle)
        handle.close()

    def _lock(self, handle: IO[bytes]) -> None:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(self._WINDOWS_LOCK_OFFSET)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(self, handle: IO[bytes]) -> None:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(self._WINDOWS_LOCK_OFFSET)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def lock_holder(paths: Paths) -> int | None:
    """The process id of the booth holding the data folder (0 when it wrote none), or None
    when no booth holds it."""
    lock = _FolderLock(paths.lock_file)
    if not paths.lock_file.exists():
        return None
    try:
        lock.acquire()
    except StoreLockedError as error:
        return error.pid if error.pid is not None else 0
    # Nobody held it; put it back as we found it.
    lock.release()
    return None


# --------------------------------------------------------------------------- connections


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """A connection with the pragmas every booth connection must have."""
    if read_only:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not read_only:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"The database at {path} cannot switch to WAL mode ({mode}).")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten, not left in free pages: a delivered session that
        # the store forgets must not be readable from the file afterwards.
        conn.execute("PRAGMA secure_delete=ON")
    except BaseException:
        conn.close()
        raise
    return conn


def _truncate_wal(conn: sqlite3.Connection) -> None:
    """Copy the write-ahead log into the database and empty it: the log still holds old
    copies of pages, with rows the store has since forgotten."""
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        log.info("the write-ahead log is in use; it is emptied at the next chance")


def _unreadable(path: Path, error: Exception) -> StoreError:
    return StoreError(
        f"The booth's database at {path} cannot be read ({error}). "
        "Nothing has been deleted. Close the booth, move the file booth.sqlite3 (and any "
        "booth.sqlite3-wal beside it) to a safe place for the council's IT team, then start "
        "the booth again to begin a fresh database; the video files in takes/ and bundles/ "
        "stay where they are."
    )


# --------------------------------------------------------------------------- migrations

MIGRATIONS = Migrations("booth.store")


@MIGRATIONS(name="0001_initial")
def _m0001_initial(db: Database) -> None:
    statements = [
        """CREATE TABLE events (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('school', 'forum', 'public')),
            default_look TEXT NOT NULL CHECK (default_look IN ('child', 'adult', 'older')),
            requires_adult_confirmation INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            closed_at TEXT
        )""",
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL REFERENCES events(id),
            look TEXT NOT NULL CHECK (look IN ('child', 'adult', 'older')),
            state TEXT NOT NULL DEFAULT 'open'
                CHECK (state IN ('open', 'finished', 'partial', 'withdrawn')),
            reference_code TEXT UNIQUE,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            prompt_id TEXT
        )""",
        "CREATE INDEX sessions_event ON sessions(event_id, state)",
        """CREATE TABLE consents (
            session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
            look TEXT NOT NULL,
            wording_digest TEXT NOT NULL,
            pack_id TEXT NOT NULL,
            pack_digest TEXT NOT NULL,
            adult_confirmed INTEGER NOT NULL DEFAULT 0,
            given_at TEXT NOT NULL
        )""",
        """CREATE TABLE takes (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            prompt_id TEXT NOT NULL,
            file_name TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL CHECK (size >= 0),
            sha256 TEXT NOT NULL,
            duration_s REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'kept'
                CHECK (state IN ('kept', 'quarantined', 'bundled')),
            kept_at TEXT NOT NULL
        )""",
        "CREATE INDEX takes_session ON takes(session_id)",
        """CREATE TABLE priority_ticks (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            list_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            PRIMARY KEY (session_id, list_id, item_id)
        )""",
        "CREATE INDEX priority_ticks_list ON priority_ticks(list_id, item_id)",
        """CREATE TABLE about_you (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            option_id TEXT NOT NULL,
            PRIMARY KEY (session_id, question_id)
        )""",
        """CREATE TABLE bundles (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            device_seq INTEGER NOT NULL UNIQUE,
            state TEXT NOT NULL
                CHECK (state IN ('sealed', 'uploading', 'committed', 'purged', 'quarantined')),
            manifest_json TEXT NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX bundles_state ON bundles(state)",
        "CREATE INDEX bundles_session ON bundles(session_id)",
        """CREATE TABLE receipts (
            bundle_id TEXT PRIMARY KEY REFERENCES bundles(id),
            receipt_json TEXT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('network', 'usb')),
            received_at TEXT NOT NULL
        )""",
        """CREATE TABLE tombstones (
            bundle_id TEXT PRIMARY KEY,
            device_seq INTEGER NOT NULL,
            blob_hashes_json TEXT NOT NULL,
            receipt_json TEXT NOT NULL,
            sealed_at TEXT NOT NULL,
            committed_at TEXT NOT NULL,
            purged_at TEXT NOT NULL
        )""",
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            officer_action TEXT NOT NULL,
            detail TEXT NOT NULL
        )""",
        """CREATE TABLE device_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
    ]
    for statement in statements:
        db.execute(statement)


@MIGRATIONS(name="0002_forget_delivered")
def _m0002_forget_delivered(db: Database) -> None:
    """Anonymous counts and hashed codes in place of delivered sessions (see forget.py);
    a data folder from before forgets the sessions it had already delivered."""
    statements = [
        """CREATE TABLE tally (
            event_id TEXT NOT NULL REFERENCES events(id),
            list_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            ticks INTEGER NOT NULL CHECK (ticks >= 0),
            PRIMARY KEY (event_id, list_id, item_id)
        )""",
        """CREATE TABLE event_totals (
            event_id TEXT PRIMARY KEY REFERENCES events(id),
            sessions INTEGER NOT NULL DEFAULT 0,
            partial_sessions INTEGER NOT NULL DEFAULT 0,
            video_answers INTEGER NOT NULL DEFAULT 0,
            withdrawn INTEGER NOT NULL DEFAULT 0,
            bundles INTEGER NOT NULL DEFAULT 0
        )""",
        "ALTER TABLE tombstones ADD COLUMN reference_hash TEXT",
        "ALTER TABLE tombstones ADD COLUMN withdrawn_on TEXT",
        "CREATE INDEX tombstones_reference ON tombstones(reference_hash)",
    ]
    for statement in statements:
        db.execute(statement)
    delivered = db.execute(
        "SELECT session_id, group_concat(id, ' ') FROM bundles WHERE session_id != ''"
        " GROUP BY session_id HAVING SUM(state != 'purged') = 0"
    ).fetchall()
    for session_id, bundle_ids in delivered:
        forgotten = forget_session(db, str(session_id))
        if forgotten is not None and forgotten.reference_hash is not None:
            for bundle_id in str(bundle_ids).split():
                db.execute("UPDATE tombstones SET reference_hash = ? WHERE bundle_id = ?",
                           [forgotten.reference_hash, bundle_id])
    for (bundle_id,) in db.execute("SELECT id FROM bundles WHERE state = 'purged'").fetchall():
        forget_purged_bundle(db, str(bundle_id))
    db.execute(
        "UPDATE tombstones SET sealed_at = substr(sealed_at, 1, 10),"
        " committed_at = substr(committed_at, 1, 10), purged_at = substr(purged_at, 1, 10)"
    )
    release_event_names(db)


@MIGRATIONS(name="0003_council_events")
def _m0003_council_events(db: Database) -> None:
    """The council's events list for the officer to pick from, the council's id on the
    kiosk's own event, and which withdrawals of sent bundles the council has been told."""
    statements = [
        """CREATE TABLE council_events (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            venue TEXT NOT NULL,
            date TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('school', 'forum', 'public')),
            position INTEGER NOT NULL
        )""",
        "ALTER TABLE events ADD COLUMN council_event_id TEXT",
        "ALTER TABLE tombstones ADD COLUMN withdrawal_sent_on TEXT",
    ]
    for statement in statements:
        db.execute(statement)


@MIGRATIONS(name="0004_take_kinds")
def _m0004_take_kinds(db: Database) -> None:
    """What each kept take is: a video answer, a video answer with the faces blurred, or
    the voice alone (issue 12); every take from before is a video answer."""
    db.execute(
        "ALTER TABLE takes ADD COLUMN kind TEXT NOT NULL DEFAULT 'video'"
        " CHECK (kind IN ('video', 'video_blurred', 'voice'))"
    )


@MIGRATIONS(name="0005_languages")
def _m0005_languages(db: Database) -> None:
    """The language each person starts in and the looks read aloud, per event (issue 12;
    NULL: the pack's default_language, and the child look only); and the language each
    consent was given in. Consents from before were shown in the pack's own words: English
    in every pack the booth had then."""
    statements = [
        "ALTER TABLE events ADD COLUMN default_language TEXT",
        "ALTER TABLE events ADD COLUMN spoken_looks TEXT",
        "ALTER TABLE consents ADD COLUMN language TEXT NOT NULL DEFAULT 'en'",
    ]
    for statement in statements:
        db.execute(statement)


class StoreBase:
    """The booth's database. Open it with :meth:`Store.open`; one writer per data folder.

    Methods are safe to call from more than one thread: a lock serialises them on the
    one connection. Every write that belongs together runs in one transaction.
    """

    def __init__(
        self,
        db: Database,
        paths: Paths,
        clock: Clock,
        lock: _FolderLock | None,
        read_only: bool = False,
    ) -> None:
        self.db = db
        self.paths = paths
        self.clock = clock
        self.read_only = read_only
        self._lock = lock
        self._mutex = threading.RLock()
        self._closed = False

    # ----------------------------------------------------------------- open / close

    @classmethod
    def open(cls, paths: Paths, clock: Clock | None = None) -> Self:
        """Take the data folder's lock, open the database and bring its schema up to date."""
        paths.data.mkdir(parents=True, exist_ok=True)
        lock = _FolderLock(paths.lock_file)
        lock.acquire()
        try:
            conn = _connect(paths.database)
            try:
                db = Database(conn, execute_plugins=False)
                # quick_check reads every page (milliseconds: the rows are small), so a
                # damaged file stops the booth here, with plain words, not mid-session.
                verdict = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
                if verdict != ["ok"]:
                    raise sqlite3.DatabaseError(f"damaged: {verdict[0]}")
                MIGRATIONS.apply(db)
                _truncate_wal(conn)
            except BaseException:
                conn.close()
                raise
        except sqlite3.DatabaseError as error:
            lock.release()
            raise _unreadable(paths.database, error) from error
        except BaseException:
            lock.release()
            raise
        return cls(db, paths, clock or SystemClock(), lock)

    @classmethod
    def open_read_only(cls, paths: Paths, clock: Clock | None = None) -> Self:
        """Open without the lock and without writing, e.g. for ``booth doctor``."""
        if not paths.database.exists():
            raise StoreError(f"There is no database at {paths.database} yet.")
        try:
            conn = _connect(paths.database, read_only=True)
            db = Database(conn, execute_plugins=False)
        except sqlite3.DatabaseError as error:
            raise _unreadable(paths.database, error) from error
        return cls(db, paths, clock or SystemClock(), None, read_only=True)

    def close(self) -> None:
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            try:
                self.db.close()
            finally:
                if self._lock is not None:
                    self._lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Database]:
        """One transaction, serialised with every other call on this store."""
        if self.read_only:
            raise StoreError("This copy of the database is open read-only.")
        with self._mutex, self.db.atomic() as db:
            yield db

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._mutex:
            return list(self.db.query(sql, list(params)))

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _now(self) -> str:
        return self.clock.utcnow().isoformat()

    def truncate_wal(self) -> None:
        """Empty the write-ahead log (after forgetting rows; see :func:`_truncate_wal`)."""
        with self._mutex:
            _truncate_wal(self.db.conn)

    def pragma(self, name: str) -> Any:
        """The value of ``PRAGMA name`` on this store's connection."""
        with self._mutex:
            return self.db.execute(f"PRAGMA {name}").fetchone()[0]

    def applied_migrations(self) -> list[str]:
        with self._mutex:
            return [migration.name for migration in MIGRATIONS.applied(self.db)]

    def integrity_check(self) -> str:
        """``"ok"`` when SQLite finds nothing wrong, else its findings, one per line."""
        rows = self._rows("PRAGMA integrity_check")
        return "\n".join(str(next(iter(row.values()))) for row in rows)

    # ----------------------------------------------------------------- audit and meta

    def _audit(self, db: Database, action: str, detail: str) -> None:
        db.execute(
            "INSERT INTO audit_log (at, officer_action, detail) VALUES (?, ?, ?)",
            [self._now(), action, detail],
        )

    def audit(self, action: str, detail: str = "") -> None:
        """Log an officer action. ``detail`` must hold no personal data."""
        with self._write() as db:
            self._audit(db, action, detail)

    def audit_log(self) -> list[AuditEntry]:
        return [AuditEntry(**r) for r in self._rows("SELECT * FROM audit_log ORDER BY id")]

    def device_meta_get(self, key: str, default: str | None = None) -> str | None:
        row = self._one("SELECT value FROM device_meta WHERE key = ?", [key])
        return str(row["value"]) if row else default

    def device_meta_set(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO device_meta (key, value) VALUES (?, ?)", [key, value]
            )

