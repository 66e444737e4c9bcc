"""The workspace's ``booth-council`` commands: workspace, user, withdraw, purge, audit, index.

Django is imported only once a command runs (``booth-council keygen`` stays light)."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import secrets
import sys
import threading
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from council.admin import CouncilError

COMMANDS = frozenset({"workspace", "user", "withdraw", "purge", "audit", "index"})
DAILY = "workspace (daily)"
log = logging.getLogger("council.workspace")


def add_commands(sub: Any) -> None:
    """Add the workspace's subcommands to ``booth-council``'s parser."""

    def where(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--keys", required=True, help="the council key folder (with ingest.key)")
        cmd.add_argument("--store", required=True, help="the council's storage folder")
        cmd.add_argument("--pack", default=None, help="campaign pack (default: shipped)")
        cmd.add_argument("--escrow", action="append", default=[],
                         help="a folder of escrow copies of blobs to clear too (repeatable)")

    ws = sub.add_parser("workspace", help="run the staff workspace (a web app for staff)")
    where(ws)
    ws.add_argument("--host", default="127.0.0.1")
    ws.add_argument("--port", type=int, default=8766)
    ws.add_argument("--certfile", default=None, help="TLS certificate (PEM) to serve HTTPS")
    ws.add_argument("--keyfile", default=None, help="TLS private key (PEM) for --certfile")
    ws.add_argument("--allowed-host", action="append", default=[],
                    help="a host name staff reach the workspace by (repeatable)")
    ws.add_argument("--index-every", type=float, default=30.0,
                    help="seconds between looks for new bundles (default 30)")

    user = sub.add_parser("user", help="staff accounts of the workspace")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="make a staff account (its password is shown once)")
    add.add_argument("name")
    add.add_argument("--role", required=True,
                     choices=["reviewer", "safeguarding-lead", "analyst", "admin"])
    add.add_argument("--prompt", action="store_true",
                     help="type the password instead of having one made")
    where(add)

    wd = sub.add_parser("withdraw", help="withdraw an answer by its reference code")
    wd.add_argument("code")
    wd.add_argument("--channel", default="phone", choices=["phone", "email", "in-person"])
    wd.add_argument("--by", default=None, help="who is doing it (default: your login name)")
    where(wd)

    purge = sub.add_parser("purge", help="delete videos past the pack's retention_days")
    purge.add_argument("--dry-run", action="store_true", help="show what would go; delete nothing")
    purge.add_argument("--now", default=None, help=argparse.SUPPRESS)
    where(purge)

    audit = sub.add_parser("audit", help="the workspace's audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check no entry was changed or removed")
    where(verify)

    index = sub.add_parser("index", help="index new bundles into the workspace once")
    where(index)


def _secret(store: Path) -> str:
    folder = store / "workspace"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text(encoding="ascii").strip()


def setup(args: argparse.Namespace, *, tls: bool = False, hosts: list[str] | None = None) -> Any:
    """Point Django at this store and keys, migrate its database, and return the Workspace."""
    store, keys = Path(args.store), Path(args.keys)
    if not (store / "catalogue.sqlite3").is_file():
        raise CouncilError(f"no council store at {store}")
    if not keys.is_dir():
        raise CouncilError(f"no key folder at {keys}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "council.workspace.settings"
    os.environ["BOOTH_WORKSPACE_STORE"] = str(store.resolve())
    os.environ["BOOTH_WORKSPACE_KEYS"] = str(keys.resolve())
    if args.pack:
        os.environ["BOOTH_WORKSPACE_PACK"] = str(Path(args.pack).resolve())
    if args.escrow:
        os.environ["BOOTH_WORKSPACE_ESCROW"] = os.pathsep.join(
            str(Path(p).resolve()) for p in args.escrow)
    os.environ["BOOTH_WORKSPACE_SECRET"] = _secret(store)
    if tls:
        os.environ["BOOTH_WORKSPACE_TLS"] = "1"
    if hosts:
        os.environ["BOOTH_WORKSPACE_ALLOWED_HOSTS"] = ",".join(hosts)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from council.workspace.context import current

    workspace = current()
    workspace.keys  # noqa: B018 -- a missing or damaged key folder is said now, not later
    return workspace


def _background(workspace: Any, every: float, stop: threading.Event) -> None:
    """Index new bundles every ``every`` seconds and purge once a day, until ``stop``."""
    from django.db import close_old_connections

    from council.workspace.indexer import index_new
    from council.workspace.models import PurgeRun
    from council.workspace.removal import purge

    while not stop.is_set():
        close_old_connections()
        try:
            report = index_new(workspace)
            if report.indexed or report.set_aside:
                log.info("indexed %d bundle(s), set aside %d", len(report.indexed),
                         len(report.set_aside))
            last = PurgeRun.objects.filter(ran_by=DAILY, dry_run=False).first()
            if last is None or workspace.clock() - last.ran_at >= timedelta(days=1):
                run = purge(workspace, DAILY)
                log.info("daily purge: %d video(s) deleted", len(run.items))
        except Exception:  # the loop must outlive one bad pass; the next one tries again
            log.exception("background indexing failed")
        finally:
            close_old_connections()
        stop.wait(every)


def _serve(args: argparse.Namespace) -> int:
    if bool(args.certfile) != bool(args.keyfile):
        raise CouncilError("--certfile and --keyfile go together")
    for name in (args.certfile, args.keyfile):
        if name and not Path(name).is_file():
            raise CouncilError(f"no file at {name}")
    hosts = list(args.allowed_host) or (
        ["*"] if args.host in ("0.0.0.0", "::") else [args.host, "localhost", "127.0.0.1"])
    workspace = setup(args, tls=bool(args.certfile), hosts=hosts)
    import uvicorn

    # whitenoise hands Django file iterators, which Django warns about under ASGI for
    # every stylesheet; the files are small and read on a worker thread, so say nothing.
    warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")
    stop = threading.Event()
    worker = threading.Thread(target=_background, args=(workspace, args.index_every, stop),
                              name="workspace-indexer", daemon=True)
    worker.start()
    scheme = "https" if args.certfile else "http"
    print(f"Council workspace on {scheme}://{args.host}:{args.port}/ "
          f"(store {args.store})", flush=True)
    try:
        uvicorn.run("council.workspace.asgi:application", host=args.host, port=args.port,
                    lifespan="off", log_level="warning", ssl_certfile=args.certfile,
                    ssl_keyfile=args.keyfile, server_header=False)
    finally:
        stop.set()
        worker.join(timeout=10)
    return 0


def _password(prompt: bool) -> str | None:
    if not prompt:
        return None
    first = getpass.getpass("Password (12 characters or more): ")
    if first != getpass.getpass("The same password again: "):
        raise CouncilError("the two passwords differ; nothing was changed")
    return first


def _who(args: argparse.Namespace) -> str:
    if getattr(args, "by", None):
        return str(args.by)
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


def run(args: argparse.Namespace) -> int:
    if args.command == "workspace":
        return _serve(args)
    workspace = setup(args)
    if args.command == "user":
        from council.workspace.accounts import AccountError, add_user

        try:
            user, password = add_user(args.name, args.role, _who(args), _password(args.prompt))
        except AccountError as exc:
            raise CouncilError(str(exc)) from None
        print(f"Made {args.role} account {user.username}.")
        if not args.prompt:
            print(f"First password (shown once, give it to them privately): {password}")
        if args.role != "analyst":
            print("They set up an authenticator app the first time they sign in.")
        return 0
    if args.command == "withdraw":
        from council.workspace.indexer import index_new
        from council.workspace.removal import WithdrawalError, withdraw

        index_new(workspace)
        try:
            record = withdraw(workspace, args.code, _who(args), args.channel)
        except WithdrawalError as exc:
            raise CouncilError(str(exc)) from None
        print(f"Withdrew the answer with code {record.reference_code}: "
              f"{len(record.blobs_deleted)} file(s) deleted from the store.")
        return 0
    if args.command == "purge":
        from council.workspace.indexer import index_new
        from council.workspace.removal import purge

        index_new(workspace)
        now = datetime.fromisoformat(args.now) if args.now else None
        run_ = purge(workspace, _who(args), dry_run=args.dry_run, now=now)
        verb = "would delete" if args.dry_run else "deleted"
        print(f"{verb} {len(run_.items)} video(s); {len(run_.held)} kept on legal hold; "
              f"evidence in {run_.evidence_file}")
        return 0
    if args.command == "audit":
        from council.workspace.audit import verify

        chain = verify()
        for problem in chain.problems:
            print(f"PROBLEM {problem}", file=sys.stderr, flush=True)
        print(f"{chain.entries} audit entries checked, {len(chain.problems)} problem(s)")
        return 0 if chain.ok else 1
    if args.command == "index":
        from council.workspace.indexer import index_new

        report = index_new(workspace)
        for bundle_id, reason in report.set_aside:
            print(f"SET ASIDE {bundle_id}: {reason}", file=sys.stderr, flush=True)
        print(f"{len(report.indexed)} bundle(s) indexed, {len(report.set_aside)} set aside")
        return 0
    raise CouncilError(f"unknown command {args.command}")
