"""The council ingest server: the app (tus uploads, bundle commits, hello), run or threaded."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    import uvicorn

from booth.wire.protocol import HELLO_PATH, SERVICE_NAME, TUS_VERSION
from council.api import ApiError, ServerConfig, authenticate
from council.guard import ConnectionLimits, GuardedH11Protocol, RequestGuard
from council.ingest import BundleCommits
from council.messages import KioskMessages
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
    """The ingest app. ``config.middleware`` lets tests put a fault injector in front
    (behind the request guard, which always comes first)."""
    routes = [
        *TusUploads(config).routes(),
        *Hello(config).routes(),
        *BundleCommits(config).routes(),
        *KioskMessages(config).routes(),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestGuard, per_device=config.max_requests_per_device,
                       body_idle_timeout=config.body_idle_timeout),
            *config.middleware,
        ],
        exception_handlers={
            ApiError: _api_error_handler,
            HTTPException: _http_error_handler,
            Exception: _crash_handler,
        },
    )


# uvicorn's keep-alive timer: an idle connection between two requests closes after this.
# A kiosk sends its requests back to back, so it loses nothing; a reverse proxy that keeps
# connections to this server open must close them sooner (nginx: keepalive_timeout 4s in
# the upstream block), or it may send a request down a connection being closed.
KEEP_ALIVE_SECONDS = 5


def uvicorn_config(
    app: Starlette,
    limits: ConnectionLimits,
    *,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    **extra: Any,
) -> uvicorn.Config:
    """The one uvicorn configuration both ``serve`` and ``ServerThread`` run with.

    - ``http``: uvicorn's h11 protocol with a request-head timeout, TCP keepalive and a
      connection cap (``GuardedH11Protocol``); uvicorn itself has no head timeout for h11.
    - ``limit_concurrency`` None: uvicorn counts idle connections against it and answers
      every new request 503 once it is reached, which is how idle sockets starved kiosks.
      The connection cap closes the idlest connection instead of turning kiosks away.
    - ``h11_max_incomplete_event_size`` 16 KiB (h11's own default, said here): a request
      head larger than that is refused before it is read to the end.
    """
    import uvicorn

    return uvicorn.Config(
        app, http=GuardedH11Protocol.with_limits(limits.within_file_limit()), ws="none",
        lifespan="off", limit_concurrency=None, timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=16 * 1024, timeout_graceful_shutdown=2,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
        **extra,
    )


class ServerThread:
    """A uvicorn server on a background thread (tests, the demo council), configured as
    ``serve`` is."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0,
                 limits: ConnectionLimits | None = None) -> None:
        import socket

        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn_config(app, limits or ConnectionLimits(), log_config=None,
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, name=f"council-server-{self.port}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def open_connections(self) -> int:
        """How many connections the server holds open right now."""
        return len(self._server.server_state.connections)

    def connection_sockets(self) -> list[Any]:
        """The server's side of each open connection (tests check their socket options)."""
        found = []
        for connection in list(self._server.server_state.connections):
            transport = getattr(connection, "transport", None)
            sock = transport.get_extra_info("socket") if transport is not None else None
            if sock is not None:
                found.append(sock)
        return found

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
    TLS-terminating reverse proxy before kiosks reach it over a public network. The
    protections of council/guard.py hold either way."""
    import uvicorn

    server = uvicorn.Server(uvicorn_config(
        create_app(config), config.connections, host=host, port=port,
        certfile=certfile, keyfile=keyfile,
    ))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it is meant to stop
        server.run()
    if not server.started:
        raise SystemExit(3)  # as uvicorn.run does when the server could not start
