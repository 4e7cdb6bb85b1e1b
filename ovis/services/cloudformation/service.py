"""The CloudFormation service package's face to the front door, and how the server builds it.

``CloudFormation.build`` wires the use cases over a repository; ``providers`` is called late
(the resource handlers need the server's in-process calls, built after the service tables).
As a component, ``start()`` loads the stacks and resumes any operation a crash interrupted;
``close()`` cancels running operations and waits for them (what was persisted is what the
next start resumes from).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ovis.services.cloudformation.book import StackBook
from ovis.services.cloudformation.engine import Engine, Exports
from ovis.services.cloudformation.operations import CloudFormationApi
from ovis.services.cloudformation.operations_queue import Operations
from ovis.services.cloudformation.repository import StackRepository
from ovis.services.cloudformation.resources.base import ResourceProvider
from ovis.services.cloudformation.stacks import StackService, TemplateObjects
from ovis.services.table import ServiceTable
from ovis.supervisor import Supervisor


class CloudFormation:
    name = "cloudformation"

    def __init__(
        self,
        repo: StackRepository,
        providers: Callable[[], Mapping[str, ResourceProvider]],
        supervisor: Supervisor,
        objects: TemplateObjects | None,
        region: str,
        account_id: str,
        settle_s: float = 0.0,
    ) -> None:
        self.book = StackBook(repo)
        self.engine = Engine(self.book, providers, Exports(self.book))
        self.operations = Operations(self.engine, supervisor, settle_s)
        self.stacks = StackService(
            self.book, self.engine, self.operations, providers, objects, region, account_id
        )

    async def start(self) -> None:
        await self.operations.start()
        await self.stacks.start()

    async def close(self) -> None:
        await self.operations.close()


def cloudformation_service(cfn: CloudFormation) -> ServiceTable:
    return ServiceTable("cloudformation", CloudFormationApi(cfn.stacks).handlers)
