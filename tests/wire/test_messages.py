"""The signed messages besides bundles: the council's events list, a kiosk's withdrawal
and the council's receipt for it; each refused when altered or signed by another key."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.wire.bundle import BundleError, public_key_b64
from booth.wire.messages import (
    Withdrawal,
    WithdrawalReceipt,
    read_event_list,
    sign_event_list,
    sign_withdrawal,
    sign_withdrawal_receipt,
    verify_withdrawal,
    verify_withdrawal_receipt,
)

FESTIVAL = {"id": "ev-0123456789abcdef", "name": "Bramhall Festival", "venue": "Bramhall Park",
            "date": "2026-07-04", "kind": "public"}


def test_the_events_list_is_read_only_when_the_council_signed_it() -> None:
    server = Ed25519PrivateKey.generate()
    signed = sign_event_list([FESTIVAL], "2026-06-01T10:00:00+00:00", server)
    listed = read_event_list(json.dumps(signed), public_key_b64(server))
    assert [e.model_dump() for e in listed.events] == [FESTIVAL]
    with pytest.raises(BundleError, match="signature"):
        read_event_list(signed, public_key_b64(Ed25519PrivateKey.generate()))
    renamed = {**signed, "events": [{**FESTIVAL, "name": "Somewhere else"}]}
    with pytest.raises(BundleError, match="signature"):
        read_event_list(renamed, public_key_b64(server))
    with pytest.raises(BundleError, match="not signed"):
        read_event_list({k: v for k, v in signed.items() if k != "signature"},
                        public_key_b64(server))
    with pytest.raises(BundleError, match="not valid JSON"):
        read_event_list(b"<html>Please sign in to the Wi-Fi</html>", public_key_b64(server))


def test_a_newer_councils_extra_fields_are_signed_over_and_ignored() -> None:
    server = Ed25519PrivateKey.generate()
    signed = sign_event_list([{**FESTIVAL, "colour": "green"}], "2026-06-01T10:00:00+00:00",
                             server)
    [event] = read_event_list(signed, public_key_b64(server)).events
    assert event.name == "Bramhall Festival"
    bad = sign_event_list([{**FESTIVAL, "kind": "party"}], "2026-06-01T10:00:00+00:00", server)
    with pytest.raises(BundleError, match="kind"):
        read_event_list(bad, public_key_b64(server))


def test_a_withdrawal_verifies_only_under_the_device_key_that_signed_it() -> None:
    device, thief = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    withdrawal = sign_withdrawal("bundle-12345678", "dev-0011223344556677", "2026-06-02",
                                 device)
    again = Withdrawal.parse(withdrawal.to_bytes())
    verify_withdrawal(again, expected_device_key=public_key_b64(device))
    with pytest.raises(BundleError, match="does not know"):
        verify_withdrawal(sign_withdrawal("bundle-12345678", "dev-0011223344556677",
                                          "2026-06-02", thief),
                          expected_device_key=public_key_b64(device))
    other = Withdrawal.parse({**again.to_dict(), "bundle_id": "bundle-87654321"})
    with pytest.raises(BundleError, match="signature"):
        verify_withdrawal(other)
    with pytest.raises(BundleError, match="withdrawn_on"):
        Withdrawal.parse({**again.to_dict(), "withdrawn_on": "2026-06-02T10:11:12"})
    with pytest.raises(BundleError, match="reference_code"):
        Withdrawal.parse({**again.to_dict(), "reference_code": "K7M4RH"})


def test_the_councils_receipt_for_a_withdrawal_names_it_and_is_signed() -> None:
    device, server = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    withdrawal = sign_withdrawal("bundle-12345678", "dev-0011223344556677", "2026-06-02",
                                 device)
    other = sign_withdrawal("bundle-87654321", "dev-0011223344556677", "2026-06-02", device)
    receipt = WithdrawalReceipt.parse(
        sign_withdrawal_receipt(withdrawal, server, "2026-06-02").to_dict())
    verify_withdrawal_receipt(receipt, withdrawal, public_key_b64(server))
    with pytest.raises(BundleError, match="another bundle"):
        verify_withdrawal_receipt(receipt, other, public_key_b64(server))
    with pytest.raises(BundleError, match="signature"):
        verify_withdrawal_receipt(receipt, withdrawal, public_key_b64(device))
