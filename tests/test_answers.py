"""A participant's answers in the store, and the one hand-over of a session that ends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from booth.answers import Answers
from booth.journey import SessionDraft
from booth.pack import CampaignPack, default_pack_path, load_pack
from booth.settings import Settings
from booth.store import Store
from tests.helpers.clock import FakeClock


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings.paths, FakeClock())
    yield opened
    opened.close()


@pytest.fixture
def pack() -> CampaignPack:
    return load_pack(default_pack_path())


def _consented(answers: Answers, clock: FakeClock) -> SessionDraft:
    draft = SessionDraft(uuid.uuid4().hex, "adult", clock.utcnow(), consent_given=True)
    answers.session_started(draft)
    return draft


def test_a_finished_session_is_handed_over_once_with_its_answers(
    store: Store, settings: Settings, pack: CampaignPack
) -> None:
    clock = FakeClock()
    handed: list[str] = []
    answers = Answers(store, settings.paths, pack, clock, hand_over=handed.append)
    draft = _consented(answers, clock)
    plist = pack.priority_list_for("adult")
    answers.save_priorities(draft, [plist.items[0].id])
    draft.priorities = (plist.items[0].id,)
    code = answers.finish_session(draft)
    session = store.get_session(draft.session_id)
    assert session is not None and session.state == "finished" and session.reference_code == code
    assert handed == [draft.session_id]
    assert store.session_detail(draft.session_id).priorities == {plist.id: [plist.items[0].id]}


def test_someone_who_leaves_after_ticking_keeps_their_ticks_and_is_handed_over(
    store: Store, settings: Settings, pack: CampaignPack
) -> None:
    clock = FakeClock()
    handed: list[str] = []
    answers = Answers(store, settings.paths, pack, clock, hand_over=handed.append)
    draft = _consented(answers, clock)
    answers.save_priorities(draft, [])
    draft.priorities = ()  # no ticks at all is an answer too
    answers.abandon_session(draft, "nobody there")
    session = store.get_session(draft.session_id)
    assert session is not None and session.state == "partial"
    assert handed == [draft.session_id]


def test_someone_who_leaves_before_answering_leaves_nothing(
    store: Store, settings: Settings, pack: CampaignPack
) -> None:
    clock = FakeClock()
    handed: list[str] = []
    answers = Answers(store, settings.paths, pack, clock, hand_over=handed.append)
    draft = _consented(answers, clock)
    answers.abandon_session(draft, "went back")
    assert store.get_session(draft.session_id) is None
    assert handed == []


def test_a_booth_not_enrolled_keeps_finished_sessions_waiting_to_be_sealed(
    store: Store, settings: Settings, pack: CampaignPack
) -> None:
    clock = FakeClock()
    answers = Answers(store, settings.paths, pack, clock)
    draft = _consented(answers, clock)
    answers.finish_session(draft)
    assert store.sessions_to_seal() == [draft.session_id]
