"""The SQS retention loop survives store errors (issue #10): one supervised step per interval."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any, cast

from ovis.services.sqs.queues import QueueService
from ovis.services.sqs.repository import QueueRepository, QueueTagRepository
from ovis.settings import Settings
from ovis.supervisor import Supervisor


class FlakyQueues:
    """The queue repository's retention call, failing while ``broken``."""

    def __init__(self) -> None:
        self.broken = True
        self.calls = 0

    def sqs_queues(self) -> list[Any]:
        return []

    def sqs_expire(self, cutoffs: dict[str, int], now_ms: int) -> int:
        self.calls += 1
        if self.broken:
            raise sqlite3.OperationalError("disk I/O error")
        return 0


def test_the_retention_loop_is_retried_and_recovers() -> None:
    store = FlakyQueues()
    svc = QueueService(cast(QueueRepository, store), Settings(), cast(QueueTagRepository, None))
    svc.expire_interval_s = 0.001
    sup = Supervisor(backoff_s=(0.001, 0.01))
    seen: list[str] = []

    async def main() -> None:
        svc.load()
        sup.loop("sqs-retention", svc.expire_step)
        while store.calls < 3:
            await asyncio.sleep(0.001)
        seen.append(sup.health()["components"]["sqs-retention"])
        store.broken = False
        calls = store.calls
        while store.calls < calls + 2 or sup.health()["status"] != "ok":
            await asyncio.sleep(0.001)
        seen.append(sup.health()["components"]["sqs-retention"])
        await sup.close()

    asyncio.run(asyncio.wait_for(main(), 10))
    assert seen == ["failing", "ok"]
