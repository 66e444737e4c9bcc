"""The screens that say one thing and wait for a touch: the attract loop, thank you,
goodbye, the failsafe "oops", and the overlays that ask "are you still there?" and
"are you sure?"."""

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
    """Thanks, the reference code shown large in two groups, and time to copy it down: a
    countdown that says when the screen goes, "More time", and (where the officer has set
    up a printer) "Print my code".

    Signals:
        finishPressed, moreTimePressed, printPressed.
    """

    finishPressed = Signal()
    moreTimePressed = Signal()
    printPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.title = label("Thank you! 🎉", "title")
        self.body_text = label("Your answers will help make things better. If you change "
                               "your mind, give this code to a member of staff.", "body")
        self.code = label("", "code", wrap=False)
        self.code.setAccessibleName("Your reference code")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.time_left = label("", "body")
        self.time_left.setAccessibleName("Time before this screen closes")
        self.more_time = button("⏳  More time", "secondary", accessible="More time")
        self.print_code = button("🖨️  Print my code", "secondary", accessible="Print my code")
        self.finish = button("All done", "primary", accessible="All done")
        self.more_time.clicked.connect(self.moreTimePressed)
        self.print_code.clicked.connect(self.printPressed)
        self.finish.clicked.connect(self.finishPressed)
        self.print_code.hide()
        self.outer.addStretch(1)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.body_text)
        self.outer.addWidget(self.code, 0, Qt.AlignmentFlag.AlignHCenter)
        self.outer.addWidget(self.time_left)
        self.outer.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(style.gap * 2)
        row.addWidget(self.more_time, 1)
        row.addWidget(self.print_code, 1)
        row.addWidget(self.finish, 1)
        self.outer.addLayout(row)
        self._row = row

    def show_code(self, code: str) -> None:
        """``code`` as it is shown and read out ("K7M-4RH")."""
        self.code.setText(code)
        self.code.setAccessibleDescription(" ".join(code))
        self.code.setVisible(bool(code))

    def show_seconds_left(self, seconds: int) -> None:
        if seconds == 1:
            self.time_left.setText("This screen closes in 1 second.")
        else:
            self.time_left.setText(f"This screen closes in {seconds} seconds.")

    def set_can_print(self, can: bool) -> None:
        self.print_code.setVisible(can)

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self._row.setSpacing(style.gap * 2)

    def reset(self) -> None:
        self.code.clear()
        self.time_left.clear()

    def first_focus(self) -> QWidget | None:
        return self.finish


class GoodbyeScreen(Screen):
    """A short goodbye after "No thanks" or Stop; a touch goes back to the start.

    Signals:
        touched.
    """

    touched = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.setProperty("big", True)
        self.icon = label("👋", "huge")
        self.title = label("Goodbye!", "title")
        self.body_text = label("", "body")
        self.outer.addStretch(1)
        self.outer.addWidget(self.icon)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.body_text)
        self.outer.addStretch(1)

    def show_goodbye(self, stopped: bool) -> None:
        """After Stop, say that their answers are gone; after "No thanks", that nothing
        was kept."""
        if stopped:
            self.body_text.setText("Your video and answers have been deleted. "
                                   "Thank you for stopping by.")
        else:
            self.body_text.setText("Thank you for stopping by. Nothing about you was kept.")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        event.accept()
        self.touched.emit()


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


# What is asked before something is deleted: (question, what happens, yes, no).
ASK_STOP = ("Stop and delete your answers?",
             "Your video and everything you chose will be deleted from this booth.",
             "Yes, stop and delete", "No, carry on")
ASK_RETAKE = ("Record it again?", "This video will be deleted first.",
               "Yes, record again", "No, keep it")
ASK_WITHOUT = ("Carry on without a video?", "This video will be deleted.",
                "Yes, delete it", "No, keep it")
ASK_BACK = ("Go back and delete this video?",
             "This video will be deleted, and you can pick a question again.",
             "Yes, delete it", "No, keep it")


class _Overlay(QWidget):
    """Dims the screen and shows a card in the middle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("QWidget#overlay { background: rgba(10, 20, 30, 215); }")
        layout = QVBoxLayout(self)
        self.card = QWidget()
        self.card.setObjectName("screen")
        self.card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.card_layout = QVBoxLayout(self.card)
        self.card_layout.setContentsMargins(40, 28, 40, 28)
        self.card_layout.setSpacing(16)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.card, 6)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.hide()

    def apply_style(self, style: LookStyle) -> None:
        self.card_layout.setSpacing(style.gap * 2)
        margin = style.margin
        self.card_layout.setContentsMargins(margin * 2, margin, margin * 2, margin)


class ConfirmOverlay(_Overlay):
    """Asks before something is deleted: "Stop and delete your answers?", "Delete this
    video?". The safe answer is the big one.

    Signals:
        answered(bool): True for yes.
    """

    answered = Signal(bool)

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = label("", "title")
        self.body_text = label("", "body")
        self.yes = button("", "stop")
        self.no = button("", "primary")
        self.yes.clicked.connect(lambda: self._answer(True))
        self.no.clicked.connect(lambda: self._answer(False))
        self.card_layout.addWidget(self.question)
        self.card_layout.addWidget(self.body_text)
        row = QHBoxLayout()
        row.setSpacing(24)
        row.addWidget(self.yes, 1)
        row.addWidget(self.no, 1)
        self.card_layout.addLayout(row)
        self._row = row
        self.apply_style(style)

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self._row.setSpacing(style.gap * 2)

    def ask(self, question: str, body: str, yes: str, no: str) -> None:
        self.question.setText(question)
        self.body_text.setText(body)
        self.yes.setText(yes)
        self.yes.setAccessibleName(yes)
        self.no.setText(no)
        self.no.setAccessibleName(no)
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
        self.no.setFocus()

    def _answer(self, yes: bool) -> None:
        self.hide()
        self.answered.emit(yes)


class StillThereOverlay(_Overlay):
    """Covers the screen: "are you still there?" with a big countdown.

    Signals:
        stillHere: the person is still here.
    """

    stillHere = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = label("Are you still there?", "title")
        self.count = label("", "huge")
        self.count.setAccessibleName("Seconds before starting again")
        self.body_text = label("Touch the button to carry on.", "body")
        self.here = button("🙋  I'm still here", "primary")
        self.here.clicked.connect(self.stillHere)
        for widget in (self.title, self.count, self.body_text, self.here):
            self.card_layout.addWidget(widget)
        self.apply_style(style)

    def show_seconds(self, seconds: float) -> None:
        self.count.setText(str(max(0, int(seconds + 0.999))))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        # Any touch on the dimmed area also means "still here".
        event.accept()
        self.stillHere.emit()
