"""End to end through real botocore clients: each request a client sends is routed, parsed
and answered by our codec (in a ``before-send`` hook, no network), so the client's own
parser raises the modeled exception classes and returns the values we serialized."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from ovis.errors import ApiError, ResourceNotFoundException
from ovis.protocols import codec_for
from ovis.protocols.base import Codec, HttpRequest
from ovis.services.sqs.errors import QueueDoesNotExist

Handler = Callable[[str, dict[str, Any]], dict[str, Any]]
STAMP = datetime(2026, 12, 1, 19, 38, 16, tzinfo=UTC)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, amt: int | None = None) -> bytes:
        body, self._body = self._body, b""
        return body


def client(service: str, handler: Handler, codec: Codec | None = None) -> Any:
    codec = codec or codec_for(service)
    calls: list[tuple[str, dict[str, Any]]] = []

    def send(request: Any, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        body = request.body or b""
        if not isinstance(body, bytes):
            body = body.encode() if isinstance(body, str) else body.read()
        headers = {
            k.lower(): (v.decode() if isinstance(v, bytes) else v)
            for k, v in request.headers.items()
        }
        req = HttpRequest(request.method, url.path, url.query, headers, body)
        try:
            op = codec.operation(req)
            params = codec.parse(op, req)
            calls.append((op, params))
            resp = codec.serialize(op, handler(op, params), "req-1")
        except ApiError as e:
            resp = codec.error(e, "req-1")
        return AWSResponse(request.url, resp.status, resp.headers, _Raw(resp.body))

    c = botocore.session.get_session().create_client(
        service,
        region_name="us-east-1",
        endpoint_url="http://localhost:9",
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            retries={"max_attempts": 1},
        ),
    )
    c.meta.events.register("before-send", send)
    c.calls = calls
    return c


class NoSuchEntityException(ApiError):
    code, status = "NoSuchEntityException", 404


class NoSuchKey(ApiError):
    code, status = "NoSuchKey", 404


def test_lambda() -> None:
    def handler(op: str, p: dict[str, Any]) -> dict[str, Any]:
        if op == "GetFunction":
            raise ResourceNotFoundException(f"Function not found: {p['FunctionName']}")
        return {"StatusCode": 200, "Payload": p["Payload"][::-1], "ExecutedVersion": "$LATEST"}

    c = client("lambda", handler)
    out = c.invoke(FunctionName="f", Payload=b'"abc"')
    assert out["Payload"].read() == b'"cba"'
    assert out["ExecutedVersion"] == "$LATEST"
    with pytest.raises(c.exceptions.ResourceNotFoundException) as ei:
        c.get_function(FunctionName="nope")
    assert ei.value.response["Error"]["Message"] == "Function not found: nope"


def test_sts_and_iam() -> None:
    sts = client("sts", lambda op, p: {"Account": "000000000000", "Arn": "arn:x", "UserId": "u"})
    assert sts.get_caller_identity()["Account"] == "000000000000"

    def iam_handler(op: str, p: dict[str, Any]) -> dict[str, Any]:
        if op == "GetRole":
            raise NoSuchEntityException(f"The role with name {p['RoleName']} cannot be found.")
        role = {
            "Path": "/",
            "RoleName": p["RoleName"],
            "RoleId": "AROA1234567890123456",
            "Arn": "arn:aws:iam::000000000000:role/r",
            "CreateDate": STAMP,
            "Tags": p.get("Tags", []),
        }
        return {"Role": role}

    iam = client("iam", iam_handler)
    role = iam.create_role(
        RoleName="rr", AssumeRolePolicyDocument="{}", Tags=[{"Key": "a", "Value": "b"}]
    )
    assert role["Role"]["CreateDate"] == STAMP
    assert role["Role"]["Tags"] == [{"Key": "a", "Value": "b"}]
    with pytest.raises(iam.exceptions.NoSuchEntityException) as ei:
        iam.get_role(RoleName="nope")
    assert ei.value.response["Error"]["Code"] == "NoSuchEntity"  # the model's query code


def test_sqs_json() -> None:
    def handler(op: str, p: dict[str, Any]) -> dict[str, Any]:
        if p["QueueUrl"].endswith("/missing"):
            raise QueueDoesNotExist()
        return {"MessageId": "m", "MD5OfMessageBody": "x"}

    c = client("sqs", handler)
    assert c.send_message(QueueUrl="http://q/0/q", MessageBody="hi")["MessageId"] == "m"
    with pytest.raises(c.exceptions.QueueDoesNotExist) as ei:
        c.send_message(QueueUrl="http://q/0/missing", MessageBody="hi")
    assert ei.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_dynamodb() -> None:
    items: dict[str, Any] = {}

    def handler(op: str, p: dict[str, Any]) -> dict[str, Any]:
        if op == "PutItem":
            items[p["Item"]["pk"]["S"]] = p["Item"]
            return {}
        return {"Item": items[p["Key"]["pk"]["S"]]}

    c = client("dynamodb", handler)
    item = {"pk": {"S": "a"}, "b": {"B": b"\x00\x01"}, "l": {"L": [{"N": "1"}, {"NULL": True}]}}
    c.put_item(TableName="t", Item=item)
    assert c.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"] == item


def test_s3() -> None:
    objects: dict[tuple[str, str], dict[str, Any]] = {}

    def handler(op: str, p: dict[str, Any]) -> dict[str, Any]:
        if op == "PutObject":
            objects[p["Bucket"], p["Key"]] = p
            return {"ETag": '"e"'}
        if op == "GetObject":
            o = objects.get((p["Bucket"], p["Key"]))
            if o is None:
                raise NoSuchKey("The specified key does not exist.", Key=p["Key"])
            return {
                "Body": o["Body"],
                "Metadata": o.get("Metadata"),
                "ContentLength": len(o["Body"]),
                "LastModified": STAMP,
                "ContentType": o.get("ContentType"),
            }
        if op == "ListObjectsV2":
            keys = [k for b, k in objects if b == p["Bucket"]]
            return {
                "Name": p["Bucket"],
                "KeyCount": len(keys),
                "Contents": [{"Key": k, "Size": 1, "LastModified": STAMP} for k in keys],
            }
        if op == "CreateBucket":
            return {"Location": "/" + p["Bucket"]}
        raise AssertionError(op)

    c = client("s3", handler)
    c.create_bucket(Bucket="bkt", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert c.calls[-1][1]["CreateBucketConfiguration"] == {"LocationConstraint": "eu-west-1"}
    c.put_object(
        Bucket="bkt",
        Key="dir/a b+c",
        Body=b"data",
        Metadata={"owner": "me"},
        ContentType="text/plain",
    )
    got = c.get_object(Bucket="bkt", Key="dir/a b+c")
    assert got["Body"].read() == b"data"
    assert got["Metadata"] == {"owner": "me"}
    assert got["LastModified"] == STAMP
    assert [o["Key"] for o in c.list_objects_v2(Bucket="bkt")["Contents"]] == ["dir/a b+c"]
    with pytest.raises(c.exceptions.NoSuchKey):
        c.get_object(Bucket="bkt", Key="missing")
