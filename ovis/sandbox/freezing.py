"""Idle instances: frozen after ``freeze_after_s`` (negative: never), thawed when taken again,
reclaimed after ``idle_ttl_s``.

Contract: event-loop thread only. ``freeze_idle`` and ``reap_idle`` are one sweep each, cheap and
idempotent; the manager's reaper loop runs them every ``tick`` seconds. A freeze or thaw the
kernel refuses is logged, never raised: the instance then simply stays as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from ovis.sandbox.eviction import MemoryBudget
from ovis.sandbox.instance import State
from ovis.sandbox.pooled import Pool, PooledInstance

log = logging.getLogger(__name__)


class Freezer:
    def __init__(
        self,
        budget: MemoryBudget,
        freeze_after_s: float,
        idle_ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget = budget
        self.freeze_after_s = freeze_after_s
        self.idle_ttl_s = idle_ttl_s
        self.clock = clock

    @property
    def tick(self) -> float:
        """How often to sweep: often enough to honour both delays, at most every 50 ms."""
        tick = min(1.0, self.idle_ttl_s / 4)
        if self.freeze_after_s >= 0:
            tick = min(tick, self.freeze_after_s / 2)
        return max(0.05, tick)

    def freeze_idle(self, pools: Iterable[Pool]) -> None:
        """Freeze every idle instance of ``pools`` released at least ``freeze_after_s`` ago."""
        if self.freeze_after_s < 0:
            return
        cutoff = self.clock() - self.freeze_after_s
        for pool in pools:
            for inst in pool.idle:
                if not inst.frozen and inst.last_used <= cutoff and inst.state is State.IDLE:
                    try:
                        inst.freeze()
                    except OSError as e:
                        log.warning("could not freeze instance %s: %s", inst.id, e)

    def thaw(self, inst: PooledInstance) -> None:
        try:
            inst.thaw()
        except OSError as e:
            log.warning("could not thaw instance %s: %s", inst.id, e)

    def reap_idle(self, pools: dict[tuple[str, str, str], Pool]) -> None:
        """Drop idle instances released more than ``idle_ttl_s`` ago, or dead; forget pools that
        are left empty."""
        cutoff = self.clock() - self.idle_ttl_s
        for key, pool in list(pools.items()):
            keep = [i for i in pool.idle if i.last_used >= cutoff and i.state is State.IDLE]
            for inst in pool.idle:
                if inst not in keep:
                    self.budget.drop(inst)
            pool.idle = keep
            if pool.size() == 0:
                del pools[key]
