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
