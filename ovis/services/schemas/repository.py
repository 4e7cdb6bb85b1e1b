"""What the Schemas service stores, as a protocol it owns (implemented by ``ovis.storage``).

Contract (whatever the backend): synchronous, thread-safe, durable on return; each method is
one statement or one transaction (all or nothing). ``create_*`` write only when the name is
free (False otherwise). ``put_schema_version`` adds version ``latest + 1`` of an existing
schema atomically (None when the schema is gone). Deleting a registry deletes its schemas and
their versions; deleting a schema deletes its versions. Lists are in name (version) order.
"""

from __future__ import annotations

from typing import Protocol

from ovis.models.schema_registry import Registry, Schema, SchemaVersion


class SchemaRepository(Protocol):
    def create_registry(self, registry: Registry) -> bool: ...

    def registry(self, name: str) -> Registry | None: ...

    def registries(self) -> list[Registry]: ...

    def put_registry(self, registry: Registry) -> bool: ...

    def delete_registry(self, name: str) -> bool: ...

    def create_schema(self, schema: Schema) -> bool: ...

    def schema(self, registry: str, name: str) -> Schema | None: ...

    def schemas(self, registry: str) -> list[Schema]: ...

    def put_schema_version(
        self,
        registry: str,
        name: str,
        type_: str | None,
        content: str | None,
        description: str | None,
        now_ms: int,
    ) -> Schema | None: ...

    def schema_version(self, registry: str, name: str, version: int) -> SchemaVersion | None: ...

    def schema_versions(self, registry: str, name: str) -> list[SchemaVersion]: ...

    def delete_schema(self, registry: str, name: str) -> bool: ...
