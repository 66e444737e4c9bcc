"""The calm "this booth is resting" screen, shown while the booth cannot keep answers
(its disk is full) instead of a failsafe screen that would come back for every visitor."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from booth.i18n import tr
from booth.ui.looks import LookStyle
from booth.ui.screens.messages import NoticeScreen


class RestingScreen(NoticeScreen):
    """Nothing to press: the booth wakes by itself once an officer has made room."""

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__("🌙", style, parent)

    def retranslate(self) -> None:
        # Translators: shown while the kiosk's disk is full; nobody can answer until staff
        # make room. Calm words: nothing is wrong with the person reading it.
        self.title.setText(tr("This booth is resting."))
        self.setAccessibleName(self.title.text())
        self.body_text.setText(tr("It cannot take new answers just now. A member of staff "
                                  "has been told. Answers already given are safe."))
