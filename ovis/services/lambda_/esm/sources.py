"""What pollers need from the services they read: a queue (SQS) or a stream (Kinesis; later
DynamoDB streams). The services satisfy these protocols structurally; the event source mapping
package never imports them.

Contract (both kinds): every method is a coroutine safe to call from the event loop; the
service does its own storage I/O off the loop. Cancelling a call leaves the source unchanged
except as documented (a cancelled ``receive`` may leave messages in flight: they reappear after
their visibility timeout, as on SQS).
"""

from __future__ import annotations

from typing import Protocol

from ovis.models.event_source import QueueInfo, ReceivedMessage, ShardView, StreamRecordView

__all__ = [
    "QueueInfo",
    "QueueSource",
    "ReceivedMessage",
    "ShardView",
    "StreamRecordView",
    "StreamSource",
]

# ---- queues --------------------------------------------------------------------------------


class QueueSource(Protocol):
    def queue_info(self, arn: str) -> QueueInfo | None:
        """The queue an ARN names, or None if there is none (no I/O)."""
        ...

    async def receive(
        self, arn: str, max_messages: int, wait_s: float, visibility_timeout_s: int | None = None
    ) -> list[ReceivedMessage]:
        """Up to ``max_messages`` (any number, not only 1-10) ready messages, marked in flight;
        waits up to ``wait_s`` for the first one. Applies the queue's redrive policy as a
        ReceiveMessage does. FIFO: in order, never two batches of one group in flight."""
        ...

    async def delete(self, arn: str, receipt_handles: list[str]) -> None:
        """Delete each message whose receipt is still current (stale receipts are ignored)."""
        ...

    async def change_visibility(self, arn: str, receipt_handles: list[str], timeout_s: int) -> None:
        """Make in-flight messages visible again after ``timeout_s`` (0: at once)."""
        ...

    async def backlog(self, arn: str) -> int:
        """Approximate number of visible messages (for poller scaling)."""
        ...


# ---- streams -------------------------------------------------------------------------------
# Sequence numbers are decimal strings, strictly increasing per shard, compared as integers.
# A position is "after sequence number N"; "0" is before every record of a shard.


class StreamSource(Protocol):
    def stream_exists(self, arn: str) -> bool:
        """Whether an active stream has this ARN (no I/O)."""
        ...

    async def shards(self, arn: str) -> list[ShardView]:
        """Every shard that still holds records or is open, parents before children."""
        ...

    async def read(
        self, arn: str, shard_id: str, after: str, limit: int, max_bytes: int
    ) -> list[StreamRecordView]:
        """Up to ``limit`` records of one shard after position ``after`` ("0": from the oldest
        retained), in order, stopping before ``max_bytes`` of data (at least one record)."""
        ...

    async def position_latest(self, arn: str, shard_id: str) -> str:
        """The position just after the shard's newest record ("0" if it has none)."""
        ...

    async def position_at(self, arn: str, shard_id: str, timestamp_ms: int) -> str:
        """The position just before the first record that arrived at or after ``timestamp_ms``."""
        ...

    async def wait(self, arn: str, timeout_s: float) -> None:
        """Return when a record is added to (or a shard changes in) the stream, or after
        ``timeout_s``; never raises for a missing stream (returns after the timeout)."""
        ...
