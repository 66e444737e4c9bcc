"""The composition root: builds the whole kiosk from settings, and runs it."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from booth.answers import Answers
from booth.clock import Clock, SystemClock
from booth.demo import DemoCouncil
from booth.desk import OfficerDesk
from booth.journey import Journey, JourneyView, State
from booth.kiosk import Kiosk, event_settings, setup_needed
from booth.pack import PackError, default_pack_path, load_pack_or_default
from booth.settings import Settings
from booth.space import RoomWatch, WatchedSession, WatchedTakes
from booth.store import Store, StoreLockedError, reconcile
from booth.take import Takes
from booth.ui.officer import PinGuard

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from booth.sync.keys import DeviceKeys

log = logging.getLogger(__name__)

__all__ = ["Kiosk", "OfficerDesk", "build_kiosk", "event_settings", "run_kiosk"]

EXIT_OK = 0
EXIT_LOCKED = 3
EXIT_CANNOT_START = 4
SYNC_INTERVAL_S = 60.0
# How often the booth looks for a credential installed from a terminal (`booth enrol`)
# while it runs, and whether a resting booth has room again.
ENROL_WATCH_MS = 10_000
ROOM_WATCH_MS = 3_000
# Between visitors, after the review player has let go of its buffer (1.5 s).
TRIM_AFTER_MS = 3_000


def _council_pin_hash(settings: Settings) -> Callable[[], str | None]:
    def read() -> str | None:
        from booth.sync.keys import CredentialError, load_credential

        try:
            credential = load_credential(settings.paths)
        except CredentialError:
            return None
        return credential.officer_pin_hash if credential is not None else None

    return read


def _sync_starter(kiosk: Kiosk, desk: OfficerDesk, device_keys: DeviceKeys,
                  background: bool) -> Callable[[], None]:
    """What starts the sync controller once the booth is enrolled: at build time, or the
    moment a credential is installed while it runs (so sessions finished after that are
    sealed and sent at once, not at the next start)."""

    def start() -> None:
        from booth.sync.keys import CredentialError, load_credential
        from booth.sync.qt import SyncController

        if kiosk.sync is not None:
            return
        try:
            if load_credential(kiosk.settings.paths) is None:
                return
            sync = SyncController(kiosk.store, kiosk.settings, device_keys)
        except CredentialError:
            log.exception("the credential cannot be read; answers stay safely on this laptop")
            return
        except Exception:
            log.exception("sync could not start; answers stay safely on this laptop")
            return
        kiosk.sync = sync
        # Sessions that end from now on are handed over; those finished before (while not
        # enrolled) are sealed when the worker first wakes.
        kiosk.answers.hand_over = sync.session_finished
        sync.stateChanged.connect(kiosk.window.officer.set_sync_state)
        sync.stateChanged.connect(desk.note_sync_state)
        sync.progress.connect(kiosk.window.officer.show_sync_progress)
        kiosk.cleanups.append(sync.shutdown)
        if background:
            sync.start_background(SYNC_INTERVAL_S)
        else:
            sync.sync_now()

    return start


def build_kiosk(
    settings: Settings,
    clock: Clock | None = None,
    speaker: Any = None,
    with_player: bool = True,
    start_sync: bool = False,
    desk_options: dict[str, Any] | None = None,
) -> Kiosk:
    """Build the kiosk: store (reconciled), pack (falling back to the default), capture,
    sync, takes, answers, journey and window. A QApplication must exist. Raises
    ``StoreLockedError`` when another booth holds the data folder."""
    from booth.capture.qt import CaptureController
    from booth.pack import LOOKS, Look
    from booth.sync import seal
    from booth.sync.keys import DeviceKeys
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
        takes = Takes(store, paths, capture, camera=settings.camera, audio=settings.audio)
        # Not enrolled, nobody takes a finished session: it waits in the store until the
        # sync controller starts (below, or the moment the booth is enrolled).
        answers = Answers(store, paths, pack, clock, speak=speaker.say, hand_over=None)
        kiosk_box: list[Kiosk] = []
        room = RoomWatch(store, paths.data, clock,
                         lambda: float(kiosk_box[0].pack.max_take_seconds))
        # The journey's effects tell the room watch when a write failed for a full disk.
        journey = Journey(pack, clock, WatchedSession(answers, room), event_settings(store),
                          takes=WatchedTakes(takes, room))
        event = store.current_event()
        resting: Look = "adult"
        if event is not None and event.default_look in LOOKS:
            resting = event.default_look
        guard = PinGuard(store, clock, demo=settings.demo,
                         council_hash=_council_pin_hash(settings))
        desk = OfficerDesk(lambda: kiosk_box[0], **(desk_options or {}))
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
        kiosk = Kiosk(settings, clock, store, pack, pack_error, journey, takes, answers,
                      capture, window, speaker, guard, room=room)
        kiosk_box.append(kiosk)
        _wire_capture(kiosk, desk)
        kiosk.start_sync = _sync_starter(kiosk, desk, device_keys, background=start_sync)
        kiosk.start_sync()
        _watch_room(kiosk, desk)
        _trim_between_visitors(kiosk)
        if setup_needed(store, settings):
            _build_setup(kiosk, desk)
        return kiosk
    except BaseException:
        store.close()
        raise


def _wire_capture(kiosk: Kiosk, desk: OfficerDesk) -> None:
    """Camera news to the screens and the officer's checks. A full disk is not a camera
    problem: the visitor is told there is no room (booth.take), not "the camera is not
    working", and the console's storage line says what to do."""
    from booth.capture.recorder import NOT_ENOUGH_SPACE

    capture, window = kiosk.capture, kiosk.window

    def failed(reason: str) -> None:
        desk.note_capture_problem(reason)
        if reason != NOT_ENOUGH_SPACE:
            window.show_camera_problem(reason)

    capture.previewFrame.connect(window.show_camera_frame)
    capture.level.connect(window.show_level)
    capture.level.connect(desk.note_level)
    capture.ready.connect(desk.note_camera_ready)
    capture.failed.connect(failed)


def _watch_room(kiosk: Kiosk, desk: OfficerDesk) -> None:
    """Rest the booth (a calm screen) while it cannot keep answers, and wake it when
    space returns: never a failsafe screen for every visitor in turn."""
    from PySide6.QtCore import QTimer

    room, journey = kiosk.room, kiosk.journey
    assert room is not None

    def rest_if_full(view: JourneyView | None = None) -> None:
        state = journey.state
        if state is State.RESTING:
            return
        # A write failed for lack of room: rest now (the visitor on the failsafe screen
        # sees the resting screen instead). Low on room: rest between visitors.
        between = state in (State.ATTRACT, State.FAILSAFE)
        if room.full_seen or (between and room.must_rest()):
            journey.rest("the disk is full")
            desk.audit("resting", "the disk is full")

    def wake_if_room() -> None:
        if journey.state is State.RESTING:
            if room.may_wake():
                desk.audit("awake", "space is back")
                journey.wake()
        else:
            rest_if_full()

    def on_view(view: JourneyView) -> None:
        if room.full_seen and view.state is not State.RESTING:
            # Not from inside the journey's own publishing: on the next turn of the loop.
            QTimer.singleShot(0, rest_if_full)

    journey.subscribe(on_view)
    timer = QTimer(kiosk.window)
    timer.setInterval(ROOM_WATCH_MS)
    timer.timeout.connect(wake_if_room)
    timer.start()


def _trim_between_visitors(kiosk: Kiosk) -> None:
    """A few seconds after a visitor has gone (their take's frames, encoder and review
    freed by then), give the heap's free pages back to the system: the booth's memory
    between visitors stays where it was at the start of the day (bench/soak.py)."""
    from PySide6.QtCore import QTimer

    from booth.allocator import release_free_memory

    journey = kiosk.journey
    timer = QTimer(kiosk.window)
    timer.setSingleShot(True)
    timer.setInterval(TRIM_AFTER_MS)

    def trim() -> None:
        if journey.state is State.ATTRACT:
            started = time.perf_counter()
            release_free_memory()
            log.debug("free memory released in %.1f ms", (time.perf_counter() - started) * 1e3)

    timer.timeout.connect(trim)
    last: list[State] = [journey.state]

    def on_view(view: JourneyView) -> None:
        if view.state is State.ATTRACT and last[0] is not State.ATTRACT:
            timer.start()
        last[0] = view.state

    journey.subscribe(on_view)


def _build_setup(kiosk: Kiosk, desk: OfficerDesk) -> None:
    """The first-run setup, shown instead of the kiosk window until it is done."""
    from booth.ui.looks import style_sheet
    from booth.ui.officer import SetupScreen

    setup = SetupScreen(desk, base_style=style_sheet(kiosk.window.styles["adult"]))
    kiosk.setup = setup
    kiosk.capture.previewFrame.connect(setup.show_frame)
    kiosk.capture.level.connect(setup.show_level)


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


def _report_first_paint(widget: Any, report: str) -> None:
    """Write the wall-clock time ``widget`` is first painted to ``report`` (bench/ui.py
    measures the cold start from the process's launch to that moment)."""
    import json

    from PySide6.QtCore import QEvent, QObject

    class _FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                widget.removeEventFilter(self)
                Path(report).write_text(json.dumps({"painted_at": time.time()}),
                                        encoding="utf-8")
            return False

    watcher = _FirstPaint(widget)
    widget.installEventFilter(watcher)


def open_to_public(kiosk: Kiosk) -> None:
    """Show the kiosk window (after the first-run setup, when there was one)."""
    setup, kiosk.setup = kiosk.setup, None
    kiosk.window.start()
    if setup is not None:
        for signal, slot in ((kiosk.capture.previewFrame, setup.show_frame),
                             (kiosk.capture.level, setup.show_level)):
            signal.disconnect(slot)
        setup.allow_close()
        setup.close()
        setup.deleteLater()
        kiosk.restart_journey()  # the event set up during setup, from its first visitor


def present(kiosk: Kiosk, quit_booth: Callable[[], None]) -> None:
    """Show the booth: the first-run setup while it has not been set up (the public
    journey stays hidden until then), else the kiosk window."""
    if kiosk.setup is None:
        kiosk.window.start()
        return
    log.info("this booth has not been set up: the first-run setup opens")
    kiosk.setup.quitRequested.connect(quit_booth)
    kiosk.setup.finished.connect(lambda: open_to_public(kiosk))
    kiosk.setup.start(kiosk.settings.windowed)


def run_kiosk(settings: Settings, quit_after: float | None = None,
              startup_report: str | None = None) -> int:
    """Run the kiosk until the officer quits (or ``quit_after`` seconds, for smoke tests).
    A booth that has not been set up opens on the first-run setup, never on the public
    journey."""
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
        kiosk.window.officer.checklist.say(
            f"The campaign pack could not be used, so the booth runs on the default pack: "
            f"{kiosk.pack_error}")
    # A credential installed from a terminal (`booth enrol`) while the booth runs.
    enrolment = QTimer(kiosk.window)
    enrolment.setInterval(ENROL_WATCH_MS)
    enrolment.timeout.connect(kiosk.start_sync)
    enrolment.start()
    if startup_report is not None:
        _report_first_paint(kiosk.window.attract, startup_report)
    present(kiosk, lambda: app.exit(0))
    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), lambda: app.exit(0))
    try:
        code = app.exec()
    finally:
        remove_error_listener(to_failsafe)
        if kiosk.setup is not None:
            kiosk.setup.allow_close()
            kiosk.setup.close()
        kiosk.window.allow_close()
        kiosk.window.close()
        kiosk.close()
    return EXIT_OK if code == 0 else code
