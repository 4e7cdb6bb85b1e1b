"""Reading an object's (or part's) request body into the object store, as it arrives.

Contract: ``receive_body`` reads the stream in pieces, decoding aws-chunked bodies, writing to a
new blob and computing the MD5 (the ETag), the SHA-256 the signature claims, and the checksum the
client sent or announced (``x-amz-checksum-*``, in a header or an aws-chunked trailer). Only
when every check passes is the blob committed (fsynced, renamed): the caller then commits the
metadata. On any failure (bad digest or checksum, signature, oversize, early end) the blob is
deleted and S3's error raised, so nothing partial is ever visible. Memory use is bounded by
the flush size whatever the body's length; hashing and writing run in a worker thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ovis.auth.sigv4 import STREAMING_PAYLOADS, SignedPayload
from ovis.services.s3 import checksums
from ovis.services.s3.chunked import ChunkDecoder
from ovis.services.s3.errors import (
    BadDigest,
    EntityTooLarge,
    IncompleteBody,
    InvalidArgumentS3,
    InvalidDigest,
    InvalidRequest,
    XAmzContentSHA256Mismatch,
    bad_checksum,
)
from ovis.services.s3.repository import BlobWriter, ObjectBlobs

_FLUSH = 1 << 20  # bytes gathered before one write+hash step in the worker thread


class BodyStream(Protocol):
    """The request body as the front door hands it over (``ovis.frontdoor.http.RequestStream``)."""

    signed: SignedPayload | None
    headers: Mapping[str, str]

    async def read(self) -> bytes: ...


@dataclass(frozen=True)
class StoredBody:
    blob: str
    size: int
    md5: str  # hex
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> base64


class _Sink:
    """Runs in a worker thread: write to the blob and update every hash."""

    def __init__(self, writer: BlobWriter, sha256: bool, algorithm: str | None) -> None:
        self.writer = writer
        self.md5 = hashlib.md5()
        self.sha256 = hashlib.sha256() if sha256 else None
        self.algorithm = algorithm
        self.check = checksums.hasher(algorithm) if algorithm else None

    def feed(self, data: bytes) -> None:
        self.writer.write(data)
        self.md5.update(data)
        if self.sha256 is not None:
            self.sha256.update(data)
        if self.check is not None:
            self.check.update(data)


def requested_algorithm(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(algorithm, expected base64 or None when it comes in a trailer) the client asked for."""
    for alg in checksums.ALGORITHMS:
        value = headers.get(f"x-amz-checksum-{alg.lower()}")
        if value is not None:
            return alg, value
    if "x-amz-checksum-crc64nvme" in headers:
        raise InvalidRequest("The CRC64NVME checksum algorithm is not supported by this server.")
    trailer = headers.get("x-amz-trailer", "").strip().lower()
    if trailer.startswith("x-amz-checksum-"):
        alg = trailer[len("x-amz-checksum-") :].upper()
        if alg not in checksums.ALGORITHMS:
            raise InvalidRequest(f"The {alg} checksum algorithm is not supported by this server.")
        return alg, None
    sdk = headers.get("x-amz-sdk-checksum-algorithm", "").upper()
    if sdk and sdk in checksums.ALGORITHMS:
        return sdk, None  # computed and stored, nothing to compare with
    return None, None


async def receive_body(
    stream: BodyStream,
    headers: Mapping[str, str],
    params: Mapping[str, Any],
    blobs: ObjectBlobs,
    limit: int,
) -> StoredBody:
    signed = stream.signed
    claimed = signed.claimed if signed is not None else "UNSIGNED-PAYLOAD"
    chunked = claimed in STREAMING_PAYLOADS
    declared = (
        headers.get("x-amz-decoded-content-length") if chunked else headers.get("content-length")
    )
    if declared is not None:
        if not declared.isdigit():
            raise InvalidArgumentS3("Content-Length must be a non-negative integer.")
        if int(declared) > limit:
            raise EntityTooLarge(ProposedSize=declared, MaxSizeAllowed=str(limit))
    md5_b64 = params.get("ContentMD5")
    want_md5: bytes | None = None
    if md5_b64 is not None:
        try:
            want_md5 = base64.b64decode(md5_b64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidDigest(Content_MD5=md5_b64) from None
        if len(want_md5) != 16:
            raise InvalidDigest()
    algorithm, expected = requested_algorithm(headers)
    decoder: ChunkDecoder | None = None
    if chunked:
        decoder = ChunkDecoder(signed if claimed.startswith("STREAMING-AWS4-HMAC-SHA256") else None)
    hex_claim = claimed if len(claimed) == 64 else None
    writer = blobs.writer()
    sink = _Sink(writer, hex_claim is not None, algorithm)
    try:
        pending = bytearray()
        size = 0
        while True:
            try:
                piece = await stream.read()
            except ConnectionError:  # the client went away mid-body
                raise IncompleteBody() from None
            if not piece:
                break
            data = decoder.feed(piece) if decoder is not None else [piece]
            for d in data:
                size += len(d)
                if size > limit:
                    raise EntityTooLarge(MaxSizeAllowed=str(limit))
                pending += d
            if len(pending) >= _FLUSH:
                await asyncio.to_thread(sink.feed, bytes(pending))
                pending.clear()
        if pending:
            await asyncio.to_thread(sink.feed, bytes(pending))
        if decoder is not None:
            trailers = decoder.finish()
            if algorithm is not None and expected is None:
                expected = trailers.get(f"x-amz-checksum-{algorithm.lower()}")
        if declared is not None and size != int(declared):
            raise IncompleteBody(
                "You did not provide the number of bytes specified by the Content-Length HTTP "
                "header."
            )
        if sink.sha256 is not None and sink.sha256.hexdigest() != hex_claim:
            raise XAmzContentSHA256Mismatch(
                ClientComputedContentSHA256=hex_claim,
                S3ComputedContentSHA256=sink.sha256.hexdigest(),
            )
        md5 = sink.md5.digest()
        if want_md5 is not None and md5 != want_md5:
            raise BadDigest(
                ExpectedDigest=want_md5.hex(), CalculatedDigest=base64.b64encode(md5).decode()
            )
        stored: dict[str, str] = {}
        if algorithm is not None and sink.check is not None:
            got = checksums.b64(sink.check.digest())
            if expected is not None and got != expected:
                raise bad_checksum(algorithm)
            stored[algorithm] = got
        blob = await asyncio.to_thread(writer.commit)
        return StoredBody(blob, size, md5.hex(), stored)
    except BaseException:
        writer.abort()
        raise
