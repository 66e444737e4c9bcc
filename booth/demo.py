"""The demo configuration: a data folder of its own, so a demo never mixes with real answers."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from booth.settings import APP_AUTHOR, APP_NAME


def demo_data_dir() -> Path:
    """Where `booth run --demo` keeps its data unless --data-dir says otherwise."""
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)) / "demo"
