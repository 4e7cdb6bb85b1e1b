"""Receiving an object body: hashes and checksums checked, committed only when they hold."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import zlib
from pathlib import Path

import pytest

from ovis.auth.sigv4 import SignedPayload
from ovis.services.s3.body import receive_body
from ovis.services.s3.errors import (
    BadDigest,
    EntityTooLarge,
    IncompleteBody,
    XAmzContentSHA256Mismatch,
)
from ovis.storage.objects import ObjectStore


class Stream:
    def __init__(self, pieces: list[bytes], claimed: str, headers: dict[str, str]) -> None:
        self.pieces = list(pieces)
        self.signed: SignedPayload | None = SignedPayload(claimed, b"", "", "", "")
        self.headers = headers

    async def read(self) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def _receive(store: ObjectStore, pieces: list[bytes], claimed: str, **headers: str):  # type: ignore[no-untyped-def]
    params = {"ContentMD5": headers.pop("content_md5")} if "content_md5" in headers else {}
    hs = {k.replace("_", "-"): v for k, v in headers.items()}
    return asyncio.run(receive_body(Stream(pieces, claimed, hs), hs, params, store, 1000))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_a_signed_body_is_hashed_checked_and_committed(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    data = b"hello world"
    got = _receive(
        store,
        [data[:4], data[4:]],
        hashlib.sha256(data).hexdigest(),
        content_length=str(len(data)),
        content_md5=_b64(hashlib.md5(data).digest()),
        x_amz_checksum_crc32=_b64(zlib.crc32(data).to_bytes(4, "big")),
    )
    assert (got.size, got.md5) == (11, hashlib.md5(data).hexdigest())
    assert got.checksums == {"CRC32": _b64(zlib.crc32(data).to_bytes(4, "big"))}
    assert store.path(got.blob).read_bytes() == data
    assert list(store.tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("claimed", "headers", "error"),
    [
        ("0" * 64, {}, XAmzContentSHA256Mismatch),
        ("UNSIGNED-PAYLOAD", {"content_md5": _b64(b"\0" * 16)}, BadDigest),
        ("UNSIGNED-PAYLOAD", {"x_amz_checksum_sha256": _b64(b"\0" * 32)}, BadDigest),
        ("UNSIGNED-PAYLOAD", {"content_length": "99"}, IncompleteBody),
        ("UNSIGNED-PAYLOAD", {"content_length": "5000"}, EntityTooLarge),
    ],
)
def test_failed_checks_leave_nothing(
    tmp_path: Path, claimed: str, headers: dict[str, str], error: type[Exception]
) -> None:
    store = ObjectStore(tmp_path)
    with pytest.raises(error):
        _receive(store, [b"abc"], claimed, **headers)
    assert list(store.tmp.iterdir()) == [] and store.blobs() == []


def test_more_than_the_limit_is_refused_while_reading(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    with pytest.raises(EntityTooLarge):
        _receive(store, [b"x" * 600, b"x" * 600], "UNSIGNED-PAYLOAD")
    assert store.blobs() == []


def test_aws_chunked_with_a_trailing_checksum(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    data = b"hello world"
    crc = _b64(zlib.crc32(data).to_bytes(4, "big"))
    body = f"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n".encode()
    got = _receive(
        store,
        [body[:9], body[9:]],
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        x_amz_trailer="x-amz-checksum-crc32",
        x_amz_decoded_content_length="11",
    )
    assert got.checksums == {"CRC32": crc} and store.path(got.blob).read_bytes() == data
    wrong = body.replace(crc.encode(), b"AAAAAA==")
    with pytest.raises(BadDigest):
        _receive(
            store,
            [wrong],
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            x_amz_trailer="x-amz-checksum-crc32",
        )


class Gone(Stream):
    async def read(self) -> bytes:
        if self.pieces:
            return self.pieces.pop(0)
        raise ConnectionError("client went away")


def test_a_client_that_goes_away_leaves_nothing(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    stream = Gone([b"abc"], "UNSIGNED-PAYLOAD", {})
    with pytest.raises(IncompleteBody):
        asyncio.run(receive_body(stream, {}, {}, store, 1000))
    assert list(store.tmp.iterdir()) == [] and store.blobs() == []
