"""Function URLs: the config API, resource policies, auth, the 2.0 event, response mapping, CORS.

Python's resolver does not map *.localhost names, so requests connect to 127.0.0.1 and carry the
URL's host name in the Host header; the path form /_ovis/url/<url-id>/... is tested too.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import ACCOUNT, REGION, ServerProcess, create_python_function, start_server
from tests.integration.urls import URL_RE, Url, public_url, request

ECHO = """
import base64, json, os

def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({
            "event": event,
            "version": context.function_version,
            "arn": context.invoked_function_arn,
        }),
    }
"""
OTHER_ACCOUNT = "111122223333"


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def echo(lam, server):  # type: ignore[no-untyped-def]
    name = uniq("urlecho")
    create_python_function(lam, name, ECHO)
    return name, public_url(lam, server, name)


# ---- the config API ------------------------------------------------------------------------


def test_url_config_lifecycle(lam, server) -> None:  # type: ignore[no-untyped-def]
    name = uniq("urlcfg")
    create_python_function(lam, name, ECHO)
    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET", "POST"], "MaxAge": 60}
    created = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM", Cors=cors)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    m = URL_RE.fullmatch(created["FunctionUrl"])
    assert m and int(m[2]) == server.port
    assert created["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    assert created["AuthType"] == "AWS_IAM"
    assert created["Cors"] == cors
    assert created["InvokeMode"] == "BUFFERED"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", created["CreationTime"])
    assert "LastModifiedTime" not in created

    got = lam.get_function_url_config(FunctionName=name)
    assert got["FunctionUrl"] == created["FunctionUrl"]
    assert got["CreationTime"] == got["LastModifiedTime"] == created["CreationTime"]

    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_function_url_config(FunctionName=name, AuthType="NONE")

    time.sleep(0.01)
    upd = lam.update_function_url_config(
        FunctionName=name, AuthType="NONE", InvokeMode="RESPONSE_STREAM", Cors={"MaxAge": 5}
    )
    assert upd["FunctionUrl"] == created["FunctionUrl"]  # the url-id is stable
    assert upd["AuthType"] == "NONE" and upd["InvokeMode"] == "RESPONSE_STREAM"
    assert upd["Cors"] == {"MaxAge": 5}
    assert upd["CreationTime"] == created["CreationTime"]
    assert upd["LastModifiedTime"] > upd["CreationTime"]
    upd = lam.update_function_url_config(FunctionName=name, InvokeMode="BUFFERED")
    assert upd["AuthType"] == "NONE" and upd["Cors"] == {"MaxAge": 5}

    listed = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [created["FunctionUrl"]]

    lam.delete_function_url_config(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function_url_config(FunctionName=name)
    assert e.value.response["Error"]["Message"] == "The resource you requested does not exist."
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_function_url_config(FunctionName=name)
    assert lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []
    again = lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert URL_RE.fullmatch(again["FunctionUrl"])


def test_url_config_on_alias_not_version(lam, server) -> None:  # type: ignore[no-untyped-def]
    name = uniq("urlalias")
    create_python_function(lam, name, ECHO)
    v = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v)
    a = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    assert a["FunctionArn"].endswith(f":function:{name}:live")
    b = lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert a["FunctionUrl"] != b["FunctionUrl"]
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_function_url_config(FunctionName=f"{name}:live", AuthType="NONE")
    listed = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == sorted([a["FunctionArn"], b["FunctionArn"]])
    page = lam.list_function_url_configs(FunctionName=name, MaxItems=1)
    assert len(page["FunctionUrlConfigs"]) == 1 and page["NextMarker"]
    rest = lam.list_function_url_configs(FunctionName=name, Marker=page["NextMarker"])
    assert len(rest["FunctionUrlConfigs"]) == 1 and "NextMarker" not in rest

    # Versions cannot have URLs: the API's pattern refuses them (AWS's ValidationException).
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.create_function_url_config(FunctionName=name, Qualifier=v, AuthType="NONE")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "failed to satisfy constraint" in e.value.response["Error"]["Message"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.create_function_url_config(FunctionName=name, Qualifier="nope", AuthType="NONE")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.create_function_url_config(FunctionName=uniq("missing"), AuthType="NONE")
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.create_function_url_config(FunctionName=name, AuthType="BASIC")
    assert e.value.response["Error"]["Code"] == "ValidationException"

    # Deleting the alias deletes its URL; deleting the function deletes the rest.
    lam.delete_alias(FunctionName=name, Name="live")
    listed = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [c["FunctionArn"] for c in listed] == [b["FunctionArn"]]
    url = Url(server, b["FunctionUrl"])
    lam.delete_function(FunctionName=name)
    assert url.call().status == 403
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_url_config(FunctionName=name)


# ---- resource policies ---------------------------------------------------------------------


def test_resource_policies(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("policy")
    create_python_function(lam, name, ECHO)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_policy(FunctionName=name)
    assert e.value.response["Error"]["Message"] == "The resource you requested does not exist."

    r = lam.add_permission(
        FunctionName=name,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::my-bucket",
        SourceAccount=ACCOUNT,
    )
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    s3 = {
        "Sid": "s3",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": ACCOUNT},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"},
        },
    }
    assert json.loads(r["Statement"]) == s3
    lam.add_permission(
        FunctionName=name,
        StatementId="org",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        PrincipalOrgID="o-abcdefghij",
        FunctionUrlAuthType="AWS_IAM",
    )
    lam.add_permission(
        FunctionName=name, StatementId="acct", Action="lambda:*", Principal=OTHER_ACCOUNT
    )
    got = lam.get_policy(FunctionName=name)
    policy = json.loads(got["Policy"])
    assert policy["Version"] == "2012-10-17" and policy["Id"] == "default"
    assert [s["Sid"] for s in policy["Statement"]] == ["s3", "org", "acct"]
    assert policy["Statement"][0] == s3
    assert policy["Statement"][1]["Condition"] == {
        "StringEquals": {
            "aws:PrincipalOrgID": "o-abcdefghij",
            "lambda:FunctionUrlAuthType": "AWS_IAM",
        }
    }
    assert policy["Statement"][2]["Principal"] == {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}
    assert "Condition" not in policy["Statement"][2]
    revision = got["RevisionId"]

    with pytest.raises(lam.exceptions.ResourceConflictException) as e:
        lam.add_permission(
            FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction", Principal="*"
        )
    assert "already exists" in e.value.response["Error"]["Message"]
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.add_permission(
            FunctionName=name,
            StatementId="x",
            Action="lambda:InvokeFunction",
            Principal="*",
            RevisionId="0" * 36,
        )
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.add_permission(
            FunctionName=name, StatementId="bad", Action="lambda:InvokeFunction", Principal="x"
        )

    lam.remove_permission(FunctionName=name, StatementId="org", RevisionId=revision)
    got = lam.get_policy(FunctionName=name)
    assert got["RevisionId"] != revision
    assert [s["Sid"] for s in json.loads(got["Policy"])["Statement"]] == ["s3", "acct"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.remove_permission(FunctionName=name, StatementId="org")
    lam.remove_permission(FunctionName=name, StatementId="s3")
    lam.remove_permission(FunctionName=name, StatementId="acct")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name)


def test_policies_on_versions_and_aliases(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("policyq")
    create_python_function(lam, name, ECHO)
    v = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="prod", FunctionVersion=v)
    for q in (v, "prod"):
        r = lam.add_permission(
            FunctionName=name,
            Qualifier=q,
            StatementId="one",
            Action="lambda:InvokeFunction",
            Principal="*",
        )
        assert json.loads(r["Statement"])["Resource"].endswith(f":function:{name}:{q}")
        policy = json.loads(lam.get_policy(FunctionName=name, Qualifier=q)["Policy"])
        assert [s["Sid"] for s in policy["Statement"]] == ["one"]
    # Each qualifier has a policy of its own; the unqualified function has none.
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name)
    assert lam.get_policy(FunctionName=f"{name}:prod")["Policy"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.add_permission(
            FunctionName=name,
            Qualifier="99",
            StatementId="x",
            Action="lambda:InvokeFunction",
            Principal="*",
        )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=uniq("missing"))
    lam.remove_permission(FunctionName=name, Qualifier="prod", StatementId="one")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name, Qualifier="prod")
    assert lam.get_policy(FunctionName=name, Qualifier=v)["Policy"]
    # A deleted alias takes its policy along.
    lam.add_permission(
        FunctionName=name,
        Qualifier="prod",
        StatementId="two",
        Action="lambda:InvokeFunction",
        Principal="*",
    )
    lam.delete_alias(FunctionName=name, Name="prod")
    lam.create_alias(FunctionName=name, Name="prod", FunctionVersion=v)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name, Qualifier="prod")


# ---- auth ----------------------------------------------------------------------------------


def test_auth_none_needs_the_public_statement(lam, server) -> None:  # type: ignore[no-untyped-def]
    name = uniq("urlnone")
    create_python_function(lam, name, ECHO)
    url = Url(
        server, lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    )
    for style in ("host", "path"):
        r = url.call(style=style)
        assert r.status == 403, style
        assert r.body == b'{"Message":"Forbidden"}'
        assert r.headers["x-amzn-requestid"]
    # A statement for another auth type or principal does not open the URL.
    lam.add_permission(
        FunctionName=name,
        StatementId="iam",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="AWS_IAM",
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="acct",
        Action="lambda:InvokeFunctionUrl",
        Principal=OTHER_ACCOUNT,
        FunctionUrlAuthType="NONE",
    )
    lam.add_permission(
        FunctionName=name, StatementId="inv", Action="lambda:InvokeFunction", Principal="*"
    )
    assert url.call().status == 403
    lam.add_permission(
        FunctionName=name,
        StatementId="FunctionURLAllowPublicAccess",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert url.call().status == 200
    assert url.call(style="path").status == 200
    lam.remove_permission(FunctionName=name, StatementId="FunctionURLAllowPublicAccess")
    assert url.call().status == 403
    # The client sees AWS's terse 403; the server log says why.
    assert "no resource policy statement allows lambda:InvokeFunctionUrl" in server.log()


def test_auth_aws_iam_sigv4(lam, server) -> None:  # type: ignore[no-untyped-def]
    name = uniq("urliam")
    create_python_function(lam, name, ECHO)
    url = Url(
        server, lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    )
    assert url.call().status == 403  # unsigned
    assert url.call().body == b'{"Message":"Forbidden"}'
    assert url.signed(secret="wrong").status == 403
    assert url.signed(key="unknown").status == 403
    assert url.signed(service="execute-api").status == 403
    # The account's own credentials are allowed (as IAM identity policies would).
    for style in ("host", "path"):
        r = url.signed("POST", "/p?x=1", body=b'{"a":1}', style=style)
        assert r.status == 200, (style, r.body)
        event = r.json()["event"]
        iam = event["requestContext"]["authorizer"]["iam"]
        assert iam["accessKey"] == "test" and iam["accountId"] == ACCOUNT
        assert event["requestContext"]["accountId"] == ACCOUNT
        assert event["rawPath"] == "/p" and event["isBase64Encoded"] is True  # no content type
        assert base64.b64decode(event["body"]) == b'{"a":1}'
    # A request altered after signing fails.
    req = AWSRequest(method="GET", url=f"http://{url.host}/a")
    SigV4Auth(Credentials("test", "test"), "lambda", REGION).add_auth(req)
    hdrs = [(k, v) for k, v in req.headers.items() if k.lower() != "host"]
    assert request(server.port, "GET", "/b", host=url.host, headers=hdrs).status == 403


@pytest.fixture(scope="module")
def foreign_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("ovis-urls") / "data"
    srv = start_server(data, "--foreign-credentials", f"otherkey:othersecret:{OTHER_ACCOUNT}")
    yield srv
    srv.stop()


def test_auth_aws_iam_other_account_needs_a_statement(foreign_server) -> None:  # type: ignore[no-untyped-def]
    lam = foreign_server.client("lambda")
    name = uniq("urlx")
    create_python_function(lam, name, ECHO)
    url = Url(
        foreign_server,
        lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"],
    )
    other = {"key": "otherkey", "secret": "othersecret"}
    assert url.signed(**other).status == 403
    # Other accounts' keys are no good for the Lambda API itself.
    other_lam = foreign_server.client("lambda", access_key="otherkey", secret_key="othersecret")
    with pytest.raises(other_lam.exceptions.ClientError) as e:
        other_lam.list_functions()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    lam.add_permission(
        FunctionName=name,
        StatementId="other",
        Action="lambda:InvokeFunctionUrl",
        Principal=OTHER_ACCOUNT,
        FunctionUrlAuthType="AWS_IAM",
    )
    r = url.signed(**other)
    assert r.status == 200, r.body
    assert r.json()["event"]["requestContext"]["authorizer"]["iam"]["accountId"] == OTHER_ACCOUNT
    assert url.signed(key="otherkey", secret="bad").status == 403
    assert url.signed().status == 200  # still the owner


def test_url_id_survives_restart(foreign_server) -> None:  # type: ignore[no-untyped-def]
    lam = foreign_server.client("lambda")
    name = uniq("urlkeep")
    create_python_function(lam, name, ECHO)
    url = public_url(lam, foreign_server, name)
    assert url.call().status == 200
    foreign_server.stop()
    srv = start_server(
        foreign_server.data_dir, *foreign_server.extra_args, port=foreign_server.port
    )
    foreign_server.proc = srv.proc
    lam = srv.client("lambda")
    assert Url(srv, lam.get_function_url_config(FunctionName=name)["FunctionUrl"]).id == url.id
    assert url.call().status == 200
    assert lam.get_policy(FunctionName=name)["Policy"]


# ---- the event -----------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["host", "path"])
def test_event_payload_format_2(echo, style: str) -> None:  # type: ignore[no-untyped-def]
    name, url = echo
    before = time.time()
    r = url.call(
        "POST",
        "/some/path?b=2&a=1&a=3&empty=",
        style=style,
        body=b'{"x": 1}',
        headers=[
            ("Content-Type", "application/json"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Cookie", "c1=v1; c2=v2"),
            ("User-Agent", "ovis-test/1.0"),
        ],
    )
    assert r.status == 200, r.body
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-amzn-requestid"]
    out = r.json()
    event = out["event"]
    assert list(event) == [
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "cookies",
        "headers",
        "queryStringParameters",
        "requestContext",
        "body",
        "isBase64Encoded",
    ]
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path"
    assert event["rawQueryString"] == "b=2&a=1&a=3&empty="
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["queryStringParameters"] == {"b": "2", "a": "1,3", "empty": ""}
    h = event["headers"]
    assert all(k == k.lower() for k in h)
    assert h["x-multi"] == "one,two"
    assert h["content-type"] == "application/json"
    assert h["user-agent"] == "ovis-test/1.0"
    assert "cookie" not in h
    assert h["x-forwarded-for"] == "127.0.0.1" and h["x-forwarded-proto"] == "http"
    assert h["host"] == (url.host if style == "host" else f"127.0.0.1:{url.server.port}")
    assert event["body"] == '{"x": 1}' and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["accountId"] == "anonymous"
    assert ctx["apiId"] == url.id and ctx["domainPrefix"] == url.id
    assert ctx["domainName"] == f"{url.id}.lambda-url.{REGION}.localhost"
    assert ctx["http"] == {
        "method": "POST",
        "path": "/some/path",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "ovis-test/1.0",
    }
    assert ctx["requestId"] == r.headers["x-amzn-requestid"]
    assert ctx["routeKey"] == "$default" and ctx["stage"] == "$default"
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", ctx["time"])
    parsed = datetime.strptime(ctx["time"], "%d/%b/%Y:%H:%M:%S %z").timestamp()
    assert before - 2 <= parsed <= time.time() + 1
    assert before * 1000 - 2000 <= ctx["timeEpoch"] <= time.time() * 1000 + 1000
    assert "authorizer" not in ctx
    assert out["version"] == "$LATEST"
    assert out["arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def test_event_bodies_and_minimal_request(echo) -> None:  # type: ignore[no-untyped-def]
    _name, url = echo
    event = url.call("GET", "/").json()["event"]
    assert event["rawPath"] == "/" and event["rawQueryString"] == ""
    for key in ("cookies", "queryStringParameters", "body"):
        assert key not in event
    assert event["isBase64Encoded"] is False
    assert url.call("GET", "", style="path").json()["event"]["rawPath"] == "/"

    binary = bytes(range(256))
    event = url.call(
        "PUT", "/bin", body=binary, headers=[("Content-Type", "application/octet-stream")]
    ).json()["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == binary
    event = url.call(
        "POST",
        "/f",
        body=b"a=1&b=2",
        headers=[("Content-Type", "application/x-www-form-urlencoded")],
    ).json()["event"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"a=1&b=2"
    for ctype in ("text/plain; charset=utf-8", "application/xml", "application/vnd.api+json"):
        event = url.call(
            "POST", "/t", body="héllo".encode(), headers=[("Content-Type", ctype)]
        ).json()["event"]
        assert event["isBase64Encoded"] is False and event["body"] == "héllo", ctype


def test_alias_url_runs_the_alias_version(lam, server) -> None:  # type: ignore[no-untyped-def]
    name = uniq("urlver")
    create_python_function(lam, name, ECHO)
    v = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v)
    url = public_url(lam, server, name, Qualifier="live")
    out = url.call().json()
    assert out["version"] == v
    assert out["arn"].endswith(f":function:{name}:live")
    # The statement on the function does not open the alias's URL.
    lam.remove_permission(
        FunctionName=name, Qualifier="live", StatementId="FunctionURLAllowPublicAccess"
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="pub",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert url.call().status == 403


# ---- response mapping ----------------------------------------------------------------------

RESPONDER = """
import base64, json

def handler(event, context):
    kind = event["rawPath"].strip("/")
    if kind == "full":
        return {
            "statusCode": 418,
            "headers": {"X-One": "1", "Content-Type": "text/plain", "X-Num": 5},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": "short and stout",
        }
    if kind == "b64":
        return {"statusCode": 200, "headers": {"content-type": "image/png"},
                "body": base64.b64encode(b"\\x89PNG\\x00\\x01").decode(), "isBase64Encoded": True}
    if kind == "object":
        return {"message": "hi", "n": [1, 2]}
    if kind == "string":
        return "just text"
    if kind == "number":
        return 42
    if kind == "none":
        return None
    if kind == "nobody":
        return {"statusCode": 204}
    if kind == "error":
        raise ValueError("boom")
    if kind == "big":
        return "x" * (6 * 1024 * 1024 + 10)
    if kind == "cors":
        return {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "https://evil.example",
                                                "X-Exposed": "yes"}, "body": "c"}
    if kind == "method":
        if event["requestContext"]["http"]["method"] == "OPTIONS":
            raise RuntimeError("a preflight must not reach the function")
        return {"statusCode": 200, "body": event["requestContext"]["http"]["method"]}
    return {"statusCode": 200, "body": kind}
"""


@pytest.fixture(scope="module")
def responder(lam, server):  # type: ignore[no-untyped-def]
    name = uniq("urlresp")
    create_python_function(lam, name, RESPONDER)
    return name, public_url(lam, server, name)


def test_response_mapping(responder) -> None:  # type: ignore[no-untyped-def]
    _name, url = responder
    r = url.call("GET", "/full")
    assert r.status == 418 and r.body == b"short and stout"
    assert r.headers["x-one"] == "1" and r.headers["x-num"] == "5"
    assert r.headers["content-type"] == "text/plain"
    assert r.all("set-cookie") == ["a=1; Path=/", "b=2"]
    r = url.call("GET", "/b64")
    assert r.status == 200 and r.body == b"\x89PNG\x00\x01"
    assert r.headers["content-type"] == "image/png"
    r = url.call("GET", "/object")
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == {"message": "hi", "n": [1, 2]}
    r = url.call("GET", "/string")
    assert r.status == 200 and r.body == b"just text"
    assert r.headers["content-type"] == "application/json"
    r = url.call("GET", "/number")
    assert r.status == 200 and r.body == b"42"
    r = url.call("GET", "/none")
    assert r.status == 200 and r.body in (b"", b"null")
    r = url.call("GET", "/nobody")
    assert r.status == 204 and r.body == b""


def test_function_errors_and_limits(responder) -> None:  # type: ignore[no-untyped-def]
    _name, url = responder
    r = url.call("GET", "/error")
    assert r.status == 502
    assert r.json() == {"Message": "Internal Server Error"}
    assert r.headers["x-amzn-requestid"]
    r = url.call("GET", "/big")  # a response over 6 MB
    assert r.status == 502 and r.json() == {"Message": "Internal Server Error"}
    big = b"x" * (6 * 1024 * 1024 + 1)  # a request over 6 MB
    r = url.call("POST", "/echo", body=big, headers=[("Content-Type", "text/plain")])
    assert r.status == 413
    # Near the limit, the base64 encoding of a binary body is what counts (AWS: the event).
    r = url.call(
        "POST", "/echo", body=b"\0" * (5 * 1024 * 1024), headers=[("Content-Type", "x/bin")]
    )
    assert r.status == 413
    r = url.call("POST", "/ok", body=b"y" * (1024 * 1024), headers=[("Content-Type", "text/plain")])
    assert r.status == 200 and r.body == b"ok"


def test_throttled_url_answers_429(lam, server) -> None:  # type: ignore[no-untyped-def]
    name = uniq("urlthrottle")
    create_python_function(lam, name, ECHO)
    url = public_url(lam, server, name)
    assert url.call().status == 200
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    r = url.call()
    assert r.status == 429
    assert r.json()["Message"]
    lam.delete_function_concurrency(FunctionName=name)
    assert url.call().status == 200


def test_unknown_url_ids(server) -> None:  # type: ignore[no-untyped-def]
    fake = "a" * 32
    r = request(server.port, "GET", "/", host=f"{fake}.lambda-url.{REGION}.localhost:{server.port}")
    assert r.status == 403 and r.body == b'{"Message":"Forbidden"}'
    assert request(server.port, "GET", f"/_ovis/url/{fake}/").status == 403
    # Another region's name, or a bad id, is not a function URL of this server: the API answers.
    r = request(server.port, "GET", "/", host=f"{fake}.lambda-url.eu-west-1.localhost")
    assert r.status != 200 and b"Forbidden" not in r.body


# ---- CORS ----------------------------------------------------------------------------------

CORS = {
    "AllowOrigins": ["https://app.example"],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["content-type", "x-custom"],
    "ExposeHeaders": ["x-exposed"],
    "MaxAge": 300,
    "AllowCredentials": True,
}


@pytest.fixture(scope="module")
def cors_url(lam, server):  # type: ignore[no-untyped-def]
    name = uniq("urlcors")
    create_python_function(lam, name, RESPONDER)
    return public_url(lam, server, name, Cors=CORS)


def test_cors_preflight_answered_without_invoking(cors_url) -> None:  # type: ignore[no-untyped-def]
    pre = [
        ("Origin", "https://app.example"),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "content-type,x-custom"),
    ]
    r = cors_url.call("OPTIONS", "/method", headers=pre)
    assert r.status == 200, r.body  # the function would raise for an OPTIONS
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers["access-control-allow-methods"] == "GET,POST"
    assert r.headers["access-control-allow-headers"] == "content-type,x-custom"
    assert r.headers["access-control-max-age"] == "300"
    assert r.headers["access-control-allow-credentials"] == "true"
    r = cors_url.call("OPTIONS", "/method", style="path", headers=pre)
    assert r.status == 200 and r.headers["access-control-allow-origin"] == "https://app.example"
    # Another origin: no CORS headers, so a browser refuses.
    r = cors_url.call(
        "OPTIONS",
        "/method",
        headers=[("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")],
    )
    assert r.status == 200
    assert not any(k.startswith("access-control-") for k in r.headers)
    # An OPTIONS that is not a preflight reaches the function.
    assert cors_url.call("OPTIONS", "/method").status == 502


def test_cors_headers_on_responses(cors_url) -> None:  # type: ignore[no-untyped-def]
    r = cors_url.call("GET", "/cors", headers=[("Origin", "https://app.example")])
    assert r.status == 200 and r.body == b"c"
    assert r.headers["access-control-allow-origin"] == "https://app.example"  # not the function's
    assert r.headers["access-control-expose-headers"] == "x-exposed"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["x-exposed"] == "yes"
    assert "Origin" in r.headers["vary"]
    r = cors_url.call("GET", "/cors", headers=[("Origin", "https://evil.example")])
    assert r.status == 200
    assert "access-control-allow-origin" not in r.headers
    r = cors_url.call("GET", "/cors")
    assert "access-control-allow-origin" not in r.headers


def test_cors_wildcards(lam, server) -> None:  # type: ignore[no-untyped-def]
    name = uniq("urlcorsw")
    create_python_function(lam, name, RESPONDER)
    cors = {"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"]}
    url = public_url(lam, server, name, Cors=cors)
    r = url.call(
        "OPTIONS",
        "/",
        headers=[
            ("Origin", "https://any.example"),
            ("Access-Control-Request-Method", "DELETE"),
            ("Access-Control-Request-Headers", "x-a,x-b"),
        ],
    )
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "DELETE"
    assert r.headers["access-control-allow-headers"] == "x-a,x-b"
    r = url.call("GET", "/x", headers=[("Origin", "https://any.example")])
    assert r.headers["access-control-allow-origin"] == "*"


# ---- a browser decides -----------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
PAGE = """<!doctype html><html><body><script>
async function call(url) {
  try {
    const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json",
                                "X-Custom": "1"}, body: JSON.stringify({from: location.origin})});
    return {ok: true, status: r.status, body: await r.text(), exposed: r.headers.get("x-exposed")};
  } catch (e) {
    return {ok: false, error: String(e)};
  }
}
</script></body></html>"""


@pytest.fixture(scope="module")
def page_server() -> Iterator[int]:
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not found (make install apt-installs it)")
def test_browser_cors(lam, server, page_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    allowed = f"http://127.0.0.1:{page_server}"
    name = uniq("urlbrowser")
    create_python_function(lam, name, RESPONDER)
    url = public_url(
        lam,
        server,
        name,
        Cors={
            "AllowOrigins": [allowed],
            "AllowMethods": ["POST"],
            "AllowHeaders": ["content-type", "x-custom"],
            "ExposeHeaders": ["x-exposed"],
        },
    )
    targets = {
        "host": f"http://{url.host}/cors",  # Chromium maps *.localhost to loopback itself
        "path": f"http://127.0.0.1:{server.port}/_ovis/url/{url.id}/cors",
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page()
            page.goto(f"{allowed}/")
            for style, target in targets.items():
                out = page.evaluate("url => call(url)", target)
                assert out["ok"], (style, out)
                assert out["status"] == 200 and out["body"] == "c", out
                assert out["exposed"] == "yes", out  # ExposeHeaders let the page read it
            page.goto(f"http://localhost:{page_server}/")  # another origin
            for style, target in targets.items():
                out = page.evaluate("url => call(url)", target)
                assert not out["ok"], (style, out)
                assert "Failed to fetch" in out["error"], out
        finally:
            browser.close()
