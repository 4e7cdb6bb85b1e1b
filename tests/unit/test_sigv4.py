"""SigV4 verification against requests signed by botocore itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from ovis.auth.sigv4 import Identity, SigV4Verifier
from ovis.errors import (
    AuthError,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

AKID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION, SERVICE = "us-east-1", "lambda"
ENDPOINT = "http://127.0.0.1:9001"
SIGNED_AT = dt.datetime(2024, 1, 1, 0, 10, 0)  # naive UTC, as botocore's clock returns it
NOW = SIGNED_AT.replace(tzinfo=dt.UTC).timestamp()
ARN = "arn:aws:lambda:us-east-1:000000000000:function:foo"
ARN_PATH = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Afoo"

Wire = tuple[str, bytes, bytes, list[tuple[bytes, bytes]], bytes]


def verifier(now: float = NOW, **kw: Any) -> SigV4Verifier:
    return SigV4Verifier({AKID: SECRET, "OTHER": "other-secret"}, clock=lambda: now, **kw)


def on_wire(prepared: AWSPreparedRequest) -> Wire:
    """What an ASGI server would hand us for this request after urllib3 sent it."""
    url = urlsplit(prepared.url)
    headers = [
        (k.lower().encode(), v if isinstance(v, bytes) else v.encode("latin-1"))
        for k, v in prepared.headers.items()
    ]
    if not any(k == b"host" for k, _ in headers):
        headers.insert(0, (b"host", url.netloc.encode()))
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return prepared.method, url.path.encode(), url.query.encode(), headers, body


def sign(
    method: str,
    url: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    key: str = AKID,
    secret: str = SECRET,
    at: dt.datetime = SIGNED_AT,
    presign: int | None = None,
) -> Wire:
    req = AWSRequest(method=method, url=url, data=body, headers=headers or {}, params=params)
    creds = Credentials(key, secret)
    signer = (
        SigV4Auth(creds, SERVICE, REGION)
        if presign is None
        else SigV4QueryAuth(creds, SERVICE, REGION, expires=presign)
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=at):
        signer.add_auth(req)
    return on_wire(req.prepare())


def with_header(wire: Wire, name: bytes, value: bytes) -> Wire:
    method, path, query, headers, body = wire
    return method, path, query, [*((k, v) for k, v in headers if k != name), (name, value)], body


# --- requests that must verify ---


def test_get_with_arn_path_and_qualifier() -> None:
    wire = sign("GET", f"{ENDPOINT}{ARN_PATH}?Qualifier=%24LATEST")
    assert b"%3A" in wire[1]
    assert verifier().verify(*wire) == Identity(AKID, REGION, SERVICE)


def test_post_invoke_with_body_and_headers() -> None:
    wire = sign(
        "POST",
        f"{ENDPOINT}{ARN_PATH}/invocations",
        body=b'{"hello": "world \xc3\xa9"}',
        headers={
            "X-Amz-Invocation-Type": "RequestResponse",
            "X-Amz-Client-Context": "  eyJ4Ijog  MX0=  ",  # whitespace the signer must trim
            "Content-Type": "application/json",
        },
    )
    assert verifier().verify(*wire).access_key == AKID


@pytest.mark.parametrize(
    "query",
    [
        "Marker=a%20b%2Bc%2Fd%3De%26f&MaxItems=5",
        "FunctionVersion=ALL&Marker=%21%27%28%29%2A",
        # Not AWS-encoded: botocore signs these verbatim, so only the wire-form fallback matches.
        "b=2&a=1&a=0&A=9&a.b=~tilde%7E&empty=&%c3%a9t%C3%A9=%E2%98%83",
        "Marker=a+b*c",
    ],
)
def test_odd_query_strings(query: str) -> None:
    wire = sign("GET", f"{ENDPOINT}/2015-03-31/functions/?{query}")
    assert verifier().verify(*wire).access_key == AKID


def test_params_sent_with_plus_for_space() -> None:
    # AWSRequest.params go on the wire via urlencode (space as "+") but are signed as "%20".
    wire = sign("GET", f"{ENDPOINT}/2015-03-31/functions/", params={"Marker": "a b+c", "x": "~"})
    assert b"a+b%2Bc" in wire[2]
    assert verifier().verify(*wire).access_key == AKID


@pytest.mark.parametrize(
    "path",
    ["/2015-03-31//functions/./x/../foo/", "/2015-03-31/functions/a$b!c@d", "", "/../.."],
)
def test_path_normalization(path: str) -> None:
    wire = sign("GET", f"{ENDPOINT}{path}")
    assert verifier().verify(*wire).access_key == AKID


def test_repeated_header_is_signed_as_joined_values() -> None:
    # SigV4 signs a repeated header as its trimmed values joined by commas, in order.
    wire = sign("GET", f"{ENDPOINT}/2015-03-31/functions/", headers={"X-Dup": "a,b"})
    method, path, query, headers, body = wire
    split = [(k, v) for k, v in headers if k != b"x-dup"] + [(b"x-dup", b"a"), (b"x-dup", b" b ")]
    assert verifier().verify(method, path, query, split, body).access_key == AKID


def test_http_date_header_instead_of_x_amz_date() -> None:
    wire = sign(
        "GET",
        f"{ENDPOINT}/2015-03-31/functions/",
        headers={"Date": "Mon, 01 Jan 2024 00:00:00 GMT"},
    )
    assert all(k != b"x-amz-date" for k, _ in wire[3])
    assert verifier().verify(*wire).access_key == AKID


def test_unsigned_payload_is_honoured() -> None:
    wire = sign(
        "POST",
        f"{ENDPOINT}{ARN_PATH}/invocations",
        body=b"{}",
        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
    )
    assert verifier().verify(*wire).access_key == AKID
    method, path, query, headers, _ = wire
    assert verifier().verify(method, path, query, headers, b"anything").access_key == AKID


def test_declared_payload_hash_must_match_body() -> None:
    digest = hashlib.sha256(b"{}").hexdigest()
    wire = sign(
        "POST",
        f"{ENDPOINT}{ARN_PATH}/invocations",
        body=b"{}",
        headers={"X-Amz-Content-SHA256": digest},
    )
    assert verifier().verify(*wire).access_key == AKID
    method, path, query, headers, _ = wire
    with pytest.raises(InvalidSignatureException):
        verifier().verify(method, path, query, headers, b"[]")


def test_presigned_url() -> None:
    wire = sign("GET", f"{ENDPOINT}{ARN_PATH}?Qualifier=%24LATEST&x=a%20b", presign=600)
    assert b"X-Amz-Signature=" in wire[2]
    assert all(k != b"authorization" for k, _ in wire[3])
    assert verifier(NOW + 590).verify(*wire) == Identity(AKID, REGION, SERVICE)


def test_presigned_url_expired() -> None:
    wire = sign("GET", f"{ENDPOINT}{ARN_PATH}", presign=600)
    with pytest.raises(InvalidSignatureException, match=r"^Signature expired"):
        verifier(NOW + 601).verify(*wire)


def test_presigned_url_tampered_query() -> None:
    method, path, query, headers, body = sign(
        "GET", f"{ENDPOINT}{ARN_PATH}?Qualifier=1", presign=600
    )
    with pytest.raises(InvalidSignatureException):
        verifier().verify(
            method, path, query.replace(b"Qualifier=1", b"Qualifier=2"), headers, body
        )


@pytest.fixture
def captured() -> Iterator[tuple[Any, list[AWSPreparedRequest]]]:
    """A real boto3 Lambda client whose requests are captured instead of sent."""
    seen: list[AWSPreparedRequest] = []

    class Captured(Exception):
        pass

    def grab(request: AWSPreparedRequest, **_: Any) -> None:
        seen.append(request)
        raise Captured

    client = boto3.client(
        "lambda",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )
    client.meta.events.register("before-send", grab)
    yield client, seen


@pytest.mark.parametrize(
    ("operation", "kwargs"),
    [
        ("invoke", {"FunctionName": ARN, "Payload": b'{"a": 1}', "Qualifier": "$LATEST"}),
        ("get_function", {"FunctionName": f"{ARN}:prod"}),
        ("list_functions", {"Marker": "a b+c/d=é*~!", "MaxItems": 5}),
        ("tag_resource", {"Resource": ARN, "Tags": {"k": "v w"}}),
    ],
)
def test_real_boto3_client_requests(
    captured: tuple[Any, list[AWSPreparedRequest]], operation: str, kwargs: dict[str, Any]
) -> None:
    client, seen = captured
    with pytest.raises(Exception):  # noqa: B017 - the capture hook aborts the send
        getattr(client, operation)(**kwargs)
    (prepared,) = seen
    signed_at = prepared.headers["X-Amz-Date"].decode()
    now = dt.datetime.strptime(signed_at, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC).timestamp()
    assert verifier(now).verify(*on_wire(prepared)) == Identity(AKID, REGION, SERVICE)


def test_real_boto3_presigned_url(captured: tuple[Any, list[AWSPreparedRequest]]) -> None:
    client, _ = captured
    url = urlsplit(
        client.generate_presigned_url(
            "get_function", Params={"FunctionName": ARN, "Qualifier": "$LATEST"}, ExpiresIn=60
        )
    )
    wire = ("GET", url.path.encode(), url.query.encode(), [(b"host", url.netloc.encode())], b"")
    assert SigV4Verifier({AKID: SECRET}).verify(*wire).access_key == AKID


# --- requests that must be refused ---


def test_wrong_secret() -> None:
    wire = sign("GET", f"{ENDPOINT}{ARN_PATH}", secret="not-the-secret")
    with pytest.raises(InvalidSignatureException, match=r"^The request signature we calculated"):
        verifier().verify(*wire)


def test_wrong_secret_presigned() -> None:
    wire = sign("GET", f"{ENDPOINT}{ARN_PATH}", secret="not-the-secret", presign=60)
    with pytest.raises(InvalidSignatureException):
        verifier().verify(*wire)


def test_unknown_access_key() -> None:
    wire = sign("GET", f"{ENDPOINT}{ARN_PATH}", key="AKIDUNKNOWN")
    with pytest.raises(UnrecognizedClientException) as exc:
        verifier().verify(*wire)
    assert exc.value.message == "The security token included in the request is invalid."


def test_skew_past() -> None:
    wire = sign("GET", f"{ENDPOINT}{ARN_PATH}", at=dt.datetime(2024, 1, 1, 0, 0, 0))
    assert verifier(max_skew_s=600).verify(*wire)  # exactly 10 min old, 10 min window
    with pytest.raises(InvalidSignatureException) as exc:
        verifier(NOW, max_skew_s=300).verify(*wire)
    assert exc.value.message == (
        "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z "
        "(20240101T001000Z - 5 min.)"
    )


def test_skew_future() -> None:
    wire = sign("GET", f"{ENDPOINT}{ARN_PATH}", at=dt.datetime(2024, 1, 1, 0, 20, 0))
    with pytest.raises(InvalidSignatureException) as exc:
        verifier().verify(*wire)
    assert exc.value.message == (
        "Signature not yet current: 20240101T002000Z is still later than 20240101T001500Z "
        "(20240101T001000Z + 5 min.)"
    )
    assert verifier(NOW + 301).verify(*wire).access_key == AKID


def test_missing_auth() -> None:
    with pytest.raises(MissingAuthenticationTokenException):
        verifier().verify("GET", b"/2015-03-31/functions/", b"", [(b"host", b"x")], b"")


def test_missing_auth_ignores_ordinary_query() -> None:
    with pytest.raises(MissingAuthenticationTokenException):
        verifier().verify("GET", b"/2015-03-31/functions/", b"MaxItems=1", [(b"host", b"x")], b"")


@pytest.mark.parametrize(
    ("authorization", "fragment"),
    [
        (b"Bearer eyJhbGciOi", "Authorization header requires 'Credential' parameter."),
        (b"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=ab", "requires 'Credential'"),
        (b"AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host", "requires 'Signature'"),
        (b"AWS4-HMAC-SHA256 Credential=a/b/c/d/e, Signature=ab", "requires 'SignedHeaders'"),
        (b"AWS4-HMAC-SHA512 Credential=a/b/c/d/e", "Unsupported AWS 'algorithm'"),
        (b"AWS4-HMAC-SHA256 Credential=x y", "not a valid key=value pair"),
        (
            b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/lambda, "
            b"SignedHeaders=host;x-amz-date, Signature=ab",
            "Credential must have exactly 5 slash-delimited elements",
        ),
    ],
)
def test_malformed_authorization(authorization: bytes, fragment: str) -> None:
    headers = [(b"host", b"x"), (b"x-amz-date", b"20240101T001000Z")]
    headers.append((b"authorization", authorization))
    with pytest.raises(IncompleteSignatureException, match=fragment):
        verifier().verify("GET", b"/", b"", headers, b"")


def test_missing_date() -> None:
    method, path, query, headers, body = sign("GET", f"{ENDPOINT}{ARN_PATH}")
    headers = [(k, v) for k, v in headers if k != b"x-amz-date"]
    with pytest.raises(IncompleteSignatureException, match="'X-Amz-Date' or a 'Date' header"):
        verifier().verify(method, path, query, headers, body)


def test_unparsable_date() -> None:
    wire = with_header(sign("GET", f"{ENDPOINT}{ARN_PATH}"), b"x-amz-date", b"2024-01-01")
    with pytest.raises(IncompleteSignatureException, match="ISO-8601 'basic format'"):
        verifier().verify(*wire)


def test_presigned_missing_parameters() -> None:
    method, path, query, headers, body = sign("GET", f"{ENDPOINT}{ARN_PATH}", presign=60)
    stripped = b"&".join(p for p in query.split(b"&") if not p.startswith(b"X-Amz-Date="))
    with pytest.raises(IncompleteSignatureException, match="must include 'X-Amz-Date'"):
        verifier().verify(method, path, stripped, headers, body)


def test_host_must_be_signed() -> None:
    method, path, query, headers, body = sign("GET", f"{ENDPOINT}{ARN_PATH}")
    auth = dict(headers)[b"authorization"].replace(b"SignedHeaders=host;", b"SignedHeaders=")
    wire = with_header((method, path, query, headers, body), b"authorization", auth)
    with pytest.raises(InvalidSignatureException, match="'Host' or ':authority'"):
        verifier().verify(*wire)


def test_body_tampered_after_signing() -> None:
    method, path, query, headers, _ = sign(
        "POST", f"{ENDPOINT}{ARN_PATH}/invocations", body=b'{"amount": 1}'
    )
    with pytest.raises(InvalidSignatureException):
        verifier().verify(method, path, query, headers, b'{"amount": 9}')


def test_signed_header_tampered() -> None:
    wire = sign(
        "POST",
        f"{ENDPOINT}{ARN_PATH}/invocations",
        body=b"{}",
        headers={"X-Amz-Invocation-Type": "RequestResponse"},
    )
    tampered = with_header(wire, b"x-amz-invocation-type", b"Event")
    with pytest.raises(InvalidSignatureException):
        verifier().verify(*tampered)


def test_path_tampered() -> None:
    method, path, query, headers, body = sign("GET", f"{ENDPOINT}{ARN_PATH}")
    with pytest.raises(InvalidSignatureException):
        verifier().verify(method, path.replace(b"foo", b"bar"), query, headers, body)


def test_credential_scope_date_must_match_request_date() -> None:
    wire = with_header(sign("GET", f"{ENDPOINT}{ARN_PATH}"), b"x-amz-date", b"20240101T001001Z")
    with pytest.raises(InvalidSignatureException, match=r"^The request signature"):
        verifier().verify(*wire)
    late = sign("GET", f"{ENDPOINT}{ARN_PATH}", at=dt.datetime(2023, 12, 31, 23, 59, 0))
    wire = with_header(late, b"x-amz-date", b"20240101T000800Z")
    with pytest.raises(InvalidSignatureException, match=r"^Date in Credential scope"):
        verifier().verify(*wire)


def test_garbage_only_raises_auth_errors() -> None:
    rnd = random.Random(7)
    bits = [b"AWS4-HMAC-SHA256 ", b"Credential=", b"AKIDEXAMPLE/20240101/us-east-1/lambda/", b"=",
            b"aws4_request", b", ", b"SignedHeaders=host;x-amz-date", b"Signature=ab", b"\xff",
            b"%", b"%E2%98%83", b"/", b";", b"&", b"+", b"..", b"X-Amz-Algorithm", b"X-Amz-Date",
            b"X-Amz-Credential", b"X-Amz-Signature", b"X-Amz-SignedHeaders", b"X-Amz-Expires",
            b"20240101T001000Z", b"Mon, 01 Jan 2024 00:10:00 GMT", b"-1"]  # fmt: skip

    def junk(n: int) -> bytes:
        return b"".join(rnd.choice(bits) for _ in range(rnd.randint(0, n)))

    v = verifier()
    for _ in range(3000):
        headers = [(b"host", junk(1)), (b"authorization", junk(10)), (b"x-amz-date", junk(1))]
        headers += [(b"date", junk(2)), (b"x-amz-content-sha256", junk(1))][: rnd.randint(0, 2)]
        with pytest.raises(AuthError):
            v.verify("GET", junk(4), junk(12), headers[: rnd.randint(0, 5)], junk(1))
