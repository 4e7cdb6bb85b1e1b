"""Queue attribute rules without a server (ovis.services.sqs.attributes)."""

from __future__ import annotations

import json

import pytest

from ovis.services.sqs import attributes as a
from ovis.services.sqs.errors import (
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
)


def test_normalize_ranges_and_booleans() -> None:
    out = a.normalize(
        {
            "DelaySeconds": " 900",
            "MaximumMessageSize": "1024",
            "MessageRetentionPeriod": "60",
            "ReceiveMessageWaitTimeSeconds": "20",
            "VisibilityTimeout": "0",
            "SqsManagedSseEnabled": "TRUE",
        },
        fifo=False,
        creating=True,
    )
    assert out == {
        "DelaySeconds": "900",
        "MaximumMessageSize": "1024",
        "MessageRetentionPeriod": "60",
        "ReceiveMessageWaitTimeSeconds": "20",
        "VisibilityTimeout": "0",
        "SqsManagedSseEnabled": "true",
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DelaySeconds", "901"),
        ("MaximumMessageSize", "1023"),
        ("MaximumMessageSize", "1048577"),
        ("MessageRetentionPeriod", "59"),
        ("MessageRetentionPeriod", "1209601"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "-1"),
        ("VisibilityTimeout", "abc"),
        ("KmsDataKeyReusePeriodSeconds", "59"),
        ("SqsManagedSseEnabled", "yes"),
        ("Policy", "[1]"),
    ],
)
def test_invalid_values(name: str, value: str) -> None:
    with pytest.raises(InvalidAttributeValue) as exc:
        a.normalize({name: value}, fifo=False, creating=True)
    assert exc.value.message == f"Invalid value for the parameter {name}."


def test_unknown_read_only_and_fifo_only_names() -> None:
    for name in ("Bogus", "QueueArn", "ApproximateNumberOfMessages", "CreatedTimestamp"):
        with pytest.raises(InvalidAttributeName) as exc:
            a.normalize({name: "1"}, fifo=False, creating=True)
        assert exc.value.message == f"Unknown Attribute {name}."
    for name in ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"):
        with pytest.raises(InvalidAttributeName):
            a.normalize({name: "true"}, fifo=False, creating=True)
    with pytest.raises(InvalidAttributeName):
        a.normalize({"FifoQueue": "true"}, fifo=True, creating=False)
    assert a.normalize(
        {"ContentBasedDeduplication": "True", "DeduplicationScope": "messageGroup"},
        fifo=True,
        creating=True,
    ) == {"ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup"}
    with pytest.raises(InvalidAttributeValue):
        a.normalize({"DeduplicationScope": "group"}, fifo=True, creating=True)


def test_high_throughput_combination() -> None:
    a.check_combination(
        {"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"}
    )
    with pytest.raises(InvalidAttributeValue):
        a.check_combination({"FifoThroughputLimit": "perMessageGroupId"})


def test_redrive_policy_is_normalized_and_checked() -> None:
    arn = "arn:aws:sqs:us-east-1:000000000000:dlq"
    out = a.redrive_policy(json.dumps({"maxReceiveCount": "5", "deadLetterTargetArn": arn}))
    assert (
        out
        == '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":5}'
    )
    assert a.normalize({"RedrivePolicy": ""}, fifo=False, creating=False) == {"RedrivePolicy": ""}
    for bad in (
        "nope",
        "[]",
        json.dumps({"deadLetterTargetArn": arn}),
        json.dumps({"maxReceiveCount": 1}),
        json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 0}),
        json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 1001}),
        json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "x"}),
    ):
        with pytest.raises(InvalidParameterValue):
            a.redrive_policy(bad)


def test_redrive_allow_policy() -> None:
    src = "arn:aws:sqs:us-east-1:000000000000:src"
    by_queue = a.redrive_allow_policy(
        json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [src]})
    )
    assert a.allows_source(by_queue, src)
    assert not a.allows_source(by_queue, src + "x")
    assert not a.allows_source(a.redrive_allow_policy('{"redrivePermission": "denyAll"}'), src)
    assert a.allows_source(a.redrive_allow_policy('{"redrivePermission": "allowAll"}'), src)
    assert a.allows_source("", src)
    for bad in (
        '{"redrivePermission": "byQueue"}',
        '{"redrivePermission": "x"}',
        '{"redrivePermission": "allowAll", "sourceQueueArns": []}',
    ):
        with pytest.raises(InvalidParameterValue):
            a.redrive_allow_policy(bad)


def test_queue_names() -> None:
    assert a.check_queue_name("a-B_9" * 16, fifo=False) == "a-B_9" * 16
    assert a.check_queue_name("x" * 75 + ".fifo", fifo=True)
    for name, fifo in (
        ("", False),
        ("a" * 81, False),
        ("a.b", False),
        ("x.fifo", False),
        ("x", True),
        ("x" * 76 + ".fifo", True),
    ):
        with pytest.raises(InvalidParameterValue):
            a.check_queue_name(name, fifo)
