"""The poller protocol the runner drives, and the counts every poller keeps.

Contract: the runner builds one poller per enabled mapping (``PollerFactory``) and runs
``run()`` in a supervised loop named ``esm:<uuid>``: ``run`` works until cancelled; if it
raises, the supervisor reports it, backs off and calls it again, so ``run`` must resume from
durable state (SQS: the queue itself; streams: stored checkpoints), never from memory alone.
``close()`` is called after the loop is stopped (disable, update, delete, shutdown) and must
leave durable state consistent; it is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ovis.models.event_source_mapping import EventSourceMapping


@dataclass
class MappingStats:
    """Counts since the server started (metrics are served by a later issue)."""

    polled: int = 0  # items read from the source
    filtered_out: int = 0  # items dropped by FilterCriteria
    processed: int = 0  # items whose batch succeeded (or that the function did not report failed)
    failed: int = 0  # items that failed a batch (each failure of a retried item counts)
    dropped: int = 0  # items given up on (sent to OnFailure, or discarded after retries/age)
    invocations: int = 0
    throttles: int = 0
    iterator_age_ms: int = 0  # streams: age of the last record read when it was read
    last_processing_result: str = "No records processed"  # "OK" | "PROBLEM: ..." as AWS


class Poller(Protocol):
    stats: MappingStats

    async def run(self) -> None: ...
    async def close(self) -> None: ...


PollerFactory = Callable[[EventSourceMapping], Poller]
