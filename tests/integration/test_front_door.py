"""The front door's routing: router order, service detection, and errors in each protocol."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import REGION, ServerProcess, create_python_function
from tests.integration.urls import public_url

ECHO = """
import json
import time
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"path": event["rawPath"]})}
"""


def signed(
    server: ServerProcess,
    method: str,
    path: str,
    service: str = "lambda",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    req = AWSRequest(method=method, url=server.url + path, data=body, headers=headers or {})
    SigV4Auth(Credentials("test", "test"), service, REGION).add_auth(req)
    raw = urllib.request.Request(
        req.url, data=body or None, method=method, headers=dict(req.headers.items())
    )
    try:
        with urllib.request.urlopen(raw, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def test_function_url_host_beats_aws_routing(server: ServerProcess, lam) -> None:  # type: ignore[no-untyped-def]
    name = f"fd-url-{uuid.uuid4().hex[:8]}"
    create_python_function(lam, name, ECHO)
    url = public_url(lam, server, name)
    # A Lambda REST path, sent to the URL's host: the function answers, not ListFunctions.
    r = url.call("GET", "/2015-03-31/functions/")
    assert r.status == 200, r.body
    assert json.loads(r.body) == {"path": "/2015-03-31/functions/"}


def test_admin_needs_sigv4(server: ServerProcess) -> None:
    req = urllib.request.Request(server.url + "/_ovis/admin/async/pending")
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(req, timeout=30)
    with ei.value as e:
        assert e.code == 403
        assert e.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    status, _, body = signed(server, "GET", "/_ovis/admin/async/pending")
    assert status == 200 and "Pending" in json.loads(body)


def test_unknown_target_answers_json_unknown_operation(server: ServerProcess) -> None:
    status, headers, body = signed(
        server,
        "POST",
        "/",
        service="lambda",
        body=b"{}",
        headers={"X-Amz-Target": "NoSuchService_20200101.DoThing"},
    )
    assert status == 400
    assert json.loads(body)["__type"] == "UnknownOperationException"
    assert headers["x-amzn-requestid"]


def test_unknown_operation_of_a_known_json_service(server: ServerProcess) -> None:
    status, _, body = signed(
        server,
        "POST",
        "/",
        service="logs",
        body=b"{}",
        headers={
            "X-Amz-Target": "Logs_20140328.NoSuchOperation",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert status == 400 and json.loads(body)["__type"] == "UnknownOperationException"


def test_query_services_are_answered_in_xml(server: ServerProcess) -> None:
    # a CloudFormation and an STS operation this server does not implement
    calls = [
        ("cloudformation", lambda c: c.describe_account_limits()),
        ("sts", lambda c: c.get_access_key_info(AccessKeyId="ASIAEXAMPLEEXAMPLE12")),
    ]
    for service, call in calls:
        with pytest.raises(ClientError) as ei:
            call(server.client(service))
        err = ei.value.response["Error"]
        assert err["Code"] == "InvalidAction"
        assert service in err["Message"]
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_s3_operation_this_server_lacks_is_answered_in_rest_xml(server: ServerProcess) -> None:
    s3 = server.client("s3")
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_analytics_configuration(Bucket="any-bucket", Id="a")  # type: ignore[attr-defined]
    assert ei.value.response["Error"]["Code"] == "NotImplemented"
    assert "s3" in ei.value.response["Error"]["Message"]


def test_unknown_lambda_rest_path_is_a_json_404(server: ServerProcess) -> None:
    status, headers, body = signed(server, "GET", "/2015-03-31/no/such/route")
    assert status == 404
    assert headers["x-amzn-errortype"] == "UnknownOperationException"
    assert headers["content-type"] == "application/json"
    assert "message" in json.loads(body) or "Message" in json.loads(body)


def test_health_reports_supervisor_status(server: ServerProcess) -> None:
    with urllib.request.urlopen(server.url + "/_ovis/health", timeout=30) as r:
        doc = json.loads(r.read())
    assert doc["status"] == "ok"
    assert {"version", "functions", "instances", "components"} <= doc.keys()
    # Every background loop of the server runs under the supervisor and is reported.
    loops = {
        "access-log",
        "async-dispatcher",
        "async-ledger",
        "autoscaling-target-tracking",
        "instance-reaper",
        "log-sink",
        "sqs-retention",
    }
    assert loops <= doc["components"].keys()
    assert set(doc["components"].values()) == {"ok"}


def test_every_api_request_gets_an_access_line_with_errors_explained(server, lam) -> None:  # type: ignore[no-untyped-def]
    lam.list_functions()
    try:
        lam.get_function(FunctionName="no-such-function-for-the-access-log")
    except lam.exceptions.ResourceNotFoundException as e:
        rid = e.response["ResponseMetadata"]["RequestId"]
    deadline = time.monotonic() + 10
    while rid not in server.log():
        assert time.monotonic() < deadline, "no access line for the request"
        time.sleep(0.05)
    line = next(x for x in server.log().splitlines() if rid in x)
    assert "ovis.access: lambda.GetFunction 404" in line
    assert "ResourceNotFoundException: Function not found" in line
    assert "ovis.access: lambda.ListFunctions 200" in server.log()
