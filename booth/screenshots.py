"""``booth screenshots``: every screen in every look, rendered offscreen to PNG files,
by driving the real kiosk (synthetic camera, tone microphone) in a throwaway folder."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from booth.pack import Look
from booth.settings import Settings, resolve_paths

log = logging.getLogger(__name__)

LOOK_ORDER: tuple[Look, ...] = ("child", "adult", "older")


class ManualClock:
    """A clock the screenshot run moves by hand, so countdowns and timeouts are exact."""

    def __init__(self) -> None:
        self._now = 1000.0
        self._wall = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)

    def now(self) -> float:
        return self._now

    def utcnow(self) -> datetime:
        return self._wall + timedelta(seconds=self._now - 1000.0)

    def advance(self, seconds: float) -> None:
        self._now += seconds


def _install_throwaway_credential(settings: Settings) -> None:
    """Takes must be encrypted to somebody: a council key made for this run only."""
    import json

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from booth.sync.keys import install_credential
    from booth.wire.age import generate_identity
    from booth.wire.bundle import public_key_b64

    _identity, recipient = generate_identity()
    credential = {
        "format": 1, "device_id": "screenshots", "token": "s" * 32,
        "server_url": "http://127.0.0.1:9", "recipients": [recipient],
        "server_signing_key": public_key_b64(Ed25519PrivateKey.generate()),
    }
    file = settings.paths.data / "screenshot-credential.json"
    file.write_text(json.dumps(credential), encoding="utf-8")
    install_credential(settings.paths, file)


def _seed_other_people(kiosk: Any) -> None:
    """A few earlier participants, so "what others chose" has bars to show."""
    import uuid

    store = kiosk.store
    event = store.create_event("Year 5, St Mary's Primary", "school", "child", True)
    for look in LOOK_ORDER:
        items = [item.id for item in kiosk.pack.priority_list_for(look).items]
        for person in range(9):
            session_id = uuid.uuid4().hex
            store.open_session(session_id, event.id, look)
            picks = [items[(person * 2) % len(items)], items[(person + 3) % len(items)],
                     items[0]] if person % 3 else [items[1], items[4 % len(items)]]
            store.save_priorities(session_id, kiosk.pack.priority_list_for(look).id,
                                  list(dict.fromkeys(picks))[:3])
            store.finish_session(session_id)
    kiosk.restart_journey()


def main(settings: Settings, out_dir: str | Path, size: tuple[int, int]) -> int:
    """Render every screen in every look into ``out_dir``; returns 0 on success."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from booth.app import build_kiosk, process_events, qt_application
    from booth.journey import State
    from booth.ui.speech import SilentSpeaker

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    qt_application()
    width, height = size
    with tempfile.TemporaryDirectory(prefix="booth-shots-") as folder:
        shot_settings = settings.with_changes(
            paths=resolve_paths(folder), camera="synthetic", audio="tone", demo=True,
            windowed=True)
        shot_settings.paths.create()
        _install_throwaway_credential(shot_settings)
        clock = ManualClock()
        from booth.ui.officer.screenshots import SHOT_STICK, officer_screens

        kiosk = build_kiosk(shot_settings, clock=clock, speaker=SilentSpeaker(),
                            desk_options={"volumes": lambda: [SHOT_STICK]})
        window = kiosk.window
        journey = kiosk.journey
        written: list[Path] = []

        def pump(seconds: float = 0.05, until: Callable[[], bool] | None = None,
                 timeout: float = 10.0) -> None:
            end = time.monotonic() + (timeout if until is not None else seconds)
            while time.monotonic() < end:
                process_events()
                if until is not None and until():
                    break
                time.sleep(0.01)
            process_events()

        def shot(name: str) -> None:
            pump(0.05)
            path = out / f"{name}.png"
            window.grab().save(str(path))
            written.append(path)

        try:
            window.resize(width, height)
            window.show()
            pump(0.2)
            _seed_other_people(kiosk)
            window.attract.loop.set_phase(0.15)
            window.attract.loop.stop()
            shot("00_attract")
            journey.touch()
            shot("01_welcome")
            for look in LOOK_ORDER:
                prefix = str(look)
                journey.choose_look(look)
                shot(f"{prefix}_02_consent")
                journey.give_consent(adult_confirmed=True)
                shot(f"{prefix}_03_choose_prompt")
                prompt = kiosk.pack.prompts_for(look)[0]
                journey.choose_prompt(prompt.id)
                pump(until=window.ready.preview.has_frame)
                pump(until=lambda: window.ready.meter.level() > 0.05, timeout=3)
                shot(f"{prefix}_04_get_ready")
                if kiosk.pack.countdown_for(look) > 0:
                    clock.advance(kiosk.pack.countdown_for(look) + 0.1)
                    journey.tick()
                else:
                    journey.start_recording()
                pump(until=lambda: journey.view().take_id is not None)
                pump(1.2)
                clock.advance(12.0)
                journey.tick()
                shot(f"{prefix}_05_recording")
                journey.stop_recording()
                pump(until=lambda: journey.state is State.REVIEW)
                pump(until=lambda: window.review.frames_shown > 20, timeout=5)
                shot(f"{prefix}_06_review")
                journey.keep()
                items = kiosk.pack.priority_list_for(look).items
                for item in (items[0], items[2]):
                    journey.toggle_priority(item.id)
                shot(f"{prefix}_07_priorities")
                journey.submit_priorities([items[0].id, items[2].id])
                shot(f"{prefix}_08_tally")
                journey.continue_after_tally()
                if journey.state is State.ABOUT_YOU:
                    shot(f"{prefix}_09_about_you")
                    journey.skip_about_you()
                shot(f"{prefix}_10_thank_you")
                journey.finish()
                journey.touch()
                if look == "older":
                    journey.choose_look(look)
                    clock.advance(kiosk.pack.idle_for(look).idle_seconds + 1)
                    journey.tick()
                    shot(f"{prefix}_11_still_there")
                    journey.still_here()
                    journey.fail("screenshot")
                    shot("12_oops")
                    clock.advance(60)
                    journey.tick()
            window.open_pin_pad()
            shot("13_officer_pin")
            window.pin_pad.hide()
            window._officer_unlocked()
            shot("14_officer_panel")
            window.lock_officer()

            def save(name: str, widget: Any) -> None:
                path = out / f"{name}.png"
                widget.grab().save(str(path))
                written.append(path)

            officer_screens(kiosk, save, lambda until: pump(0.05, until=until, timeout=5))
        except Exception:
            log.exception("screenshots failed")
            print("Screenshots failed; see the log for why.")
            return 1
        finally:
            window.allow_close()
            window.close()
            kiosk.close()
    print(f"Wrote {len(written)} screenshots ({width}x{height}) to {out}")
    return 0
