"""Application Auto Scaling: scalable targets and scaling policies, as the JSON of their API
shapes, keyed by (namespace, resource id, dimension) and, for policies, name.

Contract: synchronous, thread-safe, durable on return; a None ``data`` deletes, and deleting a
target deletes its policies in the same transaction.
"""

from __future__ import annotations

import json

from ovis.storage.sqlite.engine import Engine


class SqliteAutoscaling:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def scalable_targets(self) -> list[dict[str, object]]:
        return [json.loads(r[0]) for r in self._engine.read("SELECT data FROM scalable_targets")]

    def put_scalable_target(
        self, namespace: str, resource_id: str, dimension: str, data: dict[str, object] | None
    ) -> None:
        """Store the target; None deregisters it and deletes its policies, atomically."""
        key = (namespace, resource_id, dimension)
        if data is not None:
            self._engine.write(
                "INSERT OR REPLACE INTO scalable_targets "
                "(namespace, resource_id, dimension, data) VALUES (?, ?, ?, ?)",
                (*key, json.dumps(data)),
            )
            return
        where = "WHERE namespace = ? AND resource_id = ? AND dimension = ?"
        with self._engine.transaction() as db:
            db.execute(f"DELETE FROM scaling_policies {where}", key)
            db.execute(f"DELETE FROM scalable_targets {where}", key)

    def scaling_policies(self) -> list[dict[str, object]]:
        return [json.loads(r[0]) for r in self._engine.read("SELECT data FROM scaling_policies")]

    def put_scaling_policy(
        self,
        namespace: str,
        resource_id: str,
        dimension: str,
        name: str,
        data: dict[str, object] | None,
    ) -> None:
        """Store the policy; None deletes it."""
        key = {
            "namespace": namespace,
            "resource_id": resource_id,
            "dimension": dimension,
            "name": name,
        }
        self._engine.put_or_delete(
            "scaling_policies", key, None if data is None else {"data": json.dumps(data)}
        )
