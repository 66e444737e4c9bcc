"""``booth doctor`` against a real temporary data folder."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from booth import doctor
from booth.pack import default_pack_path, load_pack
from booth.readiness import NOT_ENROLLED
from booth.settings import Settings
from booth.store import Store
from booth.sync.keys import install_credential
from tests.helpers.council import running_council
from tests.helpers.sync import make_council_age_keys, make_credential

REPO = Path(__file__).resolve().parent.parent


# The camera and microphone checks record for a second each, and the speech check starts
# the speech engine (tests/ui/test_speech.py); tests about other checks leave them out to
# stay fast.
WITHOUT_DEVICES = tuple(
    check for check in doctor.CHECKS
    if check not in (doctor.check_camera, doctor.check_microphone, doctor.check_speech)
)


def _run(
    settings: Settings, checks: tuple[doctor.Check, ...] = WITHOUT_DEVICES
) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = doctor.main(settings, as_json=True, out=out, checks=checks)
    return code, json.loads(out.getvalue())


def _checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in report["checks"]}


def test_demo_booth_can_run_a_session(settings: Settings) -> None:
    assert settings.camera == "synthetic"
    code, report = _run(settings, doctor.CHECKS)
    checks = _checks(report)
    assert code == 0 and report["ok"] is True, report
    for name in (
        "data folder", "disk space", "database", "campaign pack", "camera (synthetic)",
        "microphone (tone)", "video encoder",
    ):
        assert checks[name]["ok"] and checks[name]["required"], checks[name]
    assert "1280x720" in checks["camera (synthetic)"]["detail"]
    assert "One Stockport" in checks["campaign pack"]["detail"]
    assert checks["face blur"]["ok"] and not checks["face blur"]["required"]
    # Not enrolled with a council yet: said plainly, and it does not stop the booth.
    server = checks["council server"]
    assert not server["ok"] and not server["required"]
    assert "not enrolled" in server["detail"]
    assert "created" in checks["database"]["detail"]
    assert settings.paths.database.exists()


def test_a_broken_pack_stops_the_booth_and_is_named(settings: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "broken_pack.toml"
    text = default_pack_path().read_text(encoding="utf-8")
    assert "max_take_seconds = 120" in text
    broken.write_text(text.replace("max_take_seconds = 120", "max_take_seconds = 2"), "utf-8")
    out = io.StringIO()
    code = doctor.main(
        settings.with_changes(pack_path=broken), as_json=False, out=out, checks=WITHOUT_DEVICES
    )
    text_out = out.getvalue()
    assert code != 0
    assert "[FAIL] campaign pack" in text_out
    assert "broken_pack.toml" in text_out
    assert "max_take_seconds" in text_out
    assert "cannot run a session" in text_out


def test_a_missing_camera_stops_the_booth(settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-video.mp4"
    code, report = _run(settings.with_changes(camera=str(missing)), (doctor.check_camera,))
    camera = _checks(report)[f"camera ({missing})"]
    assert code != 0
    assert not camera["ok"] and "no-such-video.mp4" in camera["detail"]


def test_the_council_server_is_reached_when_enrolled(
    settings: Settings, tmp_path: Path
) -> None:
    with running_council(tmp_path / "council") as council:
        install_credential(settings.paths, council.enrol_to_file(tmp_path / "enrol"))
        code, report = _run(settings, (doctor.check_server,))
        server = _checks(report)["council server"]
        assert code == 0
        assert server["ok"] and council.url in server["detail"]
    # The server has gone: the booth still runs a session, offline.
    code, report = _run(settings, (doctor.check_server,))
    server = _checks(report)["council server"]
    assert code == 0
    assert not server["ok"] and "wait safely" in server["detail"]


def test_a_running_booth_is_checked_read_only(settings: Settings) -> None:
    with Store.open(settings.paths):
        code, report = _run(settings)
    database = _checks(report)["database"]
    assert code == 0
    assert database["ok"] and "read-only" in database["detail"]


def test_a_damaged_database_stops_the_booth(settings: Settings) -> None:
    settings.paths.database.write_bytes(b"not sqlite " * 500)
    code, report = _run(settings)
    database = _checks(report)["database"]
    assert code != 0
    assert not database["ok"] and "cannot be read" in database["detail"]


def test_a_database_with_damaged_pages_stops_the_booth(settings: Settings) -> None:
    with Store.open(settings.paths) as store:
        event = store.create_event("Big event", "public", "adult", False)
        for index in range(400):
            store.open_session(f"session-{index:04d}", event.id, "adult", "love")
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = 4096
    with settings.paths.database.open("r+b") as handle:
        handle.seek(3 * page)
        handle.write(b"\xff" * page * 4)
    code, report = _run(settings, (doctor.check_database,))
    database = _checks(report)["database"]
    assert code != 0
    assert not database["ok"]
    assert "booth.sqlite3" in database["detail"]


def test_too_little_disk_space_stops_the_booth(settings: Settings) -> None:
    from booth.capture.recorder import bytes_needed

    need = bytes_needed(load_pack(settings.pack_path).max_take_seconds)
    short = doctor.check_disk(settings, free_bytes=lambda _folder: need - 1)
    assert not short.ok and short.required
    assert "Free some space" in short.detail
    just_enough = doctor.check_disk(settings, free_bytes=lambda _folder: need)
    assert just_enough.ok and "low" in just_enough.detail
    plenty = doctor.check_disk(settings, free_bytes=lambda _folder: need * 100)
    assert plenty.ok and "low" not in plenty.detail


def test_the_command_line_prints_json(settings: Settings, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "booth", "doctor", "--data-dir", str(settings.paths.data),
               "--source", "synthetic", "--audio", "tone", "--json"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120,
                            check=False)
    report = json.loads(result.stdout)
    # A real booth that is not enrolled cannot record video: doctor says so and fails.
    assert result.returncode == 1, result.stderr
    assert report["ok"] is False
    assert {"database", "campaign pack"} <= set(_checks(report))
    assert _checks(report)["council credential"]["detail"] == NOT_ENROLLED.sentence
    _enrol(settings, tmp_path)
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True


def _enrol(settings: Settings, tmp_path: Path) -> None:
    keys = make_council_age_keys(tmp_path / "council")
    file = tmp_path / "credential.json"
    file.write_text(make_credential(keys.recipients).model_dump_json())
    install_credential(settings.paths, file)


def test_doctor_fails_when_not_enrolled_and_says_the_fix(
    settings: Settings, tmp_path: Path
) -> None:
    real = settings.with_changes(demo=False)
    code, report = _run(real, (doctor.check_enrolment,))
    check = _checks(report)["council credential"]
    assert code == 1 and check["required"] and not check["ok"]
    assert "not enrolled" in check["detail"] and "booth enrol FILE" in check["detail"]
    out = io.StringIO()
    assert doctor.main(real, out=out, checks=(doctor.check_enrolment,)) == 1
    assert "[FAIL] council credential" in out.getvalue()
    # The demo enrols itself when it starts: a note, not a failure.
    code, report = _run(settings, (doctor.check_enrolment,))
    assert code == 0 and not _checks(report)["council credential"]["required"]
    _enrol(real, tmp_path)
    code, report = _run(real, (doctor.check_enrolment,))
    check = _checks(report)["council credential"]
    assert code == 0 and check["ok"] and "2 council key(s)" in check["detail"]


def test_a_damaged_credential_fails_doctor_with_the_fix(settings: Settings) -> None:
    (settings.paths.keys / "credential.json").write_text("{not json", encoding="utf-8")
    code, report = _run(settings.with_changes(demo=False), (doctor.check_enrolment,))
    detail = _checks(report)["council credential"]["detail"]
    assert code == 1 and "damaged" in detail and "Fix:" in detail


def test_no_camera_and_no_microphone_fail_doctor_with_the_fix(
    settings: Settings, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-video.mp4"
    code, report = _run(settings.with_changes(camera=str(missing), audio="mic:999"),
                        (doctor.check_camera, doctor.check_microphone))
    checks = _checks(report)
    camera = checks[f"camera ({missing})"]
    microphone = checks["microphone (mic:999)"]
    assert code == 1
    assert not camera["ok"] and camera["detail"].startswith("The camera cannot be used")
    assert "Fix: plug the camera in" in camera["detail"]
    assert not microphone["ok"] and "Fix: plug the microphone in" in microphone["detail"]
