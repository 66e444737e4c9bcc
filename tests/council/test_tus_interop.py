"""The official tus Python client (tuspy) uploads blobs to the council server unchanged."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os

import httpx
import pytest
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from tests.helpers.council import (
    CouncilServer,
    council_server,  # noqa: F401  (fixture)
    make_bundle,
)


def _client(server: CouncilServer, credential: dict[str, object]) -> TusClient:
    return TusClient(f"{server.url}/files/",
                     headers={"Authorization": f"Bearer {credential['token']}"})


def test_tuspy_uploads_in_checksummed_chunks_then_the_bundle_commits(
    council_server: CouncilServer,  # noqa: F811
) -> None:
    credential = council_server.enrol()
    video = os.urandom(700_000)
    bundle = make_bundle(credential, videos=[video])
    tus = _client(council_server, credential)
    for sha, data in bundle.blobs.items():
        uploader = tus.uploader(
            file_stream=io.BytesIO(data), chunk_size=256 * 1024,
            metadata={"sha256": sha}, upload_checksum=True,
        )
        uploader.upload()
        assert uploader.url == f"{council_server.url}/files/{sha}"
        assert council_server.blob_path(sha).read_bytes() == data
    answer = httpx.put(
        f"{council_server.url}/api/v1/bundles/{bundle.manifest.bundle_id}",
        content=bundle.body, headers={"Authorization": f"Bearer {credential['token']}"},
    )
    assert answer.status_code == 201, answer.text
    assert council_server.bundle(bundle.manifest.bundle_id) is not None


def test_tuspy_resumes_an_interrupted_upload_from_the_server_offset(
    council_server: CouncilServer,  # noqa: F811
) -> None:
    credential = council_server.enrol()
    data = os.urandom(600_000)
    sha = hashlib.sha256(data).hexdigest()
    tus = _client(council_server, credential)
    first = tus.uploader(file_stream=io.BytesIO(data), chunk_size=100_000,
                         metadata={"sha256": sha})
    first.upload(stop_at=300_000)
    assert not council_server.has_blob(sha)
    # A new client (say, after a restart) that only knows the URL asks HEAD and carries on.
    second = tus.uploader(file_stream=io.BytesIO(data), chunk_size=100_000, url=first.url)
    assert second.offset == 300_000
    second.upload()
    assert council_server.blob_path(sha).read_bytes() == data


def test_tuspy_async_uploader_works_too(council_server: CouncilServer) -> None:  # noqa: F811
    credential = council_server.enrol()
    data = os.urandom(200_000)
    sha = hashlib.sha256(data).hexdigest()
    tus = _client(council_server, credential)
    uploader = tus.async_uploader(file_stream=io.BytesIO(data), chunk_size=64 * 1024,
                                  metadata={"sha256": sha}, upload_checksum=True)
    asyncio.run(uploader.upload())
    assert council_server.blob_path(sha).read_bytes() == data


def test_tuspy_sees_refusals(council_server: CouncilServer) -> None:  # noqa: F811
    credential = council_server.enrol()
    data = os.urandom(50_000)
    tus = _client(council_server, credential)
    # Bytes that do not hash to the name they were created under.
    wrong = tus.uploader(file_stream=io.BytesIO(data), metadata={"sha256": "0" * 64})
    with pytest.raises(TusUploadFailed) as failed:
        wrong.upload()
    assert failed.value.status_code == 422
    # No token: creation is refused.
    anonymous = TusClient(f"{council_server.url}/files/")
    sha = hashlib.sha256(data).hexdigest()
    with pytest.raises(TusCommunicationError) as refused:
        anonymous.uploader(file_stream=io.BytesIO(data), metadata={"sha256": sha}).upload()
    assert refused.value.status_code == 401
