"""Pools of warm instances, one per function version configuration.

Contract (all methods on the event loop thread):
- ``acquire(spec)`` returns an IDLE->BUSY-ready instance: a warm one if any (most recently used
  first, so the fewest stay warm), else a new one (a cold start). It never hands one instance to
  two callers. ``release()`` returns it; a dead or retired instance is dropped instead.
- ``retire(name)`` ends every pool of a function whose key is not current (after a code or
  configuration change): idle instances die now, busy ones when released.
- Idle instances past ``idle_ttl_s`` are reclaimed by a background reaper.
- ``close()`` kills everything and stops the zygotes; idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
import time
from collections.abc import Iterable

from ovis.sandbox.instance import Instance, InstanceSpec, State
from ovis.sandbox.zygote import Zygote, python_zygote_argv

log = logging.getLogger(__name__)


class Pool:
    def __init__(self, spec: InstanceSpec) -> None:
        self.spec = spec
        self.idle: list[Instance] = []
        self.busy: set[Instance] = set()
        self.retired = False

    def size(self) -> int:
        return len(self.idle) + len(self.busy)


class InstanceManager:
    def __init__(
        self,
        spawn_mode: str = "zygote",
        idle_ttl_s: float = 300.0,
        preload: Iterable[str] = ("boto3",),
    ) -> None:
        self.spawn_mode = spawn_mode
        self.idle_ttl_s = idle_ttl_s
        self.preload = list(preload)
        self.pools: dict[tuple[str, str, str], Pool] = {}
        self._zygotes: dict[str, Zygote] = {}
        self._zygote_lock = asyncio.Lock()
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        if self.spawn_mode == "zygote":
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
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
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
            if inst.state is State.IDLE:
                pool.busy.add(inst)
                return inst, False
        zygote = await self._zygote(spec.interpreter) if self.spawn_mode == "zygote" else None
        inst = Instance(spec, zygote, _log_stream_name(spec.key[1]))
        pool.busy.add(inst)
        try:
            await inst.start()
        except BaseException:
            pool.busy.discard(inst)
            raise
        return inst, True

    def release(self, inst: Instance) -> None:
        pool = self.pools.get(inst.spec.key)
        if pool is not None:
            pool.busy.discard(inst)
        if inst.state is not State.IDLE or pool is None or pool.retired or self._closed:
            inst.kill()
            if pool is not None and pool.retired and pool.size() == 0:
                self.pools.pop(inst.spec.key, None) if self.pools.get(
                    inst.spec.key
                ) is pool else None
            return
        inst.last_used = time.monotonic()
        pool.idle.append(inst)

    def retire(self, name: str, keep: tuple[str, str, str] | None = None) -> None:
        """Retire every pool of function ``name`` except the one keyed ``keep``."""
        for key, pool in list(self.pools.items()):
            if key[0] != name or key == keep:
                continue
            pool.retired = True
            for inst in pool.idle:
                inst.kill()
            pool.idle.clear()
            if not pool.busy:
                del self.pools[key]

    def instances(self) -> list[Instance]:
        out: list[Instance] = []
        for pool in self.pools.values():
            out.extend(pool.idle)
            out.extend(pool.busy)
        return out

    async def _reap_loop(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.idle_ttl_s / 4))
            self.reap_idle()

    def reap_idle(self) -> None:
        cutoff = time.monotonic() - self.idle_ttl_s
        for key, pool in list(self.pools.items()):
            keep = [i for i in pool.idle if i.last_used >= cutoff and i.state is State.IDLE]
            for inst in pool.idle:
                if inst not in keep:
                    inst.kill()
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
            inst.kill()
        self.pools.clear()
        for z in self._zygotes.values():
            z.close()
        self._zygotes.clear()


def _log_stream_name(version: str) -> str:
    return time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{version}]{secrets.token_hex(16)}"
