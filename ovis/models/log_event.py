"""One stored log line of a function (CloudWatch Logs shape)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogEvent:
    group: str
    stream: str
    timestamp: int  # ms since the epoch
    message: str
    event_id: int = 0  # assigned by the store, increasing in insertion order
    ingestion_time: int = 0
