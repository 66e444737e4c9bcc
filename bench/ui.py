"""UI benchmark: how quickly the kiosk answers a person.

Run from the repository root: ``.venv/bin/python -m bench.ui``. Prints JSON.
Targets (issue 11):

- cold start to the attract screen painted <= 1.5 s: ``booth run`` started as a new
  process (interpreter, imports, store, camera controller, window) on a booth already
  set up, timed from the launch to the attract screen's first paint (the kiosk writes
  that moment with a hidden ``--startup-report``). The first run is the cold one (after
  the machine's file cache had other work); the median of the others is reported too.
- stop pressed to the first review frame shown <= 0.5 s: in the real kiosk (synthetic
  camera, the real recorder, encrypted take, review decrypted and played through Qt
  Multimedia), a click on Stop after ``--take-seconds`` of recording, to the first frame
  the review screen shows. The share of that spent decrypting the take on the GUI
  thread is reported apart.
- a touch to the next screen painted <= 100 ms: a click on each button that moves the
  journey on (attract, look, consent, prompt, back, no video, done, next, skip, all
  done), to the first paint of the screen it opens; median and worst.

The window runs offscreen (``QT_QPA_PLATFORM=offscreen``) unless a display is given.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")

TARGETS = {"cold_start_s": 1.5, "stop_to_review_s": 0.5, "touch_to_paint_ms": 100.0}


def set_up_booth(folder: Path) -> Any:
    """A data folder for a booth that has been set up: enrolled (to a council key made
    for the run), a PIN, the setup done, an event. Returns its settings."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from booth.clock import SystemClock
    from booth.kiosk import SETUP_DONE_KEY
    from booth.settings import load_settings
    from booth.store import Store
    from booth.sync.keys import install_credential
    from booth.ui.officer import PinGuard
    from booth.wire.age import generate_identity
    from booth.wire.bundle import public_key_b64

    settings = load_settings(data_dir=folder, camera="synthetic", audio="tone", windowed=True)
    settings.paths.create()
    _identity, recipient = generate_identity()
    credential = {
        "format": 1, "device_id": "bench-ui-kiosk", "token": "b" * 32,
        "server_url": "http://127.0.0.1:9", "recipients": [recipient],
        "server_signing_key": public_key_b64(Ed25519PrivateKey.generate()),
    }
    file = folder.parent / f"{folder.name}-credential.json"
    file.write_text(json.dumps(credential), encoding="utf-8")
    install_credential(settings.paths, file)
    clock = SystemClock()
    with Store.open(settings.paths) as store:
        PinGuard(store, clock).set_pin("394817")
        store.device_meta_set(SETUP_DONE_KEY, clock.utcnow().isoformat())
        store.create_event("Bench day", "public", "adult", True)
    return settings


# ------------------------------------------------------------------ cold start


def cold_start(folder: Path, runs: int) -> dict[str, Any]:
    settings = set_up_booth(folder / "cold")
    times: list[float] = []
    for run in range(runs):
        report = folder / f"painted-{run}.json"
        started = time.time()
        result = subprocess.run(
            [sys.executable, "-m", "booth", "run", "--windowed", "--data-dir",
             str(settings.paths.data), "--source", "synthetic", "--audio", "tone",
             "--startup-report", str(report), "--quit-after", "4"],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0 or not report.exists():
            raise RuntimeError(f"booth run failed: {result.stderr[-2000:]}")
        painted = json.loads(report.read_text(encoding="utf-8"))["painted_at"]
        times.append(painted - started)
    return {"cold_start_s": round(times[0], 3),
            "warm_start_median_s": round(statistics.median(times[1:] or times), 3),
            "start_runs_s": [round(t, 3) for t in times]}


# ------------------------------------------------------------------ in the running kiosk


class _Paints:
    """When each screen was last painted (an event filter on every screen)."""

    def __init__(self, screens: list[Any]) -> None:
        from PySide6.QtCore import QEvent, QObject

        paints = self
        self.at: dict[int, float] = {}

        class _Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    paints.at.setdefault(id(watched), time.perf_counter())
                return False

        self._filter = _Filter()
        for screen in screens:
            screen.installEventFilter(self._filter)

    def forget(self) -> None:
        self.at.clear()


def _wait(app: Any, until: Callable[[], bool], timeout: float = 20.0,
          where: Callable[[], object] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the kiosk did not get there in time ({where()})")
        app.processEvents()
        time.sleep(0.0005)


def in_the_kiosk(folder: Path, takes: int, take_seconds: float, rounds: int) -> dict[str, Any]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from booth.app import build_kiosk, qt_application
    from booth.journey import State
    from booth.ui.speech import SilentSpeaker

    app = qt_application()
    settings = set_up_booth(folder / "running")
    kiosk = build_kiosk(settings, speaker=SilentSpeaker(), with_player=True)
    window = kiosk.window
    window.settle_ms = 0
    window.resize(1366, 768)
    window.start()
    journey = kiosk.journey
    paints = _Paints(list(window.screens.values()))
    decrypts: list[float] = []
    review = kiosk.takes.review_bytes

    def timed_review(take_id: str) -> bytes | None:
        begun = time.perf_counter()
        data = review(take_id)
        decrypts.append(time.perf_counter() - begun)
        return data

    window._review = timed_review
    _wait(app, lambda: window.attract.isVisible())

    def click(widget: Any) -> None:
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())

    def touch(widget: Any, opens: State) -> float:
        """Click ``widget``; milliseconds to the first paint of the screen it opens."""
        paints.forget()
        begun = time.perf_counter()
        click(widget)
        target = window.screens[opens]
        _wait(app, lambda: id(target) in paints.at, 5.0)
        return (paints.at[id(target)] - begun) * 1000

    touches: list[tuple[str, float]] = []
    stops: list[float] = []
    sizes: list[int] = []
    try:
        for _ in range(rounds):
            touches.append(("attract", touch(window.attract.invite, State.WELCOME)))
            touches.append(("look", touch(window.welcome.tiles["adult"], State.CONSENT)))
            touches.append(("consent", touch(window.consent.yes, State.CHOOSE_PROMPT)))
            first = next(iter(window.choose.tiles.values()))
            touches.append(("prompt", touch(first, State.GET_READY)))
            touches.append(("back", touch(window.nav.back, State.CHOOSE_PROMPT)))
            touches.append(("no video", touch(window.choose.skip, State.PRIORITIES)))
            click(next(iter(window.priorities.tiles.values())))
            touches.append(("done", touch(window.priorities.done, State.TALLY)))
            opens = State.ABOUT_YOU if kiosk.pack.about_you_for("adult") else State.THANK_YOU
            touches.append(("next", touch(window.tally.next, opens)))
            if opens is State.ABOUT_YOU:
                touches.append(("skip", touch(window.about.skip, State.THANK_YOU)))
            touches.append(("all done", touch(window.thanks.finish, State.ATTRACT)))
        for _ in range(takes):
            journey.touch()
            journey.choose_look("adult")
            journey.give_consent()
            journey.choose_prompt(kiosk.pack.prompts_for("adult")[0].id)
            journey.start_recording()
            _wait(app, lambda: journey.view().take_id is not None)
            recorded: list[float] = [0.0]
            kiosk.capture.elapsed.connect(lambda s, box=recorded: box.__setitem__(0, s))
            _wait(app, lambda box=recorded: box[0] >= take_seconds, take_seconds + 30)
            begun = time.perf_counter()
            click(window.recording.stop)
            _wait(app, lambda: journey.state is State.REVIEW
                  and window.review.frames_shown > 0)
            stops.append(time.perf_counter() - begun)
            take_id = journey.view().take_id
            part = next(kiosk.settings.paths.takes.glob(f"{take_id}*"), None)
            sizes.append(part.stat().st_size if part is not None else 0)
            journey.keep()
            journey.submit_priorities([kiosk.pack.priority_list_for("adult").items[0].id])
            journey.continue_after_tally()
            if journey.state is State.ABOUT_YOU:
                journey.skip_about_you()
            journey.finish()
            _wait(app, lambda: journey.state is State.ATTRACT,
                  where=lambda: (journey.state, journey.view().notice))
    finally:
        window.allow_close()
        window.close()
        kiosk.close()
    ms = [t for _name, t in touches]
    worst = max(touches, key=lambda pair: pair[1])
    return {
        "stop_to_review_s": round(max(stops), 3) if stops else None,
        "stop_to_review_runs_s": [round(t, 3) for t in stops],
        "review_decrypt_on_gui_thread_s": [round(t, 3) for t in decrypts],
        "take_seconds": take_seconds,
        "take_mb": [round(size / 1e6, 1) for size in sizes],
        "touch_to_paint_ms": round(statistics.median(ms), 1),
        "touch_to_paint_worst_ms": round(worst[1], 1),
        "touch_to_paint_worst_at": worst[0],
        "touches": len(ms),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4, help="cold-start runs (the first is cold)")
    parser.add_argument("--takes", type=int, default=3, help="takes for stop-to-review")
    parser.add_argument("--take-seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=5, help="walks through the screens")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="booth-bench-ui-") as folder:
        figures: dict[str, Any] = {}
        figures.update(cold_start(Path(folder), max(1, args.runs)))
        figures.update(in_the_kiosk(Path(folder), args.takes, args.take_seconds, args.rounds))
    figures["targets"] = TARGETS
    figures["ok"] = (figures["cold_start_s"] <= TARGETS["cold_start_s"]
                     and (figures["stop_to_review_s"] or 0) <= TARGETS["stop_to_review_s"]
                     and figures["touch_to_paint_worst_ms"] <= TARGETS["touch_to_paint_ms"])
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
