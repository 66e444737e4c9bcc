"""The kiosk window's app-wide event filter: no way out for the public, the officer's way
in, and whether the keyboard or touch is in use."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QAbstractButton, QWidget

CORNER_PX = 120

_MODIFIER_KEYS = (Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta,
                  Qt.Key.Key_AltGr)


class FilteredWindow(Protocol):
    """What the filter asks of the kiosk window (``booth.ui.window.KioskWindow``)."""

    long_press_ms: int

    def open_pin_pad(self) -> None: ...
    def officer_open(self) -> bool: ...
    def activity(self) -> None: ...
    def settling(self) -> bool: ...
    def set_keyboard(self, used: bool) -> None: ...
    def mapFromGlobal(self, point: QPoint) -> QPoint: ...


class KioskFilter(QObject):
    """App-wide event filter: eats the keys that would leave the kiosk, opens the officer
    PIN pad on Ctrl+Alt+O or a long press in the top-left corner, reports activity, and
    tells the window whether the keyboard or touch is in use (focus is drawn only for
    the keyboard)."""

    def __init__(self, window: FilteredWindow, parent: QObject) -> None:
        super().__init__(parent)
        self._window = window
        self._host = parent  # the window as a widget: whose touches these are
        self._press_timer = QTimer(self)
        self._press_timer.setSingleShot(True)
        self._press_timer.timeout.connect(window.open_pin_pad)
        self._swallowing = False

    def _blocked(self, event: QKeyEvent) -> bool:
        key = event.key()
        mods = event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        alt = bool(mods & Qt.KeyboardModifier.AltModifier)
        if key == Qt.Key.Key_Escape and not self._window.officer_open():
            return True
        if alt and key in (Qt.Key.Key_F4, Qt.Key.Key_Tab, Qt.Key.Key_Escape, Qt.Key.Key_Space):
            return True
        if ctrl and key in (Qt.Key.Key_Q, Qt.Key.Key_W, Qt.Key.Key_Escape):
            return True
        return key in (Qt.Key.Key_Meta, Qt.Key.Key_Super_L, Qt.Key.Key_Super_R,
                       Qt.Key.Key_Close, Qt.Key.Key_Back)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) and isinstance(
            event, QKeyEvent
        ):
            mods = event.modifiers()
            if (event.key() == Qt.Key.Key_O
                    and mods & Qt.KeyboardModifier.ControlModifier
                    and mods & Qt.KeyboardModifier.AltModifier):
                if kind == QEvent.Type.KeyPress:
                    self._window.open_pin_pad()
                return True
            if self._blocked(event):
                event.accept()
                return True
            if kind == QEvent.Type.KeyPress:
                self._window.activity()
                if event.key() not in _MODIFIER_KEYS:
                    self._window.set_keyboard(True)
                if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                        and isinstance(watched, QAbstractButton)
                        and watched.isEnabled() and not self._window.officer_open()):
                    watched.click()
                    return True
            return False
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick) and \
                isinstance(event, QMouseEvent):
            if isinstance(watched, QWidget) and watched.window() is self._host:
                if self._window.settling() and not self._window.officer_open():
                    # The second tap of a double tap, landing on the screen that the
                    # first tap opened: ignored, so it cannot choose something by accident.
                    self._swallowing = True
                    return True
                self._swallowing = False
                self._window.activity()
                self._window.set_keyboard(False)
                local = self._window.mapFromGlobal(event.globalPosition().toPoint())
                if 0 <= local.x() < CORNER_PX and 0 <= local.y() < CORNER_PX:
                    self._press_timer.start(self._window.long_press_ms)
            return False
        if kind == QEvent.Type.MouseButtonRelease:
            self._press_timer.stop()
            if (self._swallowing and isinstance(watched, QWidget)
                    and watched.window() is self._host):
                self._swallowing = False
                return True
        elif (kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent)
              and self._press_timer.isActive()):
            local = self._window.mapFromGlobal(event.globalPosition().toPoint())
            if not (0 <= local.x() < CORNER_PX and 0 <= local.y() < CORNER_PX):
                self._press_timer.stop()
        return False
