"""Is the council server really there? A signed hello that a captive portal cannot fake."""

from __future__ import annotations

import secrets
import ssl
from dataclasses import dataclass

import httpx
from cryptography.exceptions import InvalidSignature

from booth.probe import Probe
from booth.settings import Settings
from booth.sync.keys import Credential, CredentialError, load_credential_for
from booth.wire.bundle import BundleError, b64decode, load_public_key
from booth.wire.protocol import HELLO_PATH, SERVICE_NAME

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Hello:
    """What one hello found: ``online`` only when the server signed our fresh nonce.

    ``status`` is the HTTP status (0 when nothing answered); 401/403 mean the council
    has not enrolled or has revoked this booth, which needs an officer, not a retry."""

    online: bool
    detail: str
    status: int = 0

    @property
    def needs_officer(self) -> bool:
        return self.status in (401, 403)


def auth_headers(credential: Credential) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential.token}"}


def _tls_problem(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error under an HTTP client's error, if that is what it was."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def describe_connection_error(exc: httpx.HTTPError) -> str:
    """Plain words for a request that got no answer. A certificate problem is named as
    one (it is not "cannot reach": the server answered, and was not trusted)."""
    problem = _tls_problem(exc)
    if isinstance(problem, ssl.SSLCertVerificationError):
        why = problem.verify_message or problem.reason or str(problem)
        return f"the council server's certificate is not trusted: {why}"
    if problem is not None:
        return f"the secure connection to the council server failed: {problem.reason or problem}"
    return f"cannot reach the council server ({type(exc).__name__})"


def say_hello(client: httpx.Client, credential: Credential) -> Hello:
    """Ask the server to sign a fresh nonce and check the answer with the pinned key."""
    nonce = secrets.token_hex(16)
    try:
        answer = client.get(
            HELLO_PATH, params={"nonce": nonce}, headers=auth_headers(credential)
        )
    except httpx.HTTPError as exc:
        return Hello(False, describe_connection_error(exc))
    if answer.status_code == 401:
        return Hello(False, "the council server does not know this booth; enrol it again", 401)
    if answer.status_code == 403:
        return Hello(False, "the council has withdrawn this booth's permission to send", 403)
    if answer.status_code != 200:
        return Hello(False, f"the council server answered {answer.status_code}",
                     answer.status_code)
    try:
        body = answer.json()
    except ValueError:
        return Hello(False, "something other than the council server answered (a Wi-Fi "
                     "sign-in page?)", answer.status_code)
    if not isinstance(body, dict) or body.get("service") != SERVICE_NAME:
        return Hello(False, "something other than the council server answered",
                     answer.status_code)
    if body.get("nonce") != nonce or body.get("device_id") != credential.device_id:
        return Hello(False, "the server's answer was not for this booth", answer.status_code)
    try:
        signature = b64decode(str(body.get("signature", "")))
        load_public_key(credential.server_signing_key).verify(signature, nonce.encode("ascii"))
    except (BundleError, InvalidSignature):
        return Hello(False, "the server could not prove it is the council's", answer.status_code)
    return Hello(True, f"council server at {credential.server_url} answered", 200)


def make_client(credential: Credential, timeout: float = DEFAULT_TIMEOUT) -> httpx.Client:
    """An HTTP client for the council server. Redirects are never followed: a portal's
    redirect is not the council. A credential that carries the council's CA makes the
    client trust that CA alone; otherwise the system's trusted CAs apply."""
    pinned = credential.tls_context()
    return httpx.Client(
        base_url=credential.server_url, timeout=timeout, follow_redirects=False,
        verify=pinned if pinned is not None else True,
    )


def is_online(settings: Settings, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """True only when the enrolled council server signed a fresh nonce just now."""
    try:
        credential = load_credential_for(settings)
    except CredentialError:
        return False
    if credential is None:
        return False
    with make_client(credential, timeout) as client:
        return say_hello(client, credential).online


def probe_server(settings: Settings, timeout: float = 5.0) -> Probe:
    """The council-server check for ``booth doctor`` (not required: the booth works offline)."""
    try:
        credential = load_credential_for(settings)
    except CredentialError as exc:
        return Probe("council server", False, f"the booth's credential is damaged: {exc}",
                     required=False)
    if credential is None:
        return Probe("council server", False,
                     "not enrolled yet: run `booth enrol FILE` with the council's credential",
                     required=False)
    with make_client(credential, timeout) as client:
        hello = say_hello(client, credential)
    return Probe("council server", hello.online, hello.detail, required=False)
