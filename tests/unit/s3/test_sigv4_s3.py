"""S3's signing rules in the SigV4 verifier, against requests botocore signs itself."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from ovis.auth.sigv4 import SigV4Verifier
from ovis.errors import InvalidSignatureException

CREDS = Credentials("AKID", "secret/key")
VERIFIER = SigV4Verifier({"AKID": "secret/key"})


def _wire(
    url: str, headers: dict[str, str] | None = None
) -> tuple[bytes, bytes, list[tuple[bytes, bytes]]]:
    parts = urlsplit(url)
    hs = [(b"host", parts.netloc.encode())]
    hs += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return parts.path.encode(), parts.query.encode(), hs


def test_s3_paths_are_signed_as_sent_not_encoded_twice() -> None:
    req = AWSRequest("PUT", "http://127.0.0.1:9000/bkt/a%20b/c%3Ad~e", data=b"body")
    S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(req)
    prepared = req.prepare()
    path, query, hs = _wire(prepared.url, dict(prepared.headers))
    assert VERIFIER.verify("PUT", path, query, hs, b"body").service == "s3"
    with pytest.raises(InvalidSignatureException):
        VERIFIER.verify("PUT", path, query, hs, b"other")
    ident, signed = VERIFIER.verify_stream("PUT", path, query, hs)
    assert ident.access_key == "AKID" and len(signed.claimed) == 64


@pytest.mark.parametrize("version", ["s3", "s3v4"])
def test_presigned_urls_both_signature_versions(version: str) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9000",
        region_name="us-east-1",
        aws_access_key_id="AKID",
        aws_secret_access_key="secret/key",
        config=Config(signature_version=version),
    )
    url = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": "bkt", "Key": "dir/a b.txt", "ResponseContentType": "text/plain"},
    )
    path, query, hs = _wire(url)
    ident, signed = VERIFIER.verify_stream("GET", path, query, hs)
    assert (ident.service, signed.claimed) == ("s3", "UNSIGNED-PAYLOAD")
    with pytest.raises(InvalidSignatureException):
        VERIFIER.verify("GET", path.replace(b"a%20b", b"c"), query, hs, b"")
    with pytest.raises(InvalidSignatureException):
        VERIFIER.verify("PUT", path, query, hs, b"")


def test_legacy_presigned_urls_expire() -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9000",
        region_name="us-east-1",
        aws_access_key_id="AKID",
        aws_secret_access_key="secret/key",
        config=Config(signature_version="s3"),
    )
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}, ExpiresIn=10)
    path, query, hs = _wire(url)
    later = SigV4Verifier({"AKID": "secret/key"}, clock=lambda: time.time() + 60)
    with pytest.raises(InvalidSignatureException):
        later.verify("GET", path, query, hs, b"")


def test_streaming_tokens_are_s3_only() -> None:
    req = AWSRequest("POST", "http://127.0.0.1:9000/", data=b"{}")
    req.headers["X-Amz-Content-SHA256"] = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    from botocore.auth import SigV4Auth

    SigV4Auth(CREDS, "lambda", "us-east-1").add_auth(req)
    prepared = req.prepare()
    path, query, hs = _wire(prepared.url, dict(prepared.headers))
    with pytest.raises(InvalidSignatureException):
        VERIFIER.verify_stream("POST", path, query, hs)
