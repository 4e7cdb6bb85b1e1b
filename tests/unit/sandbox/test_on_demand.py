"""On-demand pools: warm reuse, cold starts, dead instances, retirement, proactive init."""

from __future__ import annotations

import asyncio

import pytest

from ovis.errors import SandboxError
from ovis.sandbox.instance import State
from ovis.sandbox.pool import InstanceManager
from tests.unit.sandbox.fakes import Clock, FakeInstance, FakeLauncher, no_isolation, spec


def manager(launcher: FakeLauncher, clock: Clock | None = None) -> InstanceManager:
    return InstanceManager(no_isolation(), launcher=launcher, clock=clock or Clock())


def test_first_acquire_is_cold_and_a_released_instance_is_reused_warm() -> None:
    async def main() -> None:
        launcher = FakeLauncher()
        m = manager(launcher)
        s = spec()
        a, cold = await m.acquire(s)
        assert cold and a.state is State.IDLE
        m.release(a)
        b, cold = await m.acquire(s)
        assert b is a and not cold
        assert len(launcher.made) == 1
        assert m.cold_starts == {s.key[0]: 1}  # counted for /metrics: the cold one only

    asyncio.run(main())


def test_busy_instances_are_never_shared_and_the_most_recent_idle_one_is_taken() -> None:
    async def main() -> None:
        launcher = FakeLauncher()
        clock = Clock()
        m = manager(launcher, clock)
        s = spec()
        a, _ = await m.acquire(s)
        b, _ = await m.acquire(s)
        assert a is not b
        m.release(a)
        clock.advance(1)
        m.release(b)
        c, cold = await m.acquire(s)
        assert c is b and not cold  # most recently used first: the fewest stay warm

    asyncio.run(main())


def test_other_revisions_get_their_own_pool() -> None:
    async def main() -> None:
        launcher = FakeLauncher()
        m = manager(launcher)
        a, _ = await m.acquire(spec(revision="r1"))
        m.release(a)
        b, cold = await m.acquire(spec(revision="r2"))
        assert cold and b is not a

    asyncio.run(main())


def test_an_instance_that_died_idle_or_whose_runtime_exited_is_dropped_not_reused() -> None:
    async def main() -> None:
        launcher = FakeLauncher()
        m = manager(launcher)
        s = spec()
        a, _ = await m.acquire(s)
        b, _ = await m.acquire(s)
        m.release(a)
        m.release(b)
        assert isinstance(a, FakeInstance) and isinstance(b, FakeInstance)
        b.state = State.DEAD  # died while idle (taken first: most recent)
        a.runtime_alive = False  # posted its result, then exited
        c, cold = await m.acquire(s)
        assert cold and c not in (a, b)
        assert a.killed and b.killed
        assert m.reserved_mb == 128

    asyncio.run(main())


def test_releasing_a_dead_instance_drops_it_and_frees_its_memory() -> None:
    async def main() -> None:
        m = manager(FakeLauncher())
        a, _ = await m.acquire(spec())
        assert isinstance(a, FakeInstance)
        a.state = State.DEAD  # crashed or timed out during its invocation
        m.release(a)
        assert a.killed and m.reserved_mb == 0 and m.instances() == []

    asyncio.run(main())


def test_an_init_failure_raises_and_leaves_nothing_behind() -> None:
    async def main() -> None:
        launcher = FakeLauncher()
        launcher.fail_next_start = SandboxError("init failed")
        m = manager(launcher)
        with pytest.raises(SandboxError):
            await m.acquire(spec())
        assert launcher.made[0].killed
        assert m.reserved_mb == 0 and m.instances() == []

    asyncio.run(main())


def test_retire_ends_old_revisions_idle_now_busy_when_released() -> None:
    async def main() -> None:
        m = manager(FakeLauncher())
        old, new = spec(revision="r1"), spec(revision="r2")
        idle, _ = await m.acquire(old)
        busy, _ = await m.acquire(old)
        m.release(idle)
        current, _ = await m.acquire(new)
        m.release(current)
        m.retire("fn", keep={new.key})
        assert isinstance(idle, FakeInstance) and isinstance(busy, FakeInstance)
        assert idle.killed and not busy.killed
        m.release(busy)
        assert busy.killed
        assert set(m.pools) == {new.key}
        again, cold = await m.acquire(new)
        assert again is current and not cold

    asyncio.run(main())


def test_slow_pools_prestart_a_spare_while_scaling_out_fast_ones_do_not() -> None:
    async def main(init_ms: float) -> int:
        launcher = FakeLauncher(init_ms=init_ms)
        m = manager(launcher)
        s = spec()
        await m.acquire(s)
        await m.acquire(s)  # a second concurrent invocation: scaling out
        for _ in range(5):  # let a prestart task (if any) run
            await asyncio.sleep(0)
        spare = [i for i in launcher.made if i.state is State.IDLE and i.init_ms is None]
        if spare:
            third, cold = await m.acquire(s)
            assert third is spare[0] and not cold
        return len(launcher.made)

    assert asyncio.run(main(init_ms=45.0)) == 3  # node-like: one spare initialized ahead
    assert asyncio.run(main(init_ms=6.0)) == 2  # python-like: no spare


def test_after_close_everything_is_killed_and_late_releases_drop() -> None:
    async def main() -> None:
        launcher = FakeLauncher()
        m = manager(launcher)
        await m.start()
        a, _ = await m.acquire(spec())
        b, _ = await m.acquire(spec())
        m.release(a)
        await m.close()
        await m.close()  # idempotent
        assert all(i.killed for i in launcher.made)
        assert launcher.closed == 1
        m.release(b)
        assert m.instances() == [] and m.reserved_mb == 0

    asyncio.run(main())
