"""The kiosk's keys: its own Ed25519 device key and the credential the council issued it."""

from __future__ import annotations

import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from booth.files import durable_replace
from booth.settings import Paths, Settings
from booth.store import REFERENCE_PREFIX_FILE
from booth.wire.age import AgeError, parse_recipient
from booth.wire.bundle import (
    ID_PATTERN,
    BundleError,
    field_problem,
    load_private_key,
    load_public_key,
    private_key_b64,
    public_key_b64,
)
from booth.wire.pin import HASH_PATTERN as PIN_HASH_PATTERN
from booth.wire.protocol import is_plain_http_off_loopback
from booth.wire.reference import PREFIX_LENGTH, REFERENCE_ALPHABET

DEVICE_KEY_FILE = "device.key"
DEVICE_PUB_FILE = "device.pub"
CREDENTIAL_FILE = "credential.json"
RECIPIENTS_FILE = "council.recipients"
REFERENCE_PREFIX_PATTERN = f"^[{REFERENCE_ALPHABET}]{{{PREFIX_LENGTH}}}$"


class CredentialError(Exception):
    """A credential file that is missing, unreadable or not one the council issued."""


def _write_private(path: Path, text: str) -> None:
    """Write a small secret file atomically and durably, readable only by this user."""
    part = path.with_name(path.name + ".part")
    part.unlink(missing_ok=True)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    durable_replace(part, path)


@dataclass(frozen=True)
class DeviceKeys:
    """The Ed25519 key this kiosk signs its manifests with; made on first start."""

    private_key: Ed25519PrivateKey

    @property
    def public_b64(self) -> str:
        return public_key_b64(self.private_key)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    @classmethod
    def load_or_create(cls, paths: Paths) -> DeviceKeys:
        paths.keys.mkdir(parents=True, exist_ok=True)
        key_file = paths.keys / DEVICE_KEY_FILE
        if key_file.exists():
            try:
                return cls(load_private_key(key_file.read_text(encoding="ascii")))
            except (BundleError, UnicodeDecodeError, ValueError) as exc:
                raise CredentialError(f"the device key file is damaged: {exc}") from None
        key = Ed25519PrivateKey.generate()
        _write_private(key_file, private_key_b64(key) + "\n")
        _write_private(paths.keys / DEVICE_PUB_FILE, public_key_b64(key) + "\n")
        return cls(key)


class Credential(BaseModel):
    """What ``booth-council enrol`` issues: who this device is, where and to whom to send."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = Field(ge=1, le=1)
    device_id: str = Field(pattern=ID_PATTERN)
    token: str = Field(min_length=16, max_length=200)
    server_url: str = Field(min_length=1, max_length=500)
    recipients: tuple[str, ...] = Field(min_length=1, max_length=16)
    server_signing_key: str
    # The two characters this kiosk's reference codes begin with, unique to it among the
    # council's kiosks (older credentials have none: their codes are all random).
    reference_prefix: str | None = Field(default=None, pattern=REFERENCE_PREFIX_PATTERN)
    # The council's own CA certificate(s), PEM: when present the kiosk trusts that CA,
    # and no other, for the council server (a public CA or an intercepting proxy is out).
    ca_cert: str | None = Field(default=None, min_length=1, max_length=64 * 1024)
    # The officer PIN the council chose, hashed as booth.wire.pin does: the kiosk needs no
    # PIN typed at setup, and uses this one until an officer sets another on the kiosk.
    officer_pin_hash: str | None = Field(default=None, pattern=PIN_HASH_PATTERN)

    def to_dict(self) -> dict[str, Any]:
        # Fields a credential does not carry stay out, so an older kiosk could read it.
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def parse(cls, data: bytes | str) -> Credential:
        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise CredentialError("the credential file is not valid JSON") from None
        try:
            credential = cls.model_validate(raw)
        except ValidationError as exc:
            raise CredentialError(field_problem(exc, "credential")) from None
        for recipient in credential.recipients:
            try:
                parse_recipient(recipient)
            except AgeError as exc:
                raise CredentialError(f"credential recipient: {exc}") from None
        try:
            load_public_key(credential.server_signing_key)
        except BundleError as exc:
            raise CredentialError(f"credential server_signing_key: {exc}") from None
        if not credential.server_url.startswith(("http://", "https://")):
            raise CredentialError("credential server_url must start with http:// or https://")
        if credential.ca_cert is not None:
            try:
                ssl.create_default_context(cadata=credential.ca_cert)
            except (ssl.SSLError, ValueError) as exc:
                raise CredentialError(f"credential ca_cert is not a PEM certificate: {exc}") \
                    from None
        return credential

    def tls_context(self) -> ssl.SSLContext | None:
        """An SSL context that trusts exactly the council's CA, or None (the system's)."""
        if self.ca_cert is None:
            return None
        return ssl.create_default_context(cadata=self.ca_cert)


def install_credential(
    paths: Paths, file: Path | str, *, insecure_http: bool = False
) -> Credential:
    """Check a credential file and keep it (and the council's recipients) under paths.keys.

    A plain ``http://`` server other than this machine is refused unless
    ``insecure_http``: the device token would cross the network in clear."""
    source = Path(file)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise CredentialError(f"cannot read {source}: {exc.strerror}") from None
    credential = Credential.parse(data)
    if is_plain_http_off_loopback(credential.server_url) and not insecure_http:
        raise CredentialError(
            f"the council server {credential.server_url} is plain HTTP to another machine, "
            "so this booth's token would travel in clear. Ask the council for an https:// "
            "credential, or add --insecure-http if this is a closed network you trust"
        )
    paths.keys.mkdir(parents=True, exist_ok=True)
    _write_private(paths.keys / CREDENTIAL_FILE, json.dumps(credential.to_dict(), indent=2))
    _write_private(paths.keys / RECIPIENTS_FILE, "\n".join(credential.recipients) + "\n")
    # The store reads this when it gives a finished session its reference code.
    prefix_file = paths.keys / REFERENCE_PREFIX_FILE
    if credential.reference_prefix is not None:
        _write_private(prefix_file, credential.reference_prefix + "\n")
    else:
        prefix_file.unlink(missing_ok=True)
    return credential


def load_credential(paths: Paths) -> Credential | None:
    """The installed credential, or None when this booth has not been enrolled."""
    file = paths.keys / CREDENTIAL_FILE
    if not file.exists():
        return None
    return Credential.parse(file.read_bytes())


def load_credential_for(settings: Settings) -> Credential | None:
    """:func:`load_credential`, sending to ``settings.server_url`` instead when that is set."""
    credential = load_credential(settings.paths)
    if credential is not None and settings.server_url:
        credential = credential.model_copy(update={"server_url": settings.server_url})
    return credential


def council_recipients(paths: Paths) -> list[str]:
    """The council's age recipients takes are encrypted to (empty before enrolment)."""
    credential = load_credential(paths)
    return list(credential.recipients) if credential is not None else []
