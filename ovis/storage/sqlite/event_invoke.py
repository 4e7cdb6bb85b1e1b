"""Event invoke configs per (function, qualifier) and recursion configs per function.

Contract: synchronous, thread-safe, durable on return; a None config deletes it.
``delete_function`` removes both for the function.
"""

from __future__ import annotations

import json

from ovis.storage.sqlite.engine import Engine


class SqliteEventInvoke:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def event_invoke_configs(self) -> list[tuple[str, str, dict[str, object]]]:
        rows = self._engine.read("SELECT function, qualifier, data FROM event_invoke_configs")
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    def put_event_invoke_config(
        self, function: str, qualifier: str, data: dict[str, object] | None
    ) -> None:
        values = None if data is None else {"data": json.dumps(data)}
        self._engine.put_or_delete(
            "event_invoke_configs", {"function": function, "qualifier": qualifier}, values
        )

    def recursion_configs(self) -> dict[str, str]:
        rows = self._engine.read("SELECT function, mode FROM recursion_configs")
        return {str(r[0]): str(r[1]) for r in rows}

    def put_recursion_config(self, function: str, mode: str) -> None:
        self._engine.write(
            "INSERT OR REPLACE INTO recursion_configs (function, mode) VALUES (?, ?)",
            (function, mode),
        )
