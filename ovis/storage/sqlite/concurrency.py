"""Reserved concurrency per function and provisioned concurrency per (function, qualifier).

Contract: synchronous, thread-safe, durable on return; a None value removes the setting
(removing a missing one is a no-op). ``delete_function`` also removes both.
"""

from __future__ import annotations

from ovis.storage.sqlite.engine import Engine


class SqliteConcurrency:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def reserved_concurrency(self) -> dict[str, int]:
        rows = self._engine.read("SELECT name, reserved FROM function_concurrency")
        return {str(r[0]): int(r[1]) for r in rows}

    def put_reserved_concurrency(self, name: str, reserved: int | None) -> None:
        values = None if reserved is None else {"reserved": reserved}
        self._engine.put_or_delete("function_concurrency", {"name": name}, values)

    def provisioned_configs(self) -> list[tuple[str, str, int, str]]:
        """(function, qualifier, requested, last modified) of every config."""
        rows = self._engine.read(
            "SELECT function, qualifier, requested, last_modified FROM provisioned_concurrency"
        )
        return [(r[0], r[1], int(r[2]), r[3]) for r in rows]

    def put_provisioned(
        self, function: str, qualifier: str, requested: int | None, last_modified: str = ""
    ) -> None:
        values = (
            None if requested is None else {"requested": requested, "last_modified": last_modified}
        )
        self._engine.put_or_delete(
            "provisioned_concurrency", {"function": function, "qualifier": qualifier}, values
        )
