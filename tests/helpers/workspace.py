"""A council store filled with real sealed-looking sessions for the workspace's tests.

Bundles are made the way a kiosk makes them (an age-encrypted payload in the kiosk's
payload format, age-encrypted fragmented MP4 videos, a manifest signed by the device key)
and recorded the way the ingest server records them (blobs stored, a signed receipt)."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.pack import default_pack_path, load_pack
from booth.wire.age import encrypt_bytes
from booth.wire.bundle import BlobRef, canonical_json, public_key_b64, sign_manifest, sign_receipt
from council.admin import CouncilKeys, keygen, new_device_id
from council.storage import CouncilStorage, Device, StoredBundle

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# The child's consent as the shipped pack words it (what a kiosk hashes and sends).
CHILD_CONSENT = load_pack(default_pack_path()).consent_for("child").text


def make_mp4(seconds: float = 3.0, size: tuple[int, int] = (320, 240), fps: int = 25) -> bytes:
    """A fragmented MP4 (H.264 + AAC), as the kiosk records: a moving test card and a tone."""
    import av
    import numpy as np

    out = io.BytesIO()
    with av.open(out, "w", format="mp4",
                 options={"movflags": "frag_keyframe+empty_moov+default_base_moof"}) as box:
        video = box.add_stream("libx264", rate=fps)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.options = {"preset": "ultrafast", "g": str(fps)}
        audio = box.add_stream("aac", rate=48000)
        audio.layout = "mono"
        frames = int(seconds * fps)
        for index in range(frames):
            image = np.zeros((size[1], size[0], 3), dtype=np.uint8)
            image[:, :, 0] = (index * 7) % 255
            image[:, (index * 4) % size[0]:, 1] = 200
            image[size[1] // 3:, :, 2] = 120
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            box.mux(video.encode(frame))
        box.mux(video.encode(None))
        samples = int(seconds * 48000)
        t = np.arange(samples) / 48000
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
        for start in range(0, samples, 1024):
            piece = tone[:, start:start + 1024]
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(piece), format="fltp",
                                               layout="mono")
            frame.sample_rate = 48000
            frame.pts = start
            frame.time_base = Fraction(1, 48000)
            box.mux(audio.encode(frame))
        box.mux(audio.encode(None))
    return out.getvalue()


@dataclass
class CouncilStore:
    """A council key folder and store with one enrolled kiosk."""

    root: Path
    keys_dir: Path
    store_dir: Path
    keys: CouncilKeys
    storage: CouncilStorage
    device_id: str
    device_key: Ed25519PrivateKey
    seq: int = 0
    codes: set[str] = field(default_factory=set)

    def new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def blob_path(self, sha256: str) -> Path:
        return self.storage.blobs.blob_path(sha256)

    def close(self) -> None:
        self.storage.close()


def make_store(root: Path, device_name: str = "library kiosk 1") -> CouncilStore:
    keys_dir, store_dir = root / "council-keys", root / "council-store"
    keys = keygen(keys_dir)
    storage = CouncilStorage.open(store_dir)
    device_key = Ed25519PrivateKey.generate()
    device_id = new_device_id()
    storage.catalogue.add_device(Device(
        device_id=device_id, name=device_name, token_hash=secrets.token_hex(32),
        device_key=public_key_b64(device_key), enrolled_at="2026-11-01T09:00:00+00:00",
        revoked_at=None))
    return CouncilStore(root=root, keys_dir=keys_dir, store_dir=store_dir, keys=keys,
                        storage=storage, device_id=device_id, device_key=device_key)


@dataclass
class MadeSession:
    bundle_id: str
    code: str
    payload_sha256: str
    video_shas: list[str]


def add_session(
    store: CouncilStore, *, look: str = "child", code: str | None = None,
    priorities: dict[str, list[str]] | None = None, about: dict[str, str] | None = None,
    videos: list[bytes] | None = None, prompt_id: str = "child_love",
    event: dict[str, str] | None = None, received_at: datetime | None = None,
    adult_confirmed: bool = True, consent_text: str = CHILD_CONSENT,
    encrypted_payload: bytes | None = None, kinds: list[str] | None = None,
) -> MadeSession:
    """Seal and 'receive' one session; ``encrypted_payload`` replaces the real one
    (a bundle that fails to decrypt); ``kinds`` says each take's kind (else the payload
    names none, as a kiosk from before take kinds)."""
    store.seq += 1
    code = code or store.new_code()
    bundle_id = uuid.uuid4().hex
    received = received_at or datetime.now(UTC)
    recipients = store.keys.recipients
    sealed_videos = [encrypt_bytes(v, recipients) for v in (videos or [])]
    takes = [{"take_id": uuid.uuid4().hex, "prompt_id": prompt_id,
              "blob_sha256": hashlib.sha256(s).hexdigest(), "size": len(s),
              "duration_s": 3.0, "kept_at": received.isoformat()} for s in sealed_videos]
    for take, kind in zip(takes, kinds or [], strict=False):
        take["kind"] = kind
    payload = {
        "payload_format": 1, "bundle_id": bundle_id, "device_id": store.device_id,
        "device_seq": store.seq, "app_version": "0.1.0",
        "session": {"id": uuid.uuid4().hex, "look": look, "state": "finished",
                    "reference_code": code, "started_at": received.isoformat(),
                    "finished_at": received.isoformat(), "prompt_id": prompt_id},
        "event": event,
        "consent": {"look": look,
                    "wording_digest": hashlib.sha256(consent_text.encode()).hexdigest(),
                    "pack_id": "one_stockport", "pack_digest": "0" * 64,
                    "adult_confirmed": adult_confirmed, "given_at": received.isoformat()},
        "pack": {"id": "one_stockport", "digest": "0" * 64},
        "prompt_ids": [prompt_id] if sealed_videos else [],
        "takes": takes,
        "priorities": priorities if priorities is not None else {
            "children": ["nature_greenspaces", "friendships"]},
        "about_you": about if about is not None else {"child_age": "age_8_9"},
        # The kiosk's officer actions since its last bundle (booth/sync/seal.py).
        "device_audit": [{"id": store.seq, "at": received.isoformat(), "action": "unlock",
                          "detail": ""}],
    }
    sealed_payload = encrypted_payload or encrypt_bytes(canonical_json(payload), recipients)
    refs = [BlobRef(sha256=hashlib.sha256(sealed_payload).hexdigest(), size=len(sealed_payload),
                    kind="payload")]
    refs += [BlobRef(sha256=t["blob_sha256"], size=t["size"], kind="video") for t in takes]
    for ref, data in zip(refs, [sealed_payload, *sealed_videos], strict=True):
        part = store.root / f"{ref.sha256}.incoming"
        part.write_bytes(data)
        store.storage.blobs.put_blob(ref.sha256, part)
        part.unlink()
    manifest = sign_manifest(bundle_id=bundle_id, device_id=store.device_id,
                             device_seq=store.seq, app_version="0.1.0",
                             sealed_at=received.strftime("%Y-%m-%dT%HZ"), blobs=refs,
                             device_key=store.device_key)
    stamp = received.isoformat(timespec="seconds")
    receipt = sign_receipt(manifest, store.keys.signing_key, stamp)
    store.storage.catalogue.add_bundle(StoredBundle(
        bundle_id=bundle_id, device_id=store.device_id, device_seq=store.seq,
        manifest_sha256=manifest.sha256, manifest_json=manifest.to_bytes().decode(),
        receipt_json=json.dumps(receipt.to_dict()), received_at=stamp,
        blobs=tuple(r.sha256 for r in refs)))
    return MadeSession(bundle_id=bundle_id, code=code, payload_sha256=refs[0].sha256,
                       video_shas=[r.sha256 for r in refs[1:]])
