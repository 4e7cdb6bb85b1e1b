"""The SQS service package's face to the front door."""

from __future__ import annotations

from ovis.services.sqs.operations import SqsApi
from ovis.services.sqs.queues import QueueService
from ovis.services.table import ServiceTable


def sqs_service(queues: QueueService) -> ServiceTable:
    return ServiceTable("sqs", SqsApi(queues).handlers)
