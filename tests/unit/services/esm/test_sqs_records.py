"""The Lambda SQS record and event shape, and the 6 MB payload accounting."""

from __future__ import annotations

import json

from ovis.models.event_source import ReceivedMessage
from ovis.services.lambda_.esm.sqs_records import EventBuilder, encode_record, sqs_record

ARN = "arn:aws:sqs:us-east-2:123456789012:my-queue"


def message(**kw: object) -> ReceivedMessage:
    base: dict[str, object] = {
        "message_id": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receipt_handle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": "Test message.",
        "md5_of_body": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
    }
    base.update(kw)
    return ReceivedMessage(**base)  # type: ignore[arg-type]


def test_a_record_without_attributes_is_awss_sample() -> None:
    rec = sqs_record(message(), ARN, "us-east-2")
    assert list(rec) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert rec["messageAttributes"] == {}
    assert rec["eventSource"] == "aws:sqs"
    assert rec["eventSourceARN"] == ARN and rec["awsRegion"] == "us-east-2"
    assert rec["attributes"]["SentTimestamp"] == "1545082649183"


def test_message_attributes_in_lambdas_shape_with_their_digest() -> None:
    rec = sqs_record(
        message(
            message_attributes={
                "s": {"DataType": "String", "StringValue": "v"},
                "n": {"DataType": "Number.int", "StringValue": "12"},
                "b": {"DataType": "Binary", "BinaryValue": b"1100"},
            },
            md5_of_message_attributes="582c92c5c5b6ac403040a4f3ab3115c9",
        ),
        ARN,
        "us-east-2",
    )
    assert rec["messageAttributes"] == {
        "s": {
            "stringValue": "v",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "n": {
            "stringValue": "12",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Number.int",
        },
        "b": {
            "binaryValue": "MTEwMA==",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert rec["md5OfMessageAttributes"] == "582c92c5c5b6ac403040a4f3ab3115c9"
    assert list(rec).index("md5OfMessageAttributes") < list(rec).index("md5OfBody")


def test_the_builder_knows_the_exact_payload_size_and_stops_at_the_limit() -> None:
    records = [encode_record(sqs_record(message(body="x" * 300), ARN, "r")) for _ in range(5)]
    b = EventBuilder(limit=len(records[0]) * 3 + 20)
    added = 0
    for enc in records:
        if not b.fits(enc):
            break
        b.add(enc)
        added += 1
    assert added == 3
    payload = b.payload()
    assert len(payload) == b.size <= b.limit
    assert len(json.loads(payload)["Records"]) == 3
    # A first record always fits, whatever its size.
    assert EventBuilder(limit=10).fits(records[0])


def test_non_ascii_bodies_are_counted_in_bytes() -> None:
    enc = encode_record(sqs_record(message(body="é" * 100), ARN, "r"))
    b = EventBuilder()
    b.add(enc)
    assert len(b.payload()) == b.size
    assert json.loads(b.payload())["Records"][0]["body"] == "é" * 100
