"""Scheduled rules: each enabled rule with a ScheduleExpression fires once per slot, putting a
"Scheduled Event" (source ``aws.events``, the rule's ARN as resource) to its own targets.

Contract:
- Slots come from the shared parser (``ovis.models.schedule_expression``: rate and AWS's
  6-field cron, UTC). A rate schedule starts when its expression was set: its first slot is
  that moment, then one per period.
- Firing a slot stores its deliveries and the slot it fired for in one transaction
  (``fire_schedule``), so a slot fires once even across a kill -9; after a restart the loop
  continues from the last slot fired. Slots missed while the server was down fire once, for
  the latest of them, not once each; slots of a disabled rule never fire (``skip_missed``
  records "fired up to now" when it is enabled again).
- ``step()`` (the supervised ``events-schedules`` loop) fires what is due, then waits until
  the next slot or until a rule changes (``replan``); it never polls.
- ``time_scale`` shrinks rate periods (tests); cron slots are wall-clock times and unscaled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from datetime import UTC, datetime

from ovis.services.events.delivery import Deliveries, plan
from ovis.services.events.event import scheduled
from ovis.services.events.repository import EventBusRepository
from ovis.services.events.rules import Rule, Rules

LOOP = "events-schedules"
MAX_CATCH_UP = 100_000  # bounds the walk to the latest missed slot


def _now_ms() -> int:
    return int(time.time() * 1000)


def _dt(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class ScheduledRules:
    def __init__(
        self,
        rules: Rules,
        store: EventBusRepository,
        deliveries: Deliveries,
        account: str,
        region: str,
        time_scale: float = 1.0,
    ) -> None:
        self.rules = rules
        self.store = store
        self.deliveries = deliveries
        self.account = account
        self.region = region
        self.time_scale = time_scale
        self._fired: dict[str, int] = {}
        self._wake = asyncio.Event()

    def load(self) -> None:
        self._fired = self.store.schedule_fires()

    def replan(self) -> None:
        self._wake.set()

    async def skip_missed(self, rule: Rule) -> None:
        """A rule being enabled again: its next slot is the first after now."""
        if rule.schedule is not None:
            now = _now_ms()
            await asyncio.to_thread(self.store.fire_schedule, rule.arn, now, [])
            self._fired[rule.arn] = now

    def _next(self, rule: Rule, after_ms: int) -> int | None:
        """The rule's first slot strictly after ``after_ms`` (None: it never fires again)."""
        expression = rule.schedule
        assert expression is not None
        anchor = rule.record.schedule_anchor_ms
        scale = self.time_scale if expression.kind == "rate" else 1.0
        # rate periods shrink by ``scale`` around the anchor: map into unscaled time and back
        after = anchor + (after_ms - anchor) / scale
        fire = expression.next_fire(_dt(after), anchor=_dt(anchor))
        if fire is None:
            return None
        return anchor + math.ceil((fire.timestamp() * 1000 - anchor) * scale)

    async def step(self) -> None:
        self._wake.clear()
        now = _now_ms()
        soonest: int | None = None
        for rule in self.rules.scheduled():
            # never fired since the expression was set: the anchor itself is the first slot
            fired = self._fired.get(rule.arn)
            last = rule.record.schedule_anchor_ms - 1
            if fired is not None:
                last = max(fired, last)
            due = self._next(rule, last)
            if due is not None and due <= now:
                for _ in range(MAX_CATCH_UP):
                    later = self._next(rule, due)
                    if later is None or later > now:
                        break
                    due = later
                await self._fire(rule, due)
                due = self._next(rule, due)
            if due is not None:
                soonest = due if soonest is None else min(soonest, due)
        timeout = None if soonest is None else max(0.0, (soonest - _now_ms()) / 1000)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _fire(self, rule: Rule, slot_ms: int) -> None:
        event = scheduled(rule.arn, self.account, self.region, slot_ms)
        deliveries = plan(rule, event, json.dumps(event), _now_ms())
        await asyncio.to_thread(self.store.fire_schedule, rule.arn, slot_ms, deliveries)
        self._fired[rule.arn] = slot_ms
        if deliveries:
            self.deliveries.wake()
