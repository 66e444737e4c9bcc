"""A full disk is named as one, to the visitor and the officer, and the kiosk recovers.

Two ways: a real small file system (a tmpfs mounted for the test, as root; elsewhere the
test runs itself again inside ``unshare --user --map-root-user --mount``) that fills mid-take
and mid-write; and a take file that refuses bytes past a chosen one (ENOSPC), which needs
no mount at all."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pytest
from pytestqt.qtbot import QtBot

from booth import take as take_module
from booth.app import Kiosk, build_kiosk
from booth.files import Opener
from booth.journey import NO_ROOM_NOTICE, State
from booth.settings import Settings, load_settings
from booth.space import is_disk_full
from booth.sync.keys import install_credential
from booth.ui.speech import SilentSpeaker
from tests.helpers.capture import wait_until_recorded
from tests.helpers.sync import make_council_age_keys, make_credential
from tests.helpers.ui import NO_MEDIA_HARDWARE

pytestmark = [
    pytest.mark.qt_log_ignore(*NO_MEDIA_HARDWARE),
    pytest.mark.timeout(180),
]

MB = 1024 * 1024
INSIDE_NAMESPACE = "BOOTH_TEST_IN_NAMESPACE"


# ------------------------------------------------------------------ a small real disk


class SmallDisk:
    """A tmpfs of a chosen size, which the test can grow, fill and empty again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.filler = folder / "filler.bin"

    def resize(self, size_mb: int) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size_mb}m", str(self.folder)],
                       check=True)

    def fill(self, leave: int = 0) -> None:
        """Write a filler file until ``leave`` bytes (or none) are free."""
        with open(self.filler, "ab") as out:
            block = b"\0" * MB
            try:
                while (free := os.statvfs(self.folder).f_bavail
                       * os.statvfs(self.folder).f_frsize) > leave:
                    out.write(block[:max(4096, min(MB, free - leave))])
                    out.flush()
            except OSError as error:
                assert error.errno == errno.ENOSPC

    def empty(self) -> None:
        self.filler.unlink(missing_ok=True)


@contextmanager
def small_disk(folder: Path, size_mb: int) -> Iterator[SmallDisk]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700",
                    "booth-small-disk", str(folder)], check=True)
    try:
        yield SmallDisk(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _can_mount() -> bool:
    return os.geteuid() == 0 and os.environ.get("BOOTH_NO_MOUNT") is None


def _kiosk_on(qtbot: QtBot, data: Path, tmp_path: Path) -> Kiosk:
    settings = load_settings(data_dir=data, demo=True)
    settings.paths.create()
    keys = make_council_age_keys(tmp_path / "council")
    file = tmp_path / "credential.json"
    file.write_text(make_credential(keys.recipients).model_dump_json())
    install_credential(settings.paths, file)
    kiosk = build_kiosk(settings, speaker=SilentSpeaker(), with_player=False)
    qtbot.addWidget(kiosk.window)
    kiosk.window.settle_ms = 0
    kiosk.window.resize(1024, 768)
    kiosk.window.show()
    qtbot.waitExposed(kiosk.window)
    return kiosk


def _start(kiosk: Kiosk) -> None:
    """The "Start" button, and the look's countdown run out at once."""
    kiosk.journey.start_recording()
    if kiosk.journey.state is State.GET_READY:
        kiosk.journey.countdown_done()


def _to_the_prompts(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.touch()
    j.choose_look("adult")
    j.give_consent()
    assert j.state is State.CHOOSE_PROMPT


def _ticks_only_to_the_end(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.skip_video()
    j.submit_priorities([kiosk.pack.priority_list_for("adult").items[0].id])
    j.continue_after_tally()
    j.skip_about_you()


def _sessions(kiosk: Kiosk) -> int:
    event = kiosk.store.current_event()
    return kiosk.store.event_counts(event.id).sessions if event is not None else 0


def _officer_sees_disk_full(kiosk: Kiosk) -> None:
    desk = kiosk.window.officer.backend
    storage = next(line for line in desk.checklist() if line.name == "Storage")
    assert storage.ok is False and storage.detail.startswith("Disk full:")
    assert "Fix: sync now or export the answers" in storage.detail
    assert any(item.title == "Disk full" for item in desk.attention())


def test_a_small_real_disk_that_fills_mid_take_and_mid_write(
    qtbot: QtBot, tmp_path: Path
) -> None:
    if not _can_mount() and os.environ.get(INSIDE_NAMESPACE) is None:
        # Not root: the same test, as root of a user and mount namespace of its own.
        result = subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m",
             "pytest", "-q", "-p", "no:cacheprovider",
             f"{__file__}::test_a_small_real_disk_that_fills_mid_take_and_mid_write"],
            capture_output=True, text=True, timeout=170, check=False,
            env={**os.environ, INSIDE_NAMESPACE: "1"})
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        return
    with small_disk(tmp_path / "data", 48) as disk:
        kiosk = _kiosk_on(qtbot, disk.folder, tmp_path)
        window = kiosk.window
        try:
            # Too small for a full-length take: the visitor hears it in plain words
            # (never "the camera is not working") and carries on with ticks only.
            _to_the_prompts(kiosk)
            kiosk.journey.choose_prompt(kiosk.pack.prompts_for("adult")[0].id)
            _start(kiosk)
            assert kiosk.journey.state is State.CHOOSE_PROMPT
            assert window.choose.notice.text() == NO_ROOM_NOTICE
            assert "camera" not in window.ready.preview.message().lower()
            _officer_sees_disk_full(kiosk)
            _ticks_only_to_the_end(kiosk)
            assert kiosk.journey.state is State.THANK_YOU
            kiosk.journey.finish()
            assert _sessions(kiosk) == 1

            # Room for a take; the disk fills while it records.
            disk.resize(400)
            _to_the_prompts(kiosk)
            kiosk.journey.choose_prompt(kiosk.pack.prompts_for("adult")[0].id)
            _start(kiosk)
            qtbot.waitUntil(lambda: kiosk.journey.view().take_id is not None, timeout=10_000)
            wait_until_recorded(qtbot, kiosk.capture, 0.5)
            disk.fill()
            qtbot.waitUntil(lambda: kiosk.journey.state is State.CHOOSE_PROMPT,
                            timeout=20_000)
            assert window.choose.notice.text() == NO_ROOM_NOTICE
            assert not [p for p in kiosk.settings.paths.takes.iterdir()]
            # Now the database cannot write either: a calm resting screen, not the
            # failsafe screen for every visitor in turn.
            disk.fill()
            _ticks_only_to_the_end(kiosk)
            qtbot.waitUntil(lambda: kiosk.journey.state is State.RESTING, timeout=5_000)
            assert window.stack.currentWidget() is window.screens[State.RESTING]
            kiosk.journey.touch()
            assert kiosk.journey.state is State.RESTING
            assert any(item.title == "The booth is resting"
                       for item in window.officer.backend.attention())
            # Space comes back: the booth wakes by itself, and works again.
            disk.empty()
            qtbot.waitUntil(lambda: kiosk.journey.state is State.ATTRACT, timeout=10_000)
            _to_the_prompts(kiosk)
            _ticks_only_to_the_end(kiosk)
            assert kiosk.journey.state is State.THANK_YOU
            kiosk.journey.finish()
            assert _sessions(kiosk) == 2  # the first answers stayed intact
            actions = [e.officer_action for e in kiosk.store.audit_log()]
            assert "awake" in actions
        finally:
            window.allow_close()
            window.close()
            kiosk.close()


# ------------------------------------------------------------------ a take that hits ENOSPC


class _FullAfter(io.RawIOBase):
    """A take file that takes ``limit`` bytes, then fails as a full disk does."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__()
        self._file = open(path, "xb")  # noqa: SIM115 - closed in close()
        self._left = limit

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if len(data) > self._left:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._left -= len(data)
        return self._file.write(data)

    def close(self) -> None:
        self._file.close()
        super().close()


def test_a_take_that_fills_the_disk_is_named_as_a_full_disk(
    qtbot: QtBot, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from booth.capture import recorder

    def full_after(path: Path) -> BinaryIO:
        return _FullAfter(path, 200_000)  # type: ignore[return-value]

    real_writer = take_module.open_take_writer

    def writer(part: Path, recipients: Sequence[str],
               opener: Opener = full_after) -> tuple[BinaryIO, take_module.ReviewKey]:
        return real_writer(part, recipients, full_after)

    kiosk = _kiosk_on(qtbot, settings.paths.data, tmp_path)
    try:
        monkeypatch.setattr(take_module, "open_take_writer", writer)
        _to_the_prompts(kiosk)
        kiosk.journey.choose_prompt(kiosk.pack.prompts_for("adult")[0].id)
        _start(kiosk)
        qtbot.waitUntil(lambda: kiosk.journey.view().take_id is not None, timeout=10_000)
        # The disk is as full as the take found it.
        monkeypatch.setattr(recorder, "disk_free_bytes", lambda _folder: 10_000_000)
        qtbot.waitUntil(lambda: kiosk.journey.state is State.CHOOSE_PROMPT, timeout=20_000)
        assert kiosk.window.choose.notice.text() == NO_ROOM_NOTICE
        assert not list(kiosk.settings.paths.takes.iterdir())
        _officer_sees_disk_full(kiosk)
    finally:
        kiosk.window.allow_close()
        kiosk.window.close()
        kiosk.close()


def test_full_disk_errors_are_told_from_others() -> None:
    import sqlite3

    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert is_disk_full(sqlite3.OperationalError("database or disk is full"))
    try:
        try:
            raise OSError(errno.ENOSPC, "full")
        except OSError as inner:
            raise RuntimeError("the take could not be written") from inner
    except RuntimeError as outer:
        assert is_disk_full(outer)
    assert not is_disk_full(OSError(errno.EIO, "I/O error"))
    assert not is_disk_full(sqlite3.OperationalError("database is locked"))
