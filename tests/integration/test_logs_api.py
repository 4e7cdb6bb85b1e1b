"""CloudWatch Logs on a live server with boto3: log streams and PutLogEvents read back by
GetLogEvents/FilterLogEvents and DescribeLogStreams, the batch rules (rejectedLogEventsInfo,
order, size), subscription filters delivering a function's matching lines to another
function as the ``awslogs`` event, and the errors (AWS codes and messages)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ServerProcess, create_python_function

HOUR_MS = 3_600_000

# B decodes what the subscription sends and writes the document back as one log line.
DECODER = """
import base64, gzip, json

def handler(event, context):
    doc = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    print("DECODED " + json.dumps(doc))
"""

CHATTY = """
def handler(event, context):
    for line in event["lines"]:
        print(line)
    return "ok"
"""


def wait_for(check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def logs(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("logs")


def _code(e: ClientError) -> str:
    return str(e.response["Error"]["Code"])


def _group(logs) -> str:  # type: ignore[no-untyped-def]
    name = f"/test/logs-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    return name


def test_put_log_events_then_read_them_back(logs) -> None:  # type: ignore[no-untyped-def]
    group = _group(logs)
    logs.create_log_stream(logGroupName=group, logStreamName="app/1")
    logs.create_log_stream(logGroupName=group, logStreamName="app/2")
    now = int(time.time() * 1000)
    events = [{"timestamp": now - 1000 + i, "message": f"line {i} ERROR" if i % 2 else f"line {i}"}
              for i in range(5)]  # fmt: skip
    resp = logs.put_log_events(logGroupName=group, logStreamName="app/1", logEvents=events)
    assert "rejectedLogEventsInfo" not in resp
    assert resp["nextSequenceToken"]
    # no sequence token is needed, and a stale one is ignored (as AWS now does)
    logs.put_log_events(
        logGroupName=group, logStreamName="app/2", sequenceToken="stale",
        logEvents=[{"timestamp": now, "message": "other stream"}],
    )  # fmt: skip

    got = logs.get_log_events(logGroupName=group, logStreamName="app/1", startFromHead=True)
    assert [e["message"] for e in got["events"]] == [e["message"] for e in events]
    assert [e["timestamp"] for e in got["events"]] == [e["timestamp"] for e in events]

    found = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"]
    assert [e["message"] for e in found] == ["line 1 ERROR", "line 3 ERROR"]
    assert {e["logStreamName"] for e in found} == {"app/1"}
    both = logs.filter_log_events(logGroupName=group, filterPattern="?ERROR ?other")["events"]
    assert len(both) == 3
    quoted = logs.filter_log_events(logGroupName=group, filterPattern='"line 3"')["events"]
    assert [e["message"] for e in quoted] == ["line 3 ERROR"]
    excluded = logs.filter_log_events(logGroupName=group, filterPattern="line -ERROR")["events"]
    assert [e["message"] for e in excluded] == ["line 0", "line 2", "line 4"]

    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["app/1", "app/2"]
    assert streams[0]["lastEventTimestamp"] == events[-1]["timestamp"]
    assert streams[0]["arn"].endswith(f":log-group:{group}:log-stream:app/1")
    latest = logs.describe_log_streams(
        logGroupName=group, orderBy="LastEventTime", descending=True
    )["logStreams"]
    assert [s["logStreamName"] for s in latest] == ["app/2", "app/1"]
    page = logs.describe_log_streams(logGroupName=group, limit=1)
    assert [s["logStreamName"] for s in page["logStreams"]] == ["app/1"]
    rest = logs.describe_log_streams(logGroupName=group, limit=1, nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["app/2"]
    assert "nextToken" not in rest
    assert [s["logStreamName"] for s in logs.describe_log_streams(
        logGroupName=group, logStreamNamePrefix="app/2")["logStreams"]] == ["app/2"]  # fmt: skip

    logs.delete_log_stream(logGroupName=group, logStreamName="app/1")
    assert [s["logStreamName"] for s in logs.describe_log_streams(
        logGroupName=group)["logStreams"]] == ["app/2"]  # fmt: skip
    assert logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"] == []


def test_too_old_and_too_new_events_are_rejected_with_their_indexes(logs) -> None:  # type: ignore[no-untyped-def]
    group = _group(logs)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    events = [
        {"timestamp": now - 20 * 24 * HOUR_MS, "message": "ancient"},  # spans > 24 h: refused
        {"timestamp": now, "message": "now"},
    ]
    with pytest.raises(ClientError) as e:
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)
    assert _code(e.value) == "InvalidParameterException"
    assert "24 hours" in str(e.value)

    base = now - 15 * 24 * HOUR_MS  # older than 14 days, and the batch spans < 24 h
    events = [
        {"timestamp": base, "message": "too old 0"},
        {"timestamp": base + 1, "message": "too old 1"},
    ]
    resp = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)
    assert resp["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}

    events = [
        {"timestamp": now, "message": "fine"},
        {"timestamp": now + 3 * HOUR_MS, "message": "too new"},
    ]
    resp = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)
    assert resp["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    got = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)
    assert [e["message"] for e in got["events"]] == ["fine"]

    with pytest.raises(ClientError) as e:
        logs.put_log_events(
            logGroupName=group, logStreamName="s",
            logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}],
        )  # fmt: skip
    assert _code(e.value) == "InvalidParameterException"
    assert "chronological order" in str(e.value)

    big = [{"timestamp": now, "message": "x" * 200_000} for _ in range(6)]  # > 1,048,576 bytes
    with pytest.raises(ClientError) as e:
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=big)
    assert _code(e.value) == "InvalidParameterException"
    assert (
        logs.get_log_events(logGroupName=group, logStreamName="s")["events"][-1]["message"]
        == "fine"
    )


def test_stream_errors_use_aws_codes(logs) -> None:  # type: ignore[no-untyped-def]
    group = _group(logs)
    now = int(time.time() * 1000)
    one = [{"timestamp": now, "message": "m"}]
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: logs.create_log_stream(logGroupName="/no/such", logStreamName="s"),
         "ResourceNotFoundException"),
        (lambda: logs.put_log_events(logGroupName=group, logStreamName="none", logEvents=one),
         "ResourceNotFoundException"),
        (lambda: logs.put_log_events(logGroupName="/no/such", logStreamName="s", logEvents=one),
         "ResourceNotFoundException"),
        (lambda: logs.delete_log_stream(logGroupName=group, logStreamName="none"),
         "ResourceNotFoundException"),
        (lambda: logs.get_log_events(logGroupName=group, logStreamName="none"),
         "ResourceNotFoundException"),
        (lambda: logs.create_log_stream(logGroupName=group, logStreamName="a:b"),
         "ValidationException"),  # the codec checks the model's pattern
        (lambda: logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime",
                                           logStreamNamePrefix="x"),
         "InvalidParameterException"),
        (lambda: logs.delete_subscription_filter(logGroupName=group, filterName="none"),
         "ResourceNotFoundException"),
        (lambda: logs.put_subscription_filter(
            logGroupName=group, filterName="f", filterPattern="",
            destinationArn=f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s"),
         "InvalidParameterException"),
    ]  # fmt: skip
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(ClientError) as e:
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert _code(e.value) == "ResourceAlreadyExistsException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for call, code in cases:
        with pytest.raises(ClientError) as e:
            call()
        assert _code(e.value) == code, e.value
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_describe_log_groups_by_pattern(logs) -> None:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:8]
    logs.create_log_group(logGroupName=f"/a/{tag}/Orders")
    logs.create_log_group(logGroupName=f"/b/{tag}-orders-x")
    logs.create_log_group(logGroupName=f"/c/{tag}/other")
    names = [g["logGroupName"] for g in logs.describe_log_groups(
        logGroupNamePattern=f"{tag}")["logGroups"]]  # fmt: skip
    assert len(names) == 3
    names = [g["logGroupName"] for g in logs.describe_log_groups(
        logGroupNamePattern="orders")["logGroups"] if tag in g["logGroupName"]]  # fmt: skip
    assert names == [f"/a/{tag}/Orders", f"/b/{tag}-orders-x"]


def test_a_subscription_filter_delivers_a_functions_matching_lines_to_another(  # type: ignore[no-untyped-def]
    lam, logs
) -> None:
    a = f"chatty-{uuid.uuid4().hex[:8]}"
    b = f"decoder-{uuid.uuid4().hex[:8]}"
    create_python_function(lam, a, CHATTY)
    b_arn = create_python_function(lam, b, DECODER, Timeout=30)["FunctionArn"]
    a_group, b_group = f"/aws/lambda/{a}", f"/aws/lambda/{b}"
    logs.create_log_group(logGroupName=a_group)
    source = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{a_group}:*"

    # without a permission for logs.amazonaws.com, AWS refuses the filter
    with pytest.raises(ClientError) as e:
        logs.put_subscription_filter(
            logGroupName=a_group, filterName="errors", filterPattern="ERROR",
            destinationArn=b_arn,
        )  # fmt: skip
    assert _code(e.value) == "InvalidParameterException"
    assert "permission" in str(e.value)

    lam.add_permission(
        FunctionName=b, StatementId="logs", Action="lambda:InvokeFunction",
        Principal="logs.amazonaws.com", SourceArn=source, SourceAccount=ACCOUNT,
    )  # fmt: skip
    logs.put_subscription_filter(
        logGroupName=a_group, filterName="errors", filterPattern="ERROR -ignore",
        destinationArn=b_arn,
    )  # fmt: skip
    described = logs.describe_subscription_filters(logGroupName=a_group)["subscriptionFilters"]
    assert [(f["filterName"], f["filterPattern"], f["destinationArn"]) for f in described] == [
        ("errors", "ERROR -ignore", b_arn)
    ]
    # a second filter fits; a third is over AWS's limit of 2 per group
    logs.put_subscription_filter(
        logGroupName=a_group, filterName="second", filterPattern="nothing-matches-this",
        destinationArn=b_arn,
    )  # fmt: skip
    with pytest.raises(ClientError) as e:
        logs.put_subscription_filter(
            logGroupName=a_group, filterName="third", filterPattern="", destinationArn=b_arn
        )
    assert _code(e.value) == "LimitExceededException"
    logs.delete_subscription_filter(logGroupName=a_group, filterName="second")

    lines = ["ERROR disk full", "all fine", "ERROR but ignore me", "ERROR again"]
    lam.invoke(FunctionName=a, Payload=json.dumps({"lines": lines}).encode())
    # and lines written with PutLogEvents to the same group are delivered too
    logs.create_log_stream(logGroupName=a_group, logStreamName="manual")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=a_group, logStreamName="manual",
        logEvents=[{"timestamp": now, "message": "ERROR by hand"},
                   {"timestamp": now, "message": "quiet"}],
    )  # fmt: skip

    def decoded() -> list[dict[str, Any]]:
        try:
            events = logs.filter_log_events(logGroupName=b_group, filterPattern="DECODED")
        except ClientError:
            return []
        return [json.loads(e["message"].split("DECODED ", 1)[1]) for e in events["events"]]

    def delivered() -> list[dict[str, Any]] | None:
        docs = decoded()
        messages = [ev["message"] for d in docs for ev in d["logEvents"]]
        want = {"ERROR disk full", "ERROR again", "ERROR by hand"}
        return docs if want <= {m.strip() for m in messages} else None

    docs = wait_for(delivered)
    for doc in docs:
        assert doc["messageType"] == "DATA_MESSAGE"
        assert doc["owner"] == ACCOUNT
        assert doc["logGroup"] == a_group
        assert doc["subscriptionFilters"] == ["errors"]
        for ev in doc["logEvents"]:
            assert ev["id"] and isinstance(ev["timestamp"], int)
    messages = sorted(ev["message"].strip() for d in docs for ev in d["logEvents"])
    assert messages == ["ERROR again", "ERROR by hand", "ERROR disk full"]
    by_stream = {d["logStream"] for d in docs}
    assert "manual" in by_stream and len(by_stream) == 2
