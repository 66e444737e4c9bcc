"""Bundle commits: a signed manifest whose blobs are stored becomes a bundle and a receipt."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from booth.wire import bundle as bundle_format
from booth.wire.protocol import BUNDLES, SHA256_RE
from council.api import ApiError, ServerConfig, authenticate, read_body
from council.storage import Device, StoredBundle

log = logging.getLogger(__name__)


def utc_now_text(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class CommitOutcome:
    created: bool
    receipt: dict[str, Any]


def _manifest_blobs(config: ServerConfig, raw: dict[str, Any]) -> list[tuple[str, int]]:
    blobs = raw.get("blobs")
    if not isinstance(blobs, list):
        raise ApiError(400, "bad_manifest", "the manifest lists no blobs")
    if len(blobs) > config.max_blobs_per_bundle:
        raise ApiError(
            413, "too_many_blobs", f"a bundle may hold at most {config.max_blobs_per_bundle} blobs"
        )
    result: list[tuple[str, int]] = []
    seen: set[str] = set()
    for entry in blobs:
        if not isinstance(entry, dict):
            raise ApiError(400, "bad_manifest", "a blob entry is not an object")
        sha = entry.get("sha256")
        size = entry.get("size")
        if not isinstance(sha, str) or not SHA256_RE.fullmatch(sha):
            raise ApiError(400, "bad_manifest", "a blob entry has a bad sha256")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ApiError(400, "bad_manifest", "a blob entry has a bad size")
        if size > config.max_blob_size:
            raise ApiError(413, "too_large", f"a blob may be at most {config.max_blob_size} bytes")
        if sha in seen:
            raise ApiError(400, "bad_manifest", "a blob is listed twice")
        seen.add(sha)
        result.append((sha, size))
    return result


def _verified_on_arrival(config: ServerConfig, sha256: str) -> bool:
    """A blob this server took in over tus was hashed as it arrived and has not been
    rewritten since (blobs are immutable), so the commit need not read it all again."""
    upload = config.catalogue.get_upload(sha256)
    return upload is not None and upload.completed


def ingest_manifest(
    config: ServerConfig,
    device: Device,
    bundle_id: str,
    raw: Any,
    now: float,
    *,
    verify_hashes: bool = True,
) -> CommitOutcome:
    """Verify a signed manifest whose blobs are already stored, then record the bundle.

    Shared by the network commit and the sneakernet import so both check the same things."""
    if not isinstance(raw, dict):
        raise ApiError(400, "bad_manifest", "the manifest is not a JSON object")
    if raw.get("bundle_id") != bundle_id:
        raise ApiError(400, "id_mismatch", "the manifest names another bundle")
    if raw.get("device_id") != device.device_id:
        raise ApiError(403, "wrong_device", "this manifest belongs to another device")
    blobs = _manifest_blobs(config, raw)
    try:
        manifest = bundle_format.Manifest.parse(raw)
    except bundle_format.BundleError as error:
        raise ApiError(400, "bad_manifest", str(error)) from None
    if device.device_key is not None and manifest.device_key != device.device_key:
        raise ApiError(403, "device_key", "this manifest is signed by a key the council does "
                       "not know for this device")
    try:
        bundle_format.verify_manifest(manifest, expected_device_key=device.device_key)
    except bundle_format.BundleError as error:
        raise ApiError(400, "bad_signature", f"the manifest does not verify: {error}") from None
    manifest_sha = manifest.sha256
    existing = config.catalogue.get_bundle(bundle_id)
    if existing is not None:
        if existing.manifest_sha256 == manifest_sha:
            return CommitOutcome(False, json.loads(existing.receipt_json))
        raise ApiError(409, "conflict", "a different bundle with this id was already received")
    if not config.catalogue.pin_device_key(device.device_id, manifest.device_key):
        raise ApiError(403, "device_key", "this manifest is signed by a key the council does "
                       "not know for this device")
    missing: list[str] = []
    for sha, size in blobs:
        if config.blobs.blob_size(sha) != size:
            missing.append(sha)
        elif (verify_hashes and not _verified_on_arrival(config, sha)
              and config.blobs.hash_blob(sha) != sha):
            log.error("stored blob %s does not hash to its name; removing it", sha)
            config.blobs.delete_blob(sha)
            config.catalogue.delete_upload(sha)
            missing.append(sha)
    if missing:
        raise ApiError(422, "blobs_missing", "some blobs have not arrived",
                       extra={"missing": missing})
    received_at = utc_now_text(now)
    # The receipt says the day, not the second: the kiosk keeps it after forgetting the
    # session (times it keeps are cut to the day), and it cannot cut a signed time. The
    # catalogue keeps the second for the council's own use (ordering, retention).
    receipt = bundle_format.sign_receipt(manifest, config.signing_key, received_at[:10])
    receipt_dict = receipt.to_dict()
    stored = StoredBundle(
        bundle_id=bundle_id,
        device_id=device.device_id,
        device_seq=int(manifest.device_seq),
        manifest_sha256=manifest_sha,
        manifest_json=manifest.to_bytes().decode("utf-8"),
        receipt_json=json.dumps(receipt_dict, sort_keys=True),
        received_at=received_at,
        blobs=tuple(sha for sha, _ in blobs),
    )
    if not config.catalogue.add_bundle(stored):
        # Another request stored it between our check and now: answer as a replay would.
        return ingest_manifest(config, device, bundle_id, raw, now, verify_hashes=False)
    log.info("received bundle %s from %s", bundle_id, device.device_id)
    # Answer from the stored text so a replay gets byte-for-byte the same receipt.
    return CommitOutcome(True, json.loads(stored.receipt_json))


class BundleCommits:
    """``PUT /api/v1/bundles/{bundle_id}``: the kiosk's manifest in, the signed receipt out."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config

    def routes(self) -> list[Route]:
        return [Route(BUNDLES + "{bundle_id}", self.commit, methods=["PUT"])]

    async def commit(self, request: Request) -> Response:
        device = authenticate(self.config, request)
        bundle_id = str(request.path_params.get("bundle_id", ""))
        if not bundle_format.is_valid_id(bundle_id):
            raise ApiError(404, "bad_id", "not a bundle id")
        body = await read_body(request, self.config.max_manifest_size)
        try:
            raw = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ApiError(400, "bad_json", "the body is not a JSON manifest") from None
        outcome = await run_in_threadpool(
            ingest_manifest, self.config, device, bundle_id, raw, self.config.clock()
        )
        return JSONResponse(outcome.receipt, status_code=201 if outcome.created else 200)
