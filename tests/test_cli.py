"""The ``booth`` command line parses what the README documents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from booth import __version__
from booth.cli import build_parser


def test_version_is_printed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "booth", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"booth {__version__}"


def test_record_options_are_parsed() -> None:
    args = build_parser().parse_args(
        ["record", "--seconds", "5", "--out", "x.mp4", "--size", "640x360", "--fps", "25"]
    )
    assert (args.seconds, args.out, args.size, args.fps) == (5.0, "x.mp4", (640, 360), 25.0)
    assert (args.source, args.audio) == ("synthetic", "tone")


@pytest.mark.parametrize("bad", ["640", "0x10", "axb", "5x-4"])
def test_bad_sizes_are_refused_with_a_clear_message(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["screenshots", "--out", "d", "--size", bad])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--size" in err
    assert bad in err


def test_every_documented_command_exists() -> None:
    parser = build_parser()
    for argv in (
        ["run", "--demo", "--windowed"],
        ["doctor", "--json"],
        ["screenshots", "--out", "d"],
        ["sync"],
        ["export", "/media/usb"],
        ["enrol", "cred.json"],
    ):
        assert parser.parse_args(argv).command == argv[0]


def test_the_demo_starts_afresh_only_on_a_booth_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from booth.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--fresh", "--data-dir", str(tmp_path / "x")])
    assert exit_info.value.code == 2
    assert "use it with --demo" in capsys.readouterr().err
    # A folder that is not a booth's is never emptied.
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    assert main(["run", "--demo", "--fresh", "--data-dir", str(precious)]) == 2
    assert "does not look like a booth's data folder" in capsys.readouterr().err
    assert (precious / "thesis.txt").exists()


def test_a_fresh_demo_forgets_the_last_demos_answers(tmp_path: Path) -> None:
    from booth.cli import main
    from booth.settings import load_settings
    from booth.store import Store

    folder = tmp_path / "demo"
    settings = load_settings(data_dir=folder, demo=True)
    settings.paths.create()
    with Store.open(settings.paths) as store:
        store.create_event("Yesterday's demo", "public", "adult", True)
    (settings.paths.takes / "left-over.mp4.age").write_bytes(b"old")
    assert main(["run", "--demo", "--fresh", "--data-dir", str(folder),
                 "--quit-after", "0.5"]) == 0
    assert not (settings.paths.takes / "left-over.mp4.age").exists()
    with Store.open(settings.paths) as store:
        assert store.current_event() is None
