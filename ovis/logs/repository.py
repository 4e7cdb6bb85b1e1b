"""What the log sink and the Logs API need from storage.

Contract (whatever the backend): synchronous, thread-safe, durable on return;
``append_logs`` stores a batch all-or-nothing and gives each event an id that increases in
insertion order (``filter_logs`` pages on it with ``after_id``). Errors are
``ovis.storage.errors`` types (``StorageClosedError`` after close).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ovis.models.log_event import LogEvent


class LogRepository(Protocol):
    def append_logs(self, events: Iterable[LogEvent]) -> None: ...
    def filter_logs(
        self, group: str, start_ms: int, end_ms: int, after_id: int, limit: int
    ) -> list[LogEvent]:
        """Up to ``limit`` events of ``group`` in [start, end] with id > after_id, by id."""
        ...

    def log_groups(self) -> list[tuple[str, int]]:
        """(group, first ingestion time), by name."""
        ...

    def log_streams(self, group: str) -> list[tuple[str, int, int]]:
        """(stream, first timestamp, last timestamp), by name."""
        ...

    def last_log_id(self) -> int:
        """The id of the newest stored event (0: none)."""
        ...

    def delete_log_group(self, group: str) -> None: ...
