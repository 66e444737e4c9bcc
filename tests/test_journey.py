"""The participant journey: transitions, timers, invalid events and clean endings."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from datetime import UTC

import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from booth.clock import SystemClock
from booth.journey import (
    FAILSAFE_MESSAGE,
    EventSettings,
    Goodbye,
    Journey,
    JourneyError,
    JourneyView,
    SessionDraft,
    State,
)
from booth.pack import LOOKS, CampaignPack, Look
from tests.helpers.clock import FakeClock
from tests.helpers.journey import RecordingEffects, journey_pack

PACK = journey_pack()
SETTINGS = EventSettings()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def effects() -> RecordingEffects:
    return RecordingEffects()


@pytest.fixture
def journey(clock: FakeClock, effects: RecordingEffects) -> Journey:
    return Journey(PACK, clock, effects)


@pytest.fixture
def journey_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO, logger="booth.journey")
    yield caplog
    # Every event below is handled on purpose; a bug inside a handler would be turned
    # into a silent failsafe, so any logged exception fails the test.
    crashes = [r for r in caplog.records if r.exc_info and r.name == "booth.journey"]
    assert not crashes, [r.getMessage() for r in crashes]


def first_prompt(look: Look) -> str:
    return PACK.prompts_for(look)[0].id


def take_limit(look: Look) -> float:
    return float(min(PACK.prompts_for(look)[0].max_seconds, PACK.max_take_seconds))


# ---------------------------------------------------------------- driving


SITUATIONS = (
    "attract",
    "welcome",
    "consent",
    "choose_prompt",
    "get_ready",
    "counting",
    "starting",
    "recording",
    "stopping",
    "review",
    "priorities",
    "tally",
    "about_you",
    "thank_you",
    "goodbye",
    "still_there",
    "failsafe",
)


def drive(journey: Journey, clock: FakeClock, situation: str, look: Look = "adult") -> None:
    """Walk a fresh journey to ``situation`` the way a participant would."""
    assert situation in SITUATIONS
    if situation == "attract":
        return
    if situation == "failsafe":
        journey.fail("test")
        return
    journey.touch()
    if situation == "welcome":
        return
    journey.choose_look(look)
    if situation == "consent":
        return
    if situation == "goodbye":
        journey.decline_consent()
        return
    journey.give_consent(adult_confirmed=True)
    if situation == "choose_prompt":
        return
    if situation == "still_there":
        clock.advance(PACK.idle_for(look).idle_seconds)
        journey.tick()
        return
    journey.choose_prompt(first_prompt(look))
    if situation == "get_ready":
        return
    journey.start_recording()  # "Start": the look's countdown, if it has one
    if situation == "counting":
        assert journey.view().countdown_remaining, "counting needs a look with a countdown"
        return
    if journey.view().countdown_remaining is not None:
        journey.countdown_done()
    if situation == "starting":
        return
    journey.recording_started("take-1")
    clock.advance(2)
    journey.tick()
    if situation == "recording":
        return
    journey.stop_recording()
    if situation == "stopping":
        return
    journey.recording_finished("take-1", 2.0)
    if situation == "review":
        return
    journey.keep()
    if situation == "priorities":
        return
    first_item = PACK.priority_list_for(look).items[0].id
    journey.submit_priorities([first_item])
    if situation == "tally":
        return
    journey.continue_after_tally()
    if situation == "about_you":
        return
    journey.skip_about_you()
    assert situation == "thank_you"


SITUATION_STATE = {
    "attract": State.ATTRACT,
    "welcome": State.WELCOME,
    "consent": State.CONSENT,
    "choose_prompt": State.CHOOSE_PROMPT,
    "get_ready": State.GET_READY,
    "counting": State.GET_READY,
    "starting": State.RECORDING,
    "recording": State.RECORDING,
    "stopping": State.RECORDING,
    "review": State.REVIEW,
    "priorities": State.PRIORITIES,
    "tally": State.TALLY,
    "about_you": State.ABOUT_YOU,
    "thank_you": State.THANK_YOU,
    "goodbye": State.GOODBYE,
    "still_there": State.STILL_THERE,
    "failsafe": State.FAILSAFE,
}


def _take_or_stray(journey: Journey) -> str:
    session = journey.session
    return session.take_id if session is not None and session.take_id else "stray-take"


def _first_item(journey: Journey) -> list[str]:
    plist = journey.view().priority_list
    return [plist.items[0].id] if plist is not None else ["transport"]


EVENTS: dict[str, Callable[[Journey], None]] = {
    "touch": lambda j: j.touch(),
    "choose_look": lambda j: j.choose_look("adult"),
    "give_consent": lambda j: j.give_consent(adult_confirmed=True),
    "decline_consent": lambda j: j.decline_consent(),
    "choose_prompt": lambda j: j.choose_prompt("change"),
    "countdown_done": lambda j: j.countdown_done(),
    "start_recording": lambda j: j.start_recording(),
    "recording_started": lambda j: j.recording_started("take-new"),
    "stop_recording": lambda j: j.stop_recording(),
    "recording_finished": lambda j: j.recording_finished(_take_or_stray(j), 1.0),
    "recording_failed": lambda j: j.recording_failed("camera unplugged"),
    "keep": lambda j: j.keep(),
    "retake": lambda j: j.retake(),
    "skip_video": lambda j: j.skip_video(),
    "toggle_priority": lambda j: j.toggle_priority(_first_item(j)[0]),
    "submit_priorities": lambda j: j.submit_priorities(_first_item(j)),
    "continue_after_tally": lambda j: j.continue_after_tally(),
    "submit_about_you": lambda j: j.submit_about_you({}),
    "skip_about_you": lambda j: j.skip_about_you(),
    "finish": lambda j: j.finish(),
    "more_time": lambda j: j.more_time(),
    "stop_and_delete": lambda j: j.stop_and_delete(),
    "still_here": lambda j: j.still_here(),
    "back": lambda j: j.back(),
    "fail": lambda j: j.fail("test"),
    "tick": lambda j: j.tick(),
}

# (situation, event) -> the state the event leads to. Anything not listed is an event
# the situation does not take: ignored, logged, nothing changes.
TRANSITIONS: dict[tuple[str, str], State] = {
    ("attract", "touch"): State.WELCOME,
    ("welcome", "choose_look"): State.CONSENT,
    ("welcome", "back"): State.ATTRACT,
    ("consent", "give_consent"): State.CHOOSE_PROMPT,
    ("consent", "decline_consent"): State.GOODBYE,
    ("consent", "back"): State.WELCOME,
    ("choose_prompt", "choose_prompt"): State.GET_READY,
    ("choose_prompt", "skip_video"): State.PRIORITIES,
    ("choose_prompt", "back"): State.CONSENT,
    # "Start" begins the adult look's countdown; nothing records before it.
    ("get_ready", "start_recording"): State.GET_READY,
    ("get_ready", "skip_video"): State.PRIORITIES,
    ("get_ready", "back"): State.CHOOSE_PROMPT,
    ("counting", "countdown_done"): State.RECORDING,
    ("counting", "skip_video"): State.PRIORITIES,
    ("counting", "back"): State.GET_READY,
    ("starting", "recording_started"): State.RECORDING,
    ("starting", "recording_failed"): State.CHOOSE_PROMPT,
    ("recording", "stop_recording"): State.RECORDING,
    ("recording", "recording_finished"): State.REVIEW,
    ("recording", "recording_failed"): State.CHOOSE_PROMPT,
    ("stopping", "recording_finished"): State.REVIEW,
    ("stopping", "recording_failed"): State.CHOOSE_PROMPT,
    ("review", "keep"): State.PRIORITIES,
    ("review", "retake"): State.GET_READY,
    ("review", "skip_video"): State.PRIORITIES,
    ("review", "back"): State.CHOOSE_PROMPT,
    ("priorities", "toggle_priority"): State.PRIORITIES,
    ("priorities", "submit_priorities"): State.TALLY,
    ("priorities", "back"): State.CHOOSE_PROMPT,
    ("tally", "continue_after_tally"): State.ABOUT_YOU,
    ("tally", "back"): State.PRIORITIES,
    ("about_you", "submit_about_you"): State.THANK_YOU,
    ("about_you", "skip_about_you"): State.THANK_YOU,
    ("about_you", "back"): State.TALLY,
    ("thank_you", "finish"): State.ATTRACT,
    ("thank_you", "more_time"): State.THANK_YOU,
    ("goodbye", "finish"): State.ATTRACT,
    ("still_there", "still_here"): State.CHOOSE_PROMPT,
    ("still_there", "touch"): State.CHOOSE_PROMPT,
    ("failsafe", "finish"): State.ATTRACT,
}
# Stop is offered on every screen after consent until the session is finished.
STOP_SITUATIONS = ("choose_prompt", "get_ready", "counting", "starting", "recording",
                   "stopping", "review", "priorities", "tally", "about_you")
for _situation in STOP_SITUATIONS:
    TRANSITIONS[(_situation, "stop_and_delete")] = State.GOODBYE
# A touch or a tick (with no time passing) is fine anywhere and changes nothing.
for _situation in SITUATIONS:
    TRANSITIONS.setdefault((_situation, "touch"), SITUATION_STATE[_situation])
    TRANSITIONS.setdefault((_situation, "tick"), SITUATION_STATE[_situation])
    if _situation != "failsafe":
        TRANSITIONS[(_situation, "fail")] = State.FAILSAFE

RECORDER_EVENTS = {"recording_started", "recording_finished", "recording_failed"}


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("event", list(EVENTS))
def test_every_event_in_every_situation(
    situation: str,
    event: str,
    journey: Journey,
    clock: FakeClock,
    effects: RecordingEffects,
    journey_log: pytest.LogCaptureFixture,
) -> None:
    drive(journey, clock, situation)
    assert journey.state is SITUATION_STATE[situation]
    before_view = journey.view()
    before_calls = len(effects.calls)
    journey_log.clear()

    EVENTS[event](journey)

    markers = ("ignored", "late", "failure while")
    ignored = [r for r in journey_log.records if r.getMessage().startswith(markers)]
    expected = TRANSITIONS.get((situation, event))
    if expected is not None:
        assert journey.state is expected
        assert not ignored
        return
    assert journey.state is SITUATION_STATE[situation]
    assert journey.view() == before_view
    assert ignored, "an ignored event must be logged"
    new_calls = effects.calls[before_calls:]
    if event in RECORDER_EVENTS:
        # A late report from the recorder may only clean up after itself.
        stray = {"take-new", "stray-take"}
        assert all(
            name == "stop_take" or (name == "discard_take" and args[0] in stray)
            for name, args in new_calls
        ), new_calls
    else:
        assert new_calls == []


@pytest.mark.parametrize("situation", SITUATIONS)
def test_no_dead_end_time_alone_brings_the_booth_back(
    situation: str, journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    """Nobody touches anything and the recorder never answers: the booth still comes back."""
    drive(journey, clock, situation)
    for _ in range(8):
        clock.advance(100)
        journey.tick()
    assert journey.state is State.ATTRACT
    assert journey.view() == JourneyView(state=State.ATTRACT)
    if situation != "attract":
        assert journey.session is None


@pytest.mark.parametrize("situation", SITUATIONS)
def test_every_state_has_a_way_on_or_back(
    situation: str, journey: Journey, clock: FakeClock
) -> None:
    drive(journey, clock, situation)
    ways = [event for (s, event) in TRANSITIONS if s == situation and event not in ("tick",)]
    moving = [e for e in ways if TRANSITIONS[(situation, e)] is not SITUATION_STATE[situation]]
    assert moving, f"{situation} is a dead end"


# ---------------------------------------------------------------- whole journeys


def test_an_adult_walks_the_whole_journey(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    views: list[JourneyView] = []
    journey.subscribe(views.append)
    journey.touch()
    journey.choose_look("adult")
    journey.give_consent()
    journey.choose_prompt("change")
    journey.start_recording()
    clock.advance(PACK.countdown_for("adult"))
    journey.tick()
    journey.recording_started("take1")
    clock.advance(4)
    journey.tick()
    journey.stop_recording()
    journey.recording_finished("take1", 4.0)
    assert journey.view().take_id == "take1"
    journey.keep()
    journey.submit_priorities(["health", "housing"])
    journey.continue_after_tally()
    journey.submit_about_you({"area": "north_ward", "age_band": "prefer_not_to_say"})
    assert journey.view().reference_code == "R00001"
    session = journey.session
    assert session is not None
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
    assert effects.args_of("keep_take") == [(session, "take1")]
    assert effects.args_of("save_priorities") == [(session, ("health", "housing"))]
    assert effects.args_of("save_about_you")[0][1] == {
        "area": "north_ward",
        "age_band": "prefer_not_to_say",
    }
    assert session.kept_take_id == "take1"
    assert session.consent_given and not session.adult_confirmed
    assert session.started_at.tzinfo is UTC
    assert len(session.session_id) == 32
    states = [v.state for n, v in enumerate(views) if n == 0 or views[n - 1].state != v.state]
    assert states == [
        State.ATTRACT,
        State.WELCOME,
        State.CONSENT,
        State.CHOOSE_PROMPT,
        State.GET_READY,
        State.RECORDING,
        State.REVIEW,
        State.PRIORITIES,
        State.TALLY,
        State.ABOUT_YOU,
        State.THANK_YOU,
        State.ATTRACT,
    ]
    assert views[-1] == JourneyView(state=State.ATTRACT)
    assert journey.session is None


def test_a_child_is_read_everything_and_has_no_about_you_questions(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    journey.touch()
    journey.choose_look("child")
    consent = PACK.consent_for("child")
    assert effects.args_of("speak") == [(consent.spoken,)]
    journey.give_consent(adult_confirmed=True)
    journey.choose_prompt("love")
    love = PACK.prompts_for("child")[0]
    assert (love.spoken,) in effects.args_of("speak")
    journey.start_recording()
    journey.countdown_done()
    journey.recording_started("t")
    journey.stop_recording()
    journey.recording_finished("t", 3.0)
    journey.keep()
    assert (PACK.priority_list_for("child").spoken,) in effects.args_of("speak")
    journey.submit_priorities(["parks", "play"])
    journey.continue_after_tally()
    assert PACK.about_you_for("child") == []
    assert journey.state is State.THANK_YOU
    assert "save_about_you" not in effects.names()
    assert effects.names().count("finish_session") == 1


@pytest.mark.parametrize("look", ["adult", "older"])
def test_grown_ups_hear_nothing_unless_the_event_says_so(
    look: Look, clock: FakeClock, effects: RecordingEffects
) -> None:
    quiet = Journey(PACK, clock, effects)
    drive(quiet, clock, "review", look)
    assert effects.args_of("speak") == []

    talking = RecordingEffects()
    spoken = Journey(PACK, clock, talking, EventSettings(spoken_looks=frozenset({look})))
    drive(spoken, clock, "review", look)
    said = [args[0] for args in talking.args_of("speak")]
    assert PACK.consent_for(look).spoken in said
    assert PACK.prompts_for(look)[0].spoken in said


def test_skipping_the_video_goes_straight_to_priorities(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "choose_prompt")
    journey.skip_video()
    assert journey.state is State.PRIORITIES
    assert "start_take" not in effects.names()
    journey.back()
    assert journey.state is State.CHOOSE_PROMPT, "without a kept answer, back is allowed"


def test_back_from_priorities_keeps_a_kept_answer_and_offers_another_question(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "priorities")
    journey.back()
    assert journey.state is State.CHOOSE_PROMPT
    assert journey.view().kept_take_id == "take-1"
    assert "discard_take" not in effects.names()
    journey.skip_video()  # carry on without another video
    assert journey.state is State.PRIORITIES and journey.view().kept_take_id == "take-1"


def test_back_from_the_tally_and_about_you_goes_one_step_at_a_time(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "about_you")
    journey.back()
    assert journey.state is State.TALLY
    journey.back()
    assert journey.state is State.PRIORITIES
    first = PACK.priority_list_for("adult").items[0].id
    assert journey.view().ticked == (first,), "the ticks as they were"
    journey.toggle_priority(first)
    journey.submit_priorities([])
    assert effects.args_of("save_priorities")[-1][1] == ()
    assert journey.state is State.TALLY


# ---------------------------------------------------------------- consent


def test_a_child_needs_an_adult_to_confirm_when_the_event_says_so(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "consent", "child")
    assert journey.view().needs_adult_confirmation
    journey.give_consent()
    assert journey.state is State.CONSENT
    assert journey.view().notice
    assert "session_started" not in effects.names()
    journey.give_consent(adult_confirmed=True)
    assert journey.state is State.CHOOSE_PROMPT
    assert journey.view().notice is None
    [(session,)] = effects.args_of("session_started")
    assert session.adult_confirmed and session.consent_given


def test_a_child_consents_alone_when_the_event_does_not_ask_for_an_adult(
    clock: FakeClock, effects: RecordingEffects
) -> None:
    journey = Journey(PACK, clock, effects, EventSettings(child_needs_adult_confirmation=False))
    drive(journey, clock, "consent", "child")
    assert not journey.view().needs_adult_confirmation
    journey.give_consent()
    assert journey.state is State.CHOOSE_PROMPT


@pytest.mark.parametrize("look", ["adult", "older"])
def test_grown_ups_never_need_an_adult_confirmation(
    look: Look, journey: Journey, clock: FakeClock
) -> None:
    drive(journey, clock, "consent", look)
    assert not journey.view().needs_adult_confirmation
    journey.give_consent()
    assert journey.state is State.CHOOSE_PROMPT


def test_declining_consent_says_goodbye_and_leaves_nothing(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "consent", "child")
    journey.decline_consent()
    assert journey.view() == JourneyView(state=State.GOODBYE, look="child",
                                         goodbye=Goodbye.DECLINED)
    assert journey.session is None
    clock.advance(SETTINGS.goodbye_seconds - 0.5)
    journey.tick()
    assert journey.state is State.GOODBYE
    clock.advance(0.5)
    journey.tick()
    assert journey.view() == JourneyView(state=State.ATTRACT)
    assert [name for name in effects.names() if name != "speak"] == []


def test_withdrawing_consent_after_going_back_deletes_the_session(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "choose_prompt")
    journey.back()
    assert journey.state is State.CONSENT
    journey.give_consent()
    journey.back()
    journey.decline_consent()
    assert journey.state is State.GOODBYE
    assert effects.names() == ["session_started", "delete_session"]
    [(session,)] = effects.args_of("delete_session")
    assert effects.args_of("session_started") == [(session,)]


def test_going_back_to_welcome_after_consent_deletes_the_session(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "priorities")  # with a kept answer: consent is taken back
    journey.back()
    journey.back()
    journey.back()
    assert journey.state is State.WELCOME
    assert journey.view().session_id is None
    assert [n for n in effects.names() if n in ("session_started", "delete_session",
                                                "abandon_session")] == [
        "session_started", "delete_session"]
    journey.choose_look("older")
    assert journey.view().look == "older"


# ---------------------------------------------------------------- Stop


@pytest.mark.parametrize("situation", STOP_SITUATIONS)
def test_stop_deletes_the_session_on_every_screen_after_consent(
    situation: str, journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, situation)
    session = journey.session
    assert session is not None
    unkept = session.take_id if session.take_id != session.kept_take_id else None
    recording = situation in ("starting", "recording")
    before = len(effects.calls)
    journey.stop_and_delete()
    assert journey.view() == JourneyView(state=State.GOODBYE, look="adult",
                                         goodbye=Goodbye.STOPPED)
    assert journey.session is None
    new = [name for name, _ in effects.calls[before:]]
    assert new[-1] == "delete_session" and new.count("delete_session") == 1
    assert effects.args_of("delete_session") == [(session,)]
    assert "abandon_session" not in effects.names() and "finish_session" not in new
    if recording:
        assert "stop_take" in new
    if unkept is not None:
        assert ("discard_take", (unkept,)) in effects.calls[before:]
    clock.advance(SETTINGS.goodbye_seconds)
    journey.tick()
    assert journey.view() == JourneyView(state=State.ATTRACT)


@pytest.mark.parametrize("situation", ["attract", "welcome", "consent", "thank_you",
                                       "goodbye", "failsafe"])
def test_stop_is_not_offered_before_consent_or_once_the_session_is_finished(
    situation: str, journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, situation)
    state = journey.state
    journey.stop_and_delete()
    assert journey.state is state
    assert "delete_session" not in effects.names()


# ---------------------------------------------------------------- countdown and takes


@pytest.mark.parametrize("look", LOOKS)
def test_recording_never_starts_without_start(
    look: Look, journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "get_ready", look)
    journey.countdown_done()  # a screen's countdown with no "Start" before it: ignored
    idle = PACK.idle_for(look)
    for _ in range(int(idle.idle_seconds + idle.still_there_seconds) + 2):
        clock.advance(1)
        journey.tick()
        assert "start_take" not in effects.names()
    assert journey.state is State.ATTRACT
    drive(journey, clock, "get_ready", look)
    journey.start_recording()
    if PACK.countdown_for(look):
        journey.back()  # "Back" during the countdown: not started after all
        assert journey.state is State.GET_READY
        assert journey.view().countdown_remaining is None
        clock.advance(PACK.countdown_for(look) + 1)
        journey.tick()
        assert "start_take" not in effects.names()
        journey.start_recording()
        clock.advance(PACK.countdown_for(look))
        journey.tick()
    assert journey.state is State.RECORDING
    assert effects.names().count("start_take") == 1



@pytest.mark.parametrize("look", [look for look in LOOKS if PACK.countdown_for(look) > 0])
def test_countdown_per_look_then_recording_starts(
    look: Look, journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    seconds = PACK.countdown_for(look)
    drive(journey, clock, "get_ready", look)
    assert journey.view().countdown_remaining is None, "nothing counts down before Start"
    journey.start_recording()
    seen: list[int | None] = [journey.view().countdown_remaining]
    for _ in range(seconds * 4 - 1):
        clock.advance(0.25)
        journey.tick()
        seen.append(journey.view().countdown_remaining)
    assert journey.state is State.GET_READY
    assert "start_take" not in effects.names()
    assert seen[0] == seconds and seen[-1] == 1
    assert [s for s in sorted(set(seen), reverse=True)] == list(range(seconds, 0, -1))
    clock.advance(0.25)
    journey.tick()
    assert journey.state is State.RECORDING
    [(session, prompt)] = effects.args_of("start_take")
    assert prompt.id == first_prompt(look) and session.prompt_id == prompt.id
    assert journey.view().recording_starting


def test_older_people_have_no_countdown_and_start_when_ready(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    assert PACK.countdown_for("older") == 0
    drive(journey, clock, "get_ready", "older")
    assert journey.view().countdown_remaining is None
    clock.advance(PACK.idle_for("older").idle_seconds - 1)
    journey.tick()
    assert journey.state is State.GET_READY
    assert "start_take" not in effects.names()
    journey.countdown_done()  # there is no countdown to be done
    assert "start_take" not in effects.names()
    journey.start_recording()
    assert journey.state is State.RECORDING
    assert effects.names().count("start_take") == 1


@pytest.mark.parametrize("look", LOOKS)
def test_the_maximum_take_length_stops_the_recording(
    look: Look, journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    limit = take_limit(look)
    drive(journey, clock, "starting", look)
    assert journey.view().seconds_left == math.ceil(limit)
    journey.recording_started("long")
    clock.advance(limit - 1)
    journey.tick()
    view = journey.view()
    assert view.seconds_recorded == limit - 1 and view.seconds_left == 1
    assert "stop_take" not in effects.names()
    clock.advance(1)
    journey.tick()
    assert effects.names().count("stop_take") == 1
    assert journey.view().recording_stopping
    journey.stop_recording()  # the person presses stop as well: nothing more happens
    assert effects.names().count("stop_take") == 1
    journey.recording_finished("long", limit)
    assert journey.state is State.REVIEW


def test_recording_does_not_count_as_idle(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "recording", "child")
    assert PACK.idle_for("child").idle_seconds < take_limit("child") - 3
    for _ in range(int(take_limit("child")) - 3):
        clock.advance(1)
        journey.tick()
    assert journey.state is State.RECORDING
    assert "abandon_session" not in effects.names()


def test_a_recorder_that_never_starts_sends_the_booth_to_the_failsafe(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "starting")
    clock.advance(SETTINGS.recorder_timeout_seconds - 0.5)
    journey.tick()
    assert journey.state is State.RECORDING
    clock.advance(0.5)
    journey.tick()
    assert journey.state is State.FAILSAFE
    assert effects.names()[-2:] == ["stop_take", "abandon_session"]
    # The recorder wakes up late: its take is stopped and deleted straight away.
    journey.recording_started("late-take")
    assert effects.calls[-1] == ("discard_take", ("late-take",))
    assert journey.state is State.FAILSAFE


def test_a_recorder_that_never_stops_sends_the_booth_to_the_failsafe(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "stopping")
    clock.advance(SETTINGS.recorder_timeout_seconds)
    journey.tick()
    assert journey.state is State.FAILSAFE
    assert ("discard_take", ("take-1",)) in effects.calls
    assert effects.names().count("stop_take") == 1, "the stop was already asked for"


def test_retake_discards_the_previous_take(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "review")
    journey.retake()
    assert effects.calls[-1] == ("discard_take", ("take-1",))
    assert journey.state is State.GET_READY
    assert journey.view().countdown_remaining is None, "it waits for Start again"
    assert journey.view().take_id is None
    journey.start_recording()
    assert journey.view().countdown_remaining == PACK.countdown_for("adult")
    journey.countdown_done()
    journey.recording_started("take-2")
    journey.stop_recording()
    journey.recording_finished("take-2", 3.0)
    journey.keep()
    session = journey.session
    assert session is not None
    assert effects.args_of("keep_take") == [(session, "take-2")]
    assert effects.args_of("discard_take") == [("take-1",)]
    assert effects.names().count("start_take") == 2


def test_going_back_from_review_discards_the_take_and_offers_the_prompts_again(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "review")
    journey.back()
    assert journey.state is State.CHOOSE_PROMPT
    assert effects.calls[-1] == ("discard_take", ("take-1",))
    assert journey.view().prompt is None


def test_skipping_the_video_in_review_discards_the_take(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "review")
    journey.skip_video()
    assert journey.state is State.PRIORITIES
    assert effects.calls[-1] == ("discard_take", ("take-1",))
    assert "keep_take" not in effects.names()


def test_a_failed_recording_offers_another_try(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "recording")
    journey.recording_failed("the disk is full")
    assert journey.state is State.CHOOSE_PROMPT
    assert journey.view().notice
    assert effects.names()[-2:] == ["stop_take", "discard_take"]
    assert effects.calls[-1] == ("discard_take", ("take-1",))
    journey.choose_prompt("change")
    assert journey.view().notice is None


def test_a_recorder_answering_straight_away_is_fine(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    effects.on_start_take = lambda: journey.recording_started("quick")
    effects.on_stop_take = lambda: journey.recording_finished("quick", 1.0)
    drive(journey, clock, "get_ready", "older")
    journey.start_recording()
    assert journey.view().take_id == "quick" and not journey.view().recording_starting
    journey.stop_recording()
    assert journey.state is State.REVIEW
    assert journey.view().take_id == "quick"


def test_duplicate_recorder_reports_do_not_touch_the_take(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "review")
    before = list(effects.calls)
    journey.recording_finished("take-1", 2.0)
    journey.recording_started("take-1")
    assert effects.calls == before
    assert journey.state is State.REVIEW


# ---------------------------------------------------------------- idle and walking away


@pytest.mark.parametrize("look", LOOKS)
def test_idle_asks_are_you_still_there_then_gives_up(
    look: Look, journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    idle = PACK.idle_for(look)
    drive(journey, clock, "choose_prompt", look)
    clock.advance(idle.idle_seconds - 0.5)
    journey.tick()
    assert journey.state is State.CHOOSE_PROMPT
    clock.advance(0.5)
    journey.tick()
    view = journey.view()
    assert view.state is State.STILL_THERE and view.interrupted is State.CHOOSE_PROMPT
    assert view.still_there_left == idle.still_there_seconds
    clock.advance(idle.still_there_seconds - 0.5)
    journey.tick()
    assert journey.view().still_there_left == 1
    assert "abandon_session" not in effects.names()
    clock.advance(0.5)
    journey.tick()
    assert journey.view() == JourneyView(state=State.ATTRACT)
    [(session, reason)] = effects.args_of("abandon_session")
    assert session.look == look and reason


@pytest.mark.parametrize("look", LOOKS)
def test_still_here_carries_on_where_they_were(
    look: Look, journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "review", look)
    clock.advance(PACK.idle_for(look).idle_seconds)
    journey.tick()
    assert journey.state is State.STILL_THERE
    journey.still_here()
    assert journey.state is State.REVIEW
    assert journey.view().take_id == "take-1"
    # and the idle time starts again from the answer
    clock.advance(PACK.idle_for(look).idle_seconds - 1)
    journey.tick()
    assert journey.state is State.REVIEW
    assert "discard_take" not in effects.names()


def test_a_touch_resets_the_idle_time(journey: Journey, clock: FakeClock) -> None:
    idle = PACK.idle_for("adult").idle_seconds
    drive(journey, clock, "priorities")
    for _ in range(3):
        clock.advance(idle - 1)
        journey.tick()
        journey.touch()
    assert journey.state is State.PRIORITIES
    clock.advance(idle)
    journey.tick()
    assert journey.state is State.STILL_THERE


def test_the_welcome_screen_uses_the_event_idle_times(
    clock: FakeClock, effects: RecordingEffects
) -> None:
    settings = EventSettings(welcome_idle_seconds=30, welcome_still_there_seconds=10)
    journey = Journey(PACK, clock, effects, settings)
    journey.touch()
    clock.advance(29.9)
    journey.tick()
    assert journey.state is State.WELCOME
    clock.advance(0.1)
    journey.tick()
    view = journey.view()
    assert view.state is State.STILL_THERE and view.interrupted is State.WELCOME
    assert view.still_there_left == 10
    clock.advance(10)
    journey.tick()
    assert journey.state is State.ATTRACT
    assert effects.calls == []


def test_walking_away_mid_take_leaves_no_take_behind(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    """Someone starts recording and leaves: the take stops, is reviewed by nobody,
    and is deleted when the booth gives up on them."""
    drive(journey, clock, "recording")
    effects.on_stop_take = lambda: journey.recording_finished("take-1", take_limit("adult"))
    for _ in range(400):
        clock.advance(0.5)
        journey.tick()
        if journey.state is State.ATTRACT:
            break
    assert journey.state is State.ATTRACT
    names = effects.names()
    assert names.index("stop_take") < names.index("discard_take") < names.index(
        "abandon_session"
    )
    assert effects.args_of("discard_take") == [("take-1",)]
    assert "keep_take" not in names


def test_a_kept_answer_survives_walking_away(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "priorities")
    for _ in range(8):
        clock.advance(60)
        journey.tick()
    assert journey.state is State.ATTRACT
    assert "discard_take" not in effects.names()
    [(session, _reason)] = effects.args_of("abandon_session")
    assert session.kept_take_id == "take-1"


# ---------------------------------------------------------------- priorities and about you


def test_ticking_priorities_up_to_the_maximum(journey: Journey, clock: FakeClock) -> None:
    drive(journey, clock, "priorities", "child")
    plist = PACK.priority_list_for("child")
    ids = [item.id for item in plist.items]
    assert len(ids) > plist.max_ticks
    for item_id in ids:
        journey.toggle_priority(item_id)
    view = journey.view()
    assert view.ticked == tuple(ids[: plist.max_ticks])
    assert view.ticked_count == view.max_ticks == plist.max_ticks
    assert view.notice and str(plist.max_ticks) in view.notice
    journey.toggle_priority(ids[0])
    assert journey.view().ticked == tuple(ids[1 : plist.max_ticks])
    assert journey.view().notice is None
    journey.toggle_priority("not_an_item")
    assert journey.view().ticked == tuple(ids[1 : plist.max_ticks])


@pytest.mark.parametrize(
    "chosen",
    [
        ["parks", "play", "safe"],  # more than max_ticks
        ["parks", "parks"],  # twice
        ["transport"],  # from another look's list
        ["nothing"],
    ],
)
def test_wrong_priorities_are_refused(
    chosen: list[str], journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "priorities", "child")
    journey.submit_priorities(chosen)
    assert journey.state is State.PRIORITIES
    assert "save_priorities" not in effects.names()


def test_no_priorities_at_all_is_an_answer_too(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "priorities")
    journey.submit_priorities([])
    assert journey.state is State.TALLY
    assert effects.args_of("save_priorities")[0][1] == ()


@pytest.mark.parametrize(
    "answers", [{"age_band": "north_ward"}, {"shoe_size": "nine"}, {"area": "atlantis"}]
)
def test_wrong_about_you_answers_are_refused(
    answers: dict[str, str], journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "about_you")
    journey.submit_about_you(answers)
    assert journey.state is State.ABOUT_YOU
    assert "save_about_you" not in effects.names()
    assert "finish_session" not in effects.names()


def test_about_you_may_be_left_empty_or_skipped(
    clock: FakeClock, effects: RecordingEffects
) -> None:
    for leave in (lambda j: j.submit_about_you({}), lambda j: j.skip_about_you()):
        journey = Journey(PACK, clock, effects)
        drive(journey, clock, "about_you")
        leave(journey)
        assert journey.state is State.THANK_YOU
        journey.finish()
    assert "save_about_you" not in effects.names()
    assert effects.names().count("finish_session") == 2


# ---------------------------------------------------------------- the end of a session


def test_thank_you_shows_the_code_then_returns_to_attract_by_itself(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "thank_you")
    assert journey.view().reference_code == "R00001"
    clock.advance(SETTINGS.thank_you_seconds - 0.5)
    journey.tick()
    assert journey.state is State.THANK_YOU
    clock.advance(0.5)
    journey.tick()
    assert journey.view() == JourneyView(state=State.ATTRACT)
    assert "abandon_session" not in effects.names()
    # The next person starts with nothing of the last one.
    journey.touch()
    journey.choose_look("adult")
    view = journey.view()
    assert view.reference_code is None and view.kept_take_id is None and view.ticked == ()
    assert view.session_id != effects.args_of("finish_session")[0][0].session_id


def test_the_thank_you_countdown_extends_on_more_time(
    journey: Journey, clock: FakeClock
) -> None:
    drive(journey, clock, "thank_you")
    assert journey.view().thank_you_left == SETTINGS.thank_you_seconds
    clock.advance(SETTINGS.thank_you_seconds - 5)
    journey.tick()
    assert journey.view().thank_you_left == 5
    journey.more_time()
    assert journey.view().thank_you_left == 5 + SETTINGS.more_time_seconds
    clock.advance(5 + SETTINGS.more_time_seconds - 0.5)
    journey.tick()
    assert journey.state is State.THANK_YOU and journey.view().thank_you_left == 1
    clock.advance(0.5)
    journey.tick()
    assert journey.state is State.ATTRACT
    drive(journey, clock, "thank_you")
    for _ in range(20):  # many presses: longer, but not for ever
        journey.more_time()
    assert journey.view().thank_you_left == SETTINGS.more_time_seconds * 5


def test_older_people_have_longer_to_copy_their_code(
    journey: Journey, clock: FakeClock
) -> None:
    drive(journey, clock, "thank_you", "older")
    assert SETTINGS.older_thank_you_seconds > SETTINGS.thank_you_seconds
    assert journey.view().thank_you_left == SETTINGS.older_thank_you_seconds
    clock.advance(SETTINGS.thank_you_seconds + 1)
    journey.tick()
    assert journey.state is State.THANK_YOU


def test_failsafe_returns_to_attract_by_itself(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "review")
    journey.fail("something broke")
    view = journey.view()
    assert view == JourneyView(state=State.FAILSAFE, failsafe_message=FAILSAFE_MESSAGE)
    assert "something broke" not in FAILSAFE_MESSAGE
    assert effects.names()[-2:] == ["discard_take", "abandon_session"]
    clock.advance(SETTINGS.failsafe_seconds - 0.5)
    journey.tick()
    assert journey.state is State.FAILSAFE
    journey.fail("and again")  # a second failure does not start anything over
    clock.advance(0.5)
    journey.tick()
    assert journey.view() == JourneyView(state=State.ATTRACT)


def test_failing_after_thank_you_does_not_abandon_a_finished_session(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "thank_you")
    journey.fail("screen crashed")
    assert journey.state is State.FAILSAFE
    assert "abandon_session" not in effects.names()
    assert effects.names().count("finish_session") == 1


@pytest.mark.parametrize(
    ("effect", "situation", "event"),
    [
        ("session_started", "consent", "give_consent"),
        ("start_take", "counting", "countdown_done"),
        ("keep_take", "review", "keep"),
        ("save_priorities", "priorities", "submit_priorities"),
        ("finish_session", "about_you", "skip_about_you"),
    ],
)
def test_a_failing_effect_sends_the_booth_to_the_failsafe(
    effect: str,
    situation: str,
    event: str,
    journey: Journey,
    clock: FakeClock,
    effects: RecordingEffects,
    caplog: pytest.LogCaptureFixture,
) -> None:
    drive(journey, clock, situation)
    effects.fail_on.add(effect)
    EVENTS[event](journey)
    assert journey.state is State.FAILSAFE
    assert any(r.exc_info for r in caplog.records), "the failure is logged with its cause"
    if "session_started" in effects.names():
        assert effects.names().count("abandon_session") == 1
    assert journey.session is None


def test_a_failing_clean_up_still_ends_the_session(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "review")
    effects.fail_on.update({"discard_take", "abandon_session", "speak"})
    journey.fail("power")
    assert journey.state is State.FAILSAFE
    assert effects.names()[-2:] == ["discard_take", "abandon_session"]
    clock.advance(SETTINGS.failsafe_seconds)
    journey.tick()
    assert journey.state is State.ATTRACT


# ---------------------------------------------------------------- listeners and strictness


def test_listeners_see_every_change_and_only_changes(
    journey: Journey, clock: FakeClock
) -> None:
    views: list[JourneyView] = []
    unsubscribe = journey.subscribe(views.append)
    assert views == [JourneyView(state=State.ATTRACT)], "a new screen draws at once"
    journey.tick()
    assert len(views) == 1, "nothing changed"
    drive(journey, clock, "get_ready", "child")
    journey.start_recording()
    countdown = PACK.countdown_for("child")
    assert views[-1].countdown_remaining == countdown
    count = len(views)
    clock.advance(0.5)
    journey.tick()
    assert len(views) == count, "the number on screen has not changed yet"
    clock.advance(0.5)
    journey.tick()
    assert len(views) == count + 1 and views[-1].countdown_remaining == countdown - 1
    unsubscribe()
    clock.advance(1)
    journey.tick()
    assert len(views) == count + 1


def test_a_broken_listener_does_not_break_the_journey(
    journey: Journey, journey_log: pytest.LogCaptureFixture
) -> None:
    def broken(view: JourneyView) -> None:
        raise ValueError("screen bug")

    seen: list[JourneyView] = []
    journey.subscribe(broken)
    journey.subscribe(seen.append)
    journey.touch()
    assert journey.state is State.WELCOME
    assert seen[-1].state is State.WELCOME
    assert any(r.exc_info for r in journey_log.records)
    journey_log.clear()


def test_a_strict_journey_raises_for_events_the_screens_should_not_send(
    clock: FakeClock, effects: RecordingEffects
) -> None:
    journey = Journey(PACK, clock, effects, strict=True)
    with pytest.raises(JourneyError, match="keep"):
        journey.keep()
    drive(journey, clock, "choose_prompt", "child")
    with pytest.raises(JourneyError, match="unknown prompt"):
        journey.choose_prompt("remember")  # an older person's prompt
    assert journey.state is State.CHOOSE_PROMPT
    journey.recording_finished("someone-elses", 1.0)  # a recorder race is never an error
    assert effects.calls[-1] == ("discard_take", ("someone-elses",))


def test_unknown_look_is_refused(journey: Journey, clock: FakeClock) -> None:
    drive(journey, clock, "welcome")
    journey.choose_look("robot")  # type: ignore[arg-type]
    assert journey.state is State.WELCOME


def test_the_session_draft_is_what_the_screens_and_store_need(
    journey: Journey, clock: FakeClock
) -> None:
    drive(journey, clock, "tally", "older")
    session = journey.session
    assert isinstance(session, SessionDraft)
    assert session.look == "older"
    assert session.prompt_id == first_prompt("older")
    assert session.kept_take_id == "take-1"
    assert session.priorities == (PACK.priority_list_for("older").items[0].id,)


def test_system_clock_is_monotonic_and_utc() -> None:
    clock = SystemClock()
    first = clock.now()
    assert clock.now() >= first
    assert clock.utcnow().tzinfo is UTC


def test_pack_is_the_test_pack() -> None:
    assert isinstance(PACK, CampaignPack)
    # The per-look numbers differ, so a journey that mixed looks up would be caught.
    assert len({PACK.idle_for(look).idle_seconds for look in LOOKS}) == len(LOOKS)
    assert len({PACK.countdown_for(look) for look in LOOKS}) == len(LOOKS)


# ---------------------------------------------------------------- random walks


ALL_PROMPTS = sorted({p.id for p in PACK.prompts} | {"no_such_prompt"})
ALL_ITEMS = sorted({i.id for plist in PACK.priority_lists for i in plist.items} | {"nothing"})
ALL_ANSWERS = [
    (q.id, o.id) for q in PACK.about_you for o in q.options
] + [("age_band", "north_ward"), ("shoe_size", "nine")]
BREAKABLE = ["session_started", "start_take", "keep_take", "save_priorities", "finish_session",
             "discard_take", "abandon_session", "stop_take"]


class _ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.crashes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.crashes.append(record.getMessage())


class JourneyMachine(RuleBasedStateMachine):
    """Random participants, a random recorder and random failures; the invariants hold."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.effects = RecordingEffects()
        self.journey = Journey(PACK, self.clock, self.effects)
        self.views: list[JourneyView] = []
        self.journey.subscribe(self._seen)
        self.seen_calls = 0
        # the recorder as the app would run it
        self.start_asked = False
        self.running: str | None = None
        self.stop_asked = False
        self.contact = self.clock.now()
        self.take_numbers = iter(range(1, 1_000_000))
        self.sent_takes: set[str] = set()
        self.kept: set[str] = set()
        self.discarded: set[str] = set()
        self.started_sessions: set[str] = set()
        self.ended: dict[str, int] = {}
        self.broke_something = False
        # "Start" pressed on this visit to the get-ready screen: no take without it.
        self.start_pressed = False
        self.last_state = State.ATTRACT
        self.started_unasked = 0
        self.effects.before_start_take = self._check_start_pressed
        self.errors = _ErrorCounter()
        logging.getLogger("booth.journey").addHandler(self.errors)

    def _seen(self, view: JourneyView) -> None:
        self.views.append(view)
        arriving = view.state is State.GET_READY and self.last_state not in (
            State.GET_READY, State.STILL_THERE)
        if arriving or view.state not in (State.GET_READY, State.RECORDING,
                                          State.STILL_THERE):
            self.start_pressed = False
        self.last_state = view.state

    def _check_start_pressed(self) -> None:
        # Noted here, asserted in the invariant: the journey guards what its effects raise.
        if not self.start_pressed:
            self.started_unasked += 1

    def _press_start(self) -> None:
        if self.journey.state is State.GET_READY:
            self.start_pressed = True
        self.journey.start_recording()

    def teardown(self) -> None:
        logging.getLogger("booth.journey").removeHandler(self.errors)

    def _new_take(self) -> str:
        take_id = f"take-{next(self.take_numbers)}"
        self.sent_takes.add(take_id)
        return take_id

    def _digest_calls(self) -> None:
        timeout = SETTINGS.recorder_timeout_seconds
        for index in range(self.seen_calls, len(self.effects.calls)):
            name, args = self.effects.calls[index]
            raised = index in self.effects.raised
            now = self.clock.now()
            if name == "start_take":
                busy = self.start_asked or self.running is not None
                assert not busy or now - self.contact >= timeout, "two takes at once"
                # a recorder silent that long is taken as dead; it starts afresh
                self.start_asked, self.running, self.stop_asked = True, None, False
                self.contact = now
            elif name == "stop_take":
                self.contact = now
                if self.running is not None or self.start_asked:
                    self.stop_asked = True
            elif name == "keep_take" and not raised:
                take_id = args[1]
                assert take_id not in self.kept and take_id not in self.discarded
                self.kept.add(take_id)
            elif name == "discard_take":
                assert args[0] not in self.kept, "a kept answer was thrown away"
                self.discarded.add(args[0])
            elif name == "session_started":
                session_id = args[0].session_id
                assert session_id not in self.started_sessions
                self.started_sessions.add(session_id)
            elif name in ("finish_session", "abandon_session", "delete_session"):
                session_id = args[0].session_id
                assert session_id in self.started_sessions, "ended a session never started"
                if not raised:
                    self.ended[session_id] = self.ended.get(session_id, 0) + 1
                    assert self.ended[session_id] == 1, "a session ended twice"
        self.seen_calls = len(self.effects.calls)

    # the participant

    @rule(
        event=st.sampled_from(
            [
                "touch", "decline_consent", "countdown_done", "start_recording",
                "stop_recording", "keep", "retake", "skip_video", "continue_after_tally",
                "skip_about_you", "finish", "still_here", "back", "stop_and_delete",
                "more_time",
            ]
        )
    )
    def press(self, event: str) -> None:
        if event == "start_recording":
            self._press_start()
        else:
            getattr(self.journey, event)()

    @rule(look=st.sampled_from([*LOOKS, "robot"]))
    def choose_look(self, look: Look) -> None:
        self.journey.choose_look(look)

    @rule(adult=st.booleans())
    def give_consent(self, adult: bool) -> None:
        self.journey.give_consent(adult_confirmed=adult)

    @rule(prompt_id=st.sampled_from(ALL_PROMPTS))
    def choose_prompt(self, prompt_id: str) -> None:
        self.journey.choose_prompt(prompt_id)

    @rule(item=st.sampled_from(ALL_ITEMS))
    def toggle_priority(self, item: str) -> None:
        self.journey.toggle_priority(item)

    @rule(items=st.lists(st.sampled_from(ALL_ITEMS), max_size=4))
    def submit_priorities(self, items: list[str]) -> None:
        self.journey.submit_priorities(items)

    @rule(answers=st.lists(st.sampled_from(ALL_ANSWERS), max_size=2))
    def submit_about_you(self, answers: list[tuple[str, str]]) -> None:
        self.journey.submit_about_you(dict(answers))

    @rule(seconds=st.sampled_from([0.25, 1.0, 3.0, 6.0, 15.0, 45.0, 130.0]))
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.journey.tick()

    @rule(what=st.sampled_from(["fail", *BREAKABLE]))
    def something_goes_wrong(self, what: str) -> None:
        if what == "fail":
            self.journey.fail("random failure")
        else:
            self.effects.fail_once.add(what)
            self.broke_something = True

    @rule(
        steps=st.integers(1, 12),
        look=st.sampled_from(LOOKS),
        at_review=st.sampled_from(["keep", "retake", "skip_video", "pause"]),
        change_of_mind=st.sampled_from(["none", "back", "stop_and_delete"]),
    )
    def cooperate(self, steps: int, look: Look, at_review: str, change_of_mind: str) -> None:
        """A participant (and recorder) doing the obvious next thing, so that random
        walks reach the far end of the journey, not only its first screens; now and then
        they go back a step, or stop, at the end of it."""
        for _ in range(steps):
            self._digest_calls()
            if not self._next_obvious_step(look, at_review):
                return
        if change_of_mind != "none":
            getattr(self.journey, change_of_mind)()

    def _next_obvious_step(self, look: Look, at_review: str) -> bool:
        journey = self.journey
        state = journey.state
        if state is State.GET_READY and journey.view().countdown_remaining is not None:
            journey.countdown_done()
            return True
        if state is State.RECORDING:
            if self.start_asked:
                self.recorder_starts()
            elif self.running is not None and self.stop_asked:
                self.recorder_finishes()
            else:
                journey.stop_recording()
            return True
        if state is State.REVIEW:
            if at_review == "pause":
                return False
            EVENTS[at_review](journey)
            return True
        session = journey.session
        chosen = session.look if session is not None else look
        forward: dict[State, Callable[[], None]] = {
            State.ATTRACT: journey.touch,
            State.WELCOME: lambda: journey.choose_look(look),
            State.CONSENT: lambda: journey.give_consent(adult_confirmed=True),
            State.CHOOSE_PROMPT: lambda: journey.choose_prompt(first_prompt(chosen)),
            State.GET_READY: self._press_start,
            State.PRIORITIES: lambda: journey.submit_priorities(
                [PACK.priority_list_for(chosen).items[0].id]
            ),
            State.TALLY: journey.continue_after_tally,
            State.ABOUT_YOU: journey.skip_about_you,
            State.THANK_YOU: journey.finish,
            State.GOODBYE: journey.finish,
            State.STILL_THERE: journey.still_here,
            State.FAILSAFE: journey.finish,
        }
        forward[state]()
        return True

    # the recorder

    @precondition(lambda self: self.start_asked)
    @rule()
    def recorder_starts(self) -> None:
        self.start_asked = False
        self.running = self._new_take()
        self.journey.recording_started(self.running)
        self._digest_calls()
        if self.stop_asked and self.running is not None:  # stopped before it started
            self.recorder_finishes()

    @precondition(lambda self: self.running is not None and self.stop_asked)
    @rule()
    def recorder_finishes(self) -> None:
        take_id, self.running, self.stop_asked = self.running, None, False
        assert take_id is not None
        self.journey.recording_finished(take_id, 1.0)

    @precondition(lambda self: self.running is not None or self.start_asked)
    @rule()
    def recorder_fails(self) -> None:
        self.running, self.stop_asked, self.start_asked = None, False, False
        self.journey.recording_failed("camera unplugged")

    @rule()
    def recorder_sends_a_stray_start(self) -> None:
        self.journey.recording_started(self._new_take())

    # what must always hold

    @invariant()
    def everything_holds(self) -> None:
        self._digest_calls()
        journey = self.journey
        view = journey.view()
        assert self.views[-1] == view, "listeners saw every change"
        if journey.state is State.ATTRACT:
            assert view == JourneyView(state=State.ATTRACT), "no trace of the last person"
            assert journey.session is None
        if journey.state is State.STILL_THERE:
            assert view.interrupted not in (None, State.STILL_THERE, State.RECORDING)
        assert self.started_unasked == 0, "a take started without Start being pressed"
        if journey.state is State.RECORDING:
            assert self.start_pressed, "recording without Start"
        if journey.state is State.GOODBYE:
            assert journey.session is None and view.session_id is None
        assert view.ticked_count <= view.max_ticks
        if journey.session is None:
            unaccounted = self.sent_takes - self.kept - self.discarded
            assert not unaccounted, f"takes left behind: {unaccounted}"
            for session_id in self.started_sessions:
                ends = self.ended.get(session_id, 0)
                assert ends == 1 or (ends == 0 and self.broke_something), session_id
        if not self.broke_something:
            assert not self.errors.crashes, self.errors.crashes


TestJourneyMachine = JourneyMachine.TestCase
TestJourneyMachine.settings = hypothesis_settings(
    max_examples=200, stateful_step_count=80, deadline=None, derandomize=True, database=None
)


def test_the_next_take_waits_for_the_recorder_to_close_the_last_one(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "stopping")
    journey.fail("screen crashed")  # the last take is still being closed
    clock.advance(SETTINGS.failsafe_seconds)
    journey.tick()
    drive(journey, clock, "get_ready", "older")
    journey.start_recording()
    assert journey.view().recording_starting
    assert effects.names().count("start_take") == 1, "one take at a time"
    journey.recording_finished("take-1", 2.0)  # the old take closes at last
    assert effects.names()[-2:] == ["discard_take", "start_take"]
    journey.recording_started("take-2")
    assert journey.view().take_id == "take-2"


def test_a_recorder_silent_for_too_long_is_taken_as_free(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "stopping")
    journey.fail("screen crashed")
    clock.advance(SETTINGS.failsafe_seconds)
    journey.tick()
    drive(journey, clock, "get_ready", "older")
    journey.start_recording()
    assert effects.names().count("start_take") == 1
    clock.advance(SETTINGS.recorder_timeout_seconds - SETTINGS.failsafe_seconds)
    journey.tick()
    assert effects.names().count("start_take") == 2
    assert journey.state is State.RECORDING
    journey.recording_started("fresh")
    assert journey.view().take_id == "fresh"


def test_review_shows_how_long_the_take_is_and_forgets_it_on_retake(
    journey: Journey, clock: FakeClock
) -> None:
    drive(journey, clock, "review")
    assert journey.view().take_duration_s == 2.0
    journey.retake()
    assert journey.view().take_duration_s is None


def test_a_screen_may_ask_for_anything_to_be_read_aloud(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "priorities")
    idle = PACK.idle_for("adult").idle_seconds
    clock.advance(idle - 1)
    journey.read_aloud("Buses and trains")
    assert effects.calls[-1] == ("speak", ("Buses and trains",))
    clock.advance(idle - 1)
    journey.tick()
    assert journey.state is State.PRIORITIES, "asking to hear something is not being idle"


# ---------------------------------------------------------------- the officer restarts


def test_a_restart_between_participants_brings_the_new_pack_and_event_to_every_subscriber(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    views: list[JourneyView] = []
    journey.subscribe(views.append)
    other = PACK.model_copy(update={"max_take_seconds": 20})
    journey.restart(other, EventSettings(child_needs_adult_confirmation=False))
    assert views[-1] == JourneyView(state=State.ATTRACT) and len(views) == 2  # told again
    journey.touch()
    journey.choose_look("child")
    journey.give_consent()
    assert journey.state is State.CHOOSE_PROMPT, "a child consents alone at this event"
    journey.choose_prompt(first_prompt("child"))
    assert journey.view().seconds_left == 20, "the new pack's limit"


def test_a_restart_is_refused_while_someone_is_using_the_booth(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "welcome")
    with pytest.raises(JourneyError, match="between participants"):
        journey.restart(PACK)
    assert journey.state is State.WELCOME
    journey.fail("test")
    journey.restart(PACK)
    assert journey.state is State.ATTRACT


def test_a_restart_does_not_forget_a_take_still_closing(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    drive(journey, clock, "stopping")
    journey.fail("screen crashed")  # the last take is still being closed
    journey.restart(PACK)
    drive(journey, clock, "get_ready", "older")
    journey.start_recording()
    assert effects.names().count("start_take") == 1, "one take at a time"
    journey.recording_finished("take-1", 2.0)
    assert effects.names()[-2:] == ["discard_take", "start_take"]


def test_a_late_report_of_an_earlier_take_does_not_free_the_recorder_from_ours(
    journey: Journey, clock: FakeClock, effects: RecordingEffects
) -> None:
    """The recorder, silent too long, was taken as free and asked for our take; the old
    take closing at last answers the old stop, not our start."""
    drive(journey, clock, "stopping")
    journey.fail("screen crashed")
    clock.advance(SETTINGS.failsafe_seconds)
    journey.tick()
    drive(journey, clock, "get_ready", "older")
    journey.start_recording()
    clock.advance(SETTINGS.recorder_timeout_seconds - SETTINGS.failsafe_seconds)
    journey.tick()
    assert effects.names().count("start_take") == 2
    journey.recording_finished("take-1", 2.0)
    assert effects.calls[-1] == ("discard_take", ("take-1",))
    clock.advance(SETTINGS.recorder_timeout_seconds)
    journey.tick()
    assert journey.state is State.FAILSAFE, "our start was never answered"
    assert effects.names()[-2:] == ["stop_take", "abandon_session"]
    clock.advance(SETTINGS.failsafe_seconds)
    journey.tick()
    drive(journey, clock, "get_ready", "older")
    journey.start_recording()
    assert effects.names().count("start_take") == 2, "the recorder still owes us a stop"
    journey.recording_failed("camera unplugged")
    assert effects.names().count("start_take") == 3
