"""Sync benchmark: take encryption speed and memory, tus upload vs a plain PUT, bytes re-sent.

Run from the repository root: ``.venv/bin/python -m bench.sync --mb 500``. Prints JSON.
Targets (issue 5): encryption >= 200 MB/s with <= 64 MB peak memory on a 500 MB take;
upload throughput >= 0.8 of a plain HTTP PUT of the same bytes to the same server;
bytes re-sent per interruption <= one chunk.

The council server runs in a process of its own, as in the field (``--server thread``
puts it on a thread of this one). The tus upload is timed from the start of the sync to
the receipt verified and kept (the purge of the local copy afterwards is reported
apart). Each round times a plain PUT and a tus upload back to back (odd rounds tus
first), with dirty pages written back before each. The headline is the kiosk's own
settings (CRC-32 chunk checksums, chunks sized to the link from ``--chunk-mb`` up);
chunks fixed at ``--chunk-mb`` with CRC-32, SHA-1 and no checksum are measured beside
it. Each ratio is the median over the rounds. CPU seconds of both processes are
reported too: on a machine with no core to spare, the wall-clock ratio follows them.
Re-sent bytes are measured through a proxy that cuts the link at a random point of the
chunk on the wire, for fixed and for link-sized chunks.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.plain_put import PLAIN_PUT_PATH, bench_app  # noqa: E402
from booth import take  # noqa: E402
from booth.settings import Paths  # noqa: E402
from booth.store import PART_SUFFIX, TAKE_SUFFIX, Store  # noqa: E402
from booth.sync import seal  # noqa: E402
from booth.sync.keys import Credential, DeviceKeys, install_credential  # noqa: E402
from booth.sync.uploader import SEND_SLICE, Uploader, UploaderOptions  # noqa: E402
from booth.wire.bundle import read_manifest  # noqa: E402
from council.admin import CouncilKeys, enrol, keygen, server_config  # noqa: E402
from council.server import ServerThread  # noqa: E402
from council.storage import CouncilStorage  # noqa: E402

MB = 1024 * 1024


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / MB


class _CouncilProcess:
    """The council server in a process of its own, as it is in the field (a kiosk and
    the council's machine never share an interpreter, its lock or its CPU accounting)."""

    def __init__(self, keys_dir: Path, store_dir: Path, max_chunk_size: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._parent, child = context.Pipe()
        self._process = context.Process(
            target=_serve_in_child, args=(keys_dir, store_dir, max_chunk_size, child),
            name="bench-council", daemon=True,
        )
        self._process.start()
        child.close()
        if not self._parent.poll(60):
            self._process.kill()
            raise RuntimeError("the council server process did not start")
        self.port = int(self._parent.recv())
        self.url = f"http://127.0.0.1:{self.port}"
        assert self._process.pid is not None
        self._ps = psutil.Process(self._process.pid)

    def cpu_seconds(self) -> float:
        times = self._ps.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self._parent.send("stop")
        self._process.join(15)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _serve_in_child(keys_dir: Path, store_dir: Path, max_chunk_size: int, pipe: Any) -> None:
    storage = CouncilStorage.open(store_dir)
    config = server_config(CouncilKeys.load(keys_dir), storage, max_chunk_size=max_chunk_size)
    app = bench_app(config, storage.root / "bench")
    server = ServerThread(app).start()
    pipe.send(server.port)
    with contextlib.suppress(EOFError):
        pipe.recv()
    server.stop()
    storage.close()


class _CouncilThread:
    """The council server on a thread of this process (``--server thread``)."""

    def __init__(self, keys: CouncilKeys, storage: CouncilStorage, max_chunk_size: int) -> None:
        config = server_config(keys, storage, max_chunk_size=max_chunk_size)
        self._server = ServerThread(bench_app(config, storage.root / "bench")).start()
        self.port = self._server.port
        self.url = self._server.url

    def cpu_seconds(self) -> float:
        return 0.0  # counted in this process's own CPU time

    def stop(self) -> None:
        self._server.stop()


Council = _CouncilProcess | _CouncilThread


def _release_page_cache(path: Path) -> None:
    """Hand a stored blob's cached pages back to the kernel once the round is done.

    Every round stores 500 MB more on the council side. Left cached, each round's writes
    land on memory the machine has not touched before; on a virtual machine whose host
    backs guest memory lazily that first touch is what costs (system CPU seconds grew
    from 0.5 to 2 for the same plain PUT by the fifth round here), and it falls on
    whichever side of a round comes later. Dropped as soon as the tus upload is done,
    both sides write into warm pages (the plain PUT deletes its own file)."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
        os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def _settle() -> None:
    """Write back dirty pages before a timed step, so no step pays for the one before."""
    os.sync()


def record_take(paths: Paths, recipients: list[str], size_mb: int, write_kb: int) -> dict[str, Any]:
    """Write a take as the recorder does (many small writes into the encrypting stream)."""
    paths.takes.mkdir(parents=True, exist_ok=True)
    take_id = uuid.uuid4().hex
    final = paths.takes / f"{take_id}{TAKE_SUFFIX}"
    part = final.with_name(final.name + PART_SUFFIX)
    block = os.urandom(write_kb * 1024)
    writes = size_mb * MB // len(block)
    rss_before = _rss_mb()
    peak_before = _peak_rss_mb()
    started = time.perf_counter()
    stream, review = take.open_take_writer(part, recipients)
    for _ in range(writes):
        stream.write(block)
    stream.close()
    encrypt_s = time.perf_counter() - started
    size, sha = take.finalize_take(part, final)
    total_s = time.perf_counter() - started
    review.forget()
    plain = writes * len(block)
    return {
        "take_id": take_id,
        "file_name": final.name,
        "size": size,
        "sha256": sha,
        "plaintext_mb": plain / MB,
        "encrypt_mb_s": round(plain / MB / encrypt_s, 1),
        "encrypt_fsync_hash_mb_s": round(plain / MB / total_s, 1),
        "encrypt_peak_rss_growth_mb": round(max(0.0, _peak_rss_mb() - peak_before), 1),
        "encrypt_rss_growth_mb": round(_rss_mb() - rss_before, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500, help="take size in MB (default 500)")
    parser.add_argument("--write-kb", type=int, default=64, help="size of each recorder write")
    parser.add_argument("--chunk-mb", type=int, default=8, help="tus PATCH chunk size")
    parser.add_argument("--cuts", type=int, default=5, help="interruptions to measure")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server", choices=("process", "thread"), default="process",
                        help="run the council server in a process of its own (as in the "
                        "field, the default) or on a thread of this one")
    parser.add_argument("--rounds", type=int, default=5,
                        help="upload rounds per variant; the median ratio is reported, "
                        "since a shared machine is noisy")
    args = parser.parse_args(argv)
    chunk = args.chunk_mb * MB
    rng = random.Random(args.seed)
    result: dict[str, Any] = {"take_mb": args.mb, "chunk_mb": args.chunk_mb,
                              "load_average_at_start": round(os.getloadavg()[0], 2),
                              "cpus": os.cpu_count()}

    with tempfile.TemporaryDirectory(prefix="booth-bench-") as tmp:
        root = Path(tmp)
        keys = keygen(root / "council-keys")
        storage = CouncilStorage.open(root / "council-store")
        max_chunk = max(64 * MB, chunk)
        server: Council = (
            _CouncilProcess(root / "council-keys", root / "council-store", max_chunk)
            if args.server == "process"
            else _CouncilThread(keys, storage, max_chunk)
        )
        result["server"] = args.server
        try:
            first = True
            # The headline uses the kiosk's defaults: CRC-32 chunk checksums, chunks sized
            # to the link (ChunkSizer, starting at --chunk-mb). Beside it, chunks fixed at
            # --chunk-mb with CRC-32, SHA-1 (what every tus server has) and no checksum.
            # Variants take turns within each round, and odd rounds upload with tus before
            # the plain PUT, so neither a variant nor a side always gets the same moment
            # of a run (the other tenants of a shared machine change what a moment costs).
            fixed = {"chunk_size": chunk, "min_chunk_size": chunk, "max_chunk_size": chunk,
                     "timeout": 120}
            variants = {
                "": UploaderOptions(chunk_size=chunk, timeout=120),
                "_fixed_chunks": UploaderOptions(**fixed),
                "_fixed_chunks_sha1": UploaderOptions(**fixed, checksum_algorithm="sha1"),
                "_fixed_chunks_no_checksum": UploaderOptions(**fixed, checksums=False),
            }
            by_variant: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
            for n in range(args.rounds):
                for number, (suffix, options) in enumerate(variants.items()):
                    tag = f"v{number}-{n}"
                    paths = Paths(data=root / tag, logs=root / tag / "logs",
                                  config=root / tag / "config")
                    paths.create()
                    credential_file = root / f"{tag}.json"
                    credential_file.write_text(
                        json.dumps(enrol(keys, storage, f"bench {tag}", server.url)))
                    credential = install_credential(paths, credential_file)
                    device = DeviceKeys.load_or_create(paths)
                    take = record_take(paths, list(credential.recipients), args.mb,
                                       args.write_kb)
                    if first:
                        # The first take runs in a fresh process: its memory figures count.
                        result.update({k: v for k, v in take.items()
                                       if k not in ("take_id", "file_name", "sha256", "size")})
                        result["peak_rss_mb_after_encrypt"] = round(_peak_rss_mb(), 1)
                        first = False
                    result.setdefault("encrypt_mb_s_rounds", []).append(take["encrypt_mb_s"])
                    by_variant[suffix].append(compare_upload(
                        paths, credential, device, server, take, options,
                        storage.blobs.blob_path(take["sha256"]), tus_first=n % 2 == 1))
            # This process is the kiosk: what the uploads (two chunks in memory) cost it.
            result["kiosk_peak_rss_mb_after_uploads"] = round(_peak_rss_mb(), 1)
            for suffix in variants:
                rounds = by_variant[suffix]
                plain_times = [r["tus_breakdown_s"]["plain_put"] for r in rounds]
                tus_times = [r["tus_s"] for r in rounds]
                size_mb = args.mb
                # Each round's PUT and tus upload run back to back, so the median of the
                # per-round ratios is the figure least swayed by a busy shared machine.
                result[f"tus_vs_plain_put{suffix}"] = round(
                    statistics.median(r["tus_vs_plain_put"] for r in rounds), 3)
                result[f"tus_vs_plain_put_per_round{suffix}"] = [
                    r["tus_vs_plain_put"] for r in rounds]
                result[f"tus_vs_plain_put_best_of_each{suffix}"] = round(
                    min(plain_times) / min(tus_times), 3)
                result[f"tus_vs_plain_put_with_purge{suffix}"] = round(
                    statistics.median(r["tus_breakdown_s"]["plain_put"] / r["tus_with_purge_s"]
                                      for r in rounds), 3)
                result[f"cpu_plain_over_tus{suffix}"] = round(
                    statistics.median(r["cpu_plain_over_tus"] for r in rounds), 3)
                result[f"plain_put_mb_s{suffix}"] = round(
                    size_mb / statistics.median(plain_times), 1)
                result[f"tus_upload_mb_s{suffix}"] = round(
                    size_mb / statistics.median(tus_times), 1)
                result[f"cpu_s_per_round{suffix}"] = [r["cpu_s"] for r in rounds]
                result[f"tus_breakdown_s{suffix}"] = sorted(
                    (r["tus_breakdown_s"] for r in rounds), key=lambda b: b["blobs"]
                )[len(rounds) // 2]

            # The cut lands in the chunk on the wire: fixed at --chunk-mb, and sized to
            # the link as the kiosk does (on loopback they grow to the 32 MiB cap).
            result.update(measure_resends(root, keys, storage, server, args,
                                          variants["_fixed_chunks"], "_fixed_chunks", rng))
            result.update(measure_resends(root, keys, storage, server, args,
                                          variants[""], "", rng))
        finally:
            server.stop()
            storage.close()
    result["load_average_at_end"] = round(os.getloadavg()[0], 2)
    result["targets"] = {
        "encrypt_mb_s": ">= 200", "encrypt_peak_memory_mb": "<= 64",
        "tus_vs_plain_put": ">= 0.8", "resent_per_interruption": "<= 1 chunk",
    }
    result["ok"] = bool(
        result["encrypt_mb_s"] >= 200
        and result["encrypt_peak_rss_growth_mb"] <= 64
        and result["tus_vs_plain_put"] >= 0.8
        and result["resent_within_the_chunk_in_flight"]
        and result["resent_within_the_chunk_in_flight_fixed_chunks"]
    )
    print(json.dumps(result, indent=2))
    return 0


def _file_slices(source: BinaryIO) -> Iterator[bytes]:
    while block := source.read(SEND_SLICE):
        yield block


def compare_upload(paths: Paths, credential: Credential, device: DeviceKeys, server: Council,
                   take: dict[str, Any], options: UploaderOptions,
                   server_blob: Path, tus_first: bool = False) -> dict[str, Any]:
    """Seal the take into a bundle; time a plain PUT of its bytes, then the tus upload."""
    with Store.open(paths) as store:
        event = store.create_event("Bench", "public", "adult", False)
        session_id = uuid.uuid4().hex
        store.open_session(session_id, event.id, "adult", prompt_id="love")
        store.keep_take(take["take_id"], session_id, "love", take["file_name"],
                        take["size"], take["sha256"], 60.0)
        store.finish_session(session_id)
        bundle_id = seal.seal_session(store, paths, device, credential, session_id)
        blob = paths.bundles / bundle_id / "blobs" / f"{take['sha256']}.age"

        # tus purges the bundle, so a plain PUT after it reads a hard link kept aside.
        kept = paths.data / f"bench-{take['sha256']}.age"
        os.link(blob, kept)

        def plain_put() -> tuple[float, float]:
            # A plain PUT of the same bytes to the same server, streamed from the file in
            # the slices the uploader sends (httpx reads a file object 64 KiB at a time).
            headers = {"Authorization": f"Bearer {credential.token}",
                       "Content-Length": str(kept.stat().st_size)}
            with httpx.Client(base_url=server.url, timeout=120) as client:
                _settle()
                cpu_started = time.process_time() + server.cpu_seconds()
                started = time.perf_counter()
                with open(kept, "rb") as body:
                    answer = client.put(PLAIN_PUT_PATH, content=_file_slices(body),
                                        headers=headers)
                plain_s = time.perf_counter() - started
                plain_cpu_s = time.process_time() + server.cpu_seconds() - cpu_started
            answer.raise_for_status()
            assert answer.json()["sha256"] == take["sha256"]
            return plain_s, plain_cpu_s

        marks: dict[str, float] = {}
        cpu: dict[str, float] = {}

        def mark(step: str) -> None:
            marks[step] = time.perf_counter()
            cpu[step] = time.process_time() + server.cpu_seconds()

        if not tus_first:
            plain_s, plain_cpu_s = plain_put()
        with Uploader(store, credential, device, options=options, hook=mark) as up:
            _settle()
            cpu_started = time.process_time() + server.cpu_seconds()
            started = time.perf_counter()
            report = up.run()
            tus_s = time.perf_counter() - started
        assert report.committed == [bundle_id], report
        _release_page_cache(server_blob)  # before a plain PUT that comes after it
        if tus_first:
            plain_s, plain_cpu_s = plain_put()
        kept.unlink()
    # The upload is done when the receipt is verified and kept; deleting the local copy
    # afterwards is housekeeping a plain PUT does not do, so it is reported, not counted.
    upload_s = marks["committed"] - started
    return {
        "tus_s": upload_s,
        "tus_with_purge_s": tus_s,
        "tus_vs_plain_put": round(plain_s / upload_s, 3),
        # Client and server share this process, so CPU seconds are the work both ends
        # did; on a busy shared machine the wall-clock ratio tends towards this one.
        "cpu_plain_over_tus": round(plain_cpu_s / (cpu["committed"] - cpu_started), 3),
        "cpu_s": {"plain_put": round(plain_cpu_s, 3),
                  "tus": round(cpu["committed"] - cpu_started, 3)},
        "tus_breakdown_s": {
            "plain_put": round(plain_s, 3),
            "hello_and_local_checks": round(marks["uploading"] - started, 3),
            "blobs": round(marks["blob"] - marks["uploading"], 3),
            "commit_put_and_receipt": round(marks["receipt"] - marks["blob"], 3),
            "keep_receipt": round(marks["committed"] - marks["receipt"], 3),
            "purge_not_counted": round(marks["done"] - marks["committed"], 3),
        },
    }


def measure_resends(root: Path, keys: Any, storage: CouncilStorage, server: Council,
                    args: argparse.Namespace, options: UploaderOptions, label: str,
                    rng: random.Random) -> dict[str, Any]:
    """Upload a bundle through a proxy that cuts the link ``--cuts`` times, each cut at a
    random point of the chunk then on the wire; compare what was sent again with the
    size of the chunk each cut fell in."""
    sys.path.insert(0, str(ROOT))
    from tests.helpers.sync import CuttingProxy

    name = f"cuts{label or '_sized_to_the_link'}"
    paths = Paths(data=root / name, logs=root / name / "logs", config=root / name / "config")
    paths.create()
    credential_file = root / f"{name}.json"
    credential_file.write_text(json.dumps(enrol(keys, storage, name, server.url)))
    credential = install_credential(paths, credential_file)
    device = DeviceKeys.load_or_create(paths)
    take = record_take(paths, list(credential.recipients), max(args.cuts * args.chunk_mb * 3, 32),
                       256)
    proxy = CuttingProxy(server.port)
    patches: list[list[int]] = []  # [size, answered] of every PATCH, in order

    def sending(request: httpx.Request) -> None:
        if request.method == "PATCH":
            patches.append([int(request.headers["Content-Length"]), 0])

    def answered(response: httpx.Response) -> None:
        if response.request.method == "PATCH":
            patches[-1][1] = 1

    try:
        with Store.open(paths) as store:
            event = store.create_event("Bench", "public", "adult", False)
            session_id = uuid.uuid4().hex
            store.open_session(session_id, event.id, "adult", prompt_id="love")
            store.keep_take(take["take_id"], session_id, "love", take["file_name"],
                            take["size"], take["sha256"], 60.0)
            store.finish_session(session_id)
            sealed = seal.seal_session(store, paths, device, credential, session_id)
            # Read now: once delivered, the kiosk keeps no manifest.
            total = read_manifest(paths.bundles / sealed).total_size
            armed = [0]

            def arm(_bundle: str, sent: int, total: int) -> None:
                if armed[0] < args.cuts and proxy.cuts == armed[0] and sent < total:
                    armed[0] += 1
                    size = up.chunks.size  # the chunk about to go out
                    proxy.cut_after(rng.randrange(size // 4, size))

            via_proxy = credential.model_copy(update={"server_url": proxy.url})
            with httpx.Client(base_url=proxy.url, timeout=60, follow_redirects=False,
                              event_hooks={"request": [sending], "response": [answered]}
                              ) as client, Uploader(store, via_proxy, device, client=client,
                                                    sleep=lambda _s: None, on_progress=arm,
                                                    options=options) as up:
                report = up.run()
            assert report.committed == [sealed]
    finally:
        proxy.close()
    resent = report.bytes_attempted - total
    cuts = max(proxy.cuts, 1)
    cut_chunks = [size for size, ok in patches if not ok]
    return {
        f"interruptions{label}": proxy.cuts,
        f"resent_bytes_per_interruption{label}": resent // cuts,
        f"chunk_in_flight_bytes_per_interruption{label}": sum(cut_chunks) // cuts,
        f"resent_chunks_per_interruption{label}": round(resent / max(sum(cut_chunks), 1), 3),
        f"resent_within_the_chunk_in_flight{label}": proxy.cuts == args.cuts
        and resent <= sum(cut_chunks),
    }


if __name__ == "__main__":
    raise SystemExit(main())
