"""Settings resolve the data, log and config folders from options, environment and defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from booth.pack import default_pack_path
from booth.settings import DATA_DIR_ENV, PACK_ENV, load_settings, resolve_paths


def test_data_dir_option_puts_everything_under_one_folder(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "kiosk")
    assert paths.data == (tmp_path / "kiosk").resolve()
    assert paths.logs == paths.data / "logs"
    assert paths.config == paths.data / "config"
    assert paths.database == paths.data / "booth.sqlite3"


def test_environment_variable_is_used_when_no_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert resolve_paths().data == (tmp_path / "from-env").resolve()
    # the option wins over the environment
    assert resolve_paths(tmp_path / "opt").data == (tmp_path / "opt").resolve()


def test_default_folders_are_per_user_platform_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    paths = resolve_paths()
    assert "booth" in str(paths.data)
    assert paths.data != paths.logs


def test_loading_settings_creates_nothing(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "untouched")
    assert not (tmp_path / "untouched").exists()
    settings.paths.create()
    for folder in ("takes", "bundles", "keys", "logs", "config"):
        assert (tmp_path / "untouched" / folder).is_dir()


def test_demo_uses_synthetic_sources_and_real_otherwise(tmp_path: Path) -> None:
    demo = load_settings(data_dir=tmp_path, demo=True)
    assert (demo.camera, demo.audio) == ("synthetic", "tone")
    real = load_settings(data_dir=tmp_path)
    assert (real.camera, real.audio) == ("camera:0", "mic")
    chosen = load_settings(data_dir=tmp_path, demo=True, camera="camera:2", audio="silence")
    assert (chosen.camera, chosen.audio) == ("camera:2", "silence")


def test_pack_comes_from_option_then_environment_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PACK_ENV, raising=False)
    assert load_settings(data_dir=tmp_path).pack_path == default_pack_path()
    assert default_pack_path().is_file()
    monkeypatch.setenv(PACK_ENV, str(tmp_path / "env.toml"))
    assert load_settings(data_dir=tmp_path).pack_path == (tmp_path / "env.toml").resolve()
    chosen = load_settings(data_dir=tmp_path, pack=tmp_path / "opt.toml")
    assert chosen.pack_path == (tmp_path / "opt.toml").resolve()
