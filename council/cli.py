"""The ``booth-council`` command: keys, devices, the ingest server, import, decrypt, report."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from booth.wire.protocol import is_loopback_host, is_plain_http_off_loopback
from council.admin import (
    PLAIN_HTTP_WARNING,
    CouncilError,
    CouncilKeys,
    enrol,
    keygen,
    open_storage,
    read_ca_certificate,
    revoke,
    server_config,
    write_credential,
)
from council.decrypt import decrypt_all
from council.importer import import_folder
from council.maintenance import collect_garbage, verify_store
from council.report import write_report
from council.workspace import cli as workspace_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="booth-council",
        description="The council's side of the booth: receive, decrypt and report answers.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    keys = sub.add_parser("keygen", help="make the council's keys in a new folder")
    keys.add_argument("dir", help="folder for the keys (must not hold keys already)")

    enrol_cmd = sub.add_parser("enrol", help="issue a credential file for a kiosk")
    enrol_cmd.add_argument("--keys", required=True, help="the council key folder")
    enrol_cmd.add_argument("--store", required=True, help="the server's storage folder")
    enrol_cmd.add_argument("--name", required=True, help="a name for the kiosk, e.g. 'library 1'")
    enrol_cmd.add_argument("--server", required=True, help="the URL kiosks reach the server at")
    enrol_cmd.add_argument("--out", required=True, help="credential file to write")
    enrol_cmd.add_argument("--ca-cert", default=None,
                           help="the council's CA certificate (PEM) for the kiosk to trust")
    enrol_cmd.add_argument("--insecure-http", action="store_true",
                           help="allow a plain http:// server URL that is not this machine")
    enrol_cmd.add_argument("--officer-pin", default=None, metavar="PIN",
                           help="the kiosk's officer PIN (6 to 8 digits), kept hashed in the "
                           "credential; '-' reads it from standard input")

    revoke_cmd = sub.add_parser("revoke", help="stop a kiosk from sending (lost or stolen)")
    revoke_cmd.add_argument("--store", required=True, help="the server's storage folder")
    revoke_cmd.add_argument("device_id")

    devices = sub.add_parser("devices", help="list enrolled kiosks")
    devices.add_argument("--store", required=True, help="the server's storage folder")

    serve = sub.add_parser("serve", help="run the ingest server kiosks upload to")
    serve.add_argument("--keys", required=True, help="the council key folder")
    serve.add_argument("--store", required=True, help="the server's storage folder")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--max-blob-size", type=int, default=None,
                       help="largest blob accepted, in bytes (default 2 GiB)")
    serve.add_argument("--certfile", default=None, help="TLS certificate (PEM) to serve HTTPS")
    serve.add_argument("--keyfile", default=None, help="TLS private key (PEM) for --certfile")
    serve.add_argument("--insecure-http", action="store_true",
                       help="allow plain HTTP on an address other than loopback")

    imp = sub.add_parser("import", help="take in bundles from a `booth export` folder (USB)")
    imp.add_argument("dir", help="the export folder")
    imp.add_argument("--keys", required=True, help="the council key folder")
    imp.add_argument("--store", required=True, help="the server's storage folder")

    dec = sub.add_parser("decrypt", help="every received bundle to answers.json and MP4 files")
    dec.add_argument("--keys", required=True, help="the council key folder (with ingest.key)")
    dec.add_argument("--store", required=True, help="the server's storage folder")
    dec.add_argument("--out", required=True, help="folder to write to")

    ver = sub.add_parser("verify", help="re-check every received bundle in the store")
    ver.add_argument("--keys", required=True, help="the council key folder")
    ver.add_argument("--store", required=True, help="the server's storage folder")

    gc = sub.add_parser("gc", help="remove blobs no received bundle needs")
    gc.add_argument("--store", required=True, help="the server's storage folder")
    gc.add_argument("--older-than-days", type=float, default=30.0,
                    help="only blobs unclaimed for this long (default 30)")

    rep = sub.add_parser("report", help="priorities as CSV and bar charts")
    rep.add_argument("--keys", required=True, help="the council key folder (with ingest.key)")
    rep.add_argument("--store", required=True, help="the server's storage folder")
    rep.add_argument("--out", required=True, help="folder to write to")
    rep.add_argument("--pack", default=None, help="campaign pack for labels (default: shipped)")

    # The staff workspace and the commands that act on its database.
    workspace_cli.add_commands(sub)
    return parser


def _say(text: str) -> None:
    print(text, flush=True)


def _warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _set_aside(problems: list[str]) -> int:
    """Say which bundles were left out (the others were done); 1 if any was."""
    for problem in problems:
        print(f"booth-council: SET ASIDE {problem}", file=sys.stderr, flush=True)
    if problems:
        print(f"booth-council: {len(problems)} bundle(s) set aside; the others are done",
              file=sys.stderr, flush=True)
    return 1 if problems else 0


def _run(args: argparse.Namespace) -> int:
    command = args.command
    if command in workspace_cli.COMMANDS:
        return workspace_cli.run(args)
    if command == "keygen":
        made = keygen(Path(args.dir))
        _say(f"Council keys written to {made.folder}")
        _say(f"  ingest recipient: {made.ingest_recipient}")
        _say(f"  escrow recipient: {made.escrow_recipient}")
        _say("Move escrow.key to offline storage (a safe); keep ingest.key private.")
        return 0
    if command == "enrol":
        keys = CouncilKeys.load(Path(args.keys))
        with closing(open_storage(Path(args.store))) as storage:
            out = Path(args.out)
            if out.exists():
                raise CouncilError(f"{out} already exists; choose another file name")
            ca = read_ca_certificate(Path(args.ca_cert)) if args.ca_cert else None
            pin = args.officer_pin
            if pin == "-":  # kept out of the shell's history
                pin = sys.stdin.readline().strip()
            credential = enrol(keys, storage, args.name, args.server,
                               insecure_http=args.insecure_http, ca_certificate=ca,
                               officer_pin=pin)
            write_credential(credential, out)
        if is_plain_http_off_loopback(args.server):
            _warn(PLAIN_HTTP_WARNING.format(where=args.server))
        _say(f"Enrolled {args.name!r} as {credential['device_id']}; credential in {out}")
        _say("Install it on the kiosk with `booth enrol FILE`, then delete this file.")
        return 0
    if command == "revoke":
        with closing(open_storage(Path(args.store), create=False)) as storage:
            revoke(storage, args.device_id)
        _say(f"Device {args.device_id} can no longer send anything.")
        return 0
    if command == "devices":
        with closing(open_storage(Path(args.store), create=False)) as storage:
            for device in storage.catalogue.list_devices():
                state = f"withdrawn {device.revoked_at}" if device.revoked_at else "active"
                prefix = storage.catalogue.code_prefix(device.device_id) or "??"
                _say(f"{device.device_id}  {device.name}  codes {prefix}?-???  "
                     f"enrolled {device.enrolled_at}  {state}")
        return 0
    if command == "serve":
        from council.server import serve

        keys = CouncilKeys.load(Path(args.keys))
        storage = open_storage(Path(args.store))
        limits: dict[str, object] = {}
        if args.max_blob_size is not None:
            if args.max_blob_size <= 0:
                raise CouncilError("--max-blob-size must be positive")
            limits["max_blob_size"] = args.max_blob_size
        if bool(args.certfile) != bool(args.keyfile):
            raise CouncilError("--certfile and --keyfile go together")
        if not args.certfile and not is_loopback_host(args.host):
            if not args.insecure_http:
                raise CouncilError(
                    f"serving plain HTTP on {args.host} lets anyone on the network read the "
                    "kiosks' tokens: give --certfile and --keyfile, serve on 127.0.0.1 behind "
                    "a TLS reverse proxy, or add --insecure-http for a closed network"
                )
            _warn(PLAIN_HTTP_WARNING.format(where=f"{args.host}:{args.port}"))
        for name in (args.certfile, args.keyfile):
            if name and not Path(name).is_file():
                raise CouncilError(f"no file at {name}")
        try:
            serve(
                server_config(keys, storage, **limits), host=args.host, port=args.port,
                certfile=Path(args.certfile) if args.certfile else None,
                keyfile=Path(args.keyfile) if args.keyfile else None,
            )
        finally:
            storage.close()
        return 0
    if command == "import":
        keys = CouncilKeys.load(Path(args.keys))
        with closing(open_storage(Path(args.store))) as storage:
            report = import_folder(Path(args.dir), keys, storage)
        for bundle_id in report.received:
            _say(f"received {bundle_id}")
        for bundle_id in report.already_had:
            _say(f"already had {bundle_id} (receipt written again)")
        for name, reason in report.rejected:
            print(f"REFUSED {name}: {reason}", file=sys.stderr, flush=True)
        _say(f"{len(report.received)} received, {len(report.already_had)} already had, "
             f"{len(report.rejected)} refused; receipts in {Path(args.dir) / 'receipts'}")
        return 0 if report.ok else 1
    if command == "decrypt":
        keys = CouncilKeys.load(Path(args.keys))
        problems: list[str] = []
        with closing(open_storage(Path(args.store), create=False)) as storage:
            folders = decrypt_all(keys, storage, Path(args.out), problems)
        _say(f"{len(folders)} new bundle(s) decrypted into {args.out}")
        return _set_aside(problems)
    if command == "verify":
        keys = CouncilKeys.load(Path(args.keys))
        with closing(open_storage(Path(args.store), create=False)) as storage:
            audit = verify_store(keys, storage)
        for problem in audit.problems:
            print(f"PROBLEM {problem}", file=sys.stderr, flush=True)
        _say(f"{audit.bundles} bundle(s), {audit.blobs_checked} blob(s) checked, "
             f"{len(audit.problems)} problem(s); {audit.unreferenced_blobs} blob(s) belong to "
             "no received bundle yet")
        return 0 if audit.ok else 1
    if command == "gc":
        with closing(open_storage(Path(args.store), create=False)) as storage:
            blobs, parts = collect_garbage(storage, args.older_than_days)
        _say(f"removed {blobs} unclaimed blob(s) and {parts} expired unfinished upload(s)")
        return 0
    if command == "report":
        keys = CouncilKeys.load(Path(args.keys))
        problems = []
        with closing(open_storage(Path(args.store), create=False)) as storage:
            files = write_report(keys, storage, Path(args.out),
                                 Path(args.pack) if args.pack else None, problems)
        _say(json.dumps({"written": [str(path) for path in files]}, indent=2))
        return _set_aside(problems)
    raise CouncilError(f"unknown command {command}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        return _run(args)
    except CouncilError as exc:
        print(f"booth-council: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"booth-council: {exc.strerror or exc}{where}", file=sys.stderr, flush=True)
        return 1
    except Exception as exc:  # a bug must still not greet staff with a traceback
        if os.environ.get("BOOTH_COUNCIL_DEBUG"):
            raise
        print(f"booth-council: an unexpected problem stopped {args.command}: "
              f"{type(exc).__name__}: {exc} (set BOOTH_COUNCIL_DEBUG=1 to see details)",
              file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
