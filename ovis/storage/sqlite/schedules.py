"""EventBridge Scheduler's groups, schedules and fire outbox in SQLite.

Contract: as ``ovis.services.scheduler.repository.ScheduleRepository``: synchronous,
thread-safe, durable on return, one transaction per call. ``record_fires`` is what makes a fire
happen once: each record moves its schedule on only if the stored schedule still expects that
fire (same ``next_fire_ms``) and has not recorded a fire at or after it, and enters the fire in
the outbox in the same transaction; so a fire recorded before a crash is never recorded again,
and a fire the API changed the schedule under is not recorded at all.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ovis.models.schedule import Fire, FireRecord, Schedule, ScheduleGroup, ScheduleWrite
from ovis.storage.sqlite.engine import Engine

_SCHEDULE_COLUMNS = (
    "grp, name, arn, definition, state, client_token, created_ms, modified_ms, next_fire_ms, "
    "next_due_ms, last_fired_ms"
)
_FIRE_COLUMNS = "execution_id, schedule_arn, grp, name, target, fire_ms, due_ms, attempts"


def _definition(s: Schedule) -> str:
    return json.dumps(
        {
            "expression": s.expression,
            "timezone": s.timezone,
            "start_ms": s.start_ms,
            "end_ms": s.end_ms,
            "description": s.description,
            "flexible_mode": s.flexible_mode,
            "flexible_window_min": s.flexible_window_min,
            "action_after_completion": s.action_after_completion,
            "kms_key_arn": s.kms_key_arn,
            "target": s.target,
        },
        sort_keys=True,
    )


def _schedule(row: tuple[Any, ...]) -> Schedule:
    grp, name, arn, definition, state, token, created, modified, nxt, due, last = row
    d = json.loads(definition)
    return Schedule(
        group=grp,
        name=name,
        arn=arn,
        expression=d["expression"],
        timezone=d["timezone"],
        start_ms=d["start_ms"],
        end_ms=d["end_ms"],
        description=d["description"],
        state=state,
        flexible_mode=d["flexible_mode"],
        flexible_window_min=d["flexible_window_min"],
        action_after_completion=d["action_after_completion"],
        kms_key_arn=d["kms_key_arn"],
        target=d["target"],
        client_token=token,
        created_ms=created,
        modified_ms=modified,
        next_fire_ms=nxt,
        next_due_ms=due,
        last_fired_ms=last,
    )


_UPSERT = (
    f"INSERT INTO schedules ({_SCHEDULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (grp, name) DO UPDATE SET arn = excluded.arn, "
    "definition = excluded.definition, state = excluded.state, "
    "client_token = excluded.client_token, created_ms = excluded.created_ms, "
    "modified_ms = excluded.modified_ms, next_fire_ms = excluded.next_fire_ms, "
    "next_due_ms = excluded.next_due_ms, last_fired_ms = CASE "
    "WHEN schedules.last_fired_ms IS NULL THEN excluded.last_fired_ms "
    "WHEN excluded.last_fired_ms IS NULL THEN schedules.last_fired_ms "
    "ELSE MAX(schedules.last_fired_ms, excluded.last_fired_ms) END"
)


def _row(s: Schedule) -> tuple[Any, ...]:
    return (
        s.group,
        s.name,
        s.arn,
        _definition(s),
        s.state,
        s.client_token,
        s.created_ms,
        s.modified_ms,
        s.next_fire_ms,
        s.next_due_ms,
        s.last_fired_ms,
    )


def _insert_fire(db: sqlite3.Connection, f: Fire) -> None:
    db.execute(
        f"INSERT OR REPLACE INTO schedule_fires ({_FIRE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            f.execution_id,
            f.schedule_arn,
            f.group,
            f.name,
            json.dumps(f.target, sort_keys=True),
            f.fire_ms,
            f.due_ms,
            f.attempts,
        ),
    )


class SqliteSchedules:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # ---- groups ------------------------------------------------------------------------

    def schedule_groups(self) -> list[ScheduleGroup]:
        rows = self._engine.read(
            "SELECT name, arn, created_ms, modified_ms, client_token FROM schedule_groups "
            "ORDER BY name"
        )
        return [ScheduleGroup(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def put_schedule_group(self, group: ScheduleGroup) -> None:
        self._engine.write(
            "INSERT OR REPLACE INTO schedule_groups (name, arn, created_ms, modified_ms, "
            "client_token) VALUES (?, ?, ?, ?, ?)",
            (group.name, group.arn, group.created_ms, group.modified_ms, group.client_token),
        )

    def delete_schedule_group(self, name: str) -> None:
        with self._engine.transaction() as db:
            db.execute("DELETE FROM schedules WHERE grp = ?", (name,))
            db.execute("DELETE FROM schedule_groups WHERE name = ?", (name,))

    # ---- schedules ---------------------------------------------------------------------

    def schedules(self) -> list[Schedule]:
        rows = self._engine.read(f"SELECT {_SCHEDULE_COLUMNS} FROM schedules ORDER BY grp, name")
        return [_schedule(r) for r in rows]

    def write_schedules(self, writes: list[ScheduleWrite]) -> None:
        with self._engine.transaction() as db:
            for w in writes:
                s = w.schedule
                if s is None:
                    db.execute("DELETE FROM schedules WHERE grp = ? AND name = ?", w.key)
                elif w.keep_timer:
                    db.execute(
                        "UPDATE schedules SET arn = ?, definition = ?, state = ?, "
                        "modified_ms = ? WHERE grp = ? AND name = ?",
                        (s.arn, _definition(s), s.state, s.modified_ms, s.group, s.name),
                    )
                else:
                    db.execute(_UPSERT, _row(s))

    def record_fires(self, records: list[FireRecord]) -> list[bool]:
        applied: list[bool] = []
        with self._engine.transaction() as db:
            for r in records:
                where = (
                    "grp = ? AND name = ? AND next_fire_ms = ? "
                    "AND (last_fired_ms IS NULL OR last_fired_ms < ?)"
                )
                args = (r.group, r.name, r.expected_next_ms, r.fired_ms)
                if r.delete:
                    changed = db.execute(f"DELETE FROM schedules WHERE {where}", args).rowcount
                else:
                    changed = db.execute(
                        "UPDATE schedules SET next_fire_ms = ?, next_due_ms = ?, "
                        f"last_fired_ms = ? WHERE {where}",
                        (r.next_fire_ms, r.next_due_ms, r.fired_ms, *args),
                    ).rowcount
                if changed and r.fire is not None:
                    _insert_fire(db, r.fire)
                applied.append(bool(changed))
        return applied

    # ---- the outbox --------------------------------------------------------------------

    def schedule_fires(self) -> list[Fire]:
        rows = self._engine.read(
            f"SELECT {_FIRE_COLUMNS} FROM schedule_fires ORDER BY due_ms, execution_id"
        )
        return [Fire(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7]) for r in rows]

    def finish_fires(self, done: list[str], retry: list[tuple[str, int, int]]) -> None:
        with self._engine.transaction() as db:
            db.executemany(
                "DELETE FROM schedule_fires WHERE execution_id = ?", [(d,) for d in done]
            )
            db.executemany(
                "UPDATE schedule_fires SET attempts = ?, due_ms = ? WHERE execution_id = ?",
                [(attempts, due, eid) for eid, attempts, due in retry],
            )
