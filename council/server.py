"""The council ingest server: the app (tus uploads, bundle commits, hello), run or threaded."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from booth.wire.protocol import HELLO_PATH, SERVICE_NAME, TUS_VERSION
from council.api import ApiError, ServerConfig, authenticate
from council.ingest import BundleCommits
from council.tus import TusUploads

log = logging.getLogger(__name__)

NONCE_RE = re.compile(r"^[0-9a-fA-F]{16,128}$")


class Hello:
    """``GET /api/v1/hello``: the server signs the kiosk's nonce, so a captive portal
    cannot pass itself off as the council."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config

    def routes(self) -> list[Route]:
        return [Route(HELLO_PATH, self.hello, methods=["GET"])]

    async def hello(self, request: Request) -> Response:
        device = authenticate(self.config, request)
        nonce = request.query_params.get("nonce", "")
        if not NONCE_RE.fullmatch(nonce):
            raise ApiError(400, "bad_nonce", "nonce must be 16 to 128 hex characters")
        signature = self.config.signing_key.sign(nonce.encode("ascii"))
        return JSONResponse(
            {
                "service": SERVICE_NAME,
                "device_id": device.device_id,
                "nonce": nonce,
                "signature": base64.b64encode(signature).decode("ascii"),
            },
            headers={"Cache-Control": "no-store"},
        )


def _error_response(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"error": error.code, "detail": error.detail, **error.extra}
    headers = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **error.headers}
    return JSONResponse(body, status_code=error.status, headers=headers)


async def _api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error_response(exc)


async def _http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return _error_response(
        ApiError(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))
    )


async def _crash_handler(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _error_response(ApiError(500, "server_error", "the server hit an unexpected error"))


def create_app(config: ServerConfig) -> Starlette:
    """The ingest app. ``config.middleware`` lets tests put a fault injector in front."""
    routes = [
        *TusUploads(config).routes(),
        *Hello(config).routes(),
        *BundleCommits(config).routes(),
    ]
    return Starlette(
        routes=routes,
        middleware=list(config.middleware),
        exception_handlers={
            ApiError: _api_error_handler,
            HTTPException: _http_error_handler,
            Exception: _crash_handler,
        },
    )


class ServerThread:
    """A uvicorn server on a background thread (tests, the demo council)."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        import socket

        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            app, log_config=None, access_log=False, ws="none", lifespan="off",
            timeout_graceful_shutdown=2, timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, name=f"council-server-{self.port}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        # Server.run() would install signal handlers, which only the main thread may do.
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop(timeout=2.0)
                raise RuntimeError("the council server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()


def serve(
    config: ServerConfig,
    host: str = "127.0.0.1",
    port: int = 8765,
    certfile: Path | None = None,
    keyfile: Path | None = None,
) -> None:
    """Run the ingest server in the foreground until interrupted (``booth-council serve``).

    With ``certfile``/``keyfile`` it speaks HTTPS itself; otherwise put it behind a
    TLS-terminating reverse proxy before kiosks reach it over a public network."""
    import uvicorn

    uvicorn.run(
        create_app(config), host=host, port=port, ws="none", lifespan="off",
        # Past this many open connections new ones get 503 (kiosks back off and retry).
        limit_concurrency=256, timeout_keep_alive=30,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
    )
