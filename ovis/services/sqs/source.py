"""SqsQueueSource: the queue service seen as an event source (the ``QueueSource`` protocol of
``ovis.services.lambda_.esm.sources``), for event source mappings reading queues in process.

Contract: ``queue_info`` answers from memory (no I/O); the rest are coroutines over
``QueueService`` with the same durability (a receive's in-flight state is stored before it
returns; a delete commits before it returns). Each call is one store transaction whatever the
number of messages (a receive that waits may look more than once). ``receive`` raises
``QueueDoesNotExist`` for a queue that is gone; ``delete`` and ``change_visibility`` ignore a
queue that is gone and stale receipts (a message received again since, or already deleted), as
the SQS API does for a batch's failed entries.
"""

from __future__ import annotations

import contextlib
import json

from ovis.models.event_source import QueueInfo, ReceivedMessage
from ovis.models.queue import QueueMessage
from ovis.services.sqs import messages as msgs
from ovis.services.sqs.errors import QueueDoesNotExist
from ovis.services.sqs.queues import Queue, QueueService, sequence_number


class SqsQueueSource:
    def __init__(self, queues: QueueService) -> None:
        self.queues = queues

    def queue_info(self, arn: str) -> QueueInfo | None:
        try:
            q = self.queues.queue_by_arn(arn)
        except QueueDoesNotExist:
            return None
        return QueueInfo(q.arn, q.url, q.fifo, q.number("VisibilityTimeout"))

    async def receive(
        self, arn: str, max_messages: int, wait_s: float, visibility_timeout_s: int | None = None
    ) -> list[ReceivedMessage]:
        q = self.queues.queue_by_arn(arn)
        got = await self.queues.take(
            q, max(1, max_messages), max(0.0, wait_s), visibility_timeout_s
        )
        return [self._message(q, m) for m in got]

    def _message(self, q: Queue, m: QueueMessage) -> ReceivedMessage:
        attributes = {
            "ApproximateReceiveCount": str(m.receive_count),
            "SentTimestamp": str(m.sent_ms),
            "SenderId": self.queues.sender_id,
            "ApproximateFirstReceiveTimestamp": str(m.first_receive_ms),
        }
        if m.sequence:
            attributes["SequenceNumber"] = sequence_number(m.sequence)
        if m.group_id:
            attributes["MessageGroupId"] = m.group_id
        if m.dedup_id:
            attributes["MessageDeduplicationId"] = m.dedup_id
        if m.system:
            extra = json.loads(m.system)
            for name in ("AWSTraceHeader", "DeadLetterQueueSourceArn"):
                if extra.get(name):
                    attributes[name] = str(extra[name])
        user = msgs.from_wire(json.loads(m.attributes)) if m.attributes else {}
        return ReceivedMessage(
            message_id=m.message_id,
            receipt_handle=msgs.receipt_handle(q.name, m.row, m.receipt),
            body=m.body,
            md5_of_body=msgs.md5_body(m.body),
            attributes=attributes,
            message_attributes=user,
            md5_of_message_attributes=msgs.md5_attributes(user),
        )

    async def delete(self, arn: str, receipt_handles: list[str]) -> None:
        if not receipt_handles:
            return
        with contextlib.suppress(QueueDoesNotExist):  # a deleted queue took its messages along
            await self.queues.delete_batch(self.queues.queue_by_arn(arn), list(receipt_handles))

    async def change_visibility(self, arn: str, receipt_handles: list[str], timeout_s: int) -> None:
        if not receipt_handles:
            return
        timeout = max(0, min(int(timeout_s), msgs.MAX_VISIBILITY_S))
        with contextlib.suppress(QueueDoesNotExist):
            q = self.queues.queue_by_arn(arn)
            await self.queues.change_visibility_batch(q, [(h, timeout) for h in receipt_handles])

    async def backlog(self, arn: str) -> int:
        """Visible messages; 0 for a queue that is gone."""
        try:
            q = self.queues.queue_by_arn(arn)
            return await self.queues.visible_count(q)
        except QueueDoesNotExist:
            return 0
