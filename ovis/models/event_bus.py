"""Values of the EventBridge-compatible event buses (ovis.services.events) as the store keeps
them: buses, rules (with their targets), the durable delivery outbox, and when each scheduled
rule last fired."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_BUS = "default"


@dataclass(frozen=True)
class EventBusRecord:
    name: str
    description: str = ""
    created_ms: int = 0
    modified_ms: int = 0


@dataclass(frozen=True)
class RuleRecord:
    """A rule of one bus, as PutRule wrote it, with its targets (PutTargets' ``Target``
    shapes, in the order they were first added). ``schedule_anchor_ms`` is when the rule's
    current ScheduleExpression was set: rate schedules count their periods from it."""

    bus: str
    name: str
    event_pattern: str | None = None
    schedule: str | None = None
    state: str = "ENABLED"
    description: str | None = None
    role_arn: str | None = None
    targets: tuple[dict[str, Any], ...] = field(default=())
    created_ms: int = 0
    schedule_anchor_ms: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "event_pattern": self.event_pattern,
            "schedule": self.schedule,
            "state": self.state,
            "description": self.description,
            "role_arn": self.role_arn,
            "targets": list(self.targets),
            "created_ms": self.created_ms,
            "schedule_anchor_ms": self.schedule_anchor_ms,
        }

    @classmethod
    def from_json(cls, bus: str, name: str, doc: dict[str, Any]) -> RuleRecord:
        return cls(
            bus,
            name,
            doc.get("event_pattern"),
            doc.get("schedule"),
            doc.get("state", "ENABLED"),
            doc.get("description"),
            doc.get("role_arn"),
            tuple(doc.get("targets") or ()),
            int(doc.get("created_ms", 0)),
            int(doc.get("schedule_anchor_ms", 0)),
        )


@dataclass(frozen=True)
class EventDelivery:
    """One event on its way to one target: the outbox row. ``target`` is the JSON of the
    target as it was when the event matched (so a later PutTargets does not change where an
    accepted event goes), ``event`` the event's JSON, ``payload`` what the target receives
    (after Input / InputPath / InputTransformer). ``attempts`` counts failed retriable tries;
    ``hops`` how many bus-to-bus forwards led here."""

    delivery_id: str
    rule_arn: str
    target: str
    event: str
    payload: str
    first_ms: int
    next_ms: int
    attempts: int = 0
    hops: int = 0
