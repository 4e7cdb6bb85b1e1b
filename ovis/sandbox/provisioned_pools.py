"""Provisioned concurrency: pre-initialized instances per (function, qualifier), never reaped or
evicted, used before on-demand instances by invocations of that qualifier.

Contract (event-loop thread only): ``provision(target, spec, count)`` makes ``target`` hold
exactly ``count`` ready instances of ``spec`` (instances of another spec are replaced; init
failures raise); ``deprovision`` drops the idle ones now and the busy ones when released.
After ``close()`` every release drops.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from ovis.sandbox.eviction import MemoryBudget
from ovis.sandbox.freezing import Freezer
from ovis.sandbox.instance import InstanceSpec, State
from ovis.sandbox.pooled import Pool, PooledInstance

Target = tuple[str, str]  # (function, qualifier as invoked)


class ProvisionedPools:
    def __init__(
        self,
        new_instance: Callable[[InstanceSpec], Awaitable[PooledInstance]],
        budget: MemoryBudget,
        freezer: Freezer,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.new_instance = new_instance
        self.budget = budget
        self.freezer = freezer
        self.clock = clock
        self.pools: dict[Target, Pool] = {}
        self.closed = False

    def acquire(self, target: Target) -> PooledInstance | None:
        """An idle pre-initialized instance for ``target``, or None (then go on-demand)."""
        pool = self.pools.get(target)
        while pool is not None and pool.idle:
            inst = pool.idle.pop()
            if inst.state is not State.IDLE:
                self.budget.drop(inst)
                continue
            if inst.frozen:
                self.freezer.thaw(inst)
            pool.busy.add(inst)
            return inst
        return None

    async def provision(
        self, target: Target, spec: InstanceSpec, count: int, parallel: int = 4
    ) -> int:
        """Make ``target`` hold exactly ``count`` ready instances of ``spec``; returns how many
        it holds. Instances of another spec (an alias moved) are replaced. Init failures raise."""
        pool = self.pools.get(target)
        if pool is None or pool.spec.key != spec.key or pool.spec.env != spec.env:
            if pool is not None:
                self._retire(pool)
            pool = self.pools[target] = Pool(spec)
        while len(pool.idle) + len(pool.busy) > count and pool.idle:
            self.budget.drop(pool.idle.pop(0))
        missing = count - pool.size()
        while missing > 0 and self.pools.get(target) is pool:
            batch = min(parallel, missing)
            results = await asyncio.gather(
                *(self._start(target, spec) for _ in range(batch)), return_exceptions=True
            )
            started = [r for r in results if not isinstance(r, BaseException)]
            for result in results:
                if isinstance(result, BaseException):
                    for other in started:
                        self.budget.drop(other)
                    raise result
            if self.pools.get(target) is not pool:  # deprovisioned meanwhile
                for inst in started:
                    self.budget.drop(inst)
                break
            pool.idle.extend(started)
            missing -= batch
        return pool.size()

    async def _start(self, target: Target, spec: InstanceSpec) -> PooledInstance:
        inst = await self.new_instance(spec)
        inst.provisioned_for = target
        try:
            await inst.start()
        except BaseException:
            self.budget.drop(inst)
            raise
        inst.init_ms = None  # initialized ahead of time: no Init Duration on its invocations
        return inst

    def deprovision(self, target: Target) -> None:
        pool = self.pools.pop(target, None)
        if pool is not None:
            self._retire(pool)

    def _retire(self, pool: Pool) -> None:
        pool.retired = True
        for inst in pool.idle:
            self.budget.drop(inst)
        pool.idle.clear()

    def release(self, inst: PooledInstance) -> None:
        assert inst.provisioned_for is not None
        pool = self.pools.get(inst.provisioned_for)
        if pool is not None:
            pool.busy.discard(inst)
        if pool is None or pool.retired or inst.state is not State.IDLE or self.closed:
            self.budget.drop(inst)
            return
        inst.last_used = self.clock()
        pool.idle.append(inst)

    def counts(self, target: Target) -> tuple[int, int]:
        """(allocated, busy) instances of ``target``."""
        pool = self.pools.get(target)
        return (pool.size(), len(pool.busy)) if pool is not None else (0, 0)

    def close(self) -> None:
        """Drop every instance; later releases drop theirs too. Idempotent."""
        self.closed = True
        for pool in self.pools.values():
            for inst in [*pool.idle, *pool.busy]:
                self.budget.drop(inst)
        self.pools.clear()
