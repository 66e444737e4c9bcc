"""``booth screenshots``: every screen in every look, rendered offscreen to PNG files,
by driving the real kiosk (synthetic camera, tone microphone) in a throwaway folder, in
English or in any language of the campaign pack (``--language ur``: the event starts each
person in it, so every screen, the attract screen too, is in that language)."""

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


def _start_event(kiosk: Any, language: str | None) -> Any:
    """An event whose people start in ``language`` (the pack's default when None)."""
    store = kiosk.store
    event = store.create_event("Year 5, St Mary's Primary", "school", "child", True)
    if language is not None:
        store.set_event_language(event.id, language)
    kiosk.restart_journey()
    return event


def _seed_other_people(kiosk: Any, language: str | None) -> None:
    """A few earlier participants, so "what others chose" has bars to show."""
    import uuid

    store = kiosk.store
    event = _start_event(kiosk, language)
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


def _voice_and_blur(kiosk: Any, clock: ManualClock, shot: Shot, pump: Pump) -> None:
    """An adult who answers with their voice alone, then one who blurs their face."""
    from booth.journey import State

    journey, window = kiosk.journey, kiosk.window
    journey.touch()
    journey.choose_look("adult")
    journey.give_consent()
    window.choose.kinds.buttons["voice"].click()
    shot("adult_03b_choose_prompt_voice")
    journey.choose_prompt(kiosk.pack.prompts_for("adult")[0].id)
    pump(until=lambda: window.ready.meter.level() > 0.05, timeout=3)
    shot("adult_04c_get_ready_voice")
    journey.start_recording()
    clock.advance(kiosk.pack.countdown_for("adult") + 0.1)
    journey.tick()
    pump(until=lambda: journey.view().take_id is not None)
    pump(1.2)
    clock.advance(8.0)
    journey.tick()
    shot("adult_05c_recording_voice")
    journey.stop_recording()
    pump(until=lambda: journey.state is State.REVIEW)
    pump(0.5)
    shot("adult_06c_review_voice")
    journey.back()
    window.confirm.yes.click()
    journey.choose_answer_kind("video_blurred")
    journey.choose_prompt(kiosk.pack.prompts_for("adult")[0].id)
    pump(until=window.ready.preview.has_frame)
    pump(1.0)  # the detector has found the face
    shot("adult_04d_get_ready_blurred")
    journey.stop_and_delete()
    journey.finish()


def _camera_lost(kiosk: Any, shot: Shot, pump: Pump) -> None:
    """An older person whose camera is lost mid-session, and comes back."""
    journey = kiosk.journey
    journey.touch()
    journey.choose_look("older")
    journey.give_consent()
    journey.choose_prompt(kiosk.pack.prompts_for("older")[0].id)
    pump(until=kiosk.window.ready.preview.has_frame)
    journey.camera_lost()
    shot("older_04e_get_ready_camera_lost")
    journey.back()
    shot("older_03c_choose_prompt_camera_lost")
    journey.camera_back()
    shot("older_03d_choose_prompt_camera_back")
    journey.stop_and_delete()
    journey.finish()


Shot = Callable[[str], None]
Pump = Callable[..., None]


def _first_journey(kiosk: Any, clock: ManualClock, look: Look, shot: Shot, pump: Pump) -> None:
    """One person of ``look``, from the consent to the thank-you screen, with a video,
    before anyone else has answered (so the tally waits for more people)."""
    from booth.journey import State

    journey, window = kiosk.journey, kiosk.window
    if journey.state is State.ATTRACT:
        journey.touch()
    journey.choose_look(look)
    shot(f"{look}_02_consent")
    if journey.view().needs_adult_confirmation:
        window.consent.adult.setChecked(True)
        shot(f"{look}_02b_consent_grown_up_said_yes")
    journey.give_consent(adult_confirmed=True)
    shot(f"{look}_03_choose_prompt")
    prompt = kiosk.pack.prompts_for(look)[0]
    journey.choose_prompt(prompt.id)
    pump(until=window.ready.preview.has_frame)
    pump(until=lambda: window.ready.meter.level() > 0.05, timeout=3)
    shot(f"{look}_04_get_ready")
    journey.start_recording()
    if kiosk.pack.countdown_for(look) > 0:
        shot(f"{look}_04b_countdown")
        clock.advance(kiosk.pack.countdown_for(look) + 0.1)
        journey.tick()
    pump(until=lambda: journey.view().take_id is not None)
    pump(1.2)
    clock.advance(12.0)
    journey.tick()
    shot(f"{look}_05_recording")
    if look == "older":
        left = journey.view().seconds_left or 0
        clock.advance(max(0, left - 10))
        journey.tick()
        shot(f"{look}_05b_recording_last_seconds")
    journey.stop_recording()
    pump(until=lambda: journey.state is State.REVIEW)
    pump(until=lambda: window.review.frames_shown > 20, timeout=5)
    shot(f"{look}_06_review")
    window.review.retake.click()
    shot(f"{look}_06b_confirm_try_again")
    window.confirm.no.click()
    journey.keep()
    items = kiosk.pack.priority_list_for(look).items
    for item in (items[0], items[2]):
        journey.toggle_priority(item.id)
    shot(f"{look}_07_priorities")
    journey.submit_priorities([items[0].id, items[2].id])
    shot(f"{look}_08_tally_waiting")
    journey.continue_after_tally()
    if journey.state is State.ABOUT_YOU:
        window.about.current_options()[1].click()
        shot(f"{look}_09_about_you")
        if len(journey.view().about_you) > 1:
            window.about.next.click()
            shot(f"{look}_09b_about_you_next")
        journey.skip_about_you()
    shot(f"{look}_10_thank_you")
    journey.finish()


def _second_journey(kiosk: Any, clock: ManualClock, look: Look, shot: Shot, pump: Pump) -> None:
    """Another person of ``look`` once many have answered (the tally shows its bars), who
    then stops; and one who says "No thanks"."""
    journey, window = kiosk.journey, kiosk.window
    journey.touch()
    journey.choose_look(look)
    journey.give_consent(adult_confirmed=True)
    journey.skip_video()
    items = kiosk.pack.priority_list_for(look).items
    for item in (items[1], items[3]):
        journey.toggle_priority(item.id)
    journey.submit_priorities([items[1].id, items[3].id])
    shot(f"{look}_08_tally")
    window.nav.stop.click()
    shot(f"{look}_15_confirm_stop")
    window.confirm.yes.click()
    shot(f"{look}_16_goodbye_stopped")
    journey.finish()
    journey.touch()
    journey.choose_look(look)
    journey.decline_consent()
    shot(f"{look}_17_goodbye_no_thanks")
    journey.finish()


def main(settings: Settings, out_dir: str | Path, size: tuple[int, int],
         language: str | None = None) -> int:
    """Render every screen in every look into ``out_dir`` (in ``language``, else the
    pack's default language); returns 0 on success."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from booth.app import build_kiosk, process_events, qt_application
    from booth.ui.printing import CodePrinter
    from booth.ui.speech import SilentSpeaker

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    qt_application()
    width, height = size
    with tempfile.TemporaryDirectory(prefix="booth-shots-") as folder:
        shot_settings = settings.with_changes(
            paths=resolve_paths(folder), camera="synthetic:face", audio="tone", demo=True,
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
            if language is not None and language not in kiosk.pack.languages:
                print(f"The campaign pack is not in {language!r}; it has "
                      f"{', '.join(kiosk.pack.languages)}.")
                return 2
            _start_event(kiosk, language)
            window.resize(width, height)
            window.show()
            window.set_printer(lambda: CodePrinter(pdf=Path(folder) / "code.pdf"))
            pump(0.2)
            window.attract.loop.set_phase(0.15)
            window.attract.loop.stop()
            shot("00_attract")
            journey.touch()
            shot("01_welcome")
            for look in LOOK_ORDER:
                _first_journey(kiosk, clock, look, shot, pump)
                if look == "older":
                    journey.touch()
                    journey.choose_look(look)
                    clock.advance(kiosk.pack.idle_for(look).idle_seconds + 1)
                    journey.tick()
                    shot(f"{look}_11_still_there")
                    journey.still_here()
                    journey.fail("screenshot")
                    shot("12_oops")
                    clock.advance(60)
                    journey.tick()
            # Enough people now for the tally to show its bars.
            _seed_other_people(kiosk, language)
            for look in LOOK_ORDER:
                _second_journey(kiosk, clock, look, shot, pump)
            _voice_and_blur(kiosk, clock, shot, pump)
            _camera_lost(kiosk, shot, pump)
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
    shown_in = f", {language}" if language else ""
    print(f"Wrote {len(written)} screenshots ({width}x{height}{shown_in}) to {out}")
    return 0
