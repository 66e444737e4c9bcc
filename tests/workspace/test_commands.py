"""The workspace's commands, and decrypt and report going on past a bad bundle."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from council.cli import main as council_main
from council.workspace.context import Workspace
from council.workspace.models import AuditEntry, Session
from tests.helpers.workspace import CouncilStore, add_session
from tests.workspace.conftest import FakeClock


def _where(store: CouncilStore) -> list[str]:
    return ["--keys", str(store.keys_dir), "--store", str(store.store_dir)]


def test_decrypt_and_report_set_aside_a_bad_bundle_and_do_the_rest(
    store: CouncilStore, tmp_path: Path, mp4: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    good = [add_session(store, videos=[mp4]) for _ in range(2)]
    bad = add_session(store, encrypted_payload=b"this is not age")
    good.append(add_session(store))
    out = tmp_path / "answers"
    assert council_main(["decrypt", *_where(store), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"SET ASIDE bundle {bad.bundle_id}" in err and "Traceback" not in err
    for made in good:
        assert (out / made.bundle_id / "answers.json").is_file()
    assert not (out / bad.bundle_id / "answers.json").exists()
    assert council_main(["report", *_where(store), "--out", str(tmp_path / "report")]) == 1
    with (tmp_path / "report" / "priorities.csv").open() as handle:
        bundles = {row["bundle"] for row in csv.DictReader(handle)}
    assert bundles == {made.bundle_id for made in good}


def test_withdrawn_answers_leave_decrypt_and_report(
    ws: Workspace, store: CouncilStore, tmp_path: Path, mp4: bytes,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gone = add_session(store, videos=[mp4])
    kept = add_session(store, videos=[mp4])
    out = tmp_path / "answers"
    assert council_main(["decrypt", *_where(store), "--out", str(out)]) == 0
    assert (out / gone.bundle_id / "video-1.mp4").is_file()
    assert council_main(["withdraw", gone.code, *_where(store)]) == 0
    assert "Withdrew the answer" in capsys.readouterr().out
    assert council_main(["decrypt", *_where(store), "--out", str(out)]) == 0
    assert not (out / gone.bundle_id).exists()  # the decrypted copy goes too
    assert (out / kept.bundle_id / "video-1.mp4").is_file()
    assert council_main(["report", *_where(store), "--out", str(tmp_path / "r")]) == 0
    assert gone.bundle_id not in (tmp_path / "r" / "priorities.csv").read_text()
    # verify knows the withdrawn blobs were removed on purpose, not lost.
    assert council_main(["verify", *_where(store)]) == 0
    assert council_main(["withdraw", gone.code, *_where(store)]) == 1
    assert "already withdrawn" in capsys.readouterr().err


def test_user_add_shows_a_generated_password_once_and_refuses_a_duplicate(
    ws: Workspace, store: CouncilStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert council_main(["user", "add", "sam", "--role", "safeguarding-lead",
                         *_where(store)]) == 0
    out = capsys.readouterr().out
    password = out.split("privately): ")[1].split()[0]
    assert len(password) >= 20
    assert "authenticator app" in out
    assert council_main(["user", "add", "sam", "--role", "analyst", *_where(store)]) == 1
    assert "already an account" in capsys.readouterr().err
    assert AuditEntry.objects.filter(action="user-add", target="sam").count() == 1


def test_purge_dry_run_and_audit_verify_from_the_command_line(
    ws: Workspace, store: CouncilStore, mp4: bytes, clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = add_session(store, videos=[mp4], received_at=clock.now - timedelta(days=181))
    assert council_main(["purge", "--dry-run", *_where(store)]) == 0
    assert "would delete 1 video(s)" in capsys.readouterr().out
    assert store.blob_path(old.video_shas[0]).exists()
    assert council_main(["purge", *_where(store)]) == 0
    assert not store.blob_path(old.video_shas[0]).exists()
    assert Session.objects.count() == 1
    assert council_main(["audit", "verify", *_where(store)]) == 0
    AuditEntry.objects.filter(action="purge").update(detail={"videos": 0})
    assert council_main(["audit", "verify", *_where(store)]) == 1
    assert "was changed" in capsys.readouterr().err
