"""JSON 1.0/1.1 (Logs, Kinesis, EventBridge, DynamoDB, SQS) against botocore."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ovis.errors import (
    ApiError,
    SerializationException,
    UnknownTargetException,
    ValidationException,
)
from ovis.protocols import codec_for
from ovis.protocols.base import HttpRequest
from ovis.services.sqs.errors import InvalidAttributeName, QueueDoesNotExist

from .oracle import normalize, parse_error, parse_output, request

Q = "http://localhost:4566/000000000000/q"
STAMP = datetime(2026, 12, 1, 19, 38, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("logs", "CreateLogGroup", {"logGroupName": "/aws/lambda/f", "tags": {"a": "b"}}),
        (
            "logs",
            "PutLogEvents",
            {
                "logGroupName": "g",
                "logStreamName": "s",
                "logEvents": [{"timestamp": 1, "message": "m1"}, {"timestamp": 2, "message": "é"}],
            },
        ),
        ("kinesis", "PutRecord", {"StreamName": "s", "Data": b"\x00\xffdata", "PartitionKey": "k"}),
        (
            "events",
            "PutEvents",
            {"Entries": [{"Source": "my.app", "DetailType": "t", "Detail": '{"a": 1}'}]},
        ),
        (
            "dynamodb",
            "PutItem",
            {
                "TableName": "t",
                "Item": {
                    "pk": {"S": "a"},
                    "bin": {"B": b"\x01\x02"},
                    "nested": {"M": {"l": {"L": [{"N": "1"}, {"BS": [b"x", b"y"]}]}}},
                },
            },
        ),
        (
            "sqs",
            "SendMessage",
            {
                "QueueUrl": Q,
                "MessageBody": "hi",
                "DelaySeconds": 2,
                "MessageAttributes": {
                    "s": {"DataType": "String", "StringValue": "v"},
                    "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
                },
            },
        ),
        (
            "sqs",
            "SendMessageBatch",
            {
                "QueueUrl": Q,
                "Entries": [{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b"}],
            },
        ),
    ],
)
def test_botocore_requests_parse_to_their_params(
    service: str, operation: str, params: dict[str, Any]
) -> None:
    codec = codec_for(service)
    req = request(service, operation, params)
    assert codec.operation(req) == operation
    assert codec.parse(operation, req) == params


@pytest.mark.parametrize(
    ("service", "operation", "output"),
    [
        ("dynamodb", "GetItem", {"Item": {"b": {"B": b"\x00"}, "m": {"M": {"n": {"N": "1"}}}}}),
        (
            "kinesis",
            "GetRecords",
            {
                "Records": [
                    {
                        "SequenceNumber": "1",
                        "ApproximateArrivalTimestamp": STAMP,
                        "Data": b"\xffbytes",
                        "PartitionKey": "k",
                    }
                ],
                "NextShardIterator": "it",
                "MillisBehindLatest": 0,
            },
        ),
        (
            "sqs",
            "ReceiveMessage",
            {
                "Messages": [
                    {
                        "MessageId": "m",
                        "ReceiptHandle": "r",
                        "Body": "<b>&amp;",
                        "Attributes": {"SentTimestamp": "1"},
                        "MessageAttributes": {
                            "x": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}
                        },
                    }
                ]
            },
        ),
        ("logs", "DescribeLogGroups", {"logGroups": [{"logGroupName": "g", "creationTime": 5}]}),
    ],
)
def test_serialized_outputs_parse_in_botocore(
    service: str, operation: str, output: dict[str, Any]
) -> None:
    codec = codec_for(service)
    resp = codec.serialize(operation, {**output, "NotAMember": 1}, "rid")
    meta = codec.model.metadata  # type: ignore[attr-defined]
    assert resp.headers["Content-Type"] == f"application/x-amz-json-{meta['jsonVersion']}"
    parsed = parse_output(codec.model.operation_model(operation), resp, "json")  # type: ignore[attr-defined]
    assert normalize(parsed) == normalize(output)


def test_timestamps_are_epoch_seconds() -> None:
    resp = codec_for("kinesis").serialize(
        "GetRecords", {"Records": [{"ApproximateArrivalTimestamp": STAMP}]}, "rid"
    )
    assert json.loads(resp.body)["Records"][0]["ApproximateArrivalTimestamp"] == STAMP.timestamp()


def test_query_compatible_errors_carry_the_query_code() -> None:
    codec = codec_for("sqs")
    resp = codec.error(QueueDoesNotExist(), "rid")
    assert resp.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert resp.headers["Content-Type"] == "application/x-amz-json-1.0"
    parsed = parse_error(resp, "json")
    assert parsed["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert parsed["Message"] == "The specified queue does not exist."
    parsed = parse_error(codec.error(InvalidAttributeName("bad <name>"), "rid"), "json")
    assert (parsed["Code"], parsed["Message"]) == ("InvalidAttributeName", "bad <name>")


@pytest.mark.parametrize("service", ["dynamodb", "logs", "kinesis"])
def test_errors_parse_in_botocore(service: str) -> None:
    codec = codec_for(service)
    err = ValidationException("1 validation error detected: x")
    resp = codec.error(err, "rid")
    assert json.loads(resp.body) == {"__type": "ValidationException", "message": err.message}
    assert "x-amzn-query-error" not in resp.headers
    parsed = parse_error(resp, "json")
    assert (parsed["Code"], parsed["Message"]) == (err.code, err.message)


def call(service: str, target: str, body: bytes) -> HttpRequest:
    return HttpRequest("POST", "/", "", {"x-amz-target": target}, body)


@pytest.mark.parametrize(
    "target", ["DynamoDB_20120810.Nope", "Logs_20140328.PutItem", "PutItem", ""]
)
def test_unknown_target_is_a_json_400(target: str) -> None:
    codec = codec_for("dynamodb")
    with pytest.raises(UnknownTargetException) as ei:
        codec.operation(call("dynamodb", target, b"{}"))
    resp = codec.error(ei.value, "rid")
    assert resp.status == 400
    assert parse_error(resp, "json")["Code"] == "UnknownOperationException"


@pytest.mark.parametrize(
    "body",
    [
        b"[1]",
        b"not json",
        b"\xff",
        b"[" * 100_000,
        b'{"TableName": 1}',
        b'{"TableName": "t", "Key": []}',
        b'{"TableName": "t", "Key": {"k": {"B": "!!"}}}',
        b'{"TableName": "t", "Key": {"k": {"BOOL": "yes"}}}',
        b'{"TableName": "t", "Key": {"k": {"L": {}}}}',
    ],
)
def test_bad_bodies_are_serialization_exceptions(body: bytes) -> None:
    codec = codec_for("dynamodb")
    with pytest.raises(SerializationException) as ei:
        codec.parse("GetItem", call("dynamodb", "DynamoDB_20120810.GetItem", body))
    assert ei.value.status == 400


def test_validation_wording() -> None:
    codec = codec_for("dynamodb")
    with pytest.raises(ValidationException) as ei:
        codec.parse("GetItem", call("dynamodb", "DynamoDB_20120810.GetItem", b'{"TableName": "x"}'))
    assert ei.value.message == (
        "1 validation error detected: "
        "Value null at 'key' failed to satisfy constraint: Member must not be null"
    )


def test_sqs_leaves_required_members_to_the_service() -> None:
    codec = codec_for("sqs")
    assert codec.parse("SendMessage", call("sqs", "AmazonSQS.SendMessage", b"{}")) == {}


def test_every_parse_failure_is_an_api_error() -> None:
    codec = codec_for("dynamodb")
    values: list[Any] = [None, 0, 2**70, 1.5, "", "x", True, [], [1], {}, {"a": 1}, {"S": 1}]
    for name in codec.model.operation_model("PutItem").input_shape.members:  # type: ignore[attr-defined]
        for value in values:
            body = json.dumps({"TableName": "t", "Item": {}, name: value}).encode()
            try:
                codec.parse("PutItem", call("dynamodb", "DynamoDB_20120810.PutItem", body))
            except ApiError as e:
                assert 400 <= e.status < 500
