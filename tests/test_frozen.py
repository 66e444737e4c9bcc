"""The PyInstaller build starts, runs doctor and the demo kiosk, with no import errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_frozen_build_runs_doctor_and_the_demo_kiosk() -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-frozen.sh")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(Path.home())},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "frozen smoke test: ok" in result.stdout
    assert (ROOT / "dist" / "booth" / "booth").is_file()
