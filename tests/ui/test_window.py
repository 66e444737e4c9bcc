"""The kiosk window: no way out for the public, the officer's way in, and the looks."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from booth.journey import State
from booth.ui import window as window_module
from booth.ui.officer import LOCK_SECONDS, MAX_WRONG, PIN_META_KEY, verify_pin
from tests.helpers.ui import build_window, click, close_rig


def test_escape_keys_and_close_do_not_leave_the_kiosk(qtbot: QtBot, data_dir: Path) -> None:
    rig = build_window(qtbot, data_dir, windowed=False)
    window = rig.window
    rig.journey.touch()
    assert rig.journey.state is State.WELCOME
    target = window.welcome.tiles["adult"]
    target.setFocus()
    for key, mods in (
        (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
        (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Tab, Qt.KeyboardModifier.AltModifier),
    ):
        qtbot.keyClick(target, key, mods)
    assert window.close() is False
    assert window.isVisible()
    assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert rig.journey.state is State.WELCOME
    close_rig(rig)
    assert not window.isVisible()


def test_pin_pad_opens_with_the_key_chord_and_the_right_pin(qtbot: QtBot, data_dir: Path) -> None:
    rig = build_window(qtbot, data_dir)
    window = rig.window
    stored = rig.store.device_meta_get(PIN_META_KEY)
    assert stored is not None and "1234" not in stored and verify_pin("1234", stored)
    qtbot.keyClick(window.attract, Qt.Key.Key_O,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert window.pin_pad.isVisible()
    assert "1234" in window.pin_pad.message.text()  # demo mode says the PIN
    for digit in "1234":
        click(qtbot, window.pin_pad.keys[digit])
    click(qtbot, window.pin_pad.ok)
    assert not window.pin_pad.isVisible()
    assert window.officer.isVisible()
    assert window.officer.status_text("sessions") == "3"
    click(qtbot, window.officer.lock)
    assert not window.officer.isVisible()
    close_rig(rig)


def test_five_wrong_pins_lock_the_pad_until_the_lock_expires(qtbot: QtBot, data_dir: Path) -> None:
    rig = build_window(qtbot, data_dir)
    pad = rig.window.pin_pad
    rig.window.open_pin_pad()
    for _ in range(MAX_WRONG):
        for digit in "9999":
            qtbot.keyClick(pad, digit)
        qtbot.keyClick(pad, Qt.Key.Key_Return)
    assert not pad.ok.isEnabled()
    assert "Too many" in pad.message.text()
    # Even the right PIN is refused while locked.
    for digit in "1234":
        pad.press(digit)
    pad.submit()
    assert not rig.window.officer.isVisible()
    rig.clock.advance(LOCK_SECONDS - 1)
    pad.submit()
    assert not rig.window.officer.isVisible()
    rig.clock.advance(2)
    rig.window.open_pin_pad()
    assert pad.ok.isEnabled()
    for digit in "1234":
        click(qtbot, pad.keys[digit])
    click(qtbot, pad.ok)
    assert rig.window.officer.isVisible()
    close_rig(rig)


def test_long_press_in_the_corner_opens_the_pin_pad(qtbot: QtBot, data_dir: Path) -> None:
    rig = build_window(qtbot, data_dir)
    window = rig.window
    window.long_press_ms = 600  # the real 3 s is the default; the mechanism is the same
    corner = window.corner_point()
    qtbot.mousePress(window.attract, Qt.MouseButton.LeftButton, pos=corner)
    # Started after the press, twice as long: a long press would have opened the pad by then.
    press_over = QTimer(window)
    press_over.setSingleShot(True)
    press_over.start(window.long_press_ms * 2)
    qtbot.mouseRelease(window.attract, Qt.MouseButton.LeftButton, pos=corner)
    qtbot.waitSignal(press_over.timeout, timeout=10_000).wait()
    assert not window.pin_pad.isVisible()  # a short press is only a touch
    rig.journey.finish() if rig.journey.state is State.THANK_YOU else None
    qtbot.mousePress(window.stack.currentWidget(), Qt.MouseButton.LeftButton, pos=corner)
    qtbot.waitUntil(window.pin_pad.isVisible, timeout=2000)
    qtbot.mouseRelease(window.stack.currentWidget(), Qt.MouseButton.LeftButton, pos=corner)
    close_rig(rig)


def test_the_keyboard_alone_walks_the_first_screens(qtbot: QtBot, data_dir: Path) -> None:
    rig = build_window(qtbot, data_dir)
    window = rig.window
    window.activateWindow()
    window.attract.setFocus()
    qtbot.keyClick(window.attract, Qt.Key.Key_Space)
    assert rig.journey.state is State.WELCOME
    focused = window.focusWidget()
    assert focused is window.welcome.tiles["child"]
    qtbot.keyClick(focused, Qt.Key.Key_Tab)
    focused = window.focusWidget()
    assert focused is window.welcome.tiles["adult"]
    qtbot.keyClick(focused, Qt.Key.Key_Return)
    assert rig.journey.state is State.CONSENT
    assert window.focusWidget() is window.consent.yes
    qtbot.keyClick(window.consent.yes, Qt.Key.Key_Space)
    assert rig.journey.state is State.CHOOSE_PROMPT
    close_rig(rig)


def test_only_the_officer_can_quit(qtbot: QtBot, data_dir: Path) -> None:
    """Quitting is deliberate: its own section away from "Lock again", the PIN, and a
    button held down (a tap, or a wrong PIN, leaves the booth on)."""
    rig = build_window(qtbot, data_dir)
    window = rig.window
    window.open_pin_pad()
    for digit in "1234":
        rig.window.pin_pad.press(digit)
    rig.window.pin_pad.submit()
    officer = window.officer
    click(qtbot, officer.nav_buttons["quit"])
    hold = officer.quitting.hold
    hold.hold_ms = 300  # the real 2 s is the default; the mechanism is the same
    quits: list[bool] = []
    window.quitRequested.connect(lambda: quits.append(True))
    officer.quitting.pin.setText("1234")
    click(qtbot, hold)  # a tap is not a hold
    qtbot.wait(500)
    assert not quits and window.isVisible()
    officer.quitting.pin.setText("9999")
    qtbot.mousePress(hold, Qt.MouseButton.LeftButton, pos=hold.rect().center())
    qtbot.waitUntil(lambda: "not right" in officer.quitting.message.text(), timeout=3000)
    qtbot.mouseRelease(hold, Qt.MouseButton.LeftButton, pos=hold.rect().center())
    assert not quits
    officer.quitting.pin.setText("1234")
    with qtbot.waitSignal(window.quitRequested):
        qtbot.mousePress(hold, Qt.MouseButton.LeftButton, pos=hold.rect().center())
    qtbot.mouseRelease(hold, Qt.MouseButton.LeftButton, pos=hold.rect().center())
    assert not window.isVisible()
    rig.store.close()


def test_a_double_tap_does_not_choose_on_the_next_screen(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = build_window(qtbot, data_dir)
    window = rig.window
    # The window times the settling on the rig's clock, so only the test moves it on.
    monkeypatch.setattr(window_module, "time", SimpleNamespace(monotonic=rig.clock.now))
    window.settle_ms = 400
    rig.journey.touch()
    welcome_tile = window.welcome.tiles["adult"]
    rig.clock.advance(0.45)
    click(qtbot, welcome_tile)
    assert rig.journey.state is State.CONSENT
    # The second tap lands at once on the consent screen's "Yes": it is ignored.
    click(qtbot, window.consent.yes)
    assert rig.journey.state is State.CONSENT
    rig.clock.advance(0.45)
    click(qtbot, window.consent.yes)
    assert rig.journey.state is State.CHOOSE_PROMPT
    close_rig(rig)


def test_the_kiosk_covers_the_screen_on_x_without_a_window_manager(tmp_path: Path) -> None:
    """Kiosk laptops often run bare X: the window must still cover the whole screen."""
    import subprocess
    import sys

    booth = Path(sys.executable).parent / "booth"
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24",
         str(booth), "run", "--demo", "--data-dir", str(tmp_path / "data"), "--quit-after", "4"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "xcb"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    log_text = (tmp_path / "data" / "logs" / "booth.log").read_text(encoding="utf-8")
    assert "kiosk window covers 1366x768" in log_text
