"""The layout's rules hold, and the import contracts can fail: booth never imports council,
council reaches only the wire format, files and pack, and device libraries and pyrage stay
in their modules (docs/architecture.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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
    open_to_council = {"booth.wire", "booth.files", "booth.pack"}
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


def test_a_kiosk_module_importing_the_council_breaks_a_contract(tmp_path: Path) -> None:
    tree = _copy_of_the_code(tmp_path)
    clock = tree / "booth" / "clock.py"
    clock.write_text(clock.read_text(encoding="utf-8") + "\nimport council.server\n",
                     encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode == 1
    assert "booth.clock -> council.server" in result.stdout


def test_qt_outside_its_modules_breaks_a_contract(tmp_path: Path) -> None:
    tree = _copy_of_the_code(tmp_path)
    records = tree / "booth" / "store" / "records.py"
    records.write_text(records.read_text(encoding="utf-8") + "\nimport PySide6.QtCore\n",
                       encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode == 1
    assert "booth.store.records -> PySide6" in result.stdout


def test_pyrage_outside_the_age_module_breaks_a_contract(tmp_path: Path) -> None:
    tree = _copy_of_the_code(tmp_path)
    decrypt = tree / "council" / "decrypt.py"
    decrypt.write_text(decrypt.read_text(encoding="utf-8") + "\nimport pyrage\n",
                       encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode == 1
    assert "council.decrypt -> pyrage" in result.stdout


def test_opencv_or_dlib_outside_their_capture_modules_breaks_a_contract(
    tmp_path: Path
) -> None:
    tree = _copy_of_the_code(tmp_path)
    feed = tree / "booth" / "capture" / "feed.py"
    feed.write_text(feed.read_text(encoding="utf-8") + "\nimport dlib\nimport cv2\n",
                    encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode == 1
    assert "booth.capture.feed -> dlib" in result.stdout
    assert "booth.capture.feed -> cv2" in result.stdout


def test_an_import_circle_breaks_a_contract(tmp_path: Path) -> None:
    tree = _copy_of_the_code(tmp_path)
    files = tree / "booth" / "files.py"
    files.write_text(files.read_text(encoding="utf-8") + "\nimport booth.clock\n",
                     encoding="utf-8")
    clock = tree / "booth" / "clock.py"
    clock.write_text(clock.read_text(encoding="utf-8") + "\nimport booth.files\n",
                     encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode == 1
    assert "No import circles" in result.stdout and "BROKEN" in result.stdout


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
