"""S3's checksums: CRC32C's check value, composites of parts, the multipart ETag."""

from __future__ import annotations

import base64
import hashlib
import zlib

from ovis.services.s3 import checksums


def test_crc32c_check_values() -> None:
    assert checksums.crc32c(b"123456789") == 0xE3069283
    assert checksums.crc32c(b"") == 0
    assert checksums.crc32c(b"6789", checksums.crc32c(b"12345")) == 0xE3069283  # incremental


def test_hashers_give_s3s_big_endian_digests() -> None:
    data = b"hello world"
    for alg, want in (
        ("CRC32", zlib.crc32(data).to_bytes(4, "big")),
        ("SHA1", hashlib.sha1(data).digest()),
        ("SHA256", hashlib.sha256(data).digest()),
    ):
        h = checksums.hasher(alg)
        h.update(data[:5])
        h.update(data[5:])
        assert h.digest() == want


def test_composite_and_multipart_etag() -> None:
    parts = [b"a" * 10, b"b" * 3]
    sums = [base64.b64encode(zlib.crc32(p).to_bytes(4, "big")).decode() for p in parts]
    raw = b"".join(base64.b64decode(s) for s in sums)
    want = base64.b64encode(zlib.crc32(raw).to_bytes(4, "big")).decode()
    assert checksums.composite("CRC32", sums) == f"{want}-2"
    etags = [f'"{hashlib.md5(p).hexdigest()}"' for p in parts]
    md5s = b"".join(hashlib.md5(p).digest() for p in parts)
    assert checksums.multipart_etag(etags) == f'"{hashlib.md5(md5s).hexdigest()}-2"'
