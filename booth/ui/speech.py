"""Reading words aloud through Qt's text-to-speech, silently harmless without a voice."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from typing import Protocol

from PySide6.QtCore import QObject

# How long the speech engine may take to answer the probe before the booth stays silent.
PROBE_TIMEOUT_S = 10.0

log = logging.getLogger(__name__)


class Speaker(Protocol):
    """Says things aloud (or not)."""

    def say(self, text: str) -> None: ...

    def stop(self) -> None: ...

    @property
    def available(self) -> bool:
        """Whether speech works (the screens offer "Hear it again" only then)."""
        ...


class SilentSpeaker:
    """For machines and tests that must stay quiet; remembers what it was asked to say."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.stops = 0
        self.available = True  # a test sets it False for a machine with no voice

    def say(self, text: str) -> None:
        self.said.append(text)

    def stop(self) -> None:
        """Nothing is playing; counted, so tests can see when speech is cut short."""
        self.stops += 1


def probe_command(engine: str | None) -> list[str]:
    """The command that starts the speech engine in a separate process (see probe_main)."""
    tail = ["speech-probe", *(["--engine", engine] if engine else [])]
    if getattr(sys, "frozen", False):
        return [sys.executable, *tail]
    return [sys.executable, "-m", "booth", *tail]


def probe_main(engine: str | None) -> int:
    """`booth speech-probe`: start the engine, print what it offers; 0 if it has a voice.
    Run in its own process because some engines (speech-dispatcher with no sound
    server) block for ever while starting, and the kiosk window must never freeze."""
    import signal

    from PySide6.QtCore import QCoreApplication
    from PySide6.QtTextToSpeech import QTextToSpeech

    if hasattr(signal, "alarm"):
        # If the booth that asked is gone, a hung probe must not linger: SIGALRM's
        # default action ends the process even inside a blocked C call.
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(PROBE_TIMEOUT_S * 3))
    app = QCoreApplication.instance() or QCoreApplication([])
    tts = QTextToSpeech(engine, app) if engine else QTextToSpeech(app)
    if tts.state() == QTextToSpeech.State.Error:
        print(f"text-to-speech error: {tts.errorString()}")
        return 1
    voices = tts.availableVoices()
    if not voices:
        print(f"{tts.engine()}: no voices")
        return 1
    print(f"{tts.engine()} with {len(voices)} voice(s)")
    return 0


class QtSpeaker(QObject):
    """QTextToSpeech, created on first use once a probe in a separate process has shown
    that the engine starts and has a voice. Until then, and if the machine has no engine,
    no voice or an engine that hangs, every call is a quiet no-op (logged once), never an
    error on screen and never a frozen window."""

    def __init__(self, engine: str | None = None, rate: float = -0.1,
                 parent: QObject | None = None,
                 probe_timeout: float = PROBE_TIMEOUT_S) -> None:
        super().__init__(parent)
        self._engine_name = engine
        self._rate = rate
        self._tts: object | None = None
        self._usable: bool | None = None
        self._probe_timeout = probe_timeout
        self._probe_done = threading.Event()
        self._probe_ok = False
        self._probe_thread: threading.Thread | None = None
        self._probe_process: subprocess.Popen[str] | None = None
        self.said: list[str] = []

    def _start_probe(self) -> None:
        if self._probe_thread is None:
            self._probe_thread = threading.Thread(
                target=self._probe, name="speech-probe", daemon=True)
            self._probe_thread.start()

    def _probe(self) -> None:
        """Worker thread: no Qt here, only the probe process."""
        command = probe_command(self._engine_name)
        try:
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        except OSError as exc:
            process, detail = None, str(exc)
        if process is not None:
            self._probe_process = process
            try:
                output, _ = process.communicate(timeout=self._probe_timeout)
                self._probe_ok = process.returncode == 0
                detail = output.strip().splitlines()[-1] if output.strip() else "no output"
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()  # reaps it and closes its pipe
                detail = f"no answer within {self._probe_timeout:g} s"
        if self._probe_ok:
            log.info("text-to-speech ready: %s", detail)
        else:
            log.info("text-to-speech unavailable (%s): the booth stays silent", detail)
        self._probe_done.set()

    def _kill_probe(self) -> None:
        """End a probe still waiting; the probe thread then reaps it and closes its pipe."""
        process = self._probe_process
        if process is not None and process.poll() is None:
            process.kill()

    def warm_up(self) -> None:
        """Start finding out now, so the first prompt can be read aloud."""
        self._ensure()

    def wait_ready(self, timeout: float) -> bool:
        """Wait (tests, the officer's check) until the probe has answered; True if usable."""
        self._start_probe()
        self._probe_done.wait(timeout)
        return self._ensure()

    def close(self) -> None:
        """Stop speaking and end a probe that is still waiting for its engine."""
        self.stop()
        self._kill_probe()

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
            self._start_probe()
            if not self._probe_done.is_set():
                return False  # still finding out; nothing is said meanwhile
            if not self._probe_ok:
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
