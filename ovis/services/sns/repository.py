"""What TopicService needs from storage: topics, subscriptions, the delivery outbox and FIFO
deduplication keys; topic tags live with every other resource's tags, under the topic's ARN.

Contract (whatever the backend): synchronous, thread-safe, durable on return; every write is
one transaction. ``sns_publish`` stores a whole batch of published messages (their deliveries
and deduplication keys) in one transaction: what it returns is on disk. Errors are
``ovis.storage.errors`` types (``StorageClosedError`` after close).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ovis.models.topic import (
    Delivery,
    DeliveryOutcome,
    PublishEntry,
    SubscriptionRecord,
    TopicRecord,
)


class TopicRepository(Protocol):
    def sns_topics(self) -> list[TopicRecord]: ...
    def sns_put_topic(self, topic: TopicRecord) -> None:
        """Create the topic or replace its attributes (its FIFO sequence counter is kept)."""
        ...

    def sns_delete_topic(self, arn: str) -> None:
        """The topic, its subscriptions, their pending deliveries and its deduplication keys
        (not its tags)."""
        ...

    def sns_subscriptions(self) -> list[SubscriptionRecord]: ...
    def sns_put_subscription(
        self, sub: SubscriptionRecord, confirmation: Delivery | None = None
    ) -> None:
        """Create or replace the subscription, with (http/https) its confirmation delivery."""
        ...

    def sns_delete_subscription(self, arn: str) -> None:
        """The subscription and its pending deliveries."""
        ...

    def sns_publish(self, entries: list[PublishEntry], now_ms: int) -> list[tuple[str, int]]:
        """Store every entry's deliveries; per entry (message id, FIFO sequence number or 0).
        A FIFO entry whose deduplication key was stored within its window stores nothing and
        answers the original's message id and sequence number."""
        ...

    def sns_due(self, now_ms: int, limit: int, busy: Iterable[int]) -> list[Delivery]:
        """Up to ``limit`` deliveries due by ``now_ms``, oldest first, not in ``busy`` (rows in
        progress); a FIFO delivery only when no earlier one of its subscription and group is
        still stored (one at a time, in order)."""
        ...

    def sns_next_due_ms(self, busy: Iterable[int]) -> int | None:
        """When the earliest delivery that ``sns_due`` could hand out is due (rows in ``busy``
        and FIFO rows behind an earlier one left out); None when there is none."""
        ...

    def sns_finish(self, outcomes: list[DeliveryOutcome]) -> None:
        """Remove delivered rows; reschedule the others (attempt, due time, dead)."""
        ...

    def sns_pending(self) -> int:
        """How many deliveries the outbox holds."""
        ...


class TopicTagRepository(Protocol):
    """Tags by ARN; ``put_tags`` adds or overwrites keys, ``delete_tags(arn)`` drops all."""

    def get_tags(self, arn: str) -> dict[str, str]: ...
    def put_tags(self, arn: str, tags: dict[str, str]) -> None: ...
    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None: ...
