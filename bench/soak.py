"""Soak benchmark: a long day at the real kiosk, headless, with Qt's event loop running.

Run from the repository root: ``.venv/bin/python -m bench.soak --sessions 500``. Prints JSON.
Targets (issue 11): peak RSS <= 400 MB; RSS growth <= 30 MB after warm-up; threads and
open file descriptors flat; 0 bundles lost or duplicated.

The kiosk is the one ``booth run`` builds (``build_kiosk``: synthetic camera and tone
microphone, the real recorder, encrypted takes, review playback through Qt Multimedia,
the sync controller on), shown offscreen, and driven through varied sessions as the
screens drive the journey: video answers kept at once, retakes, watching the review,
ticks only, about-you answered or skipped, and walk-aways (the clock moved past the
"still there?" time) before or after keeping an answer; every tenth visitor is followed
by a few seconds with nobody at the booth. It syncs, as the booth does,
with ``booth-council serve`` in a process of its own. Everything runs from ``app.exec()``
(a timer steps the day on), so Qt's deferred deletes happen as they do in the field.

RSS, threads and open file descriptors are read every ``--every`` sessions. After the
last session the booth sends everything; the council's bundles are then decrypted with
its ingest key, and each finished session must be there exactly once.

``--arena-max N`` limits glibc's malloc arenas as ``booth`` itself does at start
(booth/allocator.py); ``--arena-max 0`` leaves glibc's default, to compare.
"""

from __future__ import annotations

import argparse
import os
import sys

# Before anything allocates on another thread (booth.allocator says why).
if __name__ == "__main__":
    _early = argparse.ArgumentParser(add_help=False)
    _early.add_argument("--arena-max", type=int, default=2)
    _arena = _early.parse_known_args()[0].arena_max
    if _arena > 0:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from booth.allocator import tame_allocator

        tame_allocator(_arena)

import contextlib
import json
import random
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")

MB = 1024 * 1024
# Now and then nobody comes for a few seconds (in the field, often for minutes): long
# enough for what the booth does between visitors (booth.app's TRIM_AFTER_MS).
GAP_EVERY = 10
GAP_SECONDS = 4.0
TARGETS = {"peak_rss_mb": 400.0, "rss_growth_mb": 30.0, "threads_growth": 2,
           "fds_growth": 4, "bundles_lost": 0, "bundles_duplicated": 0}


class ShiftClock:
    """The real clock, which the day can move forward (a walk-away's idle minutes)."""

    def __init__(self) -> None:
        self.shift = 0.0

    def now(self) -> float:
        return time.monotonic() + self.shift

    def utcnow(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.shift)

    def advance(self, seconds: float) -> None:
        self.shift += seconds


@dataclass
class Day:
    """What the day did and saw."""

    finished: set[str] = field(default_factory=set)  # sessions that must reach the council
    kinds: dict[str, int] = field(default_factory=dict)
    samples: list[dict[str, float]] = field(default_factory=list)
    takes: int = 0
    review_frames: int = 0
    reviews_unseen: int = 0
    stuck: list[str] = field(default_factory=list)
    peak_mb: float = 0.0  # the kiosk's highest RSS over the day


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def council_serve(keys: Path, store: Path, port: int,
                  token: str) -> Iterator[subprocess.Popen[str]]:
    """``booth-council serve`` in its own process, until the day is over."""
    process = subprocess.Popen(
        [sys.executable, "-m", "council.cli", "serve", "--keys", str(keys), "--store",
         str(store), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/hello",
                                   params={"nonce": "ab" * 16},
                                   headers={"Authorization": f"Bearer {token}"})
                if answer.status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("booth-council serve did not start")
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _sample(session: int) -> dict[str, float]:
    me = psutil.Process()
    return {"session": session, "rss_mb": round(me.memory_info().rss / MB, 1),
            "peak_so_far_mb": _peak_mb(), "threads": me.num_threads(), "fds": me.num_fds()}


def _peak_mb() -> float:
    """The process's highest RSS so far (the kernel's high-water mark)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ------------------------------------------------------------------ one session


Until = Callable[[], bool]
# Wait until this holds (at most this many seconds), or None: just let this much time pass.
Step = Iterator[tuple[Until | None, float]]


class Maybe:
    """A wait whose time running out is not the day stuck (the caller counts it)."""

    def __init__(self, until: Until) -> None:
        self.until = until

    def __call__(self) -> bool:
        return self.until()


def _session(kiosk: Any, clock: ShiftClock, day: Day, draw: random.Random) -> Step:
    """One visitor, as the screens drive the journey; yields what to wait for."""
    from booth.journey import State

    j = kiosk.journey
    window = kiosk.window
    kind = draw.choices(["video", "retake", "ticks", "walk_before", "walk_after"],
                        [45, 15, 20, 10, 10])[0]
    day.kinds[kind] = day.kinds.get(kind, 0) + 1
    look = draw.choice(["child", "adult", "older"])
    j.touch()
    j.choose_look(look)
    j.give_consent(adult_confirmed=True)
    yield (lambda: j.state is State.CHOOSE_PROMPT), 5
    session_id = j.view().session_id

    def walk_away() -> Step:
        idle = kiosk.pack.idle_for(look)
        clock.advance(idle.idle_seconds + 1)
        j.tick()
        clock.advance(idle.still_there_seconds + 1)
        j.tick()
        yield (lambda: j.state is State.ATTRACT), 5

    if kind == "walk_before":
        yield from walk_away()
        return
    if kind != "ticks":
        rounds = 2 if kind == "retake" else 1
        for attempt in range(rounds):
            if attempt == 0:
                j.choose_prompt(draw.choice(kiosk.pack.prompts_for(look)).id)
            yield (lambda: j.state is State.GET_READY), 5
            j.start_recording()
            yield (lambda: j.view().take_id is not None), 20
            seconds = draw.uniform(0.4, 1.5)
            yield None, seconds
            j.stop_recording()
            yield (lambda: j.state is State.REVIEW), 20
            # They watch the first of it back (a review that never shows a frame is
            # counted, and they carry on as a visitor would).
            yield Maybe(lambda: window.review.frames_shown >= 1), 15
            if window.review.frames_shown == 0:
                day.reviews_unseen += 1
            yield None, draw.uniform(0.2, 1.0)
            day.review_frames += window.review.frames_shown
            day.takes += 1
            if attempt + 1 < rounds:
                j.retake()
        j.keep()
    else:
        j.skip_video()
    yield (lambda: j.state is State.PRIORITIES), 5
    if kind == "walk_after":
        day.finished.add(str(session_id))  # kept answers are never lost
        yield from walk_away()
        return
    items = kiosk.pack.priority_list_for(look).items
    plist = kiosk.pack.priority_list_for(look)
    chosen = [item.id for item in draw.sample(list(items), min(plist.max_ticks, len(items)))]
    chosen = chosen[:draw.randint(1, len(chosen))]
    j.submit_priorities(chosen)
    j.continue_after_tally()
    if j.state is State.ABOUT_YOU:
        questions = kiosk.pack.about_you_for(look)
        if questions and draw.random() < 0.5:
            j.submit_about_you({q.id: draw.choice(q.options).id for q in questions})
        else:
            j.skip_about_you()
    yield (lambda: j.state is State.THANK_YOU), 5
    day.finished.add(str(session_id))
    j.finish()


# ------------------------------------------------------------------ the day


def run(sessions: int, every: int, warm_up: int, seed: int) -> dict[str, Any]:
    from booth.app import build_kiosk, qt_application
    from booth.kiosk import SETUP_DONE_KEY
    from booth.settings import load_settings
    from booth.store import Store
    from booth.sync.keys import install_credential
    from booth.ui.officer import PinGuard
    from booth.ui.speech import SilentSpeaker
    from council.admin import CouncilKeys, enrol, keygen
    from council.decrypt import read_payload
    from council.storage import CouncilStorage

    app = qt_application()
    folder = Path(tempfile.mkdtemp(prefix="booth-soak-"))
    keys_dir, store_dir = folder / "council-keys", folder / "council-store"
    keys = keygen(keys_dir)
    port = _free_port()
    storage = CouncilStorage.open(store_dir)
    credential = enrol(keys, storage, "soak kiosk", f"http://127.0.0.1:{port}")
    storage.close()
    settings = load_settings(data_dir=folder / "kiosk", camera="synthetic", audio="tone")
    settings.paths.create()
    credential_file = folder / "credential.json"
    credential_file.write_text(json.dumps(credential), encoding="utf-8")
    install_credential(settings.paths, credential_file)
    clock = ShiftClock()
    with Store.open(settings.paths) as store:  # a booth already set up
        PinGuard(store, clock).set_pin("394817")
        store.device_meta_set(SETUP_DONE_KEY, clock.utcnow().isoformat())
        store.create_event("Soak day", "public", "adult", True)

    day = Day()
    draw = random.Random(seed)
    started = time.monotonic()
    with council_serve(keys_dir, store_dir, port, credential["token"]):
        kiosk = build_kiosk(settings, clock=clock, speaker=SilentSpeaker(), start_sync=True)
        kiosk.window.settle_ms = 0
        kiosk.window.resize(1366, 768)
        kiosk.window.start()

        def the_day() -> Step:
            for index in range(1, sessions + 1):
                yield from _session(kiosk, clock, day, draw)
                if index % GAP_EVERY == 0:
                    yield None, GAP_SECONDS  # nobody at the booth for a moment
                if index % 25 == 0:
                    kiosk.window.officer.backend.sync_now()  # an officer presses Sync now
                if index % every == 0 or index == sessions:
                    yield None, 0.5  # let deferred deletes and the player settle
                    day.samples.append(_sample(index))
            # Everything sent, and the council's receipts back.
            deadline_s = 300.0
            yield (lambda: not kiosk.store.bundles_in_state("sealed", "uploading",
                                                            "committed")), deadline_s

        steps = the_day()
        waiting: list[tuple[Until | None, float]] = []
        from PySide6.QtCore import QTimer

        def step() -> None:
            try:
                if waiting:
                    until, deadline = waiting[0]
                    if until is None or not until():
                        if time.monotonic() < deadline:
                            return
                        if until is not None and not isinstance(until, Maybe):
                            # a wait that never came true: the kiosk is stuck
                            day.stuck.append(f"stuck in {kiosk.journey.state} after "
                                             f"{len(day.finished)} sessions")
                            app.exit(1)
                            return
                    waiting.clear()
                until, limit = next(steps)
                waiting.append((until, time.monotonic() + limit))
            except StopIteration:
                app.exit(0)
            except Exception as error:  # the day must end and say why
                day.stuck.append(f"{type(error).__name__}: {error}")
                app.exit(1)

        driver = QTimer()
        driver.setInterval(10)
        driver.timeout.connect(step)
        driver.start()
        app.exec()
        driver.stop()
        day.peak_mb = _peak_mb()  # the kiosk's day, before the council's check below
        elapsed = time.monotonic() - started
        kiosk_bundles = {b.id for b in kiosk.store.bundles_in_state(
            "sealed", "uploading", "committed", "purged", "quarantined")}
        quarantined = len(kiosk.store.bundles_in_state("quarantined"))
        waiting_left = len(kiosk.store.bundles_in_state("sealed", "uploading"))
        kiosk.window.allow_close()
        kiosk.window.close()
        kiosk.close()

    storage = CouncilStorage.open(store_dir)
    try:
        received = [b for b in storage.catalogue.list_bundles()
                    if b.device_id == credential["device_id"]]
        identities = CouncilKeys.load(keys_dir).ingest_identities()
        on_server: dict[str, int] = {}
        for bundle in received:
            payload = read_payload(storage, bundle, identities)
            session_id = str(payload["session"]["id"])
            on_server[session_id] = on_server.get(session_id, 0) + 1
    finally:
        storage.close()
        shutil.rmtree(folder, ignore_errors=True)
    seqs = [b.device_seq for b in received]
    duplicated = sum(n - 1 for n in on_server.values()) + (len(seqs) - len(set(seqs)))
    lost = len(day.finished - set(on_server))
    return _report(day, sessions, warm_up, every, elapsed, lost, duplicated,
                   len(received), len(kiosk_bundles), quarantined, waiting_left)


def _report(day: Day, sessions: int, warm_up: int, every: int, elapsed: float, lost: int,
            duplicated: int, received: int, made: int, quarantined: int,
            waiting_left: int) -> dict[str, Any]:
    after = [s for s in day.samples if s["session"] >= warm_up] or day.samples[-1:]
    first, last = after[0], after[-1]

    def spread(key: str) -> float:
        return max(s[key] for s in after) - min(s[key] for s in after)

    figures: dict[str, Any] = {
        "sessions": sessions,
        "kinds": day.kinds,
        "takes_recorded": day.takes,
        "review_frames_shown": day.review_frames,
        "reviews_that_showed_no_frame": day.reviews_unseen,
        "seconds": round(elapsed, 1),
        "arena_max": os.environ.get("MALLOC_ARENA_MAX", "glibc default"),
        "samples": day.samples,
        "warm_up_sessions": warm_up,
        "peak_rss_mb": day.peak_mb,
        "rss_growth_mb": round(last["rss_mb"] - first["rss_mb"], 1),
        "threads_growth": spread("threads"),
        "fds_growth": spread("fds"),
        "bundles_expected": len(day.finished),
        "bundles_made": made,
        "bundles_received": received,
        "bundles_lost": lost,
        "bundles_duplicated": duplicated,
        "bundles_set_aside": quarantined,
        "bundles_left_unsent": waiting_left,
        "stuck": day.stuck,
        "targets": TARGETS,
    }
    figures["ok"] = (not day.stuck and all(
        figures[key] <= target for key, target in TARGETS.items()))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--every", type=int, default=50, help="sample every N sessions")
    parser.add_argument("--warm-up", type=int, default=100,
                        help="growth is measured from the first sample at or after this")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--arena-max", type=int, default=2,
                        help="glibc malloc arenas, as booth sets them (0: glibc's default)")
    args = parser.parse_args()
    every = max(1, min(args.every, args.sessions))
    warm_up = min(args.warm_up, args.sessions)
    figures = run(args.sessions, every, warm_up, args.seed)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
