"""The screens where a person chooses: their look, consent, a prompt, priorities (and
the tally of what others chose) and the about-you questions."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QSizePolicy,
    QWidget,
)

from booth.i18n import N_, tr, trn
from booth.journey import AnswerKind
from booth.pack import LOOKS, Look, Prompt
from booth.ui.looks import LookStyle
from booth.ui.screens.base import Choice, Screen, clear_layout, next_arrow, set_words
from booth.ui.screens.pickers import ChoiceRow, answer_kind_options, language_options
from booth.ui.text import is_tall
from booth.ui.widgets import PictureTile, TileGroup, button, label

_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

# The picture and words on each look's tile; the tiles come in the order of LOOKS.
LOOK_TILES: dict[Look, tuple[str, str]] = {
    # Translators: on the picture of a child on the first screen. Children choose it.
    "child": ("🧒", N_("I'm a child")),
    # Translators: on the picture of an adult on the first screen.
    "adult": ("🧑", N_("I'm a grown-up")),
    # Translators: on the picture of an older person. Keep the number 65 in digits.
    "older": ("👵", N_("I'm 65 or over")),
}

# What Stop does, said on the consent screen in each look's words. Stop is the booth's,
# so its promise is the booth's too, whatever the campaign pack's wording says.
_STOP_PROMISE: dict[Look, str] = {
    # Translators: the last line of a child's consent. "Stop" is the red button with a hand
    # (the campaign pack's spoken consent calls it "the hand button").
    "child": N_("You can stop at any time. Touch Stop at the top, and we will delete your "
                "video and your answers."),
    # Translators: the last line of a grown-up's consent. "Stop" is the red button at the
    # top of every screen.
    "adult": N_("You can stop at any time: Stop, at the top of every screen, deletes your "
                "video and answers from this booth. Once you see your code at the end, your "
                "answers are kept and sent to the council."),
    # Translators: the last line of an older person's consent (respectful and unhurried).
    "older": N_("Take your time. Stop, at the top of every screen, deletes your video and "
                "answers from this booth. Once you see your code at the end, they are kept "
                "and sent to the council."),
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


def _columns_for_words(style: LookStyle, columns: int, count: int) -> int:
    """A long list's columns: one more in a tall script (Urdu's Nastaliq), whose short
    answers need the height of fewer rows more than the width of wider tiles."""
    if count > 6 and is_tall(QFont(style.font_family)):
        return columns + 1
    return columns


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
    languageChosen = Signal(str)

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.setProperty("big", True)
        self.languages = ChoiceRow(style)
        self.languages.chosen.connect(self.languageChosen)
        self.languages.hide()
        self.title = label("", "title")
        self.hint = label("", "body")
        self.outer.addWidget(self.languages)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.hint)
        row = QHBoxLayout()
        row.setSpacing(24)
        self.tiles: dict[str, PictureTile] = {}
        group = TileGroup()
        for look in LOOKS:
            icon, _ = LOOK_TILES[look]
            tile = PictureTile(icon, "", style, scale=1.6)
            group.add(tile)
            tile.clicked.connect(lambda _=False, chosen=look: self.lookChosen.emit(chosen))
            row.addWidget(tile)
            self.tiles[look] = tile
        self.outer.addLayout(row, 1)
        self.retranslate()

    def retranslate(self) -> None:
        # Translators: the title of the first screen, where the person picks a picture.
        self.title.setText(tr("Hello! Who is taking part?"))
        # Translators: under the title of the first screen.
        self.hint.setText(tr("Touch the picture that fits you best."))
        for look in LOOKS:
            tile = self.tiles[look]
            words = tr(LOOK_TILES[look][1])
            tile.setText(words)
            tile.setAccessibleName(words)
            tile.update()

    def show_languages(self, languages: Sequence[str], current: str) -> None:
        """Each language the person can choose, by its own name; ``current`` is chosen."""
        if [*self.languages.buttons] != list(languages):
            self.languages.set_options(language_options(languages))
        self.languages.set_current(current)
        self.languages.setVisible(len(languages) > 1)

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self.languages.apply_style(style)

    def first_focus(self) -> QWidget | None:
        return self.tiles["child"]


# Translators: the box a child's grown-up (teacher, parent) ticks, when the campaign pack
# gives no words of its own.
ADULT_SAYS_YES = N_("A grown-up helping me says yes")


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
        self.title = label("", "title")
        self.ideas = QGridLayout()
        self.text = label("", "reading")  # the wording as one text (for tests and tools)
        self.text.hide()
        self.hint = label("", "notice")
        self.adult = PictureTile("👍", "", style, checkable=True)
        self.adult.setFixedHeight(style.min_target * 5 // 4 + round(2 * self.adult.halo()))
        self.adult.toggled.connect(self._update)
        for widget in (self.hint, self.adult):
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(False)
            widget.setSizePolicy(policy)
        self.yes = button("", "primary")
        self.no = button("", "plain")
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
        self._adult_text = ""
        self.retranslate()

    def retranslate(self) -> None:
        # Translators: the title of the consent screen.
        self.title.setText(tr("Before we start"))
        # Translators: beside the box a child's grown-up ticks before the child can say yes.
        self.hint.setText("👉  " + tr("Your grown-up taps here first"))
        # Translators: button: agree to the consent wording and go on. The children's spoken
        # consent says to touch "Yes": this button's first word must be that "Yes".
        set_words(self.yes, tr("Yes, I agree"), picture="✔")
        # Translators: button: do not agree; the booth says goodbye and keeps nothing.
        set_words(self.no, tr("No thanks"))
        if not self._adult_text:
            self._show_adult(tr(ADULT_SAYS_YES))

    def _show_adult(self, text: str) -> None:
        self.adult.setText(text)
        self.adult.setAccessibleName(text)
        self.adult.update()

    def show_consent(self, text: str, needs_adult: bool, adult_text: str = "") -> None:
        self.text.setText(text)
        clear_layout(self.ideas)
        look = self.style_.look
        lines = [line for line in text.splitlines() if line.strip()]
        lines.append("✋ " + tr(_STOP_PROMISE[look]))
        ideas = [picture_and_words(line) for line in lines]
        self.ideas.setHorizontalSpacing(self.style_.gap * 2)
        # A line of Nastaliq is boxed by its letters, highest to lowest: the boxes need no
        # gap between them to keep the letters apart.
        tall = is_tall(QFont(self.style_.font_family))
        self.ideas.setVerticalSpacing(0 if tall else self.style_.gap // 2)
        for row, (picture, words) in enumerate(ideas):
            picture_label = label(picture, "idea", wrap=False)
            picture_label.setAccessibleName("")
            self.ideas.addWidget(picture_label, row, 0)
            self.ideas.addWidget(label(words, "reading", align=_LEFT), row, 1)
        self.ideas.setColumnStretch(1, 1)
        self._needs_adult = needs_adult
        self._adult_text = adult_text
        self._show_adult(adult_text or tr(ADULT_SAYS_YES))
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
    answerKindChosen = Signal(str)

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.title = label("", "title")
        self.grid = QGridLayout()
        # Beside the video answer: "Blur my face" and "Just my voice".
        self.kinds = ChoiceRow(style)
        self.kinds.chosen.connect(self.answerKindChosen)
        self.skip = button("", "choice")  # as the ways to answer beside it, not chosen
        self.skip.clicked.connect(self.skipVideo)
        self.notice = label("", "notice")
        self.notice.hide()
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.notice)
        self.outer.addLayout(self.grid, 1)
        # How to answer, and not answering at all, in one row under the questions.
        self.row = QHBoxLayout()
        # Widths by share alone (3 to 1), so the words' wrapping is measured at the width
        # each really gets.
        for part in (self.kinds, self.skip):
            policy = part.sizePolicy()
            policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
            policy.setVerticalPolicy(QSizePolicy.Policy.Preferred)  # taller when words wrap
            part.setSizePolicy(policy)
        self.row.addWidget(self.kinds, 3)
        self.row.addWidget(self.skip, 1)
        self.outer.addLayout(self.row)
        self.tiles: dict[str, PictureTile] = {}
        self._kept = False
        self._notice = ""
        self.retranslate()

    def retranslate(self) -> None:
        # Translators: the title of the screen with the questions as pictures.
        self.title.setText(tr("Pick a question to answer"))
        current = self.kinds.current() or "video"
        self.kinds.set_options(answer_kind_options())
        self.kinds.set_current(current)
        self.set_kept(self._kept)
        self.show_notice(self._notice)

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self.kinds.apply_style(style)
        self.row.setSpacing(style.gap * 2)

    def show_notice(self, text: str) -> None:
        """A notice from the journey (a recording that did not work), or, with none and
        a video already kept, that it is kept."""
        self._notice = text
        if not text and self._kept:
            # Translators: on the questions screen after an answer (video or voice) was kept.
            text = "✓ " + tr("Your answer is saved. You can answer another question, or "
                             "carry on.")
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def set_kept(self, kept: bool) -> None:
        """Whether this person has kept a video already (they came back to answer more)."""
        self._kept = kept
        if kept:  # noqa: SIM108 - a translator's note for each sentence
            # Translators: a link on the questions screen once an answer is kept.
            text = tr("Carry on without another video")
        else:
            # Translators: a link on the questions screen: go on to the tick boxes without
            # recording anything.
            text = tr("I'd rather not make a video")
        set_words(self.skip, text)

    def set_answer_kind(self, kind: AnswerKind) -> None:
        """Show which way of answering is chosen (the journey's word)."""
        self.kinds.set_current(kind)

    def reset(self) -> None:
        self.kinds.set_current("video")

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
        # Translators: under the tick boxes before any is ticked. {n} is the most allowed.
        return trn("Choose up to {n}, or none if you like.",
                   "Choose up to {n}, or none if you like.", most)
    if chosen < most:
        # Translators: under the tick boxes. {n} is how many are ticked, {most} how many
        # may be (more than {n}).
        return trn("You have chosen {n}. You can choose up to {most}.",
                   "You have chosen {n}. You can choose up to {most}.", chosen, most=most)
    # Translators: under the tick boxes when as many as allowed are ticked ({n}).
    return trn("You have chosen {n}, the most you can. Untick one to change your mind.",
               "You have chosen {n}, the most you can. Untick one to change your mind.",
               most)


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
        self.title = label("", "title")
        self.count = label("", "reading", align=_LEFT)
        self.grid = QGridLayout()
        self.done = button("", "primary")
        self.done.clicked.connect(self._submit)
        self.outer.addWidget(self.title)
        self.outer.addLayout(self.grid, 1)
        self.row = QHBoxLayout()
        self.row.addWidget(self.count, 3)
        self.row.addWidget(self.done, 2)
        self.outer.addLayout(self.row)
        self.tiles: dict[str, PictureTile] = {}
        self.max_ticks = 1
        self.retranslate()

    def retranslate(self) -> None:
        # Translators: read by screen readers for the line that says how many are ticked.
        self.count.setAccessibleName(tr("How many chosen"))
        set_words(self.done,
                  # Translators: button under the tick boxes: finished ticking.
                  tr("Done") + " ✔",
                  # Translators: read by screen readers for "Done".
                  tr("Done choosing"))
        self._update()

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
        columns = _columns_for_words(self.style_, columns, count)
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
        self.skip = button("", "plain")
        self.skip.clicked.connect(self._skip)
        self.next = button("", "primary")
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
        self.retranslate()

    def retranslate(self) -> None:
        # Translators: button under an about-you question: leave the rest unanswered.
        set_words(self.skip, tr("No more questions"))
        # Translators: button: the next about-you question (an arrow follows it).
        set_words(self.next, f"{tr('Next')}  {next_arrow()}", tr("Next"))

    def current_question_id(self) -> str:
        """The question shown now ("" when there is none)."""
        return self._questions[self._index][0] if self._questions else ""

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
        columns = _columns_for_words(self.style_, columns, count)
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
            # Translators: above the only about-you question.
            return tr("You do not have to answer.")
        # Translators: above an about-you question: which one of how many.
        return tr("Question {number} of {total}. You do not have to answer.",
                  number=self._index + 1, total=len(self._questions))

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
