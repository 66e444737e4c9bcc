"""The laptop in the officer's words: USB sticks found by name (never the system disk),
room in hours of video, the battery, and the clock against the council's."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from booth.device import (
    Battery,
    DiskRoom,
    battery,
    clock_offset,
    describe_battery,
    describe_clock,
    removable_volumes,
)


def _part(mountpoint: str, opts: str = "rw") -> SimpleNamespace:
    return SimpleNamespace(mountpoint=mountpoint, opts=opts)


def test_usb_sticks_are_the_volumes_under_media_and_named_by_their_label(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    parts = [_part("/"), _part("/boot/efi"), _part("/home"),
             _part("/media/officer/KINGSTON"), _part("/run/media/officer/COUNCIL USB"),
             _part("/media/LOOSE"), _part("/media/officer/deep/er/down")]
    found = removable_volumes(lambda: parts, free_bytes=lambda _path: 2_000_000_000)
    assert [(v.name, v.path) for v in found] == [
        ("COUNCIL USB", "/run/media/officer/COUNCIL USB"),
        ("KINGSTON", "/media/officer/KINGSTON"),
        ("LOOSE", "/media/LOOSE"),
    ]
    assert found[1].label == "KINGSTON (2.0 GB free)"


def test_a_stick_pulled_out_while_listing_and_a_failing_list_are_harmless() -> None:
    def gone(path: str) -> int:
        raise FileNotFoundError(path)

    assert removable_volumes(lambda: [_part("/media/o/GONE")], free_bytes=gone) == []

    def broken() -> list[SimpleNamespace]:
        raise RuntimeError("no /proc")

    assert removable_volumes(broken) == []


def test_room_is_told_in_hours_of_video() -> None:
    from booth.capture.recorder import BYTES_PER_SECOND_BOUND, FREE_SPACE_RESERVE_BYTES

    hour = BYTES_PER_SECOND_BOUND * 3600
    room = DiskRoom(free_bytes=FREE_SPACE_RESERVE_BYTES + 2 * hour, take_bytes=10)
    assert room.video_hours == pytest.approx(2.0) and not room.full
    assert DiskRoom(free_bytes=9, take_bytes=10).full


def test_the_battery_says_plug_in_when_low_and_not_charging() -> None:
    assert describe_battery(None) == (True, "No battery: running on mains power.")
    assert describe_battery(Battery(80, True, None)) == (True, "80%, charging.")
    ok, words = describe_battery(Battery(12, False, 18))
    assert not ok and "about 18 minutes left" in words and "Plug the laptop in" in words
    reading = SimpleNamespace(percent=55.0, power_plugged=False, secsleft=-2)
    assert battery(lambda: reading) == Battery(55.0, False, None)  # "unknown" time left
    assert battery(lambda: None) is None


def test_the_clock_is_compared_with_the_servers_date() -> None:
    local = datetime(2026, 3, 14, 10, 0, 30, tzinfo=UTC)
    assert clock_offset("Sat, 14 Mar 2026 10:00:00 GMT", local) == 30.0
    assert describe_clock(30.0)[0] is True
    fine, words = describe_clock(-3 * 3600)
    assert not fine and "3.0 hours slow" in words
    assert "25 minutes fast" in describe_clock(25 * 60)[1]
    with pytest.raises(ValueError):
        clock_offset("yesterday", local)

