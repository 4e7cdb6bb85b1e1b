"""CloudWatch's metric retention: the supervised loop that keeps datapoints as AWS does.

AWS keeps data with a period under 60 s for 3 hours, 1-minute data 15 days, 5-minute data 63
days and 1-hour data 455 days, each resolution rolled up into the next as it ages. Each
``prune()`` here does the same over the store: high-resolution rows older than 3 hours become
1-minute rows, 1-minute rows older than 15 days become 5-minute rows, 5-minute rows older than
63 days become hourly rows, hourly rows older than 455 days are deleted (and metrics not put
since then are forgotten). Every age is multiplied by ``time_scale``
(``--cloudwatch-time-scale``), so tests see a day pass in a fraction of a second.

Contract: the store's write lock is held one batch (``batch`` rows) at a time, and the loop
yields to the event loop between batches, so writers are never kept waiting long. Sums, counts,
minima, maxima and value distributions survive a roll-up (queries over longer periods answer
the same); only finer periods are lost, as on AWS. ``step()`` (``Supervisor.loop``) waits
``interval`` (a minute, scaled, at least 50 ms: a pass that finds nothing is four indexed
look-ups) and prunes; an error fails the loop's health
and is retried by the supervisor.
"""

from __future__ import annotations

import asyncio
import logging
import time

from ovis.services.cloudwatch.repository import RetentionRepository
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)
LOOP = "cloudwatch-retention"
DAY_S = 24 * 3600
# (resolution, kept for, rolled up into; None: deleted)
TIERS: tuple[tuple[int, float, int | None], ...] = (
    (1, 3 * 3600, 60),
    (60, 15 * DAY_S, 300),
    (300, 63 * DAY_S, 3600),
    (3600, 455 * DAY_S, None),
)
INTERVAL_S = 60.0


class MetricRetention:
    name = LOOP

    def __init__(
        self,
        store: RetentionRepository,
        time_scale: float = 1.0,
        supervisor: Supervisor | None = None,
        batch: int = 1000,
    ) -> None:
        self.store = store
        self.time_scale = time_scale
        self.supervisor = supervisor or Supervisor()
        self.batch = batch
        self.interval_s = max(0.05, INTERVAL_S * time_scale)
        self.rolled = 0  # rows merged into coarser ones, since start
        self.deleted = 0  # rows dropped past the last tier, since start

    async def start(self) -> None:
        self.supervisor.loop(LOOP, self.step)

    async def close(self) -> None:
        await self.supervisor.stop(LOOP)

    async def step(self) -> None:
        await asyncio.sleep(self.interval_s)
        await self.prune()

    async def prune(self, now_ms: int | None = None) -> int:
        """One pass over every tier; answers how many rows it rolled up or deleted."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        done = 0
        for period_s, keep_s, into in TIERS:
            before = now_ms - int(keep_s * self.time_scale * 1000)
            while True:
                if into is None:
                    n = await asyncio.to_thread(
                        self.store.delete_data, period_s, before, self.batch
                    )
                    self.deleted += n
                else:
                    n = await asyncio.to_thread(
                        self.store.roll_up, period_s, before, into, self.batch
                    )
                    self.rolled += n
                done += n
                if n < self.batch:
                    break
                await asyncio.sleep(0)  # let writers in between batches
        last = TIERS[-1]
        await asyncio.to_thread(
            self.store.forget_metrics, now_ms - int(last[1] * self.time_scale * 1000)
        )
        if done:
            log.info("cloudwatch retention: %d datapoint rows rolled up or deleted", done)
        return done
