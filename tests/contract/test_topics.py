"""SNS topics: topic and subscription records, the delivery outbox (due order, FIFO groups one
at a time, retries, removal), FIFO sequence numbers and deduplication, cascading deletes."""

from __future__ import annotations

import json

from ovis.models.topic import (
    Delivery,
    DeliveryOutcome,
    PublishEntry,
    SubscriptionRecord,
    TopicRecord,
)
from tests.contract.conftest import Backend, Storage

T = "arn:aws:sns:us-east-1:000000000000:t"
F = "arn:aws:sns:us-east-1:000000000000:f.fifo"


def topic(arn: str = T, **attrs: str) -> TopicRecord:
    return TopicRecord(arn, arn.rsplit(":", 1)[1], dict(attrs), 100)


def sub(name: str, topic_arn: str = T, confirmed: bool = True) -> SubscriptionRecord:
    return SubscriptionRecord(
        f"{topic_arn}:{name}",
        topic_arn,
        "sqs",
        f"arn:aws:sqs:us-east-1:000000000000:{name}",
        "000000000000",
        {"RawMessageDelivery": "true"},
        confirmed,
        "" if confirmed else "tok",
        100,
    )


def delivery(
    sub_arn: str, message: str, due_ms: int = 0, group: str = "", topic_arn: str = T
) -> Delivery:
    payload = json.dumps({"MessageId": message, "Message": message})
    return Delivery(sub_arn, topic_arn, "Notification", payload, due_ms, group_id=group)


def entry(
    message_id: str, *deliveries: Delivery, key: str = "", fifo: bool = False
) -> PublishEntry:
    arn = F if fifo else T
    return PublishEntry(arn, message_id, list(deliveries), key, 10_000 if key else 0, fifo)


def test_topics_and_subscriptions_round_trip(backend: Backend, storage: Storage) -> None:
    s = storage.topics
    s.sns_put_topic(topic(DisplayName="one"))
    s.sns_put_topic(topic(DisplayName="two"))  # replaces the attributes
    s.sns_put_subscription(sub("a"))
    confirm = delivery(f"{T}:b", "c1")
    s.sns_put_subscription(sub("b", confirmed=False), confirm)
    other = backend.open().topics
    assert other.sns_topics() == [topic(DisplayName="two")]
    assert {x.arn: x.confirmed for x in other.sns_subscriptions()} == {
        f"{T}:a": True,
        f"{T}:b": False,
    }
    assert other.sns_subscriptions()[0].attributes == {"RawMessageDelivery": "true"}
    [pending] = other.sns_due(0, 10, [])
    assert (pending.subscription_arn, pending.kind) == (f"{T}:b", "Notification")
    s.sns_delete_subscription(f"{T}:b")  # its pending deliveries go with it
    assert other.sns_due(0, 10, []) == [] and other.sns_pending() == 0
    assert [x.arn for x in other.sns_subscriptions()] == [f"{T}:a"]


def test_publish_stores_every_delivery_and_due_hands_them_out_oldest_first(
    backend: Backend, storage: Storage
) -> None:
    s = storage.topics
    s.sns_put_topic(topic())
    out = s.sns_publish(
        [
            entry("m1", delivery(f"{T}:a", "m1", 5), delivery(f"{T}:b", "m1", 5)),
            entry("m2", delivery(f"{T}:a", "m2", 1)),
            entry("m3"),  # no matching subscription: nothing stored, still an id
        ],
        0,
    )
    assert out == [("m1", 0), ("m2", 0), ("m3", 0)]
    other = backend.open().topics
    assert other.sns_pending() == 3
    assert other.sns_next_due_ms([]) == 1
    due = other.sns_due(5, 10, [])
    assert [json.loads(d.payload)["MessageId"] for d in due] == ["m2", "m1", "m1"]
    assert [d.attempt for d in due] == [0, 0, 0]
    assert other.sns_due(4, 10, []) == other.sns_due(4, 10, [])  # reading changes nothing
    assert len(other.sns_due(4, 10, [])) == 1
    busy = [due[0].row]
    assert [d.row for d in other.sns_due(5, 10, busy)] == [due[1].row, due[2].row]
    assert other.sns_next_due_ms([d.row for d in due]) is None


def test_finish_removes_delivered_rows_and_reschedules_failed_ones(
    backend: Backend, storage: Storage
) -> None:
    s = storage.topics
    s.sns_publish([entry("m1", delivery(f"{T}:a", "m1"), delivery(f"{T}:b", "m1"))], 0)
    a, b = s.sns_due(0, 10, [])
    s.sns_finish([DeliveryOutcome(a.row, True), DeliveryOutcome(b.row, False, 1, 700)])
    other = backend.open().topics
    assert other.sns_pending() == 1
    assert other.sns_due(699, 10, []) == []
    [again] = other.sns_due(700, 10, [])
    assert (again.row, again.attempt, again.dead) == (b.row, 1, False)
    s.sns_finish([DeliveryOutcome(b.row, False, 2, 900, dead=True)])
    [dead] = other.sns_due(900, 10, [])
    assert (dead.attempt, dead.dead) == (2, True)


def test_fifo_groups_deliver_one_at_a_time_in_order(backend: Backend, storage: Storage) -> None:
    s = storage.topics
    s.sns_put_topic(topic(F, FifoTopic="true"))
    sa = f"{F}:a"
    entries = [
        entry(f"m{i}", delivery(sa, f"m{i}", 0, f"g{i % 2}", F), key=f"d{i}", fifo=True)
        for i in range(4)
    ]
    out = s.sns_publish(entries, 0)
    assert [seq for _, seq in out] == [1, 2, 3, 4]
    due = s.sns_due(0, 10, [])
    # one per group: the first of g0 and the first of g1
    assert [json.loads(d.payload)["MessageId"] for d in due] == ["m0", "m1"]
    assert [json.loads(d.payload)["SequenceNumber"] for d in due] == [f"{1:020d}", f"{2:020d}"]
    # a failed head of group (rescheduled later) still holds its group back
    s.sns_finish([DeliveryOutcome(due[0].row, False, 1, 50), DeliveryOutcome(due[1].row, True)])
    nxt = backend.open().topics.sns_due(10, 10, [])
    assert [json.loads(d.payload)["MessageId"] for d in nxt] == ["m3"]
    assert s.sns_next_due_ms([nxt[0].row]) == 50


def test_fifo_deduplication_answers_the_original_within_the_window(storage: Storage) -> None:
    s = storage.topics
    s.sns_put_topic(topic(F, FifoTopic="true"))
    sa = f"{F}:a"
    first = s.sns_publish([entry("m1", delivery(sa, "m1", 0, "g", F), key="k", fifo=True)], 0)
    again = s.sns_publish([entry("m2", delivery(sa, "m2", 0, "g", F), key="k", fifo=True)], 5)
    assert first == again == [("m1", 1)]
    assert s.sns_pending() == 1
    later = s.sns_publish([entry("m3", delivery(sa, "m3", 0, "g", F), key="k", fifo=True)], 10_000)
    assert later == [("m3", 2)]  # the window (until 10_000) has passed


def test_delete_topic_removes_its_subscriptions_deliveries_and_keys(
    backend: Backend, storage: Storage
) -> None:
    s = storage.topics
    s.sns_put_topic(topic())
    s.sns_put_topic(topic(F, FifoTopic="true"))
    s.sns_put_subscription(sub("a"))
    s.sns_put_subscription(sub("z", F))
    s.sns_publish([entry("m1", delivery(f"{T}:a", "m1"))], 0)
    s.sns_publish([entry("f1", delivery(f"{F}:z", "f1", 0, "g", F), key="k", fifo=True)], 0)
    s.sns_delete_topic(T)
    other = backend.open().topics
    assert [t.arn for t in other.sns_topics()] == [F]
    assert [x.arn for x in other.sns_subscriptions()] == [f"{F}:z"]
    assert [d.topic_arn for d in other.sns_due(0, 10, [])] == [F]
    s.sns_delete_topic(F)
    s.sns_put_topic(topic(F, FifoTopic="true"))  # the dedup key went with the old topic
    assert s.sns_publish([entry("f2", key="k", fifo=True)], 1) == [("f2", 1)]
