"""Pools of warm instances, one per function version configuration.

Contract (all methods on the event loop thread):
- ``acquire(spec)`` returns an instance ready for one invocation: a warm one if any (most recently
  used first, so the fewest stay warm; thawed if frozen), else a new one (a cold start). It never
  hands one instance to two callers. ``release()`` returns it; a dead or retired one is dropped.
- Idle instances are frozen after ``freeze_after_s`` (cgroup freezer, else SIGSTOP), reclaimed
  after ``idle_ttl_s``, and evicted least-recently-used first when starting another instance
  would exceed the memory budget.
- ``retire(name, keep)`` ends a function's pools not in ``keep`` (its current versions):
  idle instances die now, busy ones when released.
- ``close()`` kills everything, stops the zygotes and removes the cgroups; idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterable

from ovis.sandbox.instance import Instance, InstanceSpec, State
from ovis.sandbox.isolation import Isolation, UidAllocator
from ovis.sandbox.zygote import Zygote, python_zygote_argv

log = logging.getLogger(__name__)


# Pools whose cold starts take at least this long get a spare instance while scaling out.
PRESTART_MIN_INIT_MS = 20.0


class Pool:
    def __init__(self, spec: InstanceSpec) -> None:
        self.spec = spec
        self.idle: list[Instance] = []
        self.busy: set[Instance] = set()
        self.retired = False
        self.prestarting = False  # a spare instance is being initialized ahead of demand
        self.last_init_ms = 0.0  # how long this pool's latest cold start took

    def size(self) -> int:
        return len(self.idle) + len(self.busy)


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


class InstanceManager:
    def __init__(
        self,
        isolation: Isolation,
        spawn_mode: str = "zygote",
        idle_ttl_s: float = 300.0,
        freeze_after_s: float = 0.5,
        memory_budget_mb: int | None = None,
        preload: Iterable[str] = ("boto3",),
    ) -> None:
        self.isolation = isolation
        self.spawn_mode = spawn_mode
        self.idle_ttl_s = idle_ttl_s
        self.freeze_after_s = freeze_after_s
        self.prestart_ms = PRESTART_MIN_INIT_MS
        self.memory_budget_mb = memory_budget_mb or default_memory_budget_mb()
        self.preload = list(preload)
        self.pools: dict[tuple[str, str, str], Pool] = {}
        # Provisioned concurrency: pre-initialized instances per (function, qualifier), never
        # reaped or evicted; used before on-demand instances by invocations of that qualifier.
        self.provisioned: dict[tuple[str, str], Pool] = {}
        self.uids = UidAllocator()
        self.reserved_mb = 0  # sum of MemorySize over live instances
        self.evictions = 0
        self._zygotes: dict[str, Zygote] = {}
        self._zygote_lock = asyncio.Lock()
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        await self._zygote(sys.executable)
        self._reaper = asyncio.get_running_loop().create_task(self._reap_loop())

    async def _zygote(self, interpreter: str) -> Zygote:
        z = self._zygotes.get(interpreter)
        if z is not None and z.alive():
            return z
        async with self._zygote_lock:
            z = self._zygotes.get(interpreter)
            if z is not None and z.alive():
                return z
            if z is not None:
                log.warning("runtime zygote for %s died; restarting it", interpreter)
                z.close()
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "LANG": "C.UTF-8",
                # the zygote pre-forks "blank" children with the namespaces instances will use
                "_OVIS_NAMESPACES": "1" if self.isolation.namespaces else "0",
            }
            z = Zygote(python_zygote_argv(interpreter), self.preload, env)
            await z.start()
            self._zygotes[interpreter] = z
            return z

    async def acquire(self, spec: InstanceSpec) -> tuple[Instance, bool]:
        """(instance, cold): a warm instance of ``spec`` or a newly started one."""
        pool = self.pools.get(spec.key)
        if pool is None or pool.retired:
            pool = self.pools[spec.key] = Pool(spec)
        while pool.idle:
            inst = pool.idle.pop()
            if inst.state is not State.IDLE:  # died while idle
                self._drop(inst)
                continue
            if inst.frozen:
                self._thaw(inst)
            pool.busy.add(inst)
            if not await inst.wait_for_runtime():  # its runtime exited after the last result
                pool.busy.discard(inst)
                self._drop(inst)
                continue
            if len(pool.busy) > 1:  # others are busy too: the pool is scaling out
                self._maybe_prestart(pool)
            return inst, False
        scaling_out = bool(pool.busy)
        inst = await self._new_instance(spec)
        pool.busy.add(inst)
        try:
            await inst.start()
        except BaseException:
            pool.busy.discard(inst)
            self._drop(inst)
            raise
        pool.last_init_ms = inst.init_ms or 0.0
        if scaling_out:
            self._maybe_prestart(pool)
        return inst, True

    async def _new_instance(self, spec: InstanceSpec) -> Instance:
        self._make_room(spec.memory_mb)
        # A custom runtime execs its bootstrap; the Python zygote still forks and isolates it.
        interpreter = spec.interpreter if spec.argv is None else sys.executable
        zygote = await self._zygote(interpreter)
        inst = Instance(
            spec,
            zygote,
            _log_stream_name(spec.key[1]),
            self.isolation,
            self.uids,
            fresh_interpreter=self.spawn_mode == "exec",
        )
        self.reserved_mb += spec.memory_mb
        return inst

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
            or self._closed
        ):
            return
        pool.prestarting = True
        asyncio.get_running_loop().create_task(self._prestart(pool))

    async def _prestart(self, pool: Pool) -> None:
        inst: Instance | None = None
        try:
            inst = await self._new_instance(pool.spec)
            await inst.start()
        except Exception as e:  # init errors surface on the next on-demand start instead
            log.info("proactive initialization of %s failed: %s", pool.spec.key[0], e)
            if inst is not None:
                self._drop(inst)
            return
        finally:
            pool.prestarting = False
        if pool.retired or self._closed or self.pools.get(pool.spec.key) is not pool:
            self._drop(inst)
            return
        inst.init_ms = None  # initialized ahead of time: no Init Duration on its invocation
        inst.last_used = time.monotonic()
        pool.idle.append(inst)

    def release(self, inst: Instance) -> None:
        if inst.provisioned_for is not None:
            self._release_provisioned(inst)
            return
        pool = self.pools.get(inst.spec.key)
        if pool is not None:
            pool.busy.discard(inst)
        if inst.state is not State.IDLE or pool is None or pool.retired or self._closed:
            self._drop(inst)
            if (
                pool is not None
                and pool.size() == 0
                and pool.retired
                and self.pools.get(inst.spec.key) is pool
            ):
                del self.pools[inst.spec.key]
            return
        inst.last_used = time.monotonic()
        pool.idle.append(inst)

    def _drop(self, inst: Instance) -> None:
        self.reserved_mb -= inst.reserved_mb
        inst.reserved_mb = 0
        inst.kill()

    # ---- provisioned concurrency -------------------------------------------------------------

    def acquire_provisioned(self, target: tuple[str, str]) -> Instance | None:
        """An idle pre-initialized instance for ``target``, or None (then go on-demand)."""
        pool = self.provisioned.get(target)
        while pool is not None and pool.idle:
            inst = pool.idle.pop()
            if inst.state is not State.IDLE:
                self._drop(inst)
                continue
            if inst.frozen:
                self._thaw(inst)
            pool.busy.add(inst)
            return inst
        return None

    async def provision(
        self, target: tuple[str, str], spec: InstanceSpec, count: int, parallel: int = 4
    ) -> int:
        """Make ``target`` hold exactly ``count`` ready instances of ``spec``; returns how many
        it holds. Instances of another spec (an alias moved) are replaced. Init failures raise."""
        pool = self.provisioned.get(target)
        if pool is None or pool.spec.key != spec.key or pool.spec.env != spec.env:
            if pool is not None:
                self._retire_provisioned(pool)
            pool = self.provisioned[target] = Pool(spec)
        while len(pool.idle) + len(pool.busy) > count and pool.idle:
            self._drop(pool.idle.pop(0))
        missing = count - pool.size()
        while missing > 0 and self.provisioned.get(target) is pool:
            batch = min(parallel, missing)
            started = await asyncio.gather(
                *(self._start_provisioned(target, spec) for _ in range(batch)),
                return_exceptions=True,
            )
            for result in started:
                if isinstance(result, BaseException):
                    for other in started:
                        if isinstance(other, Instance):
                            self._drop(other)
                    raise result
            if self.provisioned.get(target) is not pool:  # deprovisioned meanwhile
                for inst in started:
                    self._drop(inst)  # type: ignore[arg-type]
                break
            for inst in started:
                pool.idle.append(inst)  # type: ignore[arg-type]
            missing -= batch
        return pool.size()

    async def _start_provisioned(self, target: tuple[str, str], spec: InstanceSpec) -> Instance:
        inst = await self._new_instance(spec)
        inst.provisioned_for = target
        try:
            await inst.start()
        except BaseException:
            self._drop(inst)
            raise
        inst.init_ms = None  # initialized ahead of time: no Init Duration on its invocations
        return inst

    def deprovision(self, target: tuple[str, str]) -> None:
        pool = self.provisioned.pop(target, None)
        if pool is not None:
            self._retire_provisioned(pool)

    def _retire_provisioned(self, pool: Pool) -> None:
        pool.retired = True
        for inst in pool.idle:
            self._drop(inst)
        pool.idle.clear()

    def _release_provisioned(self, inst: Instance) -> None:
        pool = self.provisioned.get(inst.provisioned_for)  # type: ignore[arg-type]
        if pool is not None:
            pool.busy.discard(inst)
        if pool is None or pool.retired or inst.state is not State.IDLE or self._closed:
            self._drop(inst)
            return
        inst.last_used = time.monotonic()
        pool.idle.append(inst)

    def provisioned_counts(self, target: tuple[str, str]) -> tuple[int, int]:
        """(allocated, busy) instances of ``target``."""
        pool = self.provisioned.get(target)
        return (pool.size(), len(pool.busy)) if pool is not None else (0, 0)

    # ---- freezing ----------------------------------------------------------------------------

    def _maybe_freeze(self, inst: Instance, invocations: int) -> None:
        if inst.state is not State.IDLE or inst.frozen or inst.invocations != invocations:
            return
        if inst.provisioned_for is not None:
            pool = self.provisioned.get(inst.provisioned_for)
        else:
            pool = self.pools.get(inst.spec.key)
        if pool is None or inst not in pool.idle:
            return
        try:
            if inst.cgroup is not None:
                inst.cgroup.freeze()
            else:
                os.killpg(inst.pid, signal.SIGSTOP)
            inst.frozen = True
        except OSError as e:
            log.warning("could not freeze instance %s: %s", inst.id, e)

    def _thaw(self, inst: Instance) -> None:
        try:
            if inst.cgroup is not None:
                inst.cgroup.thaw()
            else:
                os.killpg(inst.pid, signal.SIGCONT)
        except OSError as e:
            log.warning("could not thaw instance %s: %s", inst.id, e)
        inst.frozen = False

    # ---- reclaiming --------------------------------------------------------------------------

    def _make_room(self, memory_mb: int) -> None:
        """Evict idle instances, least recently used first, until ``memory_mb`` more fits."""
        if self.reserved_mb + memory_mb <= self.memory_budget_mb:
            return
        idle = sorted(
            ((inst, pool) for pool in self.pools.values() for inst in pool.idle),
            key=lambda pair: pair[0].last_used,
        )
        for inst, pool in idle:
            if self.reserved_mb + memory_mb <= self.memory_budget_mb:
                break
            pool.idle.remove(inst)
            self._drop(inst)
            self.evictions += 1

    def retire(self, name: str, keep: set[tuple[str, str, str]]) -> None:
        """Retire every pool of function ``name`` whose key is not in ``keep``."""
        for key, pool in list(self.pools.items()):
            if key[0] != name or key in keep:
                continue
            pool.retired = True
            for inst in pool.idle:
                self._drop(inst)
            pool.idle.clear()
            if not pool.busy:
                del self.pools[key]

    def instances(self) -> list[Instance]:
        out: list[Instance] = []
        for pool in [*self.pools.values(), *self.provisioned.values()]:
            out.extend(pool.idle)
            out.extend(pool.busy)
        return out

    async def _reap_loop(self) -> None:
        tick = min(1.0, self.idle_ttl_s / 4)
        if self.freeze_after_s >= 0:
            tick = min(tick, self.freeze_after_s / 2)
        while True:
            await asyncio.sleep(max(0.05, tick))
            self.reap_idle()
            self.freeze_idle()

    def freeze_idle(self) -> None:
        if self.freeze_after_s < 0:
            return
        cutoff = time.monotonic() - self.freeze_after_s
        for pool in [*self.pools.values(), *self.provisioned.values()]:
            for inst in pool.idle:
                if not inst.frozen and inst.last_used <= cutoff:
                    self._maybe_freeze(inst, inst.invocations)

    def reap_idle(self) -> None:
        cutoff = time.monotonic() - self.idle_ttl_s
        for key, pool in list(self.pools.items()):
            keep = [i for i in pool.idle if i.last_used >= cutoff and i.state is State.IDLE]
            for inst in pool.idle:
                if inst not in keep:
                    self._drop(inst)
            pool.idle = keep
            if pool.size() == 0:
                del self.pools[key]

    async def close(self) -> None:
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for inst in self.instances():
            self._drop(inst)
        self.pools.clear()
        self.provisioned.clear()
        for z in self._zygotes.values():
            z.close()
        self._zygotes.clear()
        self.isolation.close()


def _log_stream_name(version: str) -> str:
    return time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{version}]{secrets.token_hex(16)}"
