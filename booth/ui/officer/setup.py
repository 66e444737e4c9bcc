"""The first-run setup, for an officer only: enrol from the council's credential file,
set the officer PIN, check the camera and microphone, name the event. Until it is done
the kiosk never shows the public journey (``booth.app`` shows this screen instead)."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QImage
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from booth.ui.officer.common import (
    LEFT,
    CheckRows,
    HoldButton,
    Section,
    field_label,
    mark,
    nav_button,
    offer_files,
    officer_style,
)
from booth.ui.officer.event import EventSection
from booth.ui.officer.model import OfficerBackend
from booth.ui.officer.settings import pin_field
from booth.ui.widgets import LevelMeter, PreviewView, button, label
from booth.wire.pin import PIN_MAX_DIGITS, PIN_MIN_DIGITS

log = logging.getLogger(__name__)

LIVE_MS = 1000
STEPS = (("enrol", "1. Enrol with the council"), ("pin", "2. Officer PIN"),
         ("devices", "3. Camera and microphone"), ("event", "4. Today's event"))


class EnrolStep(Section):
    """The council's credential file: from a USB stick (offered by name) or a path."""

    title_text = "Enrol with the council"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.state = label("", "body", align=LEFT)
        self.body.addWidget(self.state)
        self.body.addWidget(label("The council's team gives you a credential file for this "
                                  "booth. Plug in the USB stick it is on:", "muted", align=LEFT))
        self.files = QVBoxLayout()
        self.body.addLayout(self.files)
        self.file_buttons: list[QPushButton] = []
        self.none = label("No credential file found on a USB stick.", "muted", align=LEFT)
        self.body.addWidget(self.none)
        again = button("Look again", "secondary", accessible="Look for USB sticks again")
        again.clicked.connect(self.refresh)
        self.body.addWidget(again)
        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setAccessibleName("Or the credential file's path")
        self.path.setPlaceholderText("Or type the file's path")
        use = button("Use this file", "secondary", accessible="Use the file at this path")
        use.clicked.connect(lambda: self._enrol(self.path.text()))
        row.addWidget(self.path, 1)
        row.addWidget(use)
        self.body.addLayout(row)
        self.body.addStretch(1)

    def refresh(self) -> None:
        state = self.backend.setup_state()
        self.state.setText(f"✓ Enrolled as {state.enrolled_as}." if state.enrolled_as
                           else state.enrol_problem or "")
        found = self.backend.credential_files()
        self.file_buttons = offer_files(
            self.files, self.file_buttons, found,
            lambda file: (f"Use {file.name} ({file.where})",
                          f"Use the credential file {file.name}"),
            "primary", self._enrol)
        self.none.setVisible(not found)

    def _enrol(self, path: str) -> None:
        if not path.strip():
            self.say("Type the credential file's path first.")
            return
        self.run(lambda: self.backend.enrol_from(path))


class PinStep(Section):
    """The officer PIN, typed twice (or the council's, already in the credential)."""

    title_text = "Officer PIN"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.state = label("", "body", align=LEFT)
        self.body.addWidget(self.state)
        self.body.addWidget(label(
            f"Choose {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits that are not a date, not a "
            "run like 123456 and not one digit repeated. Officers type it to open the "
            "console; keep it from the public.", "muted", align=LEFT))
        form = QFormLayout()
        self.new_pin = pin_field(f"New PIN ({PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits)")
        self.new_pin_again = pin_field("The new PIN again")
        form.addRow(field_label("PIN"), self.new_pin)
        form.addRow(field_label("Again"), self.new_pin_again)
        self.body.addLayout(form)
        self.set = button("Set the PIN", "primary", accessible="Set the PIN")
        self.set.clicked.connect(self._set)
        self.body.addWidget(self.set)
        self.body.addStretch(1)

    def refresh(self) -> None:
        state = self.backend.setup_state()
        if state.pin_from_council:
            self.state.setText("✓ The council set the officer PIN. You may choose another.")
        elif state.pin_set:
            self.state.setText("✓ The officer PIN is set.")
        else:
            self.state.setText("No officer PIN yet.")

    def _set(self) -> None:
        pin, again = self.new_pin.text(), self.new_pin_again.text()
        self.new_pin.clear()
        self.new_pin_again.clear()
        self.run(lambda: self.backend.change_pin(pin, again))


class DevicesStep(Section):
    """The camera's picture and the microphone's bars, with ✓ or the plain fix."""

    title_text = "Camera and microphone"

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.checks = CheckRows()
        self.body.addWidget(self.checks)
        self.preview = PreviewView()
        self.preview.setMinimumSize(240, 135)
        self.body.addWidget(self.preview, 1)
        self.meter = LevelMeter()
        self.body.addWidget(self.meter)
        again = button("Check again", "secondary", accessible="Check again")
        again.clicked.connect(self.entered)
        self.body.addWidget(again)

    def refresh(self) -> None:
        lines = [line for line in self.backend.checklist()
                 if line.name in ("Camera", "Microphone")]
        self.checks.show_lines(lines)

    def entered(self) -> None:
        self.backend.start_camera_check()
        self.refresh()

    def left(self) -> None:
        super().left()
        self.backend.stop_camera_check()
        self.preview.clear()


class SetupScreen(QWidget):
    """The four steps down the left, each with ✓ once done, and "Open the booth".

    Signals:
        finished: setup is done; the booth opens to the public.
        quitRequested: the officer turned the booth off from the setup.
    """

    finished = Signal()
    quitRequested = Signal()

    def __init__(self, backend: OfficerBackend, base_style: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.setObjectName("officerPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle("Set up the booth")
        self.setAccessibleName("First-run setup")
        layout = QVBoxLayout(self)
        # No minimum size on the window itself (as the kiosk window): it fits any display,
        # and the offscreen/kiosk platforms warn about size hints they cannot pass on.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(label("Set up this booth", "title", wrap=False, align=LEFT))
        layout.addWidget(label("For staff: do these four steps once. The booth opens to the "
                               "public when they are done.", "muted", align=LEFT))
        row = QHBoxLayout()
        nav = QVBoxLayout()
        self.step_buttons: dict[str, QPushButton] = {}
        self.stack = QStackedWidget()
        self.enrol = EnrolStep(backend)
        self.pin = PinStep(backend)
        self.devices = DevicesStep(backend)
        self.event_section = EventSection(backend)
        self.steps: dict[str, Section] = {"enrol": self.enrol, "pin": self.pin,
                                          "devices": self.devices, "event": self.event_section}
        for key, words in STEPS:
            self.stack.addWidget(self.steps[key])
            go = nav_button(words, words)
            go.setAutoExclusive(True)
            go.clicked.connect(lambda _=False, k=key: self.show_step(k))
            nav.addWidget(go)
            self.step_buttons[key] = go
        nav.addStretch(1)
        self.open_booth = button("Open the booth", "primary", accessible="Finish the setup")
        self.open_booth.clicked.connect(self._finish)
        nav.addWidget(self.open_booth)
        self.turn_off = HoldButton("Hold to turn off")
        self.turn_off.held.connect(self.quitRequested)
        nav.addWidget(self.turn_off)
        row.addLayout(nav)
        row.addWidget(self.stack, 1)
        layout.addLayout(row, 1)
        self.message = label("", "body", align=LEFT)
        layout.addWidget(self.message)
        self.current = ""
        self._scaled_for = 0
        self._base_style = base_style
        self._allow_close = False
        # The ✓ marks and the camera check follow what the officer does.
        self._live = QTimer(self)
        self._live.setInterval(LIVE_MS)
        self._live.timeout.connect(self._follow)

    def start(self, windowed: bool) -> None:
        """Show the setup where the kiosk window would be."""
        from PySide6.QtGui import QGuiApplication

        if windowed:
            self.resize(1366, 768)
            self.show()
        else:
            self.setWindowFlags(Qt.WindowType.FramelessWindowHint
                                | Qt.WindowType.WindowStaysOnTopHint)
            screen = self.screen() or QGuiApplication.primaryScreen()
            if screen is not None:
                self.setGeometry(screen.geometry())
            self.showFullScreen()
        self.show_step(self._first_undone())
        self._live.start()

    def _follow(self) -> None:
        try:
            self.refresh_marks()
            if self.current == "devices":
                self.devices.refresh()
        except Exception:
            log.exception("setup refresh failed")

    def _first_undone(self) -> str:
        state = self.backend.setup_state()
        if state.enrolled_as is None:
            return "enrol"
        if not state.pin_set:
            return "pin"
        return "devices" if not state.event_name else "event"

    def show_step(self, key: str) -> None:
        if self.current and key != self.current:
            self.steps[self.current].left()
        self.current = key
        self.step_buttons[key].setChecked(True)
        self.stack.setCurrentWidget(self.steps[key])
        try:
            self.steps[key].entered()
        except Exception as error:
            log.exception("setup step %s failed", key)
            self.steps[key].say(f"Could not read the booth: {error}")
        self.refresh_marks()

    def refresh_marks(self) -> None:
        state = self.backend.setup_state()
        devices = {line.name: line.ok for line in self.backend.checklist()}
        done = {"enrol": state.enrolled_as is not None, "pin": state.pin_set,
                "devices": devices.get("Camera") is True and devices.get("Microphone") is True,
                "event": bool(state.event_name)}
        for key, words in STEPS:
            self.step_buttons[key].setText(f"{mark(done[key]) if done[key] else ' '} {words}")

    def show_frame(self, image: QImage) -> None:
        if self.isVisible() and self.current == "devices":
            self.devices.preview.set_frame(image)

    def show_level(self, value: float) -> None:
        if self.isVisible() and self.current == "devices":
            self.devices.meter.set_level(value)

    def _finish(self) -> None:
        try:
            self.message.setText(self.backend.finish_setup())
        except ValueError as error:
            self.message.setText(str(error))
            self.refresh_marks()
            return
        if self.current:
            self.steps[self.current].left()
        self._live.stop()
        self.finished.emit()

    def resizeEvent(self, event: object) -> None:
        if abs(self.height() - self._scaled_for) > 2:
            self._scaled_for = self.height()
            scale = max(0.75, min(self.height() / 768, 1.6))
            self.setStyleSheet(self._base_style + officer_style(scale))

    def allow_close(self) -> None:
        """For the composition root and tests: the next close really closes."""
        self._allow_close = True

    def closeEvent(self, event: QCloseEvent) -> None:
        # Like the kiosk window, the setup cannot be closed by the public.
        if not self._allow_close:
            event.ignore()
            return
        self._live.stop()
        event.accept()
