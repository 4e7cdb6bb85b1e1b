"""Event buses, rules, the delivery outbox and scheduled-rule fire slots (ovis.services.events).

Contract: synchronous, thread-safe, durable on return; each write is one transaction.
``add_event_deliveries`` is PutEvents' group commit (one transaction for a batch);
``settle_event_deliveries`` and ``fire_schedule`` change several tables all-or-nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from ovis.models.event_bus import EventBusRecord, EventDelivery, RuleRecord
from ovis.storage.sqlite.engine import Engine

_DELIVERY_COLUMNS = "id, rule_arn, target, event, payload, first_ms, next_ms, attempts, hops"


def _insert(db: sqlite3.Connection, deliveries: Iterable[EventDelivery]) -> None:
    db.executemany(
        f"INSERT OR REPLACE INTO event_deliveries ({_DELIVERY_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                d.delivery_id,
                d.rule_arn,
                d.target,
                d.event,
                d.payload,
                d.first_ms,
                d.next_ms,
                d.attempts,
                d.hops,
            )
            for d in deliveries
        ],
    )


class SqliteEventBuses:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- buses ---

    def event_buses(self) -> list[EventBusRecord]:
        rows = self._engine.read(
            "SELECT name, description, created_ms, modified_ms FROM event_buses ORDER BY name"
        )
        return [EventBusRecord(r[0], r[1], r[2], r[3]) for r in rows]

    def put_event_bus(self, bus: EventBusRecord) -> None:
        self._engine.write(
            "INSERT OR REPLACE INTO event_buses (name, description, created_ms, modified_ms) "
            "VALUES (?, ?, ?, ?)",
            (bus.name, bus.description, bus.created_ms, bus.modified_ms),
        )

    def delete_event_bus(self, name: str) -> None:
        with self._engine.transaction() as db:
            prefix = "%:rule/" + name.replace("%", "\\%").replace("_", "\\_") + "/%"
            db.execute(
                "DELETE FROM event_schedule_fires WHERE rule_arn LIKE ? ESCAPE '\\'", (prefix,)
            )
            db.execute("DELETE FROM event_rules WHERE bus = ?", (name,))
            db.execute("DELETE FROM event_buses WHERE name = ?", (name,))

    # --- rules ---

    def event_rules(self) -> list[RuleRecord]:
        rows = self._engine.read("SELECT bus, name, data FROM event_rules ORDER BY bus, name")
        return [RuleRecord.from_json(r[0], r[1], json.loads(r[2])) for r in rows]

    def put_event_rule(self, rule: RuleRecord) -> None:
        self._engine.write(
            "INSERT OR REPLACE INTO event_rules (bus, name, data) VALUES (?, ?, ?)",
            (rule.bus, rule.name, json.dumps(rule.to_json())),
        )

    def delete_event_rule(self, bus: str, name: str, rule_arn: str) -> None:
        with self._engine.transaction() as db:
            db.execute("DELETE FROM event_rules WHERE bus = ? AND name = ?", (bus, name))
            db.execute("DELETE FROM event_schedule_fires WHERE rule_arn = ?", (rule_arn,))

    # --- the outbox ---

    def add_event_deliveries(self, deliveries: list[EventDelivery]) -> None:
        with self._engine.transaction() as db:
            _insert(db, deliveries)

    def due_event_deliveries(self, now_ms: int, limit: int) -> list[EventDelivery]:
        rows = self._engine.read(
            f"SELECT {_DELIVERY_COLUMNS} FROM event_deliveries WHERE next_ms <= ? "
            "ORDER BY next_ms, first_ms LIMIT ?",
            (now_ms, limit),
        )
        return [EventDelivery(*r) for r in rows]

    def next_event_delivery_ms(self) -> int | None:
        (value,) = self._engine.read("SELECT MIN(next_ms) FROM event_deliveries")[0]
        return None if value is None else int(value)

    def settle_event_deliveries(
        self,
        done: Iterable[str],
        retries: Iterable[tuple[str, int, int]],
        added: Iterable[EventDelivery] = (),
    ) -> None:
        with self._engine.transaction() as db:
            db.executemany("DELETE FROM event_deliveries WHERE id = ?", [(i,) for i in done])
            db.executemany(
                "UPDATE event_deliveries SET attempts = ?, next_ms = ? WHERE id = ?",
                [(attempts, next_ms, i) for i, attempts, next_ms in retries],
            )
            _insert(db, added)

    def pending_event_deliveries(self) -> int:
        return int(self._engine.read("SELECT COUNT(*) FROM event_deliveries")[0][0])

    # --- scheduled rules ---

    def schedule_fires(self) -> dict[str, int]:
        rows = self._engine.read("SELECT rule_arn, slot_ms FROM event_schedule_fires")
        return {str(r[0]): int(r[1]) for r in rows}

    def fire_schedule(self, rule_arn: str, slot_ms: int, deliveries: list[EventDelivery]) -> None:
        with self._engine.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO event_schedule_fires (rule_arn, slot_ms) VALUES (?, ?)",
                (rule_arn, slot_ms),
            )
            _insert(db, deliveries)
