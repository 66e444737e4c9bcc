"""The officer console on the real kiosk: the checklist it opens on, counts, event set-up
and ending a visit, withdraw, sync with its progress, export to a USB stick offered by
name, set-aside bundles behind a PIN re-check, device health, history, PIN and pack, and
every action audited; and the speech adapter with and without a voice."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from booth.app import Kiosk, build_kiosk
from booth.device import Battery, Volume
from booth.journey import State
from booth.pack import default_pack_path
from booth.settings import Settings
from booth.sync.keys import install_credential
from booth.ui.officer import PIN_META_KEY, verify_pin
from booth.ui.officer.sync import TransferMeter
from booth.ui.speech import QtSpeaker, SilentSpeaker
from booth.wire.bundle import BLOBS_DIR
from tests.helpers.capture import HOLD_LIMIT_S
from tests.helpers.sync import make_council_age_keys, make_credential
from tests.helpers.ui import NO_MEDIA_HARDWARE, click, visible_buttons

pytestmark = [
    pytest.mark.qt_log_ignore(*NO_MEDIA_HARDWARE),
    pytest.mark.timeout(120),
]

GOOD_PIN = "394817"


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    """A folder standing in for a mounted USB stick called KINGSTON."""
    path = tmp_path / "media" / "officer" / "KINGSTON"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def kiosk(qtbot: QtBot, settings: Settings, tmp_path: Path, stick: Path) -> Iterator[Kiosk]:
    keys = make_council_age_keys(tmp_path / "council")
    credential_file = tmp_path / "credential.json"
    credential_file.write_text(make_credential(keys.recipients).model_dump_json())
    install_credential(settings.paths, credential_file)
    sticks = [Volume("KINGSTON", str(stick), 8_000_000_000)]
    built = build_kiosk(settings, speaker=SilentSpeaker(), desk_options={
        "volumes": lambda: list(sticks),
        "battery_state": lambda: Battery(14.0, False, 25)})
    qtbot.addWidget(built.window)
    built.window.settle_ms = 0  # tests click as fast as they like
    built.window.resize(1024, 768)
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


def _actions(kiosk: Kiosk) -> list[str]:
    return [entry.officer_action for entry in kiosk.store.audit_log()]


def test_the_console_opens_on_a_checklist_that_checks_the_camera(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    assert panel.current == "checklist"
    checks = panel.checklist.checks
    qtbot.waitUntil(panel.camera_preview.has_frame, timeout=10_000)
    qtbot.waitUntil(lambda: panel.camera_meter.level() > 0.05, timeout=5_000)
    qtbot.waitUntil(lambda: checks.mark_of("Camera") == "✓"
                    and checks.mark_of("Microphone") == "✓", timeout=5_000)
    assert checks.mark_of("Storage") == "✓" and "hours of video" in checks.detail_of("Storage")
    assert "Press ▶" in checks.detail_of("Speaker")
    click(qtbot, panel.checklist.play)
    assert panel.checklist.message.text()  # a chime, or "no sound output" said plainly
    # No event yet: "Start today's event" goes to the event section.
    click(qtbot, panel.checklist.start)
    assert panel.current == "event" and "Name today's event" in panel.message.text()
    assert not panel.camera_preview.has_frame()
    qtbot.waitUntil(lambda: not kiosk.capture.previewing, timeout=5_000)
    click(qtbot, panel.lock)
    assert not panel.isVisible()


def test_counts_withdraw_and_export_to_a_stick_offered_by_name(
    qtbot: QtBot, kiosk: Kiosk, stick: Path
) -> None:
    _finish_a_session_without_video(kiosk)
    qtbot.waitUntil(lambda: len(kiosk.store.bundles_in_state("sealed", "uploading")) == 1,
                    timeout=20_000)
    code = _finish_a_session_without_video(kiosk)
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    panel.refresh()
    assert panel.status_text("sessions") == "2"
    assert panel.status_text("videos") == "0"
    click(qtbot, panel.nav_buttons["withdraw"])
    form = panel.withdraw
    form.withdraw_code.setText(code.lower())
    click(qtbot, form.go)
    assert "Withdrawn" in panel.message.text()
    session = kiosk.store.session_by_reference(code)
    assert session is not None and session.state == "withdrawn"
    assert panel.status_text("sessions") == "1"
    assert "withdraw" in _actions(kiosk)
    click(qtbot, form.go)
    assert "reference code first" in panel.message.text()
    form.withdraw_code.setText("ZZZZZZ")
    click(qtbot, form.go)
    assert "No answers have the reference code ZZZZZZ" in panel.message.text()
    # Status lines belong to their section: the sync section starts blank.
    click(qtbot, panel.nav_buttons["sync"])
    assert panel.message.text() == ""
    [use] = panel.sync.sticks.buttons
    assert "KINGSTON" in use.text()
    click(qtbot, use)
    panel.sync.wait_for_background()
    qtbot.waitUntil(lambda: "Copied 1 bundle" in panel.message.text(), timeout=10_000)
    assert "KINGSTON" in panel.message.text()
    assert len([p for p in stick.iterdir() if p.is_dir()]) == 1
    assert "export" in _actions(kiosk)


def test_export_takes_in_the_receipts_already_on_the_stick(
    qtbot: QtBot, kiosk: Kiosk, stick: Path, tmp_path: Path
) -> None:
    """As `booth export` does: the council's receipts on the stick come in first, and the
    bundles they confirm are deleted here (a forged receipt is not)."""
    from booth.wire import usb

    _finish_a_session_without_video(kiosk)
    qtbot.waitUntil(lambda: len(kiosk.store.bundles_in_state("sealed", "uploading")) == 1,
                    timeout=20_000)
    [sealed] = kiosk.store.bundles_in_state("sealed", "uploading")
    receipts = stick / usb.RECEIPTS_DIR
    receipts.mkdir()
    (receipts / f"{sealed.id}.json").write_text('{"forged": true}')
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    panel.show_section("sync")
    click(qtbot, panel.sync.sticks.buttons[0])
    panel.sync.wait_for_background()
    qtbot.waitUntil(lambda: "Copied" in panel.message.text(), timeout=10_000)
    # The forged receipt was refused: the bundle is still here, and was exported.
    assert kiosk.store.get_bundle(sealed.id).state in ("sealed", "uploading")  # type: ignore[union-attr]
    assert (stick / sealed.id).is_dir()


def test_withdrawing_a_delivered_session_says_the_booth_tells_the_council(
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
    click(qtbot, panel.nav_buttons["withdraw"])
    form = panel.withdraw
    form.withdraw_code.setText(f"{code[:3]} {code[3:]}".lower())
    click(qtbot, form.go)
    assert "already been sent: the booth tells the council" in panel.message.text()


def test_an_event_from_the_councils_list_is_started_with_its_id(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    from booth.store import CouncilEvent

    festival = CouncilEvent("ev-0123456789abcdef", "Bramhall Festival", "Bramhall Park",
                            "2026-07-04", "public")
    kiosk.store.replace_council_events([festival], "2026-06-02")
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    click(qtbot, panel.nav_buttons["event"])
    form = panel.event_section
    assert form.council.isVisible() and form.council.count() == 1
    assert form.council.itemText(0) == "Bramhall Festival (2026-07-04, Bramhall Park)"
    form.council.setCurrentIndex(0)
    form._picked(0)  # what choosing it in the list does
    assert form.event_name.text() == "Bramhall Festival"
    form.event_look.setCurrentIndex(form.event_look.findData("child"))
    click(qtbot, form.start)
    event = kiosk.store.current_event()
    assert event is not None and event.council_event_id == festival.id
    assert (event.name, event.kind, event.default_look) == (
        "Bramhall Festival", "public", "child")
    # A name typed over the council's event makes an event of the booth's own.
    form.event_name.setText("Bramhall Festival, second tent")
    click(qtbot, form.start)
    event = kiosk.store.current_event()
    assert event is not None and event.council_event_id is None


def test_the_event_sets_the_language_each_person_starts_in_and_who_is_read_to(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    click(qtbot, panel.nav_buttons["event"])
    form = panel.event_section
    assert not form.voice.isVisible()  # nothing to set before an event runs
    form.event_name.setText("Library open day")
    click(qtbot, form.start)
    assert form.voice.isVisible()
    assert form.language.currentData() is None  # the pack's usual language
    assert [form.language.itemData(i) for i in range(1, form.language.count())] == list(
        kiosk.pack.languages)
    assert form.read_aloud["child"].isChecked() and not form.read_aloud["older"].isChecked()
    form.language.setCurrentIndex(form.language.findData("pl"))
    form.read_aloud["older"].setChecked(True)
    click(qtbot, form.save_voice)
    assert "Polish" in panel.message.text()
    event = kiosk.store.current_event()
    assert event is not None and event.default_language == "pl"
    assert set(event.spoken_looks or ()) == {"child", "older"}
    # The next person starts in Polish, and the older look is read to without asking.
    kiosk.journey.touch()
    assert kiosk.journey.view().language == "pl"
    kiosk.journey.choose_look("older")
    assert kiosk.journey.view().reads_aloud


def test_event_set_up_waits_for_the_booth_to_be_free_and_a_visit_can_be_ended(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    kiosk.journey.touch()
    kiosk.journey.choose_look("adult")  # someone walked off at the consent screen
    click(qtbot, panel.nav_buttons["event"])
    form = panel.event_section
    assert "No event yet" in form.current.text()
    form.event_name.setText("Age Friendly forum")
    form.event_kind.setCurrentIndex(form.event_kind.findData("forum"))
    form.event_look.setCurrentIndex(form.event_look.findData("older"))
    click(qtbot, form.start)
    assert "Someone is using the booth" in panel.message.text()
    assert kiosk.store.current_event() is None
    assert form.end_visit.isVisible()
    click(qtbot, form.end_visit)
    assert "The visit is over" in panel.message.text()
    assert kiosk.journey.state is State.ATTRACT
    assert "end_visit" in _actions(kiosk)
    click(qtbot, form.start)
    event = kiosk.store.current_event()
    assert event is not None and (event.name, event.kind, event.default_look) == (
        "Age Friendly forum", "forum", "older")
    assert kiosk.window.resting_look == "older"
    assert "Today's event: Age Friendly forum (forum" in form.current.text()
    assert panel.status_text("event") == "Age Friendly forum (forum)"
    # With an event, the checklist's big button opens the booth (locks the console).
    click(qtbot, panel.nav_buttons["checklist"])
    assert "Age Friendly forum" in panel.checklist.event_line.text()
    assert panel.checklist.start.text() == "Open the booth"
    click(qtbot, panel.checklist.start)
    assert not panel.isVisible()


def test_change_pin_twice_and_switch_pack_by_name(
    qtbot: QtBot, kiosk: Kiosk, stick: Path
) -> None:
    (stick / "broken.toml").write_text("format_version = 99\n")
    shutil.copy(default_pack_path(), stick / "summer.toml")
    for language in ("ur", "pl", "ar"):  # a pack travels with its translations
        shutil.copy(default_pack_path().with_suffix(f".{language}.toml"),
                    stick / f"summer.{language}.toml")
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    click(qtbot, panel.nav_buttons["settings"])
    form = panel.settings
    names = [b.text() for b in form.pack_buttons]
    assert any("broken.toml (has a problem)" in n and "KINGSTON" in n for n in names)
    assert any("One Stockport" in n and "this laptop" in n for n in names)
    broken = next(b for b in form.pack_buttons if "broken.toml" in b.text())
    click(qtbot, broken)
    assert "cannot be used" in panel.message.text() and "broken.toml" in panel.message.text()
    summer = next(b for b in form.pack_buttons if "KINGSTON" in b.text()
                  and "One Stockport" in b.text())
    click(qtbot, summer)
    assert "Now using the campaign pack" in panel.message.text()
    for first, again, said in (("4455", "4455", "6 to 8 digits"),
                               ("123456", "123456", "too easy to guess"),
                               (GOOD_PIN, "394818", "not the same")):
        form.new_pin.setText(first)
        form.new_pin_again.setText(again)
        click(qtbot, form.change)
        assert said in panel.message.text()
    stored = kiosk.store.device_meta_get(PIN_META_KEY)
    assert stored is not None and verify_pin("1234", stored)
    form.new_pin.setText(GOOD_PIN)
    form.new_pin_again.setText(GOOD_PIN)
    click(qtbot, form.change)
    assert "has been changed" in panel.message.text()
    stored = kiosk.store.device_meta_get(PIN_META_KEY)
    assert stored is not None and verify_pin(GOOD_PIN, stored) and not verify_pin("1234", stored)
    assert form.new_pin.text() == "" and form.new_pin_again.text() == ""
    assert {"change_pin", "switch_pack"} <= set(_actions(kiosk))


def test_sync_now_says_so_until_sync_finishes(qtbot: QtBot, kiosk: Kiosk) -> None:
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    click(qtbot, panel.nav_buttons["sync"])
    click(qtbot, panel.sync.sync_button)
    assert "Sending answers" in panel.message.text()
    assert "sync_now" in _actions(kiosk)
    # Nobody answers at the credential's address: sync ends offline, and says so.
    qtbot.waitUntil(lambda: "Sending answers" not in panel.message.text(), timeout=20_000)
    assert panel.message.text().startswith(("Sync stopped", "Sync finished"))
    click(qtbot, panel.nav_buttons["today"])
    assert panel.message.text() == ""  # the sync's line stayed in the sync section


def test_progress_shows_bytes_rate_and_time_left() -> None:
    now = [100.0]
    meter = TransferMeter(clock=lambda: now[0])
    meter.update("b1", 0, 40_000_000)
    assert meter.words() == "0.0 of 40.0 MB"
    now[0] += 2
    meter.update("b1", 4_000_000, 40_000_000)
    assert meter.rate == pytest.approx(2_000_000)
    assert meter.words() == "4.0 of 40.0 MB · 2.0 MB/s · about 18 s left"
    now[0] += 10
    meter.update("b1", 24_000_000, 40_000_000)
    assert "about 8 s left" in meter.words()
    meter.update("b2", 1_000, 5_000)  # the next bundle starts its own reading
    assert meter.rate == 0 and meter.seconds_left is None


def test_a_set_aside_bundle_is_listed_with_retry_export_discard_behind_the_pin(
    qtbot: QtBot, kiosk: Kiosk, stick: Path
) -> None:
    _finish_a_session_without_video(kiosk)
    qtbot.waitUntil(lambda: len(kiosk.store.bundles_in_state("sealed", "uploading")) == 1,
                    timeout=20_000)
    [sealed] = kiosk.store.bundles_in_state("sealed", "uploading")
    folder = kiosk.settings.paths.bundles / sealed.id
    blob = next((folder / BLOBS_DIR).iterdir())
    blob.write_bytes(blob.read_bytes()[:-10])  # a stick or a disk that lost its end
    kiosk.store.set_bundle_state(sealed.id, "quarantined", "payload blob is truncated")
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    assert panel.nav_buttons["attention"].text() == "Needs attention (1)"
    click(qtbot, panel.nav_buttons["attention"])
    section = panel.attention
    [item] = section.items
    assert "truncated" in item.item.reason
    click(qtbot, item.buttons["retry"])
    section.recheck.pin.setText("9999")
    click(qtbot, section.recheck.go)
    assert "not right, so nothing was done" in panel.message.text()
    section.recheck.pin.setText("1234")
    click(qtbot, section.recheck.go)
    assert "Still damaged" in panel.message.text()
    [item] = section.items
    click(qtbot, item.buttons["export"])
    click(qtbot, section.sticks.buttons[0])
    section.recheck.pin.setText("1234")
    click(qtbot, section.recheck.go)
    section.wait_for_background()
    qtbot.waitUntil(lambda: "Copied the set-aside bundle" in panel.message.text(),
                    timeout=5_000)
    assert (stick / "set-aside" / sealed.id / BLOBS_DIR).is_dir()
    [item] = section.items
    click(qtbot, item.buttons["discard"])
    section.recheck.pin.setText("1234")
    click(qtbot, section.recheck.go)
    assert "Discarded" in panel.message.text()
    assert kiosk.store.get_bundle(sealed.id) is None and not folder.exists()
    assert section.items == [] and section.none.isVisible()
    actions = _actions(kiosk)
    assert {"wrong_pin", "retry_bundle", "export_bundle", "discard_bundle"} <= set(actions)


def test_device_section_says_hours_battery_speech_and_clock(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    click(qtbot, panel.nav_buttons["device"])
    rows = panel.device.checks
    assert "hours of video" in rows.detail_of("Storage")
    assert rows.mark_of("Battery") == "✗" and "Plug the laptop in" in rows.detail_of("Battery")
    assert "about 25 minutes left" in rows.detail_of("Battery")
    assert "Spoken prompts are off" in rows.detail_of("Speech")
    click(qtbot, panel.device.clock_button)
    panel.device.wait_for_background()
    qtbot.waitUntil(lambda: "did not answer" in panel.message.text(), timeout=10_000)
    panel.device.refresh()
    assert rows.mark_of("Clock") == "…"


def test_every_officer_action_is_audited_and_shown_in_history(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    pad = kiosk.window.pin_pad
    kiosk.window.open_pin_pad()
    for digit in "9999":
        pad.press(digit)
    pad.submit()
    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    click(qtbot, panel.nav_buttons["sync"])
    click(qtbot, panel.sync.sync_button)
    click(qtbot, panel.nav_buttons["history"])
    texts = panel.history.texts()
    assert "Sync now" in texts[0]
    assert any("Console unlocked" in t for t in texts)
    assert any("Wrong PIN" in t and "unlock, 1 in a row" in t for t in texts)
    assert {"wrong_pin", "unlock", "sync_now"} <= set(_actions(kiosk))


def test_every_control_is_at_least_44_px_at_1024x768(qtbot: QtBot, kiosk: Kiosk) -> None:
    from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit

    _open_panel(qtbot, kiosk)
    panel = kiosk.window.officer
    assert (panel.width(), panel.height()) == (1024, 768)
    small: list[str] = []
    for key in panel.sections:
        panel.show_section(key)
        qtbot.wait(20)
        controls = [*visible_buttons(panel),
                    *(w for kind in (QLineEdit, QComboBox, QCheckBox)
                      for w in panel.findChildren(kind) if w.isVisible())]
        for widget in controls:
            if widget.height() < 44 or widget.width() < 44:
                small.append(f"{key}: {widget.accessibleName() or widget.objectName()} "
                             f"{widget.width()}x{widget.height()}")
        # Nothing of a section falls off the bottom of the screen.
        section = panel.sections[key]
        assert section.message.geometry().bottom() <= section.height() + 1, key
    assert small == []


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
