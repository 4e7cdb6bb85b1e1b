"""Values of the SQS-compatible queues (ovis.services.sqs) as the store keeps them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueRecord:
    """A queue's identity and its settable attributes (normalized strings, as SQS shows them)."""

    name: str
    attributes: dict[str, str]
    created_s: int
    modified_s: int


@dataclass(frozen=True)
class QueueMessage:
    """One stored message. ``row`` orders arrival; ``visible_ms`` is when it may next be
    received (send time + delay, or receive time + visibility timeout); ``receipt`` is the nonce
    of its latest receive ("" while never received, or after a move to a dead-letter queue)."""

    queue: str
    message_id: str
    body: str
    attributes: str  # JSON of the message attributes (opaque to the store)
    system: str  # JSON of extra system attributes (AWSTraceHeader, DeadLetterQueueSourceArn)
    sent_ms: int
    visible_ms: int
    group_id: str = ""
    dedup_id: str = ""
    row: int = 0
    receive_count: int = 0
    first_receive_ms: int = 0
    receipt: str = ""
    sequence: int = 0  # FIFO sequence counter (0 on standard queues)


@dataclass(frozen=True)
class QueueReceive:
    """What one receive took: the delivered messages (already marked in flight), how many were
    moved to the dead-letter queue instead, and when the next hidden message becomes visible."""

    messages: list[QueueMessage]
    moved: int
    next_visible_ms: int | None
