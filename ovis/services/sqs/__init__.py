"""SQS-compatible queues: ``QueueService`` (in-process, and behind ``operations``)."""

from ovis.services.sqs.errors import QueueDoesNotExist, SqsError
from ovis.services.sqs.queues import Queue, QueueService, SendRequest, SendResult

__all__ = ["Queue", "QueueDoesNotExist", "QueueService", "SendRequest", "SendResult", "SqsError"]
