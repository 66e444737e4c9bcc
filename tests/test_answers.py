"""A participant's answers in the store, and the one hand-over of a session that ends."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import pytest

from booth.answers import Answers
from booth.journey import SessionDraft
from booth.pack import CampaignPack, Look, default_pack_path, load_pack
from booth.settings import Settings
from booth.store import Store
from tests.helpers.clock import FakeClock
from tests.helpers.store import keep_a_take


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


def _answer(answers: Answers, clock: FakeClock, look: Look, items: list[str],
            finish: bool = True) -> SessionDraft:
    draft = SessionDraft(uuid.uuid4().hex, look, clock.utcnow(), consent_given=True)
    answers.session_started(draft)
    answers.save_priorities(draft, items)
    draft.priorities = tuple(items)
    if finish:
        answers.finish_session(draft)
    return draft


def _deliver(store: Store, session_id: str) -> None:
    """Seal, send and purge: the kiosk forgets the session, keeping only counts."""
    bundle_id = uuid.uuid4().hex
    store.add_bundle(bundle_id, session_id, store.next_device_seq(), '{"format": 1}')
    store.add_receipt(bundle_id, '{"receipt": 1}')
    store.purge_bundle(bundle_id, [])
    assert store.get_session(session_id) is None


def test_the_tally_stays_hidden_below_five_people_of_a_look(
    store: Store, settings: Settings, pack: CampaignPack
) -> None:
    clock = FakeClock()
    answers = Answers(store, settings.paths, pack, clock)
    store.create_event("Market day", "public", "adult", False)
    adults = pack.priority_list_for("adult")
    older = pack.priority_list_for("older")
    first, second = adults.items[0].id, adults.items[1].id
    for _ in range(7):  # many older people: they do not make the adults' bars appear
        _answer(answers, clock, "older", [older.items[0].id])
    _answer(answers, clock, "adult", [])  # no ticks: nobody behind any bar
    delivered = [_answer(answers, clock, "adult", [first, second]) for _ in range(2)]
    for draft in delivered:
        _deliver(store, draft.session_id)
    _answer(answers, clock, "adult", [first])
    assert answers.tally(adults.id) == ({}, 3)
    fourth = _answer(answers, clock, "adult", [second], finish=False)  # looking at it now
    assert answers.tally(adults.id) == ({}, 4), "four people: their choices stay hidden"
    answers.delete_session(fourth)  # they stop: gone from the count too
    assert answers.tally(adults.id) == ({}, 3)
    _answer(answers, clock, "adult", [second])
    _answer(answers, clock, "adult", [first, second], finish=False)
    counts, people = answers.tally(adults.id)
    assert people == 5, "the count shown is the people behind the bars"
    assert dict(counts) == {first: 4, second: 4}
    assert all(count <= people for count in counts.values())
    assert answers.tally(older.id) == ({older.items[0].id: 7}, 7)


def test_stop_deletes_an_open_session_with_its_kept_takes_but_not_a_finished_one(
    store: Store, settings: Settings, pack: CampaignPack
) -> None:
    clock = FakeClock()
    handed: list[str] = []
    answers = Answers(store, settings.paths, pack, clock, hand_over=handed.append)
    draft = _answer(answers, clock, "older", [pack.priority_list_for("older").items[0].id],
                    finish=False)
    take = keep_a_take(store, draft.session_id)
    answers.save_about_you(draft, {"older_age": "age_70_74"})
    kept = settings.paths.takes / take.file_name
    assert kept.exists()
    answers.delete_session(draft)
    assert store.get_session(draft.session_id) is None and not kept.exists()
    assert handed == []
    finished = _answer(answers, clock, "adult", [])
    answers.delete_session(finished)  # already handed over to be sent: withdrawn by code
    session = store.get_session(finished.session_id)
    assert session is not None and session.state == "finished"


@pytest.mark.parametrize("language", ["en", "ur", "ar"])
def test_the_consent_record_keeps_the_language_and_the_wording_read_in_it(
    store: Store, settings: Settings, pack: CampaignPack, language: str
) -> None:
    clock = FakeClock()
    answers = Answers(store, settings.paths, pack, clock)
    draft = SessionDraft(uuid.uuid4().hex, "child", clock.utcnow(), language=language,
                         consent_given=True, adult_confirmed=True)
    answers.session_started(draft)
    consent = store.session_detail(draft.session_id).consent
    words = pack.in_language(language)
    wording = words.consent_for("child").text
    assert consent is not None and consent.language == language
    assert consent.wording_digest == hashlib.sha256(wording.encode("utf-8")).hexdigest()
    assert consent.pack_id == pack.id and consent.pack_digest == words.digest
    assert (consent.pack_digest == pack.digest) is (language == pack.language)
