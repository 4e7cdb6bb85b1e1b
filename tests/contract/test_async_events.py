"""The durable async queue: due order, retries, finishing into results and the ledger."""

from __future__ import annotations

from tests.contract import values
from tests.contract.conftest import Backend, Storage


def test_due_events_in_order_with_their_payload_and_hops(
    backend: Backend, storage: Storage
) -> None:
    a = storage.async_events
    a.enqueue_async(values.event("late", received_ms=1, not_before_ms=5000))
    a.enqueue_async_many(
        [values.event("second", received_ms=20), values.event("first", received_ms=10, hops=3)]
    )
    other = backend.open().async_events
    assert other.pending_async() == 3
    due = other.due_async(1000, 10)
    assert [e.event_id for e in due] == ["first", "second"]  # due, then oldest, first
    assert due[0] == values.event("first", received_ms=10, hops=3)
    assert [e.event_id for e in other.due_async(1000, 1)] == ["first"]
    assert [e.event_id for e in other.due_async(5000, 10)] == ["first", "second", "late"]


def test_retry_postpones_an_event(backend: Backend, storage: Storage) -> None:
    a = storage.async_events
    a.enqueue_async(values.event("e1"))
    a.retry_async("e1", 2, 60_000)
    other = backend.open().async_events
    assert other.due_async(59_999, 10) == []
    (e,) = other.due_async(60_000, 10)
    assert (e.attempts, e.not_before_ms) == (2, 60_000)


def test_finish_moves_events_to_results_and_the_ledger(backend: Backend, storage: Storage) -> None:
    a = storage.async_events
    a.enqueue_async_many([values.event(f"e{i}") for i in range(4)])
    a.finish_async("e0")  # neither result nor ledger: just gone
    a.finish_async_many(
        [
            ("e1", values.result("e1", finished_ms=3000), None),
            ("e2", values.result("e2", finished_ms=2000, function="g"), values.ledger_entry()),
        ]
    )
    other = backend.open().async_events
    assert [e.event_id for e in other.due_async(10**15, 10)] == ["e3"]
    assert other.pending_async() == 1
    assert [r.event_id for r in other.async_results()] == ["e2", "e1"]  # by finish time
    assert other.async_results("g") == [values.result("e2", finished_ms=2000, function="g")]
    assert other.ledger() == [values.ledger_entry()]


def test_ledger_due_update_and_delivery(backend: Backend, storage: Storage) -> None:
    a = storage.async_events
    a.enqueue_async_many([values.event("e1"), values.event("e2")])
    a.finish_async("e1", None, values.ledger_entry("l1", "e1", created_ms=2))
    a.finish_async("e2", None, values.ledger_entry("l2", "e2", created_ms=1))
    assert [e.entry_id for e in a.ledger()] == ["l2", "l1"]  # oldest first
    a.ledger_update("l1", 2, 9000, "still down")
    other = backend.open().async_events
    assert [e.entry_id for e in other.ledger(5000)] == ["l2"]
    (l1,) = [e for e in other.ledger() if e.entry_id == "l1"]
    assert (l1.attempts, l1.next_attempt_ms, l1.error) == (2, 9000, "still down")
    a.ledger_delivered("l2", values.result("e2"))
    assert [e.entry_id for e in other.ledger()] == ["l1"]
    assert other.async_results() == [values.result("e2")]


def test_backlog_counts_waiting_events_and_their_oldest_per_function(
    backend: Backend, storage: Storage
) -> None:
    a = storage.async_events
    assert a.async_backlog() == []
    a.enqueue_async_many(
        [
            values.event("e1", received_ms=30),
            values.event("e2", received_ms=10),
            values.event("e3", "g", received_ms=20),
        ]
    )
    a.finish_async("e2")  # finished events are no longer waiting
    assert backend.open().async_events.async_backlog() == [("f", 1, 30), ("g", 1, 20)]
