"""The screens where a person chooses: their look, consent, a prompt, priorities (and
the tally of what others chose) and the about-you questions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QWidget,
)

from booth.pack import LOOKS, Look, PriorityItem, Prompt
from booth.ui.looks import LookStyle
from booth.ui.screens.base import Choice, Screen, clear_layout
from booth.ui.tally import TallyBars
from booth.ui.widgets import PictureTile, TileGroup, button, label

_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

# The picture and words on each look's tile; the tiles come in the order of LOOKS.
_LOOK_TILES: dict[Look, tuple[str, str]] = {
    "child": ("🧒", "I'm a child"),
    "adult": ("🧑", "I'm a grown-up"),
    "older": ("👵", "I'm 65 or over"),
}

# What Stop does, said on the consent screen in each look's words. Stop is the booth's,
# so its promise is the booth's too, whatever the campaign pack's wording says.
_STOP_PROMISE: dict[Look, str] = {
    "child": "You can stop at any time. Touch Stop at the top, and we will delete your "
             "video and your answers.",
    "adult": "You can stop at any time: Stop, at the top of every screen, deletes your "
             "video and answers from this booth. Once you see your code at the end, your "
             "answers are kept and sent to the council.",
    "older": "Take your time. Stop, at the top of every screen, deletes your video and "
             "answers from this booth. Once you see your code at the end, they are kept "
             "and sent to the council.",
}


def _tiles_in_grid(grid: QGridLayout, tiles: Sequence[PictureTile], columns: int) -> None:
    # Each tile keeps a margin round its outline (for the focus ring), which is part of
    # the gap between two tiles' outlines: the grid adds only what that leaves.
    if tiles:
        style = tiles[0].style_for_layout()
        grid.setSpacing(max(0, style.gap - round(2 * tiles[0].halo())))
    for column in range(grid.columnCount()):  # a grid keeps its columns from last time
        grid.setColumnStretch(column, 0)
    previous: QWidget | None = None
    for index, tile in enumerate(tiles):
        grid.addWidget(tile, index // columns, index % columns)
        if previous is not None:
            QWidget.setTabOrder(previous, tile)
        previous = tile
    for column in range(columns):
        grid.setColumnStretch(column, 1)


def picture_and_words(line: str) -> tuple[str, str]:
    """A line of consent wording split into its picture (an emoji it starts with, if any)
    and its words."""
    first, _, rest = line.strip().partition(" ")
    if first and rest and not any(c.isalnum() for c in first):
        return first, rest.strip()
    return "", line.strip()


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
    """The consent wording for the look, one idea to a line with its picture, and what
    Stop does. A child's consent may also need a grown-up's yes: "Your grown-up taps
    here first", with a gentle pulse on the box until they do.

    Signals:
        agreed(bool): the person agreed; True when the grown-up box was ticked.
        declined: the person said no.
    """

    agreed = Signal(bool)
    declined = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.title = label("Before we start", "title")
        self.ideas = QGridLayout()
        self.text = label("", "reading")  # the wording as one text (for tests and tools)
        self.text.hide()
        self.hint = label("👉  Your grown-up taps here first", "notice")
        self.adult = PictureTile("👍", "A grown-up helping me says yes", style,
                                 checkable=True)
        self.adult.setFixedHeight(style.min_target * 5 // 4 + round(2 * self.adult.halo()))
        self.adult.toggled.connect(self._update)
        for widget in (self.hint, self.adult):
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(False)
            widget.setSizePolicy(policy)
        self.yes = button("✔  Yes, I agree", "primary")
        self.no = button("No thanks", "plain")
        self.yes.clicked.connect(lambda: self.agreed.emit(self.adult.isChecked()))
        self.no.clicked.connect(self.declined)
        self.notice = label("", "notice")
        self.notice.hide()
        self.outer.addWidget(self.title)
        self.outer.addLayout(self.ideas)
        self.outer.addStretch(1)
        grown_up = QHBoxLayout()
        grown_up.addWidget(self.hint, 2)
        grown_up.addWidget(self.adult, 3)
        self.outer.addLayout(grown_up)
        self.outer.addWidget(self.notice)
        self.row = QHBoxLayout()
        self.row.addWidget(self.no, 1)
        self.row.addWidget(self.yes, 2)
        self.outer.addLayout(self.row)
        self._needs_adult = False
        self._adult_text = "A grown-up helping me says yes"

    def show_consent(self, text: str, needs_adult: bool, adult_text: str = "") -> None:
        self.text.setText(text)
        clear_layout(self.ideas)
        look = self.style_.look
        lines = [line for line in text.splitlines() if line.strip()]
        lines.append("✋ " + _STOP_PROMISE[look])
        ideas = [picture_and_words(line) for line in lines]
        self.ideas.setHorizontalSpacing(self.style_.gap * 2)
        self.ideas.setVerticalSpacing(self.style_.gap // 2)
        for row, (picture, words) in enumerate(ideas):
            picture_label = label(picture, "idea", wrap=False)
            picture_label.setAccessibleName("")
            self.ideas.addWidget(picture_label, row, 0)
            self.ideas.addWidget(label(words, "reading", align=_LEFT), row, 1)
        self.ideas.setColumnStretch(1, 1)
        self._needs_adult = needs_adult
        if adult_text:
            self._adult_text = adult_text
        self.adult.setText(self._adult_text)
        self.adult.setAccessibleName(self._adult_text)
        self.adult.setVisible(needs_adult)
        self._update()

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self.row.setSpacing(style.gap * 2)
        # A row a little taller than the smallest target, not a big picture tile.
        self.adult.setFixedHeight(style.min_target * 5 // 4 + round(2 * self.adult.halo()))

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _update(self) -> None:
        waiting = self._needs_adult and not self.adult.isChecked()
        self.hint.setVisible(waiting)
        self.adult.set_pulsing(waiting)
        self.yes.setEnabled(not waiting)

    def reset(self) -> None:
        self.adult.setChecked(False)
        self._update()

    def first_focus(self) -> QWidget | None:
        return self.adult if self._needs_adult else self.yes


class ChoosePromptScreen(Screen):
    """Big picture tiles, one per prompt.

    Signals:
        promptChosen(str): the prompt's id.
        skipVideo: the person would rather not be filmed (or not again).
    """

    promptChosen = Signal(str)
    skipVideo = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.title = label("Pick a question to answer", "title")
        self.grid = QGridLayout()
        self.skip = button("I'd rather not make a video", "link")
        self.skip.clicked.connect(self.skipVideo)
        self.notice = label("", "notice")
        self.notice.hide()
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.notice)
        self.outer.addLayout(self.grid, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.skip, 3)
        row.addStretch(1)
        self.outer.addLayout(row)
        self.tiles: dict[str, PictureTile] = {}
        self._kept = False

    def show_notice(self, text: str) -> None:
        """A notice from the journey (a recording that did not work), or, with none and
        a video already kept, that it is kept."""
        if not text and self._kept:
            text = "✓ Your video is saved. You can answer another question, or carry on."
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def set_kept(self, kept: bool) -> None:
        """Whether this person has kept a video already (they came back to answer more)."""
        self._kept = kept
        text = "Carry on without another video" if kept else "I'd rather not make a video"
        self.skip.setText(text)
        self.skip.setAccessibleName(text)

    def show_prompts(self, prompts: Sequence[Prompt]) -> None:
        """A tile for each prompt, with its picture (or one of the booth's)."""
        self.show_choices([
            Choice(p.id, p.text, p.icon or DEFAULT_ICONS[i % len(DEFAULT_ICONS)])
            for i, p in enumerate(prompts)
        ])

    def show_choices(self, prompts: Sequence[Choice]) -> None:
        clear_layout(self.grid)
        count = len(prompts)
        if self.style_.look == "older":
            # Wide tiles, picture beside the words: the largest text fits.
            columns = 1 if count <= 3 else 2
        else:
            columns = count if count <= 3 else 2 if count == 4 else 3
        group = TileGroup()
        self.tiles = {}
        for prompt in prompts:
            tile = PictureTile(prompt.icon, prompt.text, self.style_)
            group.add(tile)
            tile.clicked.connect(lambda _=False, pid=prompt.id: self.promptChosen.emit(pid))
            self.tiles[prompt.id] = tile
        _tiles_in_grid(self.grid, list(self.tiles.values()), max(1, columns))
        if self.tiles:
            QWidget.setTabOrder(list(self.tiles.values())[-1], self.skip)

    def first_focus(self) -> QWidget | None:
        return next(iter(self.tiles.values()), None)


def priorities_count_text(chosen: int, most: int) -> str:
    """How many are chosen, said so that choosing fewer (or none) reads as fine."""
    if chosen == 0:
        return f"Choose up to {most}, or none if you like."
    if chosen < most:
        return f"You have chosen {chosen}. You can choose up to {most}."
    return f"You have chosen {most}, the most you can. Untick one to change your mind."


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
        self.count = label("", "reading", align=_LEFT)
        self.count.setAccessibleName("How many chosen")
        self.grid = QGridLayout()
        self.done = button("Done ✔", "primary", accessible="Done choosing")
        self.done.clicked.connect(self._submit)
        self.outer.addWidget(self.title)
        self.outer.addLayout(self.grid, 1)
        self.row = QHBoxLayout()
        self.row.addWidget(self.count, 3)
        self.row.addWidget(self.done, 2)
        self.outer.addLayout(self.row)
        self.tiles: dict[str, PictureTile] = {}
        self.max_ticks = 1

    def show_list(self, title: str, items: Sequence[Choice], max_ticks: int) -> None:
        clear_layout(self.grid)
        self.title.setText(title)
        self.max_ticks = max(1, max_ticks)
        self.tiles = {}
        count = len(items)
        if self.style_.look == "older":
            columns = 1 if count <= 3 else 2 if count <= 10 else 3
        else:
            columns = 2 if count <= 4 else 3 if count <= 15 else 4
        group = TileGroup()
        for item in items:
            tile = PictureTile(item.icon, item.text, self.style_, checkable=True)
            group.add(tile)
            tile.toggled.connect(
                lambda checked, t=tile, i=item.id: self._toggled(t, i, checked))
            self.tiles[item.id] = tile
        _tiles_in_grid(self.grid, list(self.tiles.values()), columns)
        if self.tiles:
            QWidget.setTabOrder(list(self.tiles.values())[-1], self.done)
        self._update()

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self.row.setSpacing(style.gap * 2)

    def chosen(self) -> list[str]:
        return [item_id for item_id, tile in self.tiles.items() if tile.isChecked()]

    def _toggled(self, tile: PictureTile, item_id: str, checked: bool) -> None:
        if checked and len(self.chosen()) > self.max_ticks:
            tile.blockSignals(True)
            tile.setChecked(False)
            tile.blockSignals(False)
            self.count.setText(priorities_count_text(self.max_ticks, self.max_ticks))
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
            self.count.setText(priorities_count_text(self.max_ticks, self.max_ticks))

    def _update(self) -> None:
        self.count.setText(priorities_count_text(len(self.chosen()), self.max_ticks))

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


DEFAULT_ICONS = ("💬", "⭐", "🌟", "🎈", "🌻", "🚲", "🏫", "🎵")

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
        self.title = label("What people here chose", "title")
        self.note = label("", "body")
        self.waiting = label("", "body")
        self.waiting.hide()
        self.bars = TallyBars(style)
        self.next = button("Next →", "primary", accessible="Next")
        self.next.clicked.connect(self.continuePressed)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.note)
        self.outer.addWidget(self.bars, 1)
        self.outer.addWidget(self.waiting, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.next, 1)
        self.outer.addLayout(row)

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
        self.title.setText("What people here chose")
        self.bars.set_rows(rows)
        self.bars.show()
        self.waiting.hide()
        self.note.setText(f"Chosen by {people} people at this event. "
                          "Your choices have a ✔.")
        self.note.show()

    def show_waiting(self) -> None:
        """Too few people yet: the bars could show one person's choices."""
        self.title.setText("Thank you for choosing! 🌱")
        self.bars.set_rows([])
        self.bars.hide()
        self.note.hide()
        self.waiting.setText("What people here chose will appear here when more people "
                             "have taken part.")
        self.waiting.show()

    def reset(self) -> None:
        self.bars.set_rows([])
        self.note.clear()
        self.waiting.clear()

    def first_focus(self) -> QWidget | None:
        return self.next


class AboutYouScreen(Screen):
    """Optional questions, one at a time; "prefer not to say" on every one. "Next" moves
    on whether or not an answer is chosen; "No more questions" ends them, keeping what
    was chosen. A chosen answer has a tick and an outline.

    Signals:
        submitted(dict): question id -> option id.
        skipped.
        progressChanged(str): which question is shown ("Question 1 of 2...").
    """

    submitted = Signal(dict)
    skipped = Signal()
    progressChanged = Signal(str)

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.question = label("", "title")
        self.grid = QGridLayout()
        self.skip = button("No more questions", "plain")
        self.skip.clicked.connect(self._skip)
        self.next = button("Next →", "primary", accessible="Next")
        self.next.clicked.connect(self._next)
        self.outer.addWidget(self.question)
        self.outer.addLayout(self.grid, 1)
        self.row = QHBoxLayout()
        self.row.addWidget(self.skip, 1)
        self.row.addWidget(self.next, 1)
        self.outer.addLayout(self.row)
        self._questions: list[tuple[str, str, list[Choice]]] = []
        self._index = 0
        self._answers: dict[str, str] = {}
        self._group: QButtonGroup | None = None
        self._options: list[PictureTile] = []

    def show_questions(self, questions: Sequence[tuple[str, str, Sequence[Choice]]]) -> None:
        self._questions = [(qid, text, list(options)) for qid, text, options in questions]
        self._index = 0
        self._answers = {}
        self._show_current()

    def answers(self) -> dict[str, str]:
        return dict(self._answers)

    def current_options(self) -> list[PictureTile]:
        return list(self._options)

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self.row.setSpacing(style.gap * 2)

    def _show_current(self) -> None:
        clear_layout(self.grid)
        self._options = []
        if self._group is not None:
            self._group.deleteLater()
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        if not self._questions:
            self.question.clear()
            return
        qid, text, options = self._questions[self._index]
        self.question.setText(text)
        count = len(options)
        if self.style_.look == "older":
            columns = 2 if count <= 8 else 3 if count <= 12 else 5
        else:
            columns = 2 if count <= 6 else 3 if count <= 21 else 4
        group = TileGroup()
        for option in options:
            choice = PictureTile("", option.text, self.style_, checkable=True)
            choice.setProperty("option_id", option.id)
            group.add(choice)
            if self._answers.get(qid) == option.id:
                choice.setChecked(True)
            self._group.addButton(choice)
            self._options.append(choice)
        _tiles_in_grid(self.grid, self._options, columns)
        self._group.buttonClicked.connect(self._picked)
        self.progressChanged.emit(self.progress())

    def progress(self) -> str:
        """Which question this is, and that it is optional (shown above the screen)."""
        if not self._questions:
            return ""
        if len(self._questions) == 1:
            return "You do not have to answer."
        return (f"Question {self._index + 1} of {len(self._questions)}. "
                "You do not have to answer.")

    def _picked(self, chosen: QAbstractButton) -> None:
        qid = self._questions[self._index][0]
        self._answers[qid] = str(chosen.property("option_id"))

    def _skip(self) -> None:
        # What they already chose is kept; nothing chosen is a plain skip.
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

    def go_back(self) -> bool:
        if self._index == 0:
            return False
        self._index -= 1
        self._show_current()
        return True

    def reset(self) -> None:
        self._answers = {}
        self._index = 0
        if self._questions:
            self._show_current()

    def first_focus(self) -> QWidget | None:
        options = self.current_options()
        return options[0] if options else self.next
