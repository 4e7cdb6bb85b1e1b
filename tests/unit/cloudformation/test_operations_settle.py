"""Operations.settle: the wait CloudFormation's CreateChangeSet/ExecuteChangeSet/DeleteStack
handlers do before answering (--cfn-settle): until the work is done, never past the budget,
not at all when the budget is 0 (AWS's behaviour)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ovis.services.cloudformation.operations_queue import Operations
from ovis.supervisor import Supervisor


def ops(settle_s: float) -> Operations:
    engine: Any = object()  # settle never touches the engine
    return Operations(engine, Supervisor(), settle_s)


def test_settle_returns_once_done() -> None:
    async def main() -> float:
        o = ops(10)
        done = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, done.set)
        t = time.monotonic()
        await o.settle(done.is_set)
        return time.monotonic() - t

    assert 0.04 < asyncio.run(main()) < 2


def test_settle_gives_up_after_the_budget() -> None:
    async def main() -> float:
        t = time.monotonic()
        await ops(0.1).settle(lambda: False)
        return time.monotonic() - t

    assert 0.09 < asyncio.run(main()) < 2


def test_no_budget_answers_at_once() -> None:
    calls: list[int] = []

    def never() -> bool:
        calls.append(1)
        return False

    async def main() -> float:
        t = time.monotonic()
        await ops(0).settle(never)
        return time.monotonic() - t

    assert asyncio.run(main()) < 0.05
    assert len(calls) == 1
