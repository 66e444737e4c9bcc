"""The first-run setup on the real kiosk: a fresh install opens on it and never on the
public journey, enrols from a credential file offered by name on a USB stick (the
council may put the PIN in it), sets a PIN that is hard to guess, checks the camera and
microphone, names the event; and sync starts the moment the booth is enrolled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from booth import doctor
from booth.app import Kiosk, build_kiosk, present
from booth.device import Volume
from booth.journey import State
from booth.readiness import NOT_ENROLLED
from booth.settings import Settings
from booth.sync.keys import install_credential
from booth.ui.officer import SetupScreen
from booth.ui.speech import SilentSpeaker
from tests.helpers.council import running_council
from tests.helpers.sync import make_council_age_keys, make_credential
from tests.helpers.ui import NO_MEDIA_HARDWARE, click, visible_buttons

pytestmark = [
    pytest.mark.qt_log_ignore(*NO_MEDIA_HARDWARE),
    pytest.mark.timeout(120),
]

GOOD_PIN = "394817"


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    path = tmp_path / "media" / "officer" / "COUNCIL"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def real(settings: Settings) -> Settings:
    """A real booth's settings (not the demo), on the synthetic camera and tone."""
    return settings.with_changes(demo=False, windowed=True)


def _build(qtbot: QtBot, settings: Settings, stick: Path) -> Kiosk:
    kiosk = build_kiosk(settings, speaker=SilentSpeaker(), desk_options={
        "volumes": lambda: [Volume("COUNCIL", str(stick), 4_000_000_000)]})
    qtbot.addWidget(kiosk.window)
    kiosk.window.settle_ms = 0
    return kiosk


def _close(kiosk: Kiosk) -> None:
    if kiosk.setup is not None:
        kiosk.setup.allow_close()
    kiosk.window.allow_close()
    kiosk.window.close()
    kiosk.close()


def _finish_a_session(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.touch()
    j.choose_look("adult")
    j.give_consent()
    j.skip_video()
    j.submit_priorities([kiosk.pack.priority_list_for("adult").items[0].id])
    j.continue_after_tally()
    j.skip_about_you()
    j.finish()


def _credential_on_stick(stick: Path, tmp_path: Path) -> Path:
    keys = make_council_age_keys(tmp_path / "council")
    path = stick / "kiosk-1.json"
    path.write_text(make_credential(keys.recipients).model_dump_json())
    return path


def test_a_fresh_install_cannot_reach_the_public_journey_before_setup(
    qtbot: QtBot, real: Settings, stick: Path, tmp_path: Path
) -> None:
    _credential_on_stick(stick, tmp_path)
    kiosk = _build(qtbot, real, stick)
    quits: list[bool] = []
    try:
        present(kiosk, lambda: quits.append(True))
        setup = kiosk.setup
        assert isinstance(setup, SetupScreen)
        qtbot.addWidget(setup)
        qtbot.waitExposed(setup)
        window = kiosk.window
        assert not window.isVisible()
        # The officer's way in leads nowhere public; closing the setup is refused.
        qtbot.keyClick(setup, Qt.Key.Key_O,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        setup.close()
        assert setup.isVisible() and not window.isVisible()
        assert not window.pin_pad.isVisible() and not window.officer.isVisible()
        # Opening before the steps are done is refused, with what is missing.
        click(qtbot, setup.open_booth)
        assert setup.message.text() == ("Before the booth opens: enrol the booth, and set "
                                        "the officer PIN, and name today's event.")
        assert not window.isVisible() and kiosk.setup is setup

        # 1. Enrol from the stick, offered by name. Until then the setup, the console and
        # `booth doctor` say the same sentence.
        assert setup.current == "enrol"
        assert setup.enrol.state.text() == NOT_ENROLLED.sentence
        desk = window.officer.backend
        assert [a.reason for a in desk.attention() if a.title == "Not enrolled"] == [
            NOT_ENROLLED.sentence]
        assert doctor.check_enrolment(real).detail == NOT_ENROLLED.sentence
        [use] = setup.enrol.file_buttons
        assert "kiosk-1.json" in use.text() and "COUNCIL" in use.text()
        click(qtbot, use)
        assert "Enrolled as" in setup.enrol.message.text()
        assert kiosk.sync is not None  # sync starts now, not at the next start
        # 2. The PIN: weak and mismatched PINs refused, twice the same accepted.
        click(qtbot, setup.step_buttons["pin"])
        pin = setup.pin
        for first, again, said in (("1234", "1234", "6 to 8 digits"),
                                   ("131313", "131313", "too easy to guess"),
                                   (GOOD_PIN, "394871", "not the same")):
            pin.new_pin.setText(first)
            pin.new_pin_again.setText(again)
            click(qtbot, pin.set)
            assert said in pin.message.text()
        pin.new_pin.setText(GOOD_PIN)
        pin.new_pin_again.setText(GOOD_PIN)
        click(qtbot, pin.set)
        assert "has been changed" in pin.message.text()
        # 3. The camera and microphone, checked for real (the synthetic ones).
        click(qtbot, setup.step_buttons["devices"])
        checks = setup.devices.checks
        qtbot.waitUntil(setup.devices.preview.has_frame, timeout=10_000)
        qtbot.waitUntil(lambda: checks.mark_of("Camera") == "✓"
                        and checks.mark_of("Microphone") == "✓", timeout=10_000)
        # 4. Today's event.
        click(qtbot, setup.step_buttons["event"])
        form = setup.event_section
        form.event_name.setText("Year 5, St Mary's")
        click(qtbot, form.start)
        assert "has started" in form.message.text()
        setup.refresh_marks()
        assert all(b.text().startswith("✓") for b in setup.step_buttons.values())
        click(qtbot, setup.open_booth)
        assert kiosk.setup is None and not setup.isVisible()
        assert window.isVisible() and window.stack.currentWidget() is window.attract
        assert kiosk.journey.state is State.ATTRACT
        actions = [e.officer_action for e in kiosk.store.audit_log()]
        assert {"enrol", "change_pin", "create_event", "setup_done"} <= set(actions)
        assert not quits
    finally:
        _close(kiosk)
    # Set up once: the next start opens to the public at once.
    again = _build(qtbot, real, stick)
    try:
        assert again.setup is None
        assert not again.pin_guard.check("1234") and again.pin_guard.check(GOOD_PIN)
    finally:
        _close(again)


def test_the_setup_fits_1024x768_with_controls_of_44_px(
    qtbot: QtBot, real: Settings, stick: Path
) -> None:
    kiosk = _build(qtbot, real, stick)
    try:
        present(kiosk, lambda: None)
        setup = kiosk.setup
        assert isinstance(setup, SetupScreen)
        qtbot.addWidget(setup)
        setup.resize(1024, 768)
        qtbot.waitExposed(setup)
        for key in setup.steps:
            setup.show_step(key)
            qtbot.wait(20)
            small = [b.accessibleName() for b in visible_buttons(setup)
                     if b.height() < 44 or b.width() < 44]
            assert small == [], key
    finally:
        _close(kiosk)


def test_the_council_can_put_the_officer_pin_in_the_credential(
    qtbot: QtBot, real: Settings, stick: Path, tmp_path: Path
) -> None:
    from council.admin import CouncilError, enrol

    with running_council(tmp_path / "council") as council:
        with pytest.raises(CouncilError, match="too easy to guess"):
            enrol(council.keys, council.storage, "kiosk 2", council.url,
                  officer_pin="123456")
        credential = enrol(council.keys, council.storage, "kiosk 1", council.url,
                           officer_pin=GOOD_PIN)
    assert GOOD_PIN not in json.dumps(credential)
    (stick / "kiosk-1.json").write_text(json.dumps(credential))
    kiosk = _build(qtbot, real, stick)
    try:
        assert not kiosk.pin_guard.has_pin
        message = kiosk.window.officer.backend.enrol_from(str(stick / "kiosk-1.json"))
        assert "The council has set the officer PIN." in message
        state = kiosk.window.officer.backend.setup_state()
        assert state.pin_set and state.pin_from_council
        assert kiosk.pin_guard.check(GOOD_PIN)
    finally:
        _close(kiosk)


def test_a_booth_enrolled_while_running_sends_without_a_restart(
    qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    """Sessions finished before enrolment wait in the store; once a credential is
    installed (the setup, or `booth enrol` from a terminal, which the running booth
    notices), those and every later one are sealed at once."""
    kiosk = build_kiosk(settings, speaker=SilentSpeaker())
    qtbot.addWidget(kiosk.window)
    try:
        assert kiosk.sync is None
        _finish_a_session(kiosk)
        assert kiosk.store.bundles_in_state("sealed", "uploading") == []
        keys = make_council_age_keys(tmp_path / "council")
        file = tmp_path / "credential.json"
        file.write_text(make_credential(keys.recipients).model_dump_json())
        install_credential(settings.paths, file)
        kiosk.start_sync()  # what the booth's enrolment watch calls
        assert kiosk.sync is not None
        qtbot.waitUntil(lambda: len(kiosk.store.bundles_in_state("sealed", "uploading")) == 1,
                        timeout=20_000)
        _finish_a_session(kiosk)
        qtbot.waitUntil(lambda: len(kiosk.store.bundles_in_state("sealed", "uploading")) == 2,
                        timeout=20_000)
    finally:
        kiosk.window.allow_close()
        kiosk.close()
