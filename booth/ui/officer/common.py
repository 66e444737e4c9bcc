"""What the officer console's sections share: the section frame with its own status
line, rows of checks, the USB-stick picker, the PIN re-check and hold-to-confirm."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QElapsedTimer, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from booth.device import Volume
from booth.ui.officer.model import CheckLine, FileChoice
from booth.ui.widgets import button, label

log = logging.getLogger(__name__)

#: Every control of the console is at least this tall and wide (a fingertip).
TOUCH_PX = 44
HOLD_MS = 2000
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def officer_style(scale: float) -> str:
    """The console's own sizes (it is for adults at arm's length, and must fit 1024x768),
    laid over the adult look; never a control under ``TOUCH_PX``."""
    def px(size: float) -> int:
        return max(12, round(size * scale))

    touch = max(TOUCH_PX, px(48))
    return f"""
QLabel {{ font-size: {px(19)}px; }}
QLabel[role="title"] {{ font-size: {px(26)}px; font-weight: bold; }}
QLabel[role="muted"] {{ font-size: {px(16)}px; }}
QLabel[role="mark"] {{ font-size: {px(26)}px; font-weight: bold; min-width: {TOUCH_PX}px; }}
QPushButton {{ font-size: {px(19)}px; min-height: {touch}px; min-width: {TOUCH_PX}px;
    padding: 2px {px(16)}px; }}
QPushButton[role="toggle"] {{ text-align: left; padding-left: {px(14)}px; }}
QLabel[role="field"] {{ min-height: {touch}px; }}
QLineEdit, QComboBox {{ font-size: {px(19)}px; min-height: {touch}px; }}
QComboBox QAbstractItemView::item {{ min-height: {touch}px; }}
QCheckBox {{ font-size: {px(19)}px; min-height: {touch}px; spacing: {px(12)}px; }}
QCheckBox::indicator {{ width: {touch - 4}px; height: {touch - 4}px; }}
QProgressBar {{ min-height: {touch}px; font-size: {px(17)}px; }}
QListWidget {{ font-size: {px(17)}px; }}
QListWidget::item {{ min-height: {touch}px; }}
"""


_worker: ThreadPoolExecutor | None = None


def background(call: Callable[[], object]) -> Future[object]:
    """Run ``call`` on the console's one worker thread (copying to a stick, asking the
    council's server): the window never waits for a disk or a network."""
    global _worker
    if _worker is None:
        _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="officer")
    return _worker.submit(call)


def field_label(text: str) -> QLabel:
    """A form's label, as tall as the field beside it and centred on it."""
    return label(text, "field", wrap=False, align=LEFT)


def offer_files(rows: QBoxLayout, old: Sequence[QPushButton], found: Sequence[FileChoice],
                words: Callable[[FileChoice], tuple[str, str]], kind: str,
                chosen: Callable[[str], None]) -> list[QPushButton]:
    """Replace ``old`` in ``rows`` with a button for each file found (a campaign pack, a
    credential); ``words`` gives a button's text and what a screen reader says, and
    pressing it calls ``chosen`` with the file's path. Returns the new buttons."""
    for gone in old:
        rows.removeWidget(gone)
        gone.deleteLater()
    buttons: list[QPushButton] = []
    for choice in found:
        text, accessible = words(choice)
        use = button(text, kind, accessible=accessible)
        use.clicked.connect(lambda _=False, path=choice.path: chosen(path))
        rows.addWidget(use)
        use.show()
        buttons.append(use)
    return buttons


def nav_button(text: str, accessible: str) -> QPushButton:
    """A section's (or a setup step's) button down the left: the one on show is filled."""
    go = button(text, "toggle", accessible=accessible)
    go.setCheckable(True)
    return go


def mark(ok: bool | None) -> str:
    """✓, ✗ or … (still finding out): never colour alone."""
    return "…" if ok is None else ("✓" if ok else "✗")


class Section(QWidget):
    """One section of the console: a title, its content and its own status line (what an
    action here said stays here, and goes when the officer leaves the section)."""

    title_text = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.title_text)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.title = label(self.title_text, "title", align=LEFT)
        outer.addWidget(self.title)
        self.body = QVBoxLayout()
        outer.addLayout(self.body, 1)
        self.message = label("", "body", align=LEFT)
        self.message.setAccessibleName(f"{self.title_text}: result")
        outer.addWidget(self.message)
        self._pending: Future[object] | None = None
        # What else follows an action here (the console's counts), set by the console.
        self.after_action: Callable[[], None] = lambda: None

    def say(self, text: str) -> None:
        self.message.setText(text)

    def run(self, action: Callable[[], str]) -> None:
        """Do an officer action and show its sentence here; a ValueError is a mistake the
        officer can put right, anything else is logged and said plainly."""
        try:
            self.say(action())
        except ValueError as error:
            log.info("officer action refused: %s", error)
            self.say(str(error))
        except Exception as error:
            log.exception("officer action failed")
            self.say(str(error) or "That did not work.")
        for follow in (self.refresh, self.after_action):
            try:
                follow()
            except Exception:  # a count that fails must not hide the action's result
                log.exception("refreshing after an officer action failed")

    def run_in_background(self, action: Callable[[], str], busy: str,
                          done: Callable[[], None] | None = None) -> None:
        """As ``run``, off the GUI thread: ``busy`` is shown meanwhile, the result when it
        comes (checked by a GUI-thread timer: no Qt object is touched from the worker)."""
        self.say(busy)
        future = background(action)
        poll = QTimer(self)
        poll.setInterval(100)

        def check() -> None:
            if not future.done():
                return
            poll.stop()
            poll.deleteLater()
            self.run(lambda: str(future.result()))
            if done is not None:
                done()

        poll.timeout.connect(check)
        poll.start()
        self._pending = future

    def wait_for_background(self, timeout: float = 30.0) -> None:
        """For tests and benchmarks: let the last background action finish."""
        if self._pending is not None:
            self._pending.result(timeout)

    def refresh(self) -> None:
        """Read the booth again (when shown, and after an action)."""

    def entered(self) -> None:
        """The officer opened this section."""
        self.refresh()

    def left(self) -> None:
        """The officer went to another section: its status line goes."""
        self.say("")


class CheckRows(QWidget):
    """Rows of ✓/✗ marks with a name and a sentence, updated from ``CheckLine``s."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setColumnStretch(2, 1)
        self.rows: dict[str, tuple[QLabel, QLabel]] = {}

    def show_lines(self, lines: Sequence[CheckLine]) -> None:
        for line in lines:
            if line.name not in self.rows:
                row = len(self.rows)
                sign = label("", "mark", align=Qt.AlignmentFlag.AlignCenter)
                name = label(line.name, "body", wrap=False, align=LEFT)
                detail = label("", "muted", align=LEFT)
                self._grid.addWidget(sign, row, 0)
                self._grid.addWidget(name, row, 1)
                self._grid.addWidget(detail, row, 2)
                self.rows[line.name] = (sign, detail)
            sign, detail = self.rows[line.name]
            sign.setText(mark(line.ok))
            sign.setAccessibleName(f"{line.name}: {mark(line.ok)}")
            detail.setText(line.detail)

    def mark_of(self, name: str) -> str:
        return self.rows[name][0].text()

    def detail_of(self, name: str) -> str:
        return self.rows[name][1].text()


class StickPicker(QWidget):
    """The USB sticks plugged in, offered by name (never a file dialog: that would let
    the public browse the laptop), and "Look again".

    Signals:
        chosen(str path): the officer picked this stick.
    """

    chosen = Signal(str)

    def __init__(self, list_sticks: Callable[[], list[Volume]], action: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._list = list_sticks
        self._action = action
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.none = label("No USB stick found. Plug one in, then press “Look again”.",
                          "muted", align=LEFT)
        self._layout.addWidget(self.none)
        self._row = QHBoxLayout()
        self._layout.addLayout(self._row)
        self.again = button("Look again", "secondary", accessible="Look for USB sticks again")
        self.again.clicked.connect(self.refresh)
        self._row.addStretch(1)
        self._row.addWidget(self.again)
        self.buttons: list[QPushButton] = []

    def refresh(self) -> None:
        for old in self.buttons:
            self._row.removeWidget(old)
            old.deleteLater()
        self.buttons = []
        sticks = self._list()
        for index, stick in enumerate(sticks):
            pick = button(f"{self._action} {stick.label}", "primary",
                          accessible=f"{self._action} {stick.name}")
            pick.clicked.connect(lambda _=False, path=stick.path: self.chosen.emit(path))
            self._row.insertWidget(index, pick)
            pick.show()  # a widget added to a shown layout appears only a turn later
            self.buttons.append(pick)
        self.none.setVisible(not sticks)


class PinRecheck(QWidget):
    """"Type your PIN to confirm": asked again before an action that cannot be undone.

    Signals:
        confirmed(str pin): the officer typed a PIN and pressed the button.
    """

    confirmed = Signal(str)

    def __init__(self, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.pin.setPlaceholderText("Your PIN")
        self.pin.setAccessibleName("Your PIN, to confirm")
        self.pin.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.go = button(action, "stop", accessible=action)
        self.go.clicked.connect(self._confirm)
        self.pin.returnPressed.connect(self._confirm)
        row.addWidget(self.pin, 1)
        row.addWidget(self.go)

    def _confirm(self) -> None:
        pin = self.pin.text()
        self.pin.clear()
        self.confirmed.emit(pin)


class HoldButton(QPushButton):
    """A button that acts only when held down for ``hold_ms`` (it fills as it is held):
    a deliberate act, never a stray tap.

    Signals:
        held: it was held all the way.
    """

    held = Signal()

    def __init__(self, text: str, hold_ms: int = HOLD_MS, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setProperty("role", "stop")
        self.setAccessibleName(text)
        self.setAutoDefault(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.hold_ms = hold_ms
        self._since = QElapsedTimer()
        self._tick = QTimer(self)
        self._tick.setInterval(30)
        self._tick.timeout.connect(self._step)
        self.progress = 0.0

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)
        self._since.start()
        self._tick.start()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self._stop()

    def _stop(self) -> None:
        self._tick.stop()
        self.progress = 0.0
        self.update()

    def _step(self) -> None:
        if not self.isDown():
            self._stop()
            return
        self.progress = min(1.0, self._since.elapsed() / self.hold_ms)
        self.update()
        if self.progress >= 1.0:
            self._tick.stop()
            self.setDown(False)
            self.progress = 0.0
            self.held.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.progress <= 0:
            return
        painter = QPainter(self)
        painter.fillRect(QRectF(0, self.height() - 8, self.width() * self.progress, 8),
                         QColor("#FFFFFF"))
        painter.end()
