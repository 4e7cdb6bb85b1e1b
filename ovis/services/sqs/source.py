"""SqsQueueSource: the queue service seen as an event source (the ``QueueSource`` protocol of
``ovis.services.lambda_.esm.sources``), for event source mappings reading queues in process.

Contract: ``queue_info`` answers from memory (no I/O); the rest are coroutines over
``QueueService`` with the same durability (a receive's in-flight state is stored before it
returns; a delete commits before it returns).
"""

from __future__ import annotations

from ovis.models.event_source import QueueInfo
from ovis.services.sqs.errors import QueueDoesNotExist
from ovis.services.sqs.queues import QueueService


class SqsQueueSource:
    def __init__(self, queues: QueueService) -> None:
        self.queues = queues

    def queue_info(self, arn: str) -> QueueInfo | None:
        try:
            q = self.queues.queue_by_arn(arn)
        except QueueDoesNotExist:
            return None
        return QueueInfo(q.arn, q.url, q.fifo, q.number("VisibilityTimeout"))
