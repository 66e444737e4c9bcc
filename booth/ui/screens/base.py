"""What every participant screen shares: the ``Screen`` base and a ``Choice`` to pick."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from booth.ui.looks import LookStyle
from booth.ui.widgets import PictureTile, TallyBars, button


@dataclass(frozen=True)
class Choice:
    """Something a person can pick: a look, a prompt, a priority or an answer."""

    id: str
    text: str
    icon: str = ""


class Screen(QWidget):
    """A full-window screen. ``reset()`` forgets everything a person gave or saw.

    Signals:
        hearAgainPressed: say again what this screen said aloud (looks that read aloud).
    """

    hearAgainPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # A crowded screen must never make the kiosk window bigger than the display.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.style_ = style
        self.outer = QVBoxLayout(self)
        self.outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        margin = max(16, style.button_height // 3)
        self.outer.setContentsMargins(margin * 2, margin, margin * 2, margin)
        self.outer.setSpacing(margin // 2 + 4)
        self.hear_again: QPushButton | None = None

    def _make_hear_again(self) -> QPushButton:
        """A "hear it again" button, shown only in looks that read aloud: a child who
        cannot read yet and missed the words can hear them again."""
        self.hear_again = button("🔊  Hear it again", "secondary",
                                 accessible="Hear it again")
        self.hear_again.clicked.connect(self.hearAgainPressed)
        self.hear_again.setVisible(self.style_.read_aloud)
        return self.hear_again

    def apply_style(self, style: LookStyle) -> None:
        self.style_ = style
        if self.hear_again is not None:
            self.hear_again.setVisible(style.read_aloud)
        for tile in self.findChildren(PictureTile):
            tile.set_style(style)
        for bars in self.findChildren(TallyBars):
            bars.set_style(style)
        margin = max(16, style.button_height // 3)
        self.outer.setContentsMargins(margin * 2, margin, margin * 2, margin)

    def reset(self) -> None:
        """Forget all state from the last person."""

    def first_focus(self) -> QWidget | None:
        """The control keyboard focus starts on."""
        return None
