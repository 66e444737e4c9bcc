"""The bar at the top of the screens a person reads: "← Back" at the start of the line
(the right in Urdu and Arabic, with the arrow turned), "Stop" at the end, always in the same
place, a status line between them ("Saved ✓"), and "Read it to me" ("Hear it again" in the
looks that read by themselves) where there is a voice for the person's language."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from booth.i18n import tr
from booth.journey import State
from booth.ui.looks import LookStyle
from booth.ui.screens.base import back_arrow, set_words
from booth.ui.widgets import WrapButton, button, label

# The screens with the bar, and those of them where each control is offered. Back is not
# offered while recording (the take has begun); Stop is offered after consent until the
# session is finished (the thank-you screen: from there the code withdraws it). The welcome
# and thank-you screens have the bar for "Read it to me" alone; the attract screen (a touch
# anywhere starts) and the goodbye and "oops" screens (gone in a few seconds) have none.
BAR_STATES = frozenset({State.WELCOME, State.CONSENT, State.CHOOSE_PROMPT, State.GET_READY,
                        State.RECORDING, State.REVIEW, State.PRIORITIES, State.TALLY,
                        State.ABOUT_YOU, State.THANK_YOU})
NO_BACK = frozenset({State.WELCOME, State.RECORDING, State.THANK_YOU})
NO_STOP = frozenset({State.WELCOME, State.CONSENT, State.THANK_YOU})


def _keep_place(widget: QWidget) -> None:
    # Hidden, a control still takes its room: Back and Stop never move.
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)


class NavBar(QWidget):
    """Back, Stop and "Read it to me", shown and hidden by the window per screen.

    Signals:
        backPressed: one step back.
        stopPressed: the person wants to stop (the window asks before anything is deleted).
        hearAgainPressed: say this screen's words (again).
    """

    backPressed = Signal()
    stopPressed = Signal()
    hearAgainPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("navBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # As tall as its words need at its width (a line of Urdu's Nastaliq is taller than
        # a button, and a long status wraps), no taller.
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.back = button("", "nav")
        self.hear = button("", "nav")
        self.stop = button("", "quit")
        self.status = label("", "status")
        words = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        words.setHeightForWidth(True)  # as tall as its words at the width it is given
        self.status.setSizePolicy(words)
        self.back.clicked.connect(self.backPressed)
        self.stop.clicked.connect(self.stopPressed)
        self.hear.clicked.connect(self.hearAgainPressed)
        self.row = QHBoxLayout(self)
        self.row.addWidget(self.back)
        self.row.addWidget(self.status, 1)
        self.row.addWidget(self.hear)
        self.row.addWidget(self.stop)
        for control in (self.back, self.stop):
            _keep_place(control)
        for control in self.controls():
            control.one_line = True
        self._again = False
        self.retranslate()
        self.apply_style(style)

    def retranslate(self) -> None:
        # Translators: the button at the top left of every screen (top right in Urdu and
        # Arabic): one step back.
        set_words(self.back, tr("Back"), picture=back_arrow())
        set_words(self.stop,
                  # Translators: the red button at the top of every screen (with a raised
                  # hand): stop and delete everything given so far. The children's spoken
                  # consent calls it "the hand button".
                  tr("Stop"),
                  # Translators: read by screen readers for the Stop button.
                  tr("Stop and delete my answers"), picture="✋")
        self.set_hear_again(self._again)

    def set_hear_again(self, again: bool) -> None:
        """"Hear it again" where the screen was read out by itself, else "Read it to me"."""
        self._again = again
        if again:  # noqa: SIM108 - a translator's note for each
            # Translators: button: the booth reads the screen aloud again (it already did).
            words = tr("Hear it again")
        else:
            # Translators: button: the booth reads the screen's words aloud.
            words = tr("Read it to me")
        set_words(self.hear, words, picture="🔊")

    def apply_style(self, style: LookStyle) -> None:
        margin = style.margin
        self.row.setContentsMargins(margin * 3 // 2, style.gap, margin * 3 // 2, 0)
        self.row.setSpacing(style.gap * 2)

    def controls(self) -> list[WrapButton]:
        return [self.back, self.hear, self.stop]

    def set_status(self, text: str) -> None:
        """A line between Back and Stop: "Saved ✓", which question this is."""
        self.status.setText(text)

    def show_controls(self, back: bool, stop: bool, hear: bool) -> None:
        self.back.setVisible(back)
        self.stop.setVisible(stop)
        self.hear.setVisible(hear)
