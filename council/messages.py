"""What kiosks and the council say besides bundles: the signed events list out
(``GET /api/v1/events``) and kiosks' signed withdrawals in (``PUT /api/v1/withdrawals/<id>``).

The workspace signs the events list and writes it to ``<store>/events/current.json``; this
server hands that file out as it is (kiosks check the signature against the key in their
credential). Before the workspace has published one, it signs an empty list itself, with
the same key, so a kiosk's list is never older than the council's.
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from booth.wire import bundle as bundle_format
from booth.wire import messages
from booth.wire.protocol import EVENTS_PATH, WITHDRAWALS
from council import withdrawals
from council.api import ApiError, ServerConfig, authenticate, read_body
from council.ingest import utc_now_text
from council.storage import Device

log = logging.getLogger(__name__)

EVENTS_FILE = Path("events") / "current.json"
MAX_WITHDRAWAL_SIZE = 4096
_NO_STORE = {"Cache-Control": "no-store"}


class KioskMessages:
    """The events list and withdrawals, bound to one configuration."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config

    def routes(self) -> list[Route]:
        return [
            Route(EVENTS_PATH, self.events, methods=["GET"]),
            Route(WITHDRAWALS + "{bundle_id}", self.withdraw, methods=["PUT"]),
        ]

    def _store(self) -> Path:
        if self.config.store_dir is None:
            raise ApiError(404, "not_found", "this server keeps no events or withdrawals")
        return self.config.store_dir

    async def events(self, request: Request) -> Response:
        authenticate(self.config, request)
        path = self._store() / EVENTS_FILE
        try:
            body = await run_in_threadpool(path.read_bytes)
        except FileNotFoundError:
            empty = messages.sign_event_list([], utc_now_text(self.config.clock()),
                                             self.config.signing_key)
            return JSONResponse(empty, headers=_NO_STORE)
        return Response(body, media_type="application/json", headers=_NO_STORE)

    async def withdraw(self, request: Request) -> Response:
        device = authenticate(self.config, request)
        bundle_id = str(request.path_params.get("bundle_id", ""))
        if not bundle_format.is_valid_id(bundle_id):
            raise ApiError(404, "bad_id", "not a bundle id")
        store = self._store()
        body = await read_body(request, MAX_WITHDRAWAL_SIZE)
        try:
            withdrawal = messages.Withdrawal.parse(body)
        except bundle_format.BundleError as error:
            raise ApiError(400, "bad_withdrawal", str(error)) from None
        if withdrawal.bundle_id != bundle_id:
            raise ApiError(400, "id_mismatch", "the withdrawal names another bundle")
        if withdrawal.device_id != device.device_id:
            raise ApiError(403, "wrong_device", "this withdrawal belongs to another device")
        return await run_in_threadpool(self._keep, store, device, withdrawal)

    def _keep(self, store: Path, device: Device, withdrawal: messages.Withdrawal) -> Response:
        stored = self.config.catalogue.get_bundle(withdrawal.bundle_id)
        if stored is None or stored.device_id != device.device_id:
            # Not received (yet): the kiosk sends it again at its next sync.
            raise ApiError(404, "no_bundle", "the council holds no bundle with this id from "
                           "this device")
        # The key that signed the bundle's manifest, which the council pinned for this
        # device: a stolen token alone cannot withdraw anyone's answers.
        signer = device.device_key or bundle_format.Manifest.parse(stored.manifest_json).device_key
        try:
            messages.verify_withdrawal(withdrawal, expected_device_key=signer)
        except bundle_format.BundleError as error:
            raise ApiError(400, "bad_signature", f"the withdrawal does not verify: {error}") \
                from None
        received_at = utc_now_text(self.config.clock())
        receipt = messages.sign_withdrawal_receipt(withdrawal, self.config.signing_key,
                                                   received_at[:10])
        created, kept = withdrawals.keep(store, withdrawal, receipt.to_dict(), received_at)
        if created:
            log.info("device %s withdrew bundle %s", device.device_id, withdrawal.bundle_id)
        return JSONResponse(kept, status_code=201 if created else 200, headers=_NO_STORE)
