"""What QueueService needs from storage: queues, messages and deduplication keys, and the
tags of queues (kept with every other resource's tags, under the queue's ARN).

Contract (whatever the backend): synchronous, thread-safe, durable on return; every write is
one transaction. Errors are ``ovis.storage.errors`` types (``StorageClosedError`` after close).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ovis.models.queue import QueueMessage, QueueReceive, QueueRecord


class QueueRepository(Protocol):
    def sqs_queues(self) -> list[QueueRecord]: ...
    def sqs_put_queue(self, queue: QueueRecord) -> None:
        """Create the queue or replace its attributes (its FIFO sequence counter is kept)."""
        ...

    def sqs_delete_queue(self, name: str) -> None:
        """The queue, its messages and its deduplication keys (not its tags)."""
        ...

    def sqs_send(
        self, queue: str, messages: list[QueueMessage], dedup_keys: list[str], dedup_until_ms: int
    ) -> list[tuple[str, int]] | None:
        """Store ``messages`` in order: (message id, sequence) each; None (nothing stored) if
        the queue is gone. A deduplication key seen within its window stores nothing and
        answers the original's (message id, sequence)."""
        ...

    def sqs_receive(
        self,
        queue: str,
        now_ms: int,
        limit: int,
        visible_ms: int,
        nonce: str,
        fifo: bool,
        max_receives: int = 0,
        dead_letter: str = "",
        dead_letter_system: str = "",
    ) -> QueueReceive:
        """Take up to ``limit`` ready messages and mark them in flight until ``now_ms +
        visible_ms`` under receipt ``nonce``; with ``max_receives``, move a message received
        that often to ``dead_letter`` instead. FIFO: in order, one batch per group at a time."""
        ...

    def sqs_delete_messages(self, queue: str, handles: list[tuple[int, str]]) -> list[bool]:
        """Delete each (row, receipt) that is still its message's latest receipt."""
        ...

    def sqs_change_visibility(
        self, queue: str, changes: list[tuple[int, str, int]], now_ms: int
    ) -> list[str]:
        """Per (row, receipt, until): "ok", "invalid" or "not_inflight"."""
        ...

    def sqs_purge(self, queue: str) -> None: ...
    def sqs_counts(self, queue: str, now_ms: int) -> tuple[int, int, int]:
        """(visible, in flight, delayed) messages."""
        ...

    def sqs_expire(self, cutoffs: dict[str, int], now_ms: int) -> int:
        """Delete messages sent before their queue's cutoff and expired deduplication keys;
        returns how many messages went."""
        ...


class QueueTagRepository(Protocol):
    """Tags by ARN; ``put_tags`` adds or overwrites keys, ``delete_tags(arn)`` drops all."""

    def get_tags(self, arn: str) -> dict[str, str]: ...
    def put_tags(self, arn: str, tags: dict[str, str]) -> None: ...
    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None: ...
