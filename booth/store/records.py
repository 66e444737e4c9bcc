"""The store's records: the typed rows it hands out, its errors and its constants."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

log = logging.getLogger(__name__)

#: Under keys/: the two characters the council gave this kiosk to start its codes with.
REFERENCE_PREFIX_FILE: Final = "reference-prefix"
BUSY_TIMEOUT_MS: Final = 5000
TAKE_SUFFIX: Final = ".mp4.age"
PART_SUFFIX: Final = ".part"

EventKind = Literal["school", "forum", "public"]
SessionState = Literal["open", "finished", "partial", "withdrawn"]
TakeState = Literal["kept", "quarantined", "bundled"]
BundleState = Literal["sealed", "uploading", "committed", "purged", "quarantined"]
ReceiptVia = Literal["network", "usb"]

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
    # The council's own id for this event, when the officer picked it from the council's
    # list: answers carry it, so several kiosks at one event are one event at the council.
    council_event_id: str | None = None
    # The language each person starts in (None: the campaign pack's default_language).
    default_language: str | None = None
    # The looks whose screens are read aloud without being asked (None: the child look).
    spoken_looks: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CouncilEvent:
    """An event from the council's signed list, for the officer to pick."""

    id: str
    name: str
    venue: str
    date: str
    kind: str


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
    # The language the person read (and heard) the consent in; ``wording_digest`` is of the
    # wording in that language, and ``pack_digest`` of the pack with that language's file.
    language: str = "en"


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
    #: "video", "video_blurred" or "voice" (``booth.capture.recorder.TAKE_KINDS``)
    kind: str = "video"


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



# --------------------------------------------------------------------------- the store


def row_event(row: Mapping[str, Any]) -> Event:
    return Event(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        default_look=row["default_look"],
        requires_adult_confirmation=bool(row["requires_adult_confirmation"]),
        created_at=row["created_at"],
        closed_at=row["closed_at"],
        council_event_id=row.get("council_event_id"),
        default_language=row.get("default_language"),
        spoken_looks=(None if row.get("spoken_looks") is None
                      else tuple(look for look in str(row["spoken_looks"]).split(",") if look)),
    )


def row_session(row: Mapping[str, Any]) -> Session:
    return Session(**{name: row[name] for name in Session.__dataclass_fields__})


def row_take(row: Mapping[str, Any]) -> Take:
    return Take(**{name: row[name] for name in Take.__dataclass_fields__})


def row_bundle(row: Mapping[str, Any]) -> Bundle:
    return Bundle(**{name: row[name] for name in Bundle.__dataclass_fields__})
