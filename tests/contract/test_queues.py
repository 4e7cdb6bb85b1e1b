"""SQS-compatible queues: send, receive and visibility, deletes by receipt, FIFO order and
deduplication, dead-letter moves, purge, expiry."""

from __future__ import annotations

import json

from tests.contract import values
from tests.contract.conftest import Backend, Storage


def test_queue_records(backend: Backend, storage: Storage) -> None:
    q = storage.queues
    q.sqs_put_queue(values.queue("b"))
    q.sqs_put_queue(values.queue("a"))
    q.sqs_put_queue(values.queue("b", created_s=200))  # replaces attributes, not created_s
    recs = backend.open().queues.sqs_queues()
    assert [(r.name, r.created_s, r.modified_s) for r in recs] == [("a", 100, 100), ("b", 100, 200)]
    assert recs[0].attributes == {"VisibilityTimeout": "30"}
    assert q.sqs_send("missing", [values.message("missing")], [""], 0) is None


def test_receive_marks_in_flight_until_visibility_ends(backend: Backend, storage: Storage) -> None:
    q = storage.queues
    q.sqs_put_queue(values.queue())
    sent = [values.message(message_id=f"m{i}", sent_ms=1000 + i) for i in range(3)]
    assert q.sqs_send("q", sent, ["", "", ""], 0) == [("m0", 0), ("m1", 0), ("m2", 0)]
    q.sqs_send("q", [values.message(message_id="later", sent_ms=1000, visible_ms=9000)], [""], 0)

    got = q.sqs_receive("q", 2000, 2, 500, "n1", False)
    assert [m.message_id for m in got.messages] == ["m0", "m1"]
    assert [(m.receive_count, m.receipt, m.visible_ms) for m in got.messages] == [
        (1, "n1", 2500),
        (1, "n1", 2500),
    ]
    assert got.moved == 0 and got.next_visible_ms == 2500
    other = backend.open().queues
    assert other.sqs_counts("q", 2000) == (1, 2, 1)  # visible, in flight, delayed
    assert [m.message_id for m in other.sqs_receive("q", 2000, 10, 1000, "n2", False).messages] == [
        "m2"
    ]
    again = other.sqs_receive("q", 2500, 10, 500, "n3", False)  # m0 and m1 visible again
    assert [(m.message_id, m.receive_count, m.first_receive_ms) for m in again.messages] == [
        ("m0", 2, 2000),
        ("m1", 2, 2000),
    ]


def test_delete_and_change_visibility_need_the_latest_receipt(storage: Storage) -> None:
    q = storage.queues
    q.sqs_put_queue(values.queue())
    q.sqs_send("q", [values.message(message_id="m0"), values.message(message_id="m1")], ["", ""], 0)
    first = q.sqs_receive("q", 1000, 10, 100, "old", False).messages
    rows = [m.row for m in first]
    latest = q.sqs_receive("q", 1100, 1, 100, "new", False).messages  # m0 received again
    assert [m.message_id for m in latest] == ["m0"]
    assert q.sqs_delete_messages("q", [(rows[0], "old"), (rows[0], "new")]) == [False, True]
    assert q.sqs_change_visibility(
        "q", [(rows[0], "new", 5000), (rows[1], "", 5000), (rows[1], "old", 5000)], 1150
    ) == ["invalid", "invalid", "not_inflight"]  # m1's visibility ran out at 1100
    m1 = q.sqs_receive("q", 1150, 10, 100, "n", False).messages
    assert q.sqs_change_visibility("q", [(m1[0].row, "n", 9000)], 1200) == ["ok"]
    assert q.sqs_counts("q", 1300) == (0, 1, 0)
    assert q.sqs_receive("q", 8999, 10, 100, "x", False).messages == []
    assert q.sqs_delete_messages("q", [(m1[0].row, "n")]) == [True]


def test_fifo_order_per_group_and_deduplication(backend: Backend, storage: Storage) -> None:
    q = storage.queues
    q.sqs_put_queue(values.queue("q.fifo"))
    msgs = [
        values.message("q.fifo", "a0", group_id="A"),
        values.message("q.fifo", "b0", group_id="B"),
        values.message("q.fifo", "a1", group_id="A"),
        values.message("q.fifo", "dup", group_id="A"),
    ]
    out = q.sqs_send("q.fifo", msgs, ["ka0", "kb0", "ka1", "ka0"], 60_000)
    assert out == [("a0", 1), ("b0", 2), ("a1", 3), ("a0", 1)]  # a duplicate answers the original
    q.sqs_put_queue(values.queue("q.fifo", created_s=300))  # the sequence counter is kept
    assert q.sqs_send(
        "q.fifo", [values.message("q.fifo", "b1", group_id="B")], ["kb1"], 60_000
    ) == [("b1", 4)]
    first = q.sqs_receive("q.fifo", 1000, 1, 500, "n1", True).messages
    assert [(m.message_id, m.sequence) for m in first] == [("a0", 1)]
    # group A has a message in flight: only group B delivers, in order
    nxt = backend.open().queues.sqs_receive("q.fifo", 1000, 10, 500, "n2", True).messages
    assert [m.message_id for m in nxt] == ["b0", "b1"]
    q.sqs_delete_messages("q.fifo", [(first[0].row, "n1")])
    assert [m.message_id for m in q.sqs_receive("q.fifo", 1000, 10, 500, "n3", True).messages] == [
        "a1"
    ]
    # past the window the key is forgotten: the same key stores a new message
    assert q.sqs_expire({}, 60_000) == 0
    assert q.sqs_send("q.fifo", [values.message("q.fifo", "again", 70_000, "A")], ["ka0"], 0) == [
        ("again", 5)
    ]


def test_messages_received_too_often_move_to_the_dead_letter_queue(
    backend: Backend, storage: Storage
) -> None:
    q = storage.queues
    q.sqs_put_queue(values.queue("src"))
    q.sqs_put_queue(values.queue("dlq"))
    q.sqs_send("src", [values.message("src", "m0"), values.message("src", "m1")], ["", ""], 0)
    q.sqs_receive("src", 1000, 1, 100, "n1", False, 1, "dlq", '{"Dlq": "src"}')  # m0 once
    got = q.sqs_receive("src", 1100, 10, 100, "n2", False, 1, "dlq", '{"Dlq": "src"}')
    assert [m.message_id for m in got.messages] == ["m1"]  # m0 moved instead
    assert got.moved == 1
    (moved,) = backend.open().queues.sqs_receive("dlq", 1100, 10, 100, "n3", False).messages
    assert (moved.message_id, moved.receive_count) == ("m0", 2)  # count kept, then +1
    assert json.loads(moved.system) == {"Dlq": "src"}
    # a dead-letter queue that is gone moves nothing
    q.sqs_delete_queue("dlq")
    again = q.sqs_receive("src", 5000, 10, 100, "n4", False, 1, "dlq", "{}")
    assert [m.message_id for m in again.messages] == ["m1"] and again.moved == 0


def test_purge_expire_and_delete_queue(backend: Backend, storage: Storage) -> None:
    q = storage.queues
    for name in ("a", "b.fifo"):
        q.sqs_put_queue(values.queue(name))
    q.sqs_send("a", [values.message("a", "old", 100), values.message("a", "new", 900)], ["", ""], 0)
    q.sqs_send("b.fifo", [values.message("b.fifo", "m", 100, "g")], ["k"], 5000)
    assert q.sqs_expire({"a": 500, "b.fifo": 0}, 1000) == 1
    assert q.sqs_counts("a", 1000) == (1, 0, 0)
    q.sqs_purge("a")
    assert q.sqs_counts("a", 1000) == (0, 0, 0)
    q.sqs_delete_queue("b.fifo")  # its messages and deduplication keys go with it
    assert [r.name for r in backend.open().queues.sqs_queues()] == ["a"]
    q.sqs_put_queue(values.queue("b.fifo"))
    assert q.sqs_counts("b.fifo", 1000) == (0, 0, 0)
    assert q.sqs_send("b.fifo", [values.message("b.fifo", "m2", 200, "g")], ["k"], 5000) == [
        ("m2", 1)
    ]
