"""The participant journey: transitions, timers, invalid events and clean endings."""

from __future__ import annotations

import pytest

from booth.journey import Journey, JourneyView, State
from tests.helpers.clock import FakeClock
from tests.helpers.journey import RecordingEffects, journey_pack


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def effects() -> RecordingEffects:
    return RecordingEffects()


@pytest.fixture
def journey(clock: FakeClock, effects: RecordingEffects) -> Journey:
    return Journey(journey_pack(), clock, effects)


def test_an_adult_walks_the_whole_journey(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    views: list[JourneyView] = []
    journey.subscribe(views.append)
    journey.touch()
    journey.choose_look("adult")
    journey.give_consent()
    journey.choose_prompt("change")
    clock.advance(journey_pack().countdown_for("adult"))
    journey.tick()
    journey.recording_started("take1")
    journey.stop_recording()
    journey.recording_finished("take1", 4.0)
    journey.keep()
    journey.submit_priorities(["health"])
    journey.continue_after_tally()
    journey.submit_about_you({"area": "north_ward"})
    assert journey.view().reference_code == "R00001"
    journey.finish()
    assert effects.names() == [
        "session_started",
        "start_take",
        "stop_take",
        "keep_take",
        "save_priorities",
        "save_about_you",
        "finish_session",
    ]
    states = [v.state for v in views]
    for state in (State.WELCOME, State.CONSENT, State.CHOOSE_PROMPT, State.GET_READY,
                  State.RECORDING, State.REVIEW, State.PRIORITIES, State.TALLY,
                  State.ABOUT_YOU, State.THANK_YOU):
        assert state in states
    assert views[-1] == JourneyView(state=State.ATTRACT)
