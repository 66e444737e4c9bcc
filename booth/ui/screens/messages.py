"""The screens that say one thing and wait for a touch: the attract loop, thank you,
the failsafe "oops" and the "are you still there?" overlay."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from booth.ui.looks import LookStyle
from booth.ui.screens.base import Screen
from booth.ui.widgets import AttractLoop, button, label


class AttractScreen(Screen):
    """Invites a touch. Shows nothing of anybody.

    Signals:
        touched: a touch, click or key press anywhere.
    """

    touched = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.setProperty("big", True)
        self.loop = AttractLoop(self)
        self.title = label("Have your say!", "hero")
        self.subtitle = label("What do you love about where you live? What would make it better?",
                              "body")
        self.invite = button("👆  Touch the screen to start", "primary")
        self.invite.clicked.connect(self.touched)
        self.outer.addStretch(2)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.subtitle)
        self.outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.invite, 3)
        row.addStretch(1)
        self.outer.addLayout(row)
        self.outer.addStretch(2)
        self.loop.lower()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Welcome. Touch the screen to start")

    def set_campaign(self, title: str, subtitle: str) -> None:
        self.title.setText(title)
        self.subtitle.setText(subtitle)

    def resizeEvent(self, event: object) -> None:
        self.loop.setGeometry(self.rect())

    def showEvent(self, event: object) -> None:
        self.loop.setGeometry(self.rect())
        self.loop.start()

    def hideEvent(self, event: object) -> None:
        self.loop.stop()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        event.accept()
        self.touched.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.touched.emit()
            return
        super().keyPressEvent(event)

    def first_focus(self) -> QWidget | None:
        return self.invite


class ThankYouScreen(Screen):
    """Thanks, and the reference code shown large.

    Signals:
        finishPressed.
    """

    finishPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.setProperty("big", True)
        self.title = label("Thank you! 🎉", "title")
        self.body_text = label("Your answer will help make things better. "
                               "If you change your mind, tell a member of staff this code:",
                               "body")
        self.code = label("", "code")
        self.code.setAccessibleName("Your reference code")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.finish = button("All done", "primary", accessible="All done")
        self.finish.clicked.connect(self.finishPressed)
        self.outer.addStretch(1)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.body_text)
        self.outer.addWidget(self.code, 0, Qt.AlignmentFlag.AlignHCenter)
        self.outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.finish, 1)
        row.addStretch(1)
        self.outer.addLayout(row)

    def show_code(self, code: str) -> None:
        self.code.setText(code)
        self.code.setAccessibleDescription(" ".join(code))
        self.code.setVisible(bool(code))

    def reset(self) -> None:
        self.code.clear()

    def first_focus(self) -> QWidget | None:
        return self.finish


class FailsafeScreen(Screen):
    """A friendly "oops"; the journey returns to the start by itself."""

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.setProperty("big", True)
        self.outer.addStretch(1)
        self.icon = label("🙂", "huge")
        self.title = label("Oops! Something went wrong.", "title")
        self.body_text = label("It was not your fault. The booth is starting again, "
                               "it will be ready in a moment.", "body")
        self.outer.addWidget(self.icon)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.body_text)
        self.outer.addStretch(1)


class StillThereOverlay(QWidget):
    """Covers the screen: "are you still there?" with a big countdown.

    Signals:
        stillHere: the person is still here.
    """

    stillHere = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("QWidget#overlay { background: rgba(10, 20, 30, 215); }")
        layout = QVBoxLayout(self)
        card = QWidget()
        card.setObjectName("screen")
        card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(48, 32, 48, 32)
        self.title = label("Are you still there?", "title")
        self.count = label("", "huge")
        self.count.setAccessibleName("Seconds before starting again")
        self.body_text = label("Touch the button to carry on.", "body")
        self.here = button("🙋  I'm still here", "primary")
        self.here.clicked.connect(self.stillHere)
        for widget in (self.title, self.count, self.body_text, self.here):
            card_layout.addWidget(widget)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 3)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.hide()

    def show_seconds(self, seconds: float) -> None:
        self.count.setText(str(max(0, int(seconds + 0.999))))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        # Any touch on the dimmed area also means "still here".
        event.accept()
        self.stillHere.emit()
