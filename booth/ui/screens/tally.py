"""The screen after the priorities: what others at this event chose, once enough people
have answered (until then, thanks and a word that the results come later)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QWidget

from booth.i18n import tr, trn
from booth.pack import Look, PriorityItem
from booth.ui.looks import LookStyle
from booth.ui.screens.base import Screen, next_arrow, set_words
from booth.ui.tally import TallyBars
from booth.ui.widgets import button, label

# How many of the most chosen items the tally shows: what fits each look's text size.
TALLY_ROWS: dict[Look, int] = {"child": 5, "adult": 7, "older": 4}


class TallyScreen(Screen):
    """What others at this event chose, once enough people have answered; until then,
    thanks and a word that the results come when more people have taken part.

    Signals:
        continuePressed.
    """

    continuePressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.title = label("", "title")
        self.note = label("", "body")
        self.waiting = label("", "body")
        self.waiting.hide()
        self.bars = TallyBars(style)
        self.next = button("", "primary")
        self.next.clicked.connect(self.continuePressed)
        self._people: int | None = None
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.note)
        self.outer.addWidget(self.bars, 1)
        self.outer.addWidget(self.waiting, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.next, 1)
        self.outer.addLayout(row)
        self.retranslate()

    def retranslate(self) -> None:
        # Translators: button: go on to the next screen (an arrow follows it).
        set_words(self.next, f"{tr('Next')}  {next_arrow()}", tr("Next"))
        self.bars.retranslate()
        if self._people is not None:
            self._show_words(self._people)
        elif self.waiting.text():
            self.show_waiting()

    def show_counts(self, items: Sequence[PriorityItem], ticked: Sequence[str],
                    counts: Mapping[str, int], people: int) -> bool:
        """The most chosen items with their counts (the person's own ticked), or, with no
        counts (too few people yet), the waiting words. True when the bars are shown."""
        if not counts:
            self.show_waiting()
            return False
        rows = [(item.icon or "", item.label, int(counts.get(item.id, 0)), item.id in ticked)
                for item in items]
        rows.sort(key=lambda row: -row[2])
        self.show_tally(rows[:TALLY_ROWS[self.style_.look]], people)
        return True

    def show_tally(self, rows: Sequence[tuple[str, str, int, bool]], people: int) -> None:
        """The bars, and the number of people behind them."""
        self.bars.set_rows(rows)
        self.bars.show()
        self.waiting.hide()
        self._show_words(people)
        self.note.show()

    def _show_words(self, people: int) -> None:
        self._people = people
        # Translators: the title of the bar chart of what others at this event ticked.
        self.title.setText(tr("What people here chose"))
        # Translators: under the title of the bar chart. {n} is how many people have
        # answered at this event (always 5 or more); the ✔ marks the person's own choices.
        self.note.setText(trn("Chosen by {n} person at this event. Your choices have a ✔.",
                              "Chosen by {n} people at this event. Your choices have a ✔.",
                              people))

    def show_waiting(self) -> None:
        """Too few people yet: the bars could show one person's choices."""
        self._people = None
        # Translators: the title after ticking, before enough people have taken part to
        # show what others chose.
        self.title.setText(tr("Thank you for choosing!") + " 🌱")
        self.bars.set_rows([])
        self.bars.hide()
        self.note.hide()
        # Translators: under "Thank you for choosing!".
        self.waiting.setText(tr("What people here chose will appear here when more people "
                                "have taken part."))
        self.waiting.show()

    def reset(self) -> None:
        self.bars.set_rows([])
        self.note.clear()
        self.waiting.clear()
        self._people = None

    def first_focus(self) -> QWidget | None:
        return self.next
