"""The participant journey: a plain-Python state machine the kiosk screens render.

``model`` holds what it shows and asks for (states, the view, the session draft, the
effects); ``machine`` holds the journey itself and its transition table."""

from booth.journey.machine import Journey
from booth.journey.model import (
    FAILSAFE_MESSAGE,
    EventSettings,
    JourneyEffects,
    JourneyError,
    JourneyView,
    Listener,
    SessionDraft,
    SessionEffects,
    State,
    TakeEffects,
)

__all__ = [
    "FAILSAFE_MESSAGE",
    "EventSettings",
    "Journey",
    "JourneyEffects",
    "JourneyError",
    "JourneyView",
    "Listener",
    "SessionDraft",
    "SessionEffects",
    "State",
    "TakeEffects",
]
