"""Rows of choices a person makes for themselves: their language (on the welcome screen, each
language by its own name in its own script, never a flag) and how they answer a prompt (a
video, a video with their face blurred, or just their voice)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QSizePolicy, QWidget

from booth import i18n
from booth.i18n import tr
from booth.ui.looks import LookStyle
from booth.ui.screens.base import clear_layout
from booth.ui.widgets import WrapButton, button

#: Shown before the chosen one's words: chosen is never told by colour alone.
CHOSEN_MARK = "✓"


@dataclass(frozen=True)
class Option:
    """One choice in a row: its id, its words (after a picture), the name a screen reader
    says, and the font its words need (a language's own, for its own name)."""

    id: str
    text: str
    accessible: str = ""
    picture: str = ""
    family: str = ""


class ChoiceRow(QWidget):
    """Checkable buttons side by side, one of them chosen; the chosen one has a tick and a
    thick outline.

    Signals:
        chosen(str): the id of the option the person touched.
    """

    chosen = Signal(str)

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, WrapButton] = {}
        self._options: dict[str, Option] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._current = ""
        self.apply_style(style)

    def apply_style(self, style: LookStyle) -> None:
        self.row.setSpacing(style.gap * 2)

    def set_options(self, options: Sequence[Option]) -> None:
        clear_layout(self.row)
        self._group.deleteLater()
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons = {}
        self._options = {option.id: option for option in options}
        for option in options:
            control = button("", "choice")
            control.setCheckable(True)
            policy = control.sizePolicy()
            policy.setVerticalPolicy(QSizePolicy.Policy.Preferred)  # taller when words wrap
            control.setSizePolicy(policy)
            if option.family:
                # A language's name is always in its own script and font, whatever the
                # language the screen is in.
                control.setStyleSheet(f'font-family: "{option.family}", "Noto Color Emoji";')
            control.clicked.connect(lambda _=False, chosen=option.id: self._touched(chosen))
            self._group.addButton(control)
            self.row.addWidget(control, 1)
            self.buttons[option.id] = control
        self.set_current(self._current)

    def _touched(self, chosen: str) -> None:
        self.set_current(chosen)
        self.chosen.emit(chosen)

    def current(self) -> str:
        return self._current

    def set_current(self, chosen: str) -> None:
        """Show ``chosen`` as the chosen one (what the journey says)."""
        self._current = chosen
        for option_id, control in self.buttons.items():
            option = self._options[option_id]
            mine = option_id == chosen
            control.setChecked(mine)
            words = f"{option.picture}  {option.text}" if option.picture else option.text
            control.setText(f"{CHOSEN_MARK} {words}" if mine else words)
            control.setAccessibleName(option.accessible or option.text)


def language_options(languages: Sequence[str]) -> list[Option]:
    """Each language by its own name, in its own script and font: "اردو", "Polski"."""
    from booth.ui.language import text_style

    return [Option(code, i18n.native_name(code), family=text_style(code).family)
            for code in languages]


def answer_kind_options() -> list[Option]:
    """The three ways to answer, in the current language."""
    return [
        Option("video",
               # Translators: a choice under the questions: answer on video (the usual way).
               tr("Video"),
               # Translators: read by screen readers for "Video".
               tr("Answer on video"), "📹"),
        Option("video_blurred",
               # Translators: a choice under the questions: a video answer with the face
               # blurred (the camera picture shows the blur before recording).
               tr("Blur my face"),
               # Translators: read by screen readers for "Blur my face".
               tr("Answer on video with my face blurred"), "🙂"),
        Option("voice",
               # Translators: a choice under the questions: record the voice alone, no video.
               tr("Just my voice"),
               # Translators: read by screen readers for "Just my voice".
               tr("Answer with just my voice, no video"), "🎤"),
    ]
