"""The screens where a person chooses: their look, consent, a prompt, priorities (and
the tally of what others chose) and the about-you questions."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from booth.pack import LOOKS, Look
from booth.ui.looks import LookStyle
from booth.ui.screens.base import Choice, Screen
from booth.ui.widgets import PictureTile, TallyBars, TileGroup, button, label


def _clear_layout(layout: QGridLayout | QHBoxLayout | QVBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.hide()
            widget.setParent(None)
            widget.deleteLater()


def _grid_columns(count: int) -> int:
    if count <= 3:
        return max(1, count)
    if count <= 4:
        return 2
    if count <= 9:
        return 3
    return 4


# The picture and words on each look's tile; the tiles come in the order of LOOKS.
_LOOK_TILES: dict[Look, tuple[str, str]] = {
    "child": ("🧒", "I'm a child"),
    "adult": ("🧑", "I'm a grown-up"),
    "older": ("👵", "I'm 65 or over"),
}


class WelcomeScreen(Screen):
    """Three looks to choose from, with pictures.

    Signals:
        lookChosen(str): "child", "adult" or "older".
    """

    lookChosen = Signal(str)

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.setProperty("big", True)
        self.title = label("Hello! Who is taking part?", "title")
        self.hint = label("Touch the picture that fits you best.", "body")
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.hint)
        row = QHBoxLayout()
        row.setSpacing(24)
        self.tiles: dict[str, PictureTile] = {}
        group = TileGroup()
        for look in LOOKS:
            icon, text = _LOOK_TILES[look]
            tile = PictureTile(icon, text, style, scale=1.6)
            group.add(tile)
            tile.clicked.connect(lambda _=False, chosen=look: self.lookChosen.emit(chosen))
            row.addWidget(tile)
            self.tiles[look] = tile
        self.outer.addLayout(row, 1)

    def first_focus(self) -> QWidget | None:
        return self.tiles["child"]


class ConsentScreen(Screen):
    """Consent wording for the look; a child's consent may also need a grown-up's yes.

    Signals:
        agreed(bool): the person agreed; True when the grown-up box was ticked.
        declined: the person said no.
    """

    agreed = Signal(bool)
    declined = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.title = label("Before we start", "title")
        self.text = label("", "body")
        self.text.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.adult = button("☐  A grown-up helping me says yes", "toggle",
                            accessible="A grown-up helping me says yes")
        self.adult.setCheckable(True)
        self.adult.toggled.connect(self._update)
        self.yes = button("✔  Yes, I agree", "primary")
        self.no = button("No thanks", "plain")
        self.yes.clicked.connect(lambda: self.agreed.emit(self.adult.isChecked()))
        self.no.clicked.connect(self.declined)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.text, 1)
        self.outer.addWidget(self.adult, 0, Qt.AlignmentFlag.AlignHCenter)
        self.notice = label("", "muted")
        self.outer.addWidget(self.notice)
        row = QHBoxLayout()
        row.addWidget(self.no, 1)
        row.addWidget(self.yes, 2)
        self.outer.addLayout(row)
        self._needs_adult = False
        self._adult_text = "A grown-up helping me says yes"

    def show_consent(self, text: str, needs_adult: bool, adult_text: str = "") -> None:
        self.text.setText(text)
        self._needs_adult = needs_adult
        self.adult.setVisible(needs_adult)
        if adult_text:
            self._adult_text = adult_text
            self.adult.setAccessibleName(adult_text)
        self._update()

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _update(self) -> None:
        # The colour emoji font draws a ballot box with a check as a grey tile that
        # vanishes on the accent colour: a heavy check mark reads on both.
        mark = "✔" if self.adult.isChecked() else "☐"
        self.adult.setText(f"{mark}  {self._adult_text}")
        self.yes.setEnabled(not self._needs_adult or self.adult.isChecked())

    def reset(self) -> None:
        self.adult.setChecked(False)
        self._update()

    def first_focus(self) -> QWidget | None:
        return self.adult if self._needs_adult else self.yes


class ChoosePromptScreen(Screen):
    """Big picture tiles, one per prompt.

    Signals:
        promptChosen(str): the prompt's id.
        skipVideo: the person would rather not be filmed.
    """

    promptChosen = Signal(str)
    skipVideo = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.title = label("Pick a question to answer", "title")
        self.grid = QGridLayout()
        self.grid.setSpacing(20)
        self.skip = button("I'd rather not make a video", "link")
        self.skip.clicked.connect(self.skipVideo)
        self.notice = label("", "muted")
        self.notice.hide()
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self._make_hear_again(), 0, Qt.AlignmentFlag.AlignVCenter)
        self.outer.addLayout(top)
        self.outer.addWidget(self.notice)
        self.outer.addLayout(self.grid, 1)
        self.outer.addWidget(self.skip, 0, Qt.AlignmentFlag.AlignHCenter)
        self.tiles: dict[str, PictureTile] = {}

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def show_prompts(self, prompts: Sequence[Choice]) -> None:
        _clear_layout(self.grid)
        self.tiles = {}
        columns = _grid_columns(len(prompts))
        if self.style_.look == "older":
            # Wide tiles, picture beside the words: the largest text fits.
            columns = 1 if len(prompts) <= 4 else 2
        previous: QWidget | None = None
        group = TileGroup()
        for index, prompt in enumerate(prompts):
            tile = PictureTile(prompt.icon, prompt.text, self.style_)
            group.add(tile)
            tile.clicked.connect(lambda _=False, pid=prompt.id: self.promptChosen.emit(pid))
            self.grid.addWidget(tile, index // columns, index % columns)
            self.tiles[prompt.id] = tile
            if previous is not None:
                QWidget.setTabOrder(previous, tile)
            previous = tile
        if previous is not None:
            QWidget.setTabOrder(previous, self.skip)

    def first_focus(self) -> QWidget | None:
        return next(iter(self.tiles.values()), None)


class PrioritiesScreen(Screen):
    """Tick up to N priorities, with pictures. The limit is enforced here too.

    Signals:
        itemToggled(str): a tile was ticked or unticked (within the limit).
        submitted(list): the ids ticked, in the list's order.
    """

    itemToggled = Signal(str)
    submitted = Signal(list)

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.title = label("What matters most to you?", "title")
        self.count = label("", "body")
        self.count.setAccessibleName("How many chosen")
        self.grid = QGridLayout()
        self.grid.setSpacing(14)
        self.done = button("Done ✔", "primary", accessible="Done choosing")
        self.done.clicked.connect(self._submit)
        self.count.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.outer.addWidget(self.title)
        self.outer.addLayout(self.grid, 1)
        row = QHBoxLayout()
        row.addWidget(self.count, 2)
        row.addWidget(self.done, 1)
        self.outer.addLayout(row)
        self.tiles: dict[str, PictureTile] = {}
        self.max_ticks = 1

    def show_list(self, title: str, items: Sequence[Choice], max_ticks: int) -> None:
        _clear_layout(self.grid)
        self.title.setText(title)
        self.max_ticks = max(1, max_ticks)
        self.tiles = {}
        if self.style_.look == "older" and len(items) <= 10:
            columns = 1  # one big row per choice: every label on one line, in large type
            self.grid.setVerticalSpacing(10)
        else:
            columns = 4 if len(items) > 9 else 3 if len(items) > 4 else 2
        previous: QWidget | None = None
        group = TileGroup()
        for index, item in enumerate(items):
            tile = PictureTile(item.icon, item.text, self.style_, checkable=True)
            group.add(tile)
            tile.toggled.connect(
                lambda checked, t=tile, i=item.id: self._toggled(t, i, checked))
            self.grid.addWidget(tile, index // columns, index % columns)
            self.tiles[item.id] = tile
            if previous is not None:
                QWidget.setTabOrder(previous, tile)
            previous = tile
        if previous is not None:
            QWidget.setTabOrder(previous, self.done)
        self._update()

    def chosen(self) -> list[str]:
        return [item_id for item_id, tile in self.tiles.items() if tile.isChecked()]

    def _toggled(self, tile: PictureTile, item_id: str, checked: bool) -> None:
        if checked and len(self.chosen()) > self.max_ticks:
            tile.blockSignals(True)
            tile.setChecked(False)
            tile.blockSignals(False)
            self.count.setText(f"You can choose {self.max_ticks}. Untick one to change your mind.")
            return
        self._update()
        self.itemToggled.emit(item_id)

    def set_ticked(self, ticked: Sequence[str], notice: str = "") -> None:
        """Show the journey's ticks (it has the last word on what is chosen)."""
        for item_id, tile in self.tiles.items():
            want = item_id in ticked
            if tile.isChecked() != want:
                tile.blockSignals(True)
                tile.setChecked(want)
                tile.blockSignals(False)
        self._update()
        if notice:
            self.count.setText(notice)

    def _update(self) -> None:
        self.count.setText(f"{len(self.chosen())} of {self.max_ticks} chosen")
        self.done.setEnabled(bool(self.chosen()))
        self.done.setText("Done ✔")

    def _submit(self) -> None:
        self.submitted.emit(self.chosen())

    def reset(self) -> None:
        for tile in self.tiles.values():
            tile.blockSignals(True)
            tile.setChecked(False)
            tile.blockSignals(False)
        self._update()

    def first_focus(self) -> QWidget | None:
        return next(iter(self.tiles.values()), None)


class TallyScreen(Screen):
    """What others at this event chose.

    Signals:
        continuePressed.
    """

    continuePressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.title = label("What people here chose", "title")
        self.note = label("", "muted")
        self.bars = TallyBars(style)
        self.next = button("Next →", "primary", accessible="Next")
        self.next.clicked.connect(self.continuePressed)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.note)
        self.outer.addWidget(self.bars, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.next, 1)
        self.outer.addLayout(row)

    def show_tally(self, rows: Sequence[tuple[str, str, int, bool]], people: int) -> None:
        self.bars.set_rows(rows)
        who = "person" if people == 1 else "people"
        self.note.setText(f"{people} {who} at this event so far. Your choices have a ✔.")

    def reset(self) -> None:
        self.bars.set_rows([])
        self.note.clear()

    def first_focus(self) -> QWidget | None:
        return self.next


class AboutYouScreen(Screen):
    """Optional questions, one at a time; "prefer not to say" on every one, skip always.

    Signals:
        submitted(dict): question id -> option id.
        skipped.
    """

    submitted = Signal(dict)
    skipped = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.heading = label("A little about you (you can skip this)", "muted")
        self.question = label("", "title")
        self.grid = QGridLayout()
        self.grid.setSpacing(12)
        self.skip = button("Skip these questions", "link")
        self.skip.clicked.connect(self._skip)
        self.next = button("Next →", "primary")
        self.next.clicked.connect(self._next)
        self.outer.addWidget(self.heading)
        self.outer.addWidget(self.question)
        self.outer.addLayout(self.grid, 1)
        row = QHBoxLayout()
        row.addWidget(self.skip)
        row.addStretch(1)
        row.addWidget(self.next, 1)
        self.outer.addLayout(row)
        self._questions: list[tuple[str, str, list[Choice]]] = []
        self._index = 0
        self._answers: dict[str, str] = {}
        self._group: QButtonGroup | None = None

    def show_questions(self, questions: Sequence[tuple[str, str, Sequence[Choice]]]) -> None:
        self._questions = [(qid, text, list(options)) for qid, text, options in questions]
        self._index = 0
        self._answers = {}
        self._show_current()

    def answers(self) -> dict[str, str]:
        return dict(self._answers)

    def current_options(self) -> list[QPushButton]:
        return [b for b in self.findChildren(QPushButton) if b.property("role") == "option"]

    def _show_current(self) -> None:
        _clear_layout(self.grid)
        if self._group is not None:
            self._group.deleteLater()
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        if not self._questions:
            self.question.clear()
            return
        qid, text, options = self._questions[self._index]
        self.question.setText(text)
        columns = 4 if len(options) > 12 else 3 if len(options) > 6 else 2
        previous: QWidget | None = None
        for index, option in enumerate(options):
            choice = button(option.text, "option")
            choice.setCheckable(True)
            choice.setProperty("option_id", option.id)
            if len(options) > 8:
                # Long lists (areas) in smaller type so every choice fits on one screen.
                choice.setStyleSheet(
                    f"font-size: {max(14, self.style_.button_px * 2 // 3)}px;"
                    f"min-height: {max(36, self.style_.button_height // 2)}px;"
                    "padding: 2px 8px;")
            if self._answers.get(qid) == option.id:
                choice.setChecked(True)
            self._group.addButton(choice)
            self.grid.addWidget(choice, index // columns, index % columns)
            if previous is not None:
                QWidget.setTabOrder(previous, choice)
            previous = choice
        self._group.buttonClicked.connect(self._picked)
        last = self._index == len(self._questions) - 1
        self.next.setText("Finish ✔" if last else "Next →")
        self.next.setAccessibleName("Finish" if last else "Next question")
        self.heading.setText(
            f"A little about you ({self._index + 1} of {len(self._questions)}). "
            "You can skip this.")
        self.skip.setText("Skip the rest" if self._index > 0 else "Skip these questions")
        self.skip.setAccessibleName(self.skip.text())

    def _picked(self, chosen: QAbstractButton) -> None:
        qid = self._questions[self._index][0]
        self._answers[qid] = str(chosen.property("option_id"))

    def _skip(self) -> None:
        # "Skip the rest" keeps what they already chose; nothing chosen is a plain skip.
        if self._answers:
            self.submitted.emit(dict(self._answers))
        else:
            self.skipped.emit()

    def _next(self) -> None:
        if self._index < len(self._questions) - 1:
            self._index += 1
            self._show_current()
            return
        self.submitted.emit(dict(self._answers))

    def reset(self) -> None:
        self._answers = {}
        self._index = 0
        if self._questions:
            self._show_current()

    def first_focus(self) -> QWidget | None:
        options = self.current_options()
        return options[0] if options else self.next
