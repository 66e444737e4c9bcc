"""The officer's screens for ``booth screenshots``: every section of the console (with a
set-aside bundle, a stick and a sync under way to show) and each step of the setup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from booth.device import Volume
from booth.ui.looks import style_sheet
from booth.ui.officer.setup import STEPS, SetupScreen
from booth.ui.officer.sync import TransferMeter

# A stick the screenshots offer, as one plugged in would be.
SHOT_STICK = Volume("KINGSTON", "/media/officer/KINGSTON", 7_800_000_000)


def officer_screens(kiosk: Any, save: Callable[[str, QWidget], None],
                    pump: Callable[[Callable[[], bool] | None], None]) -> None:
    """Show each section of the console, then each step of the setup, and ``save`` them.
    ``pump(until)`` lets Qt work until ``until()`` holds (a moment when None)."""
    window = kiosk.window
    panel = window.officer
    sealed = kiosk.store.bundles_in_state("sealed", "uploading")
    if sealed:
        kiosk.store.set_bundle_state(sealed[0].id, "quarantined",
                                     "payload blob 3f9a1c2be04d is truncated (2113 of 4096 "
                                     "bytes)")
    # A little history: a mistyped PIN, the right one, a sync asked for.
    kiosk.pin_guard.check("000000")
    kiosk.pin_guard.check("1234")
    panel.backend.sync_now()
    window._officer_unlocked()
    moments = iter([0.0, 4.0])
    panel.sync.meter = TransferMeter(clock=lambda: next(moments, 4.0))
    panel.show_sync_progress("shots", 3_100_000, 41_000_000)
    panel.show_sync_progress("shots", 12_300_000, 41_000_000)
    checks = panel.checklist.checks
    for key in panel.sections:
        panel.show_section(key)
        if key == "sync":
            panel.sync.bar.show()
            panel.sync.progress.show()
        if key == "checklist":
            # The camera and microphone answer within a second or two.
            def checked() -> bool:
                panel.checklist.refresh()
                return bool(checks.mark_of("Camera") == "✓"
                            and checks.mark_of("Microphone") == "✓"
                            and panel.camera_preview.has_frame())

            pump(checked)
        pump(None)
        save(f"15_officer_{key}", window)
    window.lock_officer()
    setup = SetupScreen(panel.backend, base_style=style_sheet(window.styles["adult"]))
    setup.setGeometry(window.geometry())
    setup.allow_close()
    setup.show()
    kiosk.capture.previewFrame.connect(setup.show_frame)
    kiosk.capture.level.connect(setup.show_level)
    try:
        for key, _words in STEPS:
            setup.show_step(key)
            if key == "devices":
                def seen() -> bool:
                    setup.devices.refresh()
                    return (setup.devices.checks.mark_of("Camera") == "✓"
                            and setup.devices.preview.has_frame())

                pump(seen)
            pump(None)
            save(f"16_setup_{key}", setup)
    finally:
        kiosk.capture.previewFrame.disconnect(setup.show_frame)
        kiosk.capture.level.disconnect(setup.show_level)
        setup.steps[setup.current].left()
        setup.close()
        setup.deleteLater()
