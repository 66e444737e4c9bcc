"""The booth's store: SQLite (WAL, synchronous=FULL) through sqlite-utils, one writer."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import sqlite3
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Literal

from sqlite_utils import Database, Migrations

from booth.clock import Clock, SystemClock
from booth.files import fsync_dir, sha256_file
from booth.settings import Paths

log = logging.getLogger(__name__)

# Reference codes avoid characters people confuse when reading them back: 0/O, 1/I/L.
REFERENCE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH: Final = 6
BUSY_TIMEOUT_MS: Final = 5000
TAKE_SUFFIX: Final = ".mp4.age"
PART_SUFFIX: Final = ".part"

Look = Literal["child", "adult", "older"]
EventKind = Literal["school", "forum", "public"]
SessionState = Literal["open", "finished", "partial", "withdrawn"]
TakeState = Literal["kept", "quarantined", "bundled"]
BundleState = Literal["sealed", "uploading", "committed", "purged", "quarantined"]
ReceiptVia = Literal["network", "usb"]

LOOKS: Final = ("child", "adult", "older")
EVENT_KINDS: Final = ("school", "forum", "public")

# Which bundle state may follow which. ``uploading -> uploading`` is a retry;
# ``sealed -> committed`` is a USB hand-over whose receipt came back later;
# ``quarantined -> sealed`` is an officer asking to try a bundle again.
BUNDLE_TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    "sealed": frozenset({"uploading", "committed", "quarantined"}),
    "uploading": frozenset({"uploading", "sealed", "committed", "quarantined"}),
    "committed": frozenset({"purged"}),
    "purged": frozenset(),
    "quarantined": frozenset({"sealed"}),
}


class StoreError(Exception):
    """The store cannot be used; the message says so in plain words and what to do."""


class StoreLockedError(StoreError):
    """Another booth process already holds the data folder."""

    def __init__(self, folder: Path, pid: int | None) -> None:
        who = f"process {pid}" if pid is not None else "another process"
        super().__init__(
            f"Another booth is already using the data folder {folder} ({who}). Close it first."
        )
        self.folder = folder
        self.pid = pid


class BundleStateError(StoreError):
    """A bundle was asked to move to a state it cannot reach from where it is."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Event:
    id: str
    name: str
    kind: str
    default_look: str
    requires_adult_confirmation: bool
    created_at: str
    closed_at: str | None


@dataclass(frozen=True)
class Session:
    id: str
    event_id: str
    look: str
    state: str
    reference_code: str | None
    started_at: str
    finished_at: str | None
    prompt_id: str | None


@dataclass(frozen=True)
class Consent:
    session_id: str
    look: str
    wording_digest: str
    pack_id: str
    pack_digest: str
    adult_confirmed: bool
    given_at: str


@dataclass(frozen=True)
class Take:
    id: str
    session_id: str
    prompt_id: str
    file_name: str
    size: int
    sha256: str
    duration_s: float
    state: str
    kept_at: str


@dataclass(frozen=True)
class SessionDetail:
    """Everything a bundle carries for one session (no names, no free text)."""

    session: Session
    consent: Consent | None
    takes: list[Take]
    priorities: dict[str, list[str]]
    about_you: dict[str, str]


@dataclass(frozen=True)
class Bundle:
    id: str
    session_id: str
    device_seq: int
    state: str
    manifest_json: str
    error: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Receipt:
    bundle_id: str
    receipt_json: str
    via: str
    received_at: str


@dataclass(frozen=True)
class Tombstone:
    bundle_id: str
    device_seq: int
    blob_hashes: list[str]
    receipt_json: str
    sealed_at: str
    committed_at: str
    purged_at: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    officer_action: str
    detail: str


@dataclass(frozen=True)
class Counts:
    """What the officer panel shows for an event."""

    sessions: int  # finished or partial, not withdrawn
    video_answers: int  # kept takes in those sessions (quarantined ones included)
    withdrawn: int
    pending_bundles: int  # sealed or uploading
    committed_bundles: int  # committed or purged
    quarantined_bundles: int
    quarantined_takes: int
    open_sessions: int
    partial_sessions: int


@dataclass(frozen=True)
class WithdrawResult:
    """What an officer's withdrawal left to do on disk and with the council."""

    session_id: str
    reference_code: str
    take_files: list[str]  # files in takes/ to delete now
    bundles_to_delete: list[str]  # never sent: delete bundles/<id>/ now
    bundles_sent: list[str]  # already with (or on the way to) the council: tell them
    already_withdrawn: bool = False


@dataclass
class ReconcileReport:
    """What the start-up reconcile found and did; counts only, for the log and the officer."""

    part_files_deleted: int = 0
    orphan_files_deleted: int = 0
    takes_quarantined: int = 0
    sessions_finished_partial: int = 0
    sessions_deleted: int = 0
    purged_bundle_folders_deleted: int = 0
    quarantined_take_ids: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.part_files_deleted,
                self.orphan_files_deleted,
                self.takes_quarantined,
                self.sessions_finished_partial,
                self.sessions_deleted,
                self.purged_bundle_folders_deleted,
            )
        )

    def summary(self) -> str:
        return (
            f"{self.part_files_deleted} unfinished files removed, "
            f"{self.orphan_files_deleted} stray files removed, "
            f"{self.takes_quarantined} answers set aside (missing or damaged), "
            f"{self.sessions_finished_partial} interrupted sessions kept, "
            f"{self.sessions_deleted} empty interrupted sessions removed, "
            f"{self.purged_bundle_folders_deleted} delivered bundle folders cleared"
        )


# --------------------------------------------------------------------------- durable files


# --------------------------------------------------------------------------- lock


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
    except BaseException:
        conn.close()
        raise
    return conn


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


# --------------------------------------------------------------------------- the store


def _row_event(row: Mapping[str, Any]) -> Event:
    return Event(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        default_look=row["default_look"],
        requires_adult_confirmation=bool(row["requires_adult_confirmation"]),
        created_at=row["created_at"],
        closed_at=row["closed_at"],
    )


def _row_session(row: Mapping[str, Any]) -> Session:
    return Session(**{name: row[name] for name in Session.__dataclass_fields__})


def _row_take(row: Mapping[str, Any]) -> Take:
    return Take(**{name: row[name] for name in Take.__dataclass_fields__})


def _row_bundle(row: Mapping[str, Any]) -> Bundle:
    return Bundle(**{name: row[name] for name in Bundle.__dataclass_fields__})


class Store:
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
    def open(cls, paths: Paths, clock: Clock | None = None) -> Store:
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
    def open_read_only(cls, paths: Paths, clock: Clock | None = None) -> Store:
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

    def __enter__(self) -> Store:
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

    # ----------------------------------------------------------------- events

    def create_event(
        self,
        name: str,
        kind: str,
        default_look: str,
        requires_adult_confirmation: bool,
    ) -> Event:
        """Start an event; any event still open is closed first (one event at a time)."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"event kind must be one of {EVENT_KINDS}, got {kind!r}")
        if default_look not in LOOKS:
            raise ValueError(f"look must be one of {LOOKS}, got {default_look!r}")
        event = Event(
            id=uuid.uuid4().hex,
            name=name.strip(),
            kind=kind,
            default_look=default_look,
            requires_adult_confirmation=requires_adult_confirmation,
            created_at=self._now(),
            closed_at=None,
        )
        with self._write() as db:
            db.execute(
                "UPDATE events SET closed_at = ? WHERE closed_at IS NULL", [event.created_at]
            )
            db.execute(
                "INSERT INTO events (id, name, kind, default_look, requires_adult_confirmation,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    event.id,
                    event.name,
                    kind,
                    default_look,
                    int(requires_adult_confirmation),
                    event.created_at,
                ],
            )
            self._audit(db, "create_event", f"event {event.id} ({kind}, {default_look})")
        return event

    def current_event(self) -> Event | None:
        row = self._one(
            "SELECT * FROM events WHERE closed_at IS NULL ORDER BY created_at DESC, rowid DESC"
            " LIMIT 1"
        )
        return _row_event(row) if row else None

    def get_event(self, event_id: str) -> Event | None:
        row = self._one("SELECT * FROM events WHERE id = ?", [event_id])
        return _row_event(row) if row else None

    def events(self) -> list[Event]:
        return [_row_event(r) for r in self._rows("SELECT * FROM events ORDER BY rowid")]

    def close_event(self, event_id: str) -> None:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE events SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
                [self._now(), event_id],
            )
            if cursor.rowcount:
                self._audit(db, "close_event", f"event {event_id}")

    # ----------------------------------------------------------------- sessions

    def open_session(
        self, session_id: str, event_id: str, look: str, prompt_id: str | None = None
    ) -> Session:
        if look not in LOOKS:
            raise ValueError(f"look must be one of {LOOKS}, got {look!r}")
        session = Session(
            id=session_id,
            event_id=event_id,
            look=look,
            state="open",
            reference_code=None,
            started_at=self._now(),
            finished_at=None,
            prompt_id=prompt_id,
        )
        with self._write() as db:
            db.execute(
                "INSERT INTO sessions (id, event_id, look, state, started_at, prompt_id)"
                " VALUES (?, ?, ?, 'open', ?, ?)",
                [session_id, event_id, look, session.started_at, prompt_id],
            )
        return session

    def get_session(self, session_id: str) -> Session | None:
        row = self._one("SELECT * FROM sessions WHERE id = ?", [session_id])
        return _row_session(row) if row else None

    def session_by_reference(self, reference_code: str) -> Session | None:
        row = self._one(
            "SELECT * FROM sessions WHERE reference_code = ?", [normalise_reference(reference_code)]
        )
        return _row_session(row) if row else None

    def _require_open(self, db: Database, session_id: str) -> None:
        row = db.execute("SELECT state FROM sessions WHERE id = ?", [session_id]).fetchone()
        if row is None:
            raise StoreError(f"There is no session {session_id}.")
        if row[0] != "open":
            raise StoreError(f"Session {session_id} is {row[0]}, not open.")

    def record_consent(
        self,
        session_id: str,
        look: str,
        wording_digest: str,
        pack_id: str,
        pack_digest: str,
        adult_confirmed: bool,
    ) -> Consent:
        consent = Consent(
            session_id=session_id,
            look=look,
            wording_digest=wording_digest,
            pack_id=pack_id,
            pack_digest=pack_digest,
            adult_confirmed=adult_confirmed,
            given_at=self._now(),
        )
        with self._write() as db:
            self._require_open(db, session_id)
            db.execute(
                "INSERT OR REPLACE INTO consents (session_id, look, wording_digest, pack_id,"
                " pack_digest, adult_confirmed, given_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    session_id,
                    look,
                    wording_digest,
                    pack_id,
                    pack_digest,
                    int(adult_confirmed),
                    consent.given_at,
                ],
            )
        return consent

    def keep_take(
        self,
        take_id: str,
        session_id: str,
        prompt_id: str,
        file_name: str,
        size: int,
        sha256: str,
        duration_s: float,
    ) -> Take:
        """Record a kept answer. The caller has already made the file durable
        (:func:`durable_replace`); this commit is what makes it count."""
        if Path(file_name).name != file_name:
            raise ValueError(f"a take's file name is a bare name, got {file_name!r}")
        path = self.paths.takes / file_name
        try:
            on_disk = path.stat().st_size
        except OSError as error:
            raise StoreError(f"The answer's file {path} is not there ({error}).") from error
        if on_disk != size:
            raise StoreError(f"The answer's file {path} has {on_disk} bytes, expected {size}.")
        take = Take(
            id=take_id,
            session_id=session_id,
            prompt_id=prompt_id,
            file_name=file_name,
            size=size,
            sha256=sha256.lower(),
            duration_s=float(duration_s),
            state="kept",
            kept_at=self._now(),
        )
        with self._write() as db:
            self._require_open(db, session_id)
            db.execute(
                "INSERT INTO takes (id, session_id, prompt_id, file_name, size, sha256,"
                " duration_s, state, kept_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'kept', ?)",
                [
                    take.id,
                    session_id,
                    prompt_id,
                    file_name,
                    size,
                    take.sha256,
                    take.duration_s,
                    take.kept_at,
                ],
            )
        return take

    def takes_for_session(self, session_id: str) -> list[Take]:
        return [
            _row_take(r)
            for r in self._rows(
                "SELECT * FROM takes WHERE session_id = ? ORDER BY kept_at, rowid", [session_id]
            )
        ]

    def mark_takes_bundled(self, session_id: str) -> int:
        """Kept takes of this session are now inside a sealed bundle."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE takes SET state = 'bundled' WHERE session_id = ? AND state = 'kept'",
                [session_id],
            )
            return cursor.rowcount

    def save_priorities(self, session_id: str, list_id: str, item_ids: Iterable[str]) -> None:
        """Replace this session's ticks on one list."""
        items = list(dict.fromkeys(item_ids))
        with self._write() as db:
            self._require_open(db, session_id)
            db.execute(
                "DELETE FROM priority_ticks WHERE session_id = ? AND list_id = ?",
                [session_id, list_id],
            )
            for item_id in items:
                db.execute(
                    "INSERT INTO priority_ticks (session_id, list_id, item_id) VALUES (?, ?, ?)",
                    [session_id, list_id, item_id],
                )

    def save_about_you(self, session_id: str, answers: Mapping[str, str]) -> None:
        """Replace this session's about-you answers (question id -> option id)."""
        with self._write() as db:
            self._require_open(db, session_id)
            db.execute("DELETE FROM about_you WHERE session_id = ?", [session_id])
            for question_id, option_id in answers.items():
                db.execute(
                    "INSERT INTO about_you (session_id, question_id, option_id) VALUES (?, ?, ?)",
                    [session_id, question_id, option_id],
                )

    def finish_session(self, session_id: str, partial: bool = False) -> str:
        """Close the session and return its reference code (the same one if called again)."""
        with self._write() as db:
            row = db.execute(
                "SELECT state, reference_code FROM sessions WHERE id = ?", [session_id]
            ).fetchone()
            if row is None:
                raise StoreError(f"There is no session {session_id}.")
            state, code = row
            if state in ("finished", "partial") and code:
                return str(code)
            if state != "open":
                raise StoreError(f"Session {session_id} is {state} and cannot be finished.")
            return self._finish(db, session_id, partial)

    def _finish(self, db: Database, session_id: str, partial: bool) -> str:
        for _attempt in range(100):
            code = new_reference_code()
            taken = db.execute(
                "SELECT 1 FROM sessions WHERE reference_code = ?", [code]
            ).fetchone()
            if taken is None:
                break
        else:  # pragma: no cover - 31**6 codes; reaching this means the generator is broken
            raise StoreError("Could not find a free reference code.")
        db.execute(
            "UPDATE sessions SET state = ?, reference_code = ?, finished_at = ? WHERE id = ?",
            ["partial" if partial else "finished", code, self._now(), session_id],
        )
        return code

    def delete_session(self, session_id: str) -> list[str]:
        """Remove an abandoned session and its rows; return its take files to delete."""
        with self._write() as db:
            files = [
                str(r[0])
                for r in db.execute(
                    "SELECT file_name FROM takes WHERE session_id = ?", [session_id]
                ).fetchall()
            ]
            # ON DELETE CASCADE removes consent, takes, ticks and about-you.
            db.execute("DELETE FROM sessions WHERE id = ?", [session_id])
        return files

    def withdraw(self, reference_code: str, officer_note: str = "") -> WithdrawResult:
        """Withdraw a participant's answers on request, by their reference code.

        The session stays as ``withdrawn`` (so it is counted as such); its takes, ticks and
        about-you rows go. Bundles that never left are returned for deletion; bundles
        already sent are returned so the officer can ask the council to delete them."""
        code = normalise_reference(reference_code)
        with self._write() as db:
            row = db.execute(
                "SELECT id, state FROM sessions WHERE reference_code = ?", [code]
            ).fetchone()
            if row is None:
                raise StoreError(
                    f"No answers have the reference code {code}. Check the code and try again."
                )
            session_id, state = str(row[0]), str(row[1])
            bundles = db.execute(
                "SELECT id, state FROM bundles WHERE session_id = ? ORDER BY device_seq",
                [session_id],
            ).fetchall()
            to_delete = [str(b[0]) for b in bundles if b[1] in ("sealed", "quarantined")]
            sent = [str(b[0]) for b in bundles if b[1] in ("uploading", "committed", "purged")]
            files = [
                str(r[0])
                for r in db.execute(
                    "SELECT file_name FROM takes WHERE session_id = ?", [session_id]
                ).fetchall()
            ]
            if state == "withdrawn":
                return WithdrawResult(session_id, code, files, to_delete, sent, True)
            db.execute("DELETE FROM takes WHERE session_id = ?", [session_id])
            db.execute("DELETE FROM priority_ticks WHERE session_id = ?", [session_id])
            db.execute("DELETE FROM about_you WHERE session_id = ?", [session_id])
            for bundle_id in to_delete:
                db.execute("DELETE FROM bundles WHERE id = ?", [bundle_id])
            db.execute(
                "UPDATE sessions SET state = 'withdrawn', finished_at = COALESCE(finished_at, ?)"
                " WHERE id = ?",
                [self._now(), session_id],
            )
            note = " ".join(officer_note.split())[:200]
            self._audit(
                db,
                "withdraw",
                f"reference {code}: {len(files)} video answers, {len(to_delete)} unsent"
                f" bundles removed; sent bundles to flag: {', '.join(sent) or 'none'}"
                + (f"; note: {note}" if note else ""),
            )
        return WithdrawResult(session_id, code, files, to_delete, sent)

    def session_detail(self, session_id: str) -> SessionDetail:
        """The session with its consent, kept takes, ticks and about-you, for sealing."""
        with self._mutex:
            session = self.get_session(session_id)
            if session is None:
                raise StoreError(f"There is no session {session_id}.")
            consent_row = self._one("SELECT * FROM consents WHERE session_id = ?", [session_id])
            consent = (
                Consent(
                    **{
                        **{n: consent_row[n] for n in Consent.__dataclass_fields__},
                        "adult_confirmed": bool(consent_row["adult_confirmed"]),
                    }
                )
                if consent_row
                else None
            )
            takes = [t for t in self.takes_for_session(session_id) if t.state != "quarantined"]
            priorities: dict[str, list[str]] = {}
            for row in self._rows(
                "SELECT list_id, item_id FROM priority_ticks WHERE session_id = ?"
                " ORDER BY list_id, rowid",
                [session_id],
            ):
                priorities.setdefault(row["list_id"], []).append(row["item_id"])
            about = {
                row["question_id"]: row["option_id"]
                for row in self._rows(
                    "SELECT question_id, option_id FROM about_you WHERE session_id = ?"
                    " ORDER BY question_id",
                    [session_id],
                )
            }
        return SessionDetail(session, consent, takes, priorities, about)

    def sessions_to_seal(self) -> list[str]:
        """Finished or partial sessions that have no bundle yet, oldest first."""
        return [
            r["id"]
            for r in self._rows(
                "SELECT s.id FROM sessions s WHERE s.state IN ('finished', 'partial')"
                " AND NOT EXISTS (SELECT 1 FROM bundles b WHERE b.session_id = s.id)"
                " ORDER BY s.finished_at, s.rowid"
            )
        ]

    # ----------------------------------------------------------------- counts

    def event_counts(self, event_id: str) -> Counts:
        with self._mutex:
            states = {
                r["state"]: r["n"]
                for r in self._rows(
                    "SELECT state, COUNT(*) AS n FROM sessions WHERE event_id = ? GROUP BY state",
                    [event_id],
                )
            }
            takes = {
                r["state"]: r["n"]
                for r in self._rows(
                    "SELECT t.state, COUNT(*) AS n FROM takes t JOIN sessions s"
                    " ON s.id = t.session_id WHERE s.event_id = ? AND s.state != 'withdrawn'"
                    " GROUP BY t.state",
                    [event_id],
                )
            }
            bundles = {
                r["state"]: r["n"]
                for r in self._rows(
                    "SELECT b.state, COUNT(*) AS n FROM bundles b JOIN sessions s"
                    " ON s.id = b.session_id WHERE s.event_id = ? GROUP BY b.state",
                    [event_id],
                )
            }
        return Counts(
            sessions=states.get("finished", 0) + states.get("partial", 0),
            video_answers=sum(takes.values()),
            withdrawn=states.get("withdrawn", 0),
            pending_bundles=bundles.get("sealed", 0) + bundles.get("uploading", 0),
            committed_bundles=bundles.get("committed", 0) + bundles.get("purged", 0),
            quarantined_bundles=bundles.get("quarantined", 0),
            quarantined_takes=takes.get("quarantined", 0),
            open_sessions=states.get("open", 0),
            partial_sessions=states.get("partial", 0),
        )

    def priority_tally(self, event_id: str, list_id: str) -> dict[str, int]:
        """How many people at this event ticked each item ("what others chose").
        Withdrawn sessions are not counted; items nobody ticked are absent."""
        return {
            r["item_id"]: r["n"]
            for r in self._rows(
                "SELECT p.item_id, COUNT(*) AS n FROM priority_ticks p JOIN sessions s"
                " ON s.id = p.session_id WHERE s.event_id = ? AND p.list_id = ?"
                " AND s.state != 'withdrawn' GROUP BY p.item_id ORDER BY n DESC, p.item_id",
                [event_id, list_id],
            )
        }

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
        return _row_bundle(row) if row else None

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
            _row_bundle(r)
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
        """Mark a committed bundle purged and keep a tombstone (no personal data).
        Delete bundles/<id>/ after this returns; reconcile finishes the job after a crash."""
        now = self._now()
        with self._write() as db:
            row = db.execute(
                "SELECT b.device_seq, b.created_at, r.receipt_json, r.received_at"
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
                sealed_at=str(row[1]),
                committed_at=str(row[3]),
                purged_at=now,
            )
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
                    now,
                ],
            )
        return tombstone

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

    # ----------------------------------------------------------------- reconcile

    def reconcile(self, paths: Paths | None = None) -> ReconcileReport:
        """Match files on disk to rows after a crash or power cut. Never deletes a kept
        answer: a take whose file is missing or damaged is quarantined, not removed."""
        paths = paths or self.paths
        report = ReconcileReport()
        with self._mutex:
            for folder in (paths.takes, paths.bundles):
                if folder.is_dir():
                    for part in folder.rglob(f"*{PART_SUFFIX}"):
                        if part.is_file():
                            part.unlink(missing_ok=True)
                            report.part_files_deleted += 1

            for take in self._rows("SELECT * FROM takes WHERE state = 'kept'"):
                path = paths.takes / take["file_name"]
                problem: str | None = None
                if not path.is_file():
                    problem = "file missing"
                elif path.stat().st_size != take["size"]:
                    problem = "size differs"
                elif sha256_file(path) != take["sha256"]:
                    problem = "checksum differs"
                if problem:
                    with self._write() as db:
                        db.execute(
                            "UPDATE takes SET state = 'quarantined' WHERE id = ?", [take["id"]]
                        )
                    log.warning("take %s quarantined: %s", take["id"], problem)
                    report.takes_quarantined += 1
                    report.quarantined_take_ids.append(take["id"])

            open_sessions = self._rows(
                "SELECT s.id, EXISTS (SELECT 1 FROM takes t WHERE t.session_id = s.id)"
                " OR EXISTS (SELECT 1 FROM priority_ticks p WHERE p.session_id = s.id) AS kept"
                " FROM sessions s WHERE s.state = 'open'"
            )
            for row in open_sessions:
                if row["kept"]:
                    with self._write() as db:
                        self._finish(db, row["id"], partial=True)
                    report.sessions_finished_partial += 1
                else:
                    self.delete_session(row["id"])
                    report.sessions_deleted += 1

            if paths.takes.is_dir():
                known = {r["file_name"] for r in self._rows("SELECT file_name FROM takes")}
                for path in paths.takes.iterdir():
                    if path.is_file() and path.name not in known:
                        path.unlink(missing_ok=True)
                        report.orphan_files_deleted += 1
                fsync_dir(paths.takes)

            if paths.bundles.is_dir():
                purged = {
                    r["id"] for r in self._rows("SELECT id FROM bundles WHERE state = 'purged'")
                }
                for path in paths.bundles.iterdir():
                    if path.is_dir() and path.name in purged:
                        shutil.rmtree(path, ignore_errors=True)
                        report.purged_bundle_folders_deleted += 1

        if report.changed:
            log.info("reconcile: %s", report.summary())
            self.audit("reconcile", report.summary())
        return report


# --------------------------------------------------------------------------- helpers


def new_reference_code() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def normalise_reference(code: str) -> str:
    """Upper-case and drop spaces and dashes, as an officer may type it."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def reconcile(store: Store, paths: Paths | None = None) -> ReconcileReport:
    """Start-up reconcile; see :meth:`Store.reconcile`."""
    return store.reconcile(paths)
