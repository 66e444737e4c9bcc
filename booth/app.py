"""The composition root: builds the whole kiosk from settings, and runs it."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from booth.answers import Answers
from booth.clock import Clock, SystemClock
from booth.demo import DemoCouncil
from booth.i18n import english_name
from booth.journey import EventSettings, Journey, State
from booth.pack import (
    LOOKS,
    CampaignPack,
    PackError,
    default_pack_path,
    load_pack,
    load_pack_or_default,
)
from booth.settings import Settings
from booth.store import CouncilEvent, Store, StoreError, StoreLockedError, reconcile
from booth.take import Takes
from booth.ui.officer import OfficerStatus, PinGuard

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_LOCKED = 3
EXIT_CANNOT_START = 4
SYNC_INTERVAL_S = 60.0


@dataclass
class Kiosk:
    """Everything ``build_kiosk`` made, for ``run_kiosk``, the screenshots command and tests."""

    settings: Settings
    clock: Clock
    store: Store
    pack: CampaignPack
    pack_error: PackError | None
    journey: Journey
    takes: Takes
    answers: Answers
    capture: Any
    window: Any
    speaker: Any
    pin_guard: PinGuard
    sync: Any = None
    demo_council: DemoCouncil | None = None
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    _closed: bool = False

    def restart_journey(self, pack: CampaignPack | None = None) -> None:
        """Restart the journey for a new event or pack; only between participants."""
        if pack is not None:
            self.pack = pack
            self.answers.pack = pack
            from booth.ui.looks import look_style

            self.window.set_styles({look: look_style(look, pack.theme_for(look))
                                    for look in LOOKS})
            self.window.set_campaign(pack)
        self.journey.restart(self.pack, event_settings(self.store))

    def close(self) -> None:
        """Stop the camera (closing a take cut short), sync and the store (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.window.stop()
        except Exception:
            log.exception("stopping the window failed")
        closing = [self.capture.shutdown, self.takes.shutdown, *reversed(self.cleanups)]
        if hasattr(self.speaker, "close"):
            closing.append(self.speaker.close)
        for step in closing:
            try:
                step()
            except Exception:
                log.exception("shutting down %s failed", step)
        self.store.close()


class OfficerDesk:
    """The officer panel's backend: counts, event set-up, withdrawals, sync, export."""

    def __init__(self, kiosk_ref: Callable[[], Kiosk]) -> None:
        self._kiosk = kiosk_ref

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
        )

    def set_up_event(self, name: str, kind: str, default_look: str,
                     adult_confirmation: bool) -> str:
        k = self._kiosk()
        if k.journey.state not in (State.ATTRACT, State.FAILSAFE):
            return "Someone is using the booth. Try again when it shows the start screen."
        k.store.create_event(name, kind, default_look, adult_confirmation)
        k.window.resting_look = default_look
        k.restart_journey()
        return f"The event “{name}” has started. Counts start from zero."

    def council_events(self) -> list[CouncilEvent]:
        """The council's events, as its signed list said at the last sync."""
        return self._kiosk().store.council_events()

    def start_council_event(self, council_event_id: str, default_look: str,
                            adult_confirmation: bool) -> str:
        """Start an event from the council's list: its answers carry the council's id,
        so every kiosk there counts towards the one event."""
        k = self._kiosk()
        if k.journey.state not in (State.ATTRACT, State.FAILSAFE):
            return "Someone is using the booth. Try again when it shows the start screen."
        try:
            event = k.store.start_council_event(council_event_id, default_look,
                                                adult_confirmation)
        except StoreError as error:
            return str(error)
        k.window.resting_look = default_look
        k.restart_journey()
        return f"The event “{event.name}” has started. Counts start from zero."

    def withdraw(self, reference_code: str) -> str:
        k = self._kiosk()
        try:
            result = k.store.withdraw(reference_code, "officer panel")
        except StoreError as error:
            return str(error)
        for name in result.take_files:
            (k.settings.paths.takes / name).unlink(missing_ok=True)
        import shutil

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

    def sync_now(self) -> str:
        k = self._kiosk()
        if k.sync is None:
            return "This booth is not set up to send answers yet (no council credential)."
        k.sync.sync_now()
        return "Sending answers to the council now."

    def export_to(self, folder: str) -> str:
        k = self._kiosk()
        from booth.sync.export import export_bundles

        report = export_bundles(k.store, k.settings, Path(folder))
        k.store.audit("export", f"{len(report.exported)} bundles to a folder")
        text = f"Copied {len(report.exported)} bundle(s) to {folder}."
        if report.quarantined:
            text += f" {len(report.quarantined)} damaged bundle(s) were set aside."
        return text

    def switch_pack(self, path: str) -> str:
        k = self._kiosk()
        if k.journey.state not in (State.ATTRACT, State.FAILSAFE):
            return "Someone is using the booth. Try again when it shows the start screen."
        try:
            pack = load_pack(Path(path))
        except PackError as error:
            return f"That pack cannot be used, the booth keeps the current one. {error}"
        k.pack_error = None
        k.restart_journey(pack)
        k.store.audit("switch_pack", pack.id)
        return f"Now using the campaign pack “{pack.name}”."

    def start_camera_check(self) -> None:
        self._kiosk().takes.set_officer_camera_check(True)

    def stop_camera_check(self) -> None:
        self._kiosk().takes.set_officer_camera_check(False)

    def set_event_language(self, language: str | None) -> str:
        """The language each person at this event starts in (None: the pack's default)."""
        k = self._kiosk()
        if k.journey.state not in (State.ATTRACT, State.FAILSAFE):
            return "Someone is using the booth. Try again when it shows the start screen."
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
        k = self._kiosk()
        if k.journey.state not in (State.ATTRACT, State.FAILSAFE):
            return "Someone is using the booth. Try again when it shows the start screen."
        event = k.store.current_event()
        if event is None:
            return "Start the event first."
        k.store.set_event_spoken_looks(event.id, looks)
        k.restart_journey()
        read = [look for look in LOOKS if look in looks]
        return ("Screens are read aloud for: " + ", ".join(read) + "." if read
                else "No screens are read aloud unless a person asks.")

    def change_pin(self, pin: str) -> str:
        k = self._kiosk()
        k.pin_guard.set_pin(pin)
        k.store.audit("change_pin")
        return "The PIN has been changed."


def event_settings(store: Store) -> EventSettings:
    """How the journey runs at the store's current event (defaults before any is set up)."""
    event = store.current_event()
    if event is None:
        return EventSettings()
    spoken = EventSettings().spoken_looks if event.spoken_looks is None else frozenset(
        look for look in LOOKS if look in event.spoken_looks)
    return EventSettings(child_needs_adult_confirmation=event.requires_adult_confirmation,
                         spoken_looks=spoken, default_language=event.default_language)


def build_kiosk(
    settings: Settings,
    clock: Clock | None = None,
    speaker: Any = None,
    with_player: bool = True,
    start_sync: bool = False,
) -> Kiosk:
    """Build the kiosk: store (reconciled), pack (falling back to the default), capture,
    sync, takes, answers, journey and window. A QApplication must exist. Raises
    ``StoreLockedError`` when another booth holds the data folder."""
    from booth.capture.qt import CaptureController
    from booth.pack import Look
    from booth.sync import seal
    from booth.sync.keys import DeviceKeys, load_credential
    from booth.sync.qt import SyncController
    from booth.ui.looks import look_style
    from booth.ui.officer import OfficerPanel, PinPad
    from booth.ui.speech import QtSpeaker
    from booth.ui.window import KioskWindow

    clock = clock or SystemClock()
    paths = settings.paths
    paths.create()
    store = Store.open(paths, clock)
    try:
        report = reconcile(store, paths)
        if report.changed:
            log.info("start-up reconcile: %s", report.summary())
        try:
            seal.reconcile_bundles(store, paths)
        except Exception:
            log.exception("bundle reconcile failed")
        pack, pack_error = load_pack_or_default(settings.pack_path, default_pack_path())
        if pack_error is not None:
            log.error("campaign pack not used: %s", pack_error)
        if speaker is None:
            speaker = QtSpeaker()
            speaker.warm_up()
        capture = CaptureController()
        device_keys = DeviceKeys.load_or_create(paths)
        # Enrolled, the sync controller seals each session that ends and sends it (and,
        # once started, those finished before a crash); not enrolled, they wait.
        sync: SyncController | None = None
        if load_credential(paths) is not None:
            try:
                sync = SyncController(store, settings, device_keys)
            except Exception:
                log.exception("sync could not start; answers stay safely on this laptop")
        takes = Takes(store, paths, capture, camera=settings.camera, audio=settings.audio)
        answers = Answers(store, paths, pack, clock, speak=speaker.say,
                          hand_over=sync.session_finished if sync is not None else None)
        journey = Journey(pack, clock, answers, event_settings(store), takes=takes)
        event = store.current_event()
        resting: Look = "adult"
        if event is not None and event.default_look in LOOKS:
            resting = event.default_look
        guard = PinGuard(store, clock)
        kiosk_box: list[Kiosk] = []
        desk = OfficerDesk(lambda: kiosk_box[0])
        styles = {look: look_style(look, pack.theme_for(look)) for look in LOOKS}
        window = KioskWindow(
            journey, answers.tally, takes.review_bytes, styles, speaker,
            pin_pad_factory=lambda parent: PinPad(guard, demo=settings.demo, parent=parent),
            officer_panel_factory=lambda parent: OfficerPanel(desk, demo=settings.demo,
                                                              parent=parent),
            windowed=settings.windowed, resting_look=resting, with_player=with_player,
            campaign=pack,
        )
        journey.subscribe(window.show_view)
        takes.follow(journey)
        capture.previewFrame.connect(window.show_camera_frame)
        capture.level.connect(window.show_level)
        capture.failed.connect(window.show_camera_problem)
        kiosk = Kiosk(settings, clock, store, pack, pack_error, journey, takes, answers,
                      capture, window, speaker, guard, sync)
        kiosk_box.append(kiosk)
        if sync is not None:
            sync.stateChanged.connect(window.officer.set_sync_state)
            kiosk.cleanups.append(sync.shutdown)
            if start_sync:
                sync.start_background(SYNC_INTERVAL_S)
        return kiosk
    except BaseException:
        store.close()
        raise


def failsafe_listener(kiosk: Kiosk) -> Callable[[BaseException], None]:
    """An error listener (``booth.logs``) that sends the journey to its failsafe screen.
    It may be called on any thread; the journey is only touched on the GUI thread."""
    from PySide6.QtCore import QMetaObject, QObject, Qt, Slot

    class _Relay(QObject):
        def __init__(self) -> None:
            super().__init__(kiosk.window)
            self.reason = ""

        @Slot()
        def fail(self) -> None:
            kiosk.journey.fail(self.reason or "an unexpected error")

    relay = _Relay()

    def listener(error: BaseException) -> None:
        relay.reason = type(error).__name__
        QMetaObject.invokeMethod(relay, "fail", Qt.ConnectionType.QueuedConnection)

    return listener


def qt_application() -> QApplication:
    """The process's QApplication, made on first use (one per process)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("booth")
    return app


def process_events() -> None:
    """Let Qt deliver what is queued (for commands that drive the kiosk step by step)."""
    qt_application().processEvents()


def run_kiosk(settings: Settings, quit_after: float | None = None) -> int:
    """Run the kiosk until the officer quits (or ``quit_after`` seconds, for smoke tests)."""
    from PySide6.QtCore import QTimer

    from booth.logs import add_error_listener, install_qt_message_handler, remove_error_listener

    app = qt_application()
    install_qt_message_handler()
    demo: DemoCouncil | None = None
    if settings.demo:
        from booth.demo import NoDemoCouncil, start_demo_council

        try:
            settings.paths.create()
            demo = start_demo_council(settings.paths)
        except NoDemoCouncil as error:
            log.warning("%s; answers stay on this laptop", error)
        except Exception:
            log.exception("the demo council server did not start; the booth runs without it")
    try:
        kiosk = build_kiosk(settings, start_sync=True)
    except StoreLockedError as error:
        print(f"The booth cannot start: {error}", file=sys.stderr)
        log.error("%s", error)
        if demo is not None:
            demo.stop()
        return EXIT_LOCKED
    except PackError as error:
        print(f"The booth cannot start: {error}", file=sys.stderr)
        log.error("%s", error)
        if demo is not None:
            demo.stop()
        return EXIT_CANNOT_START
    if demo is not None:
        kiosk.demo_council = demo
        kiosk.cleanups.insert(0, demo.stop)

    to_failsafe = failsafe_listener(kiosk)
    add_error_listener(to_failsafe)
    # exit(), not quit(): Qt's quit() asks every window to close first, and the kiosk
    # window refuses; only the officer (or quit_after) ends the booth.
    kiosk.window.quitRequested.connect(lambda: app.exit(0))
    if kiosk.pack_error is not None:
        kiosk.window.officer.message.setText(
            f"The campaign pack could not be used, so the booth runs on the default pack: "
            f"{kiosk.pack_error}")
    kiosk.window.start()
    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), lambda: app.exit(0))
    try:
        code = app.exec()
    finally:
        remove_error_listener(to_failsafe)
        kiosk.window.allow_close()
        kiosk.window.close()
        kiosk.close()
    return EXIT_OK if code == 0 else code
