"""Reading words aloud through Qt's text-to-speech, in the person's language, silently
harmless without a voice.

A language is spoken only with a voice for it (espeak-ng, through speech-dispatcher, has
Urdu, Polish and Arabic): where there is none, ``can_speak`` says so and nothing is read, so
the screens hide "Read it to me" rather than read Urdu words with an English voice."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QCoreApplication, QLocale, QObject, Signal

if TYPE_CHECKING:
    from PySide6.QtTextToSpeech import QTextToSpeech

# How long the speech engine may take to answer the probe before the booth stays silent.
PROBE_TIMEOUT_S = 10.0
#: How long the speaking process waits for its Qt thread to end after the booth has gone.
ENDING_GRACE_S = 3.0
#: A little slower than the engine's usual pace, for children and older people.
DEFAULT_RATE = -0.1

log = logging.getLogger(__name__)


#: The probe's line naming the languages it has voices for: "languages: ar en pl ur".
LANGUAGES_LINE = "languages:"
#: Speech starts in the language the booth's own words are written in.
FIRST_LANGUAGE = "en"


class Speaker(Protocol):
    """Says things aloud (or not), in one language at a time."""

    def say(self, text: str) -> None: ...

    def stop(self) -> None: ...

    def can_speak(self, language: str) -> bool:
        """True when there is a voice for ``language`` (False while still finding out)."""
        ...

    def use_language(self, language: str) -> bool:
        """Speak ``language`` from now on; False (and silence) when it has no voice."""
        ...

    @property
    def available(self) -> bool:
        """Whether speech works (the screens offer "Hear it again" only then)."""
        ...


class SilentSpeaker:
    """For machines and tests that must stay quiet; remembers what it was asked to say.
    ``languages`` are the ones it pretends to have voices for (every one when None)."""

    def __init__(self, languages: Iterable[str] | None = None) -> None:
        self.said: list[str] = []
        self.stops = 0
        self.language = FIRST_LANGUAGE
        self._languages = frozenset(languages) if languages is not None else None
        self.available = True  # a test sets it False for a machine with no voice

    def say(self, text: str) -> None:
        self.said.append(text)

    def stop(self) -> None:
        """Nothing is playing; counted, so tests can see when speech is cut short."""
        self.stops += 1

    def can_speak(self, language: str) -> bool:
        return self._languages is None or language in self._languages

    def use_language(self, language: str) -> bool:
        self.language = language
        return self.can_speak(language)


def language_code(locale: QLocale) -> str:
    """A voice's language as the booth writes it: "ur" for a ur_PK voice."""
    return QLocale.languageToCode(locale.language())


def spoken_languages(output: str) -> frozenset[str]:
    """The languages a probe's output says it has voices for."""
    for line in output.splitlines():
        if line.startswith(LANGUAGES_LINE):
            return frozenset(line.removeprefix(LANGUAGES_LINE).split())
    return frozenset()


def _best_locale(language: str, locales: Iterable[QLocale]) -> QLocale | None:
    """The engine's locale for ``language``: the kiosk's own variety if it speaks it (a
    kiosk set up in England gets en_GB), else the language's usual one (ur_PK, ar_EG)."""
    code, _, territory = language.partition("_")
    matching = [loc for loc in locales if language_code(loc) == code
                and (not territory or QLocale.territoryToCode(loc.territory()) == territory)]
    if not matching:
        return None
    wanted = (QLocale(), QLocale(language))  # QLocale(): the kiosk's, unless set otherwise
    for preferred in wanted:
        for loc in matching:
            if loc.language() == preferred.language() and loc.territory() == preferred.territory():
                return loc
    return sorted(matching, key=lambda loc: loc.name())[0]


def probe_command(engine: str | None) -> list[str]:
    """The command that starts the speech engine in a separate process (see probe_main)."""
    tail = ["speech-probe", *(["--engine", engine] if engine else [])]
    if getattr(sys, "frozen", False):
        return [sys.executable, *tail]
    return [sys.executable, "-m", "booth", *tail]


def probe_main(engine: str | None, serve: bool = False, rate: float = DEFAULT_RATE) -> int:
    """`booth speech-probe`: start the engine, print what it offers; 0 if it has a voice.

    Run in its own process because some engines block for ever, while starting or later
    (speech-dispatcher with no sound server, or one that is shutting down as it is
    reached), and the kiosk window must never freeze. With ``serve`` it then stays and
    speaks: it reads one JSON command a line on stdin ({"language": "ur"}, {"say": "..."},
    {"stop": true}), prints what happened as JSON lines, and ends when stdin closes."""
    import signal

    from PySide6.QtTextToSpeech import QTextToSpeech

    if hasattr(signal, "alarm"):
        # If the booth that asked is gone, a hung engine must not linger: SIGALRM's
        # default action ends the process even inside a blocked C call.
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(PROBE_TIMEOUT_S * 3))
    app = QCoreApplication.instance() or QCoreApplication([])
    tts = QTextToSpeech(engine, app) if engine else QTextToSpeech(app)
    if tts.state() == QTextToSpeech.State.Error:
        print(f"text-to-speech error: {tts.errorString()}", flush=True)
        return 1
    voices = tts.availableVoices()
    if not voices:
        print(f"{tts.engine()}: no voices", flush=True)
        return 1
    languages = sorted({language_code(locale) for locale in tts.availableLocales()})
    print(LANGUAGES_LINE, " ".join(languages))
    print(f"{tts.engine()} with {len(voices)} voice(s) in {len(languages)} language(s)",
          flush=True)
    if not serve:
        return 0
    if hasattr(signal, "alarm"):
        signal.alarm(0)  # started: from now on it lives as long as the booth holds stdin
    voice = _Voice(tts, rate)
    threading.Thread(target=voice.read, args=(sys.stdin,), name="speech-commands",
                     daemon=True).start()
    return app.exec()


def _tell(**event: object) -> None:
    """One line of what the speaking process did, for the booth to read."""
    print(json.dumps(event), flush=True)


class _Voice(QObject):
    """The speaking process's side: carries out the booth's commands on its engine."""

    command = Signal(str)
    ended = Signal()

    def __init__(self, tts: QTextToSpeech, rate: float) -> None:
        super().__init__()
        self._tts = tts
        tts.setRate(rate)
        tts.stateChanged.connect(self._state_changed)
        self.command.connect(self._carry_out)  # queued: read on a thread, done on Qt's
        self.ended.connect(QCoreApplication.quit)
        _tell(state=_state_name(tts.state()))

    def read(self, lines: Iterable[str]) -> None:
        """Thread: hand each line to the Qt thread; the booth closing stdin (or ending)
        ends the process, even when the engine holds the Qt thread in a stuck call."""
        for line in lines:
            self.command.emit(line)
        self.ended.emit()
        time.sleep(ENDING_GRACE_S)  # the Qt thread quits at once unless it is stuck
        os._exit(0)

    def _state_changed(self, state: QTextToSpeech.State) -> None:
        _tell(state=_state_name(state))

    def _carry_out(self, line: str) -> None:
        try:
            command = json.loads(line)
        except ValueError:
            _tell(error=f"not a command: {line.strip()[:80]}")
            return
        if not isinstance(command, dict):
            _tell(error="not a command")
        elif "language" in command:
            self._use(str(command["language"]))
        elif "say" in command:
            self._tts.stop()
            self._tts.say(str(command["say"]))
        elif command.get("stop"):
            self._tts.stop()

    def _use(self, language: str) -> None:
        """Point the engine at the language's voice, and say which it chose."""
        locale = _best_locale(language, self._tts.availableLocales())
        if locale is None:
            _tell(language=language, locale=None)
            return
        self._tts.setLocale(locale)
        voices = self._tts.availableVoices()
        # espeak-ng lists its plain voice and variants of it ("Urdu+Alex"): the plain one.
        plain = [voice for voice in voices if "+" not in voice.name()]
        if plain or voices:
            self._tts.setVoice((plain or voices)[0])
        chosen = self._tts.voice()
        _tell(language=language, locale=self._tts.locale().name(),
              locale_language=language_code(self._tts.locale()),
              voice=chosen.name(), voice_language=language_code(chosen.locale()))


def _state_name(state: QTextToSpeech.State) -> str:
    return state.name.lower()


@dataclass(frozen=True)
class SpeechProbe:
    """What the speech engine said when started on its own: usable, and in which languages."""

    ok: bool
    languages: frozenset[str]
    detail: str

    def can_speak(self, language: str) -> bool:
        return language in self.languages or language.partition("_")[0] in self.languages


def probe_speech(engine: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> SpeechProbe:
    """Start the engine in a separate process (it may hang) and report what it offers."""
    try:
        result = subprocess.run(probe_command(engine), capture_output=True, text=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        return SpeechProbe(False, frozenset(), f"the speech engine gave no answer within "
                                               f"{timeout:g} s")
    except OSError as error:
        return SpeechProbe(False, frozenset(), f"the speech engine could not start: {error}")
    lines = result.stdout.strip().splitlines() or ["no output"]
    return SpeechProbe(result.returncode == 0, spoken_languages(result.stdout), lines[-1])


class QtSpeaker(QObject):
    """Qt's text-to-speech, run in a process of its own (``booth speech-probe --serve``)
    that the booth talks to through a pipe. The engine may hang at any moment; the booth
    only ever writes a line to a pipe that never blocks, so its window never freezes, and
    a stuck speaking process is ended. Until that process has said it has a voice, and if
    the machine has no engine, no voice or an engine that hangs, every call is a quiet
    no-op (logged once), never an error on screen."""

    def __init__(self, engine: str | None = None, rate: float = DEFAULT_RATE,
                 parent: QObject | None = None,
                 probe_timeout: float = PROBE_TIMEOUT_S) -> None:
        super().__init__(parent)
        self._engine_name = engine
        self._rate = rate
        self._probe_timeout = probe_timeout
        self._probe_done = threading.Event()
        self._probe_ok = False
        self._timed_out = False
        self._gone = False  # the speaking process ended (or was ended) after starting
        #: What the speaking process said this machine can speak (set by its thread).
        self.probed_languages: frozenset[str] = frozenset()
        self._probe_thread: threading.Thread | None = None
        self._probe_process: subprocess.Popen[str] | None = None
        self._writing = threading.Lock()
        self.said: list[str] = []
        self._language = FIRST_LANGUAGE
        self._unspoken: set[str] = set()  # languages already logged as having no voice
        #: The engine's state as the speaking process last told it ("ready", "speaking").
        self.state = ""
        #: The voice it last chose: {"language", "locale", "voice", "voice_language", ...}.
        self.voice: dict[str, object] = {}

    def _start_probe(self) -> None:
        if self._probe_thread is None:
            self._probe_thread = threading.Thread(
                target=self._run, name="speech", daemon=True)
            self._probe_thread.start()

    def _run(self) -> None:
        """Worker thread: start the speaking process and read what it says until it ends.
        No Qt here, only the process and its pipes."""
        command = [*probe_command(self._engine_name), "--serve", "--rate", f"{self._rate:g}"]
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True)
        except OSError as exc:
            self._finish_probe(False, str(exc))
            return
        assert process.stdin is not None and process.stdout is not None
        os.set_blocking(process.stdin.fileno(), False)  # a stuck engine never blocks us
        self._probe_process = process
        timer = threading.Timer(self._probe_timeout, self._give_up, args=(process,))
        timer.daemon = True
        timer.start()
        last = "no output"
        for raw in process.stdout:
            line = raw.strip()
            if line.startswith("{"):
                self._heard(line)
            elif line:
                last = line
                if line.startswith(LANGUAGES_LINE):
                    self.probed_languages = spoken_languages(line)
                elif self.probed_languages and not self._probe_done.is_set():
                    timer.cancel()  # its summary line follows the languages: it is ready
                    self._finish_probe(True, line)
                    self._send({"language": self._language})
        timer.cancel()
        process.wait()
        with self._writing:
            process.stdin.close()
        process.stdout.close()
        if not self._probe_done.is_set():
            if self._timed_out:
                last = f"no answer within {self._probe_timeout:g} s"
            self._finish_probe(False, last)
        elif not self._gone:
            self._gone = True
            log.info("text-to-speech stopped (exit %s): the booth stays silent",
                     process.returncode)

    def _finish_probe(self, ok: bool, detail: str) -> None:
        self._probe_ok = ok
        if ok:
            log.info("text-to-speech ready: %s", detail)
        else:
            log.info("text-to-speech unavailable (%s): the booth stays silent", detail)
        self._probe_done.set()

    def _give_up(self, process: subprocess.Popen[str]) -> None:
        """Timer thread: the engine did not answer in time; end its process."""
        self._timed_out = True
        if process.poll() is None:
            process.kill()

    def _heard(self, line: str) -> None:
        try:
            event = json.loads(line)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        if "state" in event:
            self.state = str(event["state"])
        if "language" in event:
            self.voice = event
        if "error" in event:
            log.info("text-to-speech: %s", event["error"])

    def _send(self, command: dict[str, object]) -> None:
        """Hand a command to the speaking process without ever waiting for it. If its pipe
        is full it has stopped listening: it is ended and the booth goes quiet."""
        process = self._probe_process
        if process is None or process.stdin is None or self._gone:
            return
        data = (json.dumps(command) + "\n").encode()
        with self._writing:
            try:
                written = os.write(process.stdin.fileno(), data)
            except BlockingIOError:
                written = 0
            except (OSError, ValueError):  # it has ended, or its pipe is closed
                self._gone = True
                return
            if written < len(data):
                log.warning("text-to-speech stopped listening: ending it")
                self._gone = True
                process.kill()

    def warm_up(self) -> None:
        """Start finding out now, so the first prompt can be read aloud."""
        self._start_probe()

    def wait_ready(self, timeout: float) -> bool:
        """Wait (tests, the officer's check) until the engine has answered; True if usable."""
        self._start_probe()
        self._probe_done.wait(timeout)
        return self._ensure()

    def close(self) -> None:
        """Stop speaking and end the speaking process (it may be waiting for its engine)."""
        self._gone = True
        process = self._probe_process
        if process is not None and process.poll() is None:
            process.kill()  # its thread reaps it and closes the pipes

    def _ensure(self) -> bool:
        self._start_probe()
        return self._probe_done.is_set() and self._probe_ok and not self._gone

    @property
    def available(self) -> bool:
        return self._ensure()

    def languages(self) -> frozenset[str]:
        """The languages this machine can speak (none until the engine has answered)."""
        return self.probed_languages if self._ensure() else frozenset()

    def can_speak(self, language: str) -> bool:
        if not self._ensure():
            return False
        return language in self.probed_languages \
            or language.partition("_")[0] in self.probed_languages

    def use_language(self, language: str) -> bool:
        self._language = language
        if not self.can_speak(language):
            return False
        self._send({"language": language})
        return True

    def say(self, text: str) -> None:
        if not text.strip():
            return
        self.said.append(text)
        if not self._ensure():
            return
        if not self.can_speak(self._language):
            if self._language not in self._unspoken:
                self._unspoken.add(self._language)
                log.info("no voice for %s: nothing is read aloud in it", self._language)
            return  # never the words of one language in another's voice
        self._send({"say": text})

    def stop(self) -> None:
        if self._ensure():
            self._send({"stop": True})
