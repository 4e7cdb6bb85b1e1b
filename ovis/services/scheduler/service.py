"""The scheduler package's face to the composition root: one component and its API table.

``Scheduler`` wires the use cases (groups, schedules), the targets and the durable timer; as a
component it loads groups, schedules and the outbox from the store and starts the timer's
loops (``start``), and stops them (``close``, idempotent). ``scheduler_service`` is the
``AwsService`` the front door serves.
"""

from __future__ import annotations

import asyncio

from ovis.invoke.destinations import BusSender, FunctionTriggers, QueueSender, TopicSender
from ovis.services.scheduler.firing import Firing
from ovis.services.scheduler.groups import GroupService
from ovis.services.scheduler.operations import SchedulerApi
from ovis.services.scheduler.repository import GroupTagRepository, ScheduleRepository
from ovis.services.scheduler.schedules import ScheduleService
from ovis.services.scheduler.targets import Targets
from ovis.services.table import ServiceTable
from ovis.supervisor import Supervisor


class Scheduler:
    name = "scheduler"

    def __init__(
        self,
        store: ScheduleRepository,
        tags: GroupTagRepository,
        region: str,
        account: str,
        supervisor: Supervisor,
        *,
        functions: FunctionTriggers | None,
        queues: QueueSender | None,
        topics: TopicSender | None = None,
        buses: BusSender | None = None,
        retry_scale: float = 1.0,
    ) -> None:
        self.targets = Targets(account, functions, queues, topics, buses)
        self.groups = GroupService(store, tags, region, account)
        self.schedules = ScheduleService(store, self.groups, self.targets, region, account)
        self.firing = Firing(store, self.schedules, self.targets, supervisor, retry_scale)
        self.api = SchedulerApi(self.groups, self.schedules)
        self._started = False

    async def start(self) -> None:
        await asyncio.to_thread(self.groups.load)
        await asyncio.to_thread(self.schedules.load)
        await self.firing.start()
        self._started = True

    async def close(self) -> None:
        if self._started:
            self._started = False
            await self.firing.close()


def scheduler_service(scheduler: Scheduler) -> ServiceTable:
    return ServiceTable("scheduler", scheduler.api.handlers)
