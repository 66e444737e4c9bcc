"""Helpers for UI tests: a kiosk window over a real journey with recorded effects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QAbstractButton, QWidget
from pytestqt.qtbot import QtBot

from booth.device import Volume
from booth.journey import EventSettings, Journey
from booth.pack import LOOKS, CampaignPack, Look, default_pack_path, load_pack
from booth.settings import Paths
from booth.store import Store
from booth.ui.looks import LookStyle, look_style
from booth.ui.officer import (
    Attention,
    CheckLine,
    CouncilCheck,
    CouncilEvent,
    EventVoice,
    FileChoice,
    HistoryLine,
    OfficerPanel,
    OfficerStatus,
    PinGuard,
    PinPad,
    SetupState,
    SyncReport,
)
from booth.ui.speech import SilentSpeaker
from booth.ui.window import KioskWindow
from tests.helpers.clock import FakeClock
from tests.helpers.journey import RecordingEffects

# What Qt Multimedia says on a machine without a sound card or GPU: not a failure.
NO_MEDIA_HARDWARE = ("No audio device", "No HW decoder", "RHI", "PulseAudio", "pa_context",
                     "Using Qt multimedia")


@dataclass
class TallyBackend:
    """Answers the window's two questions with fixed data (screen tests only; the
    end-to-end tests use the real answers and takes)."""

    counts: dict[str, int] = field(default_factory=dict)
    people: int = 0
    review: bytes | None = None
    asked_review: list[str] = field(default_factory=list)

    def tally(self, list_id: str) -> tuple[Mapping[str, int], int]:
        return self.counts, self.people

    def review_bytes(self, take_id: str) -> bytes | None:
        self.asked_review.append(take_id)
        return self.review


@dataclass
class PanelBackend:
    """Records what the officer console asked for, and answers with fixed data."""

    actions: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)
    pin: str = "1234"
    sticks: list[Volume] = field(default_factory=list)
    listed_events: list[CouncilEvent] = field(default_factory=list)

    def _did(self, name: str, *args: object) -> None:
        self.actions.append((name, args))

    def status(self) -> OfficerStatus:
        return OfficerStatus("Test event", "school", 3, 2, 1, "Waiting", "One Stockport", None)

    def set_up_event(self, name: str, kind: str, default_look: str,
                     adult_confirmation: bool) -> str:
        self._did("set_up_event", name, kind, default_look, adult_confirmation)
        return f"Event {name} started."

    def council_events(self) -> list[CouncilEvent]:
        return list(self.listed_events)

    def start_council_event(self, council_event_id: str, default_look: str,
                            adult_confirmation: bool) -> str:
        self._did("start_council_event", council_event_id, default_look, adult_confirmation)
        return "The council's event has started."

    def event_voice(self) -> EventVoice | None:
        return EventVoice((("en", "English (English)"), ("ur", "اردو (Urdu)")), "en", None,
                          ("child",))

    def set_event_language(self, language: str | None) -> str:
        self._did("set_event_language", language)
        return f"Starts in {language}."

    def set_spoken_looks(self, looks: list[str]) -> str:
        self._did("set_spoken_looks", looks)
        return "Read aloud saved."

    def end_visit(self) -> str:
        self._did("end_visit")
        return "Visit ended."

    def withdraw(self, reference_code: str) -> str:
        self._did("withdraw", reference_code)
        return "Withdrawn."

    def checklist(self) -> list[CheckLine]:
        return [CheckLine("Camera", True, "ok"), CheckLine("Microphone", True, "ok"),
                CheckLine("Speaker", None, "Press ▶"), CheckLine("Storage", True, "ok"),
                CheckLine("Sync", True, "Up to date.")]

    def device(self) -> list[CheckLine]:
        return [CheckLine("Storage", True, "ok"), CheckLine("Battery", True, "mains")]

    def check_council(self) -> CouncilCheck:
        self._did("check_council")
        return CouncilCheck(True, "answered", CheckLine("Clock", True, "agrees"))

    def start_camera_check(self) -> None:
        self._did("start_camera_check")

    def stop_camera_check(self) -> None:
        self._did("stop_camera_check")

    def sync_now(self) -> str:
        self._did("sync_now")
        return "Syncing."

    def sync_report(self) -> SyncReport:
        return SyncReport("Up to date.", 0, 0, "10:42", "")

    def usb_sticks(self) -> list[Volume]:
        return list(self.sticks)

    def export_to(self, folder: str) -> str:
        self._did("export_to", folder)
        return "Exported."

    def attention(self) -> list[Attention]:
        return []

    def retry_bundle(self, bundle_id: str) -> str:
        self._did("retry_bundle", bundle_id)
        return "Retried."

    def export_bundle(self, bundle_id: str, folder: str) -> str:
        self._did("export_bundle", bundle_id, folder)
        return "Exported."

    def discard_bundle(self, bundle_id: str) -> str:
        self._did("discard_bundle", bundle_id)
        return "Discarded."

    def history(self, limit: int = 200) -> list[HistoryLine]:
        return [HistoryLine("10:42", "Console unlocked", "")]

    def packs(self) -> list[FileChoice]:
        return []

    def switch_pack(self, path: str) -> str:
        self._did("switch_pack", path)
        return "Switched."

    def check_pin(self, pin: str, purpose: str) -> bool:
        self._did("check_pin", purpose)
        return pin == self.pin

    def change_pin(self, pin: str, again: str) -> str:
        self._did("change_pin", pin, again)
        return "PIN changed."

    def audit(self, action: str, detail: str = "") -> None:
        self._did("audit", action, detail)

    def setup_state(self) -> SetupState:
        return SetupState("test-device", None, True, False, "Test event")

    def credential_files(self) -> list[FileChoice]:
        return []

    def enrol_from(self, path: str) -> str:
        self._did("enrol_from", path)
        return "Enrolled."

    def finish_setup(self) -> str:
        self._did("finish_setup")
        return "Set up."


@dataclass
class WindowRig:
    window: KioskWindow
    journey: Journey
    effects: RecordingEffects
    clock: FakeClock
    backend: TallyBackend
    panel: PanelBackend
    speaker: SilentSpeaker
    store: Store
    pack: CampaignPack


def build_window(qtbot: QtBot, data_dir: Path, pack: CampaignPack | None = None,
                 windowed: bool = True, size: tuple[int, int] = (1366, 768),
                 language: str | None = None, event: EventSettings | None = None,
                 speaker: SilentSpeaker | None = None) -> WindowRig:
    """A kiosk window over a real journey whose effects answer like a recorder; each
    person starts in ``language`` (the pack's default when None), at ``event``."""
    pack = pack or load_pack(default_pack_path())
    clock = FakeClock()
    effects = RecordingEffects()
    settings = replace(event or EventSettings(), default_language=language)
    journey = Journey(pack, clock, effects, settings)
    takes = iter(range(1, 1000))

    def started() -> None:
        journey.recording_started(f"take{next(takes)}")

    def stopped() -> None:
        draft = journey.session
        assert draft is not None and draft.take_id is not None
        journey.recording_finished(draft.take_id, 2.0)

    effects.on_start_take = started
    effects.on_stop_take = stopped
    paths = Paths(data=data_dir, logs=data_dir / "logs", config=data_dir / "config")
    paths.create()
    store = Store.open(paths, clock)
    guard = PinGuard(store, clock, demo=True)
    backend = TallyBackend()
    panel = PanelBackend()
    speaker = speaker or SilentSpeaker()
    styles = {look: look_style(look, pack.theme_for(look)) for look in LOOKS}
    window = KioskWindow(
        journey, backend.tally, backend.review_bytes, styles, speaker,
        pin_pad_factory=lambda parent: PinPad(guard, demo=True, parent=parent),
        officer_panel_factory=lambda parent: OfficerPanel(panel, demo=True, parent=parent),
        windowed=windowed, with_player=False,
    )
    window.settle_ms = 0  # tests click as fast as they like; the guard has its own test
    journey.subscribe(window.show_view)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return WindowRig(window, journey, effects, clock, backend, panel, speaker, store, pack)


def shipped_look_style(look: Look) -> LookStyle:
    """How ``look`` is drawn with the shipped pack's theme, for a screen built on its own."""
    return look_style(look, load_pack(default_pack_path()).theme_for(look))


def close_rig(rig: WindowRig) -> None:
    rig.window.allow_close()
    rig.window.close()
    rig.store.close()


def click(qtbot: QtBot, widget: QWidget) -> None:
    """A real mouse click in the middle of ``widget``."""
    assert widget.isVisible(), f"{widget.accessibleName() or widget} is not visible"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


def visible_buttons(root: QWidget) -> list[QAbstractButton]:
    return [b for b in root.findChildren(QAbstractButton) if b.isVisible()]


def camera_card(width: int = 640, height: int = 360) -> QImage:
    """A stand-in camera frame (a face-like oval on blue)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#6A8CAF"))
    painter = QPainter(image)
    painter.setBrush(QColor("#E8C39E"))
    painter.drawEllipse(QPoint(width // 2, height // 2), width // 8, height // 3)
    painter.end()
    return image
