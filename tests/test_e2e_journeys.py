"""Whole journeys through the real kiosk built by ``build_kiosk``: synthetic camera, tone
microphone, real recorder, encryption, store and playback, in a temporary data folder."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from booth.app import Kiosk, build_kiosk
from booth.journey import State
from booth.settings import Settings
from booth.store import PART_SUFFIX
from booth.sync.keys import DeviceKeys, install_credential, load_credential
from booth.sync.uploader import Uploader
from booth.ui.speech import QtSpeaker
from council.cli import main as council_main
from tests.helpers.capture import wait_until_recorded
from tests.helpers.clock import FakeClock
from tests.helpers.council import council_serve_process, free_port
from tests.helpers.sync import make_council_age_keys, make_credential
from tests.helpers.ui import NO_MEDIA_HARDWARE, click

# Qt Multimedia on a machine without a sound card or GPU says so; that is not a failure.
pytestmark = [
    pytest.mark.qt_log_ignore(*NO_MEDIA_HARDWARE),
    pytest.mark.slow,
    pytest.mark.timeout(120),
]


@pytest.fixture
def kiosk(qtbot: QtBot, settings: Settings, tmp_path: Path) -> Iterator[Kiosk]:
    keys = make_council_age_keys(tmp_path / "council")
    credential = make_credential(keys.recipients)
    credential_file = tmp_path / "credential.json"
    credential_file.write_text(credential.model_dump_json())
    install_credential(settings.paths, credential_file)
    clock = FakeClock()
    built = build_kiosk(settings, clock=clock, speaker=QtSpeaker(engine="mock"))
    qtbot.addWidget(built.window)
    built.window.settle_ms = 0  # tests click as fast as they like
    built.window.resize(1366, 768)
    built.window.show()
    built.window.start()
    qtbot.waitExposed(built.window)
    yield built
    built.window.allow_close()
    built.window.close()
    built.close()


def _clock(kiosk: Kiosk) -> FakeClock:
    assert isinstance(kiosk.clock, FakeClock)
    return kiosk.clock


def _set_up_event(qtbot: QtBot, kiosk: Kiosk, look: str, adult: bool) -> None:
    w = kiosk.window
    qtbot.keyClick(w.attract, Qt.Key.Key_O,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    for digit in "1234":
        click(qtbot, w.pin_pad.keys[digit])
    click(qtbot, w.pin_pad.ok)
    assert w.officer.isVisible()
    panel = w.officer
    panel.show_section("event")
    form = panel.event_section
    form.event_name.setText("Year 5, St Mary's")
    form.event_kind.setCurrentIndex(form.event_kind.findData("school"))
    form.event_look.setCurrentIndex(form.event_look.findData(look))
    form.event_adult.setChecked(adult)
    form._set_up_event()
    assert "has started" in panel.message.text()
    click(qtbot, panel.lock)
    event = kiosk.store.current_event()
    assert event is not None and event.requires_adult_confirmation is adult


def _takes_on_disk(kiosk: Kiosk) -> list[Path]:
    return sorted(kiosk.settings.paths.takes.iterdir())


def _assert_encrypted(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    assert b"ftyp" not in data and b"moov" not in data


def _record(qtbot: QtBot, kiosk: Kiosk, seconds: float) -> Path:
    """Wait for the take to start, let it run, stop it; returns the .part file."""
    w = kiosk.window
    qtbot.waitUntil(lambda: kiosk.journey.view().take_id is not None, timeout=10_000)
    take_id = kiosk.journey.view().take_id
    part = next(p for p in _takes_on_disk(kiosk) if p.name.startswith(str(take_id)))
    assert part.name.endswith(PART_SUFFIX)
    qtbot.waitUntil(w.recording.preview.has_frame, timeout=5_000)
    wait_until_recorded(qtbot, kiosk.capture, seconds)
    _clock(kiosk).advance(seconds)
    click(qtbot, w.recording.stop)
    qtbot.waitUntil(lambda: kiosk.journey.state is State.REVIEW, timeout=10_000)
    return part


def test_a_child_records_keeps_ticks_and_gets_a_code(qtbot: QtBot, kiosk: Kiosk) -> None:
    w = kiosk.window
    _set_up_event(qtbot, kiosk, "child", adult=True)
    click(qtbot, w.attract.invite)
    click(qtbot, w.welcome.tiles["child"])
    assert not w.consent.yes.isEnabled()
    click(qtbot, w.consent.adult)
    click(qtbot, w.consent.yes)
    session_id = kiosk.journey.view().session_id
    assert session_id is not None
    prompt = kiosk.pack.prompts_for("child")[0]
    click(qtbot, w.choose.tiles[prompt.id])
    assert kiosk.journey.state is State.GET_READY
    qtbot.waitUntil(w.ready.preview.has_frame, timeout=10_000)  # live camera picture
    qtbot.waitUntil(lambda: w.ready.meter.level() > 0.05, timeout=5_000)  # the tone is heard
    assert not w.ready.count.isVisible()  # nothing counts down before "Start"
    _clock(kiosk).advance(5)
    kiosk.journey.tick()
    assert kiosk.journey.state is State.GET_READY and kiosk.takes.open_takes() == []
    click(qtbot, w.ready.start)
    assert w.ready.count.isVisible() and w.ready.count.text() == "3"
    _clock(kiosk).advance(3.1)  # the journey's ticker does the rest
    qtbot.waitUntil(lambda: kiosk.journey.state is State.RECORDING, timeout=2_000)
    part = _record(qtbot, kiosk, 2.0)
    _assert_encrypted(part)
    qtbot.waitUntil(lambda: w.review.frames_shown > 3, timeout=10_000)  # it plays back
    # ... with sound: the bytes the player gets carry the microphone's tone.
    take_id = kiosk.journey.view().take_id
    assert take_id is not None
    review = kiosk.takes.review_bytes(take_id)
    assert review is not None and b"ftyp" in review[:64]
    with av.open(io.BytesIO(review)) as container:
        assert container.streams.audio, "the take has no sound"
        samples = np.concatenate([
            frame.to_ndarray().ravel() for frame in container.decode(audio=0)])
    assert float(np.abs(samples).max()) > 0.05
    click(qtbot, w.review.keep)
    takes = kiosk.store.takes_for_session(session_id)
    assert len(takes) == 1 and 1.5 < takes[0].duration_s < 4.0
    kept = kiosk.settings.paths.takes / takes[0].file_name
    assert not part.exists() and kept.exists()
    _assert_encrypted(kept)
    assert kept.stat().st_size == takes[0].size

    plist = kiosk.pack.priority_list_for("child")
    chosen = [plist.items[0].id, plist.items[2].id]
    for item_id in chosen:
        click(qtbot, w.priorities.tiles[item_id])
    assert kiosk.speaker.said[-1] == plist.items[2].spoken_text  # what they ticked, aloud
    click(qtbot, w.priorities.done)
    assert kiosk.journey.state is State.TALLY
    event = kiosk.store.current_event()
    assert event is not None
    assert kiosk.store.priority_tally(event.id, plist.id) == {chosen[0]: 1, chosen[1]: 1}
    # The first person at the event: the bars would show only their own ticks, so the
    # tally thanks them and waits for more people.
    assert w.tally.bars.rows() == [] and not w.tally.bars.isVisible()
    assert w.tally.waiting.isVisible() and "more people" in w.tally.waiting.text()
    click(qtbot, w.tally.next)
    assert kiosk.journey.state is State.ABOUT_YOU
    click(qtbot, w.about.current_options()[1])
    click(qtbot, w.about.next)
    assert kiosk.journey.state is State.THANK_YOU
    code = w.thanks.code.text()
    assert len(code) == 7 and code[3] == "-"  # shown in two groups of three
    session = kiosk.store.get_session(session_id)
    assert session is not None and session.state == "finished"
    assert session.reference_code == code.replace("-", "")
    detail = kiosk.store.session_detail(session_id)
    assert detail.consent is not None and detail.consent.adult_confirmed
    assert detail.priorities == {plist.id: chosen}
    assert len(detail.about_you) == 1
    assert any(prompt.spoken in said for said in kiosk.speaker.said)  # read aloud
    click(qtbot, w.thanks.finish)
    assert w.stack.currentWidget() is w.attract
    # Nothing of the child remains on screen or in the widgets.
    assert not w.review.has_take() and w.review.frames_shown >= 0
    assert not w.ready.preview.has_frame() and not w.recording.preview.has_frame()
    assert not w.review.video_frame.has_frame()
    assert w.priorities.chosen() == [] and w.thanks.code.text() == ""
    qtbot.waitUntil(lambda: not kiosk.capture.previewing, timeout=5_000)  # camera off
    # The session is sealed into an encrypted bundle in the background.
    qtbot.waitUntil(lambda: bool(kiosk.store.bundles_in_state("sealed", "uploading")),
                    timeout=20_000)
    # The sealer releases the take file just after it commits the bundle's row.
    qtbot.waitUntil(lambda: not kept.exists(), timeout=5_000)


def test_an_older_person_starts_when_ready_and_does_without_a_video(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    w = kiosk.window
    click(qtbot, w.attract.invite)
    click(qtbot, w.welcome.tiles["older"])
    assert not w.consent.adult.isVisible()
    click(qtbot, w.consent.yes)
    session_id = kiosk.journey.view().session_id
    assert session_id is not None
    click(qtbot, w.choose.tiles[kiosk.pack.prompts_for("older")[0].id])
    assert not w.ready.count.isVisible()  # no countdown pressure
    _clock(kiosk).advance(30)
    kiosk.journey.tick()  # the journey sees the 30 s now, not at the window's next tick
    assert kiosk.journey.state is State.GET_READY  # it waits for them
    click(qtbot, w.ready.start)
    first = _record(qtbot, kiosk, 1.0)
    click(qtbot, w.review.retake)  # try again: asked first, then the first take goes
    assert kiosk.journey.state is State.REVIEW and first.exists()
    click(qtbot, w.confirm.yes)
    assert kiosk.journey.state is State.GET_READY and not first.exists()
    click(qtbot, w.ready.start)
    part = _record(qtbot, kiosk, 1.0)
    assert part != first
    click(qtbot, w.review.without)
    click(qtbot, w.confirm.yes)  # "Carry on without a video?"
    assert kiosk.journey.state is State.PRIORITIES
    assert not part.exists() and _takes_on_disk(kiosk) == []
    plist = kiosk.pack.priority_list_for("older")
    click(qtbot, w.priorities.tiles[plist.items[1].id])
    click(qtbot, w.priorities.done)
    click(qtbot, w.tally.next)
    prefer = [o for o in w.about.current_options() if o.text() == "Prefer not to say"]
    click(qtbot, prefer[0])
    click(qtbot, w.about.next)
    click(qtbot, w.about.skip)
    assert kiosk.journey.state is State.THANK_YOU
    assert kiosk.store.takes_for_session(session_id) == []
    detail = kiosk.store.session_detail(session_id)
    assert detail.session.state == "finished"
    assert detail.priorities == {plist.id: [plist.items[1].id]}
    assert detail.about_you == {"older_age": "prefer_not_to_say"}


def test_a_passer_by_walks_away_mid_take_and_leaves_nothing(qtbot: QtBot, kiosk: Kiosk) -> None:
    w = kiosk.window
    clock = _clock(kiosk)
    click(qtbot, w.attract.invite)
    click(qtbot, w.welcome.tiles["adult"])
    click(qtbot, w.consent.yes)
    session_id = kiosk.journey.view().session_id
    assert session_id is not None and kiosk.store.get_session(session_id) is not None
    prompt = kiosk.pack.prompts_for("adult")[0]
    click(qtbot, w.choose.tiles[prompt.id])
    click(qtbot, w.ready.start)
    clock.advance(kiosk.pack.countdown_for("adult") + 0.1)
    qtbot.waitUntil(lambda: kiosk.journey.view().take_id is not None, timeout=10_000)
    wait_until_recorded(qtbot, kiosk.capture, 0.8)
    assert any(p.name.endswith(PART_SUFFIX) for p in _takes_on_disk(kiosk))
    # They walk away: the take runs to its limit, then nobody answers.
    clock.advance(prompt.max_seconds + 1)
    qtbot.waitUntil(lambda: kiosk.journey.state is State.REVIEW, timeout=10_000)
    idle = kiosk.pack.idle_for("adult")
    clock.advance(idle.idle_seconds + 1)
    qtbot.waitUntil(lambda: kiosk.journey.state is State.STILL_THERE, timeout=2_000)
    assert w.still_there.isVisible()
    clock.advance(idle.still_there_seconds + 1)
    qtbot.waitUntil(lambda: kiosk.journey.state is State.ATTRACT, timeout=2_000)
    assert w.stack.currentWidget() is w.attract and not w.still_there.isVisible()
    assert _takes_on_disk(kiosk) == []
    assert kiosk.store.get_session(session_id) is None
    assert kiosk.takes.open_takes() == []
    assert not w.review.has_take() and not w.review.video_frame.has_frame()
    qtbot.waitUntil(lambda: not kiosk.capture.previewing, timeout=5_000)


def test_a_missing_camera_is_said_plainly_and_the_person_carries_on(
    qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    keys = make_council_age_keys(tmp_path / "council")
    credential_file = tmp_path / "credential.json"
    credential_file.write_text(make_credential(keys.recipients).model_dump_json())
    install_credential(settings.paths, credential_file)
    unplugged = settings.with_changes(camera=str(tmp_path / "no-camera-here.mp4"))
    kiosk = build_kiosk(unplugged, clock=FakeClock(), speaker=QtSpeaker(engine="mock"))
    try:
        qtbot.addWidget(kiosk.window)
        kiosk.window.settle_ms = 0
        kiosk.window.resize(1366, 768)
        kiosk.window.show()
        kiosk.window.start()
        w = kiosk.window
        click(qtbot, w.attract.invite)
        click(qtbot, w.welcome.tiles["older"])
        click(qtbot, w.consent.yes)
        click(qtbot, w.choose.tiles[kiosk.pack.prompts_for("older")[0].id])
        qtbot.waitUntil(lambda: "camera is not working" in w.ready.preview.message(),
                        timeout=5_000)
        click(qtbot, w.ready.start)
        qtbot.waitUntil(lambda: kiosk.journey.state is State.CHOOSE_PROMPT, timeout=5_000)
        assert w.choose.notice.isVisible() and "did not work" in w.choose.notice.text()
        assert _takes_on_disk(kiosk) == []
        click(qtbot, w.choose.skip)  # they carry on without a video
        assert kiosk.journey.state is State.PRIORITIES
    finally:
        kiosk.window.allow_close()
        kiosk.window.close()
        kiosk.close()


def test_a_failure_mid_take_shows_oops_and_leaves_no_file(qtbot: QtBot, kiosk: Kiosk) -> None:
    w = kiosk.window
    click(qtbot, w.attract.invite)
    click(qtbot, w.welcome.tiles["older"])
    click(qtbot, w.consent.yes)
    session_id = kiosk.journey.view().session_id
    click(qtbot, w.choose.tiles[kiosk.pack.prompts_for("older")[0].id])
    click(qtbot, w.ready.start)
    qtbot.waitUntil(lambda: kiosk.journey.view().take_id is not None, timeout=10_000)
    wait_until_recorded(qtbot, kiosk.capture, 0.5)
    kiosk.journey.fail("something broke")
    assert w.stack.currentWidget() is w.failsafe
    qtbot.waitUntil(lambda: _takes_on_disk(kiosk) == [], timeout=10_000)
    assert session_id is not None and kiosk.store.get_session(session_id) is None
    _clock(kiosk).advance(60)  # the oops screen goes back to the start by itself
    qtbot.waitUntil(lambda: kiosk.journey.state is State.ATTRACT, timeout=2_000)
    qtbot.waitUntil(lambda: not kiosk.capture.previewing, timeout=5_000)


def test_a_reviewed_answer_reaches_booth_council_serve_and_decrypts_to_what_was_reviewed(
    qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    """Issue 5's "done": a take recorded by the kiosk reaches a council server started with
    `booth-council serve`, decrypts there to the video the participant reviewed, and is
    gone from the kiosk with a receipt kept."""
    keys, store = tmp_path / "council-keys", tmp_path / "council-store"
    url = f"http://127.0.0.1:{free_port()}"
    enrolment = tmp_path / "kiosk.json"
    assert council_main(["keygen", str(keys)]) == 0
    assert council_main(["enrol", "--keys", str(keys), "--store", str(store), "--name",
                         "Hall kiosk", "--server", url, "--out", str(enrolment)]) == 0
    install_credential(settings.paths, enrolment)
    credential = load_credential(settings.paths)
    assert credential is not None
    kiosk = build_kiosk(settings, clock=FakeClock(), speaker=QtSpeaker(engine="mock"))
    qtbot.addWidget(kiosk.window)
    kiosk.window.settle_ms = 0
    kiosk.window.show()
    kiosk.window.start()
    try:
        w = kiosk.window
        click(qtbot, w.attract.invite)
        click(qtbot, w.welcome.tiles["adult"])
        click(qtbot, w.consent.yes)
        click(qtbot, w.choose.tiles[kiosk.pack.prompts_for("adult")[0].id])
        qtbot.waitUntil(w.ready.preview.has_frame, timeout=10_000)
        click(qtbot, w.ready.start)
        _clock(kiosk).advance(3.1)
        qtbot.waitUntil(lambda: kiosk.journey.state is State.RECORDING, timeout=2_000)
        _record(qtbot, kiosk, 1.5)
        take_id = kiosk.journey.view().take_id
        assert take_id is not None
        reviewed = kiosk.takes.review_bytes(take_id)  # what the participant watched
        assert reviewed is not None and b"ftyp" in reviewed[:64]
        click(qtbot, w.review.keep)
        kiosk.journey.submit_priorities([])
        if kiosk.journey.state is State.TALLY:
            kiosk.journey.continue_after_tally()
        kiosk.journey.skip_about_you()
        assert kiosk.journey.state is State.THANK_YOU
        kiosk.journey.finish()
        qtbot.waitUntil(lambda: bool(kiosk.store.bundles_in_state("sealed")), timeout=20_000)
        bundle_id = kiosk.store.bundles_in_state("sealed")[0].id

        with council_serve_process(keys, store, url, credential.token):
            device = DeviceKeys.load_or_create(settings.paths)
            with Uploader(kiosk.store, credential, device) as uploader:
                report = uploader.run()
            assert report.committed == [bundle_id]
        # Gone from the kiosk, with the council's receipt kept.
        assert kiosk.store.bundles_in_state("sealed", "uploading", "committed") == []
        assert not (settings.paths.bundles / bundle_id).exists()
        assert [t.bundle_id for t in kiosk.store.tombstones()] == [bundle_id]
        assert list(settings.paths.takes.iterdir()) == []
        # The council decrypts it to exactly the video that was reviewed.
        out = tmp_path / "decrypted"
        assert council_main(["decrypt", "--keys", str(keys), "--store", str(store),
                             "--out", str(out)]) == 0
        assert (out / bundle_id / "video-1.mp4").read_bytes() == reviewed
    finally:
        kiosk.window.allow_close()
        kiosk.window.close()
        kiosk.close()


def test_stop_on_every_screen_after_consent_deletes_what_that_person_gave(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    """Stop, asked and answered yes, on each screen from choosing a question to the
    about-you questions: the person's consent, kept and unkept takes, ticks and answers
    are gone from the store and the disk; someone who finished earlier is untouched."""
    w = kiosk.window
    clock = _clock(kiosk)
    click(qtbot, w.attract.invite)
    click(qtbot, w.welcome.tiles["adult"])
    click(qtbot, w.consent.yes)
    kiosk.journey.skip_video()
    kiosk.journey.submit_priorities([])
    kiosk.journey.continue_after_tally()
    kiosk.journey.skip_about_you()
    earlier = kiosk.journey.view().session_id
    click(qtbot, w.thanks.finish)
    prompt = kiosk.pack.prompts_for("adult")[0]
    plist = kiosk.pack.priority_list_for("adult")
    for screen in ("choose_prompt", "get_ready", "countdown", "recording", "review",
                   "priorities", "tally", "about_you"):
        click(qtbot, w.attract.invite)
        click(qtbot, w.welcome.tiles["adult"])
        click(qtbot, w.consent.yes)
        session_id = kiosk.journey.view().session_id
        assert session_id is not None and kiosk.store.get_session(session_id) is not None
        if screen != "choose_prompt":
            click(qtbot, w.choose.tiles[prompt.id])
        if screen not in ("choose_prompt", "get_ready"):
            click(qtbot, w.ready.start)
        if screen not in ("choose_prompt", "get_ready", "countdown"):
            clock.advance(kiosk.pack.countdown_for("adult") + 0.1)
            qtbot.waitUntil(lambda: kiosk.journey.view().take_id is not None, timeout=10_000)
            wait_until_recorded(qtbot, kiosk.capture, 0.5)
        if screen not in ("choose_prompt", "get_ready", "countdown", "recording"):
            clock.advance(1)
            click(qtbot, w.recording.stop)
            qtbot.waitUntil(lambda: kiosk.journey.state is State.REVIEW, timeout=10_000)
        if screen in ("priorities", "tally", "about_you"):
            click(qtbot, w.review.keep)
            assert len(kiosk.store.takes_for_session(session_id)) == 1  # a kept answer
            assert _takes_on_disk(kiosk)
        if screen in ("tally", "about_you"):
            click(qtbot, w.priorities.tiles[plist.items[0].id])
            click(qtbot, w.priorities.done)
        if screen == "about_you":
            click(qtbot, w.tally.next)
            click(qtbot, w.about.current_options()[0])
        assert kiosk.journey.state.value == screen.replace("countdown", "get_ready")
        click(qtbot, w.nav.stop)
        click(qtbot, w.confirm.yes)
        assert w.stack.currentWidget() is w.goodbye, screen
        assert kiosk.store.get_session(session_id) is None, screen
        qtbot.waitUntil(lambda: _takes_on_disk(kiosk) == [], timeout=10_000)
        assert kiosk.takes.open_takes() == []
        clock.advance(10)  # the goodbye goes by itself
        qtbot.waitUntil(lambda: kiosk.journey.state is State.ATTRACT, timeout=2_000)
    finished = kiosk.store.get_session(str(earlier))
    assert finished is not None and finished.state == "finished"
