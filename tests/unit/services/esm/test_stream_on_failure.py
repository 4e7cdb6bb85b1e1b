"""on_failure: AWS's OnFailure record for a stream batch and delivery to SQS queues."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from ovis.invoke.destinations import DeliveryError
from ovis.invoke.invoker import InvokeResult
from ovis.services.lambda_.esm.on_failure import DestinationSender, failure_record, iso_ms
from ovis.services.lambda_.esm.stream_batches import Entry


def test_the_record_has_aws_members() -> None:
    es = [Entry("11", "k", 1_573_691_884_835, "{}"), Entry("12", "k", 1_573_691_885_580, "{}")]
    last = InvokeResult("req-1", b"{}", "3", function_error="Unhandled")
    rec = failure_record(
        condition="RetryAttemptsExhausted",
        function_arn="arn:aws:lambda:us-east-2:123456789012:function:f",
        invoke_count=2,
        last=last,
        shard_id="shardId-000000000001",
        entries=es,
        stream_arn="arn:aws:kinesis:us-east-2:123456789012:stream/s",
        batch_info_key="KinesisBatchInfo",
        now_ms=1_573_691_886_021,
    )
    assert rec == {
        "requestContext": {
            "requestId": "req-1",
            "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:f",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 2,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "3",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": "2019-11-14T00:38:06.021Z",
        "KinesisBatchInfo": {
            "shardId": "shardId-000000000001",
            "startSequenceNumber": "11",
            "endSequenceNumber": "12",
            "approximateArrivalOfFirstRecord": "2019-11-14T00:38:04.835Z",
            "approximateArrivalOfLastRecord": "2019-11-14T00:38:05.580Z",
            "batchSize": 2,
            "streamArn": "arn:aws:kinesis:us-east-2:123456789012:stream/s",
        },
    }
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"


class Queues:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_message(
        self, queue_arn: str, body: str, message_attributes: dict[str, Any] | None = None
    ) -> str:
        if queue_arn.endswith(":gone"):
            raise KeyError("no such queue")
        self.sent.append((queue_arn, body))
        return "mid"


class Topics:
    def __init__(self) -> None:
        self.published: list[tuple[str, str]] = []

    async def publish_message(self, topic_arn: str, message: str) -> str:
        self.published.append((topic_arn, message))
        return "mid"


def test_delivery_to_a_topic_when_the_server_has_topics() -> None:
    async def main() -> None:
        t = Topics()
        await DestinationSender(None, t).send("arn:aws:sns:us-east-1:000000000000:t", {"a": 1})
        assert t.published == [("arn:aws:sns:us-east-1:000000000000:t", '{"a": 1}')]

    asyncio.run(main())


def test_delivery_to_a_queue_and_refusals() -> None:
    async def main() -> None:
        q = Queues()
        s = DestinationSender(q)
        await s.send("arn:aws:sqs:us-east-1:000000000000:dlq", {"a": 1})
        assert json.loads(q.sent[0][1]) == {"a": 1}
        for arn in ("arn:aws:sqs:us-east-1:000000000000:gone", "arn:aws:sns:us-east-1:0:t"):
            with pytest.raises(DeliveryError):
                await s.send(arn, {})
        with pytest.raises(DeliveryError):
            await DestinationSender(None).send("arn:aws:sqs:us-east-1:000000000000:dlq", {})

    asyncio.run(main())
