"""CloudFormation stacks, resources, events and change sets in SQLite (migration 11).

Contract: synchronous, thread-safe, durable on return; each method is one transaction.
Implements ``ovis.services.cloudformation.repository.StackRepository``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ovis.models.stack import ChangeSet, Stack, StackEvent, StackResource
from ovis.storage.sqlite.engine import Engine


class SqliteStacks:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def cfn_stacks(self) -> list[Stack]:
        rows = self._engine.read("SELECT data FROM cfn_stacks ORDER BY rowid")
        return [Stack.from_json(r[0]) for r in rows]

    def cfn_resources(self, stack_id: str) -> list[StackResource]:
        rows = self._engine.read(
            "SELECT data FROM cfn_resources WHERE stack_id = ? ORDER BY rowid", (stack_id,)
        )
        return [StackResource.from_json(r[0]) for r in rows]

    def cfn_save(
        self,
        *,
        stack: Stack | None = None,
        resources: Sequence[StackResource] = (),
        events: Sequence[StackEvent] = (),
        removed: Sequence[str] = (),
        stack_id: str = "",
    ) -> None:
        sid = stack.stack_id if stack is not None else stack_id
        with self._engine.transaction() as db:
            if stack is not None:
                db.execute(
                    "INSERT INTO cfn_stacks (stack_id, data) VALUES (?, ?)"
                    " ON CONFLICT (stack_id) DO UPDATE SET data = excluded.data",
                    (stack.stack_id, stack.to_json()),
                )
            for r in resources:
                db.execute(
                    "INSERT INTO cfn_resources (stack_id, logical_id, data) VALUES (?, ?, ?)"
                    " ON CONFLICT (stack_id, logical_id) DO UPDATE SET data = excluded.data",
                    (r.stack_id, r.logical_id, r.to_json()),
                )
            db.executemany(
                "DELETE FROM cfn_resources WHERE stack_id = ? AND logical_id = ?",
                [(sid, lid) for lid in removed],
            )
            db.executemany(
                "INSERT INTO cfn_events (stack_id, data) VALUES (?, ?)",
                [(e.stack_id, e.to_json()) for e in events],
            )

    def cfn_events(self, stack_id: str) -> list[StackEvent]:
        rows = self._engine.read(
            "SELECT data FROM cfn_events WHERE stack_id = ? ORDER BY seq DESC", (stack_id,)
        )
        return [StackEvent.from_json(r[0]) for r in rows]

    def cfn_purge_stack(self, stack_id: str) -> None:
        with self._engine.transaction() as db:
            for table in ("cfn_stacks", "cfn_resources", "cfn_events", "cfn_change_sets"):
                db.execute(f"DELETE FROM {table} WHERE stack_id = ?", (stack_id,))

    def cfn_change_sets(self) -> list[ChangeSet]:
        rows = self._engine.read("SELECT data FROM cfn_change_sets ORDER BY rowid")
        return [ChangeSet.from_json(r[0]) for r in rows]

    def cfn_put_change_set(self, change_set: ChangeSet) -> None:
        self._engine.write(
            "INSERT INTO cfn_change_sets (change_set_id, stack_id, data) VALUES (?, ?, ?)"
            " ON CONFLICT (change_set_id) DO UPDATE SET data = excluded.data,"
            " stack_id = excluded.stack_id",
            (change_set.change_set_id, change_set.stack_id, change_set.to_json()),
        )

    def cfn_delete_change_sets(self, change_set_ids: Sequence[str]) -> None:
        with self._engine.transaction() as db:
            db.executemany(
                "DELETE FROM cfn_change_sets WHERE change_set_id = ?",
                [(i,) for i in change_set_ids],
            )
