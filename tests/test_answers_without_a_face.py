"""Answers without a face, through the real kiosk built by ``build_kiosk``: a voice answer
that reaches a council server and decrypts there to AAC in MP4 with no video track, and a
blurred answer in which no face can be found, driven through the journey; the choices on the
questions screen, and a camera unplugged mid-take and plugged back, driven through the
screens."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from booth import i18n
from booth.app import Kiosk, build_kiosk
from booth.capture.audio import ToneSource
from booth.capture.faces import HogFaceDetector
from booth.capture.recorder import TakeKind
from booth.capture.waveform import peak_envelope
from booth.journey import State
from booth.journey.recording import CAMERA_AWAY, CAMERA_BACK
from booth.settings import Settings
from booth.store import Store
from booth.sync.keys import DeviceKeys, install_credential, load_credential
from booth.sync.uploader import Uploader
from booth.take import TAKE_KINDS
from booth.ui.speech import QtSpeaker
from council.cli import main as council_main
from tests.helpers.capture import UnpluggableCamera, wait_until_recorded
from tests.helpers.clock import FakeClock
from tests.helpers.council import council_serve_process, free_port
from tests.helpers.sync import make_council_age_keys, make_credential
from tests.helpers.ui import NO_MEDIA_HARDWARE, click

pytestmark = [
    pytest.mark.qt_log_ignore(*NO_MEDIA_HARDWARE),
    pytest.mark.slow,
    pytest.mark.timeout(120),
]


def _open(qtbot: QtBot, settings: Settings) -> Kiosk:
    kiosk = build_kiosk(settings, clock=FakeClock(), speaker=QtSpeaker(engine="mock"))
    qtbot.addWidget(kiosk.window)
    kiosk.window.settle_ms = 0
    kiosk.window.show()
    kiosk.window.start()
    return kiosk


def _close(kiosk: Kiosk) -> None:
    kiosk.window.allow_close()
    kiosk.window.close()
    kiosk.close()


@pytest.fixture
def face_camera(settings: Settings, tmp_path: Path) -> Settings:
    keys = make_council_age_keys(tmp_path / "council")
    credential_file = tmp_path / "credential.json"
    credential_file.write_text(make_credential(keys.recipients).model_dump_json())
    install_credential(settings.paths, credential_file)
    return settings.with_changes(camera="synthetic:face")


@pytest.fixture
def kiosk(qtbot: QtBot, face_camera: Settings) -> Iterator[Kiosk]:
    built = _open(qtbot, face_camera)
    yield built
    _close(built)


def _record_a_take(qtbot: QtBot, kiosk: Kiosk, kind: TakeKind, seconds: float) -> str:
    """An older person (no countdown) records one take of ``kind``; returns its id."""
    journey = kiosk.journey
    journey.touch()
    journey.choose_look("older")
    journey.give_consent()
    kiosk.takes.choose_kind(kind)  # the choice beside the video answer
    journey.choose_prompt(kiosk.pack.prompts_for("older")[0].id)
    journey.start_recording()
    qtbot.waitUntil(lambda: journey.state is State.RECORDING, timeout=10_000)
    wait_until_recorded(qtbot, kiosk.capture, seconds)
    journey.stop_recording()
    qtbot.waitUntil(lambda: journey.state is State.REVIEW, timeout=10_000)
    take_id = journey.view().take_id
    assert take_id is not None
    return take_id


def _finish_session(kiosk: Kiosk) -> None:
    journey = kiosk.journey
    journey.keep()
    journey.submit_priorities([])
    if journey.state is State.TALLY:
        journey.continue_after_tally()
    journey.skip_about_you()
    assert journey.state is State.THANK_YOU
    journey.finish()


def test_a_voice_answer_syncs_and_decrypts_at_the_council_to_aac_with_no_video(
    qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    keys, store = tmp_path / "council-keys", tmp_path / "council-store"
    url = f"http://127.0.0.1:{free_port()}"
    enrolment = tmp_path / "kiosk.json"
    assert council_main(["keygen", str(keys)]) == 0
    assert council_main(["enrol", "--keys", str(keys), "--store", str(store), "--name",
                         "Library kiosk", "--server", url, "--out", str(enrolment)]) == 0
    install_credential(settings.paths, enrolment)
    credential = load_credential(settings.paths)
    assert credential is not None
    kiosk = _open(qtbot, settings)
    try:
        take_id = _record_a_take(qtbot, kiosk, "voice", 1.5)
        reviewed = kiosk.takes.review_bytes(take_id)
        assert reviewed is not None
        with av.open(io.BytesIO(reviewed)) as container:
            assert not container.streams.video and container.streams.audio
        assert float(peak_envelope(reviewed, 60).max()) > 0.3  # a waveform to show
        session_id = kiosk.journey.view().session_id
        assert session_id is not None
        _finish_session(kiosk)
        # The choice was that person's: the next one starts with a video answer.
        assert kiosk.takes.kind == "video" and not kiosk.capture.face_blur
        kept = kiosk.store.session_detail(session_id).takes
        assert [(take.id, take.kind) for take in kept] == [(take_id, "voice")]
        qtbot.waitUntil(lambda: bool(kiosk.store.bundles_in_state("sealed")), timeout=20_000)
        bundle_id = kiosk.store.bundles_in_state("sealed")[0].id

        with council_serve_process(keys, store, url, credential.token):
            device = DeviceKeys.load_or_create(settings.paths)
            with Uploader(kiosk.store, credential, device) as uploader:
                assert uploader.run().committed == [bundle_id]
        out = tmp_path / "decrypted"
        assert council_main(["decrypt", "--keys", str(keys), "--store", str(store),
                             "--out", str(out)]) == 0
        answer = out / bundle_id / "video-1.mp4"
        assert answer.read_bytes() == reviewed
        with av.open(str(answer)) as container:
            assert container.format.name.startswith("mov,mp4")
            assert not container.streams.video
            assert [s.codec_context.name for s in container.streams.audio] == ["aac"]
            sound = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
        assert len(sound) > 1.4 * 48_000 and float(np.abs(sound).max()) > 0.3
        answers = json.loads((out / bundle_id / "answers.json").read_text())
        assert answers["videos"][0]["kind"] == "voice"
        assert answers["answers"]["takes"][0]["kind"] == "voice"
    finally:
        _close(kiosk)


def test_a_blurred_answer_shows_no_face_in_review_and_the_preview_showed_the_blur(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    take_id = _record_a_take(qtbot, kiosk, "video_blurred", 1.5)
    assert kiosk.capture.face_blur  # chosen before the take: the preview showed it
    reviewed = kiosk.takes.review_bytes(take_id)
    assert reviewed is not None
    with av.open(io.BytesIO(reviewed)) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert len(frames) > 20
    detector = HogFaceDetector()
    assert all(detector.detect(image) == [] for image in frames)
    session_id = kiosk.journey.view().session_id
    assert session_id is not None
    _finish_session(kiosk)
    assert [t.kind for t in kiosk.store.session_detail(session_id).takes] == ["video_blurred"]
    assert not kiosk.capture.face_blur and kiosk.takes.kind == "video"


def test_the_store_keeps_every_kind_of_take_and_refuses_others(settings: Settings) -> None:
    from booth.capture.recorder import TAKE_KINDS as RECORDER_KINDS

    assert TAKE_KINDS == RECORDER_KINDS
    Store.open(settings.paths).close()  # migrated
    with sqlite3.connect(settings.paths.database) as db:
        columns = {row[1]: row for row in db.execute("PRAGMA table_info(takes)")}
        assert columns["kind"][4] == "'video'"  # a take from before is a video answer
        db.execute("PRAGMA foreign_keys=OFF")
        for number, kind in enumerate(TAKE_KINDS):
            db.execute("INSERT INTO takes (id, session_id, prompt_id, file_name, size, sha256,"
                       " duration_s, kept_at, kind) VALUES (?, 's', 'p', ?, 0, '', 0, '', ?)",
                       [f"t{number}", f"f{number}", kind])
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            db.execute("INSERT INTO takes (id, session_id, prompt_id, file_name, size, sha256,"
                       " duration_s, kept_at, kind) VALUES ('x', 's', 'p', 'x', 0, '', 0, '',"
                       " 'painting')")
        db.rollback()


def test_the_choices_beside_the_questions_reach_the_takes_and_the_next_person_has_video(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    """Through the screens: "Blur my face" blurs the preview before anything records,
    "Just my voice" records a voice answer whose review shows its waveform, and the next
    person starts with a video answer again."""
    w, journey = kiosk.window, kiosk.journey
    click(qtbot, w.attract.invite)
    click(qtbot, w.welcome.tiles["older"])
    click(qtbot, w.consent.yes)
    click(qtbot, w.choose.kinds.buttons["video_blurred"])
    assert kiosk.takes.kind == "video_blurred" and kiosk.capture.face_blur
    click(qtbot, w.choose.kinds.buttons["voice"])
    assert kiosk.takes.kind == "voice" and not kiosk.capture.face_blur
    click(qtbot, w.choose.tiles[kiosk.pack.prompts_for("older")[0].id])
    assert w.ready.preview.voice() and w.ready.meter.isVisible()  # a microphone, no picture
    click(qtbot, w.ready.start)
    qtbot.waitUntil(lambda: journey.view().take_id is not None, timeout=10_000)
    wait_until_recorded(qtbot, kiosk.capture, 1.0)
    assert not w.recording.preview.has_frame()
    click(qtbot, w.recording.stop)
    qtbot.waitUntil(lambda: journey.state is State.REVIEW, timeout=10_000)
    assert w.review.waveform.isVisible() and not w.review.video_frame.isVisible()
    assert max(w.review.waveform.peaks()) > 0.3  # the tone, drawn
    click(qtbot, w.review.keep)
    session_id = journey.view().session_id
    assert session_id is not None
    assert [t.kind for t in kiosk.store.session_detail(session_id).takes] == ["voice"]
    journey.stop_and_delete()
    journey.finish()
    click(qtbot, w.attract.invite)
    click(qtbot, w.welcome.tiles["older"])
    click(qtbot, w.consent.yes)
    assert kiosk.takes.kind == "video" and not kiosk.capture.face_blur
    assert w.choose.kinds.current() == "video"


def test_a_camera_unplugged_mid_take_is_said_and_the_same_person_records_again(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    """A camera that fails and then returns, under the real kiosk: the person is told to
    wait or to answer with their voice, then that it is back, and records again."""
    w, journey, capture = kiosk.window, kiosk.journey, kiosk.capture
    capture.reconnect_delays = (0.05, 0.1, 0.2)
    click(qtbot, w.attract.invite)
    click(qtbot, w.welcome.languages.buttons["pl"])
    click(qtbot, w.welcome.tiles["older"])
    click(qtbot, w.consent.yes)
    camera = UnpluggableCamera((320, 180), 30.0)
    capture.stop_preview()  # the kiosk's camera, swapped for one a test can unplug
    capture.start_preview_sources(camera, ToneSource())
    qtbot.waitUntil(lambda: capture.camera_ready, timeout=5_000)
    session = journey.session
    prompt = kiosk.pack.prompts_for("older")[0].id
    click(qtbot, w.choose.tiles[prompt])
    click(qtbot, w.ready.start)
    qtbot.waitUntil(lambda: journey.view().take_id is not None, timeout=10_000)
    wait_until_recorded(qtbot, capture, 0.5)
    camera.unplug()
    polish = i18n.catalogue("pl")
    qtbot.waitUntil(lambda: w.choose.notice.text() == polish.tr(CAMERA_AWAY), timeout=5_000)
    assert journey.state is State.CHOOSE_PROMPT and kiosk.takes.open_takes() == []
    camera.replug()
    qtbot.waitUntil(lambda: w.choose.notice.text() == polish.tr(CAMERA_BACK), timeout=5_000)
    click(qtbot, w.choose.tiles[prompt])
    qtbot.waitUntil(lambda: capture.camera_ready, timeout=5_000)
    click(qtbot, w.ready.start)
    qtbot.waitUntil(lambda: journey.view().take_id is not None, timeout=10_000)
    wait_until_recorded(qtbot, capture, 0.5)
    click(qtbot, w.recording.stop)
    qtbot.waitUntil(lambda: journey.state is State.REVIEW, timeout=10_000)
    assert journey.session is session  # the same person, a second try
