"""What event sources hand to pollers: received queue messages and stream records, queue and
shard descriptions. Frozen values shared by the services that are sources (sqs, kinesis, later
dynamodb streams) and the event source mapping pollers (protocols in
``ovis.services.lambda_.esm.sources``), so neither package imports the other.

Stream sequence numbers are decimal strings, strictly increasing per shard, compared as
integers. A position is "after sequence number N"; "0" is before every record of a shard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class QueueInfo:
    arn: str
    url: str
    fifo: bool
    visibility_timeout_s: int


@dataclass(frozen=True)
class ReceivedMessage:
    """One received message, with what a Lambda SQS record carries.

    ``attributes``: the system attributes as SQS names them (ApproximateReceiveCount,
    SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp; on FIFO queues also
    SequenceNumber, MessageGroupId, MessageDeduplicationId; AWSTraceHeader when set).
    ``message_attributes``: in the API's shape ({"DataType", "StringValue" | "BinaryValue"}).
    """

    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str
    attributes: dict[str, str]
    message_attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    md5_of_message_attributes: str | None = None


@dataclass(frozen=True)
class ShardView:
    shard_id: str
    parent_shard_id: str | None
    adjacent_parent_shard_id: str | None
    starting_sequence: str
    ending_sequence: str | None  # set once the shard is closed (split, merge)

    @property
    def closed(self) -> bool:
        return self.ending_sequence is not None


@dataclass(frozen=True)
class StreamRecordView:
    sequence_number: str
    partition_key: str
    data: bytes
    arrival_ms: int
