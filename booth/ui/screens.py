"""The participant screens, one each. They are thin: they show what they are given and
emit what the person asked for. Nothing here knows the order of the journey.

Signals are listed on each class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage, QKeyEvent, QMouseEvent
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from booth.ui.looks import LookStyle
from booth.ui.widgets import (
    AttractLoop,
    LevelMeter,
    PictureTile,
    PreviewView,
    TallyBars,
    TileGroup,
    button,
    label,
)


@dataclass(frozen=True)
class Choice:
    """Something a person can pick: a look, a prompt, a priority or an answer."""

    id: str
    text: str
    icon: str = ""


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


class AttractScreen(Screen):
    """Invites a touch. Shows nothing of anybody.

    Signals:
        touched: a touch, click or key press anywhere.
    """

    touched = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.setProperty("big", True)
        self.loop = AttractLoop(self)
        self.title = label("Have your say!", "hero")
        self.subtitle = label("What do you love about where you live? What would make it better?",
                              "body")
        self.invite = button("👆  Touch the screen to start", "primary")
        self.invite.clicked.connect(self.touched)
        self.outer.addStretch(2)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.subtitle)
        self.outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.invite, 3)
        row.addStretch(1)
        self.outer.addLayout(row)
        self.outer.addStretch(2)
        self.loop.lower()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Welcome. Touch the screen to start")

    def set_campaign(self, title: str, subtitle: str) -> None:
        self.title.setText(title)
        self.subtitle.setText(subtitle)

    def resizeEvent(self, event: object) -> None:
        self.loop.setGeometry(self.rect())

    def showEvent(self, event: object) -> None:
        self.loop.setGeometry(self.rect())
        self.loop.start()

    def hideEvent(self, event: object) -> None:
        self.loop.stop()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        event.accept()
        self.touched.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.touched.emit()
            return
        super().keyPressEvent(event)

    def first_focus(self) -> QWidget | None:
        return self.invite


class WelcomeScreen(Screen):
    """Three looks to choose from, with pictures.

    Signals:
        lookChosen(str): "child", "adult" or "older".
    """

    lookChosen = Signal(str)

    LOOKS = (
        Choice("child", "I'm a child", "🧒"),
        Choice("adult", "I'm a grown-up", "🧑"),
        Choice("older", "I'm 65 or over", "👵"),
    )

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
        for choice in self.LOOKS:
            tile = PictureTile(choice.icon, choice.text, style, scale=1.6)
            group.add(tile)
            tile.clicked.connect(lambda _=False, look=choice.id: self.lookChosen.emit(look))
            row.addWidget(tile)
            self.tiles[choice.id] = tile
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
        if self.style_.name == "older":
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


class _CameraScreen(Screen):
    """Shared layout: the question on top, the preview, and controls below."""

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.question = label("", "title")
        self.preview = PreviewView()
        self.outer.addWidget(self.question)
        self.body = QHBoxLayout()
        self.body.setSpacing(24)
        self.body.addWidget(self.preview, 3)
        self.side = QVBoxLayout()
        self.side.setSpacing(16)
        self.body.addLayout(self.side, 2)
        self.outer.addLayout(self.body, 1)

    def set_frame(self, image: QImage) -> None:
        self.preview.set_frame(image)

    def reset(self) -> None:
        self.preview.clear()
        self.question.clear()


class GetReadyScreen(_CameraScreen):
    """Live mirrored preview, framing guide, microphone level, then 3-2-1 or Start.

    Signals:
        startPressed: the person is ready (looks without a countdown).
        backPressed: choose a different question.
    """

    startPressed = Signal()
    backPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.guide = label("Put your face in the oval. Speak up so the bars go green.", "body")
        self.meter = LevelMeter()
        self.count = label("", "huge")
        self.count.setAccessibleName("Countdown")
        self.start = button("● Start recording", "primary")
        self.start.clicked.connect(self.startPressed)
        self.back = button("← Pick another question", "secondary")
        self.back.clicked.connect(self.backPressed)
        self.side.addWidget(self.guide)
        self.side.addWidget(label("Microphone", "muted"))
        self.side.addWidget(self.meter)
        self.side.addStretch(1)
        self.side.addWidget(self.count)
        self.side.addWidget(self.start)
        self.side.addWidget(self.back)

    def show_ready(self, question: str, countdown: int | None) -> None:
        """``countdown`` is the number to show, or None for a Start button."""
        self.question.setText(question)
        counting = countdown is not None
        self.count.setVisible(counting)
        self.count.setText(str(countdown) if counting else "")
        self.start.setVisible(not counting)
        self.back.setVisible(not counting)

    def set_level(self, value: float) -> None:
        self.meter.set_level(value)

    def reset(self) -> None:
        super().reset()
        self.meter.set_level(0.0)
        self.count.clear()

    def first_focus(self) -> QWidget | None:
        return self.start if self.start.isVisibleTo(self) else None


def format_seconds(seconds: float) -> str:
    whole = max(0, int(seconds + 0.5))
    return f"{whole // 60}:{whole % 60:02d}"


class RecordingScreen(_CameraScreen):
    """Preview, a big timer, the time left and a big stop button.

    Signals:
        stopPressed: the person has finished.
    """

    stopPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.recording = label("● Recording", "title")
        self.recording.setStyleSheet("color: #C8102E;")
        self.timer = label("0:00", "huge")
        self.timer.setAccessibleName("Time recorded")
        self.left = label("", "body")
        self.left.setAccessibleName("Time left")
        self.meter = LevelMeter()
        self.stop = button("■  Stop", "stop", accessible="Stop recording")
        self.stop.clicked.connect(self.stopPressed)
        self.side.addWidget(self.recording)
        self.side.addWidget(self.timer)
        self.side.addWidget(self.left)
        self.side.addWidget(self.meter)
        self.side.addStretch(1)
        self.side.addWidget(self.stop)

    def show_recording(self, question: str, elapsed: float, remaining: float,
                       starting: bool = False, stopping: bool = False) -> None:
        self.question.setText(question)
        self.timer.setText(format_seconds(elapsed))
        self.left.setText(f"{format_seconds(remaining)} left")
        if starting:
            self.recording.setText("Starting…")
        elif stopping:
            self.recording.setText("Saving…")
        else:
            self.recording.setText("● Recording")
        self.stop.setEnabled(not starting and not stopping)

    def set_level(self, value: float) -> None:
        self.meter.set_level(value)

    def reset(self) -> None:
        super().reset()
        self.meter.set_level(0.0)
        self.timer.setText("0:00")
        self.left.clear()

    def first_focus(self) -> QWidget | None:
        return self.stop


class ReviewScreen(Screen):
    """Plays the take back with sound, from decrypted bytes held only in memory.

    Signals:
        keepPressed, retakePressed, withoutVideoPressed.
    """

    keepPressed = Signal()
    retakePressed = Signal()
    withoutVideoPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None,
                 with_player: bool = True) -> None:
        super().__init__(style, parent)
        self.title = label("Here is your video", "title")
        self.outer.addWidget(self.title)
        body = QHBoxLayout()
        body.setSpacing(24)
        self.video_frame = PreviewView()
        self.video_frame.set_guide(False)
        self.video_frame.setAccessibleName("Your video")
        body.addWidget(self.video_frame, 3)
        side = QVBoxLayout()
        side.setSpacing(16)
        self.keep = button("✔  Keep it", "primary", accessible="Keep my video")
        self.retake = button("↺  Try again", "secondary", accessible="Record it again")
        self.without = button("Carry on without a video", "link")
        self.replay = button("▶  Watch again", "plain", accessible="Watch my video again")
        self.keep.clicked.connect(self.keepPressed)
        self.retake.clicked.connect(self.retakePressed)
        self.without.clicked.connect(self.withoutVideoPressed)
        self.replay.clicked.connect(self.play_again)
        side.addWidget(label("Happy with it?", "body"))
        side.addStretch(1)
        side.addWidget(self.keep)
        side.addWidget(self.retake)
        side.addWidget(self.replay)
        side.addWidget(self.without)
        body.addLayout(side, 2)
        self.outer.addLayout(body, 1)
        self._buffer: QBuffer | None = None
        self._commands = _PlayerCommands(self)
        self._player: QMediaPlayer | None = None
        self._audio: QAudioOutput | None = None
        self._sink: QVideoSink | None = None
        self.frames_shown = 0
        if with_player:
            self._make_player()

    def _make_player(self) -> None:
        # Frames come through a video sink and are painted like the camera preview: one
        # drawing path, and it works on every platform plugin (offscreen too).
        player = QMediaPlayer(self)
        audio = QAudioOutput(self)
        audio.setVolume(1.0)
        sink = QVideoSink(self)
        sink.videoFrameChanged.connect(self._show_frame)
        player.setAudioOutput(audio)
        player.setVideoOutput(sink)
        player.mediaStatusChanged.connect(self._status)
        self._commands.connect_to(player)
        self._player = player
        self._audio = audio
        self._sink = sink

    def _show_frame(self, frame: QVideoFrame) -> None:
        if self._buffer is None or not frame.isValid():
            return
        image = frame.toImage()
        if not image.isNull():
            self.frames_shown += 1
            self.video_frame.set_frame(image)

    def _status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self.video_frame.set_message("▶")

    def has_take(self) -> bool:
        return self._buffer is not None

    def load_take(self, data: bytes) -> None:
        """Play ``data`` (an MP4) from memory. Nothing is written to disk."""
        self.clear_take()
        buffer = QBuffer(self)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._buffer = buffer
        self.frames_shown = 0
        self.video_frame.set_message("")
        if self._media_player() is not None:
            self._commands.load.emit(buffer, QUrl("take.mp4"))
            self._commands.play.emit()

    def _media_player(self) -> QMediaPlayer | None:
        return self._player

    def play_again(self) -> None:
        self.video_frame.set_message("")
        if self._media_player() is not None and self._buffer is not None:
            self._commands.stop.emit()  # back to the start
            self._commands.play.emit()

    def clear_take(self) -> None:
        if self._media_player() is not None:
            self._commands.stop.emit()
            self._commands.source.emit(QUrl())
        buffer, self._buffer = self._buffer, None
        if buffer is not None:
            # The player's demuxer thread may still be reading this buffer for a moment
            # after the source is cleared; wipe and free it once that thread has let go.
            QTimer.singleShot(RELEASE_BUFFER_MS, buffer, lambda b=buffer: _wipe(b))
        self.video_frame.clear()

    def reset(self) -> None:
        self.clear_take()

    def first_focus(self) -> QWidget | None:
        return self.keep


RELEASE_BUFFER_MS = 1500


class _PlayerCommands(QObject):
    """Tells the review player what to do through queued, native connections.

    Called from Python, stop() and setSource() hold the GIL while the FFmpeg backend
    tears its renderers down, and a renderer thread that is destroying an object tied
    to our Python-made audio output or video sink wants the GIL too, under a Qt lock
    the GUI thread is waiting for: the kiosk froze for good on "Keep it" (seen in the
    test suite). Queued to the player's own slots, each command runs from the event
    loop with no Python on the stack and the GIL free, in the order it was given."""

    load = Signal(QIODevice, QUrl)
    play = Signal()
    stop = Signal()
    source = Signal(QUrl)

    def connect_to(self, player: QMediaPlayer) -> None:
        queued = Qt.ConnectionType.QueuedConnection
        self.load.connect(player.setSourceDevice, queued)
        self.play.connect(player.play, queued)
        self.stop.connect(player.stop, queued)
        self.source.connect(player.setSource, queued)


def _wipe(buffer: QBuffer) -> None:
    buffer.close()
    buffer.setData(QByteArray())
    buffer.deleteLater()


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
        if self.style_.name == "older" and len(items) <= 10:
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


class ThankYouScreen(Screen):
    """Thanks, and the reference code shown large.

    Signals:
        finishPressed.
    """

    finishPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.setProperty("big", True)
        self.title = label("Thank you! 🎉", "title")
        self.body_text = label("Your answer will help make things better. "
                               "If you change your mind, tell a member of staff this code:",
                               "body")
        self.code = label("", "code")
        self.code.setAccessibleName("Your reference code")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.finish = button("All done", "primary", accessible="All done")
        self.finish.clicked.connect(self.finishPressed)
        self.outer.addStretch(1)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.body_text)
        self.outer.addWidget(self.code, 0, Qt.AlignmentFlag.AlignHCenter)
        self.outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.finish, 1)
        row.addStretch(1)
        self.outer.addLayout(row)

    def show_code(self, code: str) -> None:
        self.code.setText(code)
        self.code.setAccessibleDescription(" ".join(code))
        self.code.setVisible(bool(code))

    def reset(self) -> None:
        self.code.clear()

    def first_focus(self) -> QWidget | None:
        return self.finish


class FailsafeScreen(Screen):
    """A friendly "oops"; the journey returns to the start by itself."""

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.setProperty("big", True)
        self.outer.addStretch(1)
        self.icon = label("🙂", "huge")
        self.title = label("Oops! Something went wrong.", "title")
        self.body_text = label("It was not your fault. The booth is starting again, "
                               "it will be ready in a moment.", "body")
        self.outer.addWidget(self.icon)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.body_text)
        self.outer.addStretch(1)


class StillThereOverlay(QWidget):
    """Covers the screen: "are you still there?" with a big countdown.

    Signals:
        stillHere: the person is still here.
    """

    stillHere = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("QWidget#overlay { background: rgba(10, 20, 30, 215); }")
        layout = QVBoxLayout(self)
        card = QWidget()
        card.setObjectName("screen")
        card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(48, 32, 48, 32)
        self.title = label("Are you still there?", "title")
        self.count = label("", "huge")
        self.count.setAccessibleName("Seconds before starting again")
        self.body_text = label("Touch the button to carry on.", "body")
        self.here = button("🙋  I'm still here", "primary")
        self.here.clicked.connect(self.stillHere)
        for widget in (self.title, self.count, self.body_text, self.here):
            card_layout.addWidget(widget)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 3)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.hide()

    def show_seconds(self, seconds: float) -> None:
        self.count.setText(str(max(0, int(seconds + 0.999))))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        # Any touch on the dimmed area also means "still here".
        event.accept()
        self.stillHere.emit()

