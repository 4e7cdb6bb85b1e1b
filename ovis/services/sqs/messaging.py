"""Message use cases over ``QueueService``: send one or a batch, receive.

Contract: a send is durable when it returns (the store commits before the result); a receive
returns at once when messages are available, else waits up to the wait time (long poll) and
returns empty when the server stops (``QueueService.interrupt_waits``).
"""

from __future__ import annotations

from typing import Any

from ovis.services.sqs.commands import ReceiveMessage, SendMessage, SendMessageBatch
from ovis.services.sqs.errors import SqsError
from ovis.services.sqs.queues import QueueService, SendResult


class Messaging:
    def __init__(self, queues: QueueService) -> None:
        self.queues = queues

    async def send(self, cmd: SendMessage) -> SendResult:
        return await self.queues.send(self.queues.queue_by_url(cmd.queue_url), cmd.message)

    async def send_batch(self, cmd: SendMessageBatch) -> list[SendResult | SqsError]:
        """One result per entry, in order: a failed entry is its error, the others are sent."""
        q = self.queues.queue_by_url(cmd.queue_url)
        return await self.queues.send_batch(q, list(cmd.messages), limit_total=True)

    async def receive(self, cmd: ReceiveMessage) -> list[dict[str, Any]]:
        q = self.queues.queue_by_url(cmd.queue_url)
        return await self.queues.receive(
            q,
            cmd.max_messages,
            cmd.wait_seconds,
            cmd.visibility_timeout,
            cmd.system_attribute_names,
            cmd.attribute_names,
        )
