"""aws-chunked decoding, signed chunks checked against AWS's published example."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest

from ovis.auth.sigv4 import SignedPayload, SigV4Verifier
from ovis.services.s3.chunked import ChunkDecoder
from ovis.services.s3.errors import IncompleteBody, InvalidRequest, SignatureDoesNotMatch

# AWS's example (Signature Calculations for the Authorization Header: Transferring Payload in
# Multiple Chunks): 66560 bytes of "a" in chunks of 65536 and 1024.
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
SIGS = (
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)


def _key() -> bytes:
    key = ("AWS4" + SECRET).encode()
    for part in ("20130524", "us-east-1", "s3", "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def _signed() -> SignedPayload:
    return SignedPayload(
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        _key(),
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        SEED,
    )


def _aws_example_body(sigs: tuple[str, ...] = SIGS) -> bytes:
    return (
        f"10000;chunk-signature={sigs[0]}\r\n".encode()
        + b"a" * 65536
        + f"\r\n400;chunk-signature={sigs[1]}\r\n".encode()
        + b"a" * 1024
        + f"\r\n0;chunk-signature={sigs[2]}\r\n\r\n".encode()
    )


def _decode(decoder: ChunkDecoder, body: bytes, step: int) -> bytes:
    out = b""
    for i in range(0, len(body), step):
        out += b"".join(decoder.feed(body[i : i + step]))
    decoder.finish()
    return out


@pytest.mark.parametrize("step", [1, 7, 4096, 1 << 20])
def test_the_aws_example_decodes_in_any_split(step: int) -> None:
    body = _aws_example_body()
    assert _decode(ChunkDecoder(_signed()), body, step if step > 1 else 997) == b"a" * 66560


def test_a_wrong_chunk_signature_is_refused() -> None:
    bad = (SIGS[0], SIGS[0], SIGS[2])
    with pytest.raises(SignatureDoesNotMatch):
        _decode(ChunkDecoder(_signed()), _aws_example_body(bad), 1 << 20)


def test_changed_data_is_refused() -> None:
    body = _aws_example_body().replace(b"a" * 10, b"b" * 10, 1)
    with pytest.raises(SignatureDoesNotMatch):
        _decode(ChunkDecoder(_signed()), body, 1 << 20)


def test_the_seed_signature_of_the_aws_example_verifies() -> None:
    headers = [
        (b"host", b"s3.amazonaws.com"),
        (b"x-amz-date", b"20130524T000000Z"),
        (b"x-amz-storage-class", b"REDUCED_REDUNDANCY"),
        (
            b"authorization",
            b"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            b"aws4_request,SignedHeaders=content-encoding;content-length;host;"
            b"x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
            b"Signature=" + SEED.encode(),
        ),
        (b"x-amz-content-sha256", b"STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        (b"content-encoding", b"aws-chunked"),
        (b"x-amz-decoded-content-length", b"66560"),
        (b"content-length", b"66824"),
    ]
    when = dt.datetime(2013, 5, 24, tzinfo=dt.UTC).timestamp()
    verifier = SigV4Verifier({"AKIAIOSFODNN7EXAMPLE": SECRET}, clock=lambda: when)
    ident, signed = verifier.verify_stream("PUT", b"/examplebucket/chunkObject.txt", b"", headers)
    assert (ident.service, signed.seed, signed.claimed) == (
        "s3",
        SEED,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    )
    assert _decode(ChunkDecoder(signed), _aws_example_body(), 8192) == b"a" * 66560


def test_unsigned_trailer_bodies() -> None:
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
    d = ChunkDecoder(None)
    assert _decode(d, body, 3) == b"hello world"
    assert d.trailers == {"x-amz-checksum-crc32": "DUoRhQ=="}


def test_truncated_and_malformed_bodies() -> None:
    d = ChunkDecoder(None)
    d.feed(b"5\r\nhel")
    with pytest.raises(IncompleteBody):
        d.finish()
    with pytest.raises(InvalidRequest):
        ChunkDecoder(None).feed(b"zz\r\n")
    with pytest.raises(InvalidRequest):
        ChunkDecoder(None).feed(b"2\r\nabXX")
    with pytest.raises(SignatureDoesNotMatch):  # a signed body needs chunk signatures
        ChunkDecoder(_signed()).feed(b"5\r\nhello\r\n")
    assert hashlib.sha256(b"").hexdigest()  # (the empty chunk's hash is part of each signature)
