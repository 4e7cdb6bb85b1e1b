"""Scheduled rules: slots from the shared parser (rate periods scaled around the anchor, cron
unscaled), one firing for the latest missed slot, and never a slot twice across a restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ovis.models.event_bus import RuleRecord
from ovis.models.schedule_expression import parse_rule_schedule_expression
from ovis.services.events import schedules
from ovis.services.events.rules import Rule
from ovis.services.events.schedules import ScheduledRules
from ovis.storage.sqlite import SqliteStorage

ARN = "arn:aws:events:us-east-1:000000000000:rule/tick"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"
MIN = 60_000


class FakeRules:
    def __init__(self, *rules: Rule) -> None:
        self.rules = list(rules)

    def scheduled(self) -> list[Rule]:
        return self.rules


class FakeDeliveries:
    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def scheduled_rule(expression: str, anchor_ms: int = 0) -> Rule:
    record = RuleRecord(
        "default",
        "tick",
        schedule=expression,
        targets=({"Id": "q", "Arn": QUEUE},),
        schedule_anchor_ms=anchor_ms,
    )
    return Rule(record, ARN, None, parse_rule_schedule_expression(expression))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    s = SqliteStorage(tmp_path / "ovis.db")
    yield s.event_buses
    s.close()


async def step_at(monkeypatch: pytest.MonkeyPatch, loop: ScheduledRules, now_ms: int) -> None:
    """One step with the clock at ``now_ms`` (woken at once instead of waiting)."""
    monkeypatch.setattr(schedules, "_now_ms", lambda: now_ms)
    task = asyncio.get_running_loop().create_task(loop.step())
    await asyncio.sleep(0.01)
    loop.replan()
    await asyncio.wait_for(task, 5)


def slots(store: Any) -> list[str]:
    return [json.loads(d.event)["time"] for d in store.due_event_deliveries(10**15, 100)]


def test_next_slots(store: Any) -> None:
    rate = ScheduledRules(FakeRules(), store, FakeDeliveries(), "1", "r")  # type: ignore[arg-type]
    tick = scheduled_rule("rate(5 minutes)", anchor_ms=1_000)
    assert rate._next(tick, 0) == 1_000  # the anchor is the first slot
    assert rate._next(tick, 1_000) == 1_000 + 5 * MIN
    fast = ScheduledRules(FakeRules(), store, FakeDeliveries(), "1", "r", 0.01)  # type: ignore[arg-type]
    assert fast._next(tick, 1_000) == 1_000 + 3_000  # 5 minutes scaled by 0.01
    noon = scheduled_rule("cron(0 12 * * ? *)")
    assert fast._next(noon, 0) == 12 * 3600 * 1000  # cron is wall-clock time: never scaled


def test_missed_slots_fire_once_and_a_restart_never_fires_a_slot_twice(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = scheduled_rule("rate(1 minute)")
    deliveries = FakeDeliveries()
    loop = ScheduledRules(FakeRules(rule), store, deliveries, "1", "r")  # type: ignore[arg-type]
    loop.load()

    async def restarted() -> ScheduledRules:  # a new loop (a restart) on the same store
        again = ScheduledRules(FakeRules(rule), store, deliveries, "1", "r")  # type: ignore[arg-type]
        again.load()
        return again

    async def go() -> None:
        await step_at(monkeypatch, loop, 150_000)  # slots 0, 60 s and 120 s are due
        assert slots(store) == ["1970-01-01T00:02:00Z"]  # only the latest fires
        await step_at(monkeypatch, loop, 170_000)
        assert len(slots(store)) == 1
        again = await restarted()
        await step_at(monkeypatch, again, 170_000)
        assert len(slots(store)) == 1  # the 120 s slot was fired before the restart
        await step_at(monkeypatch, again, 181_000)

    asyncio.run(go())
    assert slots(store) == ["1970-01-01T00:02:00Z", "1970-01-01T00:03:00Z"]
    assert store.schedule_fires() == {ARN: 180_000}
    assert deliveries.woken == 2


def test_a_rule_enabled_again_skips_the_slots_it_was_disabled_for(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = scheduled_rule("rate(1 minute)")
    loop = ScheduledRules(FakeRules(rule), store, FakeDeliveries(), "1", "r")  # type: ignore[arg-type]
    loop.load()

    async def go() -> None:
        await step_at(monkeypatch, loop, 1_000)  # the anchor's slot
        monkeypatch.setattr(schedules, "_now_ms", lambda: 250_000)
        await loop.skip_missed(rule)  # enabled again at 250 s: 60..240 s are skipped
        await step_at(monkeypatch, loop, 250_000)
        await step_at(monkeypatch, loop, 301_000)

    asyncio.run(go())
    assert slots(store) == ["1970-01-01T00:00:00Z", "1970-01-01T00:05:00Z"]
