"""A full disk, named as one: telling a full disk from other failures, room for a take,
and the watch that rests the booth while the database cannot write (and wakes it when
space returns) instead of sending every visitor to the failsafe screen."""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from booth.clock import Clock
from booth.device import DiskRoom, disk_room
from booth.journey import SessionDraft, SessionEffects, TakeEffects
from booth.pack import Prompt
from booth.store import Store

log = logging.getLogger(__name__)

# Below this much free space SQLite may fail mid-write (its journal and the WAL need
# room): the booth rests between visitors rather than start a session it cannot keep.
DATABASE_FLOOR_BYTES = 8_000_000
# Space must be back with a margin before the booth wakes, or it would bounce.
WAKE_BYTES = 2 * DATABASE_FLOOR_BYTES
ROOM_PROBE_KEY = "room_probe"
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) is the disk or a quota being full:
    ``OSError`` ENOSPC/EDQUOT, or SQLite's "database or disk is full"."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return True
        if isinstance(current, sqlite3.OperationalError):
            code = getattr(current, "sqlite_errorcode", None)
            if code == sqlite3.SQLITE_FULL or "disk is full" in str(current):
                return True
        current = current.__cause__ or current.__context__
    return False


class RoomWatch:
    """Knows whether the booth can keep answers: it hears of failures that were a full
    disk (``note``), and checks the free space and a trial write to the database."""

    def __init__(self, store: Store, folder: Path, clock: Clock,
                 max_take_seconds: Callable[[], float],
                 free_bytes: Callable[[Path], int] | None = None) -> None:
        self.store = store
        self.folder = folder
        self.clock = clock
        self.max_take_seconds = max_take_seconds
        self.free_bytes = free_bytes
        self.full_seen = False

    def note(self, error: BaseException) -> bool:
        """Remember ``error`` if it was a full disk; True when it was."""
        if is_disk_full(error):
            if not self.full_seen:
                log.error("the disk is full: %s", error)
            self.full_seen = True
            return True
        return False

    def room(self) -> DiskRoom:
        return disk_room(self.folder, self.max_take_seconds(), self.free_bytes)

    def database_writes(self) -> bool:
        """A small real write: SQLite says whether it can still commit."""
        try:
            self.store.device_meta_set(ROOM_PROBE_KEY, self.clock.utcnow().isoformat())
        except Exception as error:
            if not self.note(error):
                log.exception("the database refused a trial write")
            return False
        return True

    def must_rest(self) -> bool:
        """A write already failed for lack of room, or there is too little left to start
        a session safely."""
        try:
            free = self.room().free_bytes
        except OSError:
            return self.full_seen
        return self.full_seen or free < DATABASE_FLOOR_BYTES

    def may_wake(self) -> bool:
        """Room is back (with a margin) and the database takes a write again."""
        try:
            free = self.room().free_bytes
        except OSError:
            return False
        if free < WAKE_BYTES or not self.database_writes():
            return False
        self.full_seen = False
        return True


class WatchedSession(SessionEffects):
    """The session effects, telling the room watch about a full disk (then failing as
    before: the journey's own failure handling still runs)."""

    def __init__(self, effects: SessionEffects, watch: RoomWatch) -> None:
        self._effects = effects
        self._watch = watch

    def _call(self, call: Callable[[], object]) -> object:
        try:
            return call()
        except Exception as error:
            self._watch.note(error)
            raise

    def session_started(self, session: SessionDraft) -> None:
        self._call(lambda: self._effects.session_started(session))

    def save_priorities(self, session: SessionDraft, item_ids: Sequence[str]) -> None:
        self._call(lambda: self._effects.save_priorities(session, item_ids))

    def save_about_you(self, session: SessionDraft, answers: dict[str, str]) -> None:
        self._call(lambda: self._effects.save_about_you(session, answers))

    def finish_session(self, session: SessionDraft) -> str:
        return str(self._call(lambda: self._effects.finish_session(session)))

    def abandon_session(self, session: SessionDraft, reason: str) -> None:
        self._call(lambda: self._effects.abandon_session(session, reason))

    def delete_session(self, session: SessionDraft) -> None:
        self._call(lambda: self._effects.delete_session(session))

    def speak(self, text: str) -> None:
        self._effects.speak(text)


class WatchedTakes(TakeEffects):
    """The take effects, telling the room watch about a full disk."""

    def __init__(self, takes: TakeEffects, watch: RoomWatch) -> None:
        self._takes = takes
        self._watch = watch

    def _call(self, call: Callable[[], None]) -> None:
        try:
            call()
        except Exception as error:
            self._watch.note(error)
            raise

    def start_take(self, session: SessionDraft, prompt: Prompt) -> None:
        self._call(lambda: self._takes.start_take(session, prompt))

    def stop_take(self) -> None:
        self._call(self._takes.stop_take)

    def discard_take(self, take_id: str) -> None:
        self._call(lambda: self._takes.discard_take(take_id))

    def keep_take(self, session: SessionDraft, take_id: str) -> None:
        self._call(lambda: self._takes.keep_take(session, take_id))
