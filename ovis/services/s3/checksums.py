"""S3's object checksums: CRC32, CRC32C, SHA1, SHA256 (base64 of the big-endian digest, as the
``x-amz-checksum-*`` headers carry them) and the Content-MD5/ETag MD5.

CRC32 is zlib's; CRC32C (Castagnoli) has no library installed here, so it is the small
table-driven one (slow, byte at a time in Python: fine for the sizes clients choose it for).
A multipart object's checksum is S3's composite: the checksum of the parts' raw digests
followed by ``-N``. Hashers are fed in order; ``digest()`` may be called once at the end.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Protocol

ALGORITHMS = ("CRC32", "CRC32C", "SHA1", "SHA256")


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC32C = _crc32c_table()


def crc32c(data: bytes | memoryview, crc: int = 0) -> int:
    """CRC-32C of ``data`` continuing from ``crc`` (0 to start)."""
    c = crc ^ 0xFFFFFFFF
    t = _CRC32C
    for b in bytes(data):
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


class Hasher(Protocol):
    def update(self, data: bytes | memoryview) -> None: ...

    def digest(self) -> bytes: ...


class _Crc:
    def __init__(self, castagnoli: bool) -> None:
        self._c = 0
        self._castagnoli = castagnoli

    def update(self, data: bytes | memoryview) -> None:
        self._c = crc32c(data, self._c) if self._castagnoli else zlib.crc32(data, self._c)

    def digest(self) -> bytes:
        return self._c.to_bytes(4, "big")


def hasher(algorithm: str) -> Hasher:
    """A running checksum of one of ``ALGORITHMS`` (upper-case)."""
    if algorithm == "CRC32":
        return _Crc(False)
    if algorithm == "CRC32C":
        return _Crc(True)
    if algorithm == "SHA1":
        return hashlib.sha1()
    if algorithm == "SHA256":
        return hashlib.sha256()
    raise ValueError(algorithm)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def composite(algorithm: str, part_checksums: list[str]) -> str:
    """S3's checksum of a multipart object from its parts' (base64) checksums."""
    h = hasher(algorithm)
    for c in part_checksums:
        h.update(base64.b64decode(c))
    return f"{b64(h.digest())}-{len(part_checksums)}"


def multipart_etag(part_etags: list[str]) -> str:
    """``"md5-of-the-parts'-md5s-N"``, quoted as S3 sends it."""
    md5 = hashlib.md5()
    for e in part_etags:
        md5.update(bytes.fromhex(e.strip('"')))
    return f'"{md5.hexdigest()}-{len(part_etags)}"'
