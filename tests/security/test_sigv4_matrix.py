"""The negative SigV4 matrix (#19): every request below is signed by botocore's own signers with
one thing wrong, sent to the live server, and must be refused with 403 (400 for a malformed
X-Amz-Expires) and the code the target service's protocol uses. The same requests signed
right must pass, so a refusal is never the request's own fault.

Dimensions: the scope's region, service and date, the clock, the key, the secret, the session
token (garbage with a long-term key, another session's, missing), the scope terminator, and for
presigned URLs expiry, X-Amz-Expires bounds, region and service. Services: Lambda (rest-json),
SQS (json), SNS (query), S3 (rest-xml), CloudWatch (Smithy RPC v2 CBOR), STS and IAM (query,
global: any real region, but not a made-up one), and the operator endpoint /_ovis/admin.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from tests.conftest import REGION, ServerProcess

KEY, SECRET = "test", "test"
OTHER_REGIONS = ("eu-west-1", "us-west-2")
MADE_UP_REGIONS = ("xx-nowhere-1", "moon-east-1")


@dataclass(frozen=True)
class Target:
    """One benign request of one service, and how that service words auth errors."""

    name: str
    signing: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    style: str  # "json" | "query" | "s3"
    wrong_regions: tuple[str, ...] = OTHER_REGIONS
    other_services: tuple[str, ...] = ("execute-api", "dynamodb")

    @property
    def s3(self) -> bool:
        return self.signing == "s3"


JSON_CODES = {"sig": "InvalidSignatureException", "key": "UnrecognizedClientException"}
QUERY_CODES = {"sig": "SignatureDoesNotMatch", "key": "InvalidClientTokenId"}
S3_CODES = {"sig": "SignatureDoesNotMatch", "key": "InvalidAccessKeyId"}
CODES = {"json": JSON_CODES, "query": QUERY_CODES, "s3": S3_CODES}
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

TARGETS = [
    Target("lambda", "lambda", "GET", "/2015-03-31/functions/", {}, b"", "json"),
    Target(
        "sqs",
        "sqs",
        "POST",
        "/",
        {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"},
        b"{}",
        "json",
        other_services=("lambda", "execute-api"),
    ),
    Target(
        "sns",
        "sns",
        "POST",
        "/",
        FORM,
        b"Action=ListTopics&Version=2010-03-31",
        "query",
        other_services=("sqs", "lambda"),
    ),
    Target(
        "s3",
        "s3",
        "GET",
        "/",
        {},
        b"",
        "s3",
        wrong_regions=MADE_UP_REGIONS,
        # (signed for lambda, "/" is Lambda's unknown operation: a 404, not a scope error)
        other_services=("sqs", "s3-object-lambda"),
    ),
    Target(
        "cloudwatch",
        "monitoring",
        "POST",
        "/service/GraniteServiceVersion20100801/operation/ListMetrics",
        {
            "smithy-protocol": "rpc-v2-cbor",
            "Content-Type": "application/cbor",
            "Accept": "application/cbor",
        },
        b"\xa0",
        "json",
        other_services=("cloudwatch", "lambda"),
    ),
    Target(
        "sts",
        "sts",
        "POST",
        "/",
        FORM,
        b"Action=GetCallerIdentity&Version=2011-06-15",
        "query",
        wrong_regions=MADE_UP_REGIONS,
        other_services=("iam", "lambda"),
    ),
    Target(
        "iam",
        "iam",
        "POST",
        "/",
        FORM,
        b"Action=ListRoles&Version=2010-05-08",
        "query",
        wrong_regions=MADE_UP_REGIONS,
        other_services=("sts", "sns"),
    ),
    Target("admin", "lambda", "GET", "/_ovis/admin/async/pending", {}, b"", "json"),
]


def _scoped(base: type[Any], day: str | None = None, terminator: str = "aws4_request") -> Any:
    """A botocore signer whose credential scope says another day or terminator."""

    class Signer(base):  # type: ignore[misc,valid-type]
        def credential_scope(self, request: AWSRequest) -> str:
            stamp = day or request.context["timestamp"][0:8]
            return "/".join([stamp, self._region_name, self._service_name, terminator])

        def scope(self, request: AWSRequest) -> str:
            return f"{self.credentials.access_key}/{self.credential_scope(request)}"

    return Signer


@dataclass
class Case:
    label: str
    status: int
    code: str
    signer: type[Any] | None = None  # None: the target's usual signer
    region: str = REGION
    service: str | None = None
    key: str = KEY
    secret: str = SECRET
    token: str | None = None
    shift_s: int = 0  # the signer's clock against ours
    presign: bool = False
    expires: int = 60
    unsigned: bool = False
    raw_auth: str | None = None  # sent as the Authorization header instead of a signature


def cases(t: Target, temp: Credentials) -> list[Case]:
    codes = CODES[t.style]
    sig, bad_key = codes["sig"], codes["key"]
    skewed = "RequestTimeTooSkewed" if t.s3 else sig  # as S3 words both
    malformed = {"json": "IncompleteSignatureException", "query": "IncompleteSignature"}.get(
        t.style, "AuthorizationQueryParametersError"
    )
    expired = "AccessDenied" if t.s3 else sig
    out = [Case(f"region {r}", 403, sig, region=r) for r in t.wrong_regions]
    out += [Case(f"service {s}", 403, sig, service=s) for s in t.other_services]
    out += [
        Case("scope date", 403, sig, signer=_scoped(_auth(t), day="20200101")),
        Case("terminator", 403, sig, signer=_scoped(_auth(t), terminator="aws5_request")),
        Case("clock -10 min", 403, skewed, shift_s=-600),
        Case("clock +10 min", 403, skewed, shift_s=600),
        Case("unknown key", 403, bad_key, key="AKIDNOBODY"),
        Case("wrong secret", 403, sig, secret="not-the-secret"),
        Case("garbage token, long-term key", 403, bad_key, token="garbage"),
        Case(
            "other token, temporary key",
            403,
            bad_key,
            key=temp.access_key,
            secret=temp.secret_key,
            token="x" + temp.token,
        ),
        Case("no token, temporary key", 403, bad_key, key=temp.access_key, secret=temp.secret_key),
    ]
    if not t.s3:  # S3 answers an unsigned request as an anonymous one (bucket policies)
        suffix = "" if t.style == "query" else "Exception"
        out += [
            Case("unsigned", 403, f"MissingAuthenticationToken{suffix}", unsigned=True),
            Case(
                "no Signature",
                400,
                f"IncompleteSignature{suffix}",
                raw_auth=f"AWS4-HMAC-SHA256 Credential={KEY}/20260101/{REGION}/{t.signing}/"
                "aws4_request, SignedHeaders=host",
            ),
        ]
    if t.method == "GET" or t.style == "query":
        p = dict(presign=True)
        out += [
            Case("presigned, expired", 403, expired, shift_s=-120, expires=60, **p),  # type: ignore[arg-type]
            Case(
                f"presigned, region {t.wrong_regions[0]}", 403, sig, region=t.wrong_regions[0], **p
            ),  # type: ignore[arg-type]
            Case(
                f"presigned, service {t.other_services[0]}",
                403,
                sig,
                service=t.other_services[0],
                **p,
            ),  # type: ignore[arg-type]
            Case("presigned, garbage token", 403, bad_key, token="garbage", **p),  # type: ignore[arg-type]
            Case(
                "presigned, X-Amz-Expires 604801",
                400,
                malformed,
                expires=604801,
                **p,
            ),  # type: ignore[arg-type]
            Case("presigned, X-Amz-Expires 0", 400, malformed, expires=0, **p),  # type: ignore[arg-type]
        ]
    return out


def _auth(t: Target, presign: bool = False) -> type[Any]:
    if presign:
        return S3SigV4QueryAuth if t.s3 else SigV4QueryAuth
    return S3SigV4Auth if t.s3 else SigV4Auth


def send(server: ServerProcess, t: Target, c: Case) -> tuple[int, str]:
    """Sign ``t`` as ``c`` says and send it; (status, error code or "")."""
    method, path, body, headers = t.method, t.path, t.body, dict(t.headers)
    if c.presign and t.style == "query":  # a query call presigned: its parameters in the URL
        method, path, body, headers = "GET", f"/?{t.body.decode()}", b"", {}
    req = AWSRequest(method=method, url=server.url + path, data=body, headers=headers)
    creds = Credentials(c.key, c.secret, c.token)
    signer_cls = c.signer or _auth(t, c.presign)
    service = c.service or t.signing
    if c.presign:
        signer = signer_cls(creds, service, c.region, expires=c.expires)
    else:
        signer = signer_cls(creds, service, c.region)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=c.shift_s)
    if c.raw_auth is not None:
        req.headers["Authorization"] = c.raw_auth
        req.headers["X-Amz-Date"] = now.strftime("%Y%m%dT%H%M%SZ")
    elif not c.unsigned:
        with mock.patch("botocore.auth.get_current_datetime", return_value=now):
            signer.add_auth(req)
    prepared = req.prepare()
    wire = urllib.request.Request(
        prepared.url,
        data=prepared.body or None,
        method=method,
        headers={k: v for k, v in prepared.headers.items() if k.lower() != "host"},
    )
    try:
        with urllib.request.urlopen(wire, timeout=30) as r:
            return r.status, ""
    except urllib.error.HTTPError as e:
        return e.code, _code(e.headers.get("x-amzn-ErrorType"), e.read())


def _code(header: str | None, body: bytes) -> str:
    if header:
        return header.split(":")[0]
    m = re.search(rb"<Code>([^<]+)</Code>", body) or re.search(rb'"__type"\s*:\s*"([^"]+)"', body)
    if m:
        return m.group(1).decode().rpartition("#")[2]
    at = body.find(b"__type")  # CBOR: a text string's head is 0x60+n, or 0x78 and n
    if at >= 0:
        head = body[at + 6]
        start, n = (at + 8, body[at + 7]) if head == 0x78 else (at + 7, head - 0x60)
        return body[start : start + n].decode().rpartition("#")[2]
    return body[:80].decode("latin-1")


@pytest.fixture(scope="module")
def temp_creds(server: ServerProcess) -> Credentials:
    c = server.client("sts").get_session_token()["Credentials"]  # type: ignore[attr-defined]
    return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_must_reject_matrix(server: ServerProcess, temp_creds: Credentials, target: Target) -> None:
    ok = Case("right", 200, "")
    assert send(server, target, ok) == (200, ""), "the request itself must be good"
    if target.method == "GET" or target.style == "query":
        assert send(server, target, Case("right, presigned", 200, "", presign=True))[0] == 200
    good_temp = Case(
        "temporary",
        200,
        "",
        key=temp_creds.access_key,
        secret=temp_creds.secret_key,
        token=temp_creds.token,
    )
    assert send(server, target, good_temp)[0] == 200
    wrong = []
    matrix = cases(target, temp_creds)
    for c in matrix:
        got = send(server, target, c)
        if got != (c.status, c.code):
            wrong.append(f"{c.label}: got {got}, want {(c.status, c.code)}")
    assert not wrong, "\n".join(wrong)
    assert len(matrix) >= 13


def test_global_services_accept_any_real_region(server: ServerProcess) -> None:
    """SDKs pointed at an endpoint URL sign IAM, STS and S3 with the client's own region."""
    by_name: dict[str, Target] = {t.name: t for t in TARGETS}
    for name in ("sts", "iam", "s3"):
        for region in OTHER_REGIONS:
            assert (
                send(server, by_name[name], Case("real region", 200, "", region=region))[0] == 200
            )


def test_the_matrix_has_the_issues_size(temp_creds: Credentials) -> None:
    total: Callable[[], int] = lambda: sum(len(cases(t, temp_creds)) for t in TARGETS)  # noqa: E731
    assert total() >= 131


def test_s3_buckets_named_like_another_services_path(server: ServerProcess) -> None:
    """A bucket called ``2015-03-31`` (Lambda's path) is still S3's, signed or presigned."""
    s3: Any = server.client("s3")
    bucket = "2015-03-31"
    s3.create_bucket(Bucket=bucket)
    try:
        s3.put_object(Bucket=bucket, Key="k", Body=b"v")
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
        for version in ("s3v4", "s3"):
            signer: Any = server.client("s3", config=Config(signature_version=version))
            url = signer.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60
            )
            with urllib.request.urlopen(url, timeout=10) as r:
                assert r.read() == b"v"
    finally:
        s3.delete_object(Bucket=bucket, Key="k")
        s3.delete_bucket(Bucket=bucket)
