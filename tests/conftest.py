"""Test-wide settings: offscreen Qt, a fresh data folder per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt widgets render offscreen unless a test asks for the virtual screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Qt Multimedia probes audio back ends noisily on machines without sound servers.
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false")

from booth.settings import Settings, load_settings


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    result = load_settings(data_dir=data_dir, demo=True)
    result.paths.create()
    return result


@pytest.fixture(autouse=True)
def _each_test_starts_in_english() -> Iterator[None]:
    """The booth's words are one setting for the process (one person at a kiosk): a test
    that switched language leaves the next one in English."""
    from booth import i18n

    yield
    i18n._current = None
