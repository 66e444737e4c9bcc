"""The officer's side of the kiosk: the PIN pad (hashed PIN, lock-out after five wrong
tries) and the officer panel (event set-up, camera check, counts, withdraw, sync,
export, switch pack, lock, quit)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from booth.clock import Clock
from booth.ui.widgets import LevelMeter, PreviewView, button, label

log = logging.getLogger(__name__)

PIN_META_KEY = "officer_pin_scrypt"
DEMO_PIN = "1234"
MAX_WRONG = 5
LOCK_SECONDS = 300.0
# scrypt cost: ~20 ms on a kiosk laptop; enough to make a stolen hash slow to guess
# for a 4-8 digit PIN without making the officer wait.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt_hex$hash_hex`` for storing in the device meta table."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(pin.encode("utf-8"), salt=bytes.fromhex(salt_hex), n=int(n),
                                r=int(r), p=int(p), dklen=len(digest_hex) // 2)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


class MetaStore(Protocol):
    """Where the PIN hash lives (the store's device meta table)."""

    def device_meta_get(self, key: str, default: str | None = None) -> str | None: ...

    def device_meta_set(self, key: str, value: str) -> None: ...


class PinGuard:
    """Checks officer PINs. Five wrong PINs in a row lock the pad for five minutes
    (the lock-out is kept in memory: a restart needs an officer anyway)."""

    def __init__(self, meta: MetaStore, clock: Clock, default_pin: str = DEMO_PIN) -> None:
        self._meta = meta
        self._clock = clock
        self._wrong = 0
        self._locked_until: float | None = None
        if meta.device_meta_get(PIN_META_KEY) is None:
            meta.device_meta_set(PIN_META_KEY, hash_pin(default_pin))

    def locked_for(self) -> float:
        """Seconds until the pad accepts PINs again (0 when open)."""
        if self._locked_until is None:
            return 0.0
        left = self._locked_until - self._clock.now()
        if left <= 0:
            self._locked_until = None
            self._wrong = 0
            return 0.0
        return left

    @property
    def wrong_attempts(self) -> int:
        return self._wrong

    def check(self, pin: str) -> bool:
        if self.locked_for() > 0:
            return False
        stored = self._meta.device_meta_get(PIN_META_KEY) or ""
        if verify_pin(pin, stored):
            self._wrong = 0
            return True
        self._wrong += 1
        if self._wrong >= MAX_WRONG:
            self._locked_until = self._clock.now() + LOCK_SECONDS
            log.warning("officer PIN pad locked after %d wrong PINs", self._wrong)
        return False

    def set_pin(self, pin: str) -> None:
        if not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise ValueError("A PIN is 4 to 8 digits.")
        self._meta.device_meta_set(PIN_META_KEY, hash_pin(pin))


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
        self.message = label("The demo PIN is 1234." if demo else "", "muted")
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
            self.message.setText("The demo PIN is 1234." if self._demo else "")
        for key in (*self.keys.values(), self.ok, self.clear_key):
            key.setEnabled(locked <= 0)

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


@dataclass(frozen=True)
class OfficerStatus:
    """What the panel's counts tab shows."""

    event_name: str
    event_kind: str
    sessions: int
    video_answers: int
    waiting_to_sync: int
    sync_state: str
    pack_name: str
    pack_problem: str | None


class OfficerBackend(Protocol):
    """What the officer panel asks of the rest of the booth."""

    def status(self) -> OfficerStatus: ...

    def set_up_event(self, name: str, kind: str, default_look: str,
                     adult_confirmation: bool) -> str: ...

    def withdraw(self, reference_code: str) -> str: ...

    def sync_now(self) -> str: ...

    def export_to(self, folder: str) -> str: ...

    def switch_pack(self, path: str) -> str: ...

    def start_camera_check(self) -> None: ...

    def stop_camera_check(self) -> None: ...

    def change_pin(self, pin: str) -> str: ...


class OfficerPanel(QWidget):
    """The officer panel. Quitting the booth is only possible from here.

    Signals:
        lockRequested: lock the kiosk again.
        quitRequested: close the booth.
    """

    lockRequested = Signal()
    quitRequested = Signal()

    def __init__(self, backend: OfficerBackend, demo: bool = False,
                 parent: QWidget | None = None,
                 choose_folder: Callable[[QWidget], str] | None = None,
                 choose_pack: Callable[[QWidget], str] | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.setObjectName("officerPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAccessibleName("Officer panel")
        self._choose_folder = choose_folder or (
            lambda w: QFileDialog.getExistingDirectory(w, "Export to folder"))
        self._choose_pack = choose_pack or (
            lambda w: QFileDialog.getOpenFileName(w, "Campaign pack", "", "Packs (*.toml)")[0])
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(label("Officer panel", "title", align=Qt.AlignmentFlag.AlignLeft), 1)
        self.lock = button("🔒 Lock again", "primary", accessible="Lock the booth again")
        self.lock.clicked.connect(self.lockRequested)
        self.quit = button("Quit the booth", "stop", accessible="Quit the booth")
        self.quit.clicked.connect(self.quitRequested)
        top.addWidget(self.lock)
        top.addWidget(self.quit)
        outer.addLayout(top)
        self.demo_note = label("Demo mode: the PIN is 1234. Answers go to a test server on this "
                               "laptop.", "muted")
        self.demo_note.setVisible(demo)
        outer.addWidget(self.demo_note)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Officer tasks")
        outer.addWidget(self.tabs, 1)
        self.message = label("", "body")
        self.message.setAccessibleName("Result")
        outer.addWidget(self.message)
        self._build_status()
        self._build_event()
        self._build_camera()
        self._build_withdraw()
        self._build_sync()
        self.tabs.currentChanged.connect(self._tab_changed)
        self.hide()

    # tabs

    def _build_status(self) -> None:
        page = QWidget()
        form = QFormLayout(page)
        self.status_labels: dict[str, QWidget] = {}
        for key, text in (("event", "Event"), ("sessions", "People who took part"),
                          ("videos", "Video answers"), ("waiting", "Waiting to sync"),
                          ("sync", "Sync"), ("pack", "Campaign pack")):
            value = label("", "body", align=Qt.AlignmentFlag.AlignLeft)
            value.setAccessibleName(text)
            self.status_labels[key] = value
            form.addRow(label(text, "body", align=Qt.AlignmentFlag.AlignLeft), value)
        refresh = button("Refresh", "secondary", accessible="Refresh the counts")
        refresh.clicked.connect(self.refresh)
        form.addRow(refresh)
        self.tabs.addTab(page, "Counts")

    def _build_event(self) -> None:
        page = QWidget()
        form = QFormLayout(page)
        self.event_name = QLineEdit()
        self.event_name.setAccessibleName("Event name")
        self.event_name.setPlaceholderText("e.g. Year 5, St Mary's Primary")
        self.event_kind = QComboBox()
        self.event_kind.setAccessibleName("Kind of event")
        for value, text in (("school", "School"), ("forum", "Forum"), ("public", "Public")):
            self.event_kind.addItem(text, value)
        self.event_look = QComboBox()
        self.event_look.setAccessibleName("Look to start with")
        for value, text in (("child", "Child"), ("adult", "Grown-up"), ("older", "65 or over")):
            self.event_look.addItem(text, value)
        self.event_adult = QCheckBox("Children need a grown-up to say yes too")
        self.event_adult.setChecked(True)
        self.event_adult.setAccessibleName("Children need a grown-up to say yes too")
        start = button("Start this event", "primary", accessible="Start this event")
        start.clicked.connect(self._set_up_event)
        form.addRow(label("Name", "body", align=Qt.AlignmentFlag.AlignLeft), self.event_name)
        form.addRow(label("Kind", "body", align=Qt.AlignmentFlag.AlignLeft), self.event_kind)
        form.addRow(label("Look", "body", align=Qt.AlignmentFlag.AlignLeft), self.event_look)
        form.addRow(self.event_adult)
        form.addRow(start)
        self.tabs.addTab(page, "Event")

    def _build_camera(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.camera_preview = PreviewView()
        self.camera_meter = LevelMeter()
        layout.addWidget(label("Check that the camera shows the booth and the bars move when "
                               "you speak.", "body"))
        layout.addWidget(self.camera_preview, 1)
        layout.addWidget(self.camera_meter)
        self.camera_tab_index = self.tabs.addTab(page, "Camera and microphone")

    def _build_withdraw(self) -> None:
        page = QWidget()
        form = QFormLayout(page)
        self.withdraw_code = QLineEdit()
        self.withdraw_code.setAccessibleName("Reference code to withdraw")
        self.withdraw_code.setMaxLength(8)
        self.withdraw_code.setPlaceholderText("6 letters and numbers")
        go = button("Withdraw these answers", "stop", accessible="Withdraw these answers")
        go.clicked.connect(self._withdraw)
        form.addRow(label("Reference code", "body", align=Qt.AlignmentFlag.AlignLeft),
                    self.withdraw_code)
        form.addRow(go)
        self.tabs.addTab(page, "Withdraw")

    def _build_sync(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.sync_button = button("Sync now", "primary", accessible="Sync now")
        self.sync_button.clicked.connect(lambda: self._run(self.backend.sync_now))
        export = button("Export to a folder or USB stick…", "secondary",
                        accessible="Export to a folder")
        export.clicked.connect(self._export)
        pack = button("Switch campaign pack…", "secondary", accessible="Switch campaign pack")
        pack.clicked.connect(self._switch_pack)
        self.new_pin = QLineEdit()
        self.new_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_pin.setAccessibleName("New PIN")
        self.new_pin.setPlaceholderText("New PIN (4 to 8 digits)")
        change = button("Change PIN", "secondary", accessible="Change the PIN")
        change.clicked.connect(self._change_pin)
        for widget in (self.sync_button, export, pack):
            layout.addWidget(widget)
        row = QHBoxLayout()
        row.addWidget(self.new_pin, 1)
        row.addWidget(change)
        layout.addLayout(row)
        layout.addStretch(1)
        self.tabs.addTab(page, "Sync, export, pack")

    # actions

    def open(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.message.setText("")
        self.refresh()
        self.show()
        self.raise_()
        self.lock.setFocus()

    def close_panel(self) -> None:
        self.backend.stop_camera_check()
        self.camera_preview.clear()
        self.withdraw_code.clear()
        self.new_pin.clear()
        self.hide()

    def refresh(self) -> None:
        try:
            status = self.backend.status()
        except Exception as error:  # the panel must stay usable when a count fails
            log.exception("officer status failed")
            self.message.setText(f"Could not read the counts: {error}")
            return
        values = {
            "event": f"{status.event_name} ({status.event_kind})" if status.event_name
            else "No event set up yet",
            "sessions": str(status.sessions),
            "videos": str(status.video_answers),
            "waiting": str(status.waiting_to_sync),
            "sync": status.sync_state,
            "pack": status.pack_name + (f" (problem: {status.pack_problem})"
                                        if status.pack_problem else ""),
        }
        for key, text in values.items():
            widget = self.status_labels[key]
            widget.setProperty("text", text)

    def status_text(self, key: str) -> str:
        return str(self.status_labels[key].property("text"))

    def set_sync_state(self, text: str) -> None:
        self.status_labels["sync"].setProperty("text", text)

    def set_camera_frame(self, image: QImage) -> None:
        if self.isVisible() and self.tabs.currentIndex() == self.camera_tab_index:
            self.camera_preview.set_frame(image)

    def set_camera_level(self, value: float) -> None:
        if self.isVisible():
            self.camera_meter.set_level(value)

    def _tab_changed(self, index: int) -> None:
        if index == self.camera_tab_index:
            self.backend.start_camera_check()
        else:
            self.backend.stop_camera_check()
            self.camera_preview.clear()

    def _run(self, action: Callable[[], str]) -> None:
        try:
            self.message.setText(action())
        except ValueError as error:  # a mistake the officer can fix: say so, no traceback
            log.info("officer action refused: %s", error)
            self.message.setText(str(error))
        except Exception as error:
            log.exception("officer action failed")
            self.message.setText(str(error) or "That did not work.")
        self.refresh()

    def _set_up_event(self) -> None:
        name = self.event_name.text().strip()
        if not name:
            self.message.setText("Give the event a name first.")
            return
        self._run(lambda: self.backend.set_up_event(
            name, str(self.event_kind.currentData()), str(self.event_look.currentData()),
            self.event_adult.isChecked()))

    def _withdraw(self) -> None:
        code = self.withdraw_code.text().strip()
        if not code:
            self.message.setText("Type the person's reference code first.")
            return
        self._run(lambda: self.backend.withdraw(code))
        self.withdraw_code.clear()

    def _export(self) -> None:
        folder = self._choose_folder(self)
        if folder:
            self._run(lambda: self.backend.export_to(folder))

    def _switch_pack(self) -> None:
        path = self._choose_pack(self)
        if path:
            self._run(lambda: self.backend.switch_pack(path))

    def _change_pin(self) -> None:
        pin = self.new_pin.text()
        self.new_pin.clear()
        self._run(lambda: self.backend.change_pin(pin))
