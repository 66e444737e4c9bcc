"""`booth screenshots` renders every screen in every look from the real kiosk."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from booth.screenshots import main
from booth.settings import Settings
from tests.helpers.ui import NO_MEDIA_HARDWARE

pytestmark = [
    pytest.mark.qt_log_ignore(*NO_MEDIA_HARDWARE),
    pytest.mark.slow,
    pytest.mark.timeout(120),
]


def test_every_screen_in_every_look_is_rendered(
    qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "shots"
    assert main(settings, out, (1024, 600)) == 0
    names = {path.stem for path in out.glob("*.png")}
    for look in ("child", "adult", "older"):
        for screen in ("02_consent", "03_choose_prompt", "04_get_ready", "05_recording",
                       "06_review", "06b_confirm_try_again", "07_priorities",
                       "08_tally_waiting", "08_tally", "10_thank_you", "15_confirm_stop",
                       "16_goodbye_stopped", "17_goodbye_no_thanks"):
            assert f"{look}_{screen}" in names
    assert {"child_04b_countdown", "adult_04b_countdown", "child_02b_consent_grown_up_said_yes",
            "older_05b_recording_last_seconds"} <= names
    assert {"00_attract", "01_welcome", "12_oops", "older_11_still_there",
            "13_officer_pin", "14_officer_panel"} <= names
    # Each section of the officer console, and each step of the first-run setup.
    for section in ("checklist", "today", "event", "sync", "attention", "device", "history",
                    "withdraw", "settings", "quit"):
        assert f"15_officer_{section}" in names
    for step in ("enrol", "pin", "devices", "event"):
        assert f"16_setup_{step}" in names
    image = QImage(str(out / "child_05_recording.png"))
    assert (image.width(), image.height()) == (1024, 600)
    # The real camera picture is in the preview, not an empty box.
    colours = {image.pixel(x, y) for x in range(40, 500, 23) for y in range(150, 450, 29)}
    assert len(colours) > 20
    # The user's data folder was never touched: screenshots run in a throwaway folder.
    assert not any(settings.paths.takes.iterdir())


def test_every_screen_is_rendered_in_urdu(
    qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    """`--language ur`: every screen in Urdu, with the answers without a face and the
    camera that comes back; a language the pack does not have is refused."""
    out = tmp_path / "shots"
    assert main(settings, out, (1024, 768), "ur") == 0
    names = {path.stem for path in out.glob("*.png")}
    assert {"01_welcome", "child_02_consent", "adult_03b_choose_prompt_voice",
            "adult_06c_review_voice", "adult_04d_get_ready_blurred",
            "older_03c_choose_prompt_camera_lost", "older_10_thank_you"} <= names
    assert main(settings, tmp_path / "none", (1024, 768), "so") == 2  # not in the pack
