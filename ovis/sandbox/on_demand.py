"""On-demand pools, one per (function, version, revision): warm reuse, cold starts, proactive
initialization of a spare while a slow-starting pool scales out, and retirement.

Contract (event-loop thread only):
- ``acquire(spec)`` returns an instance ready for one invocation: a warm one if any (most
  recently used first, so the fewest stay warm; thawed if frozen), else a new one (a cold
  start). It never hands one instance to two callers. ``release()`` returns it; a dead or
  retired one is dropped.
- ``retire(name, keep)`` ends a function's pools not in ``keep``: idle instances die now, busy
  ones when released. After ``close()`` every release drops and no spare is started.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ovis.sandbox.eviction import MemoryBudget
from ovis.sandbox.freezing import Freezer
from ovis.sandbox.instance import InstanceSpec, State
from ovis.sandbox.pooled import Launcher, Pool, PooledInstance

log = logging.getLogger(__name__)

# Pools whose cold starts take at least this long get a spare instance while scaling out.
PRESTART_MIN_INIT_MS = 20.0

PoolKey = tuple[str, str, str]


class OnDemandPools:
    def __init__(
        self,
        launcher: Launcher,
        budget: MemoryBudget,
        freezer: Freezer,
        clock: Callable[[], float] = time.monotonic,
        prestart_ms: float = PRESTART_MIN_INIT_MS,
    ) -> None:
        self.launcher = launcher
        self.budget = budget
        self.freezer = freezer
        self.clock = clock
        self.prestart_ms = prestart_ms
        self.pools: dict[PoolKey, Pool] = {}
        self.cold_starts: dict[str, int] = {}  # function name -> cold starts since start
        self.closed = False

    async def new_instance(self, spec: InstanceSpec) -> PooledInstance:
        """A made (not started) instance of ``spec``, its memory reserved, evicting idle
        on-demand instances first if the budget needs it."""
        self.budget.make_room(spec.memory_mb, self.pools.values())
        inst = await self.launcher.create(spec)
        self.budget.reserve(inst)
        return inst

    async def acquire(self, spec: InstanceSpec) -> tuple[PooledInstance, bool]:
        """(instance, cold): a warm instance of ``spec`` or a newly started one."""
        pool = self.pools.get(spec.key)
        if pool is None or pool.retired:
            pool = self.pools[spec.key] = Pool(spec)
        while pool.idle:
            inst = pool.idle.pop()
            if inst.state is not State.IDLE:  # died while idle
                self.budget.drop(inst)
                continue
            if inst.frozen:
                self.freezer.thaw(inst)
            pool.busy.add(inst)
            if not await inst.wait_for_runtime():  # its runtime exited after the last result
                pool.busy.discard(inst)
                self.budget.drop(inst)
                continue
            if len(pool.busy) > 1:  # others are busy too: the pool is scaling out
                self._maybe_prestart(pool)
            return inst, False
        scaling_out = bool(pool.busy)
        inst = await self.new_instance(spec)
        pool.busy.add(inst)
        try:
            await inst.start()
        except BaseException:
            pool.busy.discard(inst)
            self.budget.drop(inst)
            raise
        pool.last_init_ms = inst.init_ms or 0.0
        name = spec.key[0]
        self.cold_starts[name] = self.cold_starts.get(name, 0) + 1
        if scaling_out:
            self._maybe_prestart(pool)
        return inst, True

    def release(self, inst: PooledInstance) -> None:
        pool = self.pools.get(inst.spec.key)
        if pool is not None:
            pool.busy.discard(inst)
        if inst.state is not State.IDLE or pool is None or pool.retired or self.closed:
            self.budget.drop(inst)
            if (
                pool is not None
                and pool.size() == 0
                and pool.retired
                and self.pools.get(inst.spec.key) is pool
            ):
                del self.pools[inst.spec.key]
            return
        inst.last_used = self.clock()
        pool.idle.append(inst)

    def _maybe_prestart(self, pool: Pool) -> None:
        """Proactive initialization where cold starts are slow (at least ``prestart_ms``; a Node.js
        instance takes ~45 ms, node itself ~25 ms of it, while a Python one forks in ~6 ms):
        while a pool is scaling out (all its instances busy), keep one spare instance
        initializing ahead of demand, so the next overlapping invocation finds it ready."""
        if (
            pool.last_init_ms < self.prestart_ms
            or pool.idle
            or pool.prestarting
            or pool.retired
            or self.closed
        ):
            return
        pool.prestarting = True
        asyncio.get_running_loop().create_task(self._prestart(pool))

    async def _prestart(self, pool: Pool) -> None:
        inst: PooledInstance | None = None
        try:
            inst = await self.new_instance(pool.spec)
            await inst.start()
        except Exception as e:  # init errors surface on the next on-demand start instead
            log.info("proactive initialization of %s failed: %s", pool.spec.key[0], e)
            if inst is not None:
                self.budget.drop(inst)
            return
        finally:
            pool.prestarting = False
        if pool.retired or self.closed or self.pools.get(pool.spec.key) is not pool:
            self.budget.drop(inst)
            return
        inst.init_ms = None  # initialized ahead of time: no Init Duration on its invocation
        inst.last_used = self.clock()
        pool.idle.append(inst)

    def retire(self, name: str, keep: set[PoolKey]) -> None:
        """Retire every pool of function ``name`` whose key is not in ``keep``."""
        for key, pool in list(self.pools.items()):
            if key[0] != name or key in keep:
                continue
            pool.retired = True
            for inst in pool.idle:
                self.budget.drop(inst)
            pool.idle.clear()
            if not pool.busy:
                del self.pools[key]

    def close(self) -> None:
        """Drop every instance; later releases drop theirs too. Idempotent."""
        self.closed = True
        for pool in self.pools.values():
            for inst in [*pool.idle, *pool.busy]:
                self.budget.drop(inst)
        self.pools.clear()
