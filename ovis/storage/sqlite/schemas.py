"""The EventBridge Schemas registry in SQLite (migration 16).

Contract: synchronous, thread-safe, durable on return; each write one statement or one
transaction (all or nothing). Implements ``ovis.services.schemas.repository.SchemaRepository``:
a schema's row holds its latest version number, each version its own row, so an update is one
transaction that inserts version ``latest + 1`` and moves the row on.
"""

from __future__ import annotations

import json
from typing import Any

from ovis.models.schema_registry import Registry, Schema, SchemaVersion
from ovis.storage.sqlite.engine import Engine

_SCHEMA = (
    "SELECT s.registry, s.name, s.arn, s.type, v.content, s.latest, "
    "(SELECT COUNT(*) FROM schema_versions c WHERE c.registry = s.registry AND c.name = s.name), "
    "s.description, s.tags, s.modified, v.created FROM schemas s JOIN schema_versions v "
    "ON v.registry = s.registry AND v.name = s.name AND v.version = s.latest"
)


def _schema(r: Any) -> Schema:
    return Schema(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]), r[9], r[10])


class SqliteSchemas:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # ---- registries

    def create_registry(self, registry: Registry) -> bool:
        n = self._engine.write(
            "INSERT OR IGNORE INTO schema_registries (name, arn, description, tags) "
            "VALUES (?, ?, ?, ?)",
            (registry.name, registry.arn, registry.description, json.dumps(registry.tags)),
        )
        return n == 1

    def registry(self, name: str) -> Registry | None:
        rows = self._engine.read(
            "SELECT name, arn, description, tags FROM schema_registries WHERE name = ?", (name,)
        )
        return (
            Registry(rows[0][0], rows[0][1], rows[0][2], json.loads(rows[0][3])) if rows else None
        )

    def registries(self) -> list[Registry]:
        rows = self._engine.read(
            "SELECT name, arn, description, tags FROM schema_registries ORDER BY name"
        )
        return [Registry(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def put_registry(self, registry: Registry) -> bool:
        n = self._engine.write(
            "UPDATE schema_registries SET description = ?, tags = ? WHERE name = ?",
            (registry.description, json.dumps(registry.tags), registry.name),
        )
        return n == 1

    def delete_registry(self, name: str) -> bool:
        with self._engine.transaction() as db:
            db.execute("DELETE FROM schema_versions WHERE registry = ?", (name,))
            db.execute("DELETE FROM schemas WHERE registry = ?", (name,))
            return db.execute("DELETE FROM schema_registries WHERE name = ?", (name,)).rowcount == 1

    # ---- schemas and versions

    def create_schema(self, schema: Schema) -> bool:
        with self._engine.transaction() as db:
            if not db.execute(
                "SELECT 1 FROM schema_registries WHERE name = ?", (schema.registry,)
            ).fetchone():
                return False  # its registry was deleted meanwhile: no orphan schema
            n = db.execute(
                "INSERT OR IGNORE INTO schemas (registry, name, arn, type, latest, description, "
                "tags, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    schema.registry,
                    schema.name,
                    schema.arn,
                    schema.type,
                    schema.version,
                    schema.description,
                    json.dumps(schema.tags),
                    schema.modified_ms,
                ),
            ).rowcount
            if n != 1:
                return False
            db.execute(
                "INSERT INTO schema_versions (registry, name, version, type, content, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    schema.registry,
                    schema.name,
                    schema.version,
                    schema.type,
                    schema.content,
                    schema.version_created_ms,
                ),
            )
            return True

    def schema(self, registry: str, name: str) -> Schema | None:
        rows = self._engine.read(_SCHEMA + " WHERE s.registry = ? AND s.name = ?", (registry, name))
        return _schema(rows[0]) if rows else None

    def schemas(self, registry: str) -> list[Schema]:
        rows = self._engine.read(_SCHEMA + " WHERE s.registry = ? ORDER BY s.name", (registry,))
        return [_schema(r) for r in rows]

    def put_schema_version(
        self,
        registry: str,
        name: str,
        type_: str | None,
        content: str | None,
        description: str | None,
        now_ms: int,
    ) -> Schema | None:
        with self._engine.transaction() as db:
            row = db.execute(
                "SELECT s.latest, s.type, v.content FROM schemas s JOIN schema_versions v "
                "ON v.registry = s.registry AND v.name = s.name AND v.version = s.latest "
                "WHERE s.registry = ? AND s.name = ?",
                (registry, name),
            ).fetchone()
            if row is None:
                return None
            latest, old_type, _old_content = row
            kind = type_ or old_type
            if content is not None:
                latest += 1
                db.execute(
                    "INSERT INTO schema_versions (registry, name, version, type, content, "
                    "created) VALUES (?, ?, ?, ?, ?, ?)",
                    (registry, name, latest, kind, content, now_ms),
                )
            db.execute(
                "UPDATE schemas SET latest = ?, type = ?, modified = ?, "
                "description = COALESCE(?, description) WHERE registry = ? AND name = ?",
                (latest, kind, now_ms, description, registry, name),
            )
            got = db.execute(
                _SCHEMA + " WHERE s.registry = ? AND s.name = ?", (registry, name)
            ).fetchone()
            return _schema(got)

    def schema_version(self, registry: str, name: str, version: int) -> SchemaVersion | None:
        rows = self._engine.read(
            "SELECT version, type, content, created FROM schema_versions "
            "WHERE registry = ? AND name = ? AND version = ?",
            (registry, name, version),
        )
        return SchemaVersion(*rows[0]) if rows else None

    def schema_versions(self, registry: str, name: str) -> list[SchemaVersion]:
        rows = self._engine.read(
            "SELECT version, type, content, created FROM schema_versions "
            "WHERE registry = ? AND name = ? ORDER BY version",
            (registry, name),
        )
        return [SchemaVersion(*r) for r in rows]

    def delete_schema(self, registry: str, name: str) -> bool:
        with self._engine.transaction() as db:
            db.execute(
                "DELETE FROM schema_versions WHERE registry = ? AND name = ?", (registry, name)
            )
            n = db.execute(
                "DELETE FROM schemas WHERE registry = ? AND name = ?", (registry, name)
            ).rowcount
            return n == 1
