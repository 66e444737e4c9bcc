"""The laptop the booth runs on, in the officer's words: room left in hours of video,
the battery, the clock against the council's, and the USB sticks plugged in."""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GB = 1_000_000_000
# Where desktop Linux mounts a USB stick: /media/<user>/<label> (Debian, Ubuntu) and
# /run/media/<user>/<label> (Fedora, Arch); some mount straight under /media/<label>.
LINUX_MEDIA_ROOTS = ("/media", "/run/media")
# A kiosk clock further than this from the council's makes times in bundles misleading.
CLOCK_TOLERANCE_S = 120.0


@dataclass(frozen=True)
class Volume:
    """A removable volume (a USB stick) the officer can choose by name."""

    name: str
    path: str
    free_bytes: int

    @property
    def label(self) -> str:
        return f"{self.name} ({self.free_bytes / GB:.1f} GB free)"


Partitions = Callable[[], Sequence[Any]]


def _psutil_partitions() -> Sequence[Any]:
    import psutil

    return list(psutil.disk_partitions(all=False))


def _under_media(mountpoint: str, roots: Iterable[str]) -> bool:
    path = Path(mountpoint)
    for root in roots:
        base = Path(root)
        if base in path.parents and len(path.relative_to(base).parts) in (1, 2):
            return True
    return False


def removable_volumes(partitions: Partitions = _psutil_partitions,
                      roots: Iterable[str] = LINUX_MEDIA_ROOTS,
                      free_bytes: Callable[[str], int] | None = None) -> list[Volume]:
    """The USB sticks mounted now: on Linux the volumes under /media or /run/media, on
    Windows the drives marked removable, on macOS those under /Volumes. Never the
    system disk, and never a browse of the file system."""
    free = free_bytes or (lambda path: shutil.disk_usage(path).free)
    roots = tuple(roots)
    found: list[Volume] = []
    try:
        listed = partitions()
    except Exception:  # a volume list that fails must not break the console
        log.exception("listing volumes failed")
        return []
    for part in listed:
        mount = str(part.mountpoint)
        options = str(part.opts)
        if sys.platform == "win32":
            usable = "removable" in options.split(",")
        elif sys.platform == "darwin":
            usable = mount.startswith("/Volumes/")
        else:
            usable = _under_media(mount, roots)
        if not usable:
            continue
        try:
            room = free(mount)
        except OSError:
            continue  # pulled out while we looked
        name = Path(mount).name or mount
        found.append(Volume(name=name, path=mount, free_bytes=room))
    return sorted(found, key=lambda volume: volume.name.lower())


# ------------------------------------------------------------------ disk


@dataclass(frozen=True)
class DiskRoom:
    """The data folder's free space against what a take needs."""

    free_bytes: int
    take_bytes: int  # a maximum-length take and the reserve

    @property
    def full(self) -> bool:
        return self.free_bytes < self.take_bytes

    @property
    def video_hours(self) -> float:
        from booth.capture.recorder import BYTES_PER_SECOND_BOUND, FREE_SPACE_RESERVE_BYTES

        usable = max(0, self.free_bytes - FREE_SPACE_RESERVE_BYTES)
        return usable / BYTES_PER_SECOND_BOUND / 3600


def disk_room(folder: Path, max_take_seconds: float,
              free_bytes: Callable[[Path], int] | None = None) -> DiskRoom:
    """How much room ``folder`` has, and whether a take of ``max_take_seconds`` fits."""
    from booth.capture.recorder import bytes_needed, disk_free_bytes

    free = (free_bytes or disk_free_bytes)(folder)
    return DiskRoom(free_bytes=free, take_bytes=bytes_needed(max_take_seconds))


# ------------------------------------------------------------------ battery


@dataclass(frozen=True)
class Battery:
    percent: float
    charging: bool
    minutes_left: int | None


def battery(sensors: Callable[[], Any] | None = None) -> Battery | None:
    """The laptop's battery (psutil), or None on mains power with no battery."""
    if sensors is None:
        import psutil

        sensors = psutil.sensors_battery
    try:
        found = sensors()
    except Exception:
        log.exception("reading the battery failed")
        return None
    if found is None:
        return None
    secs = found.secsleft
    # psutil says POWER_TIME_UNLIMITED / UNKNOWN with negative numbers.
    minutes = int(secs // 60) if isinstance(secs, int | float) and secs > 0 else None
    return Battery(percent=float(found.percent), charging=bool(found.power_plugged),
                   minutes_left=minutes)


def describe_battery(state: Battery | None) -> tuple[bool, str]:
    """(fine, words) for the Device section."""
    if state is None:
        return True, "No battery: running on mains power."
    if state.charging:
        return True, f"{state.percent:.0f}%, charging."
    left = f", about {state.minutes_left} minutes left" if state.minutes_left else ""
    if state.percent < 20:
        return False, f"{state.percent:.0f}%, not charging{left}. Plug the laptop in."
    return True, f"{state.percent:.0f}%, not charging{left}."


# ------------------------------------------------------------------ clock


def clock_offset(server_date: str, local_utc: datetime) -> float:
    """Seconds the kiosk's clock is ahead of the server's ``Date`` header (negative:
    behind). Raises ValueError for a header that is not an HTTP date."""
    try:
        server = parsedate_to_datetime(server_date)
    except (TypeError, IndexError) as error:
        raise ValueError(f"not an HTTP date: {server_date!r}") from error
    if server.tzinfo is None:
        raise ValueError(f"an HTTP date without a time zone: {server_date!r}")
    return (local_utc - server).total_seconds()


def describe_clock(offset_s: float) -> tuple[bool, str]:
    """(fine, words): a Date header has one-second steps, so a second or two is exact."""
    if abs(offset_s) <= CLOCK_TOLERANCE_S:
        return True, "The laptop's clock agrees with the council's."
    minutes = abs(offset_s) / 60
    way = "fast" if offset_s > 0 else "slow"
    amount = f"{minutes:.0f} minutes" if minutes < 120 else f"{minutes / 60:.1f} hours"
    return False, (f"The laptop's clock is {amount} {way}. Set the date and time in the "
                   "laptop's settings, so answers carry the right times.")
