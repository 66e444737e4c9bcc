"""Signed messages besides bundles: the council's list of events (signed by the server's
key, fetched by kiosks at sync) and a kiosk's withdrawal of a bundle it has sent (signed
by the device's key, like its manifests), answered by the council's signed receipt.

Signatures are Ed25519 over the canonical JSON of every field but ``signature``. The
events list is checked over the JSON as it arrived, before it is read, so a newer council
may add fields without older kiosks refusing the list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from booth.wire.bundle import (
    B64,
    BundleError,
    Identifier,
    WireRecord,
    b64decode,
    b64encode,
    canonical_json,
    field_problem,
    json_object,
    load_public_key,
    public_key_b64,
)

EVENT_LIST_FORMAT = 1
WITHDRAWAL_FORMAT = 1
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MAX_EVENTS = 1000
MAX_MESSAGE_BYTES = 512 * 1024


def _signed_body(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "signature"}


def _check(public_key: str, signature: str, body: Mapping[str, Any], what: str) -> None:
    try:
        load_public_key(public_key).verify(b64decode(signature), canonical_json(body))
    except InvalidSignature:
        raise BundleError(f"{what} signature does not match (altered, or not signed by the "
                          "expected key)") from None


def _signed(body: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return {**body, "signature": b64encode(key.sign(canonical_json(body)))}


# ----------------------------------------------------------------------- the events list


class CouncilEvent(BaseModel):
    """A campaign event the council created; several kiosks there make one event."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    venue: str = Field(default="", max_length=200)
    date: str = Field(pattern=DAY_PATTERN)
    kind: Literal["school", "forum", "public"]


class EventList(BaseModel):
    """The council's current events, as signed by its server key."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    format: Literal[1]
    issued_at: str = Field(min_length=1, max_length=40)
    events: tuple[CouncilEvent, ...] = Field(max_length=MAX_EVENTS)
    signature: B64


def sign_event_list(events: Sequence[Mapping[str, Any]], issued_at: str,
                    server_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The list as the workspace publishes it and the ingest server hands it out."""
    body = {"format": EVENT_LIST_FORMAT, "issued_at": issued_at,
            "events": [dict(event) for event in events]}
    return _signed(body, server_key)


def read_event_list(data: bytes | str | Mapping[str, Any], server_public_key: str) -> EventList:
    """Check the server's signature over the list as it arrived, then read it."""
    raw = json_object(data, "events list", MAX_MESSAGE_BYTES)
    signature = raw.get("signature")
    if not isinstance(signature, str):
        raise BundleError("events list is not signed")
    _check(server_public_key, signature, _signed_body(raw), "events list")
    try:
        return EventList.model_validate(raw)
    except ValidationError as exc:
        raise BundleError(field_problem(exc, "events list")) from None


# ----------------------------------------------------------------------- withdrawals


class Withdrawal(WireRecord):
    """A kiosk's word that the person behind one of its sent bundles has withdrawn.

    It names the bundle, not the reference code: once delivered, the kiosk keeps only a
    hash of the code, and the bundle id (on its tombstone) names the session exactly."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    WHAT: ClassVar[str] = "withdrawal"
    MAX_BYTES: ClassVar[int | None] = MAX_MESSAGE_BYTES

    format: Literal[1]
    bundle_id: Identifier
    device_id: Identifier
    withdrawn_on: str = Field(pattern=DAY_PATTERN)
    device_key: B64
    signature: B64


def sign_withdrawal(bundle_id: str, device_id: str, withdrawn_on: str,
                    device_key: Ed25519PrivateKey) -> Withdrawal:
    body = {"format": WITHDRAWAL_FORMAT, "bundle_id": bundle_id, "device_id": device_id,
            "withdrawn_on": withdrawn_on, "device_key": public_key_b64(device_key)}
    return Withdrawal.parse(_signed(body, device_key))


def verify_withdrawal(withdrawal: Withdrawal, expected_device_key: str | None = None) -> None:
    """Raise BundleError unless the device's signature holds (and, when given, it is the
    key the council pinned for that device: the one its manifests were signed with)."""
    if expected_device_key is not None and withdrawal.device_key != expected_device_key:
        raise BundleError("withdrawal was signed by a key the council does not know for "
                          "this device")
    _check(withdrawal.device_key, withdrawal.signature, _signed_body(withdrawal.to_dict()),
           "withdrawal")


class WithdrawalReceipt(WireRecord):
    """The council server's signed word that it holds a kiosk's withdrawal."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    WHAT: ClassVar[str] = "withdrawal receipt"
    MAX_BYTES: ClassVar[int | None] = MAX_MESSAGE_BYTES

    bundle_id: Identifier
    device_id: Identifier
    received_on: str = Field(pattern=DAY_PATTERN)
    signature: B64


def sign_withdrawal_receipt(withdrawal: Withdrawal, server_key: Ed25519PrivateKey,
                            received_on: str) -> WithdrawalReceipt:
    body = {"bundle_id": withdrawal.bundle_id, "device_id": withdrawal.device_id,
            "received_on": received_on}
    return WithdrawalReceipt.parse(_signed(body, server_key))


def verify_withdrawal_receipt(receipt: WithdrawalReceipt, withdrawal: Withdrawal,
                              server_public_key: str) -> None:
    if (receipt.bundle_id, receipt.device_id) != (withdrawal.bundle_id, withdrawal.device_id):
        raise BundleError("the withdrawal receipt is for another bundle")
    _check(server_public_key, receipt.signature, _signed_body(receipt.to_dict()),
           "withdrawal receipt")
