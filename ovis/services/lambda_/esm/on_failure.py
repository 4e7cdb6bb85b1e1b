"""The OnFailure record of a stream batch given up on, and its delivery to the mapping's
destination.

Contract: ``failure_record`` builds AWS's document (``requestContext`` with ``requestId``,
``functionArn``, ``condition`` — "RetryAttemptsExhausted" or "RecordAgeExceeded" — and
``approximateInvokeCount``; ``responseContext`` with ``statusCode``, ``executedVersion`` and
``functionError`` of the last invocation; ``version`` "1.0"; ``timestamp``; and the batch
description under the shape's key, e.g. ``KinesisBatchInfo`` with ``shardId``,
``startSequenceNumber``, ``endSequenceNumber``, ``approximateArrivalOfFirstRecord``,
``approximateArrivalOfLastRecord``, ``batchSize`` and ``streamArn``). Timestamps are ISO 8601
UTC with milliseconds. ``FailureSender.send`` returns once the destination holds the record
durably, or raises ``DeliveryError`` (the poller keeps the batch and tries again: a record is
checkpointed past only after its OnFailure record is delivered).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from ovis.invoke.destinations import DeliveryError, QueueSender, TopicSender
from ovis.invoke.invoker import InvokeResult
from ovis.services.lambda_.esm.stream_batches import Entry

RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


def iso_ms(epoch_ms: float) -> str:
    t = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def failure_record(
    *,
    condition: str,
    function_arn: str,
    invoke_count: int,
    last: InvokeResult | None,
    shard_id: str,
    entries: Sequence[Entry],
    stream_arn: str,
    batch_info_key: str,
    now_ms: float | None = None,
) -> dict[str, Any]:
    return {
        "requestContext": {
            "requestId": last.request_id if last is not None else str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": {
            "statusCode": last.status_code if last is not None else 0,
            "executedVersion": last.executed_version if last is not None else "",
            "functionError": (last.function_error or "") if last is not None else "",
        },
        "version": "1.0",
        "timestamp": iso_ms(time.time() * 1000 if now_ms is None else now_ms),
        batch_info_key: {
            "shardId": shard_id,
            "startSequenceNumber": entries[0].seq,
            "endSequenceNumber": entries[-1].seq,
            "approximateArrivalOfFirstRecord": iso_ms(entries[0].arrival_ms),
            "approximateArrivalOfLastRecord": iso_ms(entries[-1].arrival_ms),
            "batchSize": len(entries),
            "streamArn": stream_arn,
        },
    }


class FailureSender(Protocol):
    async def send(self, destination_arn: str, record: dict[str, Any]) -> None: ...


class DestinationSender:
    """OnFailure destinations of this server: SQS queues, and SNS topics once the server has a
    topic service (``topics``); the record is the message body / the published message."""

    def __init__(self, queues: QueueSender | None, topics: TopicSender | None = None) -> None:
        self.queues = queues
        self.topics = topics

    async def send(self, destination_arn: str, record: dict[str, Any]) -> None:
        parts = destination_arn.split(":")
        service = parts[2] if len(parts) > 2 else ""
        body = json.dumps(record)
        try:
            if service == "sqs" and self.queues is not None:
                await self.queues.send_message(destination_arn, body)
                return
            if service == "sns" and self.topics is not None:
                await self.topics.publish_message(destination_arn, body)
                return
        except Exception as e:  # a missing queue or topic, an oversized message...
            raise DeliveryError(f"{type(e).__name__}: {e}") from e
        raise DeliveryError(f"this server cannot deliver to {destination_arn}")
