"""The Lambda SQS event: ``{"Records": [...]}`` with one record per received message, in the
shape AWS delivers ("Using Lambda with Amazon SQS", sample events).

Contract: ``sqs_record`` is pure. Keys in AWS's order: messageId, receiptHandle, body,
attributes (the system attributes the source gives: ApproximateReceiveCount, SentTimestamp,
SenderId, ApproximateFirstReceiveTimestamp; FIFO: SequenceNumber, MessageGroupId,
MessageDeduplicationId; AWSTraceHeader when set), messageAttributes in Lambda's camel-case
shape (stringValue or binaryValue in base64, empty stringListValues and binaryListValues,
dataType), md5OfMessageAttributes only when there are attributes, md5OfBody, eventSource
"aws:sqs", eventSourceARN, awsRegion. ``EventBuilder`` keeps an event's exact encoded size so a
poller can stop adding records before the synchronous invocation payload limit.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ovis.models.event_source import ReceivedMessage

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # synchronous Invoke request payload limit
_HEAD = b'{"Records":['
_TAIL = b"]}"


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "BinaryValue" in value:
        raw = value["BinaryValue"]
        out["binaryValue"] = (
            base64.b64encode(raw).decode() if isinstance(raw, bytes | bytearray) else str(raw)
        )
    else:
        out["stringValue"] = value.get("StringValue", "")
    out["stringListValues"] = []
    out["binaryListValues"] = []
    out["dataType"] = value["DataType"]
    return out


def sqs_record(m: ReceivedMessage, queue_arn: str, region: str) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "messageId": m.message_id,
        "receiptHandle": m.receipt_handle,
        "body": m.body,
        "attributes": dict(m.attributes),
        "messageAttributes": {k: _attribute(v) for k, v in m.message_attributes.items()},
    }
    if m.message_attributes and m.md5_of_message_attributes:
        rec["md5OfMessageAttributes"] = m.md5_of_message_attributes
    rec["md5OfBody"] = m.md5_of_body
    rec["eventSource"] = "aws:sqs"
    rec["eventSourceARN"] = queue_arn
    rec["awsRegion"] = region
    return rec


def encode_record(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


class EventBuilder:
    """Encoded records of one event, and the event's size if one more were added."""

    def __init__(self, limit: int = MAX_PAYLOAD_BYTES) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = len(_HEAD) + len(_TAIL)

    def __len__(self) -> int:
        return len(self.parts)

    def fits(self, encoded: bytes) -> bool:
        """Whether ``encoded`` can join (a first record always can: one message is far below
        the limit)."""
        extra = len(encoded) + (1 if self.parts else 0)
        return not self.parts or self.size + extra <= self.limit

    def add(self, encoded: bytes) -> None:
        self.size += len(encoded) + (1 if self.parts else 0)
        self.parts.append(encoded)

    def payload(self) -> bytes:
        return _HEAD + b",".join(self.parts) + _TAIL
