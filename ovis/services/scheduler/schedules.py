"""Schedules: Create/Get/Update/Delete/ListSchedules over the store, and the timer's view.

State: schedules live in memory (loaded at start) and every change is written through (a group
commit: concurrent calls share one fsync) before the API answers, so an acknowledged
CreateSchedule survives a kill -9. Creating computes the first fire (``next_fire_ms``, and
``next_due_ms`` a random moment within a FLEXIBLE window after it); UpdateSchedule replaces the
whole definition and recomputes the next fire from now when anything that decides it changed
(expression, timezone, dates, window, state), else keeps it. A DISABLED schedule has no next
fire; enabling it again starts from now (fires missed while disabled are not made up, as AWS).

Idempotency: CreateSchedule repeated with the ClientToken that created the schedule answers its
ARN again instead of ConflictException.

The timer's view: a heap of (next_due_ms, schedule) in memory, pushed on every change and read
lazily (an entry that no longer matches its schedule is dropped when it reaches the top), so
finding the next due schedule costs O(log n). ``on_change`` is called after every committed
change (the timer re-arms on it).
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ovis.models.schedule import Schedule, ScheduleWrite, parsed_expression, schedule_arn
from ovis.models.schedule_expression import ScheduleExpressionError
from ovis.services.scheduler.commands import ListSchedules, PutSchedule
from ovis.services.scheduler.errors import (
    ConflictException,
    ServiceQuotaExceededException,
    ValidationException,
    group_not_found,
    schedule_not_found,
)
from ovis.services.scheduler.groups import GroupService
from ovis.services.scheduler.repository import ScheduleRepository
from ovis.services.scheduler.targets import Targets
from ovis.storage.group_commit import GroupCommit

MAX_SCHEDULES = 1_000_000  # AWS's default quota per account and region
_TIMING = (
    "expression",
    "timezone",
    "start_ms",
    "end_ms",
    "flexible_mode",
    "flexible_window_min",
    "state",
)


def now_ms() -> int:
    return int(time.time() * 1000)


def due_for(s: Schedule, nominal: int | None) -> int | None:
    """When a fire at ``nominal`` is due: then, or randomly within the flexible window."""
    if nominal is None:
        return None
    if s.flexible_mode == "FLEXIBLE" and s.flexible_window_min:
        return nominal + random.randint(0, s.flexible_window_min * 60_000)
    return nominal


def with_next(s: Schedule, after_ms: int) -> Schedule:
    """``s`` with its next fire computed strictly after ``after_ms`` (none when disabled).

    A one-time schedule's fire stays pending until recorded, even when its time is already
    past (created late, or the server was down): the timer then fires it if it is within
    MaximumEventAgeInSeconds, like any late fire, and skips it otherwise."""
    if s.state != "ENABLED":
        return replace(s, next_fire_ms=None, next_due_ms=None)
    if s.parsed.one_time:
        at = s.next_after(-1)
        fired = s.last_fired_ms is not None and at is not None and at <= s.last_fired_ms
        nxt = None if fired else at
    else:
        nxt = s.next_after(after_ms)
    return replace(s, next_fire_ms=nxt, next_due_ms=due_for(s, nxt))


class ScheduleService:
    def __init__(
        self,
        store: ScheduleRepository,
        groups: GroupService,
        targets: Targets,
        region: str,
        account: str,
    ) -> None:
        self.store = store
        self.groups = groups
        self.targets = targets
        self.region = region
        self.account = account
        self._schedules: dict[tuple[str, str], Schedule] = {}
        self._pending: dict[tuple[str, str], Schedule] = {}  # created, not yet committed
        # (next_due_ms, key, next_fire_ms) of every schedule with a next fire; entries that no
        # longer match the schedule in memory are stale and dropped when they surface.
        self._due: list[tuple[int, tuple[str, str], int]] = []
        self.on_change: Callable[[], None] = lambda: None
        # Concurrent API writes share one transaction (one fsync), applied in arrival order.
        self._writes: GroupCommit[ScheduleWrite] = GroupCommit(store.write_schedules)
        groups.on_deleted = self._forget_group

    def load(self) -> None:
        """Read every schedule (after the groups); one whose next fire was already recorded
        moves past it, one left in a deleted group (a create that raced DeleteScheduleGroup)
        is deleted."""
        fixes: list[Schedule] = []
        orphans: list[ScheduleWrite] = []
        for s in self.store.schedules():
            if not self.groups.exists(s.group):
                orphans.append(ScheduleWrite(s.key, None))
                continue
            if (
                s.next_fire_ms is not None
                and s.last_fired_ms is not None
                and s.next_fire_ms <= s.last_fired_ms
            ):
                s = with_next(s, s.last_fired_ms)
                fixes.append(s)
            self._set(s)
        if fixes or orphans:
            self.store.write_schedules([ScheduleWrite(f.key, f) for f in fixes] + orphans)

    # ---- what the timer sees -------------------------------------------------------------

    def _set(self, s: Schedule) -> None:
        self._schedules[s.key] = s
        if s.next_due_ms is not None and s.next_fire_ms is not None:
            heapq.heappush(self._due, (s.next_due_ms, s.key, s.next_fire_ms))
            if len(self._due) > 2 * len(self._schedules) + 1024:  # too many stale entries
                self._due = [e for e in self._due if self._live(e)]
                heapq.heapify(self._due)

    def _live(self, entry: tuple[int, tuple[str, str], int]) -> bool:
        s = self._schedules.get(entry[1])
        return s is not None and s.next_due_ms == entry[0] and s.next_fire_ms == entry[2]

    def next_due(self) -> int | None:
        """The earliest next_due_ms of any schedule (None: nothing will fire)."""
        while self._due and not self._live(self._due[0]):
            heapq.heappop(self._due)
        return self._due[0][0] if self._due else None

    def take_due(self, now: int) -> list[Schedule]:
        """The schedules due at ``now``, taken off the timer's heap (the timer records their
        fires; the schedule it leaves behind re-enters the heap through ``fired``)."""
        out: list[Schedule] = []
        while (due := self.next_due()) is not None and due <= now:
            _, key, _ = heapq.heappop(self._due)
            out.append(self._schedules[key])
        return out

    def requeue(self, s: Schedule) -> None:
        """Put ``s`` back on the heap if it is still the schedule in memory."""
        if self._schedules.get(s.key) is s:
            self._set(s)

    def current(self, key: tuple[str, str]) -> Schedule | None:
        return self._schedules.get(key)

    def fired(self, before: Schedule, after: Schedule | None) -> None:
        """The timer recorded a fire of ``before``: keep ``after`` (None: deleted) unless the
        API changed the schedule meanwhile."""
        now = self._schedules.get(before.key)
        if now is None or now.next_fire_ms != before.next_fire_ms:
            return
        if after is None:
            del self._schedules[before.key]
        else:
            # Only the timer state moves: the definition may be a newer one (an UpdateSchedule
            # that kept the timing committed meanwhile).
            self._set(
                replace(
                    now,
                    next_fire_ms=after.next_fire_ms,
                    next_due_ms=after.next_due_ms,
                    last_fired_ms=after.last_fired_ms,
                )
            )

    # ---- API ---------------------------------------------------------------------------

    def _build(self, cmd: PutSchedule, created_ms: int, now: int) -> Schedule:
        try:
            expr = parsed_expression(cmd.expression, cmd.timezone)
        except ScheduleExpressionError as e:
            raise ValidationException(e.message) from None
        if cmd.flexible_mode == "FLEXIBLE" and cmd.flexible_window_min is None:
            raise ValidationException(
                "MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE."
            )
        if cmd.flexible_mode == "OFF" and cmd.flexible_window_min is not None:
            raise ValidationException(
                "MaximumWindowInMinutes is only valid when FlexibleTimeWindow Mode is FLEXIBLE."
            )
        if not expr.one_time:
            if cmd.start_ms is not None and cmd.end_ms is not None and cmd.start_ms >= cmd.end_ms:
                raise ValidationException("The StartDate must be before the EndDate.")
            if cmd.end_ms is not None and cmd.end_ms <= now:
                raise ValidationException("The EndDate must be in the future.")
        target = self.targets.check(cmd.target)
        return Schedule(
            group=cmd.group,
            name=cmd.name,
            arn=schedule_arn(self.region, self.account, cmd.group, cmd.name),
            expression=cmd.expression,
            timezone=cmd.timezone,
            start_ms=cmd.start_ms,
            end_ms=cmd.end_ms,
            description=cmd.description,
            state=cmd.state,
            flexible_mode=cmd.flexible_mode,
            flexible_window_min=cmd.flexible_window_min,
            action_after_completion=cmd.action_after_completion,
            kms_key_arn=cmd.kms_key_arn,
            target=target,
            client_token=cmd.client_token,
            created_ms=created_ms,
            modified_ms=now,
        )

    async def create(self, cmd: PutSchedule) -> str:
        self.groups.require(cmd.group)
        key = (cmd.group, cmd.name)
        existing = self._schedules.get(key) or self._pending.get(key)
        if existing is not None:
            if cmd.client_token and existing.client_token == cmd.client_token:
                return existing.arn
            raise ConflictException(f"Schedule {cmd.name} already exists.")
        if len(self._schedules) + len(self._pending) >= MAX_SCHEDULES:
            raise ServiceQuotaExceededException(
                f"The quota of {MAX_SCHEDULES} schedules is reached."
            )
        now = now_ms()
        schedule = with_next(self._build(cmd, now, now), now - 1)
        self._pending[key] = schedule
        try:
            await self._writes.submit(ScheduleWrite(key, schedule))
        finally:
            self._pending.pop(key, None)
        if not self.groups.exists(cmd.group):
            # DeleteScheduleGroup ran meanwhile: the group and what it held are gone.
            await self._writes.submit(ScheduleWrite(key, None))
            raise group_not_found(cmd.group)
        self._set(schedule)
        self.on_change()
        return schedule.arn

    def get(self, group: str, name: str) -> Schedule:
        self.groups.require(group)
        s = self._schedules.get((group, name))
        if s is None:
            raise schedule_not_found(name)
        return s

    async def update(self, cmd: PutSchedule) -> str:
        old = self.get(cmd.group, cmd.name)
        now = now_ms()
        new = self._build(cmd, old.created_ms, now)
        new = replace(new, client_token=old.client_token)
        keep_timer = all(getattr(new, f) == getattr(old, f) for f in _TIMING)
        if not keep_timer:
            new = with_next(replace(new, last_fired_ms=old.last_fired_ms), now - 1)
            same_time = (new.expression, new.timezone) == (old.expression, old.timezone)
            if new.parsed.one_time and same_time and (new.next_fire_ms or now + 1) <= now:
                # Re-enabled (or re-windowed) after its time: a fire missed while disabled is
                # not made up.
                new = replace(new, next_fire_ms=None, next_due_ms=None)
        await self._writes.submit(ScheduleWrite(new.key, new, keep_timer))
        if keep_timer:
            # The timer may have recorded a fire meanwhile: its progress stands.
            current = self._schedules.get(new.key, old)
            new = replace(
                new,
                next_fire_ms=current.next_fire_ms,
                next_due_ms=current.next_due_ms,
                last_fired_ms=current.last_fired_ms,
            )
        if self.groups.exists(cmd.group):
            self._set(new)
        self.on_change()
        return new.arn

    async def delete(self, group: str, name: str) -> None:
        s = self.get(group, name)
        # Gone from the timer's view at once: nothing fires it while the delete commits.
        del self._schedules[s.key]
        try:
            await self._writes.submit(ScheduleWrite(s.key, None))
        except BaseException:
            self._schedules.setdefault(s.key, s)
            raise
        self.on_change()

    def list(self, cmd: ListSchedules) -> tuple[list[Schedule], str | None]:
        if cmd.group is not None:
            self.groups.require(cmd.group)
        items = sorted(self._schedules.values(), key=lambda s: (s.name, s.group))
        if cmd.group is not None:
            items = [s for s in items if s.group == cmd.group]
        if cmd.name_prefix:
            items = [s for s in items if s.name.startswith(cmd.name_prefix)]
        if cmd.state:
            items = [s for s in items if s.state == cmd.state]
        if cmd.next_token:
            after = _token(cmd.next_token)
            items = [s for s in items if (s.name, s.group) > after]
        limit = cmd.max_results or 100
        page = items[:limit]
        token = None
        if len(items) > limit:
            last = page[-1]
            token = base64.urlsafe_b64encode(json.dumps([last.name, last.group]).encode()).decode()
        return page, token

    def _forget_group(self, group: str) -> None:
        for key in [k for k in self._schedules if k[0] == group]:
            del self._schedules[key]
        self.on_change()


def _token(token: str) -> tuple[str, str]:
    try:
        name, group = json.loads(base64.urlsafe_b64decode(token.encode()))
        return (str(name), str(group))
    except (ValueError, TypeError, binascii.Error):
        raise ValidationException("The NextToken is not valid.") from None


def describe(s: Schedule) -> dict[str, Any]:
    """GetSchedule's output members."""
    out: dict[str, Any] = {
        "Arn": s.arn,
        "GroupName": s.group,
        "Name": s.name,
        "ScheduleExpression": s.expression,
        "ScheduleExpressionTimezone": s.timezone or "UTC",
        "State": s.state,
        "CreationDate": s.created_ms / 1000,
        "LastModificationDate": s.modified_ms / 1000,
        "Target": s.target,
        "FlexibleTimeWindow": {"Mode": s.flexible_mode},
        "ActionAfterCompletion": s.action_after_completion,
    }
    if s.flexible_window_min is not None:
        out["FlexibleTimeWindow"]["MaximumWindowInMinutes"] = s.flexible_window_min
    if s.start_ms is not None:
        out["StartDate"] = s.start_ms / 1000
    if s.end_ms is not None:
        out["EndDate"] = s.end_ms / 1000
    if s.description is not None:
        out["Description"] = s.description
    if s.kms_key_arn is not None:
        out["KmsKeyArn"] = s.kms_key_arn
    return out


def summary(s: Schedule) -> dict[str, Any]:
    return {
        "Arn": s.arn,
        "Name": s.name,
        "GroupName": s.group,
        "State": s.state,
        "CreationDate": s.created_ms / 1000,
        "LastModificationDate": s.modified_ms / 1000,
        "Target": {"Arn": s.target["Arn"]},
    }
