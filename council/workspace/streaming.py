"""Video answers streamed from their age-encrypted blobs, decrypted on the fly.

A Range request decrypts only the 64 KiB chunks it covers (ageseek), so a seek in a long
answer costs one chunk; nothing plaintext is written to disk, and responses say
``no-store`` so no browser or proxy cache keeps one either.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import closing

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from council.workspace.ageseek import AgeRangeError, SeekableAgeFile
from council.workspace.context import Workspace

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """A Range header that names no bytes of the answer."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive for a single ``bytes=`` range; None for the whole file.

    Several ranges at once are served as the whole file (players never ask for them)."""
    if not header:
        return None
    header = header.strip()
    if "," in header:
        return None
    match = RANGE_RE.fullmatch(header)
    if match is None:
        raise RangeNotSatisfiable(header)
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        raise RangeNotSatisfiable(header)
    if not first_text:
        suffix = int(last_text)
        if suffix == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or last < first:
        raise RangeNotSatisfiable(header)
    return first, min(last, size - 1)


def open_answer(ws: Workspace, sha256: str, size: int) -> SeekableAgeFile:
    handle = ws.storage.blobs.open_blob(sha256)
    try:
        return SeekableAgeFile(handle, size, ws.x25519_identities)
    except BaseException:
        handle.close()
        raise


def _chunks(ws: Workspace, sha256: str, size: int, first: int, last: int) -> Iterator[bytes]:
    reader = open_answer(ws, sha256, size)
    with closing(reader):
        yield from reader.read_range(first, last)


async def _async_chunks(ws: Workspace, sha256: str, size: int, first: int,
                        last: int) -> AsyncIterator[bytes]:
    # Decrypting is CPU and disk work: each chunk on a worker thread, never the event loop.
    iterator = _chunks(ws, sha256, size, first, last)
    while True:
        piece = await asyncio.to_thread(next, iterator, None)
        if piece is None:
            return
        yield piece


def stream(request: HttpRequest, ws: Workspace, sha256: str, blob_size: int,
           filename: str, attachment: bool = False) -> HttpResponseBase:
    """A 200 or 206 response that decrypts the blob as it is sent."""
    try:
        reader = open_answer(ws, sha256, blob_size)
    except FileNotFoundError:
        return HttpResponse("This video is no longer in the store.", status=410)
    except (AgeRangeError, OSError) as exc:
        return HttpResponse(f"This video cannot be opened: {exc}", status=500)
    size = reader.size
    reader.close()
    try:
        wanted = parse_range(request.headers.get("Range"), size)
    except RangeNotSatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    first, last = wanted if wanted is not None else (0, size - 1)
    if size == 0:
        body: Iterator[bytes] | AsyncIterator[bytes] = iter(())
    elif isinstance(request, ASGIRequest):
        body = _async_chunks(ws, sha256, blob_size, first, last)
    else:
        body = _chunks(ws, sha256, blob_size, first, last)
    response = StreamingHttpResponse(body, status=206 if wanted else 200,
                                     content_type="video/mp4")
    response["Content-Length"] = str(last - first + 1 if size else 0)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "no-store, private"
    if wanted:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    kind = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{kind}; filename="{filename}"'
    return response
