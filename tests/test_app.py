"""The composition root: what build_kiosk wires, and how run_kiosk starts and stops."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from booth import i18n
from booth.app import (
    EXIT_LOCKED,
    EXIT_OK,
    build_kiosk,
    event_settings,
    failsafe_listener,
    run_kiosk,
)
from booth.journey import State
from booth.logs import add_error_listener, install_excepthook, remove_error_listener
from booth.settings import Settings
from booth.store import Store
from booth.ui.speech import SilentSpeaker
from tests.helpers.ui import NO_MEDIA_HARDWARE

pytestmark = [
    pytest.mark.qt_log_ignore(*NO_MEDIA_HARDWARE),
    pytest.mark.timeout(120),
]


def test_a_second_booth_on_the_same_folder_says_so_plainly(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    first = Store.open(settings.paths)
    try:
        code = run_kiosk(settings.with_changes(demo=False), quit_after=0.1)
    finally:
        first.close()
    err = capsys.readouterr().err
    assert code == EXIT_LOCKED
    assert "Another booth is already using the data folder" in err
    assert "Traceback" not in err


def test_a_bad_pack_falls_back_to_the_default_and_tells_the_officer(
    qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('format_version = 1\nid = "Not An Id"\n')
    kiosk = build_kiosk(settings.with_changes(pack_path=broken), speaker=SilentSpeaker())
    try:
        qtbot.addWidget(kiosk.window)
        assert kiosk.pack.id == "one_stockport"
        assert kiosk.pack_error is not None and "broken.toml" in str(kiosk.pack_error)
        status = kiosk.window.officer.backend.status()
        assert status.pack_problem is not None and "broken.toml" in status.pack_problem
        assert kiosk.journey.state is State.ATTRACT
    finally:
        kiosk.window.allow_close()
        kiosk.close()


def test_an_error_on_any_thread_sends_the_journey_to_the_failsafe_screen(
    qtbot: QtBot, settings: Settings
) -> None:
    kiosk = build_kiosk(settings, speaker=SilentSpeaker())
    qtbot.addWidget(kiosk.window)
    listener = failsafe_listener(kiosk)
    install_excepthook()
    add_error_listener(listener)
    try:
        kiosk.journey.touch()
        kiosk.journey.choose_look("adult")
        assert kiosk.journey.state is State.CONSENT

        def broken() -> None:
            raise RuntimeError("a worker broke")

        worker = threading.Thread(target=broken)
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: kiosk.journey.state is State.FAILSAFE, timeout=2_000)
        assert kiosk.window.stack.currentWidget() is kiosk.window.failsafe
    finally:
        remove_error_listener(listener)
        kiosk.window.allow_close()
        kiosk.close()


def test_the_demo_booth_starts_syncs_and_quits_cleanly(settings: Settings) -> None:
    code = run_kiosk(settings, quit_after=1.5)
    assert code == EXIT_OK
    # The demo council server enrolled the booth, and the store was closed on the way out.
    assert (settings.paths.keys / "credential.json").exists() or any(
        settings.paths.keys.iterdir())
    again = Store.open(settings.paths)
    again.close()


def test_a_booth_not_yet_enrolled_records_no_video_but_carries_on(
    qtbot: QtBot, settings: Settings
) -> None:
    kiosk = build_kiosk(settings, speaker=SilentSpeaker())
    qtbot.addWidget(kiosk.window)
    try:
        assert kiosk.sync is None
        j = kiosk.journey
        j.touch()
        j.choose_look("adult")
        j.give_consent()
        j.choose_prompt(kiosk.pack.prompts_for("adult")[0].id)
        j.start_recording()  # "Start", then the adult look's countdown
        j.countdown_done()
        assert j.state is State.CHOOSE_PROMPT
        assert "did not work" in (j.view().notice or "")
        assert list(settings.paths.takes.iterdir()) == []
        j.skip_video()
        assert j.state is State.PRIORITIES
    finally:
        kiosk.window.allow_close()
        kiosk.close()


def test_the_officer_desk_lists_the_councils_events_and_starts_one(
    qtbot: QtBot, settings: Settings
) -> None:
    from booth.store import CouncilEvent

    kiosk = build_kiosk(settings, speaker=SilentSpeaker())
    qtbot.addWidget(kiosk.window)
    try:
        festival = CouncilEvent("ev-0123456789abcdef", "Bramhall Festival", "Bramhall Park",
                                "2026-07-04", "public")
        kiosk.store.replace_council_events([festival], "2026-06-02")
        desk = kiosk.window.officer.backend
        [listed] = desk.council_events()
        assert (listed.id, listed.name, listed.kind) == (festival.id, festival.name, "public")
        assert listed.when == "2026-07-04, Bramhall Park"
        kiosk.journey.touch()  # someone is using the booth
        assert "Someone is using the booth" in desk.start_council_event(festival.id, "adult",
                                                                        False)
        assert kiosk.store.current_event() is None or (
            kiosk.store.current_event().council_event_id is None)  # type: ignore[union-attr]
        kiosk.journey.fail("the visitor walked off")  # the failsafe screen lets it start
        said = desk.start_council_event(festival.id, "adult", False)
        assert "Bramhall Festival" in said and "started" in said
        event = kiosk.store.current_event()
        assert event is not None and event.council_event_id == festival.id
        assert (event.name, event.kind, event.default_look) == ("Bramhall Festival", "public",
                                                                "adult")
        assert "not on the council's list" in desk.start_council_event("ev-gone-000000", "adult",
                                                                        False)
    finally:
        kiosk.window.allow_close()
        kiosk.close()


def test_the_officer_desk_sets_the_events_language_and_the_looks_read_aloud(
    qtbot: QtBot, settings: Settings
) -> None:
    kiosk = build_kiosk(settings, speaker=SilentSpeaker())
    qtbot.addWidget(kiosk.window)
    try:
        desk = kiosk.window.officer.backend
        assert desk.set_event_language("ur") == "Start the event first."
        desk.set_up_event("Age Friendly forum", "forum", "older", False)
        assert "Somali" in desk.set_event_language("so")  # the pack has no Somali
        assert desk.set_event_language("ur") == "Each person starts in Urdu."
        assert kiosk.journey.view().language == "ur"
        assert kiosk.window.attract.title.text().startswith(
            i18n.catalogue("ur").tr("Have your say: {campaign}", campaign="").strip())
        said = desk.set_spoken_looks(["older", "adult"])
        assert said == "Screens are read aloud for: adult, older."
        event = kiosk.store.current_event()
        assert event is not None and event.default_language == "ur"
        assert event.spoken_looks == ("adult", "older")
        assert event_settings(kiosk.store).spoken_looks == frozenset({"adult", "older"})
        kiosk.journey.touch()
        kiosk.journey.choose_language("pl")  # this person's choice...
        assert "Someone is using the booth" in desk.set_event_language(None)
        kiosk.journey.back()  # ...they leave
        assert kiosk.journey.view().language == "ur"  # the next person starts in Urdu
        assert desk.set_event_language(None) == "Each person starts in English."
        assert desk.set_spoken_looks([]) == "No screens are read aloud unless a person asks."
        assert event_settings(kiosk.store).spoken_looks == frozenset()
        actions = {entry.officer_action for entry in kiosk.store.audit_log()}
        assert {"event_language", "event_spoken_looks"} <= actions
    finally:
        kiosk.window.allow_close()
        kiosk.close()
