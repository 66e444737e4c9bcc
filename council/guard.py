"""What keeps the ingest server from being starved or stalled, alone or behind a proxy.

uvicorn gives a connection that never sends a request all the time it likes, and its
``limit_concurrency`` counts such connections too: once that many are open, every new
request gets 503. 256 idle TCP connections, no login needed, were enough to turn every
kiosk away. So the server runs with no ``limit_concurrency`` and, instead:

- ``GuardedH11Protocol`` (uvicorn's h11 protocol plus three things):
  - a *request-head timeout*: a connection that has not sent a whole request head within
    ``header_timeout`` seconds (10) of opening, or of its last answer, is closed. That
    covers the idle socket and the slow drip of header bytes; uvicorn's own keep-alive
    timer stops at the first byte.
  - *TCP keepalive* on every accepted socket, so a peer that vanished (a half-open Wi-Fi
    drop) is found by the kernel even when nothing is being sent.
  - a *connection cap* (``max_connections``, kept under the process's file limit): past
    it, the connection that has waited longest without sending a request is closed to
    make room. A kiosk sends its request the moment it connects, so the ones closed are
    those that only hold a socket open.
- ``RequestGuard`` (ASGI middleware, so it holds behind a reverse proxy too, where every
  request may arrive on the proxy's own connections and the client's address says
  nothing):
  - a *per-device cap* on requests in flight, counted by the bearer token (one device,
    one token; HTTP/1.1 carries one request at a time on a connection, so these are the
    device's busy connections). Past it: 429 with Retry-After.
  - a *body idle timeout*: a request whose body stops arriving for ``body_idle_timeout``
    seconds is treated as cut off. The tus PATCH handler then keeps what it wrote (or
    drops the chunk, with a checksum), releases the upload's lock, and the connection is
    closed. Without it, a PATCH whose sender went quiet held its blob until a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import socket
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from booth.wire.protocol import TUS_VERSION

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# File descriptors kept free for blob files, the catalogue, logs and the TLS machinery.
_SPARE_FILES = 128


@dataclass(frozen=True)
class ConnectionLimits:
    """The socket-level limits of ``GuardedH11Protocol``."""

    header_timeout: float = 10.0
    max_connections: int = 1000
    keepalive_idle: int = 30  # seconds of silence before the kernel probes the peer
    keepalive_interval: int = 10
    keepalive_probes: int = 3  # unanswered probes before the connection is dropped

    def within_file_limit(self) -> ConnectionLimits:
        """These limits with ``max_connections`` under the process's open-file limit: a
        server out of file descriptors cannot accept the kiosks' connections either."""
        try:
            import resource
        except ImportError:  # Windows has no RLIMIT_NOFILE
            return self
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self
        room = max(16, int(soft) - _SPARE_FILES)
        if room >= self.max_connections:
            return self
        log.warning("the open-file limit (%d) allows %d connections, not %d", soft, room,
                    self.max_connections)
        return ConnectionLimits(self.header_timeout, room, self.keepalive_idle,
                                self.keepalive_interval, self.keepalive_probes)


def set_keepalive(sock: Any, limits: ConnectionLimits) -> None:
    """Turn on TCP keepalive with the limits' timing (where the platform lets us set it)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    timings = [("TCP_KEEPINTVL", limits.keepalive_interval),
               ("TCP_KEEPCNT", limits.keepalive_probes)]
    # macOS names the idle time TCP_KEEPALIVE; Linux and Windows, TCP_KEEPIDLE.
    idle = "TCP_KEEPALIVE" if sys.platform == "darwin" else "TCP_KEEPIDLE"
    timings.append((idle, limits.keepalive_idle))
    for name, value in timings:
        option = getattr(socket, name, None)
        if option is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, option, value)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head timeout, TCP keepalive and a connection
    cap that closes the longest-waiting idle connection (see the module docstring)."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()
    _head_timer: asyncio.TimerHandle | None = None
    _waiting_since: float = 0.0

    @classmethod
    def with_limits(cls, limits: ConnectionLimits) -> type[GuardedH11Protocol]:
        return cast(type[GuardedH11Protocol], type(cls.__name__, (cls,), {"limits": limits}))

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                set_keepalive(sock, self.limits)
        self._await_head()
        if len(self.connections) > self.limits.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self._head_timer is not None and self.cycle is not before:
            self._stop_head_timer()  # a whole request head has arrived: a new cycle began

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request's head has the same time to arrive (unless a pipelined one is
        # already being answered). The rest of a body answered early (a refusal) gets no
        # longer either: uvicorn's keep-alive timer restarts with every byte of it.
        if not self.transport.is_closing() and self._between_requests():
            self._await_head()

    # ------------------------------------------------------------------ internals

    def _between_requests(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _waiting_for_head(self) -> bool:
        return self._head_timer is not None and not self.transport.is_closing()

    def _await_head(self) -> None:
        self._stop_head_timer()
        self._waiting_since = self.loop.time()
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_late)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self._between_requests() and not self.transport.is_closing():
            self._close()

    def _close(self) -> None:
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()

    def _make_room(self) -> None:
        waiting = [c for c in self.connections
                   if isinstance(c, GuardedH11Protocol) and c._waiting_for_head()]
        oldest = min(waiting, key=lambda c: c._waiting_since, default=None)
        if oldest is None:
            # Every other connection is busy with a request: this one waits its turn
            # outside (the client retries), rather than one in progress being cut.
            self._close()
            return
        log.warning("%d connections open: closing the one idle longest", len(self.connections))
        oldest._stop_head_timer()
        oldest._close()


def bearer_key(scope: Scope) -> str | None:
    """A short key for the device whose token this request carries (None without one).
    Hashed so no token is held in the table; the route still checks the token itself."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = bytes(value).partition(b" ")
            token = token.strip()
            if scheme.lower() == b"bearer" and token:
                return hashlib.sha256(token).hexdigest()[:32]
            return None
    return None


class RequestGuard:
    """ASGI middleware: a per-device cap on requests in flight and a body idle timeout."""

    def __init__(self, app: ASGIApp, per_device: int, body_idle_timeout: float) -> None:
        self.app = app
        self.per_device = per_device
        self.body_idle_timeout = body_idle_timeout
        self._in_flight: Counter[str] = Counter()

    def in_flight(self) -> int:
        return sum(self._in_flight.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        device = bearer_key(scope)
        if device is not None and self._in_flight[device] >= self.per_device:
            await self._refuse(send)
            return
        if device is not None:
            self._in_flight[device] += 1
        body_done = False
        timed_out = False

        async def guarded_receive() -> Message:
            nonlocal body_done, timed_out
            if timed_out:
                return {"type": "http.disconnect"}
            if body_done:
                return await receive()
            try:
                async with asyncio.timeout(self.body_idle_timeout):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                log.warning("%s %s: no body bytes for %.0f s; treated as cut off",
                            scope.get("method"), scope.get("path"), self.body_idle_timeout)
                return {"type": "http.disconnect"}
            if message.get("type") != "http.request" or not message.get("more_body"):
                body_done = True
            return message

        async def closing_send(message: Message) -> None:
            if timed_out and message.get("type") == "http.response.start":
                # The rest of that body may still come: this connection cannot carry
                # another request, so it closes once the answer is out.
                headers = [(k, v) for k, v in message.get("headers", ()) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, guarded_receive, closing_send)
        finally:
            if device is not None:
                self._in_flight[device] -= 1
                if self._in_flight[device] <= 0:
                    del self._in_flight[device]

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({
            "error": "too_many_connections",
            "detail": f"this device already has {self.per_device} requests in progress; "
                      "finish those first",
        }).encode("utf-8")
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"retry-after", b"5"),
            (b"tus-resumable", TUS_VERSION.encode("ascii")),
            (b"cache-control", b"no-store"),
            # The body of the refused request is not read: close rather than drain it.
            (b"connection", b"close"),
        ]})
        await send({"type": "http.response.body", "body": body})
