"""SQS's typed commands, built at the edge from the validated request.

``None`` means "not given": the queue's attribute (ReceiveMessageWaitTimeSeconds,
VisibilityTimeout, DelaySeconds) applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from ovis.services.sqs.queues import SendRequest


@dataclass(frozen=True, slots=True)
class SendMessage:
    queue_url: str
    message: SendRequest


@dataclass(frozen=True, slots=True)
class SendMessageBatch:
    queue_url: str
    entry_ids: tuple[str, ...]
    messages: tuple[SendRequest, ...]


@dataclass(frozen=True, slots=True)
class ReceiveMessage:
    queue_url: str
    max_messages: int | None = None
    wait_seconds: int | None = None
    visibility_timeout: int | None = None
    system_attribute_names: tuple[str, ...] = ()  # AttributeNames + MessageSystemAttributeNames
    attribute_names: tuple[str, ...] = ()  # MessageAttributeNames
