"""The kiosk's device key and the credential the council issues it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.settings import Settings
from booth.sync import keys
from booth.wire import age, bundle


def _credential_file(tmp_path: Path, **changes: object) -> Path:
    body: dict[str, object] = {
        "format": 1,
        "device_id": "device-0001",
        "token": "t" * 32,
        "server_url": "http://127.0.0.1:9",
        "recipients": [age.generate_identity()[1], age.generate_identity()[1]],
        "server_signing_key": bundle.public_key_b64(Ed25519PrivateKey.generate()),
    }
    body.update(changes)
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(body))
    return path


def test_device_key_is_made_once_and_kept_private(settings: Settings) -> None:
    first = keys.DeviceKeys.load_or_create(settings.paths)
    again = keys.DeviceKeys.load_or_create(settings.paths)
    assert first.public_b64 == again.public_b64
    key_file = settings.paths.keys / keys.DEVICE_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    signature = again.sign(b"hello")
    bundle.load_public_key(first.public_b64).verify(signature, b"hello")


def test_damaged_device_key_is_reported(settings: Settings) -> None:
    keys.DeviceKeys.load_or_create(settings.paths)
    (settings.paths.keys / keys.DEVICE_KEY_FILE).write_text("not a key")
    with pytest.raises(keys.CredentialError, match="damaged"):
        keys.DeviceKeys.load_or_create(settings.paths)


def test_install_credential_keeps_it_and_the_council_recipients(
    settings: Settings, tmp_path: Path
) -> None:
    assert keys.load_credential(settings.paths) is None
    assert keys.council_recipients(settings.paths) == []
    source = _credential_file(tmp_path)
    installed = keys.install_credential(settings.paths, source)
    assert keys.load_credential(settings.paths) == installed
    assert keys.council_recipients(settings.paths) == list(installed.recipients)
    saved = settings.paths.keys / keys.CREDENTIAL_FILE
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    recipients_file = settings.paths.keys / keys.RECIPIENTS_FILE
    assert age.read_recipients(recipients_file) == list(installed.recipients)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"recipients": ["age1notakey"]}, "recipient"),
        ({"device_id": "../x"}, "device_id"),
        ({"server_signing_key": "abc"}, "server_signing_key"),
        ({"server_url": "ftp://x"}, "server_url"),
        ({"format": 2}, "format"),
    ],
)
def test_bad_credentials_are_refused_and_nothing_is_installed(
    settings: Settings, tmp_path: Path, change: dict[str, object], reason: str
) -> None:
    with pytest.raises(keys.CredentialError, match=reason):
        keys.install_credential(settings.paths, _credential_file(tmp_path, **change))
    assert keys.load_credential(settings.paths) is None


def test_unreadable_credential_file_is_reported(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(keys.CredentialError, match="cannot read"):
        keys.install_credential(settings.paths, tmp_path / "nope.json")
    (tmp_path / "junk.json").write_text("{")
    with pytest.raises(keys.CredentialError, match="not valid JSON"):
        keys.install_credential(settings.paths, tmp_path / "junk.json")
