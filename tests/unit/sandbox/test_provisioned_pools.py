"""Provisioned concurrency pools: used first, sized exactly, replaced when the spec moves."""

from __future__ import annotations

import asyncio

import pytest

from ovis.errors import SandboxError
from ovis.sandbox.instance import State
from ovis.sandbox.pool import InstanceManager
from tests.unit.sandbox.fakes import FakeInstance, FakeLauncher, no_isolation, spec

TARGET = ("fn", "live")


def test_provisioned_instances_are_taken_first_and_come_back_to_their_pool() -> None:
    async def main() -> None:
        launcher = FakeLauncher()
        m = InstanceManager(no_isolation(), launcher=launcher)
        assert await m.provision(TARGET, spec(version="1"), 2) == 2
        assert all(i.init_ms is None for i in launcher.made)  # no Init Duration reported
        inst = m.acquire_provisioned(TARGET)
        assert inst is not None and inst.provisioned_for == TARGET
        assert m.provisioned_counts(TARGET) == (2, 1)
        m.release(inst)
        assert m.provisioned_counts(TARGET) == (2, 0)
        assert m.pools == {}  # never went through an on-demand pool
        assert m.acquire_provisioned(("fn", "other")) is None

    asyncio.run(main())


def test_when_all_are_busy_acquire_provisioned_says_none() -> None:
    async def main() -> None:
        m = InstanceManager(no_isolation(), launcher=FakeLauncher())
        await m.provision(TARGET, spec(version="1"), 1)
        assert m.acquire_provisioned(TARGET) is not None
        assert m.acquire_provisioned(TARGET) is None

    asyncio.run(main())


def test_provision_scales_down_and_replaces_instances_of_another_spec() -> None:
    async def main() -> None:
        launcher = FakeLauncher()
        m = InstanceManager(no_isolation(), launcher=launcher)
        v1 = spec(version="1")
        await m.provision(TARGET, v1, 3)
        assert await m.provision(TARGET, v1, 1) == 1
        assert sum(i.killed for i in launcher.made) == 2
        first = launcher.made[:3]
        assert await m.provision(TARGET, spec(version="2"), 1) == 1  # the alias moved
        assert all(i.killed for i in first)
        assert m.reserved_mb == 128

    asyncio.run(main())


def test_an_init_failure_raises_and_drops_the_batch() -> None:
    async def main() -> None:
        launcher = FakeLauncher()
        launcher.fail_next_start = SandboxError("init failed")
        m = InstanceManager(no_isolation(), launcher=launcher)
        with pytest.raises(SandboxError):
            await m.provision(TARGET, spec(version="1"), 3)
        assert all(i.killed for i in launcher.made)
        assert m.reserved_mb == 0

    asyncio.run(main())


def test_deprovision_kills_idle_now_and_busy_when_released() -> None:
    async def main() -> None:
        m = InstanceManager(no_isolation(), launcher=FakeLauncher())
        await m.provision(TARGET, spec(version="1"), 2)
        busy = m.acquire_provisioned(TARGET)
        assert isinstance(busy, FakeInstance)
        m.deprovision(TARGET)
        assert m.provisioned_counts(TARGET) == (0, 0)
        assert not busy.killed
        m.release(busy)
        assert busy.killed and busy.state is State.DEAD
        assert m.reserved_mb == 0

    asyncio.run(main())
