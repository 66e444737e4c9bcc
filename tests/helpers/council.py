"""A real council server on loopback for tests: keys, storage, enrolment, fault hooks."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.middleware import Middleware

from booth.wire.bundle import BlobRef, Manifest, sign_manifest
from council.admin import CouncilKeys, enrol, keygen, revoke, server_config
from council.api import ServerConfig
from council.server import ServerThread, create_app
from council.storage import CouncilStorage, StoredBundle


@dataclass
class CouncilServer:
    """A running council server and handles to everything behind it."""

    url: str
    keys_dir: Path
    store_dir: Path
    keys: CouncilKeys
    storage: CouncilStorage
    config: ServerConfig
    thread: ServerThread

    @property
    def signing_public_key(self) -> str:
        return self.keys.signing_public_b64

    def enrol(self, name: str = "test kiosk") -> dict[str, Any]:
        """A fresh device credential (the same dict `booth-council enrol` writes)."""
        return enrol(self.keys, self.storage, name, self.url)

    def enrol_to_file(self, folder: Path, name: str = "test kiosk") -> Path:
        credential = self.enrol(name)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{credential['device_id']}.json"
        path.write_text(json.dumps(credential), encoding="utf-8")
        return path

    def revoke(self, device_id: str) -> None:
        revoke(self.storage, device_id)

    def expire_uploads(self) -> int:
        """Make every unfinished upload expired, as if a day had passed."""
        return self.storage.catalogue.expire_all_uploads()

    def bundles(self) -> list[StoredBundle]:
        return self.storage.catalogue.list_bundles()

    def bundle(self, bundle_id: str) -> StoredBundle | None:
        return self.storage.catalogue.get_bundle(bundle_id)

    def has_blob(self, sha256: str) -> bool:
        return self.storage.blobs.has_blob(sha256)

    def blob_path(self, sha256: str) -> Path:
        return self.storage.blobs.blob_path(sha256)

    def stored_blobs(self) -> list[Path]:
        return sorted(self.storage.blobs.blobs_dir.glob("*/*.age"))

    def partial_uploads(self) -> list[Path]:
        return sorted(self.storage.blobs.parts_dir.glob("*.part"))


def tus_headers(credential: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential['token']}", "Tus-Resumable": "1.0.0"}


def sha256_metadata(sha256: str) -> str:
    return "sha256 " + base64.b64encode(sha256.encode("ascii")).decode("ascii")


def upload_blob(
    client: httpx.Client, credential: dict[str, Any], data: bytes, chunk: int = 1 << 20
) -> str:
    """Upload bytes as a blob the plain tus way (POST, then PATCHes); returns its sha256."""
    sha = hashlib.sha256(data).hexdigest()
    headers = tus_headers(credential)
    created = client.post(
        "/files/",
        headers={
            **headers,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": sha256_metadata(sha),
        },
    )
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    offset = 0
    while offset < len(data):
        part = data[offset : offset + chunk]
        answer = client.patch(
            location,
            content=part,
            headers={
                **headers,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert answer.status_code == 204, answer.text
        offset = int(answer.headers["Upload-Offset"])
    return sha


@dataclass
class FakeBundle:
    """A signed manifest over random blobs, made with the shared bundle format."""

    manifest: Manifest
    blobs: dict[str, bytes]
    device_key: Ed25519PrivateKey

    @property
    def body(self) -> bytes:
        return self.manifest.to_bytes()


def make_bundle(
    credential: dict[str, Any],
    *,
    device_key: Ed25519PrivateKey | None = None,
    bundle_id: str | None = None,
    seq: int = 1,
    payload: bytes | None = None,
    videos: Sequence[bytes] = (),
) -> FakeBundle:
    """A bundle whose blobs are arbitrary bytes (the server never decrypts them)."""
    key = device_key or Ed25519PrivateKey.generate()
    blobs = {}
    refs = []
    for kind, data in [("payload", payload or os.urandom(2000))] + [("video", v) for v in videos]:
        sha = hashlib.sha256(data).hexdigest()
        blobs[sha] = data
        refs.append(BlobRef(sha256=sha, size=len(data), kind=kind))  # type: ignore[arg-type]
    manifest = sign_manifest(
        bundle_id=bundle_id or "bundle-" + secrets.token_hex(6),
        device_id=credential["device_id"],
        device_seq=seq,
        app_version="0.1.0",
        sealed_at="2026-11-25",
        blobs=refs,
        device_key=key,
    )
    return FakeBundle(manifest=manifest, blobs=blobs, device_key=key)


@contextmanager
def running_council(
    root: Path,
    *,
    middleware: Sequence[Middleware] = (),
    make_app: Callable[[ServerConfig, CouncilStorage], Starlette] | None = None,
    **limits: Any,
) -> Iterator[CouncilServer]:
    """Start a council server (new keys, new store under ``root``) and stop it after.

    ``middleware`` goes in front of the app (fault injection); ``make_app`` builds the
    app instead of ``create_app`` (the sync benchmark's, with its plain PUT); ``limits``
    override ServerConfig fields such as ``max_chunk_size`` or ``clock``."""
    keys_dir = root / "council-keys"
    store_dir = root / "council-store"
    keys = keygen(keys_dir)
    storage = CouncilStorage.open(store_dir)
    config = server_config(keys, storage, middleware=tuple(middleware), **limits)
    app = create_app(config) if make_app is None else make_app(config, storage)
    thread = ServerThread(app, limits=config.connections).start()
    try:
        yield CouncilServer(
            url=thread.url,
            keys_dir=keys_dir,
            store_dir=store_dir,
            keys=keys,
            storage=storage,
            config=config,
            thread=thread,
        )
    finally:
        thread.stop()
        storage.close()


@pytest.fixture
def council_server(tmp_path: Path) -> Iterator[CouncilServer]:
    """A real council server on 127.0.0.1 with a free port, stopped after the test."""
    with running_council(tmp_path) as server:
        yield server


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def council_serve_process(
    keys: Path, store: Path, url: str, token: str, extra: Sequence[str] = (),
    verify: Any = True,
) -> Iterator[None]:
    """``booth-council serve`` in a process of its own, as a council runs it; yields once
    it answers a signed hello, and stops it with Ctrl-C (SIGINT) after. The server must
    exit cleanly, without a traceback."""
    import signal
    import subprocess
    import sys
    import time

    port = url.rsplit(":", 1)[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "council.cli", "serve", "--keys", str(keys),
         "--store", str(store), "--port", port, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        answer = None
        with httpx.Client(verify=verify) as client:
            while time.monotonic() < deadline and answer is None:
                try:
                    answer = client.get(f"{url}/api/v1/hello", params={"nonce": "ef" * 16},
                                        headers={"Authorization": f"Bearer {token}"})
                except httpx.TransportError:
                    time.sleep(0.1)
        assert answer is not None and answer.status_code == 200
        assert answer.json()["service"] == "booth-council"
        yield
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err[-3000:]
    assert "Traceback" not in err
