"""Turning the booth off: away from "Lock again", with the PIN and a button held down, so
it never happens by accident (it leaves the laptop's desktop open to the public)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from booth.ui.officer.common import LEFT, HoldButton, Section
from booth.ui.officer.model import OfficerBackend
from booth.ui.widgets import label
from booth.wire.pin import PIN_MAX_DIGITS


class QuitSection(Section):
    """The PIN, then "Hold to turn the booth off".

    Signals:
        quitRequested: the PIN was right and the button was held.
    """

    title_text = "Turn the booth off"
    quitRequested = Signal()

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.body.addWidget(label(
            "This closes the booth and shows the laptop's desktop. Answers already given "
            "are safe. To leave the booth running for the public, use “Lock again” instead.",
            "body", align=LEFT))
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(PIN_MAX_DIGITS)
        self.pin.setAccessibleName("Your PIN, to turn the booth off")
        self.pin.setPlaceholderText("Your PIN")
        self.body.addWidget(self.pin)
        self.hold = HoldButton("Hold to turn the booth off")
        self.hold.held.connect(self._held)
        self.body.addWidget(self.hold)
        self.body.addStretch(1)

    def _held(self) -> None:
        pin = self.pin.text()
        self.pin.clear()
        if not pin:
            self.say("Type your PIN first, then hold the button.")
            return
        if not self.backend.check_pin(pin, "quit"):
            self.say("That PIN is not right. The booth stays on.")
            return
        self.quitRequested.emit()

    def left(self) -> None:
        super().left()
        self.pin.clear()
