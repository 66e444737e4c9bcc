"""The camera screens (get ready, recording) and the review screen that plays the take
back from memory."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from booth.ui.looks import LookStyle
from booth.ui.screens.base import Screen
from booth.ui.widgets import LevelMeter, PreviewView, button, label


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
