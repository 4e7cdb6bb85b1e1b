"""The memory budget: instances reserve their MemorySize; over budget, idle on-demand instances
are evicted least recently used first.

Contract: event-loop thread only. ``reserve`` once per made instance, ``drop`` ends one (releases
its reservation and kills it; idempotent). Provisioned instances count but are never evicted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ovis.sandbox.pooled import Pool, PooledInstance

log = logging.getLogger(__name__)


def default_memory_budget_mb() -> int:
    """80% of the host's memory: what instances may reserve (by MemorySize) before eviction."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024 * 8 // 10
    except OSError:
        pass
    return 8192


class MemoryBudget:
    def __init__(self, budget_mb: int) -> None:
        self.budget_mb = budget_mb
        self.reserved_mb = 0  # sum of MemorySize over live instances
        self.evictions = 0

    def reserve(self, inst: PooledInstance) -> None:
        self.reserved_mb += inst.reserved_mb

    def drop(self, inst: PooledInstance) -> None:
        """Kill ``inst`` and release its reservation; idempotent."""
        self.reserved_mb -= inst.reserved_mb
        inst.reserved_mb = 0
        inst.kill()

    def make_room(self, memory_mb: int, pools: Iterable[Pool]) -> None:
        """Evict idle instances of ``pools``, least recently used first, until ``memory_mb``
        more fits (or nothing idle is left: the budget is soft, a start is never refused)."""
        if self.reserved_mb + memory_mb <= self.budget_mb:
            return
        idle = sorted(
            ((inst, pool) for pool in pools for inst in pool.idle),
            key=lambda pair: pair[0].last_used,
        )
        for inst, pool in idle:
            if self.reserved_mb + memory_mb <= self.budget_mb:
                break
            pool.idle.remove(inst)
            self.drop(inst)
            self.evictions += 1
