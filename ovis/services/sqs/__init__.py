"""SQS-compatible queues: ``QueueService`` (in-process and behind ``ovis.services.sqs.operations``)."""

from ovis.services.sqs.errors import QueueDoesNotExist, SqsError
from ovis.services.sqs.service import Queue, QueueService, SendRequest, SendResult

__all__ = ["Queue", "QueueDoesNotExist", "QueueService", "SendRequest", "SendResult", "SqsError"]
