"""The DynamoDB service package's face to the front door and the composition root:
``DynamoDb`` builds the catalog, the item use cases and the TTL loop over one store, and is
a supervisor-managed component (``start`` loads the tables and starts ``dynamodb-ttl``)."""

from __future__ import annotations

import asyncio

from ovis.services.dynamodb.items import ItemService
from ovis.services.dynamodb.operations import DynamoDbApi
from ovis.services.dynamodb.repository import DynamoDbRepository, TagRepository
from ovis.services.dynamodb.tables import TableCatalog
from ovis.services.dynamodb.ttl import TimeToLive
from ovis.services.table import ServiceTable
from ovis.supervisor import Supervisor


class DynamoDb(ServiceTable):
    def __init__(
        self,
        store: DynamoDbRepository,
        tags: TagRepository,
        region: str,
        account: str,
        supervisor: Supervisor,
    ) -> None:
        self.catalog = TableCatalog(store, tags, region, account)
        self.items = ItemService(self.catalog)
        self.ttl = TimeToLive(self.items)
        self.supervisor = supervisor
        super().__init__("dynamodb", DynamoDbApi(self.catalog, self.items).handlers)

    async def start(self) -> None:
        await asyncio.to_thread(self.catalog.load)
        self.supervisor.loop("dynamodb-ttl", self.ttl.step)

    async def close(self) -> None:
        await self.supervisor.stop("dynamodb-ttl")
