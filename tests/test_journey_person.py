"""What a person chooses for themselves in the journey, and what resets for the next one:
their language (the booth's words and the pack's), their way of answering (video, blurred
video, voice), and what they are told while a lost camera comes back."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from booth import i18n
from booth.journey import EventSettings, Journey, State
from booth.journey.model import ADULT_NEEDED
from booth.journey.recording import CAMERA_AWAY, CAMERA_BACK, CAMERA_FAILED, RECORDING_FAILED
from booth.pack import CampaignPack, default_pack_path, load_pack
from tests.helpers.clock import FakeClock
from tests.helpers.journey import RecordingEffects

SHIPPED = load_pack(default_pack_path())


def _journey(default_language: str | None = None, pack: CampaignPack = SHIPPED,
             ) -> tuple[Journey, RecordingEffects, FakeClock]:
    clock, effects = FakeClock(), RecordingEffects()
    journey = Journey(pack, clock, effects, EventSettings(default_language=default_language))
    takes = iter(range(1, 100))
    effects.on_start_take = lambda: journey.recording_started(f"take{next(takes)}")
    return journey, effects, clock


def _to_questions(journey: Journey, look: str = "adult", language: str | None = None) -> None:
    journey.touch()
    if language is not None:
        journey.choose_language(language)
    journey.choose_look(look)  # type: ignore[arg-type]
    journey.give_consent(adult_confirmed=True)
    assert journey.state is State.CHOOSE_PROMPT


def _finish(journey: Journey) -> None:
    journey.skip_video()
    journey.submit_priorities([])
    journey.continue_after_tally()
    if journey.state is State.ABOUT_YOU:
        journey.skip_about_you()
    assert journey.state is State.THANK_YOU
    journey.finish()


def _stop(journey: Journey) -> None:
    journey.stop_and_delete()
    journey.finish()


def _walk_away(journey: Journey, clock: FakeClock) -> None:
    idle = SHIPPED.idle_for("adult")
    clock.advance(idle.idle_seconds + 1)
    journey.tick()
    clock.advance(idle.still_there_seconds + 1)
    journey.tick()


# ---------------------------------------------------------------- language


@pytest.mark.parametrize("leaves", ["finishes", "stops", "walks away"])
def test_a_persons_language_is_theirs_alone_and_the_next_starts_in_the_events(
    leaves: str,
) -> None:
    journey, _, clock = _journey(default_language="pl")
    assert journey.view().language == "pl" and i18n.current() == "pl"
    assert journey.view().languages == ("en", "ur", "pl", "ar")
    _to_questions(journey, language="ur")
    view = journey.view()
    urdu = SHIPPED.in_language("ur")
    assert view.language == "ur" and i18n.current() == "ur"
    assert [p.text for p in view.prompts] == [p.text for p in urdu.prompts_for("adult")]
    assert view.consent == urdu.consent_for("adult")
    assert journey.session is not None and journey.session.language == "ur"
    if leaves == "finishes":
        _finish(journey)
    elif leaves == "stops":
        _stop(journey)
    else:
        _walk_away(journey, clock)
    assert journey.state is State.ATTRACT
    assert journey.view().language == "pl" and i18n.current() == "pl"


def test_without_an_event_language_people_start_in_the_packs() -> None:
    journey, _, _ = _journey()
    assert journey.view().language == SHIPPED.default_language == i18n.current()


def test_an_event_language_the_pack_lacks_gives_the_packs_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    journey, _, _ = _journey(default_language="so")
    assert journey.view().language == SHIPPED.default_language
    assert "not one of the pack's" in caplog.text


def test_a_language_is_chosen_on_the_welcome_screen_and_only_one_the_pack_has() -> None:
    journey, _, _ = _journey()
    journey.choose_language("ur")  # on the attract screen: ignored
    assert journey.view().language == "en"
    journey.touch()
    journey.choose_language("so")  # no Somali in the pack
    assert journey.view().language == "en" and journey.state is State.WELCOME
    journey.choose_language("ar")
    journey.choose_look("adult")
    journey.choose_language("pl")  # too late: the consent is in Arabic
    assert journey.view().language == "ar"


def test_notices_and_spoken_words_are_in_the_persons_language() -> None:
    journey, effects, _ = _journey(default_language="ur")
    journey.touch()
    journey.choose_look("child")
    journey.give_consent(adult_confirmed=False)  # the grown-up has not said yes
    assert journey.view().notice == i18n.catalogue("ur").tr(ADULT_NEEDED)
    assert journey.view().notice != ADULT_NEEDED
    spoken = [args[0] for name, args in effects.calls if name == "speak"]
    assert spoken == [SHIPPED.in_language("ur").consent_for("child").spoken]


# ---------------------------------------------------------------- ways to answer


def test_the_way_to_answer_is_chosen_before_start_and_the_next_person_has_video() -> None:
    journey, _, _ = _journey()
    _to_questions(journey)
    assert journey.view().answer_kind == "video"
    journey.choose_answer_kind("voice")
    assert journey.view().answer_kind == "voice"
    journey.choose_prompt(SHIPPED.prompts_for("adult")[0].id)
    journey.choose_answer_kind("video_blurred")  # on the get-ready screen too
    journey.start_recording()  # the countdown runs: the choice is made
    journey.choose_answer_kind("voice")
    journey.choose_answer_kind("sideways")  # type: ignore[arg-type]
    assert journey.view().answer_kind == "video_blurred"
    journey.countdown_done()
    assert journey.state is State.RECORDING
    journey.stop_and_delete()
    journey.finish()
    _to_questions(journey)
    assert journey.view().answer_kind == "video"


# ---------------------------------------------------------------- the camera


def _record(journey: Journey) -> None:
    journey.choose_prompt(SHIPPED.prompts_for("older")[0].id)
    journey.start_recording()  # the older look has no countdown
    assert journey.state is State.RECORDING and journey.view().take_id is not None


Order = Callable[[Journey], None]


def _lost_then_failed(journey: Journey) -> None:
    journey.camera_lost()
    journey.recording_failed("camera lost", camera=True)


def _failed_then_lost(journey: Journey) -> None:
    journey.recording_failed("camera lost", camera=True)
    journey.camera_lost()


@pytest.mark.parametrize("lost", [_lost_then_failed, _failed_then_lost],
                         ids=["lost, then the take ends", "the take ends, then lost"])
def test_a_camera_lost_mid_take_is_said_and_the_same_person_records_again(lost: Order) -> None:
    journey, effects, _ = _journey(default_language="ar")
    words = i18n.catalogue("ar")
    _to_questions(journey, "older")
    session = journey.session
    _record(journey)
    lost(journey)
    view = journey.view()
    assert journey.state is State.CHOOSE_PROMPT and view.camera_away
    assert view.notice == words.tr(CAMERA_AWAY)  # wait, or answer with the voice
    journey.choose_answer_kind("voice")
    assert journey.view().notice is None  # a voice answer needs no camera
    journey.choose_answer_kind("video")
    journey.camera_back()
    view = journey.view()
    assert not view.camera_away and view.notice == words.tr(CAMERA_BACK)
    _record(journey)  # the same person tries again
    assert journey.session is session and len(effects.args_of("start_take")) == 2
    journey.stop_and_delete()
    journey.finish()
    journey.touch()
    assert not journey.view().camera_away  # the next person starts afresh


def test_a_missing_camera_and_other_failures_say_what_happened() -> None:
    journey, _, _ = _journey()
    _to_questions(journey, "older")
    _record(journey)
    journey.recording_failed("No camera was found.", camera=True)
    assert journey.view().notice == CAMERA_FAILED  # answer with the voice, or carry on
    _record(journey)
    journey.recording_failed("There is no space left.")
    assert journey.view().notice == RECORDING_FAILED
    journey.camera_back()  # nothing was lost: nothing to say
    assert journey.view().notice == RECORDING_FAILED


def test_the_camera_coming_and_going_is_not_a_touch() -> None:
    journey, _, clock = _journey()
    _to_questions(journey, "older")
    idle = SHIPPED.idle_for("older").idle_seconds
    clock.advance(idle - 1)
    journey.camera_lost()
    journey.camera_back()
    clock.advance(2)
    journey.tick()
    assert journey.state is State.STILL_THERE
