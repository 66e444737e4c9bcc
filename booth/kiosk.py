"""The kiosk as built: every part ``booth.app.build_kiosk`` made, in one object that the
officer desk, the screenshots command, the benchmarks and tests reach through."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from booth.answers import Answers
from booth.clock import Clock
from booth.demo import DemoCouncil
from booth.journey import EventSettings, Journey
from booth.pack import LOOKS, CampaignPack, PackError
from booth.settings import Settings
from booth.space import RoomWatch
from booth.store import Store
from booth.take import Takes
from booth.ui.officer.guard import PinGuard

log = logging.getLogger(__name__)

SETUP_DONE_KEY = "setup_done_at"


def event_settings(store: Store) -> EventSettings:
    """How the journey runs at the store's current event (defaults before any is set up)."""
    event = store.current_event()
    if event is None:
        return EventSettings()
    spoken = EventSettings().spoken_looks if event.spoken_looks is None else frozenset(
        look for look in LOOKS if look in event.spoken_looks)
    return EventSettings(child_needs_adult_confirmation=event.requires_adult_confirmation,
                         spoken_looks=spoken, default_language=event.default_language)


def setup_needed(store: Store, settings: Settings) -> bool:
    """A real booth opens on the officer-only setup until it has been set up once; the
    demo never does (it enrols itself and prints its PIN)."""
    return not settings.demo and not store.device_meta_get(SETUP_DONE_KEY)


def _nothing() -> None:
    return None


@dataclass
class Kiosk:
    """Everything ``build_kiosk`` made, for ``run_kiosk``, the screenshots command and tests."""

    settings: Settings
    clock: Clock
    store: Store
    pack: CampaignPack
    pack_error: PackError | None
    journey: Journey
    takes: Takes
    answers: Answers
    capture: Any
    window: Any
    speaker: Any
    pin_guard: PinGuard
    sync: Any = None
    demo_council: DemoCouncil | None = None
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    room: RoomWatch | None = None
    # The first-run setup screen while the booth has not been set up (None afterwards).
    setup: Any = None
    # Starts the sync controller once the booth is enrolled (build_kiosk sets it); the
    # booth may be enrolled while it runs, and then sends from that moment on.
    start_sync: Callable[[], None] = _nothing
    _closed: bool = False

    def restart_journey(self, pack: CampaignPack | None = None) -> None:
        """Restart the journey for a new event or pack; only between participants."""
        if pack is not None:
            self.pack = pack
            self.answers.pack = pack
            from booth.ui.looks import look_style

            self.window.set_styles({look: look_style(look, pack.theme_for(look))
                                    for look in LOOKS})
            self.window.set_campaign(pack)
        self.journey.restart(self.pack, event_settings(self.store))

    def close(self) -> None:
        """Stop the camera (closing a take cut short), sync and the store (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self.setup is not None:
            self.setup.allow_close()
        for stop in (self.window.stop, *([self.setup.close] if self.setup else [])):
            try:
                stop()
            except Exception:
                log.exception("stopping %s failed", stop)
        closing = [self.capture.shutdown, self.takes.shutdown, *reversed(self.cleanups)]
        if hasattr(self.speaker, "close"):
            closing.append(self.speaker.close)
        for step in closing:
            try:
                step()
            except Exception:
                log.exception("shutting down %s failed", step)
        self.store.close()
