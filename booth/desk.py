"""The officer console's backend: what each section shows and what each officer action
does, on the kiosk ``booth.app`` built. Every action is written to the audit log (which
travels to the council inside the next bundle); the console itself holds no logic."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from booth.device import (
    Battery,
    Volume,
    battery,
    clock_offset,
    describe_battery,
    describe_clock,
    disk_room,
    removable_volumes,
)
from booth.i18n import english_name, native_name
from booth.journey import EventSettings, State
from booth.kiosk import SETUP_DONE_KEY, Kiosk
from booth.pack import LOOKS, PackError, default_pack_path, load_pack
from booth.readiness import (
    camera_problem,
    disk_full_problem,
    enrolment_problem,
    is_microphone_reason,
    microphone_problem,
)
from booth.store import StoreError
from booth.ui.officer.model import (
    Attention,
    CheckLine,
    CouncilCheck,
    CouncilEvent,
    EventVoice,
    FileChoice,
    HistoryLine,
    OfficerStatus,
    SetupState,
    SyncReport,
)

log = logging.getLogger(__name__)

LAST_SYNC_KEY = "last_sync_ok"
MB = 1_000_000
# A microphone level above this, while the officer checks, means it hears something.
HEARD_LEVEL = 0.02
CREDENTIAL_MAX_BYTES = 64 * 1024
BUSY = ("Someone is using the booth. End their visit first (Today: “End this visit”), or "
        "wait for the start screen.")
RESTING = ("The booth is resting because its disk is full. Make room first (Sync or Export), "
           "then try again.")

# The audit log's actions in the officer's words (History).
ACTIONS = {
    "unlock": "Console unlocked", "wrong_pin": "Wrong PIN", "pin_lockout": "PIN pad locked",
    "pin_refused_locked": "PIN refused: the pad is locked", "quit": "Booth turned off",
    "change_pin": "PIN changed", "sync_now": "Sync now", "export": "Exported to a USB stick",
    "create_event": "Event started", "close_event": "Event closed",
    "withdraw": "Answers withdrawn", "withdraw_files_deleted": "Withdrawn files deleted",
    "switch_pack": "Campaign pack switched", "end_visit": "Visit ended by the officer",
    "retry_bundle": "Set-aside bundle tried again", "export_bundle": "Set-aside bundle exported",
    "discard_bundle": "Set-aside bundle discarded", "enrol": "Enrolled with the council",
    "setup_done": "First-run setup finished", "reconcile": "Start-up check",
    "resting": "Booth resting: disk full", "awake": "Booth awake: space is back",
    "recheck": "PIN checked again",
}


def _local(timestamp: str | None, today: datetime) -> str:
    """A stored UTC time as the officer reads it: "10:42" today, else "14 March 10:42"."""
    if not timestamp:
        return ""
    try:
        when = datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if when.tzinfo is None or len(timestamp) <= 10:
        return when.strftime("%d %B")  # kept to the day on purpose
    when = when.astimezone()
    if when.date() == today.astimezone().date():
        return when.strftime("%H:%M")
    return when.strftime("%d %B %H:%M")


class OfficerDesk:
    """The backend of the officer console and the first-run setup (``OfficerBackend``).

    ``volumes`` lists the USB sticks plugged in (tests and screenshots pass their own);
    the capture and sync news it is told about (``note_*``) feed the checklist."""

    def __init__(self, kiosk_ref: Callable[[], Kiosk], *,
                 volumes: Callable[[], list[Volume]] = removable_volumes,
                 battery_state: Callable[[], Battery | None] = battery) -> None:
        self._kiosk = kiosk_ref
        self._volumes = volumes
        self._battery = battery_state
        self.camera: tuple[bool | None, str] = (None, "Not checked yet.")
        self.microphone: tuple[bool | None, str] = (None, "Not checked yet.")
        self.sync_state = ""
        self.last_council: CouncilCheck | None = None

    # ------------------------------------------------------------------ news

    def note_camera_ready(self, _info: object = None) -> None:
        self.camera = (True, "The camera shows a picture.")

    def note_capture_problem(self, reason: str) -> None:
        from booth.capture.recorder import NOT_ENOUGH_SPACE

        if reason == NOT_ENOUGH_SPACE:
            return  # a full disk, which the storage line names
        if is_microphone_reason(reason):
            self.microphone = (False, microphone_problem(reason).sentence)
        else:
            self.camera = (False, camera_problem(reason).sentence)

    def note_level(self, value: float) -> None:
        if value > HEARD_LEVEL and self.microphone[0] is not True:
            self.microphone = (True, "The microphone hears sound.")

    def note_sync_state(self, state: str) -> None:
        from booth.sync.qt import UP_TO_DATE

        self.sync_state = state
        if state == UP_TO_DATE:
            k = self._kiosk()
            try:
                k.store.device_meta_set(LAST_SYNC_KEY, k.clock.utcnow().isoformat())
            except Exception:  # a full disk: the time is not worth failing for
                log.exception("could not note the last sync")

    def audit(self, action: str, detail: str = "") -> None:
        try:
            self._kiosk().store.audit(action, detail)
        except Exception:  # a full disk must not stop the officer's action
            log.exception("could not audit %s", action)

    # ------------------------------------------------------------------ today

    def _busy(self) -> str | None:
        state = self._kiosk().journey.state
        if state is State.RESTING:
            return RESTING
        if state not in (State.ATTRACT, State.FAILSAFE):
            return BUSY
        return None

    def status(self) -> OfficerStatus:
        k = self._kiosk()
        event = k.store.current_event()
        counts = k.store.event_counts(event.id) if event is not None else None
        waiting = len(k.store.bundles_in_state("sealed", "uploading"))
        sync_state = "Not set up (no council credential)"
        if k.sync is not None:
            sync_state = str(k.sync.state)
        return OfficerStatus(
            event_name=event.name if event else "",
            event_kind=event.kind if event else "",
            sessions=counts.sessions if counts else 0,
            video_answers=counts.video_answers if counts else 0,
            waiting_to_sync=waiting,
            sync_state=sync_state,
            pack_name=k.pack.name,
            pack_problem=str(k.pack_error) if k.pack_error else None,
            visit_in_progress=k.journey.state not in (State.ATTRACT, State.FAILSAFE,
                                                      State.RESTING),
            event_started=_local(event.created_at, k.clock.utcnow()) if event else "",
        )

    def set_up_event(self, name: str, kind: str, default_look: str,
                     adult_confirmation: bool) -> str:
        busy = self._busy()
        if busy is not None:
            return busy
        k = self._kiosk()
        k.store.create_event(name, kind, default_look, adult_confirmation)
        k.window.resting_look = default_look
        k.restart_journey()
        return f"The event “{name}” has started. Counts start from zero."

    def event_voice(self) -> EventVoice | None:
        """Today's event's starting language and read-aloud looks (None: no event yet)."""
        k = self._kiosk()
        event = k.store.current_event()
        if event is None:
            return None
        spoken = (EventSettings().spoken_looks if event.spoken_looks is None
                  else event.spoken_looks)
        return EventVoice(
            languages=tuple((code, f"{native_name(code)} ({english_name(code)})")
                            for code in k.pack.languages),
            pack_language=k.pack.default_language, language=event.default_language,
            spoken_looks=tuple(look for look in LOOKS if look in spoken))

    def set_event_language(self, language: str | None) -> str:
        """The language each person at this event starts in (None: the pack's default)."""
        busy = self._busy()
        if busy is not None:
            return busy
        k = self._kiosk()
        event = k.store.current_event()
        if event is None:
            return "Start the event first."
        if language is not None and language not in k.pack.languages:
            return (f"The campaign pack is not in {english_name(language)}; it has "
                    f"{', '.join(english_name(code) for code in k.pack.languages)}.")
        k.store.set_event_language(event.id, language)
        k.restart_journey()
        return f"Each person starts in {english_name(language or k.pack.default_language)}."

    def set_spoken_looks(self, looks: list[str]) -> str:
        """The looks whose screens are read aloud without being asked, at this event."""
        busy = self._busy()
        if busy is not None:
            return busy
        k = self._kiosk()
        event = k.store.current_event()
        if event is None:
            return "Start the event first."
        k.store.set_event_spoken_looks(event.id, looks)
        k.restart_journey()
        read = [look for look in LOOKS if look in looks]
        return ("Screens are read aloud for: " + ", ".join(read) + "." if read
                else "No screens are read aloud unless a person asks.")

    def council_events(self) -> list[CouncilEvent]:
        """The council's events to pick from, as its signed list said at the last sync;
        none until the booth has synced once (the officer then types the event's name)."""
        return [CouncilEvent(e.id, e.name, e.kind, f"{e.date}, {e.venue}" if e.venue else e.date)
                for e in self._kiosk().store.council_events()]

    def start_council_event(self, council_event_id: str, default_look: str,
                            adult_confirmation: bool) -> str:
        """Start an event from the council's list: its answers carry the council's id,
        so every kiosk there counts towards the one event."""
        busy = self._busy()
        if busy is not None:
            return busy
        k = self._kiosk()
        try:
            event = k.store.start_council_event(council_event_id, default_look,
                                                adult_confirmation)
        except StoreError as error:
            return str(error)
        k.window.resting_look = default_look
        k.restart_journey()
        return f"The event “{event.name}” has started. Counts start from zero."

    def end_visit(self) -> str:
        k = self._kiosk()
        if k.journey.state in (State.ATTRACT, State.RESTING):
            return "Nobody is using the booth."
        k.journey.end_visit("ended by the officer")
        self.audit("end_visit")
        return ("The visit is over. Answers they had kept are saved; anything unfinished "
                "is deleted.")

    def withdraw(self, reference_code: str) -> str:
        k = self._kiosk()
        try:
            result = k.store.withdraw(reference_code, "officer panel")
        except StoreError as error:
            return str(error)
        for name in result.take_files:
            (k.settings.paths.takes / name).unlink(missing_ok=True)
        for bundle_id in result.bundles_to_delete:
            shutil.rmtree(k.settings.paths.bundles / bundle_id, ignore_errors=True)
        k.store.audit("withdraw_files_deleted", f"reference {result.reference_code}")
        if result.already_withdrawn:
            return f"The answers with code {result.reference_code} were already withdrawn."
        message = f"Withdrawn: the answers with code {result.reference_code} are deleted here."
        if result.bundles_sent:
            message += (" They had already been sent: the booth tells the council to delete "
                        "them when it next syncs.")
            if k.sync is not None:
                k.sync.sync_now()
        return message

    # ------------------------------------------------------------------ checklist, device

    def _storage_line(self) -> CheckLine:
        k = self._kiosk()
        folder = k.settings.paths.data
        try:
            room = disk_room(folder, float(k.pack.max_take_seconds))
        except OSError as error:
            return CheckLine("Storage", False, f"Cannot read the free space: {error}")
        if room.full:
            return CheckLine("Storage", False, disk_full_problem(room, folder).sentence)
        return CheckLine("Storage", True, f"{room.free_bytes / 1e9:.1f} GB free: about "
                         f"{room.video_hours:.1f} hours of video.")

    def _sync_line(self) -> CheckLine:
        k = self._kiosk()
        if not k.settings.demo:
            problem = enrolment_problem(k.settings.paths)
            if problem is not None:
                return CheckLine("Sync", False, problem.sentence)
        report = self.sync_report()
        ok: bool | None = None  # offline or not started yet: answers wait, nothing is wrong
        if report.state.startswith(("Needs you", "Not set up")):
            ok = False
        elif report.state.startswith(("Up to date", "Sending")):
            ok = True
        return CheckLine("Sync", ok, f"{report.state} {report.why_waiting}".strip())

    def checklist(self) -> list[CheckLine]:
        camera_ok, camera_words = self.camera
        mic_ok, mic_words = self.microphone
        return [
            CheckLine("Camera", camera_ok, camera_words),
            CheckLine("Microphone", mic_ok, mic_words if mic_ok is not None else
                      "Say something: the bars move when it hears you."),
            CheckLine("Speaker", None, "Press ▶ to play a test sound."),
            self._storage_line(),
            self._sync_line(),
        ]

    def _speech_line(self) -> CheckLine:
        from booth.ui.speech import QtSpeaker

        speaker = self._kiosk().speaker
        if not isinstance(speaker, QtSpeaker):
            return CheckLine("Speech", None, "Spoken prompts are off on this booth.")
        if speaker.available:
            return CheckLine("Speech", True, "Spoken prompts have a voice.")
        return CheckLine("Speech", False, "No voice for spoken prompts (children who cannot "
                         "read yet need them). Install speech-dispatcher with a voice, such "
                         "as espeak-ng, then restart the booth.")

    def device(self) -> list[CheckLine]:
        ok, words = describe_battery(self._battery())
        clock = (self.last_council.clock if self.last_council is not None else
                 CheckLine("Clock", None, "Press “Check the clock” to compare it with the "
                           "council's."))
        return [
            self._storage_line(),
            CheckLine("Battery", ok, words),
            CheckLine("Camera", *self.camera),
            CheckLine("Microphone", *self.microphone),
            self._speech_line(),
            clock,
        ]

    def check_council(self) -> CouncilCheck:
        """Ask the council server now (off the GUI thread: it may take seconds): whether
        it answers, and its clock against the laptop's (its ``Date`` header)."""
        from booth.sync.keys import CredentialError, load_credential_for
        from booth.sync.online import make_client, say_hello

        k = self._kiosk()
        unknown = CheckLine("Clock", None, "The council server did not answer, so the clock "
                            "was not compared.")
        try:
            credential = load_credential_for(k.settings)
        except CredentialError as error:
            credential, problem = None, str(error)
        else:
            problem = "this booth is not enrolled yet"
        if credential is None:
            found = CouncilCheck(False, problem, unknown)
        else:
            dates: list[str] = []
            with make_client(credential, timeout=5.0) as client:
                client.event_hooks["response"] = [
                    lambda response: dates.append(response.headers.get("date", ""))]
                hello = say_hello(client, credential)
            clock = unknown
            if dates and dates[-1]:
                try:
                    fine, words = describe_clock(clock_offset(dates[-1], k.clock.utcnow()))
                    clock = CheckLine("Clock", fine, words)
                except ValueError:
                    pass
            found = CouncilCheck(hello.online, hello.detail, clock)
        self.last_council = found
        return found

    def start_camera_check(self) -> None:
        k = self._kiosk()
        if not k.capture.camera_ready:
            self.camera = (None, "Opening the camera…")
        self.microphone = (None, "Listening…")
        k.takes.set_officer_camera_check(True)

    def stop_camera_check(self) -> None:
        self._kiosk().takes.set_officer_camera_check(False)

    # ------------------------------------------------------------------ sync and sticks

    def sync_now(self) -> str:
        k = self._kiosk()
        self.audit("sync_now")
        if k.sync is None:
            problem = enrolment_problem(k.settings.paths)
            return problem.sentence if problem is not None else \
                "This booth is not set up to send answers yet."
        k.sync.sync_now()
        return "Sending answers to the council now."

    def sync_report(self) -> SyncReport:
        from booth.sync.qt import NEEDS_OFFICER, OFFLINE, SYNCING, UP_TO_DATE
        from booth.wire.bundle import BundleError, Manifest

        k = self._kiosk()
        waiting = k.store.bundles_in_state("sealed", "uploading")
        size = 0
        for found in waiting:
            try:
                size += Manifest.parse(found.manifest_json).total_size
            except BundleError:
                continue
        last = _local(k.store.device_meta_get(LAST_SYNC_KEY), k.clock.utcnow()) or "not yet"
        state = self.sync_state or (str(k.sync.state) if k.sync is not None else "")
        why = ""
        if k.sync is None:
            words = "Not set up: this booth is not enrolled with the council."
        elif state.startswith(NEEDS_OFFICER):
            words = "Needs you: " + state.removeprefix(NEEDS_OFFICER).lstrip(": ")
        elif state == SYNCING:
            words = "Sending answers to the council."
        elif state == UP_TO_DATE:
            words = "Up to date."
        elif state == OFFLINE:
            words = "Waiting: the council server cannot be reached."
            council = self.last_council
            why = (f"Last check: {council.detail}." if council is not None
                   and not council.reachable else
                   "The booth tries again by itself; answers wait safely here.")
        else:
            words = "Not started yet."
        if waiting and not why and state != SYNCING:
            why = "They go at the next try (every minute while the booth runs)."
        return SyncReport(words, len(waiting), size, last, why)

    def usb_sticks(self) -> list[Volume]:
        return self._volumes()

    def export_to(self, folder: str) -> str:
        from booth.sync.export import accept_receipts_in, export_bundles
        from booth.sync.keys import CredentialError, DeviceKeys, load_credential_for
        from booth.sync.seal import seal_pending

        k = self._kiosk()
        target = Path(folder)
        name = target.name or folder
        accepted = 0
        try:
            credential = load_credential_for(k.settings)
        except CredentialError:
            credential = None
        try:
            if credential is not None:
                receipts = accept_receipts_in(k.store, k.settings, credential, target)
                accepted = len(receipts.accepted)
                # Sessions finished a moment ago go too (sealing is safe beside the
                # sync worker's: one seals, the other finds the bundle).
                seal_pending(k.store, k.settings.paths,
                             DeviceKeys.load_or_create(k.settings.paths), credential)
            report = export_bundles(k.store, k.settings, target)
        except OSError as error:
            self.audit("export", f"failed: {error.strerror or error}")
            return (f"Could not write to {name}: {error.strerror or error}. Nothing was "
                    "deleted from the booth; try another stick.")
        self.audit("export", f"{len(report.exported)} bundles to {name}; "
                   f"{accepted} receipts accepted")
        text = f"Copied {len(report.exported)} bundle(s) to {name}."
        if accepted:
            text += (f" The council's receipts for {accepted} bundle(s) were on the stick: "
                     "the booth's copies of those are deleted.")
        if report.exported:
            text += " The booth keeps its copies until the council's receipts come back."
        if report.quarantined:
            text += f" {len(report.quarantined)} damaged bundle(s) were set aside."
        return text

    # ------------------------------------------------------------------ needs attention

    def attention(self) -> list[Attention]:
        k = self._kiosk()
        items: list[Attention] = []
        if not k.settings.demo:
            problem = enrolment_problem(k.settings.paths)
            if problem is not None:
                items.append(Attention("Not enrolled", problem.sentence))
        storage = self._storage_line()
        if storage.ok is False:
            items.append(Attention("Disk full", storage.detail))
        if k.journey.state is State.RESTING:
            items.append(Attention("The booth is resting", "Its database cannot write for lack "
                                   "of space. It wakes by itself once there is room again."))
        for name, (ok, words) in (("Camera", self.camera), ("Microphone", self.microphone)):
            if ok is False:
                items.append(Attention(name, words))
        report = self.sync_report()
        if report.state.startswith("Needs you"):
            items.append(Attention("Sync", report.state))
        today = k.clock.utcnow()
        for found in k.store.bundles_in_state("quarantined"):
            items.append(Attention(
                f"Answers set aside ({_local(found.created_at, today)})",
                found.error or "The bundle failed a check.", found.id))
        return items

    def retry_bundle(self, bundle_id: str) -> str:
        from booth.sync.keys import DeviceKeys
        from booth.wire.bundle import verify_bundle_dir

        k = self._kiosk()
        device = DeviceKeys.load_or_create(k.settings.paths)
        problems = verify_bundle_dir(k.settings.paths.bundles / bundle_id, device.public_b64)
        if problems:
            self.audit("retry_bundle", f"bundle {bundle_id}: still damaged")
            return (f"Still damaged: {'; '.join(problems)}. Export it for the council's "
                    "team, or discard it.")
        k.store.set_bundle_state(bundle_id, "sealed")
        self.audit("retry_bundle", f"bundle {bundle_id}")
        if k.sync is not None:
            k.sync.sync_now()
        return "The bundle checks out now; it is waiting to be sent again."

    def export_bundle(self, bundle_id: str, folder: str) -> str:
        k = self._kiosk()
        source = k.settings.paths.bundles / bundle_id
        target = Path(folder) / "set-aside" / bundle_id
        if not source.is_dir():
            return "That bundle's files are gone from this booth; there is nothing to export."
        try:
            shutil.copytree(source, target, dirs_exist_ok=True)
        except OSError as error:
            return f"Could not copy it to {Path(folder).name}: {error.strerror or error}."
        self.audit("export_bundle", f"bundle {bundle_id} to {Path(folder).name}")
        return (f"Copied the set-aside bundle to {Path(folder).name}/set-aside. Give the "
                "stick to the council's team; the booth keeps its copy until you discard it.")

    def discard_bundle(self, bundle_id: str) -> str:
        k = self._kiosk()
        try:
            files = k.store.discard_bundle(bundle_id)
        except StoreError as error:
            return str(error)
        shutil.rmtree(k.settings.paths.bundles / bundle_id, ignore_errors=True)
        for name in files:
            (k.settings.paths.takes / name).unlink(missing_ok=True)
        return "Discarded: that bundle's answers are deleted from this booth."

    # ------------------------------------------------------------------ history, packs, PIN

    def history(self, limit: int = 200) -> list[HistoryLine]:
        k = self._kiosk()
        today = k.clock.utcnow()
        entries = k.store.audit_log()[-limit:]
        return [HistoryLine(_local(e.at, today), ACTIONS.get(e.officer_action,
                            e.officer_action.replace("_", " ").capitalize()), e.detail)
                for e in reversed(entries)]

    def _pack_choice(self, path: Path, where: str) -> FileChoice:
        try:
            name = load_pack(path).name
        except PackError:
            name = f"{path.name} (has a problem)"
        return FileChoice(name, str(path), where)

    def packs(self) -> list[FileChoice]:
        k = self._kiosk()
        found: list[FileChoice] = []
        for volume in self.usb_sticks():
            stick = Path(volume.path)
            for path in sorted([*stick.glob("*.toml"), *stick.glob("packs/*.toml")]):
                found.append(self._pack_choice(path, f"USB stick {volume.name}"))
        for folder in (default_pack_path().parent, k.settings.paths.config / "packs"):
            for path in sorted(folder.glob("*.toml")):
                found.append(self._pack_choice(path, "this laptop"))
        return found

    def switch_pack(self, path: str) -> str:
        busy = self._busy()
        if busy is not None:
            return busy
        k = self._kiosk()
        try:
            pack = load_pack(Path(path))
        except PackError as error:
            return f"That pack cannot be used, the booth keeps the current one. {error}"
        k.pack_error = None
        k.restart_journey(pack)
        k.store.audit("switch_pack", pack.id)
        return f"Now using the campaign pack “{pack.name}”."

    def check_pin(self, pin: str, purpose: str) -> bool:
        return self._kiosk().pin_guard.check(pin, purpose)

    def change_pin(self, pin: str, again: str) -> str:
        self._kiosk().pin_guard.set_pin(pin, again)
        return "The PIN has been changed."

    # ------------------------------------------------------------------ first-run setup

    def setup_state(self) -> SetupState:
        from booth.sync.keys import CredentialError, load_credential

        k = self._kiosk()
        problem = enrolment_problem(k.settings.paths)
        enrolled = None
        if problem is None:
            try:
                credential = load_credential(k.settings.paths)
            except CredentialError:
                credential = None
            if credential is not None:
                enrolled = f"{credential.device_id} ({credential.server_url})"
        event = k.store.current_event()
        return SetupState(enrolled, problem.sentence if problem else None,
                          k.pin_guard.has_pin, k.pin_guard.pin_from_council,
                          event.name if event else "")

    def credential_files(self) -> list[FileChoice]:
        """Credential files on the USB sticks plugged in (the top folder and one below)."""
        from booth.sync.keys import Credential, CredentialError

        found: list[FileChoice] = []
        for volume in self.usb_sticks():
            stick = Path(volume.path)
            for path in sorted([*stick.glob("*.json"), *stick.glob("*/*.json")]):
                try:
                    if path.stat().st_size > CREDENTIAL_MAX_BYTES:
                        continue
                    Credential.parse(path.read_bytes())
                except (OSError, CredentialError):
                    continue
                found.append(FileChoice(path.name, str(path), f"USB stick {volume.name}"))
        return found

    def enrol_from(self, path: str) -> str:
        from booth.sync.keys import CredentialError, DeviceKeys, install_credential

        k = self._kiosk()
        file = Path(path.strip()).expanduser()
        try:
            credential = install_credential(k.settings.paths, file)
        except CredentialError as error:
            raise ValueError(f"That credential cannot be used: {error}.") from None
        DeviceKeys.load_or_create(k.settings.paths)
        self.audit("enrol", credential.device_id)
        k.start_sync()
        text = f"Enrolled as {credential.device_id}; answers go to {credential.server_url}."
        if credential.officer_pin_hash is not None:
            text += " The council has set the officer PIN."
        return text

    def finish_setup(self) -> str:
        k = self._kiosk()
        state = self.setup_state()
        missing = [what for what, done in (
            ("enrol the booth", state.enrolled_as is not None),
            ("set the officer PIN", state.pin_set),
            ("name today's event", bool(state.event_name))) if not done]
        if missing:
            raise ValueError("Before the booth opens: " + ", and ".join(missing) + ".")
        k.store.device_meta_set(SETUP_DONE_KEY, k.clock.utcnow().isoformat())
        self.audit("setup_done")
        return "The booth is set up. It opens to the public now."
