"""The Store protocol: everything Ovis persists apart from code blobs.

Contract for every implementation:
- Methods are synchronous, thread-safe, and durable on return (a write is committed before the
  method returns; that is what lets the API answer 202 for an async event).
- Values go in and out as models (FunctionConfig) or plain JSON-able data; no ORM objects escape.
- After ``close()`` every method raises; ``close()`` is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ovis.models.function import FunctionConfig


@dataclass(frozen=True)
class LogEvent:
    group: str
    stream: str
    timestamp: int  # ms since the epoch
    message: str
    event_id: int = 0
    ingestion_time: int = 0


@dataclass(frozen=True)
class AsyncEvent:
    event_id: str
    function: str
    qualifier: str
    payload: bytes
    received_ms: int
    attempts: int = 0
    not_before_ms: int = 0


class Store(Protocol):
    # functions
    def put_function(self, cfg: FunctionConfig) -> None: ...
    def get_function(self, name: str, version: str) -> FunctionConfig | None: ...
    def list_functions(self) -> list[FunctionConfig]: ...
    def delete_function(self, name: str) -> None: ...

    # reserved concurrency per function (None removes it)
    def reserved_concurrency(self) -> dict[str, int]: ...
    def put_reserved_concurrency(self, name: str, reserved: int | None) -> None: ...

    # tags, keyed by resource ARN
    def get_tags(self, arn: str) -> dict[str, str]: ...
    def put_tags(self, arn: str, tags: dict[str, str]) -> None: ...
    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None: ...

    # logs
    def append_logs(self, events: Iterable[LogEvent]) -> None: ...
    def filter_logs(
        self, group: str, start_ms: int, end_ms: int, after_id: int, limit: int
    ) -> list[LogEvent]: ...
    def log_groups(self) -> list[tuple[str, int]]: ...
    def log_streams(self, group: str) -> list[tuple[str, int, int]]: ...
    def delete_log_group(self, group: str) -> None: ...

    # durable async invocation queue
    def enqueue_async(self, event: AsyncEvent) -> None: ...
    def due_async(self, now_ms: int, limit: int) -> list[AsyncEvent]: ...
    def finish_async(self, event_id: str) -> None: ...
    def retry_async(self, event_id: str, attempts: int, not_before_ms: int) -> None: ...

    def close(self) -> None: ...
