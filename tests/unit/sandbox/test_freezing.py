"""Idle instances: frozen after freeze_after_s, thawed when taken, reaped after idle_ttl_s."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ovis.sandbox.eviction import MemoryBudget
from ovis.sandbox.freezing import Freezer
from ovis.sandbox.pool import InstanceManager
from tests.unit.sandbox.fakes import Clock, FakeInstance, FakeLauncher, no_isolation, spec


def manager(
    clock: Clock, freeze_after_s: float = 0.5, idle_ttl_s: float = 300.0
) -> InstanceManager:
    return InstanceManager(
        no_isolation(),
        idle_ttl_s=idle_ttl_s,
        freeze_after_s=freeze_after_s,
        launcher=FakeLauncher(),
        clock=clock,
    )


def test_an_idle_instance_is_frozen_after_the_delay_and_thawed_when_taken() -> None:
    async def main() -> None:
        clock = Clock()
        m = manager(clock)
        inst, _ = await m.acquire(spec())
        assert isinstance(inst, FakeInstance)
        m.release(inst)
        clock.advance(0.4)
        m.freeze_idle()
        assert not inst.frozen  # not idle long enough yet
        clock.advance(0.1)
        m.freeze_idle()
        m.freeze_idle()  # a sweep is idempotent
        assert inst.frozen and inst.freezes == 1
        again, cold = await m.acquire(spec())
        assert again is inst and not cold
        assert not inst.frozen and inst.thaws == 1

    asyncio.run(main())


def test_busy_instances_are_not_frozen_and_a_negative_delay_never_freezes() -> None:
    async def main() -> None:
        clock = Clock()
        m = manager(clock)
        busy, _ = await m.acquire(spec())
        clock.advance(10)
        m.freeze_idle()
        assert isinstance(busy, FakeInstance) and not busy.frozen
        never = manager(clock, freeze_after_s=-1)
        idle, _ = await never.acquire(spec())
        never.release(idle)
        clock.advance(10)
        never.freeze_idle()
        assert isinstance(idle, FakeInstance) and idle.freezes == 0

    asyncio.run(main())


def test_provisioned_instances_are_frozen_too() -> None:
    async def main() -> None:
        clock = Clock()
        m = manager(clock)
        await m.provision(("fn", "live"), spec(version="1"), 1)
        clock.advance(1)
        m.freeze_idle()
        inst = m.acquire_provisioned(("fn", "live"))
        assert isinstance(inst, FakeInstance)
        assert inst.freezes == 1 and inst.thaws == 1 and not inst.frozen

    asyncio.run(main())


def test_a_refused_freeze_is_logged_and_the_instance_stays_usable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        clock = Clock()
        m = manager(clock)
        inst, _ = await m.acquire(spec())
        assert isinstance(inst, FakeInstance)
        inst.fail_freeze = PermissionError("EPERM")
        m.release(inst)
        clock.advance(1)
        with caplog.at_level(logging.WARNING):
            m.freeze_idle()
        assert not inst.frozen
        assert any("could not freeze" in r.getMessage() for r in caplog.records)
        again, _ = await m.acquire(spec())
        assert again is inst

    asyncio.run(main())


def test_idle_instances_are_reaped_after_the_ttl_and_empty_pools_forgotten() -> None:
    async def main() -> None:
        clock = Clock()
        m = manager(clock, idle_ttl_s=60)
        old, _ = await m.acquire(spec("old"))
        fresh, _ = await m.acquire(spec("fresh"))
        busy, _ = await m.acquire(spec("busy"))
        m.release(old)
        clock.advance(50)
        m.release(fresh)
        clock.advance(11)
        m.reap_idle()
        assert isinstance(old, FakeInstance) and old.killed
        assert isinstance(fresh, FakeInstance) and not fresh.killed
        assert isinstance(busy, FakeInstance) and not busy.killed
        assert {k[0] for k in m.pools} == {"fresh", "busy"}
        assert m.reserved_mb == 256

    asyncio.run(main())


def test_provisioned_instances_are_never_reaped() -> None:
    async def main() -> None:
        clock = Clock()
        m = manager(clock, idle_ttl_s=60)
        await m.provision(("fn", "live"), spec(version="1"), 2)
        clock.advance(3600)
        m.reap_idle()
        assert m.provisioned_counts(("fn", "live")) == (2, 0)

    asyncio.run(main())


def test_the_sweep_interval_honours_both_delays() -> None:
    budget = MemoryBudget(1024)
    assert Freezer(budget, 0.5, 300).tick == 0.25
    assert Freezer(budget, -1, 300).tick == 1.0
    assert Freezer(budget, -1, 2).tick == 0.5
    assert Freezer(budget, 0.01, 300).tick == 0.05  # never busier than every 50 ms
