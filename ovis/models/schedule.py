"""EventBridge Scheduler values: schedule groups, schedules and their recorded fires.

Contract:
- Values are frozen; times are epoch milliseconds (UTC).
- ``Schedule.target`` is the API's Target member as stored (RetryPolicy defaults filled in), so
  GetSchedule answers exactly what was accepted.
- ``Schedule.next_fire_ms`` is the nominal time of the next fire (None: never again) and
  ``next_due_ms`` the moment it is due: the same, or a random moment within a FLEXIBLE window
  after it. ``last_fired_ms`` is the nominal time of the last recorded fire: a fire is recorded
  at most once per nominal time (the store refuses one that is not later).
- ``Fire`` is one recorded invocation waiting for delivery (the durable outbox): it carries its
  own copy of the target, so delivery does not depend on the schedule still existing.
- ``Schedule.next_after(after_ms)`` applies StartDate/EndDate (ignored for one-time schedules,
  as AWS documents) around the expression's own ``next_fire``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ovis.models.schedule_expression import ScheduleExpression, parse_schedule_expression

DEFAULT_GROUP = "default"
DEFAULT_MAX_EVENT_AGE_S = 86400
DEFAULT_MAX_RETRIES = 185


@functools.lru_cache(maxsize=4096)
def parsed_expression(text: str, timezone: str | None) -> ScheduleExpression:
    """The parsed expression (cached: schedules re-evaluate theirs on every fire)."""
    return parse_schedule_expression(text, timezone)


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def schedule_arn(region: str, account: str, group: str, name: str) -> str:
    return f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}"


def group_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:scheduler:{region}:{account}:schedule-group/{name}"


@dataclass(frozen=True)
class ScheduleGroup:
    name: str
    arn: str
    created_ms: int
    modified_ms: int
    client_token: str = ""


@dataclass(frozen=True)
class Schedule:
    group: str
    name: str
    arn: str
    expression: str
    timezone: str | None
    start_ms: int | None
    end_ms: int | None
    description: str | None
    state: str  # ENABLED | DISABLED
    flexible_mode: str  # OFF | FLEXIBLE
    flexible_window_min: int | None
    action_after_completion: str  # NONE | DELETE
    kms_key_arn: str | None
    target: dict[str, Any] = field(hash=False, compare=True)
    client_token: str = ""
    created_ms: int = 0
    modified_ms: int = 0
    next_fire_ms: int | None = None
    next_due_ms: int | None = None
    last_fired_ms: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.name)

    @property
    def parsed(self) -> ScheduleExpression:
        return parsed_expression(self.expression, self.timezone)

    @property
    def max_event_age_s(self) -> int:
        policy = self.target.get("RetryPolicy") or {}
        return int(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S))

    def next_after(self, after_ms: int) -> int | None:
        """The first nominal fire strictly after ``after_ms`` within StartDate/EndDate."""
        expr = self.parsed
        if expr.one_time:
            nxt = expr.next_fire(_dt(after_ms))
            return _ms(nxt) if nxt is not None else None
        lower = after_ms
        if self.start_ms is not None and self.start_ms - 1 > lower:
            lower = self.start_ms - 1  # fires may happen on the StartDate itself
        anchor = self.start_ms if self.start_ms is not None else self.created_ms
        nxt = expr.next_fire(_dt(lower), anchor=_dt(anchor))
        if nxt is None:
            return None
        out = _ms(nxt)
        if self.end_ms is not None and out >= self.end_ms:
            return None
        return out

    def target_json(self) -> str:
        return json.dumps(self.target, sort_keys=True)


@dataclass(frozen=True)
class Fire:
    """One recorded fire of a schedule, waiting in the outbox until delivered or dead-lettered."""

    execution_id: str
    schedule_arn: str
    group: str
    name: str
    target: dict[str, Any] = field(hash=False)
    fire_ms: int = 0  # the nominal fire time (what the event's age counts from)
    due_ms: int = 0  # the next delivery attempt
    attempts: int = 0  # failed attempts so far

    @property
    def max_event_age_s(self) -> int:
        policy = self.target.get("RetryPolicy") or {}
        return int(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S))

    @property
    def max_retries(self) -> int:
        policy = self.target.get("RetryPolicy") or {}
        return int(policy.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES))


@dataclass(frozen=True)
class FireRecord:
    """One due schedule's step, written atomically by the store: the schedule moves from
    ``expected_next_ms`` to ``next_fire_ms``/``next_due_ms`` (or is deleted), and ``fire`` (when
    not None: the fire was not skipped) enters the outbox. Refused unless the stored schedule
    still has ``expected_next_ms`` and ``fired_ms`` is later than its last recorded fire."""

    group: str
    name: str
    expected_next_ms: int
    fired_ms: int
    next_fire_ms: int | None
    next_due_ms: int | None
    delete: bool
    fire: Fire | None


@dataclass(frozen=True)
class ScheduleWrite:
    """One API change of a schedule: ``schedule`` None deletes ``key``; with ``keep_timer`` the
    stored timer state (next fire, due, last fire) is kept and only the definition replaced."""

    key: tuple[str, str]
    schedule: Schedule | None
    keep_timer: bool = False
