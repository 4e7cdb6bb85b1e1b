"""SigV4 authentication at the front door, against a live server, as clients meet it."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from typing import Any
from unittest import mock

import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import REGION, make_client

LIST = "/2015-03-31/functions"
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read()


def signed(
    url: str,
    method: str = "GET",
    path: str = LIST,
    body: bytes = b"",
    key: str = "test",
    secret: str = "test",
    at: dt.datetime | None = None,
) -> AWSRequest:
    """A request signed by botocore, optionally with its clock set to ``at`` (naive UTC)."""
    req = AWSRequest(method=method, url=url + path, data=body)
    auth = SigV4Auth(Credentials(key, secret), "lambda", REGION)
    if at is None:
        auth.add_auth(req)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            auth.add_auth(req)
    return req


def send(req: AWSRequest) -> tuple[int, Any, bytes]:
    p = req.prepare()
    body = p.body if isinstance(p.body, bytes) and p.body else None
    return http(p.method, p.url, body, dict(p.headers))


def assert_auth_error(resp: tuple[int, Any, bytes], status: int, code: str) -> str:
    got_status, headers, body = resp
    assert (got_status, headers.get("x-amzn-ErrorType")) == (status, code), body
    doc = json.loads(body)
    assert isinstance(doc["message"], str)
    return str(doc["message"])


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def boto_error(client: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as ei:
        client.list_functions()
    r = ei.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


# ---- with boto3 -----------------------------------------------------------------------------


def test_valid_credentials(lam) -> None:  # type: ignore[no-untyped-def]
    assert lam.list_functions()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_wrong_secret_is_invalid_signature(server) -> None:  # type: ignore[no-untyped-def]
    client = make_client(server.url, secret_key="not-the-secret")
    assert boto_error(client) == (403, "InvalidSignatureException", BAD_SIGNATURE)


def test_unknown_access_key_is_unrecognized_client(server) -> None:  # type: ignore[no-untyped-def]
    client = make_client(server.url, access_key="AKIDNOBODY", secret_key="test")
    assert boto_error(client) == (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_unsigned_boto3_client_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    client = make_client(
        server.url, config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1})
    )
    status, code, _msg = boto_error(client)
    assert (status, code) == (403, "MissingAuthenticationTokenException")


@pytest.mark.parametrize("minutes", [-6, 6])
def test_boto3_with_skewed_clock_is_refused(server, minutes: int) -> None:  # type: ignore[no-untyped-def]
    client = make_client(server.url)
    with mock.patch(
        "botocore.auth.get_current_datetime", return_value=utcnow() + dt.timedelta(minutes=minutes)
    ):
        status, code, msg = boto_error(client)
    assert (status, code) == (403, "InvalidSignatureException")
    assert msg.startswith("Signature expired" if minutes < 0 else "Signature not yet current")


# ---- raw signed requests --------------------------------------------------------------------


def test_raw_signed_request_is_accepted(server) -> None:  # type: ignore[no-untyped-def]
    status, _h, body = send(signed(server.url))
    assert status == 200
    assert isinstance(json.loads(body)["Functions"], list)


@pytest.mark.parametrize(("minutes", "ok"), [(-6, False), (6, False), (-4, True), (4, True)])
def test_clock_skew_window_is_five_minutes(server, minutes: int, ok: bool) -> None:  # type: ignore[no-untyped-def]
    req = signed(server.url, at=utcnow() + dt.timedelta(minutes=minutes))
    resp = send(req)
    if ok:
        assert resp[0] == 200, resp[2]
        return
    msg = assert_auth_error(resp, 403, "InvalidSignatureException")
    stamp = req.headers["X-Amz-Date"]
    stamp = stamp if isinstance(stamp, str) else stamp.decode()
    if minutes < 0:
        assert msg.startswith(f"Signature expired: {stamp} is now earlier than ")
    else:
        assert msg.startswith(f"Signature not yet current: {stamp} is still later than ")


def test_unsigned_request_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    msg = assert_auth_error(
        http("GET", server.url + LIST), 403, "MissingAuthenticationTokenException"
    )
    assert msg == "Missing Authentication Token"
    # Unsigned with a body, on a write operation: nothing is created.
    body = json.dumps({"FunctionName": "unsigned-never"}).encode()
    assert_auth_error(
        http("POST", server.url + LIST, body, {"Content-Type": "application/json"}),
        403,
        "MissingAuthenticationTokenException",
    )


def test_unknown_path_still_needs_auth(server) -> None:  # type: ignore[no-untyped-def]
    assert_auth_error(http("GET", server.url + "/nope"), 403, "MissingAuthenticationTokenException")


def test_body_changed_after_signing_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    req = signed(server.url, "PUT", LIST + "/some-fn/configuration", b'{"Timeout": 5}')
    p = req.prepare()
    headers = dict(p.headers)
    status, h, body = http("PUT", p.url, b'{"Timeout": 6}', headers)
    assert_auth_error((status, h, body), 403, "InvalidSignatureException")


def test_path_changed_after_signing_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    p = signed(server.url, "GET", LIST + "/fn-a").prepare()
    resp = http("GET", server.url + LIST + "/fn-b", None, dict(p.headers))
    assert assert_auth_error(resp, 403, "InvalidSignatureException") == BAD_SIGNATURE


def test_raw_wrong_secret_and_unknown_key(server) -> None:  # type: ignore[no-untyped-def]
    assert_auth_error(send(signed(server.url, secret="nope")), 403, "InvalidSignatureException")
    assert_auth_error(send(signed(server.url, key="nobody")), 403, "UnrecognizedClientException")


def test_malformed_authorization_header(server) -> None:  # type: ignore[no-untyped-def]
    now = utcnow().strftime("%Y%m%dT%H%M%SZ")
    for auth in ["Bearer abc", "AWS4-HMAC-SHA256 Credential=test/x", "AWS4-HMAC-SHA256 garbage"]:
        resp = http("GET", server.url + LIST, None, {"Authorization": auth, "X-Amz-Date": now})
        assert_auth_error(resp, 400, "IncompleteSignatureException")


def test_presigned_url_is_accepted(server) -> None:  # type: ignore[no-untyped-def]
    req = AWSRequest(method="GET", url=server.url + LIST)
    SigV4QueryAuth(Credentials("test", "test"), "lambda", REGION, expires=60).add_auth(req)
    status, _h, body = http("GET", req.prepare().url)
    assert status == 200, body
    assert "Functions" in json.loads(body)


def test_health_needs_no_auth(server) -> None:  # type: ignore[no-untyped-def]
    status, headers, body = http("GET", server.url + "/_ovis/health")
    assert status == 200
    assert headers.get("Content-Type", "").startswith("application/json")
    doc = json.loads(body)
    assert doc["status"] == "ok"
    assert isinstance(doc["functions"], int)


def test_code_download_needs_presigned_url_not_aws_auth(server) -> None:  # type: ignore[no-untyped-def]
    digest = "0" * 64
    status, _h, _b = http("GET", f"{server.url}/_ovis/code/{digest}.zip")
    assert status == 403
    status, _h, _b = http(
        "GET", f"{server.url}/_ovis/code/{digest}.zip?expires=9999999999&signature=00"
    )
    assert status == 403
