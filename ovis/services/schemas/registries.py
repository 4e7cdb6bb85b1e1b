"""Registries: CreateRegistry, DescribeRegistry, ListRegistries, DeleteRegistry.

Contract: every write is durable on return (the repository's); a name is created once
(ConflictException after); deleting a registry deletes its schemas. Store calls run off the
event loop (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio

from ovis.models.schema_registry import Registry
from ovis.services.schemas.commands import Page
from ovis.services.schemas.errors import ConflictException, registry_not_found
from ovis.services.schemas.names import check_registry_name, check_tags, registry_arn
from ovis.services.schemas.paging import paginate
from ovis.services.schemas.repository import SchemaRepository


class RegistryService:
    def __init__(self, store: SchemaRepository, region: str, account: str) -> None:
        self.store = store
        self.region = region
        self.account = account

    async def create(self, name: str, description: str | None, tags: dict[str, str]) -> Registry:
        check_registry_name(name)
        check_tags(tags)
        registry = Registry(name, registry_arn(self.region, self.account, name), description, tags)
        if not await asyncio.to_thread(self.store.create_registry, registry):
            raise ConflictException(f"Registry with name {name} already exists.")
        return registry

    async def get(self, name: str) -> Registry:
        registry = await asyncio.to_thread(self.store.registry, name)
        if registry is None:
            raise registry_not_found(name)
        return registry

    async def find(
        self, prefix: str | None, scope: str | None, page: Page
    ) -> tuple[list[Registry], str | None]:
        # AWS-scoped registries (aws.events...) are AWS's own: this server has none
        found = [] if scope == "AWS" else await asyncio.to_thread(self.store.registries)
        found = [r for r in found if not prefix or r.name.startswith(prefix)]
        return paginate(found, lambda r: r.name, page)

    async def delete(self, name: str) -> None:
        if not await asyncio.to_thread(self.store.delete_registry, name):
            raise registry_not_found(name)
