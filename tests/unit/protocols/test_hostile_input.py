"""Bad input of any kind is a 4xx ApiError, never another exception: deep nesting the
parsers accept but Python's recursion cannot walk, absurd parameter names, huge forms."""

from __future__ import annotations

import pytest

from ovis.errors import ApiError
from ovis.protocols import codec_for
from ovis.protocols.base import HttpRequest


def nested_attribute_value(depth: int) -> str:
    return '{"M": {"a": ' * depth + '{"S": "x"}' + "}}" * depth


@pytest.mark.parametrize("depth", [10, 300, 450, 490, 5000])
def test_deep_dynamodb_items(depth: int) -> None:
    body = '{"TableName": "ttt", "Item": {"pk": ' + nested_attribute_value(depth) + "}}"
    req = HttpRequest("POST", "/", "", {"x-amz-target": "DynamoDB_20120810.PutItem"}, body.encode())
    codec = codec_for("dynamodb")
    try:
        params = codec.parse(codec.operation(req), req)
    except ApiError as e:
        assert e.status == 400
    else:
        assert params["TableName"] == "ttt"


def test_huge_and_weird_forms() -> None:
    codec = codec_for("sts")
    for form in [
        "Action=AssumeRole&" + "&".join(f"k{i}=v" for i in range(20_000)),
        "Action=AssumeRole&" + "Tags.member." * 5000 + "1=x",
        "Action=AssumeRole&Tags.member.1.Key=" + "%" * 100,
        "Action=AssumeRole&Tags=&Tags.member.1.Key=a",
    ]:
        req = HttpRequest("POST", "/", "", {}, form.encode())
        try:
            codec.parse("AssumeRole", req)
        except ApiError as e:
            assert 400 <= e.status < 500


def test_rest_json_garbage_paths_and_headers() -> None:
    codec = codec_for("lambda")
    for path in [
        "/",
        "//",
        "/%",
        "/%zz/%00",
        "/2015-03-31/functions/%ff%fe/invocations",
        "/a" * 5000,
    ]:
        req = HttpRequest("POST", path, "%%&=&==", {"x-amz-invocation-type": "\x00"}, b"\x00")
        try:
            codec.parse(codec.operation(req), req)
        except ApiError as e:
            assert 400 <= e.status < 500
