"""tus chunk checksums: the same values as zlib and hashlib, however the bytes are cut."""

from __future__ import annotations

import hashlib
import os
import zlib

import pytest

from booth.wire import checksums


def test_crc32_is_zlibs_crc32_big_endian_across_block_boundaries() -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    blocks = [data[:5], data[5 : 1024 * 1024], data[1024 * 1024 :]]
    assert checksums.digest_of("crc32", blocks) == zlib.crc32(data).to_bytes(4, "big")
    assert checksums.digest_of("crc32", []) == b"\x00\x00\x00\x00"


def test_sha1_is_hashlibs_sha1() -> None:
    data = os.urandom(100_000)
    assert checksums.digest_of("sha1", [data[:10], data[10:]]) == hashlib.sha1(data).digest()


def test_sizes_match_the_digests_and_the_advertised_list() -> None:
    for algorithm, size in checksums.DIGEST_SIZES.items():
        assert len(checksums.digest_of(algorithm, [b"x"])) == size
    assert checksums.ADVERTISED == "sha1,crc32"


def test_an_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match="md5"):
        checksums.new("md5")
