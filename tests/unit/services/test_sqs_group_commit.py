"""GroupCommit: calls that arrive while a transaction runs go together in the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from ovis.services.sqs.group_commit import GroupCommit


def test_calls_during_a_run_share_the_next_one_in_order() -> None:
    runs: list[list[int]] = []
    gate = asyncio.Event()

    async def store(key: Hashable, items: list[int]) -> list[int]:
        runs.append(items)
        if len(runs) == 1:
            await gate.wait()
        return [i * 10 for i in items]

    async def main() -> list[int]:
        gc: GroupCommit[int, int] = GroupCommit(store)
        first = asyncio.create_task(gc.submit("q", 1))
        await asyncio.sleep(0)
        later = [asyncio.create_task(gc.submit("q", i)) for i in (2, 3, 4)]
        await asyncio.sleep(0)
        gate.set()
        return [await first, *[await t for t in later]]

    assert asyncio.run(main()) == [10, 20, 30, 40]
    assert runs == [[1], [2, 3, 4]]


def test_an_error_reaches_every_call_of_its_run_only() -> None:
    async def store(key: Hashable, items: list[int]) -> list[int]:
        if 2 in items:
            raise ValueError("disk I/O error")
        return items

    async def main() -> None:
        gc: GroupCommit[int, int] = GroupCommit(store)
        with pytest.raises(ValueError):
            await gc.submit("q", 2)
        assert await gc.submit("q", 3) == 3
        assert await asyncio.gather(gc.submit("a", 1), gc.submit("b", 5)) == [1, 5]

    asyncio.run(main())
