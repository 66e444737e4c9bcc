"""What every participant screen shares: the ``Screen`` base and a ``Choice`` to pick."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLayout, QSizePolicy, QVBoxLayout, QWidget

from booth.ui.looks import LookStyle
from booth.ui.tally import TallyBars
from booth.ui.widgets import PictureTile


@dataclass(frozen=True)
class Choice:
    """Something a person can pick: a look, a prompt, a priority or an answer."""

    id: str
    text: str
    icon: str = ""


def clear_layout(layout: QGridLayout | QHBoxLayout | QVBoxLayout) -> None:
    """Take every widget out of ``layout`` and delete it."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.hide()
            widget.setParent(None)
            widget.deleteLater()


class Screen(QWidget):
    """A full-window screen. ``reset()`` forgets everything a person gave or saw."""

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # A crowded screen must never make the kiosk window bigger than the display.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.style_ = style
        self.outer = QVBoxLayout(self)
        self.outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._space_out(style)

    def _space_out(self, style: LookStyle) -> None:
        margin = style.margin
        self.outer.setContentsMargins(margin * 3 // 2, margin // 2, margin * 3 // 2, margin)
        self.outer.setSpacing(style.gap)

    def apply_style(self, style: LookStyle) -> None:
        self.style_ = style
        for tile in self.findChildren(PictureTile):
            tile.set_style(style)
        for bars in self.findChildren(TallyBars):
            bars.set_style(style)
        self._space_out(style)

    def reset(self) -> None:
        """Forget all state from the last person."""

    def first_focus(self) -> QWidget | None:
        """The control keyboard focus starts on."""
        return None

    def go_back(self) -> bool:
        """A step back inside the screen (an earlier question); False when there is none
        and "Back" goes to the screen before."""
        return False
