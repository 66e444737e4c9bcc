"""The store on a real SQLite file: durability settings, one writer, reconcile, bundles."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from booth.settings import Paths, Settings
from booth.store import (
    PART_SUFFIX,
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    REFERENCE_PREFIX_FILE,
    TAKE_SUFFIX,
    BundleStateError,
    Store,
    StoreError,
    StoreLockedError,
    format_reference,
    lock_holder,
)
from tests.helpers.clock import FakeClock
from tests.helpers.store import keep_a_take, open_consented_session, start_event, write_take_file

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def paths(settings: Settings) -> Paths:
    return settings.paths


@pytest.fixture
def store(paths: Paths) -> Iterator[Store]:
    opened = Store.open(paths, FakeClock())
    yield opened
    opened.close()


def _child(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# ------------------------------------------------------------------ opening


def test_migrations_create_every_table_and_are_idempotent(paths: Paths) -> None:
    with Store.open(paths) as first:
        applied = first.applied_migrations()
        tables = set(first.db.table_names())
    assert applied, "no migration recorded"
    for table in (
        "events", "sessions", "consents", "takes", "priority_ticks", "about_you", "bundles",
        "receipts", "tombstones", "audit_log", "device_meta",
    ):
        assert table in tables
    with Store.open(paths) as second:
        assert second.applied_migrations() == applied
        assert set(second.db.table_names()) == tables


def test_every_connection_is_wal_full_sync_with_foreign_keys(paths: Paths) -> None:
    with Store.open(paths) as store:
        assert store.pragma("journal_mode") == "wal"
        assert store.pragma("synchronous") == 2  # FULL
        assert store.pragma("foreign_keys") == 1
        assert store.pragma("busy_timeout") > 0
        # A second, read-only connection while the writer is open gets the same settings.
        reader = Store.open_read_only(paths)
        try:
            assert reader.pragma("journal_mode") == "wal"
            assert reader.pragma("synchronous") == 2
            assert reader.pragma("foreign_keys") == 1
            assert reader.integrity_check() == "ok"
            with pytest.raises(StoreError):
                reader.audit("nothing", "read-only must refuse")
        finally:
            reader.close()


def test_a_second_booth_on_the_same_folder_is_refused(paths: Paths) -> None:
    first = Store.open(paths)
    try:
        with pytest.raises(StoreLockedError) as caught:
            Store.open(paths)
        message = str(caught.value)
        assert str(paths.data) in message
        assert f"process {os.getpid()}" in message
        assert "Close it first" in message
        assert lock_holder(paths) == os.getpid()
    finally:
        first.close()
    assert lock_holder(paths) is None
    Store.open(paths).close()


def test_a_second_booth_process_is_refused(paths: Paths) -> None:
    with Store.open(paths):
        child = _child(
            f"""
            from pathlib import Path
            from booth.settings import resolve_paths
            from booth.store import Store, StoreLockedError
            try:
                Store.open(resolve_paths({str(paths.data)!r}))
            except StoreLockedError as error:
                print("LOCKED", error)
            else:
                print("OPENED")
            """
        )
        out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert out.startswith("LOCKED")
    assert f"process {os.getpid()}" in out


def test_an_unreadable_database_gives_plain_words_and_frees_the_lock(paths: Paths) -> None:
    paths.database.write_bytes(b"this is not a database at all, " * 200)
    with pytest.raises(StoreError) as caught:
        Store.open(paths)
    assert not isinstance(caught.value, StoreLockedError)
    assert "cannot be read" in str(caught.value)
    assert "booth.sqlite3" in str(caught.value)
    assert lock_holder(paths) is None
    paths.database.unlink()
    Store.open(paths).close()


def test_a_database_with_damaged_pages_is_refused_at_open(paths: Paths) -> None:
    with Store.open(paths) as store:
        event = start_event(store)
        for _ in range(300):
            open_consented_session(store, event)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with paths.database.open("r+b") as handle:
        handle.seek(3 * 4096)
        handle.write(b"\xff" * 4096 * 4)
    with pytest.raises(StoreError, match="cannot be read") as caught:
        Store.open(paths)
    assert "damaged" in str(caught.value)
    assert lock_holder(paths) is None


# ------------------------------------------------------------------ events and sessions


def test_one_current_event_at_a_time(store: Store) -> None:
    assert store.current_event() is None
    first = start_event(store)
    assert store.current_event() == first
    second = store.create_event("Age Friendly forum", "forum", "older", True)
    current = store.current_event()
    assert current is not None and current.id == second.id
    assert current.requires_adult_confirmation
    closed_first = store.get_event(first.id)
    assert closed_first is not None and closed_first.closed_at is not None
    store.close_event(second.id)
    assert store.current_event() is None
    with pytest.raises(ValueError):
        store.create_event("Bad", "party", "child", False)


def test_a_failure_mid_write_leaves_nothing(store: Store) -> None:
    session_id = open_consented_session(store, start_event(store))
    store.save_about_you(session_id, {"age": "65_74", "area": "marple"})
    broken: dict[str, str] = {"age": "75_plus", "area": None}  # type: ignore[dict-item]
    with pytest.raises(Exception, match="NOT NULL"):
        store.save_about_you(session_id, broken)
    assert store.session_detail(session_id).about_you == {"age": "65_74", "area": "marple"}

    take = keep_a_take(store, session_id)
    with pytest.raises(Exception, match="UNIQUE"):
        store.keep_take("other", session_id, "love", take.file_name, take.size, take.sha256, 1.0)
    assert [t.id for t in store.takes_for_session(session_id)] == [take.take_id]


def test_keep_take_refuses_a_missing_or_short_file(store: Store) -> None:
    session_id = open_consented_session(store, start_event(store))
    with pytest.raises(StoreError, match="not there"):
        store.keep_take("t1", session_id, "love", "t1.mp4.age", 10, "0" * 64, 1.0)
    take = write_take_file(store.paths, b"x" * 100)
    with pytest.raises(StoreError, match="100 bytes"):
        store.keep_take(take.take_id, session_id, "love", take.file_name, 99, take.sha256, 1.0)
    assert store.takes_for_session(session_id) == []


def test_reference_codes_are_unique_unambiguous_and_stable(store: Store) -> None:
    event = start_event(store)
    codes = []
    for _ in range(300):
        session_id = open_consented_session(store, event)
        code = store.finish_session(session_id)
        assert store.finish_session(session_id) == code  # asking twice gives the same code
        codes.append(code)
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == REFERENCE_LENGTH
        assert set(code) <= set(REFERENCE_ALPHABET)
        assert not set(code) & set("0O1IL")
    session = store.session_by_reference(codes[0].lower()[:3] + " " + codes[0][3:])
    assert session is not None and session.state == "finished"
    with pytest.raises(StoreError):
        store.save_priorities(session.id, "children", ["parks"])  # finished: no more writes


def test_codes_begin_with_the_prefix_the_council_gave_this_kiosk(store: Store) -> None:
    event = start_event(store)
    before = {store.finish_session(open_consented_session(store, event)) for _ in range(40)}
    assert len({code[:2] for code in before}) > 1  # not enrolled: all six are random
    store.paths.keys.mkdir(parents=True, exist_ok=True)
    (store.paths.keys / REFERENCE_PREFIX_FILE).write_text("K7\n")
    after = [store.finish_session(open_consented_session(store, event)) for _ in range(40)]
    assert all(code.startswith("K7") for code in after)
    assert len(set(after)) == len(after)
    found = store.session_by_reference(format_reference(after[0]).lower())
    assert found is not None and found.reference_code == after[0]
    (store.paths.keys / REFERENCE_PREFIX_FILE).write_text("O0")  # damaged: not used
    assert not store.finish_session(open_consented_session(store, event)).startswith("O0")


def test_session_detail_carries_what_a_bundle_needs(store: Store) -> None:
    session_id = open_consented_session(store, start_event(store), look="older")
    take = keep_a_take(store, session_id)
    store.save_priorities(session_id, "age_friendly", ["buses", "benches", "buses"])
    store.save_priorities(session_id, "age_friendly", ["benches", "toilets"])  # replaces
    store.save_about_you(session_id, {"age": "prefer_not", "area": "bramhall"})
    store.finish_session(session_id)
    detail = store.session_detail(session_id)
    assert detail.session.state == "finished"
    assert detail.consent is not None and detail.consent.look == "older"
    assert detail.consent.adult_confirmed is False
    assert [t.sha256 for t in detail.takes] == [take.sha256]
    assert detail.priorities == {"age_friendly": ["benches", "toilets"]}
    assert detail.about_you == {"age": "prefer_not", "area": "bramhall"}
    assert store.sessions_to_seal() == [session_id]


def test_delete_session_removes_every_row_and_names_its_files(store: Store) -> None:
    session_id = open_consented_session(store, start_event(store))
    take = keep_a_take(store, session_id)
    store.save_priorities(session_id, "children", ["parks"])
    assert store.delete_session(session_id) == [take.file_name]
    assert store.get_session(session_id) is None
    for table in ("consents", "takes", "priority_ticks", "about_you"):
        assert store.db[table].count == 0


# ------------------------------------------------------------------ counts and tally


def test_tally_and_counts_leave_out_withdrawn_answers(store: Store) -> None:
    event = start_event(store)
    choices = [["parks", "libraries"], ["parks"], ["parks", "buses"]]
    codes = []
    for ticks in choices:
        session_id = open_consented_session(store, event)
        keep_a_take(store, session_id)
        store.save_priorities(session_id, "children", ticks)
        codes.append(store.finish_session(session_id))
    other = store.create_event("Elsewhere", "public", "adult", False)
    elsewhere = open_consented_session(store, other, look="adult")
    store.save_priorities(elsewhere, "children", ["parks"])

    assert store.priority_tally(event.id, "children") == {"parks": 3, "buses": 1, "libraries": 1}
    counts = store.event_counts(event.id)
    assert (counts.sessions, counts.video_answers, counts.withdrawn) == (3, 3, 0)

    result = store.withdraw(codes[2], "asked at the desk")
    assert len(result.take_files) == 1
    assert store.priority_tally(event.id, "children") == {"parks": 2, "libraries": 1}
    counts = store.event_counts(event.id)
    assert (counts.sessions, counts.video_answers, counts.withdrawn) == (2, 2, 1)
    assert store.event_counts(other.id).open_sessions == 1


# ------------------------------------------------------------------ bundles


def _sealed_bundle(store: Store) -> tuple[str, str]:
    session_id = open_consented_session(store, start_event(store))
    keep_a_take(store, session_id)
    store.finish_session(session_id)
    bundle_id = uuid.uuid4().hex
    store.add_bundle(bundle_id, session_id, store.next_device_seq(), '{"format": 1}')
    return bundle_id, session_id


def test_bundle_life_from_sealed_to_tombstone(store: Store) -> None:
    bundle_id, session_id = _sealed_bundle(store)
    assert store.takes_for_session(session_id)[0].state == "bundled"
    assert [b.id for b in store.bundles_in_state("sealed")] == [bundle_id]
    store.set_bundle_state(bundle_id, "uploading")
    store.set_bundle_state(bundle_id, "uploading", error="network down; will retry")
    bundle = store.get_bundle(bundle_id)
    assert bundle is not None and bundle.error == "network down; will retry"
    receipt = store.add_receipt(bundle_id, '{"receipt": 1}', via="network")
    assert store.add_receipt(bundle_id, '{"receipt": 2}') == receipt  # replay keeps the first
    assert [b.id for b in store.bundles_in_state("committed")] == [bundle_id]
    tombstone = store.purge_bundle(bundle_id, ["a" * 64, "b" * 64])
    assert store.tombstones() == [tombstone]
    assert tombstone.receipt_json == '{"receipt": 1}'
    assert store.bundles_in_state("sealed", "uploading", "committed") == []


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "purged"),
        ([], "sealed"),
        (["uploading", "committed"], "sealed"),
        (["uploading", "committed", "purged"], "sealed"),
        (["quarantined"], "uploading"),
        ([], "lost"),
    ],
)
def test_bundle_moves_that_make_no_sense_are_refused(
    store: Store, path: list[str], refused: str
) -> None:
    bundle_id, _ = _sealed_bundle(store)
    for state in path:
        if state == "committed":
            store.add_receipt(bundle_id, "{}")
        elif state == "purged":
            store.purge_bundle(bundle_id, [])
        else:
            store.set_bundle_state(bundle_id, state)
    before = store.get_bundle(bundle_id)
    with pytest.raises(BundleStateError):
        store.set_bundle_state(bundle_id, refused)
    assert store.get_bundle(bundle_id) == before


def test_purge_needs_a_receipt(store: Store) -> None:
    bundle_id, _ = _sealed_bundle(store)
    with pytest.raises(BundleStateError, match="receipt"):
        store.purge_bundle(bundle_id, [])


def test_device_sequence_never_repeats(store: Store) -> None:
    bundle_id, _ = _sealed_bundle(store)
    first = store.get_bundle(bundle_id)
    assert first is not None
    store.add_receipt(bundle_id, "{}", via="usb")
    store.purge_bundle(bundle_id, [])
    seqs = [store.next_device_seq() for _ in range(5)]
    assert seqs == sorted(set(seqs))
    assert seqs[0] > first.device_seq
    with pytest.raises(Exception, match="UNIQUE"):
        store.add_bundle("again", "s", first.device_seq, "{}")


def test_withdraw_deletes_unsent_bundles_and_flags_sent_ones(store: Store) -> None:
    unsent, unsent_session = _sealed_bundle(store)
    sent, sent_session = _sealed_bundle(store)
    store.set_bundle_state(sent, "uploading")
    store.add_receipt(sent, "{}")
    unsent_code = store.finish_session(unsent_session)
    sent_code = store.finish_session(sent_session)

    result = store.withdraw(unsent_code, "parent asked")
    assert result.bundles_to_delete == [unsent] and result.bundles_sent == []
    assert store.get_bundle(unsent) is None
    assert store.takes_for_session(unsent_session) == []
    session = store.get_session(unsent_session)
    assert session is not None and session.state == "withdrawn"

    flagged = store.withdraw(sent_code.lower())
    assert flagged.bundles_sent == [sent] and flagged.bundles_to_delete == []
    assert store.withdraw(sent_code).already_withdrawn

    actions = [entry.officer_action for entry in store.audit_log()]
    assert actions.count("withdraw") == 2
    assert "parent asked" in store.audit_log()[-2].detail
    with pytest.raises(StoreError, match="No answers"):
        store.withdraw("ZZZZZZ")


# ------------------------------------------------------------------ reconcile


def test_reconcile_sorts_out_what_a_crash_left(store: Store) -> None:
    paths = store.paths
    event = start_event(store)
    # A kept answer whose file is fine, one whose file vanished, one whose bytes changed.
    fine_session = open_consented_session(store, event)
    fine = keep_a_take(store, fine_session)
    store.finish_session(fine_session)
    missing_session = open_consented_session(store, event)
    missing = keep_a_take(store, missing_session)
    store.finish_session(missing_session)
    (paths.takes / missing.file_name).unlink()
    tampered_session = open_consented_session(store, event)
    tampered = keep_a_take(store, tampered_session, b"\x00" * 5000)
    store.finish_session(tampered_session)
    (paths.takes / tampered.file_name).write_bytes(b"\x01" * 5000)
    # A session the crash left open with a kept answer, and one with nothing kept.
    interrupted = open_consented_session(store, event)
    keep_a_take(store, interrupted)
    abandoned = open_consented_session(store, event)
    # Leftovers: a half-written take, a half-written bundle blob, a file never kept.
    (paths.takes / f"abc{TAKE_SUFFIX}{PART_SUFFIX}").write_bytes(b"half")
    blobs = paths.bundles / "b1" / "blobs"
    blobs.mkdir(parents=True)
    (blobs / f"{'c' * 64}.age{PART_SUFFIX}").write_bytes(b"half")
    write_take_file(paths)

    report = store.reconcile()

    assert report.part_files_deleted == 2
    assert report.orphan_files_deleted == 1
    assert report.takes_quarantined == 2
    assert sorted(report.quarantined_take_ids) == sorted([missing.take_id, tampered.take_id])
    assert (report.sessions_finished_partial, report.sessions_deleted) == (1, 1)
    states = {t.id: t.state for s in (fine_session, missing_session, tampered_session)
              for t in store.takes_for_session(s)}
    assert states == {fine.take_id: "kept", missing.take_id: "quarantined",
                      tampered.take_id: "quarantined"}
    assert (paths.takes / tampered.file_name).exists()  # set aside, never deleted
    partial = store.get_session(interrupted)
    assert partial is not None and partial.state == "partial" and partial.reference_code
    assert store.get_session(abandoned) is None
    assert not list(paths.takes.glob(f"*{PART_SUFFIX}"))
    assert not list(paths.bundles.rglob(f"*{PART_SUFFIX}"))
    on_disk = {p.name for p in paths.takes.iterdir()}
    assert on_disk == {fine.file_name, tampered.file_name, *(
        t.file_name for t in store.takes_for_session(interrupted))}
    assert store.audit_log()[-1].officer_action == "reconcile"
    # A second pass finds nothing more to do.
    assert not store.reconcile().changed


def test_reconcile_clears_folders_of_purged_bundles(store: Store) -> None:
    bundle_id, _ = _sealed_bundle(store)
    folder = store.paths.bundles / bundle_id / "blobs"
    folder.mkdir(parents=True)
    (folder / "x.age").write_bytes(b"ciphertext")
    store.add_receipt(bundle_id, "{}")
    store.purge_bundle(bundle_id, ["x"])
    assert store.reconcile().purged_bundle_folders_deleted == 1
    assert not (store.paths.bundles / bundle_id).exists()


def test_a_kept_answer_survives_sigkill(paths: Paths) -> None:
    child = _child(
        f"""
        import sys, time
        from booth.settings import resolve_paths
        from booth.store import Store
        from tests.helpers.store import keep_a_take, open_consented_session, start_event
        store = Store.open(resolve_paths({str(paths.data)!r}))
        session_id = open_consented_session(store, start_event(store))
        take = keep_a_take(store, session_id, bytes(range(256)) * 400)
        print(session_id, take.take_id, take.file_name, take.sha256, flush=True)
        time.sleep(60)
        """
    )
    assert child.stdout is not None
    line = child.stdout.readline().split()
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    session_id, take_id, file_name, sha256 = line

    with Store.open(paths) as store:  # the dead process's lock is gone with it
        assert store.integrity_check() == "ok"
        report = store.reconcile()
        assert report.takes_quarantined == 0
        assert report.sessions_finished_partial == 1
        takes = store.takes_for_session(session_id)
        assert [(t.id, t.state, t.sha256) for t in takes] == [(take_id, "kept", sha256)]
        data = (paths.takes / file_name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha256
        assert data == bytes(range(256)) * 400


def test_threads_share_one_store_safely(store: Store) -> None:
    import threading

    event = start_event(store)
    codes: list[str] = []
    errors: list[BaseException] = []

    def participant_after_participant() -> None:
        try:
            for _ in range(25):
                session_id = open_consented_session(store, event)
                store.save_priorities(session_id, "children", ["parks"])
                codes.append(store.finish_session(session_id))
        except BaseException as error:  # surfaced below
            errors.append(error)

    workers = [threading.Thread(target=participant_after_participant) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert errors == []
    assert len(set(codes)) == 100
    assert store.priority_tally(event.id, "children") == {"parks": 100}
