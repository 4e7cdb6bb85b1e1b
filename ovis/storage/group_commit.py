"""Group commit: many concurrent callers, one transaction (one fsync) per batch.

Contract: ``await submit(item)`` returns once ``item`` is durably committed together with
whatever else arrived while the previous batch was being written; it raises what the write
raised. Batches are written by one worker thread call at a time, in arrival order.
Event-loop thread only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[list[T]], None], max_batch: int = 512) -> None:
        self._write = write
        self._max = max_batch
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._flushing = False

    async def submit(self, item: T) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, fut))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        await fut

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._max], self._pending[self._max :]
                try:
                    await asyncio.to_thread(self._write, [item for item, _ in batch])
                except Exception as e:
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(e)
                    continue
                for _, fut in batch:
                    if not fut.done():
                        fut.set_result(None)
        finally:
            self._flushing = False
