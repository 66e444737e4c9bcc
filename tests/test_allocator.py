"""The booth limits glibc's malloc arenas at its entry point, before any thread starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Eight threads allocating at once: glibc gives contending threads arenas of their own
# (up to eight a core) unless limited; malloc_stats() prints one "Arena N:" each.
CHILD = """
import ctypes, sys, threading
from booth.allocator import tame_allocator
done = tame_allocator() if sys.argv[1] == "tame" else "left"
def churn():
    for _ in range(3000):
        blocks = [ctypes.create_string_buffer(4096) for _ in range(8)]
        del blocks
threads = [threading.Thread(target=churn) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
sys.stdout.write(done + "\\n"); sys.stdout.flush()
ctypes.CDLL("libc.so.6").malloc_stats()
"""


def _arenas(mode: str, env: dict[str, str]) -> tuple[str, int]:
    result = subprocess.run([sys.executable, "-c", CHILD, mode], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip(), result.stderr.count("Arena ")


def test_the_booth_limits_malloc_arenas_and_keeps_an_administrators_limit() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env["PYTHONPATH"] = str(ROOT)
    done, tamed = _arenas("tame", env)
    assert done == "set" and 1 <= tamed <= 2
    _done, left = _arenas("leave", env)
    assert left > 2  # the limit is what keeps it at two
    done, kept = _arenas("tame", {**env, "MALLOC_ARENA_MAX": "3"})
    assert done == "kept" and kept <= 3


# A 2 MB block (a 720p frame) freed and asked for again: glibc's default raises its mmap
# threshold at the first free, so the second comes from the heap (no mmapped block).
BIG_BLOCKS = """
import ctypes, sys
from booth.allocator import tame_allocator
if sys.argv[1] == "tame":
    tame_allocator()
class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Mallinfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(2 << 20))
before = libc.mallinfo2().hblks
block = libc.malloc(2 << 20)
print(libc.mallinfo2().hblks - before)
"""


def test_frame_sized_blocks_keep_their_own_pages_and_go_back_when_freed() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_")}
    env["PYTHONPATH"] = str(ROOT)

    def mapped_blocks(mode: str) -> int:
        result = subprocess.run([sys.executable, "-c", BIG_BLOCKS, mode], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60, check=True)
        return int(result.stdout.strip())

    assert mapped_blocks("tame") == 1  # its own pages, as every frame's will be
    assert mapped_blocks("leave") == 0  # glibc's default: in the heap, after one free
