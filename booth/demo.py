"""The demo configuration: its own data folder, and the one seam through which the
booth may start council code.

``booth run --demo`` syncs with a council server on loopback. The booth never imports
``council``: the council package registers its demo server under the entry point group
``booth.demo_council`` (see ``pyproject.toml``), and ``start_demo_council`` looks it up
there. A kiosk build without ``council/`` (the frozen build) finds none and runs without
it; its answers wait on the laptop, as with a council that is away."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol

import platformdirs

from booth.settings import APP_AUTHOR, APP_NAME, Paths

log = logging.getLogger(__name__)

#: The entry point group a council package registers its demo server under.
DEMO_COUNCIL_GROUP = "booth.demo_council"
#: Where the demo council keeps its keys and store, inside the booth's data folder.
DEMO_FOLDER = "demo-council"


def demo_data_dir() -> Path:
    """Where the demo keeps its data, apart from a real booth's."""
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)) / "demo"


class DemoCouncil(Protocol):
    """A running demo council, as the booth sees it (``council.demo.DemoCouncil``)."""

    url: str
    credential_file: Path
    device_id: str
    #: True when this booth took the demo council's credential (it was not enrolled
    #: with another council).
    installed: bool

    def stop(self) -> None: ...


class NoDemoCouncil(RuntimeError):
    """This installation of the booth has no demo council (``council/`` is absent)."""


def _starter() -> Callable[[Path], DemoCouncil]:
    found = list(entry_points(group=DEMO_COUNCIL_GROUP))
    if not found:
        raise NoDemoCouncil("this booth was installed without the council's demo server")
    starter: Callable[[Path], DemoCouncil] = found[0].load()
    return starter


def _install(paths: Paths, credential_file: Path, device_id: str) -> bool:
    """Install the demo credential unless the booth already holds another council's."""
    from booth.sync.keys import CredentialError, install_credential, load_credential

    try:
        current = load_credential(paths)
    except CredentialError:
        current = None
    if current is not None and current.device_id != device_id:
        log.info("this booth is enrolled with another council server; leaving it enrolled")
        return False
    install_credential(paths, credential_file)
    return True


def start_demo_council(paths: Paths) -> DemoCouncil:
    """Start the demo council under ``<data>/demo-council/`` (making its keys on first
    use), and enrol this booth with it unless it is enrolled with another council."""
    council = _starter()(paths.data / DEMO_FOLDER)
    try:
        council.installed = _install(paths, council.credential_file, council.device_id)
    except BaseException:
        council.stop()
        raise
    log.info("demo council server at %s", council.url)
    return council
