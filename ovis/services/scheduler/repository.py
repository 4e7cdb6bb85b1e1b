"""What the scheduler stores: schedule groups, schedules (definition and timer state) and the
outbox of recorded fires; and the tags of groups (kept with every other resource's tags).

Contract (whatever the backend): synchronous, thread-safe, durable on return; every call is one
transaction, all-or-nothing. Errors are ``ovis.storage.errors`` types.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ovis.models.schedule import Fire, FireRecord, Schedule, ScheduleGroup, ScheduleWrite


class ScheduleRepository(Protocol):
    def schedule_groups(self) -> list[ScheduleGroup]: ...
    def put_schedule_group(self, group: ScheduleGroup) -> None: ...
    def delete_schedule_group(self, name: str) -> None:
        """The group and every schedule in it (not their recorded fires, nor the tags)."""
        ...

    def schedules(self) -> list[Schedule]: ...
    def write_schedules(self, writes: list[ScheduleWrite]) -> None:
        """Apply ``writes`` in order (see ``ScheduleWrite``). An upsert keeps the stored
        ``last_fired_ms`` when it is later than the new one; a ``keep_timer`` write of a
        schedule that is not stored writes nothing."""
        ...

    def record_fires(self, records: list[FireRecord]) -> list[bool]:
        """Apply each record (see ``FireRecord``); answers, per record, whether it applied."""
        ...

    def schedule_fires(self) -> list[Fire]:
        """The outbox: every recorded fire not yet finished."""
        ...

    def finish_fires(self, done: list[str], retry: list[tuple[str, int, int]]) -> None:
        """Remove the fires ``done`` (execution ids); set (attempts, due_ms) of ``retry``."""
        ...


class GroupTagRepository(Protocol):
    """Tags by ARN; ``put_tags`` adds or overwrites keys, ``delete_tags(arn)`` drops all."""

    def get_tags(self, arn: str) -> dict[str, str]: ...
    def put_tags(self, arn: str, tags: dict[str, str]) -> None: ...
    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None: ...
