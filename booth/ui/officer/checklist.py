"""The console opens here: one screen that says whether the booth is ready (camera,
microphone, speaker, storage, sync) and starts today's event."""

from __future__ import annotations

import logging
import math
import struct
import tempfile
import wave
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QWidget

from booth.ui.officer.common import LEFT, CheckRows, Section
from booth.ui.officer.model import OfficerBackend
from booth.ui.widgets import LevelMeter, PreviewView, button, label

log = logging.getLogger(__name__)

TONE_HZ = 660.0
TONE_SECONDS = 0.8


def chime_file() -> Path:
    """A short, soft two-note chime as a WAV file (made once, in the temp folder)."""
    path = Path(tempfile.gettempdir()) / "booth-speaker-test.wav"
    if path.exists():
        return path
    rate = 44_100
    frames = bytearray()
    count = int(rate * TONE_SECONDS)
    for n in range(count):
        t = n / rate
        pitch = TONE_HZ if t < TONE_SECONDS / 2 else TONE_HZ * 1.5
        fade = min(1.0, n / 2000, (count - n) / 4000)
        frames += struct.pack("<h", int(9000 * fade * math.sin(2 * math.pi * pitch * t)))
    part = path.with_suffix(".part")
    with wave.open(str(part), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    part.replace(path)
    return path


class SpeakerCheck(QObject):
    """Plays the test tone through Qt Multimedia (no device is opened until asked)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._effect: QObject | None = None

    def play(self) -> bool:
        from PySide6.QtCore import QUrl
        from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

        if not QMediaDevices.audioOutputs():
            return False
        if not isinstance(self._effect, QSoundEffect):
            self._effect = QSoundEffect(self)
            self._effect.setSource(QUrl.fromLocalFile(str(chime_file())))
            self._effect.setVolume(0.8)
        self._effect.play()
        return True


class ChecklistSection(Section):
    """Camera ✓, microphone ✓, speaker ▶, storage, sync, and "Start today's event".

    Signals:
        startEvent: the officer wants the booth open for today's event.
    """

    title_text = "Ready for today?"
    startEvent = Signal()

    def __init__(self, backend: OfficerBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.sound = SpeakerCheck(self)
        row = QHBoxLayout()
        self.checks = CheckRows()
        row.addWidget(self.checks, 3)
        self.preview = PreviewView()
        self.preview.setMinimumSize(200, 120)
        row.addWidget(self.preview, 2)
        self.body.addLayout(row, 1)
        self.meter = LevelMeter()
        self.body.addWidget(self.meter)
        buttons = QHBoxLayout()
        self.play = button("▶ Test sound", "secondary", accessible="Play a test sound")
        self.play.clicked.connect(self._play)
        self.again = button("Check again", "secondary", accessible="Check again")
        self.again.clicked.connect(self.refresh)
        self.event_line = label("", "body", align=LEFT)
        self.event_line.setAccessibleName("Today's event")
        self.body.addWidget(self.event_line)
        self.start = button("Start today's event", "primary",
                            accessible="Start today's event")
        self.start.clicked.connect(self.startEvent)
        buttons.addWidget(self.play)
        buttons.addWidget(self.again)
        buttons.addStretch(1)
        buttons.addWidget(self.start)
        self.body.addLayout(buttons)

    def refresh(self) -> None:
        try:
            self.checks.show_lines(self.backend.checklist())
        except Exception as error:
            log.exception("checklist failed")
            self.say(f"Could not check the booth: {error}")
        status = self.backend.status()
        self.event_line.setText(f"Today's event: {status.event_name}." if status.event_name
                           else "No event yet: start today's event to name it.")
        self.start.setText("Open the booth" if status.event_name else "Start today's event")

    def entered(self) -> None:
        self.backend.start_camera_check()
        self.refresh()

    def left(self) -> None:
        super().left()
        self.backend.stop_camera_check()
        self.preview.clear()

    def _play(self) -> None:
        try:
            played = self.sound.play()
        except Exception:
            log.exception("the test sound failed")
            played = False
        self.say("Playing a short chime: did you hear it? If not, turn the volume up or plug "
                 "in the speakers." if played else
                 "This laptop has no sound output. Plug in speakers or headphones.")
