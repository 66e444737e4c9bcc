"""Workspace benchmark: a seek in a long answer, the answers list at scale, indexing speed.

Run from the repository root: ``.venv/bin/python -m bench.workspace [--mb 200]``. Prints
JSON with the three figures of issue 10 and their targets:

- time to first byte of a Range request in the middle of a ``--mb`` MB encrypted answer,
  through ``booth-council workspace`` in its own process (target <= 50 ms), beside the
  time it takes to decrypt from the start of the file to that point;
- server time of the answers list with ``--answers`` indexed answers (target <= 300 ms);
- indexing throughput in bundles per second (real bundles: signature, receipt, blob
  hashes and the payload decrypted), for ``--bundles`` bundles with a small video each.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"range_ttfb_ms": 50, "answers_list_ms": 300}


class _StopAt(io.RawIOBase):
    """A sink that stops a decryption once it has received ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.seen = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.seen += len(data)
        if self.seen >= self.limit:
            raise EOFError
        return len(data)


def _setup_django(keys: Path, store: Path) -> Any:
    from council.workspace.cli import setup

    return setup(argparse.Namespace(keys=str(keys), store=str(store), pack=None, escrow=[]))


def _session_cookie() -> str:
    """A signed-in reviewer's session (two-factor passed), made in this process."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from council.workspace.accounts import add_user

    user, _ = add_user(f"bench-{os.getpid()}", "reviewer", "bench")
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return str(client.cookies["workspace_session"].value)


def _fill_answers(count: int) -> None:
    """``count`` indexed sessions, one video answer each, straight into the database."""
    from council.workspace.models import Priority, Session, VideoAnswer

    now = datetime.now(UTC)
    sessions = Session.objects.bulk_create([
        Session(bundle_id=f"bench{n:08d}", device_id="dev-bench", device_name="bench",
                device_seq=n + 1, received_at=now - timedelta(minutes=n),
                reference_code=f"B{n:05d}", look=("child", "adult", "older")[n % 3],
                recorded_on=(now - timedelta(minutes=n)).date(), area="Marple",
                age_band="age_25_34", payload_sha256="0" * 64)
        for n in range(count)
    ], batch_size=2000)
    VideoAnswer.objects.bulk_create([
        VideoAnswer(session=s, number=1, blob_sha256=f"{n:064x}", blob_size=1000,
                    prompt_id="love") for n, s in enumerate(sessions)
    ], batch_size=2000)
    Priority.objects.bulk_create([
        Priority(session=s, list_id="adults", item_id="local_businesses") for s in sessions
    ], batch_size=2000)


def _start(keys: Path, store: Path) -> tuple[subprocess.Popen[str], str]:
    from tests.helpers.council import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOOTH_WORKSPACE_",
                                                                    "DJANGO_"))}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "council.cli", "workspace", "--keys", str(keys), "--store",
         str(store), "--port", str(port), "--index-every", "3600"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url + "/sign-in")
            return process, url
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError("the workspace did not start") from None
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the long answer")
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--bundles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from booth.wire.age import decrypt_stream
    from tests.helpers.workspace import add_session, make_mp4, make_store

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-workspace-") as folder:
        root = Path(folder)
        store = make_store(root)
        video = make_mp4(2.0)
        for _ in range(args.bundles):
            add_session(store, videos=[video])
        ws = _setup_django(store.keys_dir, store.store_dir)
        from council.workspace.indexer import index_new

        started = time.perf_counter()
        report = index_new(ws)
        elapsed = time.perf_counter() - started
        figures["indexed_bundles"] = len(report.indexed)
        figures["index_bundles_per_s"] = round(len(report.indexed) / elapsed, 1)

        # Then the long answer, and the answers list grown to --answers.
        plain = os.urandom(1024 * 1024) * args.mb  # random enough, and quick to make
        made = add_session(store, look="adult", prompt_id="love", videos=[plain])
        from council.workspace.models import VideoAnswer

        index_new(ws)
        long_answer = VideoAnswer.objects.get(blob_sha256=made.video_shas[0])
        _fill_answers(args.answers - args.bundles)
        cookie = _session_cookie()
        from django.db import connections

        connections.close_all()
        process, url = _start(store.keys_dir, store.store_dir)
        try:
            with httpx.Client(base_url=url, cookies={"workspace_session": cookie},
                              timeout=60) as client:
                middle = len(plain) // 2
                ttfb = []
                for n in range(args.rounds):
                    first = middle + n * 997
                    begin = time.perf_counter()
                    with client.stream("GET", f"/answers/{long_answer.pk}/video",
                                       headers={"Range": f"bytes={first}-"}) as answer:
                        assert answer.status_code == 206, answer.status_code
                        piece = next(answer.iter_raw(65536))
                        ttfb.append((time.perf_counter() - begin) * 1000)
                        assert piece == plain[first:first + len(piece)]
                listing = []
                for _ in range(args.rounds):
                    begin = time.perf_counter()
                    answer = client.get("/answers/?state=all")
                    listing.append((time.perf_counter() - begin) * 1000)
                    assert answer.status_code == 200 and "Answer" in answer.text
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=30)
        sealed = store.blob_path(made.video_shas[0])
        begin = time.perf_counter()
        with sealed.open("rb") as source, contextlib.suppress(EOFError):
            decrypt_stream(source, _StopAt(middle), ws.identities)  # type: ignore[arg-type]
        from_start = (time.perf_counter() - begin) * 1000
        store.close()

    figures.update({
        "answer_mb": args.mb,
        "range_ttfb_ms": round(statistics.median(ttfb), 1),
        "range_ttfb_ms_max": round(max(ttfb), 1),
        "decrypt_from_start_to_middle_ms": round(from_start, 1),
        "indexed_answers": args.answers,
        "answers_list_ms": round(statistics.median(listing), 1),
        "answers_list_ms_max": round(max(listing), 1),
        "targets": {"range_ttfb_ms": f"<= {TARGETS['range_ttfb_ms']}",
                    "answers_list_ms": f"<= {TARGETS['answers_list_ms']}",
                    "index_bundles_per_s": "reported"},
    })
    figures["ok"] = (figures["range_ttfb_ms"] <= TARGETS["range_ttfb_ms"]
                     and figures["answers_list_ms"] <= TARGETS["answers_list_ms"])
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
