"""At each sync, besides bundles: the council's events list in, withdrawals out.

- The events list is signed by the council server's key; the kiosk checks it against the
  key in its credential before keeping it for the officer to pick from. A list that does
  not check out is left aside (the one held stays): it never holds up sending answers.
- A withdrawal made here after a bundle was sent (found by the reference code's hash on
  the bundle's tombstone: the kiosk no longer holds the code itself) goes to the council
  as a message naming that bundle, signed by this device's key as its manifests are. It
  counts as told once the council's signed receipt for it checks out; until then it is
  sent again at every sync (the council answers a repeat as the first time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from booth.store import CouncilEvent, Store
from booth.sync.errors import NeedsOfficer, Transient
from booth.sync.keys import Credential, DeviceKeys
from booth.wire.bundle import BundleError
from booth.wire.messages import (
    WithdrawalReceipt,
    read_event_list,
    sign_withdrawal,
    verify_withdrawal_receipt,
)
from booth.wire.protocol import EVENTS_PATH, withdrawal_url

log = logging.getLogger(__name__)

# (method, url, headers, body) -> the answer; the uploader's, which turns network trouble,
# 401/403, 429 and 5xx into Transient or NeedsOfficer.
Request = Callable[[str, str, dict[str, str], bytes | None], httpx.Response]


@dataclass
class MessagesReport:
    """What one exchange did."""

    events: int | None = None  # events in the list now held; None when none was taken
    withdrawals_forwarded: list[str] = field(default_factory=list)  # bundle ids


def _error(answer: httpx.Response) -> tuple[str | None, str | None]:
    try:
        body = answer.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    code, detail = body.get("error"), body.get("detail")
    return (code if isinstance(code, str) else None,
            detail if isinstance(detail, str) else None)


class CouncilMessages:
    """Fetches the events list and forwards withdrawals, through the uploader's requests."""

    def __init__(self, store: Store, credential: Credential, device_keys: DeviceKeys,
                 request: Request, headers: dict[str, str]) -> None:
        self.store = store
        self.credential = credential
        self.device_keys = device_keys
        self._request = request
        self._headers = headers

    def exchange(self) -> MessagesReport:
        report = MessagesReport()
        report.withdrawals_forwarded = self.forward_withdrawals()
        report.events = self.fetch_events()
        return report

    def fetch_events(self) -> int | None:
        answer = self._request("GET", EVENTS_PATH, self._headers, None)
        if answer.status_code != 200:
            # 404: a council server from before the events list. Nothing to take.
            log.info("no events list from the council (%d)", answer.status_code)
            return None
        try:
            listed = read_event_list(answer.content, self.credential.server_signing_key)
        except BundleError as exc:
            log.warning("the council's events list was left aside: %s", exc)
            return None
        events = [CouncilEvent(e.id, e.name, e.venue, e.date, e.kind) for e in listed.events]
        if not self.store.replace_council_events(events, listed.issued_at[:10]):
            log.warning("an events list older than the one held was left aside")
            return None
        return len(events)

    def forward_withdrawals(self) -> list[str]:
        forwarded: list[str] = []
        for bundle_id, withdrawn_on in self.store.withdrawals_to_forward():
            withdrawal = sign_withdrawal(bundle_id, self.credential.device_id, withdrawn_on,
                                         self.device_keys.private_key)
            answer = self._request(
                "PUT", withdrawal_url(bundle_id),
                {**self._headers, "Content-Type": "application/json"}, withdrawal.to_bytes(),
            )
            code, detail = _error(answer)
            if answer.status_code == 404:
                # "no_bundle": it has not reached the council (a stick still on its way);
                # otherwise a council server from before withdrawals. Both: next sync.
                log.info("the council could not take the withdrawal of %s yet (%s)",
                         bundle_id, code or answer.status_code)
                continue
            if answer.status_code in (400, 409, 413):
                raise NeedsOfficer(
                    f"the council refused the withdrawal of bundle {bundle_id}"
                    + (f": {detail}" if detail else "")
                    + "; phone the council's team with the reference code")
            if answer.status_code not in (200, 201):
                raise Transient(f"unexpected answer to a withdrawal ({answer.status_code})")
            try:
                receipt = WithdrawalReceipt.parse(answer.content)
                verify_withdrawal_receipt(receipt, withdrawal,
                                          self.credential.server_signing_key)
            except BundleError:
                raise Transient("the answer to a withdrawal was not the council's receipt "
                                "(a Wi-Fi sign-in page?)") from None
            self.store.withdrawal_forwarded(bundle_id, receipt.received_on)
            forwarded.append(bundle_id)
            log.info("the council has the withdrawal of bundle %s", bundle_id)
        return forwarded
