"""The council's keys and devices: keygen, enrol and revoke."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.wire.age import (
    AgeError,
    generate_identity,
    identity_file_text,
    read_identities,
    read_recipients,
)
from booth.wire.bundle import (
    BundleError,
    load_private_key,
    private_key_b64,
    public_key_b64,
)
from booth.wire.pin import hash_pin, pin_problem
from booth.wire.protocol import is_plain_http_off_loopback
from booth.wire.reference import all_prefixes
from council.api import ServerConfig, hash_token, new_token
from council.storage import CouncilStorage, Device

INGEST_KEY = "ingest.key"
INGEST_PUB = "ingest.pub"
ESCROW_KEY = "escrow.key"
ESCROW_PUB = "escrow.pub"
SIGNING_KEY = "server-signing.key"
SIGNING_PUB = "server-signing.pub"
KEY_FILES = (INGEST_KEY, INGEST_PUB, ESCROW_KEY, ESCROW_PUB, SIGNING_KEY, SIGNING_PUB)


class CouncilError(Exception):
    """Something the council's staff can fix, said in plain words (never a traceback)."""


def _write_file(path: Path, text: str, secret: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    fd = os.open(path, flags, 0o600 if secret else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def keygen(folder: Path) -> CouncilKeys:
    """Make the ingest and escrow age key pairs and the server signing key in ``folder``.

    Refuses to overwrite: losing the ingest key would make every received answer unreadable."""
    folder = Path(folder)
    existing = [name for name in KEY_FILES if (folder / name).exists()]
    if existing:
        raise CouncilError(
            f"{folder} already holds council keys ({', '.join(existing)}); "
            "refusing to overwrite them"
        )
    folder.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    for key_name, pub_name in ((INGEST_KEY, INGEST_PUB), (ESCROW_KEY, ESCROW_PUB)):
        identity, recipient = generate_identity()
        _write_file(folder / key_name, identity_file_text(identity, recipient, created), True)
        _write_file(folder / pub_name, recipient + "\n", False)
    signing = Ed25519PrivateKey.generate()
    _write_file(folder / SIGNING_KEY, private_key_b64(signing) + "\n", True)
    _write_file(folder / SIGNING_PUB, public_key_b64(signing) + "\n", False)
    return CouncilKeys.load(folder)


@dataclass(frozen=True)
class CouncilKeys:
    """The council's key folder: what the server and the tools read from it."""

    folder: Path
    ingest_recipient: str
    escrow_recipient: str
    signing_key: Ed25519PrivateKey

    @classmethod
    def load(cls, folder: Path) -> CouncilKeys:
        folder = Path(folder)
        if not folder.is_dir():
            raise CouncilError(f"no key folder at {folder} (run `booth-council keygen {folder}`)")
        try:
            ingest = read_recipients(folder / INGEST_PUB)[0]
            escrow = read_recipients(folder / ESCROW_PUB)[0]
            signing = load_private_key((folder / SIGNING_KEY).read_text(encoding="ascii"))
        except FileNotFoundError as exc:
            raise CouncilError(
                f"the key folder {folder} is missing {Path(str(exc.filename)).name}"
            ) from None
        except (AgeError, BundleError, UnicodeDecodeError, ValueError) as exc:
            raise CouncilError(f"a key in {folder} is damaged: {exc}") from None
        return cls(folder=folder, ingest_recipient=ingest, escrow_recipient=escrow,
                   signing_key=signing)

    @property
    def recipients(self) -> list[str]:
        return [self.ingest_recipient, self.escrow_recipient]

    @property
    def signing_public_b64(self) -> str:
        return public_key_b64(self.signing_key)

    def ingest_identities(self) -> list[str]:
        """The private ingest identity (only the data team's machine needs it)."""
        path = self.folder / INGEST_KEY
        try:
            return read_identities(path)
        except FileNotFoundError:
            raise CouncilError(
                f"{path} is missing: decrypting needs the council's ingest key"
            ) from None
        except (AgeError, UnicodeDecodeError) as exc:
            raise CouncilError(f"{path} is not an age identity: {exc}") from None


def open_storage(store: Path, *, create: bool = True) -> CouncilStorage:
    store = Path(store)
    if not create and not (store / "catalogue.sqlite3").is_file():
        raise CouncilError(f"no council store at {store}")
    return CouncilStorage.open(store)


def server_config(keys: CouncilKeys, storage: CouncilStorage, **limits: Any) -> ServerConfig:
    return ServerConfig(
        blobs=storage.blobs,
        catalogue=storage.catalogue,
        signing_key=keys.signing_key,
        store_dir=storage.root,
        **limits,
    )


def new_device_id() -> str:
    return "dev-" + secrets.token_hex(8)


PLAIN_HTTP_WARNING = (
    "WARNING: plain HTTP to {where}: the kiosk's token and everything it sends cross the "
    "network unencrypted, and anyone on that network can read the token and send as the "
    "kiosk. Use HTTPS (serve --certfile/--keyfile, or a TLS reverse proxy) outside a "
    "closed network you trust."
)


def read_ca_certificate(path: Path) -> str:
    """The council's CA certificate(s) as PEM text, for a credential to carry; the kiosk
    then trusts that CA and no other for the council server."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CouncilError(f"cannot read the CA certificate {path}: {exc.strerror}") from None
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CouncilError(f"{path} is not a PEM certificate (-----BEGIN CERTIFICATE-----)") \
            from None
    return "".join(
        c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certificates
    )


def enrol(
    keys: CouncilKeys,
    storage: CouncilStorage,
    name: str,
    server_url: str,
    *,
    insecure_http: bool = False,
    ca_certificate: str | None = None,
    officer_pin: str | None = None,
) -> dict[str, Any]:
    """Register a device and return its credential (the token is only ever shown here).

    Plain ``http://`` to anywhere but loopback is refused unless ``insecure_http``: the
    token would travel in clear. ``ca_certificate`` (PEM) pins the CA the kiosk trusts.
    ``officer_pin`` goes in hashed (the kiosk's own scheme): the kiosk then needs no PIN
    typed at its first-run setup; a PIN easy to guess is refused."""
    if officer_pin is not None:
        problem = pin_problem(officer_pin)
        if problem is not None:
            raise CouncilError(f"officer PIN: {problem}")
    name = name.strip()
    if not name or len(name) > 100:
        raise CouncilError("a device name of 1 to 100 characters is needed")
    if not server_url.startswith(("http://", "https://")):
        raise CouncilError("the server URL must start with http:// or https://")
    if is_plain_http_off_loopback(server_url) and not insecure_http:
        raise CouncilError(
            f"{server_url} is plain HTTP to another machine: the kiosk's token would travel "
            "in clear. Use an https:// URL, or add --insecure-http if this is a closed "
            "network you trust"
        )
    token = new_token()
    device = Device(
        device_id=new_device_id(),
        name=name,
        token_hash=hash_token(token),
        device_key=None,
        enrolled_at=datetime.now(UTC).isoformat(timespec="seconds"),
        revoked_at=None,
    )
    # A prefix drawn at random, not in order, so a code does not tell how many kiosks
    # the council had enrolled before this one.
    candidates = all_prefixes()
    secrets.SystemRandom().shuffle(candidates)
    try:
        prefix = storage.catalogue.add_device_with_prefix(device, candidates)
    except LookupError:
        raise CouncilError(
            f"every one of the {len(candidates)} reference-code prefixes has been given to a "
            "kiosk already; a prefix is never given twice, so that codes stay unique"
        ) from None
    return {
        "format": 1,
        "device_id": device.device_id,
        "token": token,
        "server_url": server_url.rstrip("/"),
        "recipients": keys.recipients,
        "server_signing_key": keys.signing_public_b64,
        "reference_prefix": prefix,
        **({"ca_cert": ca_certificate} if ca_certificate else {}),
        **({"officer_pin_hash": hash_pin(officer_pin)} if officer_pin is not None else {}),
    }


def write_credential(credential: dict[str, Any], out: Path) -> None:
    if out.exists():
        raise CouncilError(f"{out} already exists; choose another file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_file(out, json.dumps(credential, indent=2) + "\n", True)


def revoke(storage: CouncilStorage, device_id: str) -> None:
    if storage.catalogue.get_device(device_id) is None:
        raise CouncilError(f"no device {device_id} is enrolled here")
    at = datetime.fromtimestamp(time.time(), UTC).isoformat(timespec="seconds")
    if not storage.catalogue.revoke_device(device_id, at):
        raise CouncilError(f"device {device_id} was already withdrawn")
