"""Delivery of invocation records and dead-letter messages to SQS queues and functions.

Contract: ``deliver()`` either hands the message to its target durably (an SQS queue of this
server, or an async invocation of a function) or raises DeliveryError; callers then keep the
message in the undeliverable ledger. Nothing here decides *what* to send.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

_LAMBDA = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9$_-]+))?$"
)


class DeliveryError(Exception):
    """The target could not take the message (missing queue or function, bad ARN...)."""


class QueueSender(Protocol):
    async def send_message(
        self, queue_arn: str, body: str, message_attributes: dict[str, Any] | None = None
    ) -> str: ...


# (function, qualifier, payload, hops) -> None; raises DeliveryError when the function is missing
AsyncSubmit = Callable[[str, str | None, bytes, int], Awaitable[None]]


class Destinations:
    def __init__(self, queues: QueueSender | None, submit: AsyncSubmit) -> None:
        self.queues = queues
        self.submit = submit

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
        m = _LAMBDA.match(arn)
        if m is None:
            raise DeliveryError(f"unsupported destination {arn}")
        await self.submit(m.group(1), m.group(2), body.encode(), hops + 1)
