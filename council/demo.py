"""A council server on loopback with demo keys, so the demo booth syncs with nothing set up.

The booth reaches it only through the ``booth.demo_council`` entry point (``booth.demo``),
never by importing this package."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from council.admin import CouncilKeys, enrol, keygen, open_storage, server_config
from council.server import ServerThread, create_app
from council.storage import CouncilStorage

log = logging.getLogger(__name__)

DEMO_DEVICE_NAME = "demo booth"
_CREDENTIAL = "credential.json"
_PORT = "port"
_LOCK = "demo-council.lock"


class DemoCouncilBusy(RuntimeError):
    """Another booth process on this data folder already runs the demo council."""


class _FolderLock:
    """An exclusive lock on the demo folder, held while the demo council runs (POSIX)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            import fcntl
        except ImportError:  # Windows: one booth per data folder is kept by the store lock
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._fd)
            raise DemoCouncilBusy(
                "another booth on this data folder is already running the demo council"
            ) from None

    def release(self) -> None:
        os.close(self._fd)  # closing drops the flock


@dataclass
class DemoCouncil:
    """A running demo council server; ``stop()`` shuts it down and closes its store."""

    url: str
    folder: Path
    keys: CouncilKeys
    storage: CouncilStorage
    credential: dict[str, Any]
    credential_file: Path
    _thread: ServerThread
    _lock: _FolderLock
    # Set by the booth once it has taken (True) or declined (False) the credential.
    installed: bool = False

    @property
    def device_id(self) -> str:
        return str(self.credential["device_id"])

    @property
    def keys_dir(self) -> Path:
        return self.keys.folder

    @property
    def store_dir(self) -> Path:
        return self.storage.root

    def stop(self) -> None:
        self._thread.stop()
        self.storage.close()
        self._lock.release()


def _start_thread(app: Any, folder: Path) -> ServerThread:
    """Reuse last run's port when free, so the booth's credential keeps its URL."""
    port_file = folder / _PORT
    try:
        preferred = int(port_file.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        preferred = 0
    try:
        thread = ServerThread(app, port=preferred)
    except OSError:
        thread = ServerThread(app, port=0)
    port_file.write_text(f"{thread.port}\n", encoding="ascii")
    return thread.start()



def start_demo_council(folder: Path) -> DemoCouncil:
    """Start (making keys on first use) a demo council in ``folder`` on loopback, with a
    credential for one demo booth in ``folder/credential.json``. Raises
    ``DemoCouncilBusy`` when another booth process already runs it."""
    keys_dir = folder / "keys"
    folder.mkdir(parents=True, exist_ok=True)
    lock = _FolderLock(folder / _LOCK)
    try:
        keys = (CouncilKeys.load(keys_dir) if (keys_dir / "ingest.pub").exists()
                else keygen(keys_dir))
        storage = open_storage(folder / "store")
    except BaseException:
        lock.release()
        raise
    try:
        thread = _start_thread(create_app(server_config(keys, storage)), folder)
    except BaseException:
        storage.close()
        lock.release()
        raise
    try:
        url = thread.url
        credential_file = folder / _CREDENTIAL
        credential: dict[str, Any] | None = None
        if credential_file.exists():
            try:
                credential = json.loads(credential_file.read_text(encoding="utf-8"))
            except ValueError:
                credential = None
            if not isinstance(credential, dict) or storage.catalogue.get_device(
                str(credential.get("device_id"))
            ) is None:
                credential = None
        if credential is None:
            credential = enrol(keys, storage, DEMO_DEVICE_NAME, url)
        # The token is kept in the demo folder: it is a loopback demo, and re-enrolling on
        # every start would strand bundles sealed under the previous device id.
        credential["server_url"] = url
        part = credential_file.with_name(_CREDENTIAL + ".part")
        part.write_text(json.dumps(credential, indent=2), encoding="utf-8")
        part.replace(credential_file)
    except BaseException:
        thread.stop()
        storage.close()
        lock.release()
        raise
    return DemoCouncil(url=url, folder=folder, keys=keys, storage=storage,
                       credential=credential, credential_file=credential_file,
                       _thread=thread, _lock=lock)
