"""The camera screens (get ready, recording) and the review screen that plays the take
back from memory, all with the picture at 16:9 filling its space. A voice answer ("Just my
voice") shows a microphone where the picture would be, and its waveform on review; a blurred
one ("Blur my face") shows the blur in the picture before recording."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from booth.i18n import N_, tr, trn
from booth.journey import AnswerKind
from booth.journey.recording import CAMERA_AWAY
from booth.ui.looks import LookStyle
from booth.ui.screens.base import Screen, ltr, set_words
from booth.ui.waveform import Waveform
from booth.ui.widgets import LevelMeter, PreviewView, button, label

# Translators: where the camera picture would be, for a voice answer ("Just my voice").
VOICE_ONLY = N_("Only your voice will be recorded. Nobody will see you.")


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
        self.kind: AnswerKind = "video"
        self.camera_away = False

    def set_answer_kind(self, kind: AnswerKind, camera_away: bool = False) -> None:
        """Show the picture as it will be kept (blurred), a microphone for a voice
        answer, or, while a lost camera is being reopened, what the person can do."""
        self.kind = kind
        self.camera_away = camera_away and kind != "voice"
        if kind == "voice":
            self.preview.clear()
            self.preview.set_voice(tr(VOICE_ONLY))
        else:
            self.preview.set_voice("")
            self.preview.set_message(tr(CAMERA_AWAY) if self.camera_away else "")
        self.retranslate()

    def _space_sides(self, style: LookStyle) -> None:
        self.body.setSpacing(style.gap * 2)
        self.side.setSpacing(style.gap)

    def apply_style(self, style: LookStyle) -> None:
        super().apply_style(style)
        self._space_sides(style)

    def set_frame(self, image: QImage) -> None:
        if self.kind != "voice" and not self.camera_away:
            self.preview.set_frame(image)

    def reset(self) -> None:
        self.preview.clear()
        self.preview.set_voice("")
        self.question.clear()
        self.kind = "video"
        self.camera_away = False


class GetReadyScreen(_CameraScreen):
    """Live mirrored preview, framing guide and microphone level; "Start recording", and
    after it the look's countdown (if it has one). Nothing records before "Start".

    Signals:
        startPressed: the person is ready.
    """

    startPressed = Signal()
    voiceChosen = Signal()

    def __init__(self, style: LookStyle, parent: QWidget | None = None) -> None:
        super().__init__(style, parent)
        self.guide = label("", "body")
        self.microphone = label("", "muted")
        self.meter = LevelMeter()
        self.count = label("", "huge")
        self.count.hide()
        self.start = button("", "primary")
        self.start.clicked.connect(self.startPressed)
        # While a lost camera is being reopened: answer with the voice instead.
        self.voice = button("", "secondary")
        self.voice.clicked.connect(self.voiceChosen)
        self.voice.hide()
        self.side.addWidget(self.guide)
        self.side.addWidget(self.microphone)
        self.side.addWidget(self.meter)
        self.side.addStretch(1)
        self.side.addWidget(self.count)
        self.side.addWidget(self.voice)
        self.side.addWidget(self.start)
        self.retranslate()

    def retranslate(self) -> None:
        if self.kind == "voice":
            # Translators: beside the microphone, before a voice answer is recorded.
            guide = tr("Speak up so the bars go green.")
        elif self.kind == "video_blurred":
            # Translators: beside the camera picture, with "Blur my face" chosen: the picture
            # shows the blur that will be kept.
            guide = tr("Your face is blurred, as you see here. Speak up so the bars go green.")
        else:
            # Translators: beside the camera picture, before recording. The bars show how
            # loud the voice is.
            guide = tr("Put your face in the oval. Speak up so the bars go green.")
        self.guide.setText(guide)
        # Translators: above the bars that show how loud the voice is.
        self.microphone.setText(tr("Microphone"))
        # Translators: read by screen readers for the microphone's bars.
        self.meter.setAccessibleName(tr("Microphone level"))
        # Translators: read by screen readers for the camera picture.
        self.preview.setAccessibleName(tr("Camera picture"))
        # Translators: read by screen readers: the 3, 2, 1 before recording.
        self.count.setAccessibleName(tr("Countdown"))
        # Translators: the big button that starts the recording.
        set_words(self.start, tr("Start recording"), picture="●")
        set_words(self.voice,
                  # Translators: a button shown while the camera is away: record the voice.
                  tr("Just my voice"),
                  # Translators: read by screen readers for "Just my voice".
                  tr("Answer with just my voice, no video"), picture="🎤")
        self.voice.setVisible(self.camera_away and self.count.isHidden())
        self.start.setEnabled(not self.camera_away)

    def show_ready(self, question: str, countdown: int | None) -> None:
        """``countdown`` is the number to show once "Start" was pressed, or None."""
        self.question.setText(question)
        counting = countdown is not None
        self.count.setVisible(counting)
        self.count.setText(str(countdown) if counting else "")
        self.start.setVisible(not counting)
        self.voice.setVisible(self.camera_away and not counting)

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
        self.recording = label("", "title")
        self.recording.setStyleSheet("color: #C8102E;")
        self.timer = label("0:00", "huge")
        self.timer.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # a clock, "1:05"
        self.left = label("", "body")
        policy = self.left.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.left.setSizePolicy(policy)
        self.meter = LevelMeter()
        # "Stop" at the top stops and deletes; this one only ends the recording.
        self.stop = button("", "stop")
        self.stop.clicked.connect(self.stopPressed)
        self.side.addWidget(self.recording)
        self.side.addWidget(self.timer)
        self.side.addWidget(self.left)
        self.side.addWidget(self.meter)
        self.side.addStretch(1)
        self.side.addWidget(self.stop)
        self._shown: tuple[str, float, float, bool, bool] | None = None
        self.retranslate()

    def retranslate(self) -> None:
        # Translators: read by screen readers for the clock of the recording.
        self.timer.setAccessibleName(tr("Time recorded"))
        # Translators: read by screen readers for the time left.
        self.left.setAccessibleName(tr("Time left"))
        self.meter.setAccessibleName(tr("Microphone level"))
        self.preview.setAccessibleName(tr("Camera picture"))
        set_words(self.stop,
                  # Translators: the big button that ends the recording (it is played back
                  # next; the red Stop at the top is the one that deletes).
                  tr("I've finished"),
                  # Translators: read by screen readers for "I've finished".
                  tr("Stop recording"), picture="■")
        if self._shown is not None:
            self.show_recording(*self._shown)
        else:
            self.recording.setText("● " + tr("Recording"))

    def show_recording(self, question: str, elapsed: float, remaining: float,
                       starting: bool = False, stopping: bool = False) -> None:
        self._shown = (question, elapsed, remaining, starting, stopping)
        self.question.setText(question)
        self.timer.setText(format_seconds(elapsed))
        if self.style_.look == "older":
            # No clock counting down at them, until the last few seconds.
            seconds = max(0, int(remaining + 0.5))
            self.left.setVisible(seconds <= OLDER_TIME_LEFT_FROM)
            # Translators: under the clock in the older look, in the last seconds.
            self.left.setText(trn("{n} second left", "{n} seconds left", seconds))
        else:
            self.left.setVisible(True)
            # Translators: under the recording clock. {time} is minutes and seconds (1:05).
            self.left.setText(tr("{time} left", time=ltr(format_seconds(remaining))))
        if starting:
            # Translators: the heading while the recording starts.
            self.recording.setText(tr("Starting…"))
        elif stopping:
            # Translators: the heading while the recording is saved.
            self.recording.setText(tr("Saving…"))
        else:
            # Translators: the heading while the camera (or microphone) records.
            self.recording.setText("● " + tr("Recording"))
        self.stop.setEnabled(not starting and not stopping)

    def set_level(self, value: float) -> None:
        self.meter.set_level(value)

    def reset(self) -> None:
        super().reset()
        self.meter.set_level(0.0)
        self.timer.setText("0:00")
        self.left.clear()
        self._shown = None

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
        self.title = label("", "title")
        self.outer.addWidget(self.title)
        self.video_frame = PreviewView()
        self.video_frame.set_guide(False)
        # Shown as the preview was (a mirror image), so it looks the way it did while
        # they recorded; the file itself, as the council sees it, is not mirrored.
        self.video_frame.set_mirrored(True)
        self.outer.addWidget(self.video_frame, 1)
        # A voice answer's sound, drawn where the video would be.
        self.waveform = Waveform()
        self.waveform.hide()
        self.outer.addWidget(self.waveform, 1)
        self.kind: AnswerKind = "video"
        self.keep = button("", "primary")
        self.retake = button("", "secondary")
        self.without = button("", "link")
        self.replay = button("", "plain")
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
        self.retranslate()

    def retranslate(self) -> None:
        voice = self.kind == "voice"
        if voice:
            # Translators: the title when a voice answer ("Just my voice") is played back.
            self.title.setText(tr("Here is your answer. Happy with it?"))
            set_words(self.keep,
                      # Translators: button: keep this answer.
                      tr("Keep it"),
                      # Translators: read by screen readers for "Keep it" (a voice answer).
                      tr("Keep my answer"), picture="✔")
            set_words(self.replay,
                      # Translators: button: play the voice answer again from the start.
                      tr("Listen again"),
                      # Translators: read by screen readers for "Listen again".
                      tr("Listen to my answer again"), picture="▶")
            # Translators: a link: delete the voice answer and go on to the tick boxes.
            set_words(self.without, tr("Carry on without it"))
        else:
            # Translators: the title of the screen that plays the video answer back.
            self.title.setText(tr("Here is your video. Happy with it?"))
            set_words(self.keep,
                      tr("Keep it"),
                      # Translators: read by screen readers for "Keep it" (a video answer).
                      tr("Keep my video"), picture="✔")
            set_words(self.replay,
                      # Translators: button: play the video again from the start.
                      tr("Watch again"),
                      # Translators: read by screen readers for "Watch again".
                      tr("Watch my video again"), picture="▶")
            # Translators: a link: delete the video and go on to the tick boxes.
            set_words(self.without, tr("Carry on without a video"))
        set_words(self.retake,
                  # Translators: button: record the answer again (asked first: this one is
                  # deleted).
                  tr("Try again"),
                  # Translators: read by screen readers for "Try again".
                  tr("Record it again"), picture="↺")
        # Translators: read by screen readers: the video being played back.
        self.video_frame.setAccessibleName(tr("Your video"))
        # Translators: read by screen readers: the shape of a voice answer's sound.
        self.waveform.setAccessibleName(tr("Your answer's sound"))

    def set_answer_kind(self, kind: AnswerKind) -> None:
        """A video answer plays in the picture; a voice answer shows its waveform."""
        self.kind = kind
        self.video_frame.setVisible(kind != "voice")
        self.waveform.setVisible(kind == "voice")
        self.retranslate()

    def show_waveform(self, peaks: Sequence[float]) -> None:
        """The voice answer's sound, loudest moments tallest."""
        self.waveform.set_peaks(peaks)

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
        player.positionChanged.connect(self._played_to)
        self._commands.connect_to(player)
        self._player = player
        self._audio = audio
        self._sink = sink

    def _played_to(self, position_ms: int) -> None:
        player = self._player
        duration = player.duration() if player is not None else 0
        if self._buffer is not None and duration > 0:
            self.waveform.set_played(position_ms / duration)

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
        self.waveform.set_peaks([])

    def reset(self) -> None:
        self.clear_take()
        self.set_answer_kind("video")

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
