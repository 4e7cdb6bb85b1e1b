"""FilterLogEvents with each kind of CloudWatch Logs filter pattern, through boto3 on a live
server: terms (and %regex%), JSON patterns, space-delimited patterns; a subscription filter
takes the same patterns, and an unreadable one is InvalidParameterException (400)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ServerProcess

LINES = [
    json.dumps({"level": "ERROR", "latency": 1500, "user": {"id": 7}, "retry": None}),
    json.dumps({"level": "INFO", "latency": 20, "user": {"id": 8}}),
    json.dumps({"level": "WARN", "latency": 900, "cold": True}),
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 200 1534',
    '10.0.0.9 - - [10/Oct/2000:13:26:01 -0700] "GET /big.iso HTTP/1.1" 503 99999',
    "ERROR plain text line 42",
]


@pytest.fixture(scope="module")
def group(server: ServerProcess) -> tuple[Any, str]:
    logs: Any = server.client("logs")
    name = f"/test/patterns-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": m} for i, m in enumerate(LINES)]
    logs.put_log_events(logGroupName=name, logStreamName="s", logEvents=events)
    return logs, name


def found(group: tuple[Any, str], pattern: str) -> list[int]:
    logs, name = group
    events = logs.filter_log_events(logGroupName=name, filterPattern=pattern)["events"]
    return [LINES.index(e["message"]) for e in events]


def test_term_patterns(group) -> None:  # type: ignore[no-untyped-def]
    assert found(group, "ERROR") == [0, 5]  # substring, in JSON text too
    assert found(group, "ERROR -plain") == [0]
    assert found(group, "?frank ?iso") == [3, 4]
    assert found(group, r"%line [0-9]+%") == [5]


def test_json_patterns(group) -> None:  # type: ignore[no-untyped-def]
    assert found(group, '{ $.level = "ERROR" }') == [0]
    assert found(group, '{ $.level = "ERROR" || $.level = "WARN" }') == [0, 2]
    assert found(group, "{ $.latency > 500 && $.latency < 1000 }") == [2]
    assert found(group, "{ $.latency >= 20 }") == [0, 1, 2]
    assert found(group, "{ $.user.id != 7 }") == [1]
    assert found(group, "{ $.retry IS NULL }") == [0]
    assert found(group, "{ $.user NOT EXISTS }") == [2]
    assert found(group, "{ $.cold IS TRUE }") == [2]
    assert found(group, '{ $.level = "*N*" }') == [1, 2]


def test_space_delimited_patterns(group) -> None:  # type: ignore[no-untyped-def]
    assert found(group, "[ip, identity, user, timestamp, request, status, size]") == [3, 4]
    assert found(group, "[ip, user, ..., status=5*, size>1000]") == [4]
    assert found(group, '[..., request = "GET /index*", status = 200, size]') == [3]
    assert found(group, "[ip = 127.*, ...]") == [3]
    assert found(group, "[w1 = ERROR, ..., n > 40]") == [5]


def test_unreadable_patterns_are_refused_by_both(group) -> None:  # type: ignore[no-untyped-def]
    logs, name = group
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:nobody-{uuid.uuid4().hex[:6]}"
    for bad in ("{ $.level = }", "[ip, size > big]", "%unclosed(%"):
        with pytest.raises(ClientError) as e:
            logs.filter_log_events(logGroupName=name, filterPattern=bad)
        assert e.value.response["Error"]["Code"] == "InvalidParameterException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        with pytest.raises(ClientError) as e:
            logs.put_subscription_filter(
                logGroupName=name, filterName="bad", filterPattern=bad, destinationArn=arn
            )
        assert e.value.response["Error"]["Code"] == "InvalidParameterException"
