"""What every participant screen shares: the ``Screen`` base, a ``Choice`` to pick, and the
arrows and words that follow the person's language (mirrored in Urdu and Arabic)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLayout, QSizePolicy, QVBoxLayout, QWidget

from booth import i18n
from booth.ui.looks import LookStyle
from booth.ui.tally import TallyBars
from booth.ui.widgets import PictureTile, WrapButton


@dataclass(frozen=True)
class Choice:
    """Something a person can pick: a look, a prompt, a priority or an answer."""

    id: str
    text: str
    icon: str = ""


def right_to_left() -> bool:
    """The person's language is read right to left (Urdu, Arabic): the screens mirror."""
    return i18n.direction(i18n.current()) == "rtl"


def back_arrow() -> str:
    """The arrow on "Back": it points the way the person reads back ("→" in Urdu, Arabic)."""
    return "→" if right_to_left() else "←"


def next_arrow() -> str:
    """The arrow on "Next": the way the person reads on."""
    return "←" if right_to_left() else "→"


def ltr(text: str) -> str:
    """``text`` (a reference code, a time) kept left to right inside words of either
    direction: a Unicode left-to-right isolate, which changes nothing in English."""
    return f"\u2066{text}\u2069" if text else text


def set_words(control: WrapButton, text: str, accessible: str | None = None,
              picture: str = "") -> None:
    """A button's words (after its ``picture``, an emoji or arrow) and the name a screen
    reader says for it: ``accessible``, or its words."""
    control.setText(f"{picture}  {text}" if picture else text)
    control.setAccessibleName(accessible or text)


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

    def retranslate(self) -> None:
        """Show the screen's own words in the current language (``booth.i18n``); words it
        was given (a prompt, a notice) are given again by the window."""

    def reset(self) -> None:
        """Forget all state from the last person."""

    def first_focus(self) -> QWidget | None:
        """The control keyboard focus starts on."""
        return None

    def go_back(self) -> bool:
        """A step back inside the screen (an earlier question); False when there is none
        and "Back" goes to the screen before."""
        return False
