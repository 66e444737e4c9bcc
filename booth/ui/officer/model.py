"""What the officer console shows and asks for: the small records each section draws, and
the backend it asks (``booth.desk.OfficerDesk`` in the real booth). No Qt here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from booth.device import Volume


@dataclass(frozen=True)
class OfficerStatus:
    """Today: the event and its counts, and whether someone is using the booth."""

    event_name: str
    event_kind: str
    sessions: int
    video_answers: int
    waiting_to_sync: int
    sync_state: str
    pack_name: str
    pack_problem: str | None
    visit_in_progress: bool = False
    event_started: str = ""


@dataclass(frozen=True)
class EventVoice:
    """How today's event greets each person: the language they start in (None: the
    pack's usual one) and the looks whose screens are read aloud without being asked."""

    languages: tuple[tuple[str, str], ...]  # (code, "Polski (Polish)") in the pack's order
    pack_language: str
    language: str | None
    spoken_looks: tuple[str, ...]


@dataclass(frozen=True)
class CheckLine:
    """One line of a checklist: ``ok`` is None while it is still being found out."""

    name: str
    ok: bool | None
    detail: str


@dataclass(frozen=True)
class SyncReport:
    """The Sync section's words: where sync is, what waits, and why."""

    state: str
    waiting: int
    waiting_bytes: int
    last_success: str
    why_waiting: str


@dataclass(frozen=True)
class Attention:
    """Something that needs the officer. A set-aside bundle carries its id, and the
    console offers to try it again, export it or discard it."""

    title: str
    reason: str
    bundle_id: str | None = None


@dataclass(frozen=True)
class HistoryLine:
    """One officer action from the audit log, in words."""

    at: str
    action: str
    detail: str


@dataclass(frozen=True)
class FileChoice:
    """A campaign pack or a credential file the booth found, offered by name."""

    name: str
    path: str
    where: str


@dataclass(frozen=True)
class CouncilEvent:
    """An event from the council's signed list, which the officer may pick instead of
    typing a name (filled by the events list when the booth has one)."""

    id: str
    name: str
    kind: str
    when: str = ""


@dataclass(frozen=True)
class SetupState:
    """How far the first-run setup has got."""

    enrolled_as: str | None
    enrol_problem: str | None
    pin_set: bool
    pin_from_council: bool
    event_name: str


class OfficerBackend(Protocol):
    """What the officer console and the first-run setup ask of the rest of the booth.
    Methods that do something return the sentence to show; a ValueError's message is a
    mistake the officer can put right."""

    # Today and the event
    def status(self) -> OfficerStatus: ...
    def set_up_event(self, name: str, kind: str, default_look: str,
                     adult_confirmation: bool) -> str: ...
    def council_events(self) -> list[CouncilEvent]: ...

    def start_council_event(self, council_event_id: str, default_look: str,
                            adult_confirmation: bool) -> str: ...

    def event_voice(self) -> EventVoice | None: ...

    def set_event_language(self, language: str | None) -> str: ...

    def set_spoken_looks(self, looks: list[str]) -> str: ...
    def end_visit(self) -> str: ...
    def withdraw(self, reference_code: str) -> str: ...

    # the checklist and the device
    def checklist(self) -> list[CheckLine]: ...
    def device(self) -> list[CheckLine]: ...
    def check_council(self) -> CouncilCheck: ...
    def start_camera_check(self) -> None: ...
    def stop_camera_check(self) -> None: ...

    # sync, USB sticks, set-aside bundles
    def sync_now(self) -> str: ...
    def sync_report(self) -> SyncReport: ...
    def usb_sticks(self) -> list[Volume]: ...
    def export_to(self, folder: str) -> str: ...
    def attention(self) -> list[Attention]: ...
    def retry_bundle(self, bundle_id: str) -> str: ...
    def export_bundle(self, bundle_id: str, folder: str) -> str: ...
    def discard_bundle(self, bundle_id: str) -> str: ...

    # history, packs, PIN, quitting
    def history(self, limit: int = 200) -> list[HistoryLine]: ...
    def packs(self) -> list[FileChoice]: ...
    def switch_pack(self, path: str) -> str: ...
    def check_pin(self, pin: str, purpose: str) -> bool: ...
    def change_pin(self, pin: str, again: str) -> str: ...
    def audit(self, action: str, detail: str = "") -> None: ...

    # first-run setup
    def setup_state(self) -> SetupState: ...
    def credential_files(self) -> list[FileChoice]: ...
    def enrol_from(self, path: str) -> str: ...
    def finish_setup(self) -> str: ...


@dataclass(frozen=True)
class CouncilCheck:
    """What asking the council server just now found: whether it answered (and if not,
    why), and the laptop's clock against the server's."""

    reachable: bool
    detail: str
    clock: CheckLine
