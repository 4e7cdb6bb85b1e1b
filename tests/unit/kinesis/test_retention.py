"""The kinesis-retention loop (ovis/services/kinesis/retention.py) under the supervisor: it
trims on every step and survives store errors."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any, cast

from ovis.services.kinesis.catalog import StreamCatalog
from ovis.services.kinesis.repository import StreamRepository
from ovis.services.kinesis.retention import Retention
from ovis.supervisor import Supervisor


class FlakyStreams:
    """The stream repository's trimming call, failing while ``broken``."""

    def __init__(self) -> None:
        self.broken = True
        self.calls = 0

    def kinesis_streams(self) -> list[Any]:
        return []

    def kinesis_write(self, batch: Any) -> None:
        pass

    def kinesis_trim(self, cutoffs: dict[str, int]) -> int:
        self.calls += 1
        if self.broken:
            raise sqlite3.OperationalError("disk I/O error")
        return 0


def test_the_retention_loop_is_retried_and_recovers() -> None:
    store = FlakyStreams()
    catalog = StreamCatalog(cast(StreamRepository, store), "us-east-1", "000000000000")
    retention = Retention(catalog, interval_s=0.001)
    sup = Supervisor(backoff_s=(0.001, 0.01))
    seen: list[str] = []

    async def main() -> None:
        await catalog.start()
        sup.loop("kinesis-retention", retention.step)
        while store.calls < 3:
            await asyncio.sleep(0.001)
        seen.append(sup.health()["components"]["kinesis-retention"])
        store.broken = False
        calls = store.calls
        while store.calls < calls + 2 or sup.health()["status"] != "ok":
            await asyncio.sleep(0.001)
        seen.append(sup.health()["components"]["kinesis-retention"])
        await sup.close()

    asyncio.run(asyncio.wait_for(main(), 10))
    assert seen == ["failing", "ok"]
