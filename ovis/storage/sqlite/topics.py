"""SNS-compatible topics (ovis.services.sns): topics, subscriptions, the delivery outbox and
FIFO deduplication keys.

Contract: synchronous, thread-safe, durable on return; every write is one transaction (a batch
of published messages, with their deduplication keys and FIFO sequence numbers, commits
together or not at all). A topic's tags live in the tags repository and are deleted by the
caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ovis.models.topic import (
    Delivery,
    DeliveryOutcome,
    PublishEntry,
    SubscriptionRecord,
    TopicRecord,
)
from ovis.storage.sqlite.engine import Engine

_DELIVERY_COLUMNS = (
    "id, subscription_arn, topic_arn, kind, payload, due_ms, group_id, attempt, dead"
)
_INSERT_DELIVERY = (
    "INSERT INTO sns_deliveries (subscription_arn, topic_arn, kind, payload, due_ms, group_id) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def _delivery(r: tuple[Any, ...]) -> Delivery:
    return Delivery(
        subscription_arn=r[1],
        topic_arn=r[2],
        kind=r[3],
        payload=r[4],
        due_ms=r[5],
        group_id=r[6],
        attempt=r[7],
        dead=bool(r[8]),
        row=r[0],
    )


def _delivery_row(d: Delivery) -> tuple[Any, ...]:
    return (d.subscription_arn, d.topic_arn, d.kind, d.payload, d.due_ms, d.group_id)


class SqliteTopics:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # ---- topics and subscriptions

    def sns_topics(self) -> list[TopicRecord]:
        rows = self._engine.read(
            "SELECT arn, name, attributes, created_ms FROM sns_topics ORDER BY arn"
        )
        return [TopicRecord(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

    def sns_put_topic(self, topic: TopicRecord) -> None:
        self._engine.write(
            "INSERT INTO sns_topics (arn, name, attributes, created_ms) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (arn) DO UPDATE SET attributes = excluded.attributes",
            (topic.arn, topic.name, json.dumps(topic.attributes), topic.created_ms),
        )

    def sns_delete_topic(self, arn: str) -> None:
        with self._engine.transaction() as db:
            db.execute("DELETE FROM sns_deliveries WHERE topic_arn = ?", (arn,))
            db.execute("DELETE FROM sns_subscriptions WHERE topic_arn = ?", (arn,))
            db.execute("DELETE FROM sns_dedup WHERE topic_arn = ?", (arn,))
            db.execute("DELETE FROM sns_topics WHERE arn = ?", (arn,))

    def sns_subscriptions(self) -> list[SubscriptionRecord]:
        rows = self._engine.read(
            "SELECT arn, topic_arn, protocol, endpoint, owner, attributes, confirmed, token, "
            "created_ms FROM sns_subscriptions ORDER BY created_ms, arn"
        )
        return [
            SubscriptionRecord(
                r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), bool(r[6]), r[7], r[8]
            )
            for r in rows
        ]

    def sns_put_subscription(
        self, sub: SubscriptionRecord, confirmation: Delivery | None = None
    ) -> None:
        with self._engine.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO sns_subscriptions (arn, topic_arn, protocol, endpoint, "
                "owner, attributes, confirmed, token, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, "
                "?, ?)",
                (
                    sub.arn,
                    sub.topic_arn,
                    sub.protocol,
                    sub.endpoint,
                    sub.owner,
                    json.dumps(sub.attributes),
                    int(sub.confirmed),
                    sub.token,
                    sub.created_ms,
                ),
            )
            if confirmation is not None:
                db.execute(_INSERT_DELIVERY, _delivery_row(confirmation))

    def sns_delete_subscription(self, arn: str) -> None:
        with self._engine.transaction() as db:
            db.execute("DELETE FROM sns_deliveries WHERE subscription_arn = ?", (arn,))
            db.execute("DELETE FROM sns_subscriptions WHERE arn = ?", (arn,))

    # ---- publishing

    def sns_publish(self, entries: list[PublishEntry], now_ms: int) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        with self._engine.transaction() as db:
            if any(e.dedup_key for e in entries):
                db.execute("DELETE FROM sns_dedup WHERE until_ms <= ?", (now_ms,))
            for e in entries:
                if e.dedup_key:
                    row = db.execute(
                        "SELECT message_id, sequence FROM sns_dedup WHERE topic_arn = ? "
                        "AND key = ?",
                        (e.topic_arn, e.dedup_key),
                    ).fetchone()
                    if row is not None:
                        out.append((str(row[0]), int(row[1])))
                        continue
                seq = 0
                if e.fifo:
                    cur = db.execute(
                        "UPDATE sns_topics SET sequence = sequence + 1 WHERE arn = ? "
                        "RETURNING sequence",
                        (e.topic_arn,),
                    ).fetchone()
                    seq = int(cur[0]) if cur is not None else 0
                if e.dedup_key:
                    db.execute(
                        "INSERT INTO sns_dedup (topic_arn, key, message_id, sequence, until_ms) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (e.topic_arn, e.dedup_key, e.message_id, seq, e.dedup_until_ms),
                    )
                rows = [_delivery_row(d) for d in e.deliveries]
                if seq:  # the payload carries the sequence number the store just assigned
                    rows = [(*r[:3], _with_sequence(r[3], seq), *r[4:]) for r in rows]
                db.executemany(_INSERT_DELIVERY, rows)
                out.append((e.message_id, seq))
        return out

    # ---- the outbox

    @staticmethod
    def _ready(busy: Iterable[int]) -> tuple[str, list[int]]:
        """The WHERE clause (after the due condition) of deliveries that may start now: not
        in progress, and no earlier row of the same subscription and FIFO group stored."""
        ids = sorted(set(busy))
        skip = f"AND m.id NOT IN ({', '.join('?' for _ in ids)}) " if ids else ""
        return (
            f"{skip}AND (m.group_id = '' OR NOT EXISTS (SELECT 1 FROM sns_deliveries AS b "
            "WHERE b.subscription_arn = m.subscription_arn AND b.group_id = m.group_id "
            "AND b.id < m.id))",
            ids,
        )

    def sns_due(self, now_ms: int, limit: int, busy: Iterable[int]) -> list[Delivery]:
        where, ids = self._ready(busy)
        cols = ", ".join("m." + c.strip() for c in _DELIVERY_COLUMNS.split(","))
        rows = self._engine.read(
            f"SELECT {cols} FROM sns_deliveries AS m WHERE m.due_ms <= ? {where} "
            "ORDER BY m.due_ms, m.id LIMIT ?",
            (now_ms, *ids, limit),
        )
        return [_delivery(r) for r in rows]

    def sns_next_due_ms(self, busy: Iterable[int]) -> int | None:
        where, ids = self._ready(busy)
        rows = self._engine.read(
            f"SELECT MIN(m.due_ms) FROM sns_deliveries AS m WHERE 1 = 1 {where}", ids
        )
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def sns_finish(self, outcomes: list[DeliveryOutcome]) -> None:
        with self._engine.transaction() as db:
            db.executemany(
                "DELETE FROM sns_deliveries WHERE id = ?", [(o.row,) for o in outcomes if o.done]
            )
            db.executemany(
                "UPDATE sns_deliveries SET attempt = ?, due_ms = ?, dead = ? WHERE id = ?",
                [(o.attempt, o.due_ms, int(o.dead), o.row) for o in outcomes if not o.done],
            )

    def sns_pending(self) -> int:
        rows = self._engine.read("SELECT COUNT(*) FROM sns_deliveries")
        return int(rows[0][0])


def _with_sequence(payload: str, seq: int) -> str:
    doc = json.loads(payload)
    doc["SequenceNumber"] = f"{seq:020d}"
    return json.dumps(doc)
