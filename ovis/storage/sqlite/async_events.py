"""The durable async invocation queue: accepted events, their results and the ledger.

Contract: synchronous, thread-safe, durable on return (an accepted event is committed before
the API answers 202). ``enqueue_async_many`` and ``finish_async_many`` are group commits: one
transaction for the whole batch, all-or-nothing. Accepting an event id already queued raises
``ConflictError`` and stores nothing of that batch. Finishing moves an event to its terminal
place (a result, a ledger entry, both or neither) in the same transaction that removes it.
"""

from __future__ import annotations

import sqlite3

from ovis.models.async_event import AsyncEvent, AsyncResult, LedgerEntry
from ovis.storage.sqlite.engine import Engine

_INSERT_RESULT = (
    "INSERT OR REPLACE INTO async_results (event_id, function, outcome, condition, "
    "destination, record, finished_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_LEDGER_COLUMNS = (
    "entry_id, event_id, function, kind, destination, body, attributes, error, attempts, "
    "next_attempt_ms, created_ms"
)


def _insert_result(db: sqlite3.Connection, r: AsyncResult) -> None:
    db.execute(
        _INSERT_RESULT,
        (r.event_id, r.function, r.outcome, r.condition, r.destination, r.record, r.finished_ms),
    )


def _insert_ledger(db: sqlite3.Connection, e: LedgerEntry) -> None:
    db.execute(
        f"INSERT OR REPLACE INTO async_ledger ({_LEDGER_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            e.entry_id,
            e.event_id,
            e.function,
            e.kind,
            e.destination,
            e.body,
            e.attributes,
            e.error,
            e.attempts,
            e.next_attempt_ms,
            e.created_ms,
        ),
    )


class SqliteAsyncEvents:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def enqueue_async(self, event: AsyncEvent) -> None:
        self.enqueue_async_many([event])

    def enqueue_async_many(self, events: list[AsyncEvent]) -> None:
        """Commit several events in one transaction (one fsync): group commit for accepts."""
        rows = [
            (
                e.event_id,
                e.function,
                e.qualifier,
                e.payload,
                e.received_ms,
                e.attempts,
                e.not_before_ms,
                e.hops,
            )
            for e in events
        ]
        with self._engine.transaction() as db:
            db.executemany(
                "INSERT INTO async_events (id, function, qualifier, payload, received_ms, "
                "attempts, not_before_ms, hops) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def due_async(self, now_ms: int, limit: int) -> list[AsyncEvent]:
        """Up to ``limit`` events with not_before <= now, earliest due (then oldest) first."""
        rows = self._engine.read(
            "SELECT id, function, qualifier, payload, received_ms, attempts, not_before_ms, hops "
            "FROM async_events WHERE not_before_ms <= ? ORDER BY not_before_ms, received_ms "
            "LIMIT ?",
            (now_ms, limit),
        )
        return [AsyncEvent(r[0], r[1], r[2], bytes(r[3]), r[4], r[5], r[6], r[7]) for r in rows]

    def pending_async(self) -> int:
        return int(self._engine.read("SELECT COUNT(*) FROM async_events")[0][0])

    def async_backlog(self) -> list[tuple[str, int, int]]:
        """(function, events waiting, oldest received_ms) per function with any waiting."""
        rows = self._engine.read(
            "SELECT function, COUNT(*), MIN(received_ms) FROM async_events "
            "GROUP BY function ORDER BY function"
        )
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    def finish_async(
        self, event_id: str, result: AsyncResult | None = None, ledger: LedgerEntry | None = None
    ) -> None:
        """Move an event to its terminal place in one transaction."""
        self.finish_async_many([(event_id, result, ledger)])

    def finish_async_many(
        self, items: list[tuple[str, AsyncResult | None, LedgerEntry | None]]
    ) -> None:
        with self._engine.transaction() as db:
            for event_id, result, ledger in items:
                db.execute("DELETE FROM async_events WHERE id = ?", (event_id,))
                if result is not None:
                    _insert_result(db, result)
                if ledger is not None:
                    _insert_ledger(db, ledger)

    def retry_async(self, event_id: str, attempts: int, not_before_ms: int) -> None:
        self._engine.write(
            "UPDATE async_events SET attempts = ?, not_before_ms = ? WHERE id = ?",
            (attempts, not_before_ms, event_id),
        )

    def async_results(self, function: str | None = None) -> list[AsyncResult]:
        """Results of one function, or of all, oldest finished first."""
        sql = (
            "SELECT event_id, function, outcome, condition, destination, record, finished_ms "
            "FROM async_results"
        )
        rows = (
            self._engine.read(sql + " WHERE function = ? ORDER BY finished_ms", (function,))
            if function
            else self._engine.read(sql + " ORDER BY finished_ms")
        )
        return [AsyncResult(*r) for r in rows]

    # the undeliverable ledger
    def ledger(self, due_ms: int | None = None) -> list[LedgerEntry]:
        """Every entry, or those due at ``due_ms``, oldest first."""
        sql = f"SELECT {_LEDGER_COLUMNS} FROM async_ledger"
        rows = (
            self._engine.read(sql + " WHERE next_attempt_ms <= ? ORDER BY created_ms", (due_ms,))
            if due_ms is not None
            else self._engine.read(sql + " ORDER BY created_ms")
        )
        return [LedgerEntry(*r) for r in rows]

    def ledger_update(self, entry_id: str, attempts: int, next_attempt_ms: int, error: str) -> None:
        self._engine.write(
            "UPDATE async_ledger SET attempts = ?, next_attempt_ms = ?, error = ? "
            "WHERE entry_id = ?",
            (attempts, next_attempt_ms, error, entry_id),
        )

    def ledger_delivered(self, entry_id: str, result: AsyncResult) -> None:
        """A ledger entry finally reached its destination: it becomes a normal result."""
        with self._engine.transaction() as db:
            db.execute("DELETE FROM async_ledger WHERE entry_id = ?", (entry_id,))
            _insert_result(db, result)
