"""The officer console: sections down the left (the checklist first), "Lock again" at the
top right, and turning the booth off at the bottom, away from it."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from booth.ui.officer.attention import AttentionSection
from booth.ui.officer.checklist import ChecklistSection
from booth.ui.officer.common import LEFT, Section, nav_button, officer_style
from booth.ui.officer.device import DeviceSection
from booth.ui.officer.event import EventSection
from booth.ui.officer.history import HistorySection
from booth.ui.officer.model import OfficerBackend
from booth.ui.officer.pinpad import DEMO_NOTE
from booth.ui.officer.quitting import QuitSection
from booth.ui.officer.settings import SettingsSection
from booth.ui.officer.sync import SyncSection
from booth.ui.officer.today import TodaySection
from booth.ui.officer.withdraw import WithdrawSection
from booth.ui.widgets import LevelMeter, PreviewView, button, label

log = logging.getLogger(__name__)

LIVE_MS = 1000
# (key, the navigation's words). The console opens on the first.
SECTIONS = (("checklist", "Checklist"), ("today", "Today"), ("event", "Event"),
            ("sync", "Sync"), ("attention", "Needs attention"), ("device", "Device"),
            ("history", "History"), ("withdraw", "Withdraw"), ("settings", "PIN and pack"))


class OfficerPanel(QWidget):
    """The officer console over the kiosk screen. Quitting the booth is only possible
    from here (its own section, with the PIN and a held button).

    Signals:
        lockRequested: lock the kiosk again.
        quitRequested: close the booth.
    """

    lockRequested = Signal()
    quitRequested = Signal()

    def __init__(self, backend: OfficerBackend, demo: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.setObjectName("officerPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAccessibleName("Officer console")
        outer = QVBoxLayout(self)
        # The console's own sizes live on this inner widget, so they hold whatever the
        # window sets on the panel.
        self.inner = QWidget()
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.inner)
        layout = QVBoxLayout(self.inner)
        top = QHBoxLayout()
        top.addWidget(label("Officer console", "title", wrap=False, align=LEFT))
        self.demo_note = label(f"Demo mode: {DEMO_NOTE} Answers go to a test server on "
                               "this laptop.", "muted", align=LEFT)
        self.demo_note.setVisible(demo)
        top.addWidget(self.demo_note, 1)
        self.lock = button("🔒 Lock again", "primary", accessible="Lock the booth again")
        self.lock.clicked.connect(self.lockRequested)
        top.addWidget(self.lock)
        layout.addLayout(top)
        row = QHBoxLayout()
        nav = QVBoxLayout()
        nav.setSpacing(4)
        self.nav_group = QButtonGroup(self)
        self.nav_buttons: dict[str, QPushButton] = {}
        self.stack = QStackedWidget()
        self.checklist = ChecklistSection(backend)
        self.today = TodaySection(backend)
        self.event_section = EventSection(backend)
        self.sync = SyncSection(backend)
        self.attention = AttentionSection(backend)
        self.device = DeviceSection(backend)
        self.history = HistorySection(backend)
        self.withdraw = WithdrawSection(backend)
        self.settings = SettingsSection(backend)
        self.quitting = QuitSection(backend)
        self.sections: dict[str, Section] = {
            "checklist": self.checklist, "today": self.today, "event": self.event_section,
            "sync": self.sync, "attention": self.attention, "device": self.device,
            "history": self.history, "withdraw": self.withdraw, "settings": self.settings,
            "quit": self.quitting,
        }
        for key, words in (*SECTIONS, ("quit", "Turn off…")):
            self.stack.addWidget(self.sections[key])
            go = nav_button(words, f"Show {words.rstrip('…')}")
            go.clicked.connect(lambda _=False, k=key: self.show_section(k))
            self.nav_group.addButton(go)
            self.nav_buttons[key] = go
            if key == "quit":
                nav.addStretch(1)  # away from everything else, at the bottom
                go.setProperty("role", "stop")
            nav.addWidget(go)
        row.addLayout(nav)
        row.addWidget(self.stack, 1)
        layout.addLayout(row, 1)
        for section in self.sections.values():
            section.after_action = self._after_action
        self.checklist.startEvent.connect(self._start_event)
        self.quitting.quitRequested.connect(self.quitRequested)
        self.current = "checklist"
        self._scaled_for = 0
        # While open, the live sections follow the booth (the camera opening, a stick
        # plugged in, sync moving on) without the officer pressing anything.
        self._live = QTimer(self)
        self._live.setInterval(LIVE_MS)
        self._live.timeout.connect(self._follow)
        self.hide()

    # ------------------------------------------------------------------ sections

    @property
    def message(self) -> QLabel:
        """The status line of the section on show."""
        return self.sections[self.current].message

    def show_section(self, key: str) -> None:
        if key != self.current:
            self.sections[self.current].left()
        self.current = key
        self.nav_buttons[key].setChecked(True)
        self.stack.setCurrentWidget(self.sections[key])
        try:
            self.sections[key].entered()
        except Exception as error:  # the console stays usable when one read fails
            log.exception("officer section %s failed", key)
            self.sections[key].say(f"Could not read the booth: {error}")
        self._update_attention_count()

    def _update_attention_count(self) -> None:
        count = self.attention.count() if self.current == "attention" else \
            len(self.backend.attention())
        words = f"Needs attention ({count})" if count else "Needs attention"
        self.nav_buttons["attention"].setText(words)

    def _after_action(self) -> None:
        self.today.refresh()
        self._update_attention_count()

    def _follow(self) -> None:
        if self.current in ("checklist", "device", "sync"):
            try:
                self.sections[self.current].refresh()
            except Exception:
                log.exception("officer section %s failed", self.current)

    def _start_event(self) -> None:
        if self.backend.status().event_name:
            self.backend.audit("open_for_event")
            self.lockRequested.emit()
        else:
            self.show_section("event")
            self.event_section.say("Name today's event, then press “Start this event”.")

    # ------------------------------------------------------------------ the window's calls

    def open(self) -> None:
        self.show()
        self.raise_()
        self.show_section("checklist")
        self.today.refresh()
        self._live.start()
        self.lock.setFocus()

    def close_panel(self) -> None:
        self._live.stop()
        self.sections[self.current].left()
        self.current = "checklist"
        self.backend.stop_camera_check()
        self.hide()

    def refresh(self) -> None:
        self.sections[self.current].refresh()
        self.today.refresh()

    def status_text(self, key: str) -> str:
        return self.today.text_of(key)

    def set_sync_state(self, text: str) -> None:
        self.today.values["sync"].setProperty("text", text)
        if text != "syncing":
            self.sync.sync_finished()

    def show_sync_progress(self, bundle_id: str, sent: int, total: int) -> None:
        self.sync.show_progress(bundle_id, sent, total)

    @property
    def camera_preview(self) -> PreviewView:
        return self.checklist.preview

    @property
    def camera_meter(self) -> LevelMeter:
        return self.checklist.meter

    def set_camera_frame(self, image: QImage) -> None:
        if self.isVisible() and self.current == "checklist":
            self.checklist.preview.set_frame(image)

    def set_camera_level(self, value: float) -> None:
        if self.isVisible() and self.current == "checklist":
            self.checklist.meter.set_level(value)

    def resizeEvent(self, event: object) -> None:
        # The console's sizes follow the screen's height, as the kiosk's looks do.
        if abs(self.height() - self._scaled_for) > 2:
            self._scaled_for = self.height()
            self.inner.setStyleSheet(officer_style(max(0.75, min(self.height() / 768, 1.6))))
