"""``booth-council decrypt``: the answers in a store, decrypted with the council's key."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

from booth.wire.age import (
    AgeError,
    decrypt_stream,
)
from booth.wire.bundle import (
    BundleError,
    Manifest,
)
from council import removed
from council.admin import CouncilError, CouncilKeys
from council.storage import CouncilStorage, StoredBundle

ANSWERS_FILE = "answers.json"


def _decrypt_blob(storage: CouncilStorage, sha256: str, identities: list[str], target: Path,
                  bundle_id: str) -> None:
    part = target.with_name(target.name + ".part")
    try:
        with storage.blobs.open_blob(sha256) as source, part.open("wb") as sink:
            decrypt_stream(source, sink, identities)
    except FileNotFoundError:
        part.unlink(missing_ok=True)
        raise CouncilError(f"bundle {bundle_id}: blob {sha256[:12]} is missing from the store"
                           ) from None
    except AgeError as exc:
        part.unlink(missing_ok=True)
        raise CouncilError(
            f"bundle {bundle_id}: cannot decrypt blob {sha256[:12]} ({exc}); "
            "is this the council's ingest key?"
        ) from None
    os.replace(part, target)


def read_payload(storage: CouncilStorage, bundle: StoredBundle,
                 identities: list[str]) -> dict[str, Any]:
    manifest = Manifest.parse(bundle.manifest_json)
    try:
        with storage.blobs.open_blob(manifest.payload.sha256) as source:
            out = io.BytesIO()
            decrypt_stream(source, out, identities)
    except FileNotFoundError:
        raise CouncilError(f"bundle {bundle.bundle_id}: its payload is missing from the store"
                           ) from None
    except AgeError as exc:
        raise CouncilError(
            f"bundle {bundle.bundle_id}: cannot decrypt its answers ({exc}); "
            "is this the council's ingest key?"
        ) from None
    try:
        payload = json.loads(out.getvalue())
    except ValueError:
        raise CouncilError(f"bundle {bundle.bundle_id}: its answers are not JSON") from None
    if not isinstance(payload, dict) or payload.get("bundle_id") != bundle.bundle_id:
        raise CouncilError(
            f"bundle {bundle.bundle_id}: its answers name another bundle (tampered?)"
        )
    return payload


def decrypt_all(keys: CouncilKeys, storage: CouncilStorage, out: Path,
                problems: list[str] | None = None) -> list[Path]:
    """Every received bundle to ``<out>/<bundle_id>/`` as answers.json + video-<n>.mp4.

    answers.json is written last, so a folder that has it is complete and is skipped
    when the command runs again; returns the folders written this time. A bundle that
    fails is left out and its problem added to ``problems`` (the others go on); with no
    list given, the first problem is raised once every other bundle is done. Withdrawn
    bundles are left out, and a folder written for one before it was withdrawn is removed;
    videos deleted by retention are listed as deleted."""
    identities = keys.ingest_identities()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    found: list[str] = []
    gone = removed.read_all(storage.root)
    for bundle in storage.catalogue.list_bundles():
        folder = out / bundle.bundle_id
        removal = gone.get(bundle.bundle_id)
        if removal is not None and removal.withdrawn:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        if (folder / ANSWERS_FILE).is_file():
            continue
        try:
            written.append(_decrypt_bundle(storage, bundle, identities, folder, removal))
        except CouncilError as exc:
            found.append(str(exc))
    if problems is not None:
        problems.extend(found)
    elif found:
        raise CouncilError(found[0])
    return written


def _decrypt_bundle(storage: CouncilStorage, bundle: StoredBundle, identities: list[str],
                    folder: Path, removal: removed.Removal | None) -> Path:
    try:
        manifest = Manifest.parse(bundle.manifest_json)
    except BundleError as exc:
        raise CouncilError(f"bundle {bundle.bundle_id}: {exc}") from None
    payload = read_payload(storage, bundle, identities)
    folder.mkdir(exist_ok=True)
    by_sha = {take.get("blob_sha256"): take for take in payload.get("takes", [])
              if isinstance(take, dict)}
    videos: list[dict[str, Any]] = []
    for number, blob in enumerate(
        (b for b in manifest.blobs if b.kind == "video"), start=1
    ):
        take = by_sha.get(blob.sha256, {})
        entry: dict[str, Any] = {"take_id": take.get("take_id"),
                                 "prompt_id": take.get("prompt_id"), "sha256": blob.sha256,
                                 # "voice": an MP4 with sound and no picture
                                 "kind": take.get("kind") or "video"}
        if removal is not None and blob.sha256 in removal.blobs:
            videos.append({"file": None, **entry, "deleted": "retention period ended"})
            continue
        name = f"video-{number}.mp4"
        _decrypt_blob(storage, blob.sha256, identities, folder / name, bundle.bundle_id)
        videos.append({"file": name, **entry})
    answers = {
        "bundle_id": bundle.bundle_id,
        "device_id": bundle.device_id,
        "device_seq": bundle.device_seq,
        "received_at": bundle.received_at,
        "videos": videos,
        "answers": payload,
    }
    target = folder / ANSWERS_FILE
    part = target.with_name(ANSWERS_FILE + ".part")
    part.write_text(json.dumps(answers, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    os.replace(part, target)
    return folder
