"""The ``booth`` command line parses what the README documents."""

from __future__ import annotations

import subprocess
import sys

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
