"""Shared helpers for tests that need a real store: take files written the durable way."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass

from booth.files import durable_replace
from booth.settings import Paths
from booth.store import PART_SUFFIX, TAKE_SUFFIX, Event, Store


@dataclass(frozen=True)
class TakeFile:
    take_id: str
    file_name: str
    size: int
    sha256: str


def write_take_file(
    paths: Paths, data: bytes | None = None, take_id: str | None = None
) -> TakeFile:
    """Write ``takes/<id>.mp4.age`` as the recorder does: ``.part``, fsync, rename."""
    take_id = take_id or uuid.uuid4().hex
    data = data if data is not None else os.urandom(4096)
    paths.takes.mkdir(parents=True, exist_ok=True)
    final = paths.takes / f"{take_id}{TAKE_SUFFIX}"
    part = final.with_name(final.name + PART_SUFFIX)
    part.write_bytes(data)
    durable_replace(part, final)
    return TakeFile(take_id, final.name, len(data), hashlib.sha256(data).hexdigest())


def start_event(store: Store, kind: str = "school", look: str = "child") -> Event:
    return store.create_event("Test event", kind, look, requires_adult_confirmation=False)


def open_consented_session(store: Store, event: Event, look: str = "child") -> str:
    session_id = uuid.uuid4().hex
    store.open_session(session_id, event.id, look, prompt_id="love")
    store.record_consent(session_id, look, "w" * 64, "one_stockport", "p" * 64, False)
    return session_id


def keep_a_take(store: Store, session_id: str, data: bytes | None = None) -> TakeFile:
    """A kept answer: a durable file and its committed row."""
    take = write_take_file(store.paths, data)
    store.keep_take(take.take_id, session_id, "love", take.file_name, take.size, take.sha256, 12.5)
    return take
