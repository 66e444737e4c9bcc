"""The sync benchmark's plain PUT: a take's bytes in one request, beside the council's tus routes.

The council server has no such route; the benchmark adds it to the app ``create_app``
returns, so a plain upload and a tus upload meet the same server, disk and process.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from council.api import ApiError, ServerConfig, authenticate
from council.server import create_app
from council.storage import FilePartWriter
from council.tus import ChunkSink

PLAIN_PUT_PATH = "/bench/raw"


class PlainPut:
    """``PUT /bench/raw``: a plain PUT of the same bytes, to measure what tus costs on top.

    The bytes go to a file in ``folder`` that is deleted once they are on the disk."""

    def __init__(self, config: ServerConfig, folder: Path) -> None:
        self.config = config
        self.folder = folder

    async def put(self, request: Request) -> Response:
        authenticate(self.config, request)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"raw-{secrets.token_hex(8)}.part"
        digest = hashlib.sha256()
        size = 0
        # The same writer, worker threads, hashing and fsync as a PATCH (a PATCH also
        # checks its chunk checksum: that is tus's cost), so the comparison measures the
        # protocol, not two implementations.
        path.open("wb").close()
        writer = FilePartWriter(path, 0)
        sink = ChunkSink(writer, digest)
        try:
            try:
                async for data in request.stream():
                    if not data:
                        continue
                    size += len(data)
                    if size > self.config.max_blob_size:
                        raise ApiError(413, "too_large", "too large")
                    await sink.feed(data)
            finally:
                await sink.finish()
            await run_in_threadpool(writer.commit, True)
        finally:
            await run_in_threadpool(writer.abort)
            path.unlink(missing_ok=True)
        return JSONResponse({"size": size, "sha256": digest.hexdigest()})


def bench_app(config: ServerConfig, folder: Path) -> Starlette:
    """The council's ingest app plus ``PUT /bench/raw`` writing into ``folder`` (keep it
    on the disk the blobs go to, so both uploads write to the same place)."""
    app = create_app(config)
    app.add_route(PLAIN_PUT_PATH, PlainPut(config, folder).put, methods=["PUT"])
    return app
