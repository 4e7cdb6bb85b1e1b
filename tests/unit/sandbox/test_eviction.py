"""The memory budget: LRU eviction of idle on-demand instances, never of busy or provisioned."""

from __future__ import annotations

import asyncio

from ovis.sandbox.eviction import MemoryBudget
from ovis.sandbox.pool import InstanceManager
from ovis.sandbox.pooled import PooledInstance
from tests.unit.sandbox.fakes import Clock, FakeInstance, FakeLauncher, no_isolation, spec


def test_idle_instances_are_evicted_least_recently_used_first() -> None:
    async def main() -> None:
        clock = Clock()
        m = InstanceManager(
            no_isolation(), memory_budget_mb=512, launcher=FakeLauncher(), clock=clock
        )
        held: list[PooledInstance] = []
        for name in ("a", "b", "c", "d"):  # 4 x 128 MB: the budget is full
            inst, _ = await m.acquire(spec(name))
            held.append(inst)
        order = [held[2], held[0], held[3], held[1]]  # released in this order: c oldest
        for inst in order:
            m.release(inst)
            clock.advance(1)
        e, cold = await m.acquire(spec("e", memory_mb=256))  # needs two 128 MB slots
        assert cold
        killed = [i for i in held if isinstance(i, FakeInstance) and i.killed]
        assert killed == [held[0], held[2]]  # c and a: the two least recently used
        assert m.evictions == 2
        assert m.reserved_mb == 512
        assert {k[0] for k in m.pools if m.pools[k].idle} == {"b", "d"}
        assert e.state.value == "idle"

    asyncio.run(main())


def test_busy_and_provisioned_instances_are_never_evicted_the_budget_is_soft() -> None:
    async def main() -> None:
        launcher = FakeLauncher()
        m = InstanceManager(no_isolation(), memory_budget_mb=256, launcher=launcher)
        await m.provision(("fn", "live"), spec("fn", "1"), 1)
        busy, _ = await m.acquire(spec("other"))
        extra, cold = await m.acquire(spec("third"))  # over budget: nothing idle to evict
        assert cold
        assert not any(i.killed for i in launcher.made)
        assert m.evictions == 0
        assert m.reserved_mb == 384
        del busy, extra

    asyncio.run(main())


def test_drop_is_idempotent() -> None:
    budget = MemoryBudget(1024)
    inst = FakeInstance(spec(memory_mb=256), 1)
    budget.reserve(inst)
    budget.drop(inst)
    budget.drop(inst)
    assert budget.reserved_mb == 0 and inst.killed
