"""Functions, their published versions and their aliases.

Contract: synchronous, thread-safe, durable on return (see ``engine``). A version number is
never reused: the per-function counter (``last_version``) only grows while the function exists.
``delete_function`` is the one write across aggregates: in ONE transaction it removes the
function's versions, counter and aliases and everything else keyed by its name (reserved and
provisioned concurrency, event invoke and recursion configs, function URLs, resource policies),
so no orphan of a deleted function can reattach to a new function of the same name. Tags are
keyed by ARN and deleted by the caller (``tags.delete_tags``), as they always were.
"""

from __future__ import annotations

import json

from ovis.models.function import FunctionConfig
from ovis.storage.sqlite.engine import Engine

# Tables keyed by function name besides ``functions`` itself, cleared by delete_function.
_FUNCTION_KEYED = (
    ("function_concurrency", "name"),
    ("version_counters", "name"),
    ("aliases", "function"),
    ("provisioned_concurrency", "function"),
    ("event_invoke_configs", "function"),
    ("recursion_configs", "function"),
    ("function_urls", "function"),
    ("function_policies", "function"),
)


class SqliteFunctions:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put_function(self, cfg: FunctionConfig) -> None:
        """Create or replace one (name, version)."""
        self._engine.write(
            "INSERT OR REPLACE INTO functions (name, version, config) VALUES (?, ?, ?)",
            (cfg.name, cfg.version, json.dumps(cfg.to_json())),
        )

    def get_function(self, name: str, version: str) -> FunctionConfig | None:
        rows = self._engine.read(
            "SELECT config FROM functions WHERE name = ? AND version = ?", (name, version)
        )
        return FunctionConfig.from_json(json.loads(rows[0][0])) if rows else None

    def list_functions(self) -> list[FunctionConfig]:
        """Every stored (name, version), ordered by name then version (as text)."""
        rows = self._engine.read("SELECT config FROM functions ORDER BY name, version")
        return [FunctionConfig.from_json(json.loads(r[0])) for r in rows]

    def delete_function(self, name: str) -> None:
        """The function and everything keyed by its name, atomically (see the module doc)."""
        with self._engine.transaction() as db:
            db.execute("DELETE FROM functions WHERE name = ?", (name,))
            for table, column in _FUNCTION_KEYED:
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))

    def delete_version(self, name: str, version: str) -> None:
        """Drop one version; the counter is kept, so its number is not reused."""
        self._engine.write("DELETE FROM functions WHERE name = ? AND version = ?", (name, version))

    def publish_version(self, cfg: FunctionConfig) -> None:
        """Store a new version and advance the function's counter, atomically. A version that
        already exists raises ConflictError and changes nothing."""
        with self._engine.transaction() as db:
            db.execute(
                "INSERT INTO functions (name, version, config) VALUES (?, ?, ?)",
                (cfg.name, cfg.version, json.dumps(cfg.to_json())),
            )
            db.execute(
                "INSERT OR REPLACE INTO version_counters (name, last_version) VALUES (?, ?)",
                (cfg.name, int(cfg.version)),
            )

    def last_version(self, name: str) -> int:
        """The highest version number ever published for the function (0: none)."""
        rows = self._engine.read(
            "SELECT last_version FROM version_counters WHERE name = ?", (name,)
        )
        return int(rows[0][0]) if rows else 0

    # aliases (the JSON of models.alias.Alias)
    def put_alias(self, function: str, name: str, data: dict[str, object]) -> None:
        self._engine.write(
            "INSERT OR REPLACE INTO aliases (function, name, data) VALUES (?, ?, ?)",
            (function, name, json.dumps(data)),
        )

    def delete_alias(self, function: str, name: str) -> None:
        self._engine.write("DELETE FROM aliases WHERE function = ? AND name = ?", (function, name))

    def list_aliases(self) -> list[dict[str, object]]:
        return [json.loads(r[0]) for r in self._engine.read("SELECT data FROM aliases")]
