"""The bar at the top of every screen after the look is chosen: "← Back" on the left,
"Stop" on the right, always in the same place, a status line between them ("Saved ✓"),
and "Hear it again" where words are read aloud and speech works."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from booth.journey import State
from booth.ui.looks import LookStyle
from booth.ui.widgets import WrapButton, button, label

# The screens with the Back/Stop bar, and those of them where each is offered. Back is
# not offered while recording (the take has begun); Stop is offered after consent until
# the session is finished (the thank-you screen: from there the code withdraws it).
BAR_STATES = frozenset({State.CONSENT, State.CHOOSE_PROMPT, State.GET_READY,
                        State.RECORDING, State.REVIEW, State.PRIORITIES, State.TALLY,
                        State.ABOUT_YOU})
NO_BACK = frozenset({State.RECORDING})
NO_STOP = frozenset({State.CONSENT})


def _keep_place(widget: QWidget) -> None:
    # Hidden, a control still takes its room: Back and Stop never move.
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)


class NavBar(QWidget):
    """Back, Stop and "Hear it again", shown and hidden by the window per screen.

    Signals:
        backPressed: one step back.
        stopPressed: the person wants to stop (the window asks before anything is deleted).
        hearAgainPressed: say this screen's words again.
    """

    backPressed = Signal()
    stopPressed = Signal()
    hearAgainPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("navBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.back = button("←  Back", "nav", accessible="Back")
        self.hear = button("🔊  Hear it again", "nav", accessible="Hear it again")
        self.stop = button("✋  Stop", "quit", accessible="Stop and delete my answers")
        self.status = label("", "status")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
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
        self.apply_style(style)

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
