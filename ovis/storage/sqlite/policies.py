"""Function resource policies per (function, qualifier), qualifier "" being the unqualified
function: the statements in order and the policy's revision id.

Contract: synchronous, thread-safe, durable on return; storing no statements deletes the
policy; ``delete_function`` removes the function's policies.
"""

from __future__ import annotations

import json
from typing import Any

from ovis.storage.sqlite.engine import Engine


class SqlitePolicies:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def function_policies(self) -> list[tuple[str, str, list[dict[str, Any]], str]]:
        rows = self._engine.read(
            "SELECT function, qualifier, statements, revision_id FROM function_policies"
        )
        return [(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

    def put_function_policy(
        self, function: str, qualifier: str, statements: list[dict[str, Any]], revision_id: str
    ) -> None:
        """Replace the policy of (function, qualifier); no statements removes it."""
        values = (
            {"statements": json.dumps(statements), "revision_id": revision_id}
            if statements
            else None
        )
        self._engine.put_or_delete(
            "function_policies", {"function": function, "qualifier": qualifier}, values
        )
