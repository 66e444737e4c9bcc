"""Speech in the person's language: the real engine (speech-dispatcher with espeak-ng, as
scripts/setup.sh installs it) speaks Urdu, Polish and Arabic; an engine without a voice for a
language says so and stays silent in it; ``booth doctor`` lists what can be spoken."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from pytestqt.qtbot import QtBot

from booth import doctor
from booth.settings import Settings
from booth.ui import speech
from booth.ui.speech import QtSpeaker, SilentSpeaker, _best_locale, probe_speech, spoken_languages

# Said in each language by the real engine.
WORDS = {
    "en": "What do you love about Stockport?",
    "ur": "آپ کو اسٹاک پورٹ کی کون سی بات سب سے اچھی لگتی ہے؟",
    "pl": "Co Państwo lubią w Stockporcie?",
    "ar": "ما أكثر ما يعجبك في ستوكبورت؟",
}


@pytest.fixture
def own_speech_dispatcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """speech-dispatcher as scripts/setup.sh installs it, but started for this test alone:
    its own socket and settings (espeak-ng, sound to libao's null device, since test machines
    have no speakers), so no other booth or test on the machine shares it. Ended afterwards
    if it has not left by itself."""
    home, config, runtime, cache = (tmp_path / name for name in ("home", "config", "run",
                                                                  "cache"))
    for folder in (home, config / "speech-dispatcher", runtime, cache):
        folder.mkdir(parents=True)
    runtime.chmod(0o700)
    (home / ".libao").write_text("default_driver=null\n", encoding="utf-8")
    (config / "speech-dispatcher" / "speechd.conf").write_text(
        'AudioOutputMethod "libao"\n'
        'AddModule "espeak-ng" "sd_espeak-ng" "espeak-ng.conf"\n'
        "DefaultModule espeak-ng\n"
        "Timeout 2\n", encoding="utf-8")
    assert Path("/usr/lib/speech-dispatcher-modules/sd_espeak-ng").exists(), \
        "speech-dispatcher-espeak-ng is missing: run scripts/setup.sh"
    for name, value in (("HOME", home), ("XDG_CONFIG_HOME", config),
                        ("XDG_RUNTIME_DIR", runtime), ("XDG_CACHE_HOME", cache)):
        monkeypatch.setenv(name, str(value))
    yield runtime
    pid_file = cache / "speech-dispatcher" / "pid" / "speech-dispatcher.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().strip() or 0)
        deadline = time.monotonic() + 6
        while pid and _ours(pid, runtime) and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid and _ours(pid, runtime):
            os.kill(pid, signal.SIGTERM)


def _voice_is_for(speaker: QtSpeaker, language: str) -> bool:
    return speaker.voice.get("language") == language


def _ours(pid: int, runtime: Path) -> bool:
    """The process is still running and is the dispatcher this test started."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"XDG_RUNTIME_DIR={runtime}".encode() in environ.split(b"\0")


# --------------------------------------------------------------------------- the real engine


def test_the_real_engine_speaks_urdu_polish_and_arabic(
    qtbot: QtBot, own_speech_dispatcher: Path,
) -> None:
    speaker = QtSpeaker(engine="speechd", probe_timeout=20)
    try:
        assert speaker.wait_ready(30) is True
        assert {"en", "ur", "pl", "ar"} <= speaker.languages()
        assert {"en", "ur", "pl", "ar"} <= speaker.probed_languages
        for code, words in WORDS.items():
            assert speaker.can_speak(code)
            assert speaker.use_language(code) is True
            # The speaking process says which locale and voice it chose for the language.
            qtbot.waitUntil(partial(_voice_is_for, speaker, code), timeout=10_000)
            assert speaker.voice["locale_language"] == code
            assert speaker.voice["voice_language"] == code
            assert "+" not in str(speaker.voice["voice"])  # espeak-ng's plain voice
            speaker.say(words)
            speaker.stop()
        assert speaker.said == list(WORDS.values())
        process = speaker._probe_process
        assert process is not None and process.poll() is None  # one process, still there
    finally:
        speaker.close()
    process = speaker._probe_process
    assert process is not None
    process.wait(10)  # closing the booth ends the speaking process


def test_a_speaking_process_that_stops_listening_is_ended_and_the_booth_goes_quiet(
    qtbot: QtBot,
) -> None:
    """An engine can hang after it started (a speech-dispatcher that is shutting down as
    it is reached never answers). The booth only writes to a pipe that never blocks; once
    that pipe is full, the process is ended and nothing more is said."""
    speaker = QtSpeaker(engine="mock")
    try:
        assert speaker.wait_ready(30) is True
        process = speaker._probe_process
        assert process is not None
        os.kill(process.pid, signal.SIGSTOP)  # hung: it reads nothing more
        words = "What do you love about Stockport? " * 200
        started = time.monotonic()
        for _ in range(200):  # about 1.4 MB, far past a pipe's 64 KiB
            speaker.say(words)
        assert time.monotonic() - started < 2.0  # the window would still be drawing
        assert speaker.available is False
        assert process.wait(10) == -signal.SIGKILL
    finally:
        speaker.close()


def test_doctor_lists_the_languages_the_booth_can_speak(
    settings: Settings, own_speech_dispatcher: Path,
) -> None:
    probe = doctor.check_speech(settings)
    assert probe.ok and not probe.required
    assert "Reads aloud in English (en), Urdu (ur), Polish (pl), Arabic (ar)" in probe.detail


# --------------------------------------------------------------------------- no voice


def test_a_language_without_a_voice_is_said_so_and_never_read_in_another_voice(
    qtbot: QtBot,
) -> None:
    """Qt's mock engine has English, Finnish and Norwegian voices only."""
    speaker = QtSpeaker(engine="mock")
    try:
        assert speaker.wait_ready(30) is True
        assert speaker.can_speak("en") and not speaker.can_speak("ur")
        assert not speaker.can_speak("ar") and not speaker.can_speak("pl")
        qtbot.waitUntil(lambda: speaker.state == "ready", timeout=10_000)
        assert speaker.use_language("ur") is False
        speaker.say(WORDS["ur"])
        qtbot.wait(200)
        assert speaker.state == "ready"  # silent: no English voice reading Urdu
        assert speaker.use_language("en") is True
        speaker.say(WORDS["en"])
        qtbot.waitUntil(lambda: speaker.state == "speaking", timeout=10_000)
        assert speaker.said == [WORDS["ur"], WORDS["en"]]
    finally:
        speaker.close()


def test_nothing_is_known_to_be_speakable_until_the_engine_answers(qtbot: QtBot) -> None:
    speaker = QtSpeaker(engine="no-such-engine")
    assert not speaker.can_speak("en")
    assert speaker.use_language("pl") is False
    assert speaker.languages() == frozenset()
    speaker.close()


def test_doctor_names_the_languages_without_a_voice(
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock = [sys.executable, "-m", "booth", "speech-probe", "--engine", "mock"]
    monkeypatch.setattr(speech, "probe_command", lambda engine: mock)
    probe = doctor.check_speech(settings)
    assert not probe.ok and not probe.required  # a note: sessions still run
    assert probe.detail.startswith("Reads aloud in English (en); no voice for Urdu (ur), "
                                   'Polish (pl), Arabic (ar), so "Read it to me" is hidden')


def test_doctor_says_plainly_when_nothing_can_be_spoken(
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    hanging = [sys.executable, "-c", "import time; time.sleep(30)"]
    monkeypatch.setattr(speech, "probe_command", lambda engine: hanging)
    found = probe_speech(timeout=0.5)
    assert not found.ok and "no answer within 0.5 s" in found.detail
    monkeypatch.setattr(speech, "probe_speech", lambda: found)
    probe = doctor.check_speech(settings)
    assert not probe.ok and "Nothing can be read aloud" in probe.detail


# --------------------------------------------------------------------------- small parts


def test_the_silent_speaker_can_pretend_to_have_some_voices() -> None:
    everything = SilentSpeaker()
    assert everything.can_speak("ur") and everything.use_language("ur")
    english_only = SilentSpeaker(languages=["en"])
    assert english_only.use_language("ar") is False and english_only.language == "ar"
    assert english_only.can_speak("en")


def test_the_probe_output_names_languages() -> None:
    output = "languages: ar en pl ur\nspeechd with 1530 voice(s) in 4 language(s)\n"
    assert spoken_languages(output) == {"ar", "en", "pl", "ur"}
    assert spoken_languages("mock: no voices") == frozenset()


def test_the_kiosks_own_variety_of_a_language_is_preferred() -> None:
    locales = [QLocale("en_US"), QLocale("en_GB"), QLocale("ar_MR"), QLocale("ar_EG")]
    QLocale.setDefault(QLocale("en_GB"))
    try:
        best = _best_locale("en", locales)
        assert best is not None and best.name() == "en_GB"
    finally:
        QLocale.setDefault(QLocale.system())
    arabic = _best_locale("ar", locales)
    assert arabic is not None and arabic.name() == "ar_EG"  # Arabic's usual variety
    assert _best_locale("ur", locales) is None


def test_the_speaking_process_ends_when_the_booth_closes_its_pipe() -> None:
    """A booth that ends (or crashes) closes the pipe: the speaking process leaves too."""
    process = subprocess.Popen(
        [*speech.probe_command("mock"), "--serve"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    assert process.stdin is not None and process.stdout is not None
    try:
        assert process.stdout.readline().startswith("languages:")
        process.stdin.write('{"language": "en"}\n{"say": "Hello"}\n')
        process.stdin.flush()
        process.stdin.close()
        assert process.wait(10) == 0
        told = [json.loads(line) for line in process.stdout if line.startswith("{")]
        assert {"state": "ready"} in told
        assert any(event.get("voice_language") == "en" for event in told)
    finally:
        process.kill()
        process.stdout.close()
