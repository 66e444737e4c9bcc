"""Settings and the folders the booth keeps its data, logs and configuration in."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from booth.pack import default_pack_path

APP_NAME = "booth"
APP_AUTHOR = "booth"
DATA_DIR_ENV = "BOOTH_DATA_DIR"
PACK_ENV = "BOOTH_PACK"


@dataclass(frozen=True)
class Paths:
    """The folders the booth writes to. Everything is under ``data`` unless overridden."""

    data: Path
    logs: Path
    config: Path

    @property
    def database(self) -> Path:
        return self.data / "booth.sqlite3"

    @property
    def takes(self) -> Path:
        return self.data / "takes"

    @property
    def bundles(self) -> Path:
        return self.data / "bundles"

    @property
    def keys(self) -> Path:
        return self.data / "keys"

    @property
    def lock_file(self) -> Path:
        return self.data / "booth.lock"

    def create(self) -> None:
        for folder in (self.data, self.logs, self.config, self.takes, self.bundles, self.keys):
            folder.mkdir(parents=True, exist_ok=True)


def resolve_paths(data_dir: Path | str | None = None) -> Paths:
    """Per-user folders from platformdirs; ``--data-dir`` or ``BOOTH_DATA_DIR`` put all
    three (data, logs, config) under one folder, which is what tests and demos use."""
    chosen = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV)
    if chosen:
        root = Path(chosen).expanduser().resolve()
        return Paths(data=root, logs=root / "logs", config=root / "config")
    return Paths(
        data=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        config=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
    )


@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs to build the booth."""

    paths: Paths
    pack_path: Path = field(default_factory=lambda: default_pack_path())
    demo: bool = False
    windowed: bool = False
    camera: str = "camera:0"
    audio: str = "mic"
    server_url: str | None = None

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_settings(
    data_dir: Path | str | None = None,
    pack: Path | str | None = None,
    demo: bool = False,
    windowed: bool = False,
    camera: str | None = None,
    audio: str | None = None,
    server_url: str | None = None,
) -> Settings:
    """Settings from arguments, then the environment, then defaults. Touches no disk."""
    paths = resolve_paths(data_dir)
    chosen_pack = pack if pack is not None else os.environ.get(PACK_ENV)
    pack_path = (
        Path(chosen_pack).expanduser().resolve()
        if chosen_pack
        else default_pack_path()
    )
    return Settings(
        paths=paths,
        pack_path=pack_path,
        demo=demo,
        windowed=windowed,
        camera=camera or ("synthetic" if demo else "camera:0"),
        audio=audio or ("tone" if demo else "mic"),
        server_url=server_url,
    )
