"""Delivery of invocation records and dead-letter messages to queues, topics, event buses and
functions: the four destination kinds of asynchronous invocation and stream mappings.

Contract: ``deliver()`` either hands the message to its target durably (an SQS queue, an SNS
topic or an EventBridge bus of this server, or an async invocation of a function) or raises
DeliveryError; callers then keep the message in the undeliverable ledger. Nothing here decides
*what* to send, only how each kind carries it: a queue gets it as the message body, a topic as
the published message, a bus as the detail of an event from source ``lambda`` whose detail-type
says success or failure (as AWS sends invocation records to EventBridge).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

_LAMBDA = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9$_-]+))?$"
)


class DeliveryError(Exception):
    """The target could not take the message (missing queue or function, bad ARN...)."""


# The services that take deliveries, as every service that delivers sees them (async
# destinations here; SNS, EventBridge, Scheduler and S3 take the same protocols): the
# composition root passes QueueService, TopicService, EventBusService and ServiceTriggers.


class QueueSender(Protocol):
    """``ovis.services.sqs.QueueService.send_message``: durable on return."""

    async def send_message(
        self,
        queue_arn: str,
        body: str,
        message_attributes: dict[str, Any] | None = None,
        *,
        delay_seconds: int | None = None,
        message_group_id: str | None = None,
        deduplication_id: str | None = None,
    ) -> str: ...


class TopicSender(Protocol):
    """``ovis.services.sns.TopicService.publish_message``: durable on return."""

    async def publish_message(
        self,
        topic_arn: str,
        message: str,
        *,
        subject: str | None = None,
        attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> str: ...


class FunctionTriggers(Protocol):
    """``ovis.services.lambda_.triggers.ServiceTriggers``: a policy-checked async invoke."""

    async def invoke_async(
        self,
        function_arn: str,
        payload: bytes,
        *,
        principal: str | None,
        source_arn: str,
        source_account: str,
    ) -> str: ...


class BusSender(Protocol):
    """``ovis.services.events.EventBusService.put_event``: durable on return."""

    async def put_event(
        self,
        bus_name_or_arn: str,
        source: str,
        detail_type: str,
        detail: str,
        resources: list[str] | None = None,
    ) -> str: ...


SUCCESS_DETAIL_TYPE = "Lambda Function Invocation Result - Success"
FAILURE_DETAIL_TYPE = "Lambda Function Invocation Result - Failure"


def _record_summary(body: str) -> tuple[str, list[str]]:
    """(detail-type, resources) of an invocation record sent to a bus."""
    try:
        record = json.loads(body)
        ctx = record.get("requestContext", {}) if isinstance(record, dict) else {}
    except ValueError:
        ctx = {}
    condition = ctx.get("condition") if isinstance(ctx, dict) else None
    function = ctx.get("functionArn") if isinstance(ctx, dict) else None
    kind = SUCCESS_DETAIL_TYPE if condition == "Success" else FAILURE_DETAIL_TYPE
    return kind, [function] if isinstance(function, str) else []


# (function, qualifier, payload, hops) -> None; raises DeliveryError when the function is missing
AsyncSubmit = Callable[[str, str | None, bytes, int], Awaitable[None]]


class Destinations:
    def __init__(
        self,
        queues: QueueSender | None,
        submit: AsyncSubmit,
        topics: TopicSender | None = None,
        buses: BusSender | None = None,
    ) -> None:
        self.queues = queues
        self.submit = submit
        self.topics = topics
        self.buses = buses

    async def deliver(
        self, arn: str, body: str, attributes: dict[str, Any] | None = None, hops: int = 0
    ) -> None:
        parts = arn.split(":")
        if len(parts) > 2 and parts[2] == "sqs":
            if self.queues is None:
                raise DeliveryError("this server has no queue service")
            try:
                await self.queues.send_message(arn, body, attributes)
            except Exception as e:  # missing queue, oversized message...
                raise DeliveryError(f"{type(e).__name__}: {e}") from e
            return
        if len(parts) > 2 and parts[2] == "sns":
            if self.topics is None:
                raise DeliveryError("this server has no topic service")
            await self._hand(self.topics.publish_message(arn, body))
            return
        if len(parts) > 2 and parts[2] == "events":
            if self.buses is None:
                raise DeliveryError("this server has no event bus service")
            detail_type, resources = _record_summary(body)
            await self._hand(self.buses.put_event(arn, "lambda", detail_type, body, resources))
            return
        m = _LAMBDA.match(arn)
        if m is None:
            raise DeliveryError(f"unsupported destination {arn}")
        await self.submit(m.group(1), m.group(2), body.encode(), hops + 1)

    @staticmethod
    async def _hand(delivery: Awaitable[str]) -> None:
        try:
            await delivery
        except DeliveryError:
            raise
        except Exception as e:  # a missing topic or bus, an oversized message...
            raise DeliveryError(f"{type(e).__name__}: {e}") from e
