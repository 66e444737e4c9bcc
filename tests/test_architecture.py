"""The layout's rules hold, and the import contracts can fail: booth never imports council,
council reaches only the wire format, files and pack, and device libraries and pyrage stay
in their modules (docs/architecture.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )


def _copy_of_the_code(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for package in ("booth", "council"):
        shutil.copytree(ROOT / package, tree / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_every_booth_module_is_either_open_to_the_council_or_forbidden_to_it() -> None:
    council_rule = next(c for c in _contracts() if c["source_modules"] == ["council"])
    forbidden = set(council_rule["forbidden_modules"])  # type: ignore[call-overload]
    # booth.i18n too: the pack's loader takes the answers the booth adds from its catalogues.
    open_to_council = {"booth.wire", "booth.files", "booth.pack", "booth.i18n"}
    top_level = {
        f"booth.{path.stem}" for path in (ROOT / "booth").iterdir()
        if (path.suffix == ".py" and path.stem not in ("__init__", "__main__"))
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert top_level == forbidden | open_to_council
    assert not forbidden & open_to_council


def test_the_contracts_hold_on_this_code(tmp_path: Path) -> None:
    result = _lint_imports(_copy_of_the_code(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# Each contract broken on purpose in a copy of the code: (edits, what lint-imports says).
BREAKS = {
    "a kiosk module imports the council": (
        [("booth/clock.py", "import council.server")], "booth.clock -> council.server"),
    "Qt outside its modules": (
        [("booth/store/records.py", "import PySide6.QtCore")], "booth.store.records -> PySide6"),
    "pyrage outside the age module": (
        [("council/decrypt.py", "import pyrage")], "council.decrypt -> pyrage"),
    "OpenCV outside its capture modules": (
        [("booth/capture/feed.py", "import cv2")], "booth.capture.feed -> cv2"),
    "dlib outside the face module": (
        [("booth/capture/feed.py", "import dlib")], "booth.capture.feed -> dlib"),
    "an import circle": (
        [("booth/files.py", "import booth.clock"), ("booth/clock.py", "import booth.files")],
        "No import circles"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_breaking_a_rule_breaks_its_contract(tmp_path: Path, name: str) -> None:
    edits, said = BREAKS[name]
    tree = _copy_of_the_code(tmp_path)
    for relative, line in edits:
        module = tree / relative
        module.write_text(module.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode == 1
    assert said in result.stdout and "BROKEN" in result.stdout

def _modules() -> list[Path]:
    return sorted(p for package in ("booth", "council") for p in (ROOT / package).rglob("*.py"))


def test_no_module_is_over_700_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700}
    assert long == {}


# Each wire constant's value, and the one module allowed to spell it out.
WIRE_LITERALS = {
    '"1.0.0"': "booth/wire/protocol.py",  # tus version
    '"/files/': "booth/wire/protocol.py",
    '"/api/v1/': "booth/wire/protocol.py",
    "[0-9a-f]{64}": "booth/wire/protocol.py",
    '"SHA256SUMS"': "booth/wire/usb.py",
    '"receipts"': "booth/wire/usb.py",
}


def test_each_wire_constant_is_written_once() -> None:
    for literal, home in WIRE_LITERALS.items():
        found = [str(p.relative_to(ROOT)) for p in _modules()
                 if literal in p.read_text(encoding="utf-8")]
        assert found == [home], literal


def test_one_reader_of_the_usb_sums_list() -> None:
    readers = [str(p.relative_to(ROOT)) for p in _modules()
               if "SUMS_FILE" in (text := p.read_text(encoding="utf-8"))
               and ".read_text(" in text and "def read_sums" in text]
    assert readers == ["booth/wire/usb.py"]
