"""The ``booth`` command: run the kiosk, check the machine, record, render, sync, export."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from booth import __version__
from booth.logs import install_excepthook, setup_logging
from booth.settings import Settings, load_settings

log = logging.getLogger(__name__)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT such as 1280x720, got {text!r}"
        ) from None
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return width, height


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        help="folder for the database, takes, bundles, keys, logs and config "
        "(default: the per-user folders; or $BOOTH_DATA_DIR)",
    )
    common.add_argument("--pack", help="campaign pack file (default: One Stockport)")
    common.add_argument("--verbose", "-v", action="store_true", help="also log to the console")

    parser = argparse.ArgumentParser(
        prog="booth", description="The booth: video answers and priorities, offline."
    )
    parser.add_argument("--version", action="version", version=f"booth {__version__}")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", parents=[common], help="start the kiosk (the default)")
    run.add_argument("--demo", action="store_true",
                     help="synthetic camera and microphone, demo data folder, local council server")
    run.add_argument("--fresh", action="store_true",
                     help="with --demo: start from an empty demo data folder (its answers, "
                     "events and demo council are deleted first)")
    run.add_argument("--windowed", action="store_true", help="a normal window, for development")
    run.add_argument("--source", help="camera[:N], synthetic or a video file")
    run.add_argument("--audio", choices=["mic", "tone", "silence"])
    run.add_argument("--server", help="council server URL")
    run.add_argument("--quit-after", type=float, default=None, help=argparse.SUPPRESS)
    # bench/ui.py: write the time the attract screen was first painted to this file.
    run.add_argument("--startup-report", default=None, help=argparse.SUPPRESS)

    doctor = sub.add_parser("doctor", parents=[common],
                            help="print what the booth sees; non-zero exit if it cannot run")
    doctor.add_argument("--source", help="camera[:N], synthetic or a video file")
    doctor.add_argument("--audio", choices=["mic", "tone", "silence"])
    doctor.add_argument("--server", help="council server URL")
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    doctor.add_argument("--demo", action="store_true",
                        help="check the demo configuration (it enrols itself when it starts)")

    record = sub.add_parser("record", parents=[common], help="record a take without a screen")
    record.add_argument("--seconds", type=float, required=True)
    record.add_argument("--out", required=True, help="output MP4 file")
    record.add_argument("--source", default="synthetic", help="camera[:N], synthetic or PATH")
    record.add_argument("--audio", default="tone", choices=["mic", "tone", "silence"])
    record.add_argument("--size", type=_size, default=(1280, 720))
    record.add_argument("--fps", type=float, default=30.0)

    shots = sub.add_parser("screenshots", parents=[common],
                           help="render every screen in every look to PNG")
    shots.add_argument("--out", required=True)
    shots.add_argument("--size", type=_size, default=(1366, 768))
    shots.add_argument("--language", help="a language of the campaign pack (ur, pl, ar, en)")

    sync = sub.add_parser("sync", parents=[common], help="upload sealed bundles now")
    sync.add_argument("--server", help="council server URL")

    export = sub.add_parser("export", parents=[common],
                            help="write sealed bundles to a folder (a USB stick)")
    export.add_argument("dir")

    probe = sub.add_parser("speech-probe", help=argparse.SUPPRESS)
    probe.add_argument("--engine")
    probe.add_argument("--serve", action="store_true",
                       help="stay, and speak the JSON commands read on stdin")
    probe.add_argument("--rate", type=float, default=-0.1)

    enrol = sub.add_parser("enrol", parents=[common],
                           help="install the device credential the council issued")
    enrol.add_argument("credential", help="credential file from `booth-council enrol`")
    enrol.add_argument("--insecure-http", action="store_true",
                       help="accept a plain http:// council server that is not this machine")
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    demo = bool(getattr(args, "demo", False))
    data_dir = args.data_dir
    if demo and data_dir is None:
        from booth.demo import demo_data_dir

        data_dir = str(demo_data_dir())
    return load_settings(
        data_dir=data_dir,
        pack=args.pack,
        demo=demo,
        windowed=bool(getattr(args, "windowed", False)),
        camera=getattr(args, "source", None),
        audio=getattr(args, "audio", None),
        server_url=getattr(args, "server", None),
    )


def _fresh_demo_folder(settings: Settings) -> str | None:
    """Empty the demo's data folder for ``booth run --demo --fresh``; the problem in plain
    words when it must not be emptied."""
    import shutil

    from booth.store import lock_holder

    folder = settings.paths.data
    if not folder.exists():
        return None
    looks_like_a_booth = (folder / "booth.sqlite3").exists() or not any(folder.iterdir())
    if not looks_like_a_booth:
        return (f"{folder} does not look like a booth's data folder; --fresh deletes only "
                "a demo booth's folder.")
    if lock_holder(settings.paths) is not None:
        return f"A booth is running on {folder}; close it first."
    shutil.rmtree(folder)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    from booth.allocator import tame_allocator

    # Before any thread starts (booth.allocator says why).
    allocator = tame_allocator()
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command is None:
        args = parser.parse_args(["run", *(argv or sys.argv[1:])])
    if args.command == "speech-probe":
        from booth.ui.speech import probe_main

        return probe_main(args.engine, serve=args.serve, rate=args.rate)
    settings = settings_from_args(args)
    if getattr(args, "fresh", False):
        if not settings.demo:
            parser.error("--fresh empties the demo's data folder: use it with --demo")
        problem = _fresh_demo_folder(settings)
        if problem is not None:
            print(f"The demo cannot start afresh: {problem}", file=sys.stderr)
            return 2
    settings.paths.create()
    setup_logging(settings.paths.logs, to_console=bool(args.verbose))
    install_excepthook()
    log.info("booth %s: %s (allocator arenas: %s)", __version__, args.command, allocator)

    if args.command == "run":
        from booth.app import run_kiosk

        return run_kiosk(settings, quit_after=args.quit_after,
                         startup_report=args.startup_report)
    if args.command == "doctor":
        from booth.doctor import main as doctor_main

        return doctor_main(settings, as_json=args.json)
    if args.command == "record":
        from booth.capture.cli import record_main

        return record_main(settings, args)
    if args.command == "screenshots":
        from booth.screenshots import main as screenshots_main

        return screenshots_main(settings, args.out, args.size, args.language)
    if args.command == "sync":
        from booth.sync.cli import sync_main

        return sync_main(settings)
    if args.command == "export":
        from booth.sync.cli import export_main

        return export_main(settings, args.dir)
    if args.command == "enrol":
        from booth.sync.cli import enrol_main

        return enrol_main(settings, args.credential, insecure_http=args.insecure_http)
    parser.error(f"unknown command {args.command}")
    return 2
