"""The camera screens (get ready, recording) and the review screen that plays the take
back from memory, all with the picture at 16:9 filling its space."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from booth.ui.looks import LookStyle
from booth.ui.screens.base import Screen
from booth.ui.widgets import LevelMeter, PreviewView, button, label


class _CameraScreen(Screen):
    """Shared layout: the question on top, the picture (16:9, as big as fits) and the
    controls beside it."""

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.question = label("", "title")
        self.preview = PreviewView()
        self.outer.addWidget(self.question)
        self.body = QHBoxLayout()
        self.body.addWidget(self.preview, 3)
        self.side = QVBoxLayout()
        self.body.addLayout(self.side, 2)
        self.outer.addLayout(self.body, 1)
        self._space_sides(style)

    def _space_sides(self, style: LookStyle) -> None:
        self.body.setSpacing(style.gap * 2)
        self.side.setSpacing(style.gap)

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self._space_sides(style)

    def set_frame(self, image: QImage) -> None:
        self.preview.set_frame(image)

    def reset(self) -> None:
        self.preview.clear()
        self.question.clear()


class GetReadyScreen(_CameraScreen):
    """Live mirrored preview, framing guide and microphone level; "Start recording", and
    after it the look's countdown (if it has one). Nothing records before "Start".

    Signals:
        startPressed: the person is ready.
    """

    startPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.guide = label("Put your face in the oval. Speak up so the bars go green.", "body")
        self.meter = LevelMeter()
        self.count = label("", "huge")
        self.count.setAccessibleName("Countdown")
        self.count.hide()
        self.start = button("●  Start recording", "primary", accessible="Start recording")
        self.start.clicked.connect(self.startPressed)
        self.side.addWidget(self.guide)
        self.side.addWidget(label("Microphone", "muted"))
        self.side.addWidget(self.meter)
        self.side.addStretch(1)
        self.side.addWidget(self.count)
        self.side.addWidget(self.start)

    def show_ready(self, question: str, countdown: int | None) -> None:
        """``countdown`` is the number to show once "Start" was pressed, or None."""
        self.question.setText(question)
        counting = countdown is not None
        self.count.setVisible(counting)
        self.count.setText(str(countdown) if counting else "")
        self.start.setVisible(not counting)

    def set_level(self, value: float) -> None:
        self.meter.set_level(value)

    def reset(self) -> None:
        super().reset()
        self.meter.set_level(0.0)
        self.count.clear()

    def first_focus(self) -> QWidget | None:
        return self.start


def format_seconds(seconds: float) -> str:
    whole = max(0, int(seconds + 0.5))
    return f"{whole // 60}:{whole % 60:02d}"


#: The older look promises no time pressure: it shows the time left only near the end.
OLDER_TIME_LEFT_FROM = 15


class RecordingScreen(_CameraScreen):
    """Preview, a big timer, the time left and a big button to finish.

    Signals:
        stopPressed: the person has finished their answer.
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
        policy = self.left.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.left.setSizePolicy(policy)
        self.meter = LevelMeter()
        # "Stop" at the top stops and deletes; this one only ends the recording.
        self.stop = button("■  I've finished", "stop", accessible="Stop recording")
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
        if self.style_.look == "older":
            # No clock counting down at them, until the last few seconds.
            seconds = max(0, int(remaining + 0.5))
            self.left.setVisible(seconds <= OLDER_TIME_LEFT_FROM)
            self.left.setText("1 second left" if seconds == 1 else f"{seconds} seconds left")
        else:
            self.left.setVisible(True)
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
    """Plays the take back with sound, from decrypted bytes held only in memory. The
    window asks before "Try again" or "Carry on without a video" deletes the take.

    Signals:
        keepPressed, retakePressed, withoutVideoPressed.
    """

    keepPressed = Signal()
    retakePressed = Signal()
    withoutVideoPressed = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None,
                 with_player: bool = True) -> None:
        super().__init__(style, parent)
        self.title = label("Here is your video. Happy with it?", "title")
        self.outer.addWidget(self.title)
        self.video_frame = PreviewView()
        self.video_frame.set_guide(False)
        # Shown as the preview was (a mirror image), so it looks the way it did while
        # they recorded; the file itself, as the council sees it, is not mirrored.
        self.video_frame.set_mirrored(True)
        self.video_frame.setAccessibleName("Your video")
        self.outer.addWidget(self.video_frame, 1)
        self.keep = button("✔  Keep it", "primary", accessible="Keep my video")
        self.retake = button("↺  Try again", "secondary", accessible="Record it again")
        self.without = button("Carry on without a video", "link")
        self.replay = button("▶  Watch again", "plain", accessible="Watch my video again")
        self.keep.clicked.connect(self.keepPressed)
        self.retake.clicked.connect(self.retakePressed)
        self.without.clicked.connect(self.withoutVideoPressed)
        self.replay.clicked.connect(self.play_again)
        # Below the video, two by two: wide enough for the older look's words.
        self.choices = QGridLayout()
        self.choices.addWidget(self.keep, 0, 0)
        self.choices.addWidget(self.retake, 0, 1)
        self.choices.addWidget(self.replay, 1, 0)
        self.choices.addWidget(self.without, 1, 1)
        self.outer.addLayout(self.choices)
        self._space_sides(style)
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

    def _space_sides(self, style: LookStyle) -> None:
        self.choices.setHorizontalSpacing(style.gap * 2)
        self.choices.setVerticalSpacing(style.gap)

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self._space_sides(style)

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
