"""SqsQueueSource: the queue service seen as an event source (the ``QueueSource`` protocol of
``ovis.services.lambda_.esm.sources``), for event source mappings reading queues in process.

Contract: ``queue_info`` answers from memory (no I/O); the rest are coroutines over
``QueueService`` with the same durability (a receive's in-flight state is stored before it
returns; a delete commits before it returns). Each call is one store transaction whatever the
number of messages (a receive that waits may look more than once), and concurrent receives
and deletes of one queue share transactions (``GroupCommit``). ``receive`` raises
``QueueDoesNotExist`` for a queue that is gone; ``delete`` and ``change_visibility`` ignore a
queue that is gone and stale receipts (a message received again since, or already deleted), as
the SQS API does for a batch's failed entries.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Hashable
from typing import cast

from ovis.models.event_source import QueueInfo, ReceivedMessage
from ovis.models.queue import QueueMessage
from ovis.services.sqs import messages as msgs
from ovis.services.sqs.errors import QueueDoesNotExist
from ovis.services.sqs.group_commit import GroupCommit
from ovis.services.sqs.queues import Queue, QueueService, sequence_number


class SqsQueueSource:
    def __init__(self, queues: QueueService) -> None:
        self.queues = queues
        # Concurrent batch loops share store transactions (one fsync per round, not per loop).
        self._looks: GroupCommit[int, list[QueueMessage]] = GroupCommit(self._look)
        self._deletes: GroupCommit[list[str], None] = GroupCommit(self._delete)

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
        n = max(1, max_messages)
        got: list[QueueMessage] = []
        if not q.fifo:  # FIFO looks stay apart: a group's messages must go to one receiver
            got = await self._looks.submit((q.name, visibility_timeout_s), n)
        if not got and (q.fifo or wait_s > 0):
            got = await self.queues.take(q, n, max(0.0, wait_s), visibility_timeout_s)
        return [self._message(q, m) for m in got]

    async def _look(self, key: Hashable, wants: list[int]) -> list[list[QueueMessage]]:
        """One look (no wait) for every receiver waiting on ``key``; the messages shared out
        in order of arrival."""
        name, visibility = cast(tuple[str, int | None], key)
        got = await self.queues.take(self.queues.queue_by_name(name), sum(wants), 0, visibility)
        out: list[list[QueueMessage]] = []
        start = 0
        for n in wants:
            out.append(got[start : start + n])
            start += n
        return out

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
            await self._deletes.submit(self.queues.queue_by_arn(arn).name, list(receipt_handles))

    async def _delete(self, key: Hashable, batches: list[list[str]]) -> list[None]:
        handles = [h for batch in batches for h in batch]
        await self.queues.delete_batch(self.queues.queue_by_name(cast(str, key)), handles)
        return [None] * len(batches)

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
