"""Rules and their targets: PutRule, DescribeRule, ListRules, Enable/DisableRule, DeleteRule,
PutTargets, RemoveTargets, ListTargetsByRule, ListRuleNamesByTarget, and which rules match an
event.

State: rules live in memory with their compiled patterns (``ovis.models.event_pattern``, the
one matcher) and are written through to the store before a call returns; writes are serialized
by one lock, so a PutTargets never loses another's targets. ``matching(bus, event)`` is a pure
in-memory scan of the bus's enabled pattern rules. ``on_change`` is called after every change
(the scheduled-rule loop re-plans); ``on_enable`` is awaited when a disabled scheduled rule is
enabled again, before it can fire (the slots it was disabled for are skipped, not fired late).
Contract: event-loop thread only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from ovis.models.event_bus import DEFAULT_BUS, RuleRecord
from ovis.models.event_pattern import EventPattern, compile_pattern
from ovis.models.schedule_expression import (
    ScheduleExpression,
    ScheduleExpressionError,
    parse_rule_schedule_expression,
)
from ovis.services.events import targets
from ovis.services.events.buses import EventBuses
from ovis.services.events.commands import PutRule, PutTargets, RemoveTargets
from ovis.services.events.errors import (
    LimitExceededException,
    ValidationException,
    rule_not_found,
)
from ovis.services.events.paging import page
from ovis.services.events.repository import EventBusRepository, EventTagRepository

ENABLED = "ENABLED"
DISABLED = "DISABLED"


async def _nothing(rule: Rule) -> None:
    return None


@dataclass(frozen=True)
class Rule:
    record: RuleRecord
    arn: str
    pattern: EventPattern | None
    schedule: ScheduleExpression | None = None

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def enabled(self) -> bool:
        return self.record.state != DISABLED

    def to_api(self) -> dict[str, Any]:
        r = self.record
        out: dict[str, Any] = {
            "Name": r.name,
            "Arn": self.arn,
            "State": r.state,
            "EventBusName": r.bus,
        }
        optional = {
            "EventPattern": r.event_pattern,
            "ScheduleExpression": r.schedule,
            "Description": r.description,
            "RoleArn": r.role_arn,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        return out


class Rules:
    def __init__(
        self,
        store: EventBusRepository,
        tags: EventTagRepository,
        buses: EventBuses,
        *,
        can_deliver: Callable[[str], bool],
    ) -> None:
        self.store = store
        self.tags = tags
        self.buses = buses
        self.can_deliver = can_deliver  # whether a target kind has a service behind it
        self.on_change: Callable[[], None] = lambda: None
        self.on_enable: Callable[[Rule], Awaitable[None]] = _nothing
        self._rules: dict[tuple[str, str], Rule] = {}
        # bus -> its enabled pattern rules, in name order: what PutEvents scans
        self._patterns: dict[str, list[Rule]] = {}
        self._lock = asyncio.Lock()

    def arn(self, bus: str, name: str) -> str:
        path = name if bus == DEFAULT_BUS else f"{bus}/{name}"
        return f"arn:aws:events:{self.buses.region}:{self.buses.account}:rule/{path}"

    def _rule(self, record: RuleRecord) -> Rule:
        pattern = compile_pattern(record.event_pattern) if record.event_pattern else None
        schedule = parse_rule_schedule_expression(record.schedule) if record.schedule else None
        return Rule(record, self.arn(record.bus, record.name), pattern, schedule)

    def load(self) -> None:
        self._rules = {(r.bus, r.name): self._rule(r) for r in self.store.event_rules()}
        self._index()

    def _index(self) -> None:
        patterns: dict[str, list[Rule]] = {}
        for (bus, _), rule in sorted(self._rules.items()):
            if rule.enabled and rule.pattern is not None:
                patterns.setdefault(bus, []).append(rule)
        self._patterns = patterns

    def _changed(self) -> None:
        self._index()
        self.on_change()

    # ---- lookups ---------------------------------------------------------------------------

    def get(self, name: str, bus: str | None) -> Rule:
        b = self.buses.resolve(bus)
        rule = self._rules.get((b.name, name))
        if rule is None:
            raise rule_not_found(name, b.name)
        return rule

    def by_arn(self, arn: str) -> Rule | None:
        return next((r for r in self._rules.values() if r.arn == arn), None)

    def on_bus(self, bus: str) -> list[Rule]:
        return [r for (b, _), r in sorted(self._rules.items()) if b == bus]

    def matching(self, bus: str, event: dict[str, Any]) -> list[Rule]:
        """The enabled pattern rules of ``bus`` that ``event`` matches (in name order)."""
        return [r for r in self._patterns.get(bus, ()) if r.pattern and r.pattern.matches(event)]

    def scheduled(self) -> list[Rule]:
        return [r for r in self._rules.values() if r.schedule is not None and r.enabled]

    # ---- rules -----------------------------------------------------------------------------

    async def put_rule(self, cmd: PutRule) -> Rule:
        if not cmd.event_pattern and not cmd.schedule:
            raise ValidationException(
                "Parameter(s) EventPattern or ScheduleExpression must be specified."
            )
        bus = self.buses.resolve(cmd.bus)
        if cmd.schedule:
            if bus.name != DEFAULT_BUS:
                raise ValidationException(
                    "ScheduleExpression is supported only on the default event bus."
                )
            try:
                parse_rule_schedule_expression(cmd.schedule)
            except ScheduleExpressionError as e:
                raise ValidationException(e.message) from None
        if cmd.event_pattern:
            compile_pattern(cmd.event_pattern)  # InvalidEventPatternException, as AWS words it
        async with self._lock:
            now = int(time.time() * 1000)
            old = self._rules.get((bus.name, cmd.name))
            anchor = now
            if old is not None and old.record.schedule == cmd.schedule:
                anchor = old.record.schedule_anchor_ms
            record = RuleRecord(
                bus.name,
                cmd.name,
                cmd.event_pattern or None,
                cmd.schedule or None,
                cmd.state or ENABLED,
                cmd.description,
                cmd.role_arn,
                old.record.targets if old is not None else (),
                old.record.created_ms if old is not None else now,
                anchor,
            )
            if old is not None and not old.enabled and record.state != DISABLED:
                await self.on_enable(self._rule(record))
            rule = await self._save(record)
            if cmd.tags:
                await asyncio.to_thread(self.tags.put_tags, rule.arn, dict(cmd.tags))
        return rule

    async def _save(self, record: RuleRecord) -> Rule:
        rule = self._rule(record)
        await asyncio.to_thread(self.store.put_event_rule, record)
        self._rules[(record.bus, record.name)] = rule
        self._changed()
        return rule

    async def set_state(self, name: str, bus: str | None, state: str) -> None:
        async with self._lock:
            rule = self.get(name, bus)
            if rule.record.state != state:
                if not rule.enabled:
                    await self.on_enable(rule)
                await self._save(replace(rule.record, state=state))

    async def delete_rule(self, name: str, bus: str | None, force: bool = False) -> None:
        """AWS: deleting a missing rule succeeds; one with targets is refused."""
        async with self._lock:
            b = self.buses.resolve(bus)
            rule = self._rules.get((b.name, name))
            if rule is None:
                return
            if rule.record.targets and not force:
                raise ValidationException("Rule can't be deleted since it has targets.")
            await asyncio.to_thread(self.store.delete_event_rule, b.name, name, rule.arn)
            await asyncio.to_thread(self.tags.delete_tags, rule.arn)
            self._rules.pop((b.name, name), None)
            self._changed()

    def forget_bus(self, bus: str) -> list[Rule]:
        """Drop a deleted bus's rules from memory (the store dropped them with the bus)."""
        gone = [r for (b, _), r in self._rules.items() if b == bus]
        for r in gone:
            self._rules.pop((bus, r.name), None)
        self._changed()
        return gone

    def list_rules(
        self, bus: str | None, prefix: str | None, limit: int | None, token: str | None
    ) -> tuple[list[Rule], str | None]:
        b = self.buses.resolve(bus)
        rules = [r for r in self.on_bus(b.name) if r.name.startswith(prefix or "")]
        return page(rules, limit, token)

    def rule_names_by_target(
        self, target_arn: str, bus: str | None, limit: int | None, token: str | None
    ) -> tuple[list[str], str | None]:
        b = self.buses.resolve(bus)
        names = [
            r.name
            for r in self.on_bus(b.name)
            if any(t["Arn"] == target_arn for t in r.record.targets)
        ]
        return page(names, limit, token)

    # ---- targets ---------------------------------------------------------------------------

    async def put_targets(self, cmd: PutTargets) -> list[dict[str, Any]]:
        """Add or replace targets by Id; answers the failed entries (TargetId, ErrorCode,
        ErrorMessage) of targets this server cannot deliver to. Invalid settings refuse the
        whole request, as AWS does."""
        ids = [t["Id"] for t in cmd.targets]
        if len(set(ids)) != len(ids):
            raise ValidationException("The request contains duplicate target ids.")
        for t in cmd.targets:
            targets.check_target(t)
        async with self._lock:
            rule = self.get(cmd.rule, cmd.bus)
            failed: list[dict[str, Any]] = []
            current = {t["Id"]: t for t in rule.record.targets}
            for t in cmd.targets:
                k = targets.kind(t["Arn"])
                if k is None or not self.can_deliver(k):
                    failed.append(
                        {
                            "TargetId": t["Id"],
                            "ErrorCode": "ValidationException",
                            "ErrorMessage": f"Target {t['Arn']} is not a resource this server "
                            "delivers to (Lambda functions, SQS queues, SNS topics, event "
                            "buses).",
                        }
                    )
                    continue
                current[t["Id"]] = dict(t)
            if len(current) > targets.MAX_TARGETS_PER_RULE:
                raise LimitExceededException(
                    f"The requested resource exceeds the maximum number allowed: a rule can have "
                    f"at most {targets.MAX_TARGETS_PER_RULE} targets."
                )
            if len(failed) < len(cmd.targets):
                await self._save(replace(rule.record, targets=tuple(current.values())))
        return failed

    async def remove_targets(self, cmd: RemoveTargets) -> list[dict[str, Any]]:
        async with self._lock:
            rule = self.get(cmd.rule, cmd.bus)
            gone = set(cmd.ids)
            kept = tuple(t for t in rule.record.targets if t["Id"] not in gone)
            if len(kept) != len(rule.record.targets):
                await self._save(replace(rule.record, targets=kept))
        return []

    def list_targets(
        self, rule: str, bus: str | None, limit: int | None, token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        return page(list(self.get(rule, bus).record.targets), limit, token)
