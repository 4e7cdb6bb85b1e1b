"""Event buses, rules, the delivery outbox and scheduled-rule fire slots: what the event bus
service relies on from any backend (durable, all-or-nothing, seen by a second storage)."""

from __future__ import annotations

import pytest

from ovis.models.event_bus import EventBusRecord, EventDelivery, RuleRecord
from ovis.storage.errors import StorageError
from tests.contract.conftest import Backend, Storage

A = "arn:aws:events:us-east-1:000000000000"


def delivery(i: str, next_ms: int = 0, rule: str = f"{A}:rule/r") -> EventDelivery:
    return EventDelivery(i, rule, '{"Id": "t", "Arn": "x"}', '{"id": "e"}', "p", 5, next_ms)


def test_buses_and_rules(backend: Backend, storage: Storage) -> None:
    s = storage.event_buses
    s.put_event_bus(EventBusRecord("b", "desc", 1, 2))
    s.put_event_bus(EventBusRecord("a", "", 1, 1))
    s.put_event_bus(EventBusRecord("b", "new", 1, 3))  # replaces
    target = {"Id": "t", "Arn": "arn:aws:sqs:us-east-1:000000000000:q", "RetryPolicy": {}}
    rule = RuleRecord("b", "r", '{"source": ["s"]}', None, "ENABLED", "d", None, (target,), 7, 8)
    s.put_event_rule(rule)
    s.put_event_rule(RuleRecord("a", "r", None, "rate(1 minute)"))
    other = backend.open().event_buses
    assert other.event_buses() == [EventBusRecord("a", "", 1, 1), EventBusRecord("b", "new", 1, 3)]
    assert other.event_rules() == [RuleRecord("a", "r", None, "rate(1 minute)"), rule]
    s.delete_event_rule("a", "r", f"{A}:rule/a/r")
    s.delete_event_rule("a", "missing", f"{A}:rule/a/missing")  # a no-op
    assert [r.bus for r in other.event_rules()] == ["b"]


def test_deleting_a_bus_takes_its_rules_and_fire_slots(storage: Storage) -> None:
    s = storage.event_buses
    s.put_event_bus(EventBusRecord("b_1"))
    s.put_event_bus(EventBusRecord("bx1"))
    s.put_event_rule(RuleRecord("b_1", "r"))
    s.put_event_rule(RuleRecord("bx1", "r"))
    s.fire_schedule(f"{A}:rule/b_1/r", 10, [])
    s.fire_schedule(f"{A}:rule/bx1/r", 10, [])  # "_" must not match any character
    s.delete_event_bus("b_1")
    assert [b.name for b in s.event_buses()] == ["bx1"]
    assert [r.bus for r in s.event_rules()] == ["bx1"]
    assert s.schedule_fires() == {f"{A}:rule/bx1/r": 10}


def test_outbox_due_order_settle_and_forward(backend: Backend, storage: Storage) -> None:
    s = storage.event_buses
    assert s.next_event_delivery_ms() is None
    s.add_event_deliveries([delivery("late", 300), delivery("soon", 100), delivery("mid", 200)])
    assert [d.delivery_id for d in s.due_event_deliveries(250, 10)] == ["soon", "mid"]
    assert [d.delivery_id for d in s.due_event_deliveries(250, 1)] == ["soon"]
    assert s.next_event_delivery_ms() == 100
    s.settle_event_deliveries(["soon"], [("mid", 3, 900)], [delivery("fwd", 50)])
    other = backend.open().event_buses
    assert other.pending_event_deliveries() == 3
    got = {d.delivery_id: d for d in other.due_event_deliveries(10**15, 10)}
    assert (got["mid"].attempts, got["mid"].next_ms) == (3, 900)
    assert got["fwd"] == delivery("fwd", 50)
    assert [d.delivery_id for d in other.due_event_deliveries(10**15, 10)] == ["fwd", "late", "mid"]


def test_a_fire_slot_and_its_deliveries_are_one_write(backend: Backend, storage: Storage) -> None:
    s = storage.event_buses
    s.fire_schedule(f"{A}:rule/t", 60_000, [delivery("d1", 60_000, f"{A}:rule/t")])
    s.fire_schedule(f"{A}:rule/t", 120_000, [])
    other = backend.open().event_buses
    assert other.schedule_fires() == {f"{A}:rule/t": 120_000}
    assert [d.delivery_id for d in other.due_event_deliveries(10**15, 10)] == ["d1"]
    s.put_event_rule(RuleRecord("default", "t"))
    s.delete_event_rule("default", "t", f"{A}:rule/t")
    assert other.schedule_fires() == {}


def test_a_failed_batch_stores_nothing(storage: Storage) -> None:
    s = storage.event_buses
    bad = EventDelivery("x", "r", "t", "e", "p", 0, 0)
    broken = EventDelivery("y", "r", "t", "e", None, 0, 0)  # type: ignore[arg-type]
    with pytest.raises(StorageError):
        s.add_event_deliveries([bad, broken])
    assert s.pending_event_deliveries() == 0
