"""Reading words aloud through Qt's text-to-speech, silently harmless without a voice."""

from __future__ import annotations

import logging
from typing import Protocol

from PySide6.QtCore import QObject

log = logging.getLogger(__name__)


class Speaker(Protocol):
    """Says things aloud (or not)."""

    def say(self, text: str) -> None: ...

    def stop(self) -> None: ...


class SilentSpeaker:
    """For machines and tests that must stay quiet; remembers what it was asked to say."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)

    def stop(self) -> None:
        """Nothing is playing."""


class QtSpeaker(QObject):
    """QTextToSpeech, created on first use. If the machine has no engine or no voice,
    every call is a quiet no-op (logged once), never an error on screen."""

    def __init__(self, engine: str | None = None, rate: float = -0.1,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engine_name = engine
        self._rate = rate
        self._tts: object | None = None
        self._usable: bool | None = None
        self.said: list[str] = []

    def _ensure(self) -> bool:
        if self._usable is not None:
            return self._usable
        try:
            from PySide6.QtTextToSpeech import QTextToSpeech

            engines = QTextToSpeech.availableEngines()
            name = self._engine_name
            if name is not None and name not in engines:
                log.info("text-to-speech engine %r not available (have %s)", name, engines)
                self._usable = False
                return False
            if name is None and not engines:
                log.info("no text-to-speech engine: the booth stays silent")
                self._usable = False
                return False
            tts = QTextToSpeech(name, self) if name else QTextToSpeech(self)
            if tts.state() == QTextToSpeech.State.Error:
                log.info("text-to-speech unavailable: %s", tts.errorString())
                self._usable = False
                return False
            tts.setRate(self._rate)
            self._tts = tts
            self._usable = True
        except Exception:  # no voice must never break the booth
            log.exception("text-to-speech could not start")
            self._usable = False
        return bool(self._usable)

    @property
    def available(self) -> bool:
        return self._ensure()

    def say(self, text: str) -> None:
        if not text.strip():
            return
        self.said.append(text)
        if not self._ensure():
            return
        from PySide6.QtTextToSpeech import QTextToSpeech

        tts = self._tts
        if isinstance(tts, QTextToSpeech):
            tts.stop()
            tts.say(text)

    def stop(self) -> None:
        from PySide6.QtTextToSpeech import QTextToSpeech

        if isinstance(self._tts, QTextToSpeech):
            self._tts.stop()
