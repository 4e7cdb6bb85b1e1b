"""The router's order, and the AWS front door's dispatch (RequestContext, protocol errors)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ovis.auth.sigv4 import SigV4Verifier
from ovis.frontdoor.app import App
from ovis.frontdoor.aws import AwsFrontDoor
from ovis.frontdoor.router import Router
from ovis.services.context import RequestContext
from ovis.services.table import ServiceTable

Scope = dict[str, Any]


class Claims:
    def __init__(self, name: str, prefix: str) -> None:
        self.name = name
        self.prefix = prefix
        self.served: list[Any] = []

    def match(self, scope: Scope) -> str | None:
        path: str = scope["path"]
        return path if path.startswith(self.prefix) else None

    async def serve(self, scope: Scope, receive: Any, send: Any, token: Any) -> None:
        self.served.append(token)


def test_first_claiming_service_wins() -> None:
    first, second, rest = Claims("a", "/x/"), Claims("b", "/x/y"), Claims("c", "/")
    router = Router([first, second, rest])
    assert router.route({"path": "/x/y/z"}) == (first, "/x/y/z")
    assert router.route({"path": "/q"}) == (rest, "/q")
    assert Router([first]).route({"path": "/q"}) is None


def test_app_answers_404_json_when_nothing_claims() -> None:
    sent: list[dict[str, Any]] = []

    async def send(m: dict[str, Any]) -> None:
        sent.append(m)

    asyncio.run(App(Router([]))({"type": "http", "path": "/q"}, _receive(b""), send))
    assert sent[0]["status"] == 404 and json.loads(sent[1]["body"]) == {"message": "not found"}


# ---- the AWS front door ---------------------------------------------------------------------


def _receive(body: bytes) -> Any:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def call(
    door: AwsFrontDoor,
    method: str,
    path: str,
    service: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    url = "http://127.0.0.1:9000" + path
    req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(Credentials("AK", "SK"), service, "us-east-1").add_auth(req)
    parts = urlsplit(url)
    scope = {
        "type": "http",
        "method": method,
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in req.headers.items()]
        + [(b"host", b"127.0.0.1:9000")],
    }
    sent: list[dict[str, Any]] = []

    async def send(m: dict[str, Any]) -> None:
        sent.append(m)

    asyncio.run(door.serve(scope, _receive(body), send, True))
    start, end = sent
    hdrs = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], hdrs, end["body"]


def door_with(seen: list[RequestContext]) -> AwsFrontDoor:
    async def list_functions(ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        seen.append(ctx)
        return {"Functions": []}

    lam = ServiceTable("lambda", {"ListFunctions": list_functions})
    return AwsFrontDoor([lam], SigV4Verifier({"AK": "SK"}), "123456789012")


def test_handlers_get_a_request_context_with_the_trace_header() -> None:
    seen: list[RequestContext] = []
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Lineage=a87bd80c:3"
    status, headers, body = call(
        door_with(seen),
        "GET",
        "/2015-03-31/functions/",
        "lambda",
        headers={"X-Amzn-Trace-Id": trace},
    )
    assert status == 200 and json.loads(body) == {"Functions": []}
    (ctx,) = seen
    assert ctx.trace_header == trace
    assert (ctx.service, ctx.operation, ctx.region) == ("lambda", "ListFunctions", "us-east-1")
    assert (ctx.account_id, ctx.access_key) == ("123456789012", "AK")
    assert ctx.principal_arn == "arn:aws:iam::123456789012:root"
    assert ctx.request_id == headers["x-amzn-requestid"]


def test_a_modeled_operation_without_a_handler_is_unsupported() -> None:
    status, headers, _ = call(door_with([]), "GET", "/2018-10-31/layers", "lambda")
    assert status == 400 and headers["x-amzn-errortype"] == "UnsupportedOperationException"


def test_unknown_target_prefix_is_json_unknown_operation() -> None:
    status, _, body = call(
        door_with([]), "POST", "/", "lambda", b"{}", {"X-Amz-Target": "Nope_1.Do"}
    )
    assert status == 400 and json.loads(body)["__type"] == "UnknownOperationException"


def test_services_this_server_lacks_answer_in_their_protocol() -> None:
    door = door_with([])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, headers, body = call(door, "POST", "/", "sts", b"Action=GetCallerIdentity", form)
    assert status == 400 and headers["content-type"] == "text/xml"
    assert b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>" in body
    status, _, body = call(door, "GET", "/", "s3")
    assert b"<Error><Code>NotImplemented</Code>" in body
    status, _, body = call(
        door, "POST", "/", "dynamodb", b"{}", {"X-Amz-Target": "DynamoDB_20120810.ListTables"}
    )
    assert json.loads(body)["__type"] == "UnknownOperationException"


def test_errors_before_the_target_is_known_use_the_named_services_protocol() -> None:
    door = door_with([])
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": b"",
        "headers": [
            (
                b"authorization",
                b"AWS4-HMAC-SHA256 Credential=AK/20200101/us-east-1/sts/aws4_request",
            ),
            (b"host", b"x"),
        ],
    }
    sent: list[dict[str, Any]] = []

    async def send(m: dict[str, Any]) -> None:
        sent.append(m)

    asyncio.run(door.serve(scope, _receive(b""), send, True))
    assert sent[1]["body"].startswith(b'<?xml version="1.0"?><ErrorResponse>')
