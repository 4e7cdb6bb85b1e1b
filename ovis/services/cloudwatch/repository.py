"""What CloudWatch needs from storage: datapoints, the metrics they name, alarms and their
history.

Contract (whatever the backend): synchronous, thread-safe, durable on return; every write is
one transaction (a batch of datapoints is stored all-or-nothing). Errors are
``ovis.storage.errors`` types (``StorageClosedError`` after close).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ovis.models.metric import Alarm, AlarmHistoryItem, AlarmState, Datum, MetricKey


class MetricRepository(Protocol):
    def put_data(self, data: Sequence[Datum]) -> None:
        """Store the datapoints and mark their metrics as seen at the time of the write."""
        ...

    def data(self, key: MetricKey, start_ms: int, end_ms: int) -> list[Datum]:
        """The datapoints of ``key`` with start <= timestamp < end, by timestamp."""
        ...

    def metrics(
        self, namespace: str | None, name: str | None, seen_since_ms: int
    ) -> list[tuple[MetricKey, int]]:
        """(metric, last put ms) of every metric matching (None: any) last put at or after
        ``seen_since_ms``, ordered by namespace, name, dimensions."""
        ...


class RetentionRepository(Protocol):
    """What the retention loop needs: each call one short transaction, at most ``limit`` rows,
    answering how many it handled (0: nothing left older than the time)."""

    def roll_up(self, period_s: int, before_ms: int, to_period_s: int, limit: int) -> int:
        """Merge rows of resolution ``period_s`` older than ``before_ms`` into rows of
        ``to_period_s`` (statistics and distributions added up)."""
        ...

    def delete_data(self, period_s: int, before_ms: int, limit: int) -> int: ...

    def forget_metrics(self, last_put_before_ms: int) -> int:
        """Drop the metrics last put before the time (ListMetrics no longer lists them)."""
        ...


class AlarmRepository(Protocol):
    def put_alarm(self, alarm: Alarm, history: AlarmHistoryItem) -> None:
        """Create or replace the alarm (keyed by name) and record ``history``, together."""
        ...

    def alarms(self) -> list[Alarm]:
        """Every alarm, by name."""
        ...

    def alarm(self, name: str) -> Alarm | None: ...

    def delete_alarms(self, names: Sequence[str]) -> None:
        """The alarms and their history."""
        ...

    def set_alarm_state(
        self, name: str, state: AlarmState, history: AlarmHistoryItem, transitioned: bool
    ) -> bool:
        """Set the state (and the transition time when ``transitioned``) and record ``history``
        together; False (nothing written) if the alarm is gone."""
        ...

    def set_actions_enabled(self, names: Sequence[str], enabled: bool) -> None: ...

    def add_history(self, item: AlarmHistoryItem) -> None: ...

    def history(
        self, name: str | None, item_type: str | None, start_ms: int, end_ms: int
    ) -> list[AlarmHistoryItem]:
        """History items in [start, end], newest first."""
        ...


class CloudWatchRepository(MetricRepository, RetentionRepository, AlarmRepository, Protocol):
    """Both, as one backend object provides them (``SqliteStorage.metrics``)."""
