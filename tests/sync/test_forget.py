"""The kiosk forgets what it has delivered: once the council's receipt is verified, no row
says who answered; the tally keeps its numbers and a withdrawal is still recognised."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from booth.settings import Paths, Settings
from booth.store import Event, Store, format_reference
from booth.store.database import MIGRATIONS, _connect
from booth.sync import seal
from booth.sync.export import accept_receipts_in, export_bundles
from council.importer import import_folder
from tests.helpers.clock import FakeClock
from tests.helpers.council import CouncilServer, running_council
from tests.helpers.store import open_consented_session
from tests.helpers.sync import Kiosk, enrolled_kiosk, record_encrypted_take

EVENT_NAME = "Hillside Primary marker day"
AGE, AREA = "age-marker-7to9", "area-marker-hillside"
PER_PERSON_TABLES = ("sessions", "consents", "takes", "priority_ticks", "about_you")
TIME_OF_DAY = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# Officer actions and schema changes are not people's answers.
NOT_ABOUT_PEOPLE = ("audit_log", "_sqlite_migrations")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[CouncilServer]:
    with running_council(tmp_path / "council") as running:
        yield running


@pytest.fixture
def kiosk(settings: Settings, server: CouncilServer) -> Iterator[Kiosk]:
    with enrolled_kiosk(settings.paths, server) as made:
        yield made


def _answer(kiosk: Kiosk, event: Event, ticks: list[str], videos: int = 0,
            partial: bool = False) -> tuple[str, str]:
    store = kiosk.store
    session_id = open_consented_session(store, event)
    for _ in range(videos):
        record_encrypted_take(store, session_id, kiosk.credential.recipients)
    store.save_priorities(session_id, "children", ticks)
    store.save_about_you(session_id, {"age": AGE, "area": AREA})
    return session_id, store.finish_session(session_id, partial=partial)


def _rows_with_traces(database: Path, secrets: list[str]) -> list[str]:
    """Every value in every table of the SQLite file that says something about a person."""
    found: list[str] = []
    with sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'table'")]
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            if table in PER_PERSON_TABLES and rows:
                found.append(f"{table}: {len(rows)} rows")
            for row in rows:
                for value in row:
                    text = str(value)
                    found += [f"{table}: {secret!r}" for secret in secrets if secret in text]
                    # The council's signed receipt is scanned too: it says the day only.
                    if table not in NOT_ABOUT_PEOPLE and TIME_OF_DAY.search(text):
                        found.append(f"{table}: a time of day in {text[:60]!r}")
    return found


def _files_with_traces(folder: Path, secrets: list[str]) -> list[str]:
    """Every file under the data folder holding any of ``secrets``, byte for byte (free
    pages and the write-ahead log included), and every file left in takes/ or bundles/."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path.name}: {s!r}" for s in secrets if s.encode() in data]
        where = path.relative_to(folder)
        if where.parts[0] in ("takes", "bundles"):
            found.append(f"{where} is still there")
    return found


def test_a_delivered_data_folder_holds_no_per_person_row(
    kiosk: Kiosk, server: CouncilServer, settings: Settings, tmp_path: Path
) -> None:
    store = kiosk.store
    school = store.create_event(EVENT_NAME, "school", "child", False)
    answered = [
        _answer(kiosk, school, ["parks", "libraries"], videos=1),
        _answer(kiosk, school, ["parks"], videos=2),
        _answer(kiosk, school, ["buses", "parks"], partial=True),
        _answer(kiosk, school, ["libraries"]),
    ]
    tally_before = store.priority_tally(school.id, "children")
    counts_before = store.event_counts(school.id)
    assert tally_before == {"parks": 3, "libraries": 2, "buses": 1}
    bundles = seal.seal_pending(store, kiosk.paths, kiosk.device, kiosk.credential)
    assert len(bundles) == 4

    # Two go over the network (the uploader's purge), two on a USB stick (its receipts).
    stick = tmp_path / "stick"
    assert export_bundles(store, settings, stick).exported == bundles
    for bundle_id in bundles[2:]:
        store.set_bundle_state(bundle_id, "quarantined", "kept back for the stick")
    assert kiosk.uploader().run().committed == bundles[:2]
    for bundle_id in bundles[2:]:
        store.set_bundle_state(bundle_id, "sealed")
    assert import_folder(stick, server.keys, server.storage).ok
    by_usb = accept_receipts_in(store, settings, kiosk.credential, stick)
    assert sorted(by_usb.accepted) == sorted(bundles[2:])
    assert sorted(by_usb.already) == sorted(bundles[:2])
    assert [b.state for b in store.bundles_in_state("purged")] == ["purged"] * 4

    # The people still at the event see the same numbers as before.
    assert store.priority_tally(school.id, "children") == tally_before
    counts = store.event_counts(school.id)
    assert (counts.sessions, counts.video_answers, counts.partial_sessions, counts.withdrawn) \
        == (counts_before.sessions, counts_before.video_answers,
            counts_before.partial_sessions, counts_before.withdrawn) == (4, 3, 1, 0)
    assert counts.committed_bundles == 4 and counts.pending_bundles == 0
    assert store.get_event(school.id).name == EVENT_NAME  # type: ignore[union-attr]

    store.close_event(school.id)  # the end of the day: the officer's event name goes too
    event = store.get_event(school.id)
    assert event is not None and event.name == "" and event.closed_at == event.created_at[:10]
    tombstones = store.tombstones()
    assert len(tombstones) == 4
    assert all(len(t.sealed_at) == len(t.committed_at) == len(t.purged_at) == 10
               for t in tombstones)

    secrets = [EVENT_NAME, AGE, AREA]
    for session_id, code in answered:
        secrets += [session_id, code, format_reference(code)]
    assert _rows_with_traces(kiosk.paths.database, secrets) == []
    assert _files_with_traces(kiosk.paths.data, secrets) == []
    store.close()
    assert _files_with_traces(kiosk.paths.data, secrets) == []


def test_a_withdrawal_after_delivery_is_still_recognised(kiosk: Kiosk) -> None:
    store = kiosk.store
    event = store.create_event("Library drop-in", "public", "adult", False)
    session_id, code = _answer(kiosk, event, ["parks"], videos=1)
    withdrawn_on_the_way, other_code = _answer(kiosk, event, ["buses"])
    [first, second] = seal.seal_pending(store, kiosk.paths, kiosk.device, kiosk.credential)
    store.set_bundle_state(second, "uploading")
    # Withdrawn while its bundle was on its way: the session is withdrawn, then delivered.
    assert store.withdraw(other_code).bundles_sent == [second]
    assert sorted(kiosk.uploader().run().committed) == sorted([first, second])
    assert store.get_session(session_id) is None and store.get_session(withdrawn_on_the_way) \
        is None
    assert store.event_counts(event.id).withdrawn == 1

    result = store.withdraw(format_reference(code).lower(), "phoned in")
    assert result.bundles_sent == [first] and not result.already_withdrawn
    assert result.take_files == [] and result.bundles_to_delete == []
    assert store.withdraw(code).already_withdrawn
    assert store.withdraw(other_code).already_withdrawn
    assert "phoned in" in store.audit_log()[-1].detail
    with pytest.raises(Exception, match="No answers"):
        store.withdraw("K7M-4RH")


def test_a_new_code_never_repeats_one_already_delivered(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from booth.store import sessions

    store = kiosk.store
    event = store.create_event("Market stall", "public", "adult", False)
    _session, delivered = _answer(kiosk, event, ["parks"])
    seal.seal_pending(store, kiosk.paths, kiosk.device, kiosk.credential)
    assert len(kiosk.uploader().run().committed) == 1
    drawn = iter([delivered, delivered, "K7M4RH"])
    monkeypatch.setattr(sessions, "new_reference_code", lambda _prefix=None: next(drawn))
    assert _answer(kiosk, event, ["buses"])[1] == "K7M4RH"


def test_an_event_keeps_its_name_while_it_runs_and_loses_it_when_nothing_is_held(
    settings: Settings,
) -> None:
    with Store.open(settings.paths, FakeClock()) as store:
        empty = store.create_event("Nobody came", "public", "adult", False)
        running = store.create_event("Still going", "public", "adult", False)
        assert store.get_event(empty.id).name == ""  # type: ignore[union-attr]
        assert store.get_event(running.id).name == "Still going"  # type: ignore[union-attr]
        session_id = open_consented_session(store, running)
        store.finish_session(session_id)
        store.close_event(running.id)
        # Closed, but a session is still held (not delivered yet): the name stays.
        assert store.get_event(running.id).name == "Still going"  # type: ignore[union-attr]


def _old_data_folder(paths: Paths) -> tuple[str, str, str]:
    """A data folder as the booth left it before it forgot delivered sessions: one
    session delivered and purged, every row of it still there. (event, session, code)"""
    paths.create()
    conn = _connect(paths.database)
    db = Database(conn)
    MIGRATIONS.apply(db, stop_before="0002_forget_delivered")
    event_id, session_id, bundle_id = (uuid.uuid4().hex for _ in range(3))
    at = "2026-03-14T10:02:03.123456+00:00"
    with db.atomic():
        db.execute("INSERT INTO events (id, name, kind, default_look, created_at, closed_at)"
                   " VALUES (?, ?, 'school', 'child', ?, ?)", [event_id, EVENT_NAME, at, at])
        db.execute("INSERT INTO sessions (id, event_id, look, state, reference_code,"
                   " started_at, finished_at) VALUES (?, ?, 'child', 'finished', 'K7M4RH', ?, ?)",
                   [session_id, event_id, at, at])
        db.execute("INSERT INTO consents VALUES (?, 'child', 'w', 'p', 'd', 0, ?)",
                   [session_id, at])
        for item in ("parks", "buses"):
            db.execute("INSERT INTO priority_ticks VALUES (?, 'children', ?)",
                       [session_id, item])
        db.execute("INSERT INTO about_you VALUES (?, 'area', ?)", [session_id, AREA])
        db.execute("INSERT INTO bundles VALUES (?, ?, 1, 'purged', '{}', NULL, ?, ?)",
                   [bundle_id, session_id, at, at])
        db.execute("INSERT INTO receipts VALUES (?, '{}', 'network', ?)", [bundle_id, at])
        db.execute("INSERT INTO tombstones VALUES (?, 1, '[]', '{}', ?, ?, ?)",
                   [bundle_id, at, at, at])
    conn.close()
    return event_id, session_id, bundle_id


def test_opening_an_older_data_folder_forgets_what_it_had_delivered(settings: Settings) -> None:
    event_id, session_id, bundle_id = _old_data_folder(settings.paths)
    with Store.open(settings.paths, FakeClock()) as store:
        assert "0002_forget_delivered" in store.applied_migrations()
        assert store.get_session(session_id) is None
        assert store.priority_tally(event_id, "children") == {"buses": 1, "parks": 1}
        assert store.event_counts(event_id).sessions == 1
        assert store.get_event(event_id).name == ""  # type: ignore[union-attr]
        [tombstone] = store.tombstones()
        assert tombstone.purged_at == "2026-03-14"
        found = _rows_with_traces(settings.paths.database, [EVENT_NAME, AREA, session_id,
                                                            "K7M4RH"])
        assert found == []
        assert store.withdraw("k7m-4rh").bundles_sent == [bundle_id]
