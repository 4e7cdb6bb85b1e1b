"""GroupCommit: concurrent calls for one key ride one store transaction (group commit).

Every commit of the store is an fsync; event source mapping pollers run many batch loops that
each receive and delete a batch at a time. While one transaction for a queue is running, the
calls that arrive for it wait and then go together in the next one, so N loops cost one fsync
per round instead of N.

Contract: ``submit(key, item)`` returns what ``run(key, items)`` answered for ``item`` once the
transaction holding it has committed (durable on return, as a direct call would be); if the
transaction raises, every call in it raises that error. Calls for one key are never reordered,
and at most one transaction per key runs at a time. Cancelling a caller does not cancel the
transaction its item is in (its item may still be applied, as a cancelled direct call's thread
would). Event-loop thread only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Out = TypeVar("Out")


class GroupCommit(Generic[Item, Out]):
    def __init__(self, run: Callable[[Hashable, list[Item]], Awaitable[list[Out]]]) -> None:
        self._run = run
        self._pending: dict[Hashable, list[tuple[Item, asyncio.Future[Out]]]] = {}
        self._busy: set[Hashable] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, key: Hashable, item: Item) -> Out:
        fut: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(key, []).append((item, fut))
        if key not in self._busy:
            self._busy.add(key)
            task = asyncio.get_running_loop().create_task(self._flush(key))
            self._tasks.add(task)  # a reference, so the task is not collected mid-way
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(fut)

    async def _flush(self, key: Hashable) -> None:
        try:
            while batch := self._pending.pop(key, None):
                try:
                    results = await self._run(key, [item for item, _ in batch])
                except BaseException as e:
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(e if isinstance(e, Exception) else RuntimeError(e))
                    if not isinstance(e, Exception):
                        raise
                    continue
                for (_, fut), result in zip(batch, results, strict=True):
                    if not fut.done():
                        fut.set_result(result)
        finally:
            self._busy.discard(key)
            for _, fut in self._pending.pop(key, []):  # only left if the loop was cancelled
                if not fut.done():
                    fut.set_exception(RuntimeError("the store call was cancelled"))
