"""What every part of one stream poller shares while it runs: the mapping, its source, target,
record shape, filter, stats, checkpoint writer, OnFailure sender and tuning.

``BatchTarget`` is what the poller needs of a function (``FunctionTarget`` satisfies it);
``StreamOptions`` are the delays of error handling (tests and benches scale them down).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ovis.invoke.invoker import InvokeResult
from ovis.models.event_source_mapping import EventSourceMapping
from ovis.services.lambda_.esm.filters import RecordFilter
from ovis.services.lambda_.esm.kinesis_records import RecordShape
from ovis.services.lambda_.esm.on_failure import FailureSender
from ovis.services.lambda_.esm.poller import MappingStats
from ovis.services.lambda_.esm.sources import StreamSource
from ovis.services.lambda_.esm.stream_checkpoint_writer import CheckpointWriter


class BatchTarget(Protocol):
    function_arn: str

    async def invoke(self, payload: bytes) -> InvokeResult: ...

    def iterator_age(self, age_ms: float) -> None:
        """Record the age of a batch's last record as it is handed over (IteratorAge)."""
        ...


@dataclass(frozen=True)
class StreamOptions:
    retry_backoff_s: tuple[float, float] = (0.05, 2.0)  # between retries of a failed batch
    throttle_backoff_s: tuple[float, float] = (0.1, 5.0)  # throttled or missing function
    delivery_backoff_s: tuple[float, float] = (0.5, 10.0)  # an undeliverable OnFailure record
    window_grace_ms: int = 50  # a tumbling window closes this long after its end
    shard_refresh_s: float = 1.0  # longest wait between looks at the stream's shards
    buffer_records: int = 2000  # read ahead per shard at least this many records...
    buffer_bytes: int = 32 * 1024 * 1024  # ...but no more than this much data


def backoff(limits: tuple[float, float], attempt: int) -> float:
    """Exponential from ``limits[0]``, doubling per attempt (1, 2, ...), capped at ``limits[1]``."""
    return float(min(limits[1], limits[0] * 2 ** max(0, min(attempt - 1, 30))))


@dataclass
class StreamContext:
    mapping: EventSourceMapping
    source: StreamSource
    target: BatchTarget
    shape: RecordShape
    filter: RecordFilter
    writer: CheckpointWriter
    failures: FailureSender
    identity: Callable[[], str]  # invokeIdentityArn: the function's execution role
    options: StreamOptions = field(default_factory=StreamOptions)
    stats: MappingStats = field(default_factory=MappingStats)

    @property
    def arn(self) -> str:
        return self.mapping.event_source_arn
