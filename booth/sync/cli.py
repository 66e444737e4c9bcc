"""``booth sync``, ``booth export DIR`` and ``booth enrol FILE``: sync work from a terminal."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)

from booth.settings import Settings
from booth.store import Store, StoreError
from booth.sync.export import ReceiptReport, accept_receipts_in, export_bundles
from booth.sync.keys import (
    Credential,
    CredentialError,
    DeviceKeys,
    install_credential,
    load_credential_for,
)
from booth.sync.online import make_client, say_hello
from booth.sync.seal import reconcile_bundles, seal_pending
from booth.sync.uploader import GaveUp, NeedsOfficer, SyncStopped, Uploader, UploaderOptions
from booth.wire.protocol import is_plain_http_off_loopback

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_NOT_NOW = 1  # offline or busy: nothing lost, try later
EXIT_SETUP = 2  # not enrolled, bad credential, the booth is running
EXIT_OFFICER = 3  # needs a person: revoked, conflicting bundle, damaged bundles


def _console() -> Console:
    return Console(highlight=False)


def _credential(settings: Settings, console: Console) -> Credential | None:
    try:
        credential = load_credential_for(settings)
    except CredentialError as exc:
        console.print(f"The booth's credential is damaged: {exc}. Enrol the booth again.")
        return None
    if credential is None:
        console.print("This booth is not enrolled yet. Run `booth enrol FILE` with the "
                      "credential file the council gave you.")
        return None
    return credential


def _open_store(settings: Settings, console: Console) -> Store | None:
    try:
        return Store.open(settings.paths)
    except StoreError as exc:
        console.print(f"{exc}\nThe running booth sends answers by itself; close it to use "
                      "this command.")
        return None


def _credential_and_store(
    settings: Settings, console: Console
) -> tuple[Credential, Store] | None:
    """What every sending command needs first; None (and a plain message) when it cannot."""
    credential = _credential(settings, console)
    if credential is None:
        return None
    store = _open_store(settings, console)
    if store is None:
        return None
    return credential, store


def enrol_main(settings: Settings, file: str | Path, insecure_http: bool = False) -> int:
    """Install the council's credential, make the device key, and say whether the server
    answers (being offline now is fine). Plain HTTP to another machine needs
    ``insecure_http``, and is warned about."""
    console = _console()
    try:
        credential = install_credential(settings.paths, file, insecure_http=insecure_http)
    except CredentialError as exc:
        console.print(f"Could not enrol: {exc}")
        return EXIT_SETUP
    if is_plain_http_off_loopback(credential.server_url):
        console.print(f"WARNING: {credential.server_url} is plain HTTP: this booth's token "
                      "and what it sends cross the network unencrypted. Use it only on a "
                      "closed network you trust.")
    DeviceKeys.load_or_create(settings.paths)
    console.print(f"Enrolled as {credential.device_id}; answers will go to "
                  f"{credential.server_url}.")
    with make_client(credential, timeout=5.0) as client:
        hello = say_hello(client, credential)
    if hello.online:
        console.print("The council server answered: syncing will work.")
    else:
        console.print(f"The council server did not answer ({hello.detail}). That is fine: "
                      "the booth keeps everything and sends it when it can.")
    return EXIT_OK


def _prepare(store: Store, settings: Settings, credential: Credential) -> DeviceKeys:
    device = DeviceKeys.load_or_create(settings.paths)
    store.reconcile()
    reconcile_bundles(store, settings.paths)
    seal_pending(store, settings.paths, device, credential)
    return device


def sync_main(settings: Settings, give_up_after: int = 5) -> int:
    """Seal what is waiting and send every sealed bundle now, with a progress bar."""
    console = _console()
    opened = _credential_and_store(settings, console)
    if opened is None:
        return EXIT_SETUP
    credential, store = opened
    try:
        device = _prepare(store, settings, credential)
        pending = store.bundles_in_state("sealed", "uploading")
        if not pending and not store.withdrawals_to_forward():
            console.print("Nothing to send: every answer has reached the council.")
            return EXIT_OK
        console.print(f"Sending {len(pending)} bundle(s) to {credential.server_url} ...")
        tasks: dict[str, TaskID] = {}
        with Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), console=console, transient=False,
        ) as progress:

            def on_progress(bundle_id: str, sent: int, total: int) -> None:
                if bundle_id not in tasks:
                    tasks[bundle_id] = progress.add_task(f"bundle {bundle_id[:8]}", total=total)
                progress.update(tasks[bundle_id], completed=sent, total=total)

            uploader = Uploader(
                store, credential, device,
                options=UploaderOptions(give_up_after=give_up_after),
                on_progress=on_progress,
            )
            try:
                report = uploader.run()
            except NeedsOfficer as exc:
                console.print(f"Stopped: {exc}. Please tell the council's team.")
                return EXIT_OFFICER
            except GaveUp as exc:
                console.print(f"Not sent now ({exc}). Nothing is lost; try again later.")
                return EXIT_NOT_NOW
            except SyncStopped:
                return EXIT_NOT_NOW
            finally:
                uploader.close()
        console.print(f"Sent {len(report.committed)} bundle(s); the council confirmed each "
                      "one, and the booth's copies are deleted.")
        told = report.messages.withdrawals_forwarded if report.messages else []
        if told:
            console.print(f"The council has {len(told)} withdrawal(s) made here after "
                          "sending; it deletes those answers.")
        if report.quarantined:
            console.print(f"{len(report.quarantined)} damaged bundle(s) were set aside and "
                          "not sent; the officer panel lists them.")
            return EXIT_OFFICER
        return EXIT_OK
    finally:
        store.close()


def accept_receipts(settings: Settings, folder: str | Path) -> int:
    """``booth export DIR`` runs this first; also usable on its own. Returns an exit code."""
    console = _console()
    opened = _credential_and_store(settings, console)
    if opened is None:
        return EXIT_SETUP
    credential, store = opened
    try:
        report = accept_receipts_in(store, settings, credential, Path(folder))
    finally:
        store.close()
    _print_receipts(console, report)
    return EXIT_OFFICER if report.refused else EXIT_OK


def _print_receipts(console: Console, report: ReceiptReport) -> None:
    if report.accepted:
        console.print(f"The council confirmed {len(report.accepted)} bundle(s) brought on the "
                      "stick; the booth's copies are deleted.")
    for bundle_id, reason in report.refused:
        console.print(f"Receipt for {bundle_id[:8]} not accepted: {reason}")


def export_main(settings: Settings, folder: str | Path) -> int:
    """Accept any receipts already on the stick, then export every sealed bundle to it."""
    console = _console()
    opened = _credential_and_store(settings, console)
    if opened is None:
        return EXIT_SETUP
    credential, store = opened
    target = Path(folder).expanduser()
    try:
        receipts = accept_receipts_in(store, settings, credential, target)
        _print_receipts(console, receipts)
        _prepare(store, settings, credential)
        try:
            report = export_bundles(store, settings, target)
        except OSError as exc:
            console.print(f"Could not write to {target}: {exc}. Nothing was deleted from the "
                          "booth; try another stick.")
            return EXIT_NOT_NOW
    finally:
        store.close()
    console.print(f"Exported {len(report.exported)} bundle(s) to {target}. The booth keeps "
                  "its copies until the council's receipts come back on this stick.")
    if report.quarantined:
        console.print(f"{len(report.quarantined)} damaged bundle(s) were set aside and not "
                      "exported.")
        return EXIT_OFFICER
    return EXIT_OFFICER if receipts.refused else EXIT_OK
