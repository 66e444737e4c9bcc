"""A small campaign pack and a recording JourneyEffects for journey tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from booth.journey import SessionDraft
from booth.pack import CampaignPack, Prompt, pack_from_toml

# Every number differs per look, so a test that mixes looks up fails.
JOURNEY_PACK_TOML = """
format_version = 1
id = "journey_test"
name = "Journey test"
council = "Test Borough Council"
retention_days = 30
max_take_seconds = 90
areas = ["North Ward", "South Ward"]

[countdown_seconds]
child = 5
adult = 3
older = 0

[idle.child]
idle_seconds = 40
still_there_seconds = 15
[idle.adult]
idle_seconds = 60
still_there_seconds = 20
[idle.older]
idle_seconds = 120
still_there_seconds = 45

[theme]
name = "Plain"
[theme.child]
background = "#FFFFFF"
text = "#000000"
accent = "#005EA5"
button = "#000000"
button_text = "#FFFFFF"
font_scale = 1.2
touch_scale = 1.5
[theme.adult]
background = "#FFFFFF"
text = "#000000"
accent = "#005EA5"
button = "#000000"
button_text = "#FFFFFF"
font_scale = 1.0
touch_scale = 1.0
[theme.older]
background = "#FFFFFF"
text = "#000000"
accent = "#005EA5"
button = "#000000"
button_text = "#FFFFFF"
font_scale = 1.5
touch_scale = 1.5

[consent.child]
text = "We will keep your video safe."
spoken = "We will keep your video safe. Is that OK?"
adult_confirmation = "A teacher or parent has said yes"
[consent.adult]
text = "We keep your answer for {retention_days} days."
[consent.older]
text = "We keep your answer for {retention_days} days, safely."

[[prompts]]
id = "love"
text = "What do you love about your town?"
spoken = "What do you love about your town? Tell us!"
audience = ["child"]
max_seconds = 45

[[prompts]]
id = "change"
text = "What would you change?"
audience = ["all"]
max_seconds = 60

[[prompts]]
id = "remember"
text = "What do you remember about the town?"
audience = ["older"]
max_seconds = 90

[[priority_lists]]
id = "children"
title = "What matters most to you?"
audience = ["child"]
max_ticks = 2
items = [
  { id = "parks", label = "Parks" },
  { id = "play", label = "Places to play" },
  { id = "safe", label = "Feeling safe" },
]

[[priority_lists]]
id = "everyone"
title = "Choose up to three priorities"
audience = ["adult", "older"]
max_ticks = 3
items = [
  { id = "transport", label = "Buses and trains" },
  { id = "health", label = "Health" },
  { id = "housing", label = "Housing" },
  { id = "shops", label = "Local shops" },
]

[[about_you]]
id = "age_band"
text = "How old are you?"
audience = ["adult", "older"]
options = [
  { id = "under_65", label = "Under 65" },
  { id = "over_65", label = "65 or over" },
]

[[about_you]]
id = "area"
text = "Where do you live?"
audience = ["adult", "older"]
use_areas = true
"""


def journey_pack() -> CampaignPack:
    """The test pack: children have no about-you questions, adults and older people two."""
    return pack_from_toml(JOURNEY_PACK_TOML)


@dataclass
class RecordingEffects:
    """Records every effect call in order; can answer like a recorder and fail on demand.

    ``calls`` holds ``(name, args)`` tuples. ``fail_on`` names effects that raise
    (``fail_once``: only the next call);
    ``raised`` says which calls did.
    ``on_start_take``/``on_stop_take`` let a test call back into the journey
    synchronously, as a recorder adapter might; ``before_start_take`` sees the journey
    at the moment it asks for a take."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    fail_on: set[str] = field(default_factory=set)
    fail_once: set[str] = field(default_factory=set)
    raised: set[int] = field(default_factory=set)  # indexes into ``calls`` that raised
    on_start_take: Callable[[], None] | None = None
    on_stop_take: Callable[[], None] | None = None
    before_start_take: Callable[[], None] | None = None  # sees the journey as it asks
    _codes: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _record(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if name in self.fail_on or name in self.fail_once:
            self.fail_once.discard(name)
            self.raised.add(len(self.calls) - 1)
            raise RuntimeError(f"{name} failed on purpose")

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def args_of(self, name: str) -> list[tuple[Any, ...]]:
        return [args for called, args in self.calls if called == name]

    def session_started(self, session: SessionDraft) -> None:
        self._record("session_started", session)

    def start_take(self, session: SessionDraft, prompt: Prompt) -> None:
        if self.before_start_take is not None:
            self.before_start_take()
        self._record("start_take", session, prompt)
        if self.on_start_take is not None:
            self.on_start_take()

    def stop_take(self) -> None:
        self._record("stop_take")
        if self.on_stop_take is not None:
            self.on_stop_take()

    def discard_take(self, take_id: str) -> None:
        self._record("discard_take", take_id)

    def keep_take(self, session: SessionDraft, take_id: str) -> None:
        self._record("keep_take", session, take_id)

    def save_priorities(self, session: SessionDraft, item_ids: Sequence[str]) -> None:
        self._record("save_priorities", session, tuple(item_ids))

    def save_about_you(self, session: SessionDraft, answers: dict[str, str]) -> None:
        self._record("save_about_you", session, dict(answers))

    def finish_session(self, session: SessionDraft) -> str:
        self._record("finish_session", session)
        return f"R{next(self._codes):05d}"

    def abandon_session(self, session: SessionDraft, reason: str) -> None:
        self._record("abandon_session", session, reason)

    def delete_session(self, session: SessionDraft) -> None:
        self._record("delete_session", session)

    def speak(self, text: str) -> None:
        self._record("speak", text)
