"""The instance manager: one facade over the pools of warm instances and what keeps them.

Jobs, one module each: on-demand pools (``on_demand``: acquire/release, warm reuse, proactive
initialization, retirement), provisioned pools (``provisioned_pools``), the memory budget and
LRU eviction (``eviction``), freezing and idle reaping (``freezing``), and the zygotes that fork
instances (``zygotes``, via ``launcher``).

Contract (all methods on the event loop thread):
- ``acquire(spec)`` returns an instance ready for one invocation (warm if any, else a cold
  start); never one instance to two callers. ``release()`` returns it, provisioned or not.
- Idle instances are frozen after ``freeze_after_s``, reclaimed after ``idle_ttl_s`` and evicted
  least-recently-used first when starting another would exceed the memory budget.
- ``start()`` starts the default zygote and the reaper loop, ``instance-reaper``, under the
  supervisor (an error in a sweep is logged and retried; the loop lives on).
- ``close()`` stops the reaper, kills everything, stops the zygotes and removes the cgroups;
  idempotent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from ovis.sandbox.eviction import MemoryBudget, default_memory_budget_mb
from ovis.sandbox.freezing import Freezer
from ovis.sandbox.instance import InstanceSpec
from ovis.sandbox.isolation import Isolation
from ovis.sandbox.launcher import ZygoteLauncher
from ovis.sandbox.on_demand import OnDemandPools, PoolKey
from ovis.sandbox.pooled import Launcher, Pool, PooledInstance
from ovis.sandbox.provisioned_pools import ProvisionedPools, Target
from ovis.supervisor import Supervisor

REAPER = "instance-reaper"


class InstanceManager:
    def __init__(
        self,
        isolation: Isolation,
        spawn_mode: str = "zygote",
        idle_ttl_s: float = 300.0,
        freeze_after_s: float = 0.5,
        memory_budget_mb: int | None = None,
        preload: Iterable[str] = ("boto3",),
        *,
        supervisor: Supervisor | None = None,
        launcher: Launcher | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``supervisor`` runs the reaper loop (None: a private one, closed with the manager);
        ``launcher`` makes instances (None: forked by zygotes); ``clock`` is monotonic time."""
        self.isolation = isolation
        self.spawn_mode = spawn_mode
        self.budget = MemoryBudget(memory_budget_mb or default_memory_budget_mb())
        self.freezer = Freezer(self.budget, freeze_after_s, idle_ttl_s, clock)
        self.launcher: Launcher = launcher or ZygoteLauncher(isolation, spawn_mode, list(preload))
        self.on_demand = OnDemandPools(self.launcher, self.budget, self.freezer, clock)
        self.provisioned_pools = ProvisionedPools(
            self.on_demand.new_instance, self.budget, self.freezer, clock
        )
        self.supervisor = supervisor if supervisor is not None else Supervisor()
        self._own_supervisor = supervisor is None
        self._closed = False

    # ---- views (read-only; for the server, tests and the admin API) --------------------------

    @property
    def pools(self) -> dict[PoolKey, Pool]:
        return self.on_demand.pools

    @property
    def provisioned(self) -> dict[Target, Pool]:
        return self.provisioned_pools.pools

    @property
    def cold_starts(self) -> dict[str, int]:
        """Function name -> on-demand cold starts (instances started for an invocation)."""
        return self.on_demand.cold_starts

    @property
    def evictions(self) -> int:
        return self.budget.evictions

    @property
    def reserved_mb(self) -> int:
        return self.budget.reserved_mb

    @property
    def memory_budget_mb(self) -> int:
        return self.budget.budget_mb

    @property
    def idle_ttl_s(self) -> float:
        return self.freezer.idle_ttl_s

    @property
    def freeze_after_s(self) -> float:
        return self.freezer.freeze_after_s

    def instances(self) -> list[PooledInstance]:
        out: list[PooledInstance] = []
        for pool in [*self.pools.values(), *self.provisioned.values()]:
            out.extend(pool.idle)
            out.extend(pool.busy)
        return out

    # ---- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.launcher.start()
        self.supervisor.loop(REAPER, self._reap_step)

    async def _reap_step(self) -> None:
        """One sweep of the reaper loop; it does its own waiting, as a supervised step must."""
        await asyncio.sleep(self.freezer.tick)
        self.reap_idle()
        self.freeze_idle()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.supervisor.stop(REAPER)
        if self._own_supervisor:
            await self.supervisor.close()
        self.on_demand.close()
        self.provisioned_pools.close()
        self.launcher.close()
        self.isolation.close()

    # ---- on demand ---------------------------------------------------------------------------

    def acquire(self, spec: InstanceSpec) -> Coroutine[Any, Any, tuple[PooledInstance, bool]]:
        """(instance, cold): a warm instance of ``spec`` or a newly started one. (The pools'
        coroutine itself, not a wrapper around it: this is on every invocation's path.)"""
        return self.on_demand.acquire(spec)

    def release(self, inst: PooledInstance) -> None:
        if inst.provisioned_for is not None:
            self.provisioned_pools.release(inst)
        else:
            self.on_demand.release(inst)

    def retire(self, name: str, keep: set[PoolKey]) -> None:
        """Retire every pool of function ``name`` whose key is not in ``keep``: idle instances
        die now, busy ones when released."""
        self.on_demand.retire(name, keep)

    # ---- provisioned concurrency -------------------------------------------------------------

    def acquire_provisioned(self, target: Target) -> PooledInstance | None:
        """An idle pre-initialized instance for ``target``, or None (then go on-demand)."""
        return self.provisioned_pools.acquire(target)

    async def provision(
        self, target: Target, spec: InstanceSpec, count: int, parallel: int = 4
    ) -> int:
        """Make ``target`` hold exactly ``count`` ready instances of ``spec``; returns how many
        it holds. Instances of another spec (an alias moved) are replaced. Init failures raise."""
        return await self.provisioned_pools.provision(target, spec, count, parallel)

    def deprovision(self, target: Target) -> None:
        self.provisioned_pools.deprovision(target)

    def provisioned_counts(self, target: Target) -> tuple[int, int]:
        """(allocated, busy) instances of ``target``."""
        return self.provisioned_pools.counts(target)

    # ---- idle instances ----------------------------------------------------------------------

    def freeze_idle(self) -> None:
        self.freezer.freeze_idle([*self.pools.values(), *self.provisioned.values()])

    def reap_idle(self) -> None:
        self.freezer.reap_idle(self.pools)
