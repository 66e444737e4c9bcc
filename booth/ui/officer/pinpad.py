"""The officer's PIN pad: a big number pad over the kiosk screen."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from booth.ui.officer.guard import DEMO_PIN, MAX_WRONG, PinGuard
from booth.ui.widgets import button, label

DEMO_NOTE = f"The demo PIN is {DEMO_PIN}."
class PinPad(QWidget):
    """A big number pad over the screen.

    Signals:
        unlocked: the right PIN was entered.
        cancelled: the officer closed the pad.
    """

    unlocked = Signal()
    cancelled = Signal()

    def __init__(self, guard: PinGuard, demo: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._guard = guard
        self._entered = ""
        self.setObjectName("screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAccessibleName("Officer PIN pad")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        self.title = label("Staff only: enter the PIN", "title")
        self.dots = label("", "title")
        self.dots.setAccessibleName("PIN entered")
        self.message = label(DEMO_NOTE if demo else "", "muted")
        outer.addWidget(self.title)
        outer.addWidget(self.dots)
        outer.addWidget(self.message)
        grid = QGridLayout()
        self.keys: dict[str, QPushButton] = {}
        for index, digit in enumerate("123456789"):
            key = button(digit, "secondary", accessible=f"Digit {digit}")
            key.clicked.connect(lambda _=False, d=digit: self.press(d))
            grid.addWidget(key, index // 3, index % 3)
            self.keys[digit] = key
        self.clear_key = button("Clear", "secondary", accessible="Clear the PIN")
        self.clear_key.clicked.connect(self.clear)
        zero = button("0", "secondary", accessible="Digit 0")
        zero.clicked.connect(lambda: self.press("0"))
        self.keys["0"] = zero
        self.ok = button("OK", "primary", accessible="Check the PIN")
        self.ok.clicked.connect(self.submit)
        grid.addWidget(self.clear_key, 3, 0)
        grid.addWidget(zero, 3, 1)
        grid.addWidget(self.ok, 3, 2)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addLayout(grid, 2)
        row.addStretch(1)
        outer.addLayout(row)
        self.cancel = button("Cancel", "link", accessible="Close the PIN pad")
        self.cancel.clicked.connect(self._cancel)
        outer.addWidget(self.cancel, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(1)
        self._demo = demo
        self.hide()

    def open(self) -> None:
        self.clear()
        self._show_lock_state()
        self.show()
        self.raise_()
        self.keys["1"].setFocus()

    def press(self, digit: str) -> None:
        if self._guard.locked_for() > 0:
            self._show_lock_state()
            return
        if len(self._entered) < 8:
            self._entered += digit
        self.dots.setText("●" * len(self._entered))

    def clear(self) -> None:
        self._entered = ""
        self.dots.setText("")

    def submit(self) -> None:
        pin, self._entered = self._entered, ""
        self.dots.setText("")
        if self._guard.check(pin):
            self.message.setText("")
            self.hide()
            self.unlocked.emit()
            return
        self._show_lock_state(wrong=True)

    def _show_lock_state(self, wrong: bool = False) -> None:
        locked = self._guard.locked_for()
        if locked > 0:
            minutes = int(locked // 60) + 1
            self.message.setText(f"Too many wrong PINs. Try again in {minutes} minute"
                                 f"{'s' if minutes > 1 else ''}.")
        elif wrong:
            left = MAX_WRONG - self._guard.wrong_attempts
            self.message.setText(f"That PIN is not right. {left} tries left.")
        else:
            self.message.setText(DEMO_NOTE if self._demo else self._no_pin_note())
        for key in (*self.keys.values(), self.ok, self.clear_key):
            key.setEnabled(locked <= 0)

    def _no_pin_note(self) -> str:
        return "" if self._guard.has_pin else "No officer PIN is set on this booth yet."

    def _cancel(self) -> None:
        self.clear()
        self.hide()
        self.cancelled.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text.isdigit():
            self.press(text)
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
        elif event.key() == Qt.Key.Key_Backspace:
            self._entered = self._entered[:-1]
            self.dots.setText("●" * len(self._entered))
        else:
            super().keyPressEvent(event)


