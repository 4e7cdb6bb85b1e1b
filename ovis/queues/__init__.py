"""SQS-compatible queues: ``QueueService`` (in-process and behind ``ovis.api.sqs_api``)."""

from ovis.queues.errors import QueueDoesNotExist, SqsError
from ovis.queues.service import Queue, QueueService, SendRequest, SendResult

__all__ = ["Queue", "QueueDoesNotExist", "QueueService", "SendRequest", "SendResult", "SqsError"]
