"""The bundle format both ends share: canonical JSON, signed manifests, blobs and receipts."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from booth.files import file_sha256
from booth.wire.protocol import SHA256_PATTERN, SHA256_RE

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
BLOBS_DIR = "blobs"
BLOB_SUFFIX = ".age"

# Ids travel in URLs and become folder names on both ends: letters, digits, - and _ only.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$"
SEALED_AT_PATTERN = r"^\d{4}-\d{2}-\d{2}(T\d{2}Z)?$"
_B64_PATTERN = r"^[A-Za-z0-9+/]+={0,2}$"
ID_RE = re.compile(ID_PATTERN)

MAX_BLOBS = 256
MAX_MANIFEST_BYTES = 64 * 1024

BlobKind = Literal["payload", "video"]
Sha256Hex = Annotated[str, Field(pattern=SHA256_PATTERN)]
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]
B64 = Annotated[str, Field(pattern=_B64_PATTERN, max_length=200)]


class BundleError(Exception):
    """A bundle, manifest or receipt that cannot be trusted, with the reason in plain words."""


def canonical_json(obj: Any) -> bytes:
    """The one byte form every signature and hash in the protocol is taken over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def json_object(data: bytes | str | Mapping[str, Any], what: str,
                max_bytes: int | None = None) -> dict[str, Any]:
    """``data`` as a JSON object, or BundleError("<what> is not ..."): the one reader of
    every record both ends exchange (``max_bytes`` bounds what is read from outside)."""
    if isinstance(data, bytes | str):
        if max_bytes is not None and len(data) > max_bytes:
            raise BundleError(f"{what} is too large")
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BundleError(f"{what} is not valid JSON") from None
    if not isinstance(data, Mapping):
        raise BundleError(f"{what} is not a JSON object")
    return dict(data)


def field_problem(exc: ValidationError, what: str) -> str:
    """The first thing pydantic found wrong, as "<what> field <where>: <message>"."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or what
    return f"{what} field {where}: {first['msg']}"


class WireRecord(BaseModel):
    """A signed record of the protocol (receipt, withdrawal, its receipt): one JSON object,
    read strictly, written as canonical JSON. ``WHAT`` names it in errors."""

    WHAT: ClassVar[str] = "record"
    MAX_BYTES: ClassVar[int | None] = None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_dict())

    @classmethod
    def parse(cls, data: bytes | str | Mapping[str, Any]) -> Self:
        try:
            return cls.model_validate(json_object(data, cls.WHAT, cls.MAX_BYTES))
        except ValidationError as exc:
            raise BundleError(field_problem(exc, cls.WHAT)) from None


def is_valid_id(text: str) -> bool:
    return bool(ID_RE.fullmatch(text))


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise BundleError("not valid base64") from None


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b64encode(raw)


def private_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return b64encode(raw)


def load_public_key(text: str) -> Ed25519PublicKey:
    raw = b64decode(text.strip())
    if len(raw) != 32:
        raise BundleError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_private_key(text: str) -> Ed25519PrivateKey:
    raw = b64decode(text.strip())
    if len(raw) != 32:
        raise BundleError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


class BlobRef(BaseModel):
    """One encrypted blob of a bundle, named by the SHA-256 of its ciphertext."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    sha256: Sha256Hex
    size: int = Field(ge=0)
    kind: BlobKind

    @property
    def file_name(self) -> str:
        return self.sha256 + BLOB_SUFFIX


class Manifest(BaseModel):
    """The readable, signed table of contents of a bundle. It holds no personal data."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    format_version: Literal[1]
    bundle_id: Identifier
    device_id: Identifier
    device_seq: int = Field(ge=1)
    app_version: str = Field(min_length=1, max_length=40)
    sealed_at: str = Field(pattern=SEALED_AT_PATTERN)
    blobs: tuple[BlobRef, ...] = Field(min_length=1, max_length=MAX_BLOBS)
    device_key: B64
    signature: B64

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def signed_part(self) -> dict[str, Any]:
        body = self.to_dict()
        del body["signature"]
        return body

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_dict())

    @property
    def sha256(self) -> str:
        """The hash a receipt names: of the canonical JSON of the whole signed manifest."""
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @property
    def payload(self) -> BlobRef:
        return next(blob for blob in self.blobs if blob.kind == "payload")

    @property
    def total_size(self) -> int:
        return sum(blob.size for blob in self.blobs)

    @classmethod
    def parse(cls, data: bytes | str | Mapping[str, Any]) -> Manifest:
        """Parse and check the shape (not the signature); BundleError says what is wrong."""
        data = json_object(data, "manifest", MAX_MANIFEST_BYTES)
        # JSON arrays arrive as lists; strict mode wants the tuple the model holds.
        if isinstance(data.get("blobs"), list):
            data = {**data, "blobs": tuple(data["blobs"])}
        try:
            manifest = cls.model_validate(data)
        except ValidationError as exc:
            raise BundleError(field_problem(exc, "manifest")) from None
        kinds = [blob.kind for blob in manifest.blobs]
        if kinds.count("payload") != 1:
            raise BundleError("manifest must list exactly one payload blob")
        hashes = [blob.sha256 for blob in manifest.blobs]
        if len(set(hashes)) != len(hashes):
            raise BundleError("manifest lists the same blob twice")
        return manifest


def sign_manifest(
    *,
    bundle_id: str,
    device_id: str,
    device_seq: int,
    app_version: str,
    sealed_at: str,
    blobs: list[BlobRef] | tuple[BlobRef, ...],
    device_key: Ed25519PrivateKey,
) -> Manifest:
    """A manifest signed by the device's Ed25519 key over every other field."""
    body: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "bundle_id": bundle_id,
        "device_id": device_id,
        "device_seq": device_seq,
        "app_version": app_version,
        "sealed_at": sealed_at,
        "blobs": [blob.model_dump(mode="json") for blob in blobs],
        "device_key": public_key_b64(device_key),
    }
    signature = device_key.sign(canonical_json(body))
    return Manifest.parse({**body, "signature": b64encode(signature)})


def verify_manifest(manifest: Manifest, expected_device_key: str | None = None) -> None:
    """Raise BundleError unless the manifest's signature holds (and, when given, it was
    made by ``expected_device_key``: a manifest re-signed with another key fails)."""
    if expected_device_key is not None and manifest.device_key != expected_device_key:
        raise BundleError("manifest was signed by a different device key (re-signed?)")
    key = load_public_key(manifest.device_key)
    try:
        key.verify(b64decode(manifest.signature), canonical_json(manifest.signed_part()))
    except InvalidSignature:
        raise BundleError("manifest signature does not match its contents (altered?)") from None


def read_manifest(bundle_dir: Path) -> Manifest:
    path = bundle_dir / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"bundle {bundle_dir.name}: manifest.json is missing") from None
    return Manifest.parse(data)


def blob_path(bundle_dir: Path, sha256: str) -> Path:
    if not SHA256_RE.fullmatch(sha256):
        raise BundleError("not a SHA-256 blob name")
    return bundle_dir / BLOBS_DIR / (sha256 + BLOB_SUFFIX)


def verify_bundle_dir(
    path: Path, expected_device_key: str | None = None, check_hashes: bool = True
) -> list[str]:
    """Every problem found in a bundle folder, in plain words; an empty list means intact.

    Catches a missing or unreadable manifest, a bad or foreign signature, a folder
    name that is not the bundle id, and blobs that are missing, truncated or altered.
    ``check_hashes=False`` checks sizes only, for a caller that hashes as it reads."""
    try:
        manifest = read_manifest(path)
    except BundleError as exc:
        return [str(exc)]
    problems: list[str] = []
    try:
        verify_manifest(manifest, expected_device_key)
    except BundleError as exc:
        problems.append(str(exc))
    if manifest.bundle_id != path.name:
        problems.append(f"folder {path.name} holds bundle {manifest.bundle_id}")
    for blob in manifest.blobs:
        file = blob_path(path, blob.sha256)
        if not file.is_file():
            problems.append(f"{blob.kind} blob {blob.sha256[:12]} is missing")
            continue
        if check_hashes:
            size, sha = file_sha256(file)
        else:
            size, sha = file.stat().st_size, blob.sha256
        if size < blob.size:
            problems.append(
                f"{blob.kind} blob {blob.sha256[:12]} is truncated ({size} of {blob.size} bytes)"
            )
        elif size > blob.size:
            problems.append(
                f"{blob.kind} blob {blob.sha256[:12]} is too long ({size} of {blob.size} bytes)"
            )
        elif sha != blob.sha256:
            problems.append(f"{blob.kind} blob {blob.sha256[:12]} was altered (hash differs)")
    return problems


class Receipt(WireRecord):
    """The council server's signed word that it holds a verified bundle."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    WHAT: ClassVar[str] = "receipt"

    bundle_id: Identifier
    manifest_sha256: Sha256Hex
    device_id: Identifier
    device_seq: int = Field(ge=1)
    received_at: str = Field(min_length=1, max_length=40)
    signature: B64


def sign_receipt(
    manifest: Manifest, server_signing_key: Ed25519PrivateKey, received_at: str
) -> Receipt:
    body: dict[str, Any] = {
        "bundle_id": manifest.bundle_id,
        "manifest_sha256": manifest.sha256,
        "device_id": manifest.device_id,
        "device_seq": manifest.device_seq,
        "received_at": received_at,
    }
    signature = server_signing_key.sign(canonical_json(body))
    return Receipt.parse({**body, "signature": b64encode(signature)})


def verify_receipt(receipt: Receipt, manifest: Manifest, server_public_key: str) -> None:
    """Raise BundleError unless the receipt is the server's signature over this manifest."""
    if receipt.bundle_id != manifest.bundle_id:
        raise BundleError("receipt is for a different bundle")
    if receipt.manifest_sha256 != manifest.sha256:
        raise BundleError("receipt is for a different manifest")
    if receipt.device_id != manifest.device_id or receipt.device_seq != manifest.device_seq:
        raise BundleError("receipt names a different device or sequence number")
    body = receipt.to_dict()
    del body["signature"]
    try:
        load_public_key(server_public_key).verify(
            b64decode(receipt.signature), canonical_json(body)
        )
    except InvalidSignature:
        raise BundleError("receipt signature is not the council server's") from None
