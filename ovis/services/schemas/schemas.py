"""Schemas and their versions: CreateSchema, UpdateSchema, DescribeSchema, ListSchemas,
DeleteSchema, ListSchemaVersions.

Contract: a schema lives in an existing registry; CreateSchema makes version 1 and refuses an
existing name (ConflictException); each UpdateSchema that brings Content adds the next version
(an update of the description or type alone keeps the version); DescribeSchema answers the
latest version or the SchemaVersion asked for. Content is checked against its Type before
anything is written. Durable on return; store calls run off the event loop.
"""

from __future__ import annotations

import asyncio
import time

from ovis.models.schema_registry import Schema, SchemaVersion
from ovis.services.schemas.commands import CreateSchema, Page, UpdateSchema
from ovis.services.schemas.errors import (
    BadRequestException,
    ConflictException,
    NotFoundException,
    registry_not_found,
    schema_not_found,
)
from ovis.services.schemas.names import check_content, check_schema_name, check_tags, schema_arn
from ovis.services.schemas.paging import paginate
from ovis.services.schemas.repository import SchemaRepository


def _now_ms() -> int:
    return int(time.time() * 1000)


class SchemaService:
    def __init__(self, store: SchemaRepository, region: str, account: str) -> None:
        self.store = store
        self.region = region
        self.account = account

    async def _registry_exists(self, registry: str) -> None:
        if await asyncio.to_thread(self.store.registry, registry) is None:
            raise registry_not_found(registry)

    async def create(self, cmd: CreateSchema) -> Schema:
        check_schema_name(cmd.name)
        check_tags(cmd.tags)
        check_content(cmd.type, cmd.content)
        await self._registry_exists(cmd.registry)
        now = _now_ms()
        schema = Schema(
            cmd.registry,
            cmd.name,
            schema_arn(self.region, self.account, cmd.registry, cmd.name),
            cmd.type,
            cmd.content,
            1,
            1,
            cmd.description,
            cmd.tags,
            now,
            now,
        )
        if not await asyncio.to_thread(self.store.create_schema, schema):
            await self._registry_exists(cmd.registry)  # deleted meanwhile, or a name taken
            raise ConflictException(
                f"Schema with name {cmd.name} already exists in registry {cmd.registry}."
            )
        return schema

    async def update(self, cmd: UpdateSchema) -> Schema:
        if cmd.content is not None:
            current = await self.get(cmd.registry, cmd.name)
            check_content(cmd.type or current.type, cmd.content)
        got = await asyncio.to_thread(
            self.store.put_schema_version,
            cmd.registry,
            cmd.name,
            cmd.type,
            cmd.content,
            cmd.description,
            _now_ms(),
        )
        if got is None:
            await self._registry_exists(cmd.registry)
            raise schema_not_found(cmd.registry, cmd.name)
        return got

    async def get(self, registry: str, name: str) -> Schema:
        got = await asyncio.to_thread(self.store.schema, registry, name)
        if got is None:
            await self._registry_exists(registry)
            raise schema_not_found(registry, name)
        return got

    async def get_version(self, registry: str, name: str, version: str) -> SchemaVersion:
        if not version.isdigit() or int(version) < 1:
            raise BadRequestException(f"Invalid SchemaVersion {version!r}: a positive integer.")
        await self.get(registry, name)
        got = await asyncio.to_thread(self.store.schema_version, registry, name, int(version))
        if got is None:
            raise NotFoundException(
                f"Schema {name} in registry {registry} has no version {int(version)}."
            )
        return got

    async def find(
        self, registry: str, prefix: str | None, page: Page
    ) -> tuple[list[Schema], str | None]:
        await self._registry_exists(registry)
        found = await asyncio.to_thread(self.store.schemas, registry)
        found = [s for s in found if not prefix or s.name.startswith(prefix)]
        return paginate(found, lambda s: s.name, page)

    async def versions(
        self, registry: str, name: str, page: Page
    ) -> tuple[list[SchemaVersion], str | None]:
        await self.get(registry, name)
        found = await asyncio.to_thread(self.store.schema_versions, registry, name)
        return paginate(found, lambda v: f"{v.version:012d}", page)

    async def delete(self, registry: str, name: str) -> None:
        if not await asyncio.to_thread(self.store.delete_schema, registry, name):
            await self._registry_exists(registry)
            raise schema_not_found(registry, name)
