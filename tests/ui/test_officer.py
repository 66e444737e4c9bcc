"""The officer panel on the real kiosk: counts, event set-up, camera check, withdraw,
sync, export, switch pack, change PIN; and the speech adapter with and without a voice."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from booth.app import Kiosk, build_kiosk
from booth.journey import State
from booth.pack import default_pack_path
from booth.settings import Settings
from booth.sync.keys import install_credential
from booth.ui.officer import PIN_META_KEY, verify_pin
from booth.ui.speech import QtSpeaker, SilentSpeaker
from tests.helpers.capture import HOLD_LIMIT_S
from tests.helpers.sync import make_council_age_keys, make_credential
from tests.helpers.ui import NO_MEDIA_HARDWARE, click

pytestmark = [
    pytest.mark.qt_log_ignore(*NO_MEDIA_HARDWARE),
    pytest.mark.timeout(120),
]


@pytest.fixture
def kiosk(qtbot: QtBot, settings: Settings, tmp_path: Path) -> Iterator[Kiosk]:
    keys = make_council_age_keys(tmp_path / "council")
    credential_file = tmp_path / "credential.json"
    credential_file.write_text(make_credential(keys.recipients).model_dump_json())
    install_credential(settings.paths, credential_file)
    built = build_kiosk(settings, speaker=SilentSpeaker())
    qtbot.addWidget(built.window)
    built.window.settle_ms = 0  # tests click as fast as they like
    built.window.resize(1366, 768)
    built.window.show()
    qtbot.waitExposed(built.window)
    yield built
    built.window.allow_close()
    built.window.close()
    built.close()


def _finish_a_session_without_video(kiosk: Kiosk) -> str:
    j = kiosk.journey
    j.touch()
    j.choose_look("adult")
    j.give_consent()
    j.skip_video()
    j.submit_priorities([kiosk.pack.priority_list_for("adult").items[0].id])
    j.continue_after_tally()
    j.skip_about_you()
    assert j.state is State.THANK_YOU
    code = j.view().reference_code
    assert code
    j.finish()
    return code


def _open_panel(qtbot: QtBot, kiosk: Kiosk) -> None:
    kiosk.window.open_pin_pad()
    for digit in "1234":
        click(qtbot, kiosk.window.pin_pad.keys[digit])
    click(qtbot, kiosk.window.pin_pad.ok)
    assert kiosk.window.officer.isVisible()


def test_counts_withdraw_and_export(qtbot: QtBot, kiosk: Kiosk, tmp_path: Path) -> None:
    _finish_a_session_without_video(kiosk)
    qtbot.waitUntil(lambda: len(kiosk.store.bundles_in_state("sealed", "uploading")) == 1,
                    timeout=20_000)
    code = _finish_a_session_without_video(kiosk)
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    panel.refresh()
    assert panel.status_text("sessions") == "2"
    assert panel.status_text("videos") == "0"
    panel.tabs.setCurrentIndex(3)
    panel.withdraw_code.setText(code.lower())
    panel._withdraw()
    assert "Withdrawn" in panel.message.text()
    session = kiosk.store.session_by_reference(code)
    assert session is not None and session.state == "withdrawn"
    assert panel.status_text("sessions") == "1"
    assert any(entry.officer_action == "withdraw" for entry in kiosk.store.audit_log())
    panel._withdraw()
    assert "reference code first" in panel.message.text()
    panel.withdraw_code.setText("ZZZZZZ")
    panel._withdraw()
    assert "No answers have the reference code ZZZZZZ" in panel.message.text()
    export = tmp_path / "usb"
    panel._choose_folder = lambda _widget: str(export)
    panel._export()
    assert "Copied 1 bundle" in panel.message.text()
    assert len([p for p in export.iterdir() if p.is_dir()]) == 1


def test_withdrawing_a_delivered_session_says_ask_the_council(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    code = _finish_a_session_without_video(kiosk)
    qtbot.waitUntil(lambda: len(kiosk.store.bundles_in_state("sealed", "uploading")) == 1,
                    timeout=20_000)
    [sealed] = kiosk.store.bundles_in_state("sealed", "uploading")
    # As when the council's receipt comes back: the kiosk purges and forgets the session.
    kiosk.store.add_receipt(sealed.id, "{}", "usb")
    kiosk.store.purge_bundle(sealed.id, [])
    assert kiosk.store.session_by_reference(code) is None
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    panel.refresh()
    assert panel.status_text("sessions") == "1"  # the counts outlive the forgotten rows
    panel.tabs.setCurrentIndex(3)
    panel.withdraw_code.setText(f"{code[:3]} {code[3:]}".lower())
    panel._withdraw()
    assert "already been sent: the booth tells the council" in panel.message.text()


def test_event_set_up_waits_for_the_booth_to_be_free(qtbot: QtBot, kiosk: Kiosk) -> None:
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    kiosk.journey.touch()  # someone is at the welcome screen
    panel.event_name.setText("Age Friendly forum")
    panel.event_kind.setCurrentIndex(panel.event_kind.findData("forum"))
    panel.event_look.setCurrentIndex(panel.event_look.findData("older"))
    panel._set_up_event()
    assert "Someone is using the booth" in panel.message.text()
    assert kiosk.store.current_event() is None
    kiosk.journey.back()
    assert kiosk.journey.state is State.ATTRACT
    panel._set_up_event()
    event = kiosk.store.current_event()
    assert event is not None and (event.name, event.kind, event.default_look) == (
        "Age Friendly forum", "forum", "older")
    assert kiosk.window.resting_look == "older"
    assert panel.status_text("event") == "Age Friendly forum (forum)"


def test_camera_check_shows_the_camera_and_stops_when_left(qtbot: QtBot, kiosk: Kiosk) -> None:
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    panel.tabs.setCurrentIndex(panel.camera_tab_index)
    qtbot.waitUntil(panel.camera_preview.has_frame, timeout=10_000)
    qtbot.waitUntil(lambda: panel.camera_meter.level() > 0.05, timeout=5_000)
    panel.tabs.setCurrentIndex(0)
    assert not panel.camera_preview.has_frame()
    qtbot.waitUntil(lambda: not kiosk.capture.previewing, timeout=5_000)
    click(qtbot, panel.lock)
    assert not panel.isVisible()


def test_switch_pack_change_pin_and_sync(qtbot: QtBot, kiosk: Kiosk, tmp_path: Path) -> None:
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    broken = tmp_path / "broken.toml"
    broken.write_text("format_version = 99\n")
    panel._choose_pack = lambda _widget: str(broken)
    panel._switch_pack()
    assert "cannot be used" in panel.message.text() and "broken.toml" in panel.message.text()
    panel._choose_pack = lambda _widget: str(default_pack_path())
    panel._switch_pack()
    assert "Now using the campaign pack" in panel.message.text()
    panel.new_pin.setText("12")
    panel._change_pin()
    assert "4 to 8 digits" in panel.message.text()
    panel.new_pin.setText("4455")
    panel._change_pin()
    stored = kiosk.store.device_meta_get(PIN_META_KEY)
    assert stored is not None and verify_pin("4455", stored) and not verify_pin("1234", stored)
    panel.tabs.setCurrentIndex(4)
    click(qtbot, panel.sync_button)
    assert "Sending answers" in panel.message.text()


def test_speech_without_a_voice_is_silent_and_harmless(qtbot: QtBot) -> None:
    missing = QtSpeaker(engine="no-such-engine")
    missing.say("Hello")
    missing.stop()
    assert missing.available is False and missing.said == ["Hello"]
    mock = QtSpeaker(engine="mock")
    assert mock.wait_ready(30) is True
    assert mock.available is True
    mock.say("What do you love about Stockport?")
    mock.close()


class _HeldProbe:
    """Stands in for ``speech.probe_command``: the probe's thread waits in it, before the
    engine's process starts, until ``go_on()`` (or ``HOLD_LIMIT_S``, which sets
    ``gave_up``). A call that returns while it is held did not wait for the engine."""

    def __init__(self, command: Callable[[str | None], list[str]]) -> None:
        self._command = command
        self._go_on = threading.Event()
        self.gave_up = False

    def go_on(self) -> None:
        self._go_on.set()

    def __call__(self, engine: str | None) -> list[str]:
        if not self._go_on.wait(HOLD_LIMIT_S):
            self.gave_up = True
        return self._command(engine)


def test_an_engine_that_hangs_never_freezes_the_window(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from booth.ui import speech

    hanging = [sys.executable, "-c", "import time; time.sleep(60)"]
    probe = _HeldProbe(lambda engine: hanging)
    monkeypatch.setattr(speech, "probe_command", probe)
    speaker = QtSpeaker(probe_timeout=1.0)
    speaker.warm_up()
    speaker.say("Hello! Who is taking part?")
    assert not probe.gave_up  # both returned while the probe was held
    probe.go_on()
    assert speaker.wait_ready(10) is False
    assert speaker.said == ["Hello! Who is taking part?"]
    process = speaker._probe_process
    assert process is not None and process.poll() is not None  # the probe was ended
    speaker.close()


def test_the_default_engine_is_probed_without_blocking(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever this machine's speech engine does (here speech-dispatcher with no sound
    server blocks for ever), saying something returns at once."""
    from booth.ui import speech

    probe = _HeldProbe(speech.probe_command)
    monkeypatch.setattr(speech, "probe_command", probe)
    speaker = QtSpeaker(probe_timeout=3.0)
    speaker.say("What do you love about Stockport?")
    assert not probe.gave_up  # it returned while the probe was held
    probe.go_on()
    speaker.wait_ready(15)
    speaker.say("Thank you!")
    speaker.close()
    assert speaker.said == ["What do you love about Stockport?", "Thank you!"]
