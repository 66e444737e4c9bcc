"""Reading words aloud through Qt's text-to-speech, in the person's language, silently
harmless without a voice.

A language is spoken only with a voice for it (espeak-ng, through speech-dispatcher, has
Urdu, Polish and Arabic): where there is none, ``can_speak`` says so and nothing is read, so
the screens hide "Read it to me" rather than read Urdu words with an English voice."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QLocale, QObject

# How long the speech engine may take to answer the probe before the booth stays silent.
PROBE_TIMEOUT_S = 10.0

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
    languages = sorted({language_code(locale) for locale in tts.availableLocales()})
    print(LANGUAGES_LINE, " ".join(languages))
    print(f"{tts.engine()} with {len(voices)} voice(s) in {len(languages)} language(s)")
    return 0


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
        #: What the probe said this machine can speak (set by the probe's thread).
        self.probed_languages: frozenset[str] = frozenset()
        self._probe_thread: threading.Thread | None = None
        self._probe_process: subprocess.Popen[str] | None = None
        self.said: list[str] = []
        self._language = FIRST_LANGUAGE
        self._locales: dict[str, QLocale] = {}  # language -> the engine's locale for it
        self._unspoken: set[str] = set()  # languages already logged as having no voice

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
                self.probed_languages = spoken_languages(output)
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
            locales = tts.availableLocales()
            self._locales = {}
            for code in {language_code(locale) for locale in locales}:
                best = _best_locale(code, locales)
                if best is not None:
                    self._locales[code] = best
            self._usable = True
            self._apply_language()
        except Exception:  # no voice must never break the booth
            log.exception("text-to-speech could not start")
            self._usable = False
        return bool(self._usable)

    @property
    def available(self) -> bool:
        return self._ensure()

    def languages(self) -> frozenset[str]:
        """The languages this machine can speak (none until the engine has answered)."""
        if not self._ensure():
            return frozenset()
        return frozenset(self._locales)

    def can_speak(self, language: str) -> bool:
        if not self._ensure():
            return False
        code = language if language in self._locales else language.partition("_")[0]
        return code in self._locales

    def use_language(self, language: str) -> bool:
        self._language = language
        if not self._ensure():
            return False
        return self._apply_language()

    def _apply_language(self) -> bool:
        """Point the engine at the current language's voice; False when it has none."""
        from PySide6.QtTextToSpeech import QTextToSpeech

        tts = self._tts
        code = self._language if self._language in self._locales \
            else self._language.partition("_")[0]
        locale = self._locales.get(code)
        if not isinstance(tts, QTextToSpeech) or locale is None:
            return False
        tts.setLocale(locale)
        voices = tts.availableVoices()
        # espeak-ng lists its plain voice and variants of it ("Urdu+Alex"): the plain one.
        plain = [voice for voice in voices if "+" not in voice.name()]
        if plain or voices:
            tts.setVoice((plain or voices)[0])
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
        from PySide6.QtTextToSpeech import QTextToSpeech

        tts = self._tts
        if isinstance(tts, QTextToSpeech):
            tts.stop()
            tts.say(text)

    def stop(self) -> None:
        from PySide6.QtTextToSpeech import QTextToSpeech

        if isinstance(self._tts, QTextToSpeech):
            self._tts.stop()
