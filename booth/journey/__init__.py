"""The participant journey: a plain-Python state machine the kiosk screens render.

``model``: what it shows and asks for (states, the view, the session draft, the effects).
``machinery``: how an event runs and views are published. ``recording``: the take's
handshake with the recorder and its one timeout. ``answering``: priorities, the tally and
about-you. ``machine``: the ``Journey`` itself and its transition table. Everything logs
to "booth.journey"."""

from booth.journey.machine import Journey
from booth.journey.model import (
    ANSWER_KINDS,
    FAILSAFE_MESSAGE,
    NO_ROOM_FOR_VIDEO,
    NO_ROOM_NOTICE,
    AnswerKind,
    EventSettings,
    Goodbye,
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
    "ANSWER_KINDS",
    "FAILSAFE_MESSAGE",
    "NO_ROOM_FOR_VIDEO",
    "NO_ROOM_NOTICE",
    "AnswerKind",
    "EventSettings",
    "Goodbye",
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
