"""The screens that say one thing and wait for a touch: the attract loop, thank you,
goodbye, the failsafe "oops", and the overlays that ask "are you still there?" and
"are you sure?"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from booth.i18n import N_, tr, trn
from booth.ui.looks import LookStyle
from booth.ui.screens.base import Screen, set_words
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
        self.title = label("", "hero")
        self.subtitle = label("", "body")
        self.invite = button("", "primary")
        self.invite.clicked.connect(self.touched)
        self._campaign = ""
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
        self.retranslate()

    def retranslate(self) -> None:
        if self._campaign:
            # Translators: the big title on the start screen. {campaign} is the campaign's
            # name, from the campaign pack, already in this language ("One Stockport").
            self.title.setText(tr("Have your say: {campaign}", campaign=self._campaign))
            # Translators: under the title on the start screen.
            self.subtitle.setText(tr("Tell us what you love, and what would make it even "
                                     "better."))
        else:
            # Translators: the big title on the start screen, when there is no campaign name.
            self.title.setText(tr("Have your say!"))
            # Translators: under the title on the start screen (no campaign name).
            self.subtitle.setText(tr("What do you love about where you live? What would make "
                                     "it better?"))
        # Translators: the big button on the start screen (the whole screen can be touched).
        set_words(self.invite, tr("Touch the screen to start"), picture="👆")
        # Translators: read by screen readers on the start screen.
        self.setAccessibleName(tr("Welcome. Touch the screen to start"))

    def set_campaign(self, name: str) -> None:
        """The campaign's name in the current language ("One Stockport"), for the title."""
        self._campaign = name
        self.retranslate()

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
        self.title = label("", "title")
        self.body_text = label("", "body")
        self.code = label("", "code", wrap=False)
        # The code is in Latin letters and digits, read left to right in every language.
        self.code.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.time_left = label("", "body")
        self.more_time = button("", "secondary")
        self.print_code = button("", "secondary")
        self.finish = button("", "primary")
        self._seconds: int | None = None
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
        self.retranslate()

    def retranslate(self) -> None:
        # Translators: the title of the last screen.
        self.title.setText(tr("Thank you!") + " 🎉")
        # Translators: on the last screen, above the reference code (in Latin letters).
        self.body_text.setText(tr("Your answers will help make things better. If you change "
                                  "your mind, give this code to a member of staff."))
        # Translators: read by screen readers for the reference code.
        self.code.setAccessibleName(tr("Your reference code"))
        # Translators: read by screen readers for the line that counts down.
        self.time_left.setAccessibleName(tr("Time before this screen closes"))
        # Translators: button on the last screen: keep the code on screen longer.
        set_words(self.more_time, tr("More time"), picture="⏳")
        # Translators: button on the last screen: print the reference code on a card.
        set_words(self.print_code, tr("Print my code"), picture="🖨️")
        # Translators: button on the last screen.
        set_words(self.finish, tr("All done"))
        if self._seconds is not None:
            self.show_seconds_left(self._seconds)

    def show_code(self, code: str) -> None:
        """``code`` as it is shown and read out ("K7M-4RH")."""
        self.code.setText(code)
        self.code.setAccessibleDescription(" ".join(code))
        self.code.setVisible(bool(code))

    def show_seconds_left(self, seconds: int) -> None:
        self._seconds = seconds
        # Translators: under the reference code. {n} is how many seconds are left.
        self.time_left.setText(trn("This screen closes in {n} second.",
                                   "This screen closes in {n} seconds.", seconds))

    def set_can_print(self, can: bool) -> None:
        self.print_code.setVisible(can)

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self._row.setSpacing(style.gap * 2)

    def reset(self) -> None:
        self.code.clear()
        self.time_left.clear()
        self._seconds = None

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
        self.title = label("", "title")
        self.body_text = label("", "body")
        self.outer.addStretch(1)
        self.outer.addWidget(self.icon)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.body_text)
        self.outer.addStretch(1)
        self._stopped: bool | None = None
        self.retranslate()

    def retranslate(self) -> None:
        # Translators: the title of the short goodbye after "No thanks" or Stop.
        self.title.setText(tr("Goodbye!"))
        if self._stopped is not None:
            self.show_goodbye(self._stopped)

    def show_goodbye(self, stopped: bool) -> None:
        """After Stop, say that their answers are gone; after "No thanks", that nothing
        was kept."""
        self._stopped = stopped
        if stopped:
            # Translators: the goodbye after Stop (everything they gave was deleted).
            self.body_text.setText(tr("Your video and answers have been deleted. Thank you "
                                      "for stopping by."))
        else:
            # Translators: the goodbye after "No thanks" on the consent screen.
            self.body_text.setText(tr("Thank you for stopping by. Nothing about you was kept."))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        event.accept()
        self.touched.emit()


class NoticeScreen(Screen):
    """A picture, a title and a few calm words, with nothing to press: the journey moves
    on by itself. Subclasses set the words in ``retranslate``."""

    def __init__(self, icon: str, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.setProperty("big", True)
        self.outer.addStretch(1)
        self.icon = label(icon, "huge")
        self.title = label("", "title")
        self.body_text = label("", "body")
        self.outer.addWidget(self.icon)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.body_text)
        self.outer.addStretch(1)
        self.retranslate()


class FailsafeScreen(NoticeScreen):
    """A friendly "oops"; the journey returns to the start by itself."""

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__("🙂", style, parent)

    def retranslate(self) -> None:
        # Translators: title when the booth has to start again.
        self.title.setText(tr("Oops! Something went wrong."))
        # Translators: under "Oops! Something went wrong.".
        self.body_text.setText(tr("It was not your fault. The booth is starting again, it "
                                  "will be ready in a moment."))


# What is asked before something is deleted: (question, what happens, yes, no), marked for
# translation here and translated when asked.
Question = tuple[str, str, str, str]
ASK_STOP: Question = (
    # Translators: asked after Stop (the red button with a hand at the top of the screen).
    N_("Stop and delete your answers?"),
    # Translators: under "Stop and delete your answers?".
    N_("Your video and everything you chose will be deleted from this booth."),
    # Translators: the button that stops and deletes everything.
    N_("Yes, stop and delete"),
    # Translators: the (bigger) button that carries on instead.
    N_("No, carry on"))
ASK_RETAKE: Question = (
    # Translators: asked after "Try again" on the video played back.
    N_("Record it again?"),
    # Translators: under "Record it again?" (a video answer).
    N_("This video will be deleted first."),
    # Translators: the button that deletes the answer and records again.
    N_("Yes, record again"),
    # Translators: the (bigger) button that keeps the answer as it is.
    N_("No, keep it"))
ASK_WITHOUT: Question = (
    # Translators: asked after "Carry on without a video" on the video played back.
    N_("Carry on without a video?"),
    # Translators: under "Carry on without a video?".
    N_("This video will be deleted."),
    # Translators: the button that deletes the answer.
    N_("Yes, delete it"),
    N_("No, keep it"))
ASK_BACK: Question = (
    # Translators: asked after Back on the video played back.
    N_("Go back and delete this video?"),
    # Translators: under "Go back and delete this video?".
    N_("This video will be deleted, and you can pick a question again."),
    N_("Yes, delete it"),
    N_("No, keep it"))
# The same questions about a voice answer ("Just my voice").
ASK_RETAKE_VOICE: Question = (
    N_("Record it again?"),
    # Translators: under "Record it again?" (a voice answer, "Just my voice").
    N_("This recording will be deleted first."),
    N_("Yes, record again"),
    N_("No, keep it"))
ASK_WITHOUT_VOICE: Question = (
    # Translators: asked after "Carry on without it" on a voice answer played back.
    N_("Carry on without your recording?"),
    # Translators: under "Carry on without your recording?".
    N_("This recording will be deleted."),
    N_("Yes, delete it"),
    N_("No, keep it"))
ASK_BACK_VOICE: Question = (
    # Translators: asked after Back on a voice answer played back.
    N_("Go back and delete this recording?"),
    # Translators: under "Go back and delete this recording?".
    N_("This recording will be deleted, and you can pick a question again."),
    N_("Yes, delete it"),
    N_("No, keep it"))


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

    def retranslate(self) -> None:
        """Words in the current language (a question is translated when it is asked)."""

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
        """Ask, in the current language, the question whose English words are given."""
        self.question.setText(tr(question))
        self.body_text.setText(tr(body))
        set_words(self.yes, tr(yes))
        set_words(self.no, tr(no))
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
        self.title = label("", "title")
        self.count = label("", "huge")
        self.body_text = label("", "body")
        self.here = button("", "primary")
        self.here.clicked.connect(self.stillHere)
        for widget in (self.title, self.count, self.body_text, self.here):
            self.card_layout.addWidget(widget)
        self.retranslate()
        self.apply_style(style)

    def retranslate(self) -> None:
        # Translators: asked when nobody has touched the screen for a while.
        self.title.setText(tr("Are you still there?"))
        # Translators: read by screen readers for the big countdown.
        self.count.setAccessibleName(tr("Seconds before starting again"))
        # Translators: under "Are you still there?".
        self.body_text.setText(tr("Touch the button to carry on."))
        # Translators: the button that says the person is still there.
        set_words(self.here, tr("I'm still here"), picture="🙋")

    def show_seconds(self, seconds: float) -> None:
        self.count.setText(str(max(0, int(seconds + 0.999))))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        # Any touch on the dimmed area also means "still here".
        event.accept()
        self.stillHere.emit()
