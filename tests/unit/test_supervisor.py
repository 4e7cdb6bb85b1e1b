"""Supervisor: loops survive errors, health names what fails, lifecycle order."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ovis.supervisor import Lifecycle, Supervisor


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_a_failing_step_is_logged_retried_and_the_loop_lives_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> list[dict[str, object]]:
        sup = Supervisor(backoff_s=(0.001, 0.01))
        calls = 0
        done = asyncio.Event()
        seen: list[dict[str, object]] = []

        async def step() -> None:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0)
            if calls <= 3:
                raise OSError("disk I/O error")
            seen.append(sup.health())
            if calls == 5:
                done.set()

        sup.loop("dispatcher", step)
        while calls < 2:
            await asyncio.sleep(0.001)
        seen.insert(0, sup.health())
        await asyncio.wait_for(done.wait(), 5)
        await sup.close()
        return seen

    with caplog.at_level(logging.ERROR):
        seen = run(main())
    degraded, healthy = seen[0], seen[-1]
    assert degraded["status"] == "degraded"
    assert degraded["components"] == {"dispatcher": "failing"}
    failing = degraded["failing"]
    assert isinstance(failing, dict)
    assert "OSError: disk I/O error" in failing["dispatcher"]["error"]
    assert healthy == {"status": "ok", "components": {"dispatcher": "ok"}}
    assert any("dispatcher failed" in r.getMessage() for r in caplog.records)
    assert any(r.exc_info for r in caplog.records)


def test_backoff_grows_and_is_capped() -> None:
    sup = Supervisor(backoff_s=(0.1, 0.5))
    delays = [sup._fail("x", RuntimeError("boom")) for _ in range(6)]
    assert delays == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    sup.recovered("x")
    assert sup._fail("x", RuntimeError("boom")) == 0.1


def test_close_cancels_loops_and_refuses_new_ones() -> None:
    async def main() -> None:
        sup = Supervisor()
        started = asyncio.Event()

        async def step() -> None:
            started.set()
            await asyncio.sleep(3600)

        sup.loop("sleeper", step)
        await started.wait()
        await sup.close()
        with pytest.raises(RuntimeError):
            sup.loop("late", step)

    run(main())


def test_duplicate_live_loop_names_are_refused() -> None:
    async def main() -> None:
        sup = Supervisor()

        async def step() -> None:
            await asyncio.sleep(3600)

        sup.loop("a", step)
        with pytest.raises(ValueError):
            sup.loop("a", step)
        await sup.close()

    run(main())


class _Rec:
    def __init__(self, name: str, log: list[str], fail_start: bool = False) -> None:
        self.name = name
        self.log = log
        self.fail_start = fail_start

    async def start(self) -> None:
        if self.fail_start:
            raise RuntimeError("cannot start")
        self.log.append(f"start {self.name}")

    async def close(self) -> None:
        self.log.append(f"close {self.name}")
        if self.name == "b":
            raise RuntimeError("close errors are logged, the rest still close")


def test_lifecycle_starts_in_order_and_closes_in_reverse() -> None:
    events: list[str] = []
    life = Lifecycle([_Rec("a", events), _Rec("b", events), _Rec("c", events)])
    run(life.start())
    run(life.close())
    run(life.close())  # idempotent
    assert events == ["start a", "start b", "start c", "close c", "close b", "close a"]


def test_a_failed_start_closes_what_started() -> None:
    events: list[str] = []
    life = Lifecycle([_Rec("a", events), _Rec("x", events, fail_start=True), _Rec("c", events)])
    with pytest.raises(RuntimeError):
        run(life.start())
    assert events == ["start a", "close a"]


def test_component_names_must_be_unique() -> None:
    with pytest.raises(ValueError):
        Lifecycle([_Rec("a", []), _Rec("a", [])])
