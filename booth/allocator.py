"""Keep glibc's allocator from fragmenting over a long day.

glibc gives each thread that contends for the heap an arena of its own, up to eight per
core, and memory freed in one arena is not reused by another. The kiosk's capture,
encoder, sync and Qt threads each churn through megabytes of frames, so a day of
sessions leaves hundreds of megabytes of free but unreturnable memory (measured in
bench/soak.py: see the README's benchmarks). Two arenas keep it flat at no measurable
cost to the recorder.

Big blocks (a 720p frame is 1.4 to 2.8 MB; a decoded review frame and its QImage are as
big) are given their own pages and handed back the moment they are freed: glibc does
that above its mmap threshold, but raises the threshold each time such a block is freed,
until frames land in the heap and the busiest moment of a take leaves the heap at its
high-water mark. A fixed 1 MiB threshold keeps them out of the heap (bench/soak.py's
peak).

The limit must be in place before the process's first extra arena is made, that is
before any thread allocates; ``MALLOC_ARENA_MAX`` is only read when the allocator starts,
so the booth sets the same limit with ``mallopt`` at its entry point instead (before any
thread starts), and exports the variable for the processes it starts. A limit already
in the environment (the frozen build's launcher, an administrator) is left as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)

ENV = "MALLOC_ARENA_MAX"
ARENA_MAX = 2
MMAP_ENV = "MALLOC_MMAP_THRESHOLD_"  # glibc's tunable, with its trailing underscore
MMAP_THRESHOLD = 1024 * 1024
# mallopt's parameter numbers (glibc's malloc.h: M_ARENA_MAX, M_MMAP_THRESHOLD).
_M_ARENA_MAX = -8
_M_MMAP_THRESHOLD = -3


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018 - glibc has it; musl and others do not
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def release_free_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``): the booth
    calls it between visitors, when a take's frames and its review have just been freed,
    so the laptop's memory does not stay at its busiest. True when glibc did so."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    libc.malloc_trim.restype = ctypes.c_int
    return bool(libc.malloc_trim(0))


def tame_allocator(arena_max: int = ARENA_MAX) -> str:
    """Limit glibc's arenas (Linux only; elsewhere nothing to do). Returns what was done,
    for the log: "set", "kept" (the environment already says) or "not glibc"."""
    libc = _libc()
    if libc is None:
        return "not glibc"  # Windows, macOS, musl: no arenas to tame
    mallopt = libc.mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # Each limit already in the environment (read by glibc as it started) is kept.
    if not os.environ.get(MMAP_ENV) and mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1:
        os.environ[MMAP_ENV] = str(MMAP_THRESHOLD)
    if os.environ.get(ENV):
        return "kept"
    if mallopt(_M_ARENA_MAX, arena_max) != 1:
        return "not glibc"
    os.environ[ENV] = str(arena_max)
    return "set"
