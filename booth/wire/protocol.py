"""The protocol between a kiosk and the council's ingest server: names, versions and
routes, written once for both ends.

Every request carries ``Authorization: Bearer <device token>``. Blobs travel by tus 1.0.0
(core + creation + checksum + termination + expiration) under ``/files/``, named by the
SHA-256 of their ciphertext; a bundle is committed with a signed manifest at
``/api/v1/bundles/<id>``; ``/api/v1/hello`` proves the council is really there. At each
sync the kiosk also fetches the council's signed events list (``/api/v1/events``) and sends
any withdrawal of a bundle it has sent, signed by its device key, to
``/api/v1/withdrawals/<bundle id>`` (see ``booth.wire.messages``)."""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import urlsplit

#: What the council's hello answers as its ``service``; a captive portal cannot.
SERVICE_NAME: Final = "booth-council"

TUS_VERSION: Final = "1.0.0"
TUS_EXTENSIONS: Final = "creation,checksum,termination,expiration"

#: A blob's name on the wire and on disk: the hex SHA-256 of its bytes.
SHA256_PATTERN: Final = r"^[0-9a-f]{64}$"
SHA256_RE: Final = re.compile(SHA256_PATTERN)

# Routes. ``FILES`` is the tus collection; a blob lives at ``blob_url(sha256)``.
FILES: Final = "/files/"
HELLO_PATH: Final = "/api/v1/hello"
BUNDLES: Final = "/api/v1/bundles/"
EVENTS_PATH: Final = "/api/v1/events"
WITHDRAWALS: Final = "/api/v1/withdrawals/"


def blob_url(sha256: str) -> str:
    """The tus upload URL of the blob named ``sha256`` (relative to the server)."""
    return f"{FILES}{sha256}"


def bundle_url(bundle_id: str) -> str:
    """Where a kiosk commits (PUT) the signed manifest of ``bundle_id``."""
    return f"{BUNDLES}{bundle_id}"


def withdrawal_url(bundle_id: str) -> str:
    """Where a kiosk sends (PUT) its signed withdrawal of the sent bundle ``bundle_id``."""
    return f"{WITHDRAWALS}{bundle_id}"


def is_loopback_host(host: str) -> bool:
    """True for this machine's own addresses (127.0.0.0/8, ::1, "localhost"): the only
    places plain HTTP keeps the device token off the network."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_plain_http_off_loopback(url: str) -> bool:
    """True when ``url`` is plain ``http://`` to anywhere but this machine: the bearer
    token (and everything else) would cross the network in clear."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() == "http" and not is_loopback_host(parts.hostname or "")
